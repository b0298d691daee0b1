"""Sphinx configuration for the convkit documentation site (``make docs``).

The build is offline by design: CI builds it on a clean clone with only package registries
reachable, so there is no intersphinx, no remote image and no web font. The API reference is
autodoc over the installed package (``pip install -e ".[docs]"``) with napoleon reading the
NumPy-style docstrings.
"""

import os
import sys

# build from the source tree when it is not installed (``make docs`` installs it editable)
sys.path.insert(0, os.path.abspath(".."))

import convkit  # noqa: E402

project = "convkit"
author = "the convkit authors"
copyright = "the convkit authors"
release = convkit.__version__
version = release

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.napoleon",
    "sphinx.ext.viewcode",
]

# the design notes, the README and the widget screenshots are Markdown/PNG files of the repo,
# not pages of this site
exclude_patterns = ["_build", "design", "README.md", "screenshots", "Thumbs.db", ".DS_Store"]
templates_path = []
root_doc = "index"

# NumPy-style docstrings only; parameter types are shown as written
napoleon_google_docstring = False
napoleon_numpy_docstring = True
napoleon_use_rtype = False
napoleon_use_ivar = True
# grouped entries ("size, kernel_size : int") stay one entry instead of repeating the text
napoleon_use_param = False

autodoc_member_order = "bysource"
autodoc_typehints = "none"  # the docstrings give the types, in words
autodoc_default_options = {"members": True, "undoc-members": False, "show-inheritance": False}
# the layers document their constructor in the class docstring; __init__ says nothing more
autoclass_content = "class"

# optional extras must not be needed to import the API pages (Dask, ipywidgets)
autodoc_mock_imports = []

html_theme = "furo"
html_title = f"convkit {release}"
html_static_path = []
# no web fonts, no analytics: furo uses the system font stack
pygments_style = "sphinx"
