"""Duration correction factors R(d) (DOMAIN.md section 3).

A flow counted under a d-month duration threshold is multiplied by R(d) to approximate the
flow under the 12-month definition. R(12) = 1, "permanent" is coded as 60 months, values in
between are interpolated linearly. The published tables are data (``data/duration/factors.csv``).
"""

from __future__ import annotations

from functools import cache
from typing import Any

import numpy as np
import pandas as pd

from migdata._resources import data_path
from migdata.errors import ConfigurationError, InputError

__all__ = ["DURATION_TABLES", "PERMANENT_MONTHS", "duration_factor", "duration_table"]

PERMANENT_MONTHS = 60
"""Months used to code a "permanent" (no time limit / settlement) duration definition."""

_TABLE_ALIASES = {
    "imem": "imem",
    "willekens": "willekens_expert",
    "expert": "willekens_expert",
    "willekens_expert": "willekens_expert",
    "poisson": "willekens_poisson",
    "willekens_poisson": "willekens_poisson",
    "mixture": "willekens_mixture",
    "willekens_mixture": "willekens_mixture",
}
DURATION_TABLES = ("imem", "willekens_expert", "willekens_poisson", "willekens_mixture")
"""Names of the published factor tables (``"willekens"`` is short for ``"willekens_expert"``)."""


@cache
def _points() -> pd.DataFrame:
    return pd.read_csv(data_path("duration", "factors.csv"), comment="#")


def duration_table() -> pd.DataFrame:
    """The published duration correction factors, one column per table.

    Examples
    --------
    >>> duration_table().loc[lambda t: t.months == 3, "imem"].item()
    0.63
    """
    return _points().copy()


def _table_column(table: str) -> str:
    key = str(table).strip().lower().replace("-", "_").replace(" ", "_")
    if key not in _TABLE_ALIASES:
        raise ConfigurationError(
            f"unknown duration table {table!r}; expected one of {', '.join(DURATION_TABLES)}"
        )
    return _TABLE_ALIASES[key]


def _months_array(months: Any) -> np.ndarray:
    """Months as float array; 'permanent' -> 60, None/NaN -> NaN; negative -> error."""
    values = pd.Series(np.atleast_1d(np.asarray(months, dtype=object)).ravel(), dtype=object)
    text = values.map(lambda v: v.strip().lower() if isinstance(v, str) else v)
    is_perm = text.isin(["permanent", "perm", "settlement"]).to_numpy()
    numeric = np.array(
        pd.to_numeric(text.where(~is_perm), errors="coerce"), dtype=float, copy=True
    )
    numeric[is_perm] = PERMANENT_MONTHS
    bad = np.isnan(numeric) & ~pd.isna(values).to_numpy() & ~is_perm
    if bad.any():
        first = values[bad].iloc[0]
        raise InputError(
            f"expected a duration in months (0-60) or 'permanent', got {first!r}", value=first
        )
    if (numeric < 0).any():
        first = numeric[numeric < 0][0]
        raise InputError(f"expected a duration of 0 months or more, got {first}", value=first)
    return numeric


def duration_factor(months: Any, table: str = "imem") -> Any:
    """Correction factor R(d) for a flow counted under a ``months``-month threshold.

    Parameters
    ----------
    months
        Duration threshold in months (0 = no minimum; 60 or ``"permanent"`` = permanent
        only). A scalar, array or Series; missing values give NaN. Values above 60 count as
        permanent.
    table
        ``"imem"`` (IMEM posterior, default), ``"willekens_expert"`` (or ``"willekens"``),
        ``"willekens_poisson"`` or ``"willekens_mixture"``.

    Returns
    -------
    float, numpy array or Series (same shape and index as ``months``)

    Raises
    ------
    InputError
        A negative or unreadable duration.
    ConfigurationError
        An unknown table name.

    Examples
    --------
    >>> duration_factor(12)
    1.0
    >>> round(962 * duration_factor(3), 2)  # QuantMig worked check, Austria 2002
    606.06
    >>> duration_factor("permanent", table="willekens")
    1.61
    >>> round(duration_factor(9), 3)  # halfway between 6 (0.73) and 12 (1.00)
    0.865
    """
    column = _table_column(table)
    points = _points()
    arr = _months_array(months)
    out = np.interp(np.minimum(arr, PERMANENT_MONTHS), points["months"], points[column])
    out[np.isnan(arr)] = np.nan
    if isinstance(months, pd.Series):
        return pd.Series(out, index=months.index, name="duration_factor")
    if np.ndim(months) == 0:
        return float(out[0])
    return out.reshape(np.shape(months))
