"""Every public class and function has a NumPy-style docstring a user can read.

Walks ``__all__`` of the public modules (the ones the API reference documents) and checks each
object's docstring for the sections ``help()`` and the documentation site show:

- ``Examples`` always (they run as doctests in the suite);
- ``Parameters`` when the function, or the class's constructor, takes arguments;
- ``Returns`` (or ``Yields``) for functions not annotated ``-> None``;
- ``Raises`` always: what a user gets for bad input is part of the reference;
- no internal note references ("D4", "§1.8") that a user cannot look up.

``NOT_APPLICABLE`` lists the few (object, section) pairs where a section would say nothing.
"""

import importlib
import inspect
import re

import pytest

# the defining modules first, so an object is named where it lives (convkit.Sequential is
# convkit.models.Sequential)
PUBLIC_MODULES = (
    "convkit.layers", "convkit.ops", "convkit.models", "convkit.losses",
    "convkit.optimizers", "convkit.optimizers.schedules", "convkit.metrics",
    "convkit.callbacks", "convkit.initializers", "convkit.regularizers",
    "convkit.constraints", "convkit.activations", "convkit.saving", "convkit.dask",
    "convkit.config", "convkit.widgets", "convkit",
)

# Justified exceptions: (object, section) pairs a section makes no sense for.
NOT_APPLICABLE = {
    # a context manager: its value is the with-block, documented under Parameters/Examples
    ("convkit.num_threads", "Returns"),
    # they only read a setting or print: there is nothing a user can pass wrong
    ("convkit.get_num_threads", "Raises"),
    ("convkit.show_config", "Raises"),
    ("convkit.config.image_data_format", "Raises"),
    ("convkit.config.epsilon", "Raises"),
    ("convkit.config.conv_algorithm", "Raises"),
    ("convkit.layers.Layer.get_weights", "Raises"),  # an unbuilt layer returns []
    ("convkit.layers.Layer.get_config", "Raises"),
    # they record any object by its type name, as Keras does, rather than refuse it
    ("convkit.initializers.serialize", "Raises"),
    ("convkit.regularizers.serialize", "Raises"),
    ("convkit.constraints.serialize", "Raises"),
    # base classes whose hooks do nothing (or return a zero penalty) until overridden,
    # and a lookup that answers False for anything it does not know
    ("convkit.callbacks.Callback", "Raises"),
    ("convkit.callbacks.History", "Raises"),
    ("convkit.constraints.Constraint", "Raises"),
    ("convkit.regularizers.Regularizer", "Raises"),
    ("convkit.activations.has_gradient", "Raises"),
}

_INTERNAL_REFERENCE = re.compile(r"§\s?\d|\(D\d{1,2}\)|\bD\d{1,2}\b(?= |\)|,|\.)")


def _public_names(module) -> list:
    if hasattr(module, "__all__"):
        return list(module.__all__)
    # convkit.config has no __all__: its public functions
    return [name for name, value in vars(module).items()
            if not name.startswith("_") and inspect.isfunction(value)
            and value.__module__ == module.__name__]


def public_objects() -> dict:
    """``{qualified public name: object}``, each object once (aliases share one docstring)."""
    found, seen = {}, set()
    for module_name in PUBLIC_MODULES:
        module = importlib.import_module(module_name)
        for name in _public_names(module):
            value = getattr(module, name)
            if inspect.ismodule(value) or not callable(value) or id(value) in seen:
                continue
            seen.add(id(value))
            found[f"{module_name}.{name}"] = value
    return found


def _has_section(doc: str, title: str) -> bool:
    return re.search(rf"^{title}\n-{{{len(title)}}}\s*$", doc, re.MULTILINE) is not None


def _takes_arguments(obj) -> bool:
    try:
        signature = inspect.signature(obj)  # a class's: its constructor's, without self
    except (TypeError, ValueError):
        return True
    return any(name not in ("self", "cls") for name in signature.parameters)


def _returns_none(obj) -> bool:
    try:
        return inspect.signature(obj).return_annotation in (None, "None", "'None'")
    except (TypeError, ValueError):
        return False


def missing_sections(qualified: str, obj) -> list:
    doc = inspect.getdoc(obj) or ""
    if len(doc.splitlines()[0] if doc else "") < 10:
        return ["summary"]
    required = ["Examples", "Raises"]
    if _takes_arguments(obj):
        required.insert(0, "Parameters")
    if not inspect.isclass(obj) and not _returns_none(obj):
        required.insert(1, "Returns")
    missing = []
    for title in required:
        if (qualified, title) in NOT_APPLICABLE:
            continue
        if title == "Returns" and _has_section(doc, "Yields"):
            continue
        if not _has_section(doc, title):
            missing.append(title)
    return missing


# the methods a user calls every day, documented like functions
PUBLIC_METHODS = {
    "convkit.models.Model": ("compile", "fit", "evaluate", "predict", "train_on_batch",
                             "test_on_batch", "summary", "save", "save_weights",
                             "load_weights"),
    "convkit.models.Sequential": ("add", "pop"),
    "convkit.layers.Layer": ("build", "get_weights", "set_weights", "get_config",
                             "from_config", "count_params", "backward", "compute_output_shape"),
}


def public_methods() -> dict:
    found = {}
    for owner, names in PUBLIC_METHODS.items():
        module_name, class_name = owner.rsplit(".", 1)
        cls = getattr(importlib.import_module(module_name), class_name)
        for name in names:
            found[f"{owner}.{name}"] = getattr(cls, name)
    return found


OBJECTS = {**public_objects(), **public_methods()}


def test_the_walk_finds_the_public_api():
    # guards the walk itself: every module contributes, the well-known names are there
    assert len(OBJECTS) > 150
    for name in ("convkit.layers.Conv2D", "convkit.ops.conv", "convkit.models.Sequential",
                 "convkit.widgets.ConvExplorer", "convkit.config.set_image_data_format"):
        assert name in OBJECTS


@pytest.mark.parametrize("qualified", sorted(OBJECTS))
def test_public_docstring_has_the_numpydoc_sections(qualified):
    obj = OBJECTS[qualified]
    missing = missing_sections(qualified, obj)
    assert not missing, f"{qualified}: the docstring lacks {', '.join(missing)}"


@pytest.mark.parametrize("qualified", sorted(OBJECTS))
def test_public_docstring_names_no_internal_notes(qualified):
    doc = inspect.getdoc(OBJECTS[qualified]) or ""
    # a user cannot look up "(D4)" or "§1.8": say it in words or link the user guide
    assert not _INTERNAL_REFERENCE.search(doc), _INTERNAL_REFERENCE.search(doc).group(0)


def test_justified_exceptions_name_public_objects():
    # a renamed or removed object must not leave a stale exception behind
    stale = sorted(name for name, _ in NOT_APPLICABLE if name not in OBJECTS)
    assert not stale, stale


def _documented_parameters(doc: str) -> set:
    match = re.search(r"^Parameters\n-+\n(.*?)(?:\n\n[A-Z][A-Za-z ]+\n-+\n|\Z)", doc,
                      re.MULTILINE | re.DOTALL)
    if not match:
        return set()
    names = set()
    for line in match.group(1).splitlines():
        if line and not line.startswith(" "):
            for name in line.split(" : ")[0].split(","):
                names.add(name.strip().lstrip("*"))
    return names


@pytest.mark.parametrize("qualified", sorted(OBJECTS))
def test_documented_parameters_exist(qualified):
    # a Parameters entry for an argument the signature does not have is a stale docstring
    obj = OBJECTS[qualified]
    try:
        signature = inspect.signature(obj)
    except (TypeError, ValueError):
        return
    accepted = {name for name in signature.parameters}
    if any(p.kind is p.VAR_KEYWORD for p in signature.parameters.values()):
        return  # keyword arguments passed on (a layer's name, dtype...) are documented too
    stale = _documented_parameters(inspect.getdoc(obj) or "") - accepted
    assert not stale, f"{qualified} documents {sorted(stale)}, not in {signature}"
