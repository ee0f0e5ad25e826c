"""Asymmetry indicators of mirror flows: I/E ratio, difference, log ratio and the ESS CC1
coefficient per pair, country aggregates over pairs reported by both sides, yearly summaries.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from migdata._checks import check_instance, public
from migdata.mirror.table import KEY, MirrorTable
from migdata.quality.indicators import cc1

__all__ = ["country_aggregates", "pair_indicators", "year_summary"]

_CELL = ["year", "sex", "age"]


def _cc1(immigration: Any, emigration: Any) -> np.ndarray:
    """Signed CC1 as a float array (the ESS QPI of :func:`migdata.quality.indicators.cc1`)."""
    return np.asarray(cc1(np.asarray(immigration, float), np.asarray(emigration, float)), float)


def _ratio(numerator: Any, denominator: Any) -> np.ndarray:
    n = np.asarray(numerator, dtype=float)
    d = np.asarray(denominator, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        # A ratio against a zero is not an asymmetry that can be measured: NaN, not inf.
        return np.where((n > 0) & (d > 0), n / d, np.where((n == 0) & (d > 0), 0.0, np.nan))


@public
def pair_indicators(table: MirrorTable) -> pd.DataFrame:
    """Asymmetry indicators per pair and year (sex, age).

    Columns: the key, ``emigration``, ``immigration``, ``reported_by``, ``ratio`` (I/E),
    ``difference`` (I - E), ``log_ratio`` (log I/E), ``cc1`` ((I - E) / mean, in [-2, 2]) and
    ``abs_cc1``. Indicators are NA unless both sides are reported; the ratio and log ratio
    are NA when a side is 0 (CC1 still exists then).

    Examples
    --------
    >>> t = MirrorTable.from_eurostat(pd.DataFrame({"Year": [2015], "Sending_iso2": ["IT"],
    ...     "Receiving_iso2": ["ES"], "Emig": [5003], "Immi": [17350]}))
    >>> row = pair_indicators(t).iloc[0]
    >>> round(float(row.ratio), 3), float(row.difference), round(float(row.cc1), 3)
    (3.468, 12347.0, 1.105)
    """
    check_instance(table, MirrorTable, "table", "build one with MirrorTable.from_eurostat")
    d = table.data
    out = d[[*KEY, "emigration", "immigration", "reported_by"]].copy()
    i, e = out["immigration"].to_numpy(float), out["emigration"].to_numpy(float)
    ratio = _ratio(i, e)
    out["ratio"] = ratio
    out["difference"] = i - e
    with np.errstate(divide="ignore"):
        out["log_ratio"] = np.where(ratio > 0, np.log(ratio), np.nan)
    out["cc1"] = _cc1(i, e)
    out["abs_cc1"] = np.abs(out["cc1"])
    return out


@public
def country_aggregates(table: MirrorTable) -> pd.DataFrame:
    """Each country's reported totals against its partners' mirror figures, by year.

    Only pairs reported by both sides enter, otherwise a missing partner figure would look
    like asymmetry. ``side = "immigration"``: the country as destination, its reported
    immigration against the partners' reported emigration to it; ``side = "emigration"``:
    the country as origin, its emigration against the partners' immigration from it. The
    ratio is always I/E and CC1 always (I - E) / mean, so a positive CC1 on the emigration
    side means the country reports fewer emigrants than its partners see arriving.

    Examples
    --------
    >>> t = MirrorTable.from_eurostat(pd.DataFrame({"Year": [2015, 2015, 2015],
    ...     "Sending_iso2": ["IT", "FR", "DE"], "Receiving_iso2": ["ES", "ES", "ES"],
    ...     "Emig": [5003, 100, None], "Immi": [17350, 100, 7]}))
    >>> agg = country_aggregates(t)
    >>> agg.query("country == 'ESP'")[["n_pairs", "immigration"]].values.tolist()
    [[2.0, 17450.0]]
    """
    check_instance(table, MirrorTable, "table", "build one with MirrorTable.from_eurostat")
    both = table.both_sides()
    parts = []
    for side, role in (("immigration", "destination"), ("emigration", "origin")):
        g = both.groupby([*_CELL, role], observed=True, sort=True)
        agg = g.agg(
            n_pairs=("immigration", "size"),
            immigration=("immigration", "sum"),
            emigration=("emigration", "sum"),
        ).reset_index()
        parts.append(agg.rename(columns={role: "country"}).assign(side=side))
    out = pd.concat(parts, ignore_index=True)
    out["ratio"] = _ratio(out["immigration"], out["emigration"])
    out["cc1"] = _cc1(out["immigration"], out["emigration"])
    out["abs_cc1"] = np.abs(out["cc1"])
    cols = ["year", "sex", "age", "country", "side", "n_pairs", "immigration", "emigration"]
    out = out[[*cols, "ratio", "cc1", "abs_cc1"]]
    return out.sort_values(["year", "sex", "age", "side", "country"]).reset_index(drop=True)


@public
def year_summary(table: MirrorTable) -> pd.DataFrame:
    """Coverage and asymmetry by year (and sex, age).

    Columns: counts of pairs by reporter (``both``, ``origin_only``, ``destination_only``,
    ``none``), ``reporters_both`` (countries with at least one pair reported on both sides),
    totals of I and E over pairs with both sides, their ratio, mean and median ``|CC1|`` and the
    median log ratio.

    Examples
    --------
    >>> t = MirrorTable.from_eurostat(pd.DataFrame({"Year": [2015, 2015],
    ...     "Sending_iso2": ["IT", "FR"], "Receiving_iso2": ["ES", "ES"],
    ...     "Emig": [5003, 10], "Immi": [17350, None]}))
    >>> year_summary(t)[["year", "both", "origin_only", "reporters_both"]].values.tolist()
    [[2015, 1, 1, 2]]
    """
    check_instance(table, MirrorTable, "table", "build one with MirrorTable.from_eurostat")
    ind = pair_indicators(table)
    counts = (
        pd.crosstab([ind["year"], ind["sex"], ind["age"]], ind["reported_by"])
        .reindex(columns=["both", "origin only", "destination only", "none"], fill_value=0)
        .rename(columns={"origin only": "origin_only", "destination only": "destination_only"})
    )
    counts.columns.name = None
    both = ind.loc[ind["reported_by"] == "both"]
    g = both.groupby(_CELL, observed=True)
    stats = g.agg(
        immigration=("immigration", "sum"),
        emigration=("emigration", "sum"),
        mean_abs_cc1=("abs_cc1", "mean"),
        median_abs_cc1=("abs_cc1", "median"),
        median_log_ratio=("log_ratio", "median"),
    )
    reporters = pd.concat(
        [both[[*_CELL, "origin"]].set_axis([*_CELL, "c"], axis=1),
         both[[*_CELL, "destination"]].set_axis([*_CELL, "c"], axis=1)]
    ).drop_duplicates().groupby(_CELL, observed=True).size().rename("reporters_both")  # fmt: skip
    out = counts.join(reporters).join(stats)
    out["reporters_both"] = out["reporters_both"].fillna(0).astype("int64")
    out.insert(
        out.columns.get_loc("emigration") + 1,
        "ratio",
        _ratio(out["immigration"], out["emigration"]),
    )
    return out.reset_index()
