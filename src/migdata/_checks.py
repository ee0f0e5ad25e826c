"""The input-checking layer at the public boundary.

Owns the checks every public function makes of what a user passes (a table with unique,
flat column names, finite numbers, parameters in range, dates, years) and :func:`public`,
the decorator that turns any exception escaping from a dependency or a builtin into an
:class:`~migdata.errors.InputError` naming the function and the file, so that a user only
ever meets :class:`~migdata.errors.MigdataError` subclasses.
"""

from __future__ import annotations

import csv
import functools
import inspect
import math
import numbers
import os
from collections.abc import Callable
from typing import Any, ParamSpec, TypeVar

import numpy as np
import pandas as pd

from migdata.errors import ConfigurationError, InputError, MigdataError

__all__ = [
    "check_date",
    "check_finite",
    "check_frame",
    "check_instance",
    "check_number",
    "check_year",
    "public",
    "translate",
]

P = ParamSpec("P")
R = TypeVar("R")

# Parameters that name a file or folder: their value is the place an error names.
_FILE_PARAMS = ("path", "file", "source", "folder", "folder_or_paths", "files", "out")


def check_frame(obj: Any, param: str) -> pd.DataFrame:
    """``obj`` as a table: a DataFrame (not a Series) with unique, flat column names.

    Examples
    --------
    >>> check_frame(pd.Series([1, 2]), "table")
    Traceback (most recent call last):
    ...
    migdata.errors.InputError: parameter 'table': expected a DataFrame (a table with named ...
    """
    if isinstance(obj, pd.Series):
        raise InputError(
            f"parameter '{param}': expected a DataFrame (a table with named columns), got a "
            "Series; pass the whole table, or series.to_frame()"
        )
    if not isinstance(obj, pd.DataFrame):
        raise InputError(
            f"parameter '{param}': expected a pandas DataFrame, got {type(obj).__name__}"
        )
    columns = obj.columns
    if isinstance(columns, pd.MultiIndex):
        raise InputError(
            f"parameter '{param}': column names on {columns.nlevels} levels (a MultiIndex); "
            "expected one name per column, e.g. df.columns = ['_'.join(map(str, c)) for c in "
            "df.columns]"
        )
    if not columns.is_unique:
        dup = [str(c) for c in columns[columns.duplicated()].unique()[:5]]
        raise InputError(
            f"parameter '{param}': duplicate column names {dup}; every column needs its own name",
            column=dup[0],
        )
    return obj


def check_finite(table: pd.DataFrame, param: str, columns: Any = None) -> pd.DataFrame:
    """Refuse infinite numbers (``inf``, ``1e400``) in the float columns of ``table``."""
    names = table.columns if columns is None else [c for c in columns if c in table.columns]
    for name in names:
        col = table[name]
        if not pd.api.types.is_float_dtype(col.dtype):
            continue
        values = col.to_numpy(dtype="float64", na_value=np.nan)
        bad = np.isinf(values)
        if bad.any():
            at = int(np.flatnonzero(bad)[0])
            raise InputError(
                f"parameter '{param}': an infinite number ({values[at]!r}) at index "
                f"{table.index[at]!r}; expected finite numbers",
                column=str(name),
                value=values[at],
            )
    return table


def check_number(
    value: Any,
    param: str,
    *,
    lo: float | None = None,
    hi: float | None = None,
    integer: bool = False,
    none: bool = False,
) -> Any:
    """A numeric parameter: finite, within [lo, hi], an integer when asked.

    Examples
    --------
    >>> check_number(0.5, "min_coverage", lo=0, hi=1)
    0.5
    >>> check_number(float("nan"), "min_coverage", lo=0, hi=1)
    Traceback (most recent call last):
    ...
    migdata.errors.ConfigurationError: parameter 'min_coverage': expected a number from 0 to 1, ...
    """
    if value is None and none:
        return value
    ok = isinstance(value, numbers.Real) and not isinstance(value, bool)
    if ok and not math.isfinite(float(value)):
        ok = False
    if ok and integer and float(value) != int(value):
        ok = False
    if ok and ((lo is not None and value < lo) or (hi is not None and value > hi)):
        ok = False
    if not ok:
        kind = "an integer" if integer else "a number"
        if lo is not None and hi is not None:
            kind += f" from {lo:g} to {hi:g}"
        elif lo is not None:
            kind += f" of at least {lo:g}"
        elif hi is not None:
            kind += f" of at most {hi:g}"
        raise ConfigurationError(f"parameter '{param}': expected {kind}, got {value!r}")
    return value


def check_year(value: Any, param: str = "year") -> int:
    """A year parameter as an int (2015, 2015.0, "2015"); anything else is refused."""
    try:
        out = int(str(value).strip()) if isinstance(value, str) else None
    except ValueError:
        out = None
    real = isinstance(value, numbers.Real) and not isinstance(value, bool)
    if out is None and real and math.isfinite(float(value)) and float(value).is_integer():
        out = int(float(value))
    if out is None or not 1000 <= out <= 9999:
        raise ConfigurationError(
            f"parameter '{param}': expected a year such as 2015, got {value!r}"
        )
    return out


def check_date(value: Any, param: str) -> pd.Timestamp | None:
    """A date parameter (``obs_end``, ``data_start``): None, or a date pandas can read."""
    if value is None:
        return None
    try:
        out = pd.Timestamp(value)
    except (ValueError, TypeError, OverflowError):
        out = None
    if out is None or out is pd.NaT:
        raise ConfigurationError(
            f"parameter '{param}': expected a date such as 2024-12-31, got {value!r}"
        )
    return out


def check_instance(obj: Any, cls: type, param: str, hint: str = "") -> Any:
    """Refuse an object of another type (a DataFrame where a MirrorTable is expected)."""
    if not isinstance(obj, cls):
        raise InputError(
            f"parameter '{param}': expected a {cls.__name__}, got {type(obj).__name__}"
            + (f"; {hint}" if hint else "")
        )
    return obj


# ---------------------------------------------------------------------------------------------
# What escapes from dependencies and builtins


def translate(err: BaseException, where: str = "", file: Any = None) -> MigdataError:
    """An exception from a dependency or a builtin as an InputError saying what to do."""
    if isinstance(err, MigdataError):
        return err
    filename = getattr(err, "filename", None) or file
    text = str(err).strip() or type(err).__name__
    if isinstance(err, FileNotFoundError):
        reason = "no such file or folder"
    elif isinstance(err, PermissionError):
        reason = "permission denied: check the access rights of the file or folder"
    elif isinstance(err, IsADirectoryError):
        reason = "a folder where a file was expected"
    elif isinstance(err, NotADirectoryError):
        reason = "a file where a folder was expected"
    elif isinstance(err, UnicodeError):
        reason = (
            f"the text cannot be decoded ({text}); save the file as UTF-8 (or UTF-16 with a "
            "byte-order mark)"
        )
    elif isinstance(err, csv.Error) and "new-line" in text:
        reason = (
            "line ends that are carriage returns only (old Mac files); save the file with "
            "Windows or Unix line ends"
        )
    elif isinstance(err, csv.Error) and "field limit" in text:
        reason = "a field longer than the reader accepts; is this the right file?"
    elif isinstance(err, pd.errors.EmptyDataError):
        reason = "the file is empty: expected a header line and rows"
    elif isinstance(err, pd.errors.ParserError):
        reason = f"the text file cannot be parsed as a table ({text})"
    elif isinstance(err, OSError):
        reason = f"the file cannot be used ({err.strerror or text})"
    else:
        reason = f"the input cannot be used ({type(err).__name__}: {text})"
    if where:
        reason = f"{where}: {reason}"
    return InputError(reason, file=None if filename is None else os.fspath(filename))


def _file_of(sig: inspect.Signature | None, args: Any, kwargs: Any) -> Any:
    if sig is None:
        return None
    try:
        bound = sig.bind_partial(*args, **kwargs)
    except TypeError:
        return None
    for name in _FILE_PARAMS:
        value = bound.arguments.get(name)
        if isinstance(value, str | os.PathLike):
            return value
    return None


def public(func: Callable[P, R]) -> Callable[P, R]:
    """Mark a public function: no exception but a MigdataError escapes it.

    An exception from a dependency or a builtin (an unreadable file, a malformed CSV, a
    value pandas refuses) becomes an :class:`InputError` naming the function and the file,
    chained to the original. Assertion errors (bugs of migdata) are left alone.
    """
    try:
        sig: inspect.Signature | None = inspect.signature(func)
    except (TypeError, ValueError):
        sig = None
    name = func.__qualname__

    @functools.wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return func(*args, **kwargs)
        except (MigdataError, AssertionError):
            raise
        except RecursionError as err:
            raise InputError(f"{name}: the input is nested too deeply") from err
        except Exception as err:
            raise translate(err, name, _file_of(sig, args, kwargs)) from err

    return wrapper
