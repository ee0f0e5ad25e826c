"""Figures of mirror statistics (matplotlib Figures, never shown): CC1 heatmap of pairs,
adjustment factors with intervals, reported versus harmonised flows of one country.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.colors import TwoSlopeNorm
from matplotlib.figure import Figure
from matplotlib.ticker import FixedLocator, FuncFormatter, NullLocator

from migdata._checks import check_instance, public
from migdata.errors import InputError
from migdata.mirror.eurostat import resolve_countries
from migdata.mirror.indicators import pair_indicators
from migdata.mirror.reconcile import Reconciliation
from migdata.mirror.table import MirrorTable

__all__ = ["cc1_heatmap", "factor_plot", "flows_plot", "interval_plot"]

_LOG_TICKS = [0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 20, 50, 100]


def _one_year(frame: pd.DataFrame, year: int | None) -> tuple[pd.DataFrame, int]:
    years = sorted(frame["year"].unique())
    if year is None:
        if len(years) != 1:
            raise InputError(f"the data hold years {years}: pass year=")
        year = int(years[0])
    out = frame.loc[(frame["year"] == year) & (frame["sex"] == "_T") & (frame["age"] == "_T")]
    if out.empty:
        raise InputError(f"no totals (sex _T, age _T) for year {year}; years present: {years}")
    return out, int(year)


_FINE_TICKS = [0.5, 0.6, 0.7, 0.8, 0.9, 1, 1.1, 1.2, 1.3, 1.4, 1.5, 1.75, 2, 2.5, 3, 4, 5]


def _ticks_within(low: float, high: float) -> list[float]:
    """Log-axis ticks: the coarse 1-2-5 series, or finer steps when a narrow range would
    otherwise show fewer than three ticks."""
    coarse = [t for t in _LOG_TICKS if low <= t <= high]
    if len(coarse) >= 3:
        return coarse
    fine = [t for t in _FINE_TICKS if low <= t <= high]
    while len(fine) > 7:
        fine = fine[::2]
    return fine if len(fine) > len(coarse) else coarse or _LOG_TICKS


@public
def cc1_heatmap(
    table: MirrorTable, year: int | None = None, *, all_countries: bool = False
) -> Figure:
    """Heatmap of signed CC1 = (I - E) / mean: origins (emigration reporters) x destinations.

    Red cells: the destination reports more immigrants than the origin reports emigrants
    (the usual emigration undercount); blue: the reverse; light grey: one side missing;
    black diagonal: a country with itself. The colour scale is centred on 0 and fitted to the
    data (the largest absolute CC1 shown, rounded up to a tenth; the full range is -2 to 2); each
    cell carries its value when at most 30 countries are drawn. Only countries with at least
    one pair reported on both sides that year are drawn unless ``all_countries``.

    Examples
    --------
    >>> t = MirrorTable.from_eurostat(pd.DataFrame({"Year": [2015, 2015],
    ...     "Sending_iso2": ["IT", "ES"], "Receiving_iso2": ["ES", "IT"],
    ...     "Emig": [5003, 2000], "Immi": [17350, 1500]}))
    >>> type(cc1_heatmap(t)).__name__
    'Figure'
    """
    check_instance(table, MirrorTable, "table", "build one with MirrorTable.from_eurostat")
    ind, year = _one_year(pair_indicators(table), year)
    shown = ind if all_countries else ind.loc[ind["reported_by"] == "both"]
    countries = sorted(set(shown["origin"]) | set(shown["destination"]))
    grid = ind.pivot_table(index="origin", columns="destination", values="cc1", aggfunc="first")
    grid = grid.reindex(index=countries, columns=countries)
    n = len(countries)
    size = max(5.0, 0.32 * n + 2.5)
    fig = Figure(figsize=(size + 1.2, size))
    ax = fig.add_subplot()
    ax.set_facecolor("#d9d9d9")
    values = grid.to_numpy(float)
    off_diagonal = values[~np.eye(n, dtype=bool)] if n else values.ravel()
    largest = float(np.nanmax(np.abs(off_diagonal))) if np.isfinite(off_diagonal).any() else 0
    limit = min(2.0, max(0.1, float(np.ceil(largest * 10 - 1e-9) / 10)))
    image = ax.imshow(
        np.ma.masked_invalid(values),
        cmap="RdBu_r",
        norm=TwoSlopeNorm(vcenter=0.0, vmin=-limit, vmax=limit),
        interpolation="nearest",
    )
    if n <= 30:  # the numbers themselves, readable on every colour
        for (i, j), v in np.ndenumerate(values):
            if i != j and np.isfinite(v):
                colour = "white" if abs(v) > 0.6 * limit else "black"
                size = 7 if n <= 15 else 5
                ax.text(j, i, f"{v:.2f}", ha="center", va="center", fontsize=size, color=colour)
    diagonal = np.ma.masked_where(~np.eye(n, dtype=bool), np.ones((n, n)))
    ax.imshow(diagonal, cmap="gray", vmin=0, vmax=10, interpolation="nearest")
    ax.set_xticks(range(n), countries, rotation=90, fontsize=8)
    ax.set_yticks(range(n), countries, fontsize=8)
    ax.set_xlabel("destination j (reports immigration I_ij)")
    ax.set_ylabel("origin i (reports emigration E_ij)")
    ax.set_title(
        f"Mirror asymmetry CC1 = (I - E) / ((I + E)/2), {year}\n"
        "grey: a side not reported; black: same country"
    )
    cbar = fig.colorbar(image, ax=ax, shrink=0.8)
    cbar.set_label("CC1  (> 0: immigration larger, < 0: emigration larger)")
    fig.tight_layout()
    return fig


def factor_plot(result: Reconciliation, year: int | None = None) -> Figure:
    """Adjustment factors with their intervals, one panel per side, log scale.

    Dots are factors, bars the intervals of the result (standard-error or bootstrap); the
    reference country's immigration factor (fixed at 1) is drawn as a black diamond; the
    dashed line marks 1 (as good as the reference).

    Examples
    --------
    >>> from migdata.mirror.reconcile import reconcile
    >>> t = MirrorTable.from_eurostat(pd.DataFrame({"Year": 2015,
    ...     "Sending_iso2": ["SE", "DK", "FI", "SE", "DK"],
    ...     "Receiving_iso2": ["DK", "FI", "SE", "FI", "SE"],
    ...     "Emig": [50, 80, 30, 40, 90], "Immi": [100, 80, 60, 45, 170]}))
    >>> type(factor_plot(reconcile(t, "log-ls", reference="SE"))).__name__
    'Figure'
    """
    f, year = _one_year(result.factors, year)
    f = f.loc[f["status"] != "not estimable"]
    countries = sorted(f["country"].unique())
    interval = "bootstrap" if result.bootstrap else "standard-error"
    fig = Figure(figsize=(9, max(3.5, 0.3 * len(countries) + 1.5)))
    axes = fig.subplots(1, 2, sharey=True)
    y = {c: k for k, c in enumerate(countries)}
    for ax, side, label in (
        (axes[0], "immigration", "immigration factor r_j"),
        (axes[1], "emigration", "emigration factor s_i"),
    ):
        part = f.loc[f["side"] == side]
        pos = part["country"].map(y).to_numpy(float)
        lo = (part["factor"] - part["ci_low"]).clip(lower=0).to_numpy(float)
        hi = (part["ci_high"] - part["factor"]).clip(lower=0).to_numpy(float)
        ref = (part["status"] == "reference").to_numpy()
        ax.errorbar(
            part["factor"].to_numpy(float)[~ref],
            pos[~ref],
            xerr=np.vstack([lo, hi])[:, ~ref],
            fmt="o",
            color="tab:blue",
            ecolor="tab:blue",
            capsize=2,
            label=f"factor, {interval} interval",
        )
        if ref.any():
            ax.plot(part["factor"].to_numpy(float)[ref], pos[ref], "D", color="black",
                    label=f"reference {result.reference} (fixed at 1)")  # fmt: skip
        ax.axvline(1.0, color="grey", linestyle="--", linewidth=1)
        ax.set_xscale("log")
        ax.xaxis.set_major_locator(FixedLocator(_ticks_within(*ax.get_xlim())))
        ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
        ax.xaxis.set_minor_locator(NullLocator())
        ax.set_xlabel(label + " (log scale)")
        ax.grid(axis="x", alpha=0.3)
        ax.legend(loc="lower right", fontsize=7)
    axes[0].set_yticks(range(len(countries)), countries, fontsize=8)
    axes[0].invert_yaxis()
    fig.suptitle(
        f"Adjustment factors ({result.method.value}, {year}): adjusted = factor x reported"
    )
    fig.tight_layout()
    return fig


def flows_plot(
    result: Reconciliation,
    country: str,
    *,
    side: str = "emigration",
    year: int | None = None,
    by: str = "partner",
) -> Figure:
    """Reported versus harmonised flows of one country, by partner (one year) or by year.

    ``side="emigration"``: flows out of ``country``, showing its own reported emigration,
    the partners' reported immigration from it, and the harmonised flow; ``"immigration"``:
    flows into it. ``by="year"`` sums over the pairs with both sides reported in each year.

    Examples
    --------
    >>> from migdata.mirror.reconcile import reconcile
    >>> t = MirrorTable.from_eurostat(pd.DataFrame({"Year": 2015,
    ...     "Sending_iso2": ["SE", "DK", "FI", "SE", "DK"],
    ...     "Receiving_iso2": ["DK", "FI", "SE", "FI", "SE"],
    ...     "Emig": [50, 80, 30, 40, 90], "Immi": [100, 80, 60, 45, 170]}))
    >>> type(flows_plot(reconcile(t, "log-ls", reference="SE"), "SE")).__name__
    'Figure'
    """
    code = resolve_countries(pd.Series([country])).iloc[0]
    if pd.isna(code):
        raise InputError(f"unknown country {country!r}")
    if side not in ("emigration", "immigration"):
        raise InputError(f"side must be 'emigration' or 'immigration', got {side!r}")
    flows = result.flows.loc[(result.flows["sex"] == "_T") & (result.flows["age"] == "_T")]
    own, partner = ("origin", "destination") if side == "emigration" else ("destination", "origin")
    flows = flows.loc[flows[own] == code]
    if flows.empty:
        raise InputError(f"no {side} flows of {code} in the reconciliation")
    if by == "partner":
        flows, year = _one_year(flows, year)
        data = flows.set_index(partner)[["emigration", "immigration", "harmonised"]].sort_index()
        data = data.dropna(how="all")
        xlabel = "partner country"
        title = f"{code} {side} by partner, {year}"
    elif by == "year":
        both = flows.loc[flows["reported_by"] == "both"]
        data = both.groupby("year")[["emigration", "immigration", "harmonised"]].sum()
        xlabel = "year"
        title = f"{code} {side}, sum over partners reporting both sides"
    else:
        raise InputError(f"by must be 'partner' or 'year', got {by!r}")
    own_label = (
        "reported emigration (by origin)"
        if side == "emigration"
        else "reported emigration (by partners)"
    )
    other_label = (
        "reported immigration (by partners)"
        if side == "emigration"
        else "reported immigration (by destination)"
    )
    fig = Figure(figsize=(max(7.0, 0.45 * len(data) + 2), 4.8))
    ax = fig.add_subplot()
    x = np.arange(len(data))
    width = 0.27
    ax.bar(x - width, data["emigration"], width, label=own_label, color="tab:orange")
    ax.bar(x, data["immigration"], width, label=other_label, color="tab:blue")
    ax.bar(x + width, data["harmonised"], width, label=f"harmonised ({result.method.value})",
           color="black")  # fmt: skip
    ax.set_xticks(x, [str(v) for v in data.index], rotation=90 if by == "partner" else 0)
    ax.set_xlabel(xlabel)
    ax.set_ylabel("persons")
    ax.set_title(title + "\n(no bar: that side not reported)", fontsize=10)
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:,.0f}"))
    ax.legend(fontsize=8, loc="upper center", bbox_to_anchor=(0.5, -0.28), ncol=3, frameon=False)
    ax.grid(axis="y", alpha=0.3)
    fig.tight_layout()
    return fig


def interval_plot(result: Reconciliation, corridors: list[tuple[str, str]] | None = None, *,
                  max_panels: int = 12) -> Figure:  # fmt: skip
    """Reported sides versus the estimated true flow and its interval, one panel per corridor.

    For a reconciliation with intervals (``method="bayes"``): each panel shows, by year,
    the emigration reported by the origin, the immigration reported by the destination, the
    posterior median (line) and the interval (``lower``-``upper``, band). Without
    ``corridors`` the largest corridors (by estimated flow) are shown, at most
    ``max_panels``, favouring a mix of both-sided, one-sided and unreported ones.

    Examples
    --------
    >>> rec = reconcile(table, "bayes", reference="SE")  # doctest: +SKIP
    >>> interval_plot(rec, [("SE", "FI"), ("PL", "IT")])  # doctest: +SKIP
    <Figure size ...>
    """
    flows = result.flows
    if "lower" not in flows.columns:
        raise InputError("the reconciliation has no intervals (lower/upper): use "
                         "method='bayes'")  # fmt: skip
    flows = flows.loc[(flows["sex"] == "_T") & (flows["age"] == "_T")]
    if corridors is None:
        size = flows.groupby(["origin", "destination", "sides"])["harmonised"].sum()
        size = size.reset_index().sort_values("harmonised", ascending=False)
        # The largest corridors of each kind of reporting, in turn.
        size["rank"] = size.groupby("sides").cumcount()
        pairs = (size.sort_values(["rank", "harmonised"], ascending=[True, False])
                 [["origin", "destination"]].drop_duplicates())  # fmt: skip
        chosen = [tuple(p) for p in pairs.head(max_panels).to_numpy()]
    else:
        chosen = []
        for o, d in corridors:
            codes = resolve_countries(pd.Series([o, d]))
            if codes.isna().any():
                raise InputError(f"unknown country in corridor {(o, d)!r}")
            chosen.append((str(codes.iloc[0]), str(codes.iloc[1])))
    if not chosen:
        raise InputError("no corridor to plot")
    ncol = min(3, len(chosen))
    nrow = -(-len(chosen) // ncol)
    fig = Figure(figsize=(4.2 * ncol, 2.9 * nrow + 0.6))
    axes = fig.subplots(nrow, ncol, squeeze=False)
    for ax, (o, d) in zip(axes.ravel(), chosen, strict=False):
        f = flows.loc[(flows["origin"] == o) & (flows["destination"] == d)].sort_values("year")
        if f.empty:
            raise InputError(f"no flows of corridor {o} -> {d} in the reconciliation")
        yr = f["year"].to_numpy()
        ax.fill_between(yr, f["lower"], f["upper"], color="0.8", label="interval")
        ax.plot(yr, f["harmonised"], color="black", lw=1.5, label="estimate (median)")
        ax.plot(yr, f["emigration"], "o", color="tab:orange", ms=4,
                label="emigration reported by origin")  # fmt: skip
        ax.plot(yr, f["immigration"], "s", color="tab:blue", ms=4,
                label="immigration reported by destination")  # fmt: skip
        ax.set_title(f"{o} -> {d}", fontsize=9)
        ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:,.0f}"))
        ax.tick_params(labelsize=7)
        ax.grid(alpha=0.3)
    for ax in axes.ravel()[len(chosen):]:
        ax.set_visible(False)
    handles, labels = axes[0, 0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="lower center", ncol=4, fontsize=8, frameon=False)
    pct = round(100 * result.level)
    fig.suptitle(f"Reported sides and estimated true flows with {pct}% intervals "
                 f"({result.method.value})", fontsize=10)  # fmt: skip
    fig.tight_layout(rect=(0, 0.06, 1, 0.97))
    return fig
