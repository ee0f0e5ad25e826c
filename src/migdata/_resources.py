"""Where migdata finds its bundled data files (code lists, definitions, item bank)."""

from __future__ import annotations

from functools import cache
from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent


def data_path(*parts: str) -> Path:
    """Path of a data file shipped in ``migdata/data``."""
    return _PACKAGE.joinpath("data", *parts)


@cache
def questionnaire_dir() -> Path:
    """Folder of the questionnaire item bank.

    In a wheel it is ``migdata/metadata_questionnaire``; in a source checkout installed in
    editable mode it is the top-level ``metadata_questionnaire`` folder.
    """
    inside = _PACKAGE / "metadata_questionnaire"
    if inside.is_dir():
        return inside
    checkout = _PACKAGE.parents[1] / "metadata_questionnaire"
    if checkout.is_dir():
        return checkout
    raise FileNotFoundError(
        f"the questionnaire item bank is missing: looked in {inside} and {checkout}; "
        "reinstall migdata"
    )
