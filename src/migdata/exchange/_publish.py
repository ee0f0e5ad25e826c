"""Numbers fit to publish: counts as integers, estimates rounded, optional controlled rounding.

Every exchange writer already removes float noise (values are written with at most 15
significant digits, so ``436.17999999999995`` is written ``436.18``) and sets the SDMX
``DECIMALS`` attribute to the decimals each value is written with. :func:`round_for_publication`
goes further for publication: estimates are rounded to a fixed number of decimals.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from migdata.errors import ConfigurationError
from migdata.exchange import _frame

__all__ = ["round_for_publication"]

ROUNDING_METHODS = ("standard", "controlled")
_GROUP = ["measure", "ref_area", "counterpart_area", "counterpart_type", "age", "time_period"]


def _round_half_up(x: np.ndarray, decimals: int) -> np.ndarray:
    scale = 10.0**decimals
    return np.sign(x) * np.floor(np.abs(x) * scale + 0.5) / scale


def round_for_publication(
    table: pd.DataFrame, decimals: int = 0, rounding: str = "standard"
) -> pd.DataFrame:
    """Round a harmonised table for publication and record the decimals of each value.

    Counts (values that are whole numbers) stay integers with ``DECIMALS`` 0; every other value
    (estimates: reconciled, duration-corrected or model flows) is rounded half away from
    zero to ``decimals`` decimals and marked with ``DECIMALS`` = ``decimals``. The result
    carries a ``decimals`` column that the writers put in the SDMX ``DECIMALS`` attribute.
    ``UNIT_MULT`` is not used: values are always in units (persons or documents).

    Parameters
    ----------
    table
        Harmonised table.
    decimals
        Decimals of estimates (0 to 15; default 0, whole persons).
    rounding
        ``"standard"`` rounds each value on its own. ``"controlled"`` keeps totals: where the
        male, female (and unknown-sex) values of a key add up to its ``_T`` value before
        rounding, the total is rounded as usual and the parts are rounded down, then the
        units left over (in steps of ``10**-decimals``) go to the parts with the largest
        remainders (the largest-remainder method), so the rounded parts add up to the
        rounded total. Each part moves by less than one unit.

    Returns
    -------
    pandas.DataFrame
        A copy with rounded ``obs_value`` and a ``decimals`` column.

    Examples
    --------
    >>> t = pd.DataFrame({"measure": ["IMM"] * 3, "ref_area": ["KEN"] * 3,
    ...     "counterpart_area": ["UGA"] * 3, "counterpart_type": ["CITIZENSHIP"] * 3,
    ...     "sex": ["M", "F", "_T"], "age": ["_T"] * 3, "time_period": ["2020"] * 3,
    ...     "obs_value": [10.4, 10.4, 20.8]})
    >>> round_for_publication(t)["obs_value"].tolist()
    [10.0, 10.0, 21.0]
    >>> r = round_for_publication(t, rounding="controlled")
    >>> r["obs_value"].tolist(), r["decimals"].tolist()
    ([11.0, 10.0, 21.0], [0, 0, 0])
    """
    if rounding not in ROUNDING_METHODS:
        raise ConfigurationError(
            f"unknown rounding {rounding!r}; expected one of {', '.join(ROUNDING_METHODS)}"
        )
    if not (isinstance(decimals, int | np.integer) and 0 <= int(decimals) <= _frame.MAX_DECIMALS):
        raise ConfigurationError(
            f"decimals must be a whole number from 0 to {_frame.MAX_DECIMALS}, got {decimals!r}"
        )
    decimals = int(decimals)
    out = table.copy()
    values = _frame.clean_numbers(pd.to_numeric(out["obs_value"]).to_numpy(dtype="float64"))
    whole = np.isfinite(values) & (values == np.round(values))
    rounded = np.where(whole, values, _round_half_up(values, decimals))
    if rounding == "controlled":
        rounded = _controlled(out, values, rounded, decimals)
    out["obs_value"] = _frame.clean_numbers(rounded)
    places = np.where(whole, 0, decimals)
    out["decimals"] = pd.Series(places, index=out.index, dtype="Int64").mask(np.isnan(values))
    return out


def _controlled(
    table: pd.DataFrame, values: np.ndarray, rounded: np.ndarray, decimals: int
) -> np.ndarray:
    """Largest-remainder rounding of sex breakdowns that add up to their total."""
    keys = [c for c in _GROUP if c in table.columns]
    for extra in ("reason", "validity"):
        if extra in table.columns:
            keys.append(extra)
    sex = table["sex"].astype("str").to_numpy()
    frame = table[keys].astype("str").reset_index(drop=True)
    group = frame.groupby(keys, sort=False, dropna=False).ngroup().to_numpy()
    n_groups = int(group.max()) + 1 if len(group) else 0
    is_total = sex == "_T"
    is_part = np.isin(sex, ["M", "F", "_U"]) & np.isfinite(values)
    total = np.full(n_groups, np.nan)
    total[group[is_total]] = values[is_total]
    total_rounded = np.full(n_groups, np.nan)
    total_rounded[group[is_total]] = rounded[is_total]
    part_sum = np.bincount(group[is_part], weights=values[is_part], minlength=n_groups)
    n_parts = np.bincount(group[is_part], minlength=n_groups)
    additive = (
        np.isfinite(total)
        & (n_parts > 0)
        & (np.abs(part_sum - total) <= 1e-6 * np.maximum(1.0, np.abs(total)))
    )
    rows = is_part & additive[group]
    if not rows.any():
        return rounded
    scale = 10.0**decimals
    scaled = values[rows] * scale
    floor = np.floor(scaled + 1e-9)
    remainder = scaled - floor
    g = group[rows]
    target = np.round(total_rounded[g] * scale)
    short = target - np.bincount(g, weights=floor, minlength=n_groups)[g]
    # Rank the parts of each group by remainder (largest first, then input order).
    order = np.lexsort((np.arange(len(g)), -remainder, g))
    rank = np.empty(len(g), dtype=np.int64)
    starts = np.r_[0, np.flatnonzero(np.diff(g[order])) + 1]
    sizes = np.diff(np.r_[starts, len(g)])
    rank[order] = np.arange(len(g)) - np.repeat(starts, sizes)
    result = rounded.copy()
    result[rows] = (floor + (rank < short)) / scale
    return result


def apply(table: pd.DataFrame, decimals: Any, rounding: Any) -> pd.DataFrame:
    """The writers' hook: round when ``decimals`` is given, else return the table as is."""
    if decimals is None:
        if rounding not in (None, "standard"):
            return round_for_publication(table, 0, str(rounding))
        return table
    return round_for_publication(table, decimals, str(rounding or "standard"))
