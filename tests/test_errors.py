"""Tests of the error hierarchy: catchable as migdata errors and as builtins, with locations."""

from __future__ import annotations

import pytest

from migdata.errors import (
    ConfigurationError,
    DependencyError,
    InputError,
    MigdataError,
    ModelError,
    ValidationError,
)


def test_every_error_is_a_migdata_error_and_a_builtin() -> None:
    """Each error class can be caught as MigdataError and as the matching builtin."""
    pairs = [
        (InputError, ValueError),
        (ValidationError, ValueError),
        (ConfigurationError, ValueError),
        (ModelError, ArithmeticError),
        (DependencyError, ImportError),
    ]
    for cls, builtin in pairs:
        assert issubclass(cls, MigdataError)
        assert issubclass(cls, builtin)


def test_input_error_names_the_cell_in_message_and_attributes() -> None:
    """A sheet, row and column become an Excel cell reference, kept as attributes too."""
    err = InputError("expected a number, got 'x'", file="a.xlsx", sheet="IMM", row=3, column="D")
    assert str(err) == "file 'a.xlsx', sheet 'IMM', cell D3: expected a number, got 'x'"
    assert (err.file, err.sheet, err.row, err.column) == ("a.xlsx", "IMM", 3, "D")
    assert err.reason == "expected a number, got 'x'"


def test_input_error_without_sheet_names_row_column_and_country() -> None:
    """Outside a workbook the row, column and country are named separately."""
    err = InputError("negative count -4", row=12, column="obs_value", country="KEN", value=-4)
    assert str(err) == "row 12, column 'obs_value', country KEN: negative count -4"
    assert err.location()["value"] == -4


def test_validation_error_carries_its_report() -> None:
    """A validation error keeps the full report of problems for programs."""
    err = ValidationError("2 problems", report=["a", "b"], file="x.csv")
    assert err.report == ["a", "b"]
    with pytest.raises(ValueError, match=r"x\.csv"):
        raise err
