"""Reading the SVG the widgets draw: the namespace, the root, its texts and its marked rects."""

import xml.etree.ElementTree as ET

SVG = "{http://www.w3.org/2000/svg}"


def svg_root(value: str) -> ET.Element:
    """The ``<svg>`` element of a widget's HTML value (the value is the SVG itself)."""
    return ET.fromstring(value)


def svg_texts(value: str) -> list:
    """Every ``<text>`` of the picture, in document order."""
    return [t.text for t in svg_root(value).iter(f"{SVG}text")]


def class_rects(root: ET.Element, cls: str) -> list:
    """The ``<rect>`` elements of ``class=cls`` (``window``, ``inspect``, ``current``, ...)."""
    return [r for r in root.iter(f"{SVG}rect") if r.get("class") == cls]
