"""Runs the Examples of every public docstring of the installed package as doctests."""

from __future__ import annotations

import doctest
import importlib
import pkgutil

import pytest

import migdata

MODULES = sorted(
    m.name
    for m in pkgutil.walk_packages(migdata.__path__, prefix="migdata.")
    if not m.name.endswith("__main__")
)


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples_run(name: str) -> None:
    """Every example in the module's docstrings gives the output it shows."""
    module = importlib.import_module(name)
    result = doctest.testmod(
        module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE, verbose=False
    )
    assert result.failed == 0, f"{result.failed} doctest(s) failed in {name}"
