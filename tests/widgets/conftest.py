"""Widget tests run headless: ipywidgets 8.1 builds widgets and fires observers without a
kernel. The count below is the registry that ``Widget.close`` empties."""

import warnings

import pytest


def n_widgets() -> int:
    import ipywidgets

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # Widget.widgets is deprecated
        return len(ipywidgets.Widget.widgets)


@pytest.fixture
def widget_count():
    """A function returning how many widgets are alive (the leak guard's measure)."""
    return n_widgets
