"""Errors raised by migdata.

Every error subclasses :class:`MigdataError` and the matching builtin, so callers can catch
either. Errors about input carry the location of the problem (file, sheet, row, column,
value) as attributes and in the message.
"""

from __future__ import annotations

from typing import Any

__all__ = [
    "ConfigurationError",
    "DependencyError",
    "InputError",
    "MigdataError",
    "ModelError",
    "ValidationError",
]


class MigdataError(Exception):
    """Base class of every error raised by migdata."""


class InputError(MigdataError, ValueError):
    """Input data that cannot be used as given.

    Parameters
    ----------
    message
        What was expected and what arrived.
    file, sheet, row, column, value, country, item
        Where the problem is; each given part is kept as an attribute and prefixed to the
        message, e.g. ``"file 'a.xlsx', sheet 'IMM', cell C14: expected ..."``.

    Examples
    --------
    >>> err = InputError("expected a number of months (0-60), got 'un an'",
    ...                  file="rwa.xlsx", sheet="IMM", row=14, column="C")
    >>> str(err)
    "file 'rwa.xlsx', sheet 'IMM', cell C14: expected a number of months (0-60), got 'un an'"
    >>> err.row
    14
    """

    def __init__(
        self,
        message: str,
        *,
        file: str | None = None,
        sheet: str | None = None,
        row: int | None = None,
        column: str | None = None,
        value: Any = None,
        country: str | None = None,
        item: str | None = None,
    ) -> None:
        self.reason = message
        self.file = None if file is None else str(file)
        self.sheet = sheet
        self.row = row
        self.column = column
        self.value = value
        self.country = country
        self.item = item
        super().__init__(self._compose())

    def _compose(self) -> str:
        parts: list[str] = []
        if self.file is not None:
            parts.append(f"file '{self.file}'")
        if self.sheet is not None:
            parts.append(f"sheet '{self.sheet}'")
        if self.sheet is not None and self.row is not None and self.column is not None:
            parts.append(f"cell {self.column}{self.row}")
        else:
            if self.row is not None:
                parts.append(f"row {self.row}")
            if self.column is not None:
                parts.append(f"column '{self.column}'")
        if self.item is not None:
            parts.append(f"item {self.item}")
        if self.country is not None:
            parts.append(f"country {self.country}")
        where = ", ".join(parts)
        reason = _shorten(self.reason)
        return f"{where}: {reason}" if where else reason

    def location(self) -> dict[str, Any]:
        """The location parts as a dict (for rejection reports)."""
        return {
            "file": self.file,
            "sheet": self.sheet,
            "row": self.row,
            "column": self.column,
            "value": self.value,
            "country": self.country,
            "item": self.item,
        }


MAX_MESSAGE = 1_000
"""Longest message text: a value of megabytes is quoted by its start and end."""


def _shorten(text: str) -> str:
    if len(text) <= MAX_MESSAGE:
        return text
    half = MAX_MESSAGE // 2
    return f"{text[:half]}[... {len(text) - 2 * half:,} characters ...]{text[-half:]}"


class ValidationError(InputError):
    """A table or file that breaks the rules of its data structure.

    ``report`` holds every problem found (one row per problem), not just the first.
    """

    def __init__(self, message: str, *, report: Any = None, **where: Any) -> None:
        self.report = report
        super().__init__(message, **where)


class ConfigurationError(MigdataError, ValueError):
    """An option or parameter that makes no sense (unknown method, bad threshold, ...)."""


class ModelError(MigdataError, ArithmeticError):
    """A model that cannot be estimated from the data given (e.g. a disconnected graph)."""


class DependencyError(MigdataError, ImportError):
    """An optional dependency is missing; the message says what to install."""
