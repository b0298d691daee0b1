"""convkit.widgets: classroom explorers that show how convkit's layers compute.

The explorers need the ``widgets`` extra (ipywidgets, matplotlib). The sub-packages
:mod:`convkit.widgets.scene`, :mod:`convkit.widgets.render` and :mod:`convkit.widgets.export`
need only NumPy and Pillow, so they run in a plain script; this module therefore imports the
explorers lazily, on first attribute access, and ``import convkit.widgets.scene`` never pulls in
ipywidgets.

In a notebook, an explorer displays itself when it is the last expression of a cell; the
classroom app (``python -m convkit.widgets.app``) serves the lesson notebooks with them. See
the user guide's "Classroom widgets" page.

Examples
--------
>>> from convkit.widgets import ConvExplorer
>>> explorer = ConvExplorer(size=5, kernel_size=3, padding="same")
>>> explorer.toolbar.step.max + 1  # one step per output cell: 5 x 5
25
>>> explorer.close()  # releases every widget it made
"""

_EXPLORERS = {
    "ConvExplorer": "convkit.widgets.explorers.conv",
    "ResampleExplorer": "convkit.widgets.explorers.resample",
    "TransposedConvExplorer": "convkit.widgets.explorers.transposed",
    "SeparableExplorer": "convkit.widgets.explorers.separable",
    "ImageFilterLab": "convkit.widgets.explorers.image_filter",
    "BackpropExplorer": "convkit.widgets.explorers.backprop",
    "ReceptiveFieldExplorer": "convkit.widgets.explorers.receptive_field",
    "PoolingExplorer": "convkit.widgets.explorers.pooling",
    "TrainingLab": "convkit.widgets.explorers.training_lab",
}


# what the ``widgets`` extra installs (pyproject.toml), named when one is missing
_EXTRA_MODULES = {"ipywidgets", "matplotlib", "PIL", "traitlets", "IPython"}


def __getattr__(name):
    # PEP 562 lazy attribute: keeps ipywidgets out of scripts that only render or export
    if name in _EXPLORERS:
        import importlib

        try:
            module = importlib.import_module(_EXPLORERS[name])
        except ModuleNotFoundError as error:
            if error.name and error.name.split(".")[0] in _EXTRA_MODULES:
                raise ImportError(
                    f"convkit.widgets.{name} needs the widgets extra ({error.name} is not "
                    "installed): pip install \"convkit-layers[widgets]\"") from error
            raise
        return getattr(module, name)
    raise AttributeError(f"module 'convkit.widgets' has no attribute {name!r}")


__all__ = sorted(_EXPLORERS)
