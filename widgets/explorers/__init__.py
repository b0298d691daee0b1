"""One module per explorer; each subclasses :class:`~convkit.widgets.explorers.base.Explorer`."""
