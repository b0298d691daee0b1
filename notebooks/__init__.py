"""The lesson notebooks, shipped inside the package so ``python -m convkit.widgets.app``
finds the classroom from a wheel as well as from a checkout (package data only)."""
