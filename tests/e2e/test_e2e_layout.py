"""T4: the projector layout of every first-lesson explorer, measured in a real browser.

Each explorer is served alone (one small notebook each, as the classroom notebook builds it)
at 1280×720 and 1024×768. With the boxes chromium lays out, the test asserts that the first
picture starts above the fold, that no control's label wraps away from its control (and the
two axes of a setting stay on one line), and that no number spills out of its cell. The
screenshots go to ``CONVKIT_SCREENSHOT_DIR`` (docs/screenshots/classroom/ for the docs).
"""

import json
import subprocess

import pytest
from convkit.widgets.app import free_port, voila_command, voila_env, wait_until_answers
from playwright.sync_api import expect

from .conftest import ROOT

TIMEOUT = 120_000         # page load (a kernel starts)
PICTURE_TIMEOUT = 60_000  # first render after the page answered
VIEWPORTS = ((1280, 720), (1024, 768))
#: The explorers as notebooks/02_classroom.ipynb builds them.
EXPLORERS = {
    "conv": "ConvExplorer(size=5, kernel_size=3)",
    "transposed": "TransposedConvExplorer(size=2, kernel_size=3, strides=2)",
    "resample": "ResampleExplorer('upsample', rank=2, size=4, interpolation='bilinear')",
    "separable": "SeparableExplorer(size=5, channels=3, filters=4)",
    "image_filter": "ImageFilterLab(size=64, preset='Sobel x')",
    # the second lesson's explorers share the arrangement (Explorer._finish); quiz off:
    # a quiz hides the picture until the answer, by design
    "backprop": "BackpropExplorer(size=5, kernel_size=3, strides=2, padding='same')",
    "receptive_field": "ReceptiveFieldExplorer(preset='three 3×3 convs')",
    "pooling": "PoolingExplorer(size=6, pool_size=2, strides=2)",
}

# Every labelled control whose label is not on the line of its control, and every label
# that wrapped onto a second line (taller than 1.6 lines of its own font).
LABELS_AWAY = """() => {
  const bad = [];
  for (const label of document.querySelectorAll('.widget-label, .widget-label-basic')) {
    if (!label.offsetParent || !label.textContent.trim()) continue;
    const box = label.parentElement;
    const control = [...box.children].find(c => c !== label && c.offsetParent);
    if (!control) continue;
    const l = label.getBoundingClientRect(), c = control.getBoundingClientRect();
    const mid = (l.top + l.bottom) / 2;
    const lineHeight = parseFloat(getComputedStyle(label).fontSize) * 1.6;
    if (mid < c.top - 1 || mid > c.bottom + 1 || l.height > Math.max(lineHeight, 32))
      bad.push(label.textContent.trim());
  }
  return bad;
}"""

# Tops of the controls labelled "<name> h"/"<name> w" (and row/col): partners share a line.
PARTNER_TOPS = """() => {
  const tops = {};
  for (const label of document.querySelectorAll('.widget-label')) {
    if (!label.offsetParent) continue;
    tops[label.textContent.trim()] = label.getBoundingClientRect().top;
  }
  return tops;
}"""

# Every number drawn inside a cell whose measured text box is wider than the cell.
CELL_OVERFLOW = """() => {
  const bad = [];
  for (const svg of document.querySelectorAll('svg[role=img]')) {
    const cells = [...svg.querySelectorAll('rect.cell')].map(r => r.getBBox());
    for (const t of svg.querySelectorAll('text')) {
      const b = t.getBBox();
      const cx = b.x + b.width / 2, cy = b.y + b.height / 2;
      const cell = cells.find(r => cx >= r.x && cx <= r.x + r.width &&
                                   cy >= r.y && cy <= r.y + r.height);
      if (cell && (b.x < cell.x - 0.5 || b.x + b.width > cell.x + cell.width + 0.5))
        bad.push(t.textContent + ' (' + b.width.toFixed(1) + ' px in ' + cell.width + ' px)');
    }
  }
  return bad;
}"""


def _notebook(call: str) -> dict:
    source = f"from convkit.widgets import *  # noqa: F403\nexplorer = {call}\nexplorer"
    return {"cells": [{"cell_type": "code", "metadata": {}, "execution_count": None,
                       "outputs": [], "source": source}],
            "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3",
                                        "language": "python"}},
            "nbformat": 4, "nbformat_minor": 5}


@pytest.fixture(scope="module")
def explorer_urls(tmp_path_factory):
    """Voila serving a folder with one notebook per explorer: name → URL."""
    folder = tmp_path_factory.mktemp("layout_notebooks")
    for name, call in EXPLORERS.items():
        (folder / f"{name}.ipynb").write_text(json.dumps(_notebook(call)), encoding="utf-8")
    port = free_port()
    log = folder / "voila.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen(voila_command(folder, port), stdout=out,
                                stderr=subprocess.STDOUT, cwd=ROOT, env=voila_env())
    try:
        if not wait_until_answers(f"http://127.0.0.1:{port}/", timeout=90, proc=proc):
            raise RuntimeError(f"Voila did not start: {log.read_text()[-3000:]}")
        yield {name: f"http://127.0.0.1:{port}/voila/render/{name}.ipynb" for name in EXPLORERS}
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=20)


def _first_picture(page):
    """The first picture on the page: an inline SVG scene or the lab's photo."""
    return page.locator("svg[role=img], .widget-image:visible").first


@pytest.mark.parametrize("size", VIEWPORTS, ids=lambda s: f"{s[0]}x{s[1]}")
@pytest.mark.parametrize("name", list(EXPLORERS))
def test_picture_first_labels_beside_controls_numbers_inside_cells(page, explorer_urls, shots,
                                                                   name, size):
    width, height = size
    page.set_viewport_size({"width": width, "height": height})
    page.goto(explorer_urls[name], timeout=TIMEOUT)
    picture = _first_picture(page)
    expect(picture).to_be_visible(timeout=PICTURE_TIMEOUT)
    page.wait_for_timeout(1000)  # the last style updates of the first render
    page.screenshot(path=str(shots / f"{name}_{width}x{height}.png"), full_page=False)

    problems = []  # every layout fault at once, so a failure lists them all
    box = picture.bounding_box()
    if box is None or box["y"] >= height - 100:  # its first 100 px are above the fold
        problems.append(f"first picture starts at {box and box['y']} px (fold: {height} px)")
    settings = page.get_by_text("settings ▾")
    if settings.count() != 1 or settings.bounding_box()["y"] < box["y"]:
        problems.append("the settings panel does not come after the picture")
    away = page.evaluate(LABELS_AWAY)
    if away:
        problems.append(f"labels away from their controls: {away}")
    tops = page.evaluate(PARTNER_TOPS)
    for first, second in (("kernel h", "kernel w"), ("stride h", "stride w"),
                          ("dilation h", "dilation w"), ("row", "col"),
                          ("input height", "input width")):
        if first in tops and second in tops and abs(tops[first] - tops[second]) >= 2:
            problems.append(f"{first!r} and {second!r} on different lines")
    overflow = page.evaluate(CELL_OVERFLOW)
    if overflow:
        problems.append(f"numbers wider than their cells: {overflow[:8]}")
    assert problems == []
