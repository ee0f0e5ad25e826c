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

from migdata._checks import public
from migdata._resources import data_path
from migdata.errors import ConfigurationError, InputError

__all__ = [
    "DURATION_TABLES",
    "PERMANENT_MONTHS",
    "correct_duration",
    "duration_factor",
    "duration_table",
]

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
    numeric = np.array(pd.to_numeric(text.where(~is_perm), errors="coerce"), dtype=float, copy=True)
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


@public
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


@public
def correct_duration(
    table: pd.DataFrame,
    months: Any,
    *,
    table_name: str = "imem",
    target_months: float = 12,
    value_column: str = "obs_value",
) -> pd.DataFrame:
    """Apply the duration correction R(d) to a table of flows.

    ``obs_value`` is multiplied by ``R(months) / R(target_months)`` (the 12-month flow when
    the target is 12 months; the six-month flow for the UN 2021 six-months-and-one-day
    rule). The factor is multiplied into ``adjustment``, ``reported_value`` keeps the value
    before any adjustment, ``provenance`` records the factor and ``obs_status`` becomes
    ``"E"`` (estimated) on corrected rows. Rows whose threshold is missing are left as they
    are and say so in ``provenance``.

    Parameters
    ----------
    table
        A harmonised table, or any table with the value column.
    months
        The threshold the figures were counted under: a number or ``"permanent"`` for the
        whole table, the name of a column holding it per row, or an array/Series aligned
        with the rows.
    table_name
        Factor table (see :func:`duration_factor`).
    target_months
        Threshold of the target definition (12, or 6 for six months and one day).
    value_column
        Column to correct.

    Returns
    -------
    DataFrame
        A corrected copy (the input is not modified).

    Raises
    ------
    InputError
        The value column is missing, or a threshold is unreadable or negative.

    Examples
    --------
    >>> t = pd.DataFrame({"obs_value": [962.0, 100.0]})
    >>> out = correct_duration(t, months=3)
    >>> out["obs_value"].round(2).tolist(), out["adjustment"].tolist()
    ([606.06, 63.0], [0.63, 0.63])
    >>> print(out.loc[0, "provenance"])
    duration correction x0.630 = R(3 months)/R(12 months) (imem)
    """
    if value_column not in table.columns:
        raise InputError(
            f"expected a column {value_column!r} to correct, got columns "
            f"{', '.join(map(str, table.columns))}",
            column=value_column,
        )
    out = table.copy()
    if isinstance(months, str) and months in out.columns:
        per_row = out[months]
    elif np.ndim(months) == 0:
        per_row = pd.Series([months] * len(out), index=out.index, dtype=object)
    else:
        per_row = pd.Series(np.asarray(months, dtype=object), index=out.index)
    column = _table_column(table_name)
    numeric = pd.Series(_months_array(per_row.to_numpy(dtype=object)), index=out.index)
    factor = duration_factor(numeric, table=column) / duration_factor(target_months, column)
    known = factor.notna()
    values = pd.to_numeric(out[value_column], errors="coerce").astype("float64")
    if "reported_value" not in out.columns:
        out["reported_value"] = values
    previous = (
        pd.to_numeric(out["adjustment"], errors="coerce").astype("float64").fillna(1.0)
        if "adjustment" in out.columns
        else pd.Series(1.0, index=out.index)
    )
    out[value_column] = values.where(~known, values * factor)
    out["adjustment"] = previous.where(~known, previous * factor)
    # One note per distinct threshold, broadcast back (no Python work per row).
    notes = {
        m: f"duration correction x{f:.3f} = R("
        + ("permanent" if m >= PERMANENT_MONTHS else f"{m:g} months")
        + f")/R({target_months:g} months) ({column})"
        for m, f in pd.DataFrame({"m": numeric, "f": factor})[known]
        .drop_duplicates("m")
        .itertuples(index=False)
    }
    note = numeric.map(notes).astype("string")
    note = note.where(known, "no duration correction: threshold unknown")
    old = (
        out["provenance"].astype("string").fillna("")
        if "provenance" in out.columns
        else pd.Series("", index=out.index, dtype="string")
    )
    out["provenance"] = old.where(old == "", old + "; ") + note
    if "obs_status" in out.columns or known.any():
        status = (
            out["obs_status"].astype("string")
            if "obs_status" in out.columns
            else pd.Series(pd.NA, index=out.index, dtype="string")
        )
        out["obs_status"] = status.where(~(known & (factor != 1.0)), "E")
    return out
