"""Sphinx configuration of the migdata documentation.

Plain reStructuredText, extensions shipped with Sphinx plus MathJax bundled by
sphinx-mathjax-offline (formulas render without a network), the builtin alabaster theme and
no network access at build time. Build with::

    python -m sphinx -W --keep-going -b html docs docs/_build/html
"""

from __future__ import annotations

import sys
from importlib.metadata import PackageNotFoundError
from importlib.metadata import version as _version
from pathlib import Path

# Local extension (docs/_ext/migdata_docs.py): the real ``--help`` text of the CLI and the
# table of the flat API, generated from the installed package at build time.
sys.path.insert(0, str(Path(__file__).resolve().parent / "_ext"))

# The API pages import the *installed* package (the README installs it, editable or not), so
# the documentation describes exactly the code the tests run against.
try:
    release = _version("migdata")
except PackageNotFoundError:  # a source tree that was never installed
    release = "0+unknown"
version = ".".join(release.split(".")[:2])

project = "migdata"
author = "migdata developers"
copyright = "migdata developers"
language = "en"

extensions = [
    "sphinx.ext.autodoc",  # the API reference comes from the docstrings
    "sphinx.ext.napoleon",  # which are numpydoc-style
    "sphinx.ext.mathjax",  # formulas in the concept pages (rendered in the browser)
    # MathJax itself copied into _static/mathjax: formulas render offline, no CDN.
    "sphinx-mathjax-offline",
    "sphinx.ext.viewcode",  # "[source]" links: statisticians check what a rule really does
    "migdata_docs",  # migdata-help and migdata-flat-api directives (docs/_ext)
]
# Deliberately absent: sphinx.ext.intersphinx (needs the network at build time).

exclude_patterns = ["_build", "_ext"]
templates_path: list[str] = []

# --- autodoc / napoleon -------------------------------------------------------------------
napoleon_numpy_docstring = True
napoleon_google_docstring = False  # one convention only: numpydoc (STYLE.md)
# Render "Attributes" sections as :ivar: fields rather than as separate attribute entries:
# dataclass fields are also picked up by autodoc, and two entries for the same name would be
# a "duplicate object description" warning.
napoleon_use_ivar = True
napoleon_use_rtype = False  # the return type stays next to its description

# Members in the order of the module's __all__ grouped by kind (classes, functions, data).
autodoc_member_order = "groupwise"
# Show defaults as written in the source (``table="imem"``, ``Method.LOG_LS``), not as reprs.
autodoc_preserve_defaults = True
autodoc_typehints = "signature"
autodoc_class_signature = "mixed"

# Unresolvable cross-references (pandas.DataFrame, numpy types: no intersphinx, no network)
# must not fail the build; every other warning does (-W in tests/test_docs.py).
nitpicky = False

# --- HTML -----------------------------------------------------------------------------------
html_theme = "alabaster"
html_title = f"migdata {release}"
html_theme_options = {
    "description": "Make national migration statistics comparable",
    "fixed_sidebar": True,
    "page_width": "1100px",
    "sidebar_width": "240px",
}
html_sidebars = {"**": ["about.html", "navigation.html", "relations.html", "searchbox.html"]}
html_show_sourcelink = False
