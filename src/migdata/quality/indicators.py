"""ESS quality and performance indicators (QPIs) as pure functions on numbers and arrays.

CC1 mirror asymmetry, CC2 length of comparable series, R1 data completeness, AC3 metadata
completeness, TP1 time lag and TP3 punctuality (ESS QPI definitions, DOMAIN.md section 4).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np
import pandas as pd

from migdata.errors import InputError

__all__ = ["ac3", "cc1", "cc1_from_ratio", "cc2", "r1", "tp1", "tp3"]


def _as_float(values: Any, name: str) -> Any:
    """Values as a float ndarray (or float Series keeping its index); text is an error."""
    if isinstance(values, pd.Series):
        out = pd.to_numeric(values, errors="coerce").astype("float64")
        bad = out.isna() & values.notna()
        if bad.any():
            first = values[bad].iloc[0]
            raise InputError(f"expected numbers for {name}, got {first!r}", value=first)
        return out
    try:
        return np.asarray(values, dtype=float)
    except (TypeError, ValueError) as err:
        raise InputError(f"expected numbers for {name}, got {values!r}", value=values) from err


def _unwrap(result: Any, scalar: bool) -> Any:
    return float(result) if scalar else result


def cc1(immigration: Any, emigration: Any, absolute: bool = False) -> Any:
    """ESS QPI CC1: asymmetry of mirror flows, (I - E) / ((I + E) / 2).

    ``I`` is immigration from i to j reported by the receiving country j, ``E`` the same
    flow reported as emigration by the sending country i. The value lies in [-2, 2]
    (positive: the receiving side counts more). Vectorised over scalars, arrays and
    Series (a Series keeps its index).

    Parameters
    ----------
    immigration, emigration
        Flows reported by the receiving and the sending country; same shape.
    absolute
        Return ``|CC1|`` instead of the signed value.

    Returns
    -------
    float, ndarray or Series
        NaN where either side is missing or both are zero.

    Raises
    ------
    InputError
        A negative flow or a value that is not a number.

    Examples
    --------
    >>> round(cc1(17350, 5003), 4)  # 2015 Italy -> Spain, Eurostat
    1.1047
    >>> cc1([100, 0, None], [50, 0, 10], absolute=True)
    array([0.66666667,        nan,        nan])
    """
    scalar = np.ndim(immigration) == 0 and np.ndim(emigration) == 0
    i = _as_float(immigration, "immigration")
    e = _as_float(emigration, "emigration")
    if np.any(np.asarray(i) < 0) or np.any(np.asarray(e) < 0):
        raise InputError("expected flows of 0 or more, got a negative flow")
    mean = (i + e) / 2.0
    with np.errstate(divide="ignore", invalid="ignore"):
        out = (i - e) / mean
    # 0/0 is NaN already; a NaN side propagates; only guard x/0 (cannot happen for >=0 flows
    # unless both are zero), so the where keeps the contract explicit.
    out = out.where(mean > 0) if isinstance(out, pd.Series) else np.where(mean > 0, out, np.nan)
    if absolute:
        out = abs(out)
    return _unwrap(out, scalar)


def cc1_from_ratio(ratio: Any) -> Any:
    """``|CC1|`` from the mirror ratio ``r = E / I``: ``2 |r - 1| / (r + 1)``.

    Parameters
    ----------
    ratio
        Emigration over immigration (0 or more); scalar, array or Series.

    Returns
    -------
    float, ndarray or Series
        Equal to ``cc1(I, E, absolute=True)`` for any I > 0.

    Examples
    --------
    >>> round(cc1_from_ratio(5003 / 17350), 4)
    1.1047
    """
    scalar = np.ndim(ratio) == 0
    r = _as_float(ratio, "ratio")
    with np.errstate(divide="ignore", invalid="ignore"):
        out = 2.0 * abs(r - 1.0) / (r + 1.0)
    return _unwrap(out, scalar)


def cc2(periods: Iterable[Any], breaks: Iterable[Any] = ()) -> int:
    """ESS QPI CC2: length of the comparable time series since the last break.

    Counts the consecutive periods at the end of ``periods`` that lie on or after the last
    break: a break in year b means the series is comparable from b onwards. A gap in the
    periods (a missing year) also ends the comparable series.

    Parameters
    ----------
    periods
        Reference years with data (integers or year strings), any order.
    breaks
        Years of breaks in the series (first year of the new definition or method).

    Returns
    -------
    int
        Number of periods; 0 when there are no periods.

    Examples
    --------
    >>> cc2(range(2005, 2020), breaks=[2012])
    8
    >>> cc2([2015, 2016, 2018, 2019])  # gap in 2017
    2
    """
    years = np.unique(np.asarray([int(str(p)[:4]) for p in periods], dtype=int))
    if years.size == 0:
        return 0
    start = years[0]
    brk = [int(str(b)[:4]) for b in breaks]
    past = [b for b in brk if b <= years[-1]]
    if past:
        start = max(start, max(past))
    gaps = np.flatnonzero(np.diff(years) > 1)
    if gaps.size:
        start = max(start, years[gaps[-1] + 1])
    return int(np.count_nonzero(years >= start))


def r1(delivered: Any, required: Any | None = None) -> float:
    """ESS QPI R1: data completeness, the share of required cells actually delivered.

    Parameters
    ----------
    delivered
        Either a boolean mask / array of values where NaN means not delivered (then
        ``required`` is None and every cell is required), or a count of delivered cells.
    required
        Count of required cells, when ``delivered`` is a count.

    Returns
    -------
    float
        In [0, 1]; NaN when nothing is required.

    Examples
    --------
    >>> r1([1.0, None, 3.0, 4.0])
    0.75
    >>> r1(45, 60)
    0.75
    """
    if required is not None:
        d, n = float(delivered), float(required)
        if n < 0 or d < 0 or d > n:
            raise InputError(f"expected 0 <= delivered <= required, got {d:g} of {n:g}")
        return d / n if n else float("nan")
    arr = pd.Series(np.asarray(delivered, dtype=object).ravel())
    if arr.empty:
        return float("nan")
    mask = arr.map(lambda v: bool(v) if isinstance(v, bool | np.bool_) else pd.notna(v))
    return float(mask.mean())


def ac3(statuses: Any) -> float:
    """ESS QPI AC3: metadata completeness, applicable metadata items that were answered.

    Parameters
    ----------
    statuses
        Answer statuses of the items (``answered``, ``not_applicable``, ``dont_know``,
        ``missing``). Items not applicable leave the denominator; "don't know" and missing
        answers count as not provided.

    Returns
    -------
    float
        In [0, 1]; NaN when no item applies.

    Examples
    --------
    >>> ac3(["answered", "answered", "dont_know", "not_applicable", "missing"])
    0.5
    """
    s = pd.Series(np.asarray(statuses, dtype=object).ravel(), dtype="string")
    known = {"answered", "not_applicable", "dont_know", "missing"}
    unknown = sorted(set(s.dropna()) - known)
    if unknown:
        raise InputError(f"expected statuses {sorted(known)}, got {unknown[0]!r}")
    applicable = s != "not_applicable"
    n = int(applicable.sum())
    return float((s[applicable] == "answered").sum() / n) if n else float("nan")


def tp1(reference_end: Any, first_release: Any) -> Any:
    """ESS QPI TP1: time lag from the end of the reference period to the first release.

    Parameters
    ----------
    reference_end, first_release
        Dates (strings, datetimes, arrays or Series) of the end of the reference period and
        of the first publication.

    Returns
    -------
    float, ndarray or Series
        Lag in days (NaN where a date is missing).

    Examples
    --------
    >>> tp1("2023-12-31", "2024-06-28")
    180.0
    """
    scalar = np.ndim(reference_end) == 0 and np.ndim(first_release) == 0
    end = pd.to_datetime(reference_end, errors="raise")
    rel = pd.to_datetime(first_release, errors="raise")
    lag = rel - end
    if scalar:
        return float(lag / pd.Timedelta(days=1)) if pd.notna(lag) else float("nan")
    days = lag / pd.Timedelta(days=1)
    return days if isinstance(days, pd.Series) else np.asarray(days, dtype=float)


def tp3(scheduled: Any, actual: Any, tolerance_days: int = 0) -> dict[str, float]:
    """ESS QPI TP3: punctuality of releases against the announced release calendar.

    Parameters
    ----------
    scheduled, actual
        Announced and actual release dates, one per release (same length).
    tolerance_days
        Delay still counted as on time.

    Returns
    -------
    dict
        ``mean_delay_days`` (actual - scheduled, negative = early) and ``on_time_share``
        (releases no later than scheduled + tolerance) over releases with both dates.

    Examples
    --------
    >>> tp3(["2024-03-01", "2024-06-01"], ["2024-03-01", "2024-06-11"])
    {'mean_delay_days': 5.0, 'on_time_share': 0.5}
    """
    s = pd.to_datetime(pd.Series(np.atleast_1d(np.asarray(scheduled, dtype=object))))
    a = pd.to_datetime(pd.Series(np.atleast_1d(np.asarray(actual, dtype=object))))
    if len(s) != len(a):
        raise InputError(f"expected as many actual as scheduled dates, got {len(a)} and {len(s)}")
    delay = ((a - s) / pd.Timedelta(days=1)).dropna()
    if delay.empty:
        return {"mean_delay_days": float("nan"), "on_time_share": float("nan")}
    return {
        "mean_delay_days": float(delay.mean()),
        "on_time_share": float((delay <= tolerance_days).mean()),
    }
