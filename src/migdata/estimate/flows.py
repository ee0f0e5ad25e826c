"""Bilateral flows estimated from two stock tables by place of birth: demographic accounting
(Abel 2013; Abel and Sander 2014; Abel 2018; Abel and Cohen 2019), stock differencing and
the rates methods of Dennett (2015) and Rogers and von Rabenau (1971), after R migest.
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field
from enum import Enum
from functools import cached_property
from typing import Any

import numpy as np
import pandas as pd

from migdata.errors import ConfigurationError, InputError, ModelError
from migdata.estimate._inputs import read_regional, read_seed, read_stocks, stock_matrix
from migdata.estimate._kernel import ipf2, ipf3

__all__ = [
    "BirthMethod",
    "BirthplaceTotals",
    "DeathMethod",
    "Decrease",
    "Diagnostics",
    "FlowsFromStocks",
    "GlobalMatch",
    "StockMethod",
    "flows_from_stocks",
]


class _StrEnum(str, Enum):  # noqa: UP042 - StrEnum's __str__/_missing_ differ; kept explicit
    """An Enum that also accepts its value in any case, with ``_`` or ``-``, or an alias."""

    @classmethod
    def _aliases(cls) -> dict[str, str]:
        return {}

    @classmethod
    def _missing_(cls, value: object) -> Any:
        key = str(value).strip().lower().replace("_", "-").replace(" ", "-")
        key = cls._aliases().get(key, key)
        for member in cls:
            if key in (member.value, member.name.lower().replace("_", "-")):
                return member
        choices = ", ".join(m.value for m in cls)
        raise ConfigurationError(f"unknown {cls.__name__} {value!r}; expected {choices}")

    def __str__(self) -> str:
        return str(self.value)


class StockMethod(_StrEnum):
    """Estimation methods of :func:`flows_from_stocks` (migest ``ffs_demo``, ``ffs_diff``,
    ``ffs_rates``)."""

    DEMOGRAPHIC = "demographic"
    DIFFERENCE = "difference"
    DENNETT = "dennett"
    ROGERS_VON_RABENAU = "rogers-von-rabenau"

    @classmethod
    def _aliases(cls) -> dict[str, str]:
        return {
            "demo": "demographic",
            "ffs-demo": "demographic",
            "demographic-accounting": "demographic",
            "diff": "difference",
            "ffs-diff": "difference",
            "stock-difference": "difference",
            "stock-differencing": "difference",
            "rvr": "rogers-von-rabenau",
        }


class BirthplaceTotals(_StrEnum):
    """How the stocks by birthplace are made to agree at the two dates (migest
    ``match_birthplace_tot_method``): ``mid`` (``rescale``), ``open``, ``open-dr``."""

    MID = "mid"
    OPEN = "open"
    OPEN_DR = "open-dr"

    @classmethod
    def _aliases(cls) -> dict[str, str]:
        return {"rescale": "mid", "midpoint": "mid"}


class GlobalMatch(_StrEnum):
    """When the native-born stocks are scaled so that the world's stock change equals births
    minus deaths (migest ``match_global``); applied with ``mid`` birthplace totals only."""

    BEFORE = "before-demo-adjust"
    AFTER = "after-demo-adjust"
    NONE = "none"

    @classmethod
    def _aliases(cls) -> dict[str, str]:
        return {"before": "before-demo-adjust", "after": "after-demo-adjust"}


class BirthMethod(_StrEnum):
    """Birthplace of the births in each region (migest ``birth_mat``)."""

    NATIVE = "native"
    PROPORTION = "proportion"


class DeathMethod(_StrEnum):
    """Birthplace of the deaths in each region (migest ``death_mat``)."""

    PROPORTION = "proportion"
    ACCOUNTING = "accounting"


class Decrease(_StrEnum):
    """Stock differencing: what a fall in a bilateral stock means (migest ``ffs_diff``)."""

    RETURN = "return"
    ZERO = "zero"


@dataclass(frozen=True)
class Diagnostics:
    """How an estimate was reached: IPF convergence, the adjustments made to make the
    accounts close, and notes on what was left out or assumed."""

    converged: bool
    iterations: int
    max_deviation: float
    tol: float
    adjustments: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()

    def to_frame(self) -> pd.DataFrame:
        """One row per adjustment and note, with ``kind`` and ``text``."""
        rows = [
            (
                "convergence",
                (
                    f"converged after {self.iterations} iteration(s)"
                    if self.converged
                    else f"did NOT converge in {self.iterations} iterations"
                )
                + f"; largest margin deviation {self.max_deviation:.3g}",
            )
        ]
        rows += [("adjustment", a) for a in self.adjustments]
        rows += [("note", n) for n in self.notes]
        return pd.DataFrame(rows, columns=["kind", "text"])


@dataclass(frozen=True)
class FlowsFromStocks:
    """Result of :func:`flows_from_stocks`.

    Attributes
    ----------
    flows
        Columns ``orig``, ``dest``, ``flow``: every ordered pair of distinct regions (stayers
        excluded), sorted.
    regions
        The regions, in the order of the arrays.
    method
        The :class:`StockMethod` used.
    options
        Every option in force (names as in migest), for provenance.
    diagnostics
        :class:`Diagnostics`: convergence, adjustments, notes.
    array
        Demographic accounting only: flows by (birthplace, origin, destination), stayers on
        the origin = destination cells; else None.
    accounts
        The demographic account besides the flows (birthplace x residence arrays):
        ``births``, ``deaths``, ``into_system``/``out_of_system`` (open birthplace totals),
        ``start``/``end`` (the stocks the flows reproduce, after every adjustment).
    provenance
        Method, references, the equation used, input totals and dates when known.
    """

    flows: pd.DataFrame
    regions: tuple[str, ...]
    method: StockMethod
    options: dict[str, Any]
    diagnostics: Diagnostics
    array: np.ndarray | None = None
    accounts: dict[str, np.ndarray] = field(default_factory=dict)
    provenance: dict[str, Any] = field(default_factory=dict)

    @cached_property
    def by_birth(self) -> pd.DataFrame:
        """Flows by place of birth: ``birth``, ``orig``, ``dest``, ``flow`` (cells > 0;
        stayers where ``orig == dest``). Empty for methods without a birthplace dimension."""
        if self.array is None:
            return pd.DataFrame({"birth": [], "orig": [], "dest": [], "flow": []})
        b, o, d = np.nonzero(self.array > 0)
        names = np.asarray(self.regions, dtype=object)
        return pd.DataFrame(
            {"birth": names[b], "orig": names[o], "dest": names[d], "flow": self.array[b, o, d]}
        )

    @property
    def stayers(self) -> pd.DataFrame:
        """Persons in the same region at both dates (all birthplaces): ``region``, ``stayers``."""
        stay = (
            np.einsum("brr->r", self.array)
            if self.array is not None
            else np.full(len(self.regions), np.nan)
        )
        return pd.DataFrame({"region": list(self.regions), "stayers": stay})

    def matrix(self) -> pd.DataFrame:
        """The flows as an origin x destination table (zero diagonal)."""
        m = self.flows.pivot(index="orig", columns="dest", values="flow")
        m = m.reindex(index=list(self.regions), columns=list(self.regions)).fillna(0.0)
        return m.rename_axis(index="orig", columns="dest")

    def to_frame(self) -> pd.DataFrame:
        """The flows with what they are: ``kind`` = "estimate from stocks", ``source`` and
        ``method`` (as in :meth:`migdata.MirrorTable.sources`)."""
        return self.flows.assign(
            kind="estimate from stocks",
            source="flows estimated from census stocks",
            method=self.label,
        )

    @property
    def label(self) -> str:
        """Short method label, e.g. ``demographic (stayers, mid)``."""
        if self.method is StockMethod.DEMOGRAPHIC:
            stay = "stayers" if self.options["stayer_assumption"] else "no stayer assumption"
            return f"demographic ({stay}, {self.options['match_birthplace_totals']})"
        if self.method is StockMethod.DIFFERENCE:
            return f"difference ({self.options['decrease']})"
        return str(self.method)

    def __repr__(self) -> str:
        d = self.diagnostics
        state = "converged" if d.converged else "NOT converged"
        return (
            f"FlowsFromStocks({self.label}, {len(self.regions)} regions, "
            f"{self.flows['flow'].sum():,.0f} movers, {state}, "
            f"{len(d.adjustments)} adjustment(s), {len(d.notes)} note(s))"
        )

    def _repr_html_(self) -> str:
        d = self.diagnostics
        top = self.flows.sort_values("flow", ascending=False, kind="stable").head(10)
        return (
            f"<p><b>Flows from stocks</b>: {html.escape(self.label)}; "
            f"{len(self.regions)} regions; {self.flows['flow'].sum():,.0f} movers between "
            "regions.</p>"
            + d.to_frame().to_html(index=False, border=0)
            + "<p>Largest flows:</p>"
            + top.round(1).to_html(index=False, border=0)
        )


# ---------------------------------------------------------------------- building blocks
def _column_share(
    matrix: np.ndarray, totals: np.ndarray, what: str, regions: list[str]
) -> np.ndarray:
    """``totals[r]`` spread over the birthplaces in proportion to column ``r`` of ``matrix``."""
    col = matrix.sum(axis=0)
    empty = (col <= 0) & (totals > 0)
    if empty.any():
        r = regions[int(np.flatnonzero(empty)[0])]
        raise ModelError(
            f"{what} in region {r!r} ({totals[np.flatnonzero(empty)[0]]:g}) but no stock there "
            "to take them from; check the stocks or the births/deaths of that region"
        )
    return matrix * np.divide(totals, col, out=np.zeros_like(col), where=col > 0)[None, :]


def _birth_matrix(
    births: np.ndarray,
    end: np.ndarray,
    method: BirthMethod,
    non_negative: bool,
    regions: list[str],
    adjustments: list[str],
) -> np.ndarray:
    if method is BirthMethod.PROPORTION:
        return _column_share(end, births, "births", regions)
    out = np.diag(births)
    if non_negative:
        short = np.diag(end) < births
        if short.any():
            spread = _column_share(end, births, "births", regions)
            out[:, short] = spread[:, short]
            names = [regions[i] for i in np.flatnonzero(short)]
            adjustments.append(
                f"births exceed the native-born stock at the end in {names}: their births "
                "are spread over birthplaces in proportion to the end stock (birth_non_negative)"
            )
    return out


def _death_matrix(
    deaths: np.ndarray,
    start: np.ndarray,
    end: np.ndarray,
    births: np.ndarray,
    method: DeathMethod,
    regions: list[str],
    tol: float,
    max_iter: int,
    adjustments: list[str],
) -> np.ndarray:
    if method is DeathMethod.PROPORTION or deaths.sum() <= 0:
        return _column_share(start, deaths, "deaths", regions)
    by_birth = start.sum(axis=1) + births - end.sum(axis=1)
    if (by_birth < 0).any():
        adjustments.append(
            "deaths by birthplace implied by the accounts were negative for "
            f"{[regions[i] for i in np.flatnonzero(by_birth < 0)]}: set to 0 and the rest "
            "rescaled to the total deaths"
        )
        by_birth = np.clip(by_birth, 0, None)
    if by_birth.sum() <= 0:
        return _column_share(start, deaths, "deaths", regions)
    by_birth = by_birth * deaths.sum() / by_birth.sum()
    return ipf2(start, by_birth, deaths, tol=tol, max_iter=max_iter).array


def _rescale_diagonal(matrix: np.ndarray, new_total: float, what: str) -> np.ndarray:
    diag = np.diag(matrix)
    if new_total < 0 or (diag.sum() <= 0 < new_total):
        raise ModelError(
            f"cannot balance the system: the native-born stocks at the {what} would have to "
            f"total {new_total:,.1f} (they total {diag.sum():,.1f}); the stocks, births and "
            "deaths are too far apart for the global-total adjustment; check them or use "
            "match_birthplace_totals='open'"
        )
    out = matrix.copy()
    if diag.sum() > 0:
        np.fill_diagonal(out, diag * new_total / diag.sum())
    return out


def _scale_global(
    start: np.ndarray, end: np.ndarray, gap: float, adjustments: list[str]
) -> tuple[np.ndarray, np.ndarray]:
    """Native-born stocks moved by half of ``gap`` each, so the world closes."""
    if abs(gap) <= 1e-9 * max(start.sum(), 1.0):
        return start, end
    adjustments.append(
        f"global totals: the stocks change by {gap:+,.1f} persons less than births minus "
        f"deaths; the native-born stocks are rescaled by {-gap / 2:+,.1f} at the start and "
        f"{gap / 2:+,.1f} at the end (match_global)"
    )
    start = _rescale_diagonal(start, np.trace(start) - gap / 2, "start")
    end = _rescale_diagonal(end, np.trace(end) + gap / 2, "end")
    return start, end


def _rows_like(pattern: np.ndarray, totals: np.ndarray, fallback: np.ndarray) -> np.ndarray:
    """Rows of ``pattern`` scaled to ``totals`` (rows without a pattern use ``fallback``)."""
    seed = np.where(pattern.sum(axis=1, keepdims=True) > 0, pattern, fallback)
    rs = seed.sum(axis=1)
    return seed * np.divide(totals, rs, out=np.zeros_like(rs), where=rs > 0)[:, None]


def _match_birthplace(
    a1: np.ndarray,
    a2: np.ndarray,
    how: BirthplaceTotals,
    tol: float,
    max_iter: int,
    regions: list[str],
    adjustments: list[str],
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    zeros = np.zeros_like(a1)
    gap = a1.sum(axis=1) - a2.sum(axis=1)
    scale = max(a1.sum(), 1.0)
    if np.max(np.abs(gap), initial=0.0) <= 1e-9 * scale:
        return a1, a2, zeros, zeros
    if how is BirthplaceTotals.MID:
        diff = a1.sum() - a2.sum()
        if abs(diff) > 1e-6 * scale:
            raise ModelError(
                f"the start stocks net of deaths total {a1.sum():,.1f} and the end stocks net "
                f"of births {a2.sum():,.1f}: the birthplace totals cannot meet at the midpoint "
                "unless the system closes; use match_global='before-demo-adjust' or "
                "match_birthplace_totals='open'"
            )
        mid = (a1.sum(axis=1) + a2.sum(axis=1)) / 2
        seeds = np.stack(
            [
                np.where(own.sum(axis=1, keepdims=True) > 0, own, other)
                for own, other in ((a1, a2), (a2, a1))
            ]
        )
        cols = np.stack([a.sum(axis=0) * mid.sum() / max(a.sum(), 1e-300) for a in (a1, a2)])
        fit = ipf2(seeds, np.stack([mid, mid]), cols, tol=tol, max_iter=max_iter)
        if not fit.converged:
            adjustments.append(
                f"the birthplace-total rescaling did not converge in {fit.iterations} "
                f"iterations (largest deviation {fit.max_deviation:.3g})"
            )
        # The rows are the constraint of the three-way fit: make them exact (the residence
        # totals then carry the IPF's last sub-tolerance error instead).
        fitted = [_rows_like(fit.array[k], mid, seeds[k]) for k in (0, 1)]
        adjustments.append(
            "birthplace totals: both stock tables rescaled (IPF, residence totals kept) so that "
            "each birthplace has the midpoint of its two totals; largest change "
            f"{np.max(np.abs(gap)) / 2:,.1f} persons "
            f"({regions[int(np.argmax(np.abs(gap)))]}-born)"
        )
        return fitted[0], fitted[1], zeros, zeros
    # open system: the surplus of a birthplace left the regions, the deficit came from outside
    out_seed, in_seed = (a2, a1) if how is BirthplaceTotals.OPEN else (a1, a2)
    outflow = _rows_like(out_seed, np.clip(gap, 0, None), a1)
    inflow = _rows_like(in_seed, np.clip(-gap, 0, None), a2)
    b1, b2 = a1 - outflow, a2 - inflow
    capped = int((b1 < -1e-9).sum() + (b2 < -1e-9).sum())
    if capped:
        target = a2.sum(axis=1) - inflow.sum(axis=1)
        b1 = _rows_like(np.clip(b1, 0, None), target, a1)
        b2 = _rows_like(np.clip(b2, 0, None), target, a2)
    adjustments.append(
        f"birthplace totals ({how}): {outflow.sum():,.1f} persons left and {inflow.sum():,.1f} "
        "entered the system of regions"
        + (
            f"; {capped} cell(s) would have gone negative: capped at 0 and the rows rescaled"
            if capped
            else ""
        )
    )
    return b1, b2, inflow, outflow


def _check_non_negative(matrix: np.ndarray, what: str, regions: list[str]) -> None:
    if (matrix < -1e-9 * max(float(np.abs(matrix).sum()), 1.0)).any():
        b, r = np.argwhere(matrix < 0)[0]
        raise ModelError(
            f"{what}: the stock of {regions[b]}-born in {regions[r]} becomes "
            f"{matrix[b, r]:,.1f} after removing births/deaths; the stocks and the "
            "births/deaths do not fit together there (birth_method/death_method may help)"
        )


def _flows_frame(od: np.ndarray, regions: list[str]) -> pd.DataFrame:
    n = len(regions)
    o, d = np.nonzero(~np.eye(n, dtype=bool))
    names = np.asarray(regions, dtype=object)
    flow = np.clip(od[o, d], 0.0, None) + 0.0  # -0.0 -> 0.0
    return pd.DataFrame({"orig": names[o], "dest": names[d], "flow": flow})


# ---------------------------------------------------------------------- methods
def _demographic(
    s1: np.ndarray,
    s2: np.ndarray,
    births: np.ndarray,
    deaths: np.ndarray,
    seed: np.ndarray | None,
    opts: dict[str, Any],
    regions: list[str],
    adjustments: list[str],
    notes: list[str],
    tol: float,
    max_iter: int,
) -> tuple[np.ndarray, dict[str, np.ndarray], Any]:
    mbt: BirthplaceTotals = opts["match_birthplace_totals"]
    glob: GlobalMatch = opts["match_global"]
    gap = (births.sum() - deaths.sum()) - (s2.sum() - s1.sum())
    if glob is GlobalMatch.BEFORE and mbt is BirthplaceTotals.MID:
        s1, s2 = _scale_global(s1, s2, gap, adjustments)
    b_mat = _birth_matrix(
        births, s2, opts["birth_method"], opts["birth_non_negative"], regions, adjustments
    )
    d_mat = _death_matrix(
        deaths, s1, s2, births, opts["death_method"], regions, tol, max_iter, adjustments
    )
    a1, a2 = s1 - d_mat, s2 - b_mat
    _check_non_negative(a1, "start stocks less deaths", regions)
    _check_non_negative(a2, "end stocks less births", regions)
    a1, a2 = np.clip(a1, 0, None), np.clip(a2, 0, None)
    if glob is GlobalMatch.AFTER and mbt is BirthplaceTotals.MID:
        a1, a2 = _scale_global(a1, a2, a1.sum() - a2.sum(), adjustments)
    a1, a2, inflow, outflow = _match_birthplace(a1, a2, mbt, tol, max_iter, regions, adjustments)
    n = len(regions)
    base = np.ones((n, n)) if seed is None else seed
    if opts["stayer_assumption"]:
        stay = np.minimum(a1, a2)
        off = base * ~np.eye(n, dtype=bool)
        fit = ipf3(off, a1 - stay, a2 - stay, tol=tol, max_iter=max_iter)
        array = fit.array
        idx = np.arange(n)
        array[:, idx, idx] += stay
    else:
        fit = ipf3(base, a1, a2, tol=tol, max_iter=max_iter)
        array = fit.array
    if not fit.converged:
        notes.append(
            f"the IPF did not converge in {fit.iterations} iterations (largest margin "
            f"deviation {fit.max_deviation:.3g}); raise max_iter or check the seed's zeros"
        )
    accounts = {
        "births": b_mat,
        "deaths": d_mat,
        "into_system": inflow,
        "out_of_system": outflow,
        "start": a1,
        "end": a2,
    }
    return array, accounts, fit


def _difference(
    s1: np.ndarray, s2: np.ndarray, decrease: Decrease, include_native_born: bool
) -> np.ndarray:
    s1, s2 = s1.copy(), s2.copy()
    if not include_native_born:
        np.fill_diagonal(s1, 0.0)
        np.fill_diagonal(s2, 0.0)
    change = s2 - s1
    if decrease is Decrease.ZERO:
        return np.clip(change, 0, None)
    return np.clip(change, 0, None) + np.clip(-change.T, 0, None)


def _dennett(s1: np.ndarray, s2: np.ndarray, total: float | None, notes: list[str]) -> np.ndarray:
    share = s1.copy()
    np.fill_diagonal(share, 0.0)
    if total is None:
        total = float(np.abs(s2.sum(axis=0) - s1.sum(axis=0)).sum())
        notes.append(
            f"total migration M not given: the sum of absolute changes in the regions' "
            f"populations ({total:,.1f}) is used, as in migest's example"
        )
    if share.sum() <= 0:
        notes.append("no foreign-born stock at the start: every flow is 0")
        return np.zeros_like(share)
    return total * share / share.sum()


def _rogers_von_rabenau(
    s1: np.ndarray, s2: np.ndarray, regions: list[str], notes: list[str]
) -> np.ndarray:
    try:
        growth = np.linalg.solve(s1, s2)
    except np.linalg.LinAlgError as err:
        raise ModelError(
            "rogers-von-rabenau: the start stock table is singular (some birthplaces or "
            "regions have proportional or empty rows), so the growth matrix P1^-1 P2 does not "
            f"exist for these {len(regions)} regions; use another method"
        ) from err
    flows = growth * s1.sum(axis=0)[:, None]
    np.fill_diagonal(flows, 0.0)
    negative = flows < 0
    if negative.any():
        notes.append(
            f"rogers-von-rabenau gave {int(negative.sum())} negative flow(s) totalling "
            f"{flows[negative].sum():,.1f}: set to 0 (the method does not keep flows >= 0)"
        )
    return np.clip(flows, 0, None)


# ---------------------------------------------------------------------- public function
def _regions(start: pd.DataFrame, end: pd.DataFrame) -> list[str]:
    r1, r2 = set(start["residence"].unique()), set(end["residence"].unique())
    if r1 != r2:
        raise InputError(
            "the stock tables cover different regions of residence: only at the start "
            f"{sorted(r1 - r2)}, only at the end {sorted(r2 - r1)}; give both dates for the "
            "same regions"
        )
    return sorted(r1)


def _as_countries(frame: pd.DataFrame, name: str) -> pd.DataFrame:
    from migdata.mirror.eurostat import resolve_countries

    out = frame.copy()
    for column in ("birth", "residence"):
        codes = resolve_countries(out[column])
        bad = codes.isna().to_numpy()
        if bad.any():
            raise InputError(
                f"{name}: {out[column][bad].iloc[0]!r} is not a known country "
                f"({int(bad.sum())} row(s)); countries=True resolves every label",
                column=column,
            )
        out[column] = codes.astype(str).to_numpy()
    return out.groupby(["birth", "residence"], as_index=False, sort=True)["stock"].sum()


def _dates(value: Any) -> str | None:
    from migdata.estimate._inputs import _census_frame

    frame = _census_frame(value)
    if frame is None and isinstance(value, pd.DataFrame):
        frame = value
    if frame is not None and "time_period" in frame:
        periods = frame["time_period"].dropna().astype(str).unique()
        return str(periods[0]) if len(periods) == 1 else None
    return None


EQUATIONS = {
    StockMethod.DEMOGRAPHIC: (
        "P1[b,o] = sum_d F[b,o,d] (start stock net of deaths), P2[b,d] = sum_o F[b,o,d] (end "
        "stock net of births); F[b,r,r] = min(P1[b,r], P2[b,r]) under the stayer assumption; "
        "F fitted by IPF to F[b,o,d] = a[b,o] c[b,d] m[o,d]"
    ),
    StockMethod.DIFFERENCE: (
        "F[b,r] = max(P2[b,r] - P1[b,r], 0) (+ max(P1[r,b] - P2[r,b], 0) as return to b)"
    ),
    StockMethod.DENNETT: "F[b,r] = M * P1[b,r] / sum_{i != j} P1[i,j]",
    StockMethod.ROGERS_VON_RABENAU: "G = P1^-1 P2; F[i,j] = G[i,j] * sum_b P1[b,i], i != j",
}
REFERENCES = {
    StockMethod.DEMOGRAPHIC: "Abel (2013) Demogr. Res. 28; Abel and Sander (2014) Science 343; "
    "Abel (2018) Int. Migr. Rev. 52; Abel and Cohen (2019) Sci. Data 6",
    StockMethod.DIFFERENCE: "Beine, Bertoli and Fernandez-Huertas Moraga (2016) World Econ. 39",
    StockMethod.DENNETT: "Dennett (2015) Global Dynamics, 125-142",
    StockMethod.ROGERS_VON_RABENAU: "Rogers and von Rabenau (1971) Demography 8",
}


def flows_from_stocks(
    stock_start: Any,
    stock_end: Any,
    births: Any = None,
    deaths: Any = None,
    method: str | StockMethod = StockMethod.DEMOGRAPHIC,
    *,
    stayer_assumption: bool = True,
    match_birthplace_totals: str | BirthplaceTotals = BirthplaceTotals.MID,
    match_global: str | GlobalMatch = GlobalMatch.BEFORE,
    birth_method: str | BirthMethod = BirthMethod.NATIVE,
    birth_non_negative: bool = True,
    death_method: str | DeathMethod = DeathMethod.PROPORTION,
    seed: Any = None,
    decrease: str | Decrease = Decrease.RETURN,
    include_native_born: bool = False,
    total: float | None = None,
    countries: bool = False,
    tol: float = 1e-8,
    max_iter: int = 1000,
) -> FlowsFromStocks:
    r"""Estimate bilateral migration flows from stocks by place of birth at two dates.

    The default is demographic accounting (migest ``ffs_demo``) with the stayer assumption:
    the flows are the fewest moves that turn the start stocks (less deaths) into the end
    stocks (less births), birthplace by birthplace. See :doc:`/concepts/estimate` for the
    equations of every method and option.

    Parameters
    ----------
    stock_start, stock_end
        Stocks at the two dates: a DataFrame with columns ``birth`` (place of birth),
        ``residence`` and ``stock``; harmonised census rows (``ref_area``,
        ``counterpart_area``, ``counterpart_type`` BIRTH, ``obs_value``; the ``stocks`` of
        :func:`~migdata.census_stocks` for several countries, or the ``Census`` objects
        themselves); or a square birthplace x residence DataFrame. Both dates must cover
        the same regions of residence; birthplaces outside them are left out (with a note).
    births, deaths
        Per region of residence during the period: DataFrame with ``region`` and ``births``
        (``deaths``), a Series or a dict; None -> none. Missing regions count 0 (noted);
        regions not in the stocks are an error.
    method
        ``"demographic"`` (default), ``"difference"`` (``ffs_diff``), ``"dennett"`` or
        ``"rogers-von-rabenau"`` (``ffs_rates``).
    stayer_assumption
        Demographic: True keeps as stayers the most persons each stock cell allows,
        ``min(P1[b,r], P2[b,r])`` (minimum migration, Abel 2013); False fits the whole
        table to the seed (Azose and Raftery 2019).
    match_birthplace_totals
        Demographic: ``"mid"`` (migest ``rescale``, default) rescales both tables so each
        birthplace total is the midpoint of its two totals; ``"open"``/``"open-dr"`` let the
        surplus leave / the deficit enter the system of regions.
    match_global
        Demographic with ``"mid"``: ``"before-demo-adjust"`` (default) or
        ``"after-demo-adjust"`` scale the native-born stocks so that the change in all
        stocks equals births minus deaths; ``"none"`` does not (an error if they differ).
    birth_method, birth_non_negative
        ``"native"`` (births are native-born of their region; where they exceed the
        native-born end stock they are spread like the end stock when
        ``birth_non_negative``) or ``"proportion"`` (spread like the end stock).
    death_method
        ``"proportion"`` (deaths spread like the start stock: the same mortality for every
        birthplace) or ``"accounting"`` (also matching the deaths by birthplace implied by
        the accounts, by IPF).
    seed
        Origin x destination weights of the IPF (tidy ``orig``/``dest``/``seed``, a square
        frame or array), e.g. inverse distances; default 1 everywhere.
    decrease, include_native_born
        Stock differencing: a fall in a stock is a ``"return"`` flow to the birthplace or
        ``"zero"``; the native-born diagonal is left out unless ``include_native_born``.
    total
        Dennett: total migration M to distribute (default: sum of absolute population changes).
    countries
        Resolve the region labels as countries (any spelling -> ISO alpha-3).
    tol, max_iter
        IPF stops when every margin is within ``tol`` times the total stock; convergence is
        reported in ``diagnostics`` (never an exception).

    Returns
    -------
    FlowsFromStocks

    Raises
    ------
    InputError
        Missing columns, missing/negative/non-numeric cells, duplicate cells, different
        regions at the two dates, births/deaths for unknown regions.
    ConfigurationError
        Unknown method or option.
    ModelError
        A system that cannot be balanced (named region and amounts).

    Examples
    --------
    The four-region example of Abel (2013) and Abel and Sander (2014):

    >>> r = list("ABCD")
    >>> s1 = pd.DataFrame([[1000, 100, 10, 0], [55, 555, 50, 5], [80, 40, 800, 40],
    ...                    [20, 25, 20, 200]], index=r, columns=r)
    >>> s2 = pd.DataFrame([[950, 100, 60, 0], [80, 505, 75, 5], [90, 30, 800, 40],
    ...                    [40, 45, 0, 180]], index=r, columns=r)
    >>> est = flows_from_stocks(s1, s2)
    >>> est.matrix().round(1)
    dest     A     B     C    D
    orig
    A      0.0   0.0  50.0  0.0
    B     35.0   0.0  25.0  0.0
    C     10.0  10.0   0.0  0.0
    D     10.0  10.0   0.0  0.0
    >>> est.diagnostics.converged, float(est.flows.flow.sum())
    (True, 150.0)
    """
    opts: dict[str, Any] = {
        "method": StockMethod(method),
        "stayer_assumption": bool(stayer_assumption),
        "match_birthplace_totals": BirthplaceTotals(match_birthplace_totals),
        "match_global": GlobalMatch(match_global),
        "birth_method": BirthMethod(birth_method),
        "birth_non_negative": bool(birth_non_negative),
        "death_method": DeathMethod(death_method),
        "decrease": Decrease(decrease),
        "include_native_born": bool(include_native_born),
        "total": total,
        "tol": float(tol),
        "max_iter": int(max_iter),
    }
    if not (tol > 0 and max_iter >= 1):
        raise ConfigurationError(f"expected tol > 0 and max_iter >= 1, got {tol}, {max_iter}")
    kind: StockMethod = opts["method"]
    notes: list[str] = []
    adjustments: list[str] = []

    start = read_stocks(stock_start, "stock_start", notes)
    end = read_stocks(stock_end, "stock_end", notes)
    if countries:
        start, end = _as_countries(start, "stock_start"), _as_countries(end, "stock_end")
    regions = _regions(start, end)
    s1 = stock_matrix(start, regions, "stock_start", notes)
    s2 = stock_matrix(end, regions, "stock_end", notes)
    b = read_regional(births, "births", regions, "births", notes)
    d = read_regional(deaths, "deaths", regions, "deaths", notes)
    seed_matrix = read_seed(seed, regions)

    array = None
    accounts: dict[str, np.ndarray] = {}
    iterations, deviation, converged = 0, 0.0, True
    if kind is StockMethod.DEMOGRAPHIC:
        array, accounts, fit = _demographic(
            s1, s2, b, d, seed_matrix, opts, regions, adjustments, notes, tol, max_iter
        )
        od = array.sum(axis=0)
        iterations, deviation, converged = fit.iterations, fit.max_deviation, fit.converged
    else:
        if b.any() or d.any():
            notes.append(f"births and deaths are not used by the {kind} method")
        if kind is StockMethod.DIFFERENCE:
            od = _difference(s1, s2, opts["decrease"], opts["include_native_born"])
        elif kind is StockMethod.DENNETT:
            od = _dennett(s1, s2, total, notes)
        else:
            od = _rogers_von_rabenau(s1, s2, regions, notes)
    diagnostics = Diagnostics(
        converged, iterations, deviation, float(tol), tuple(adjustments), tuple(notes)
    )
    provenance = {
        "method": str(kind),
        "equation": EQUATIONS[kind],
        "reference": REFERENCES[kind],
        "stock_start_total": float(s1.sum()),
        "stock_end_total": float(s2.sum()),
        "births_total": float(b.sum()),
        "deaths_total": float(d.sum()),
        "start_date": _dates(stock_start),
        "end_date": _dates(stock_end),
        "implementation": "migdata.estimate (after R migest ffs_demo/ffs_diff/ffs_rates)",
    }
    return FlowsFromStocks(
        flows=_flows_frame(od, regions),
        regions=tuple(regions),
        method=kind,
        options={k: (str(v) if isinstance(v, Enum) else v) for k, v in opts.items()},
        diagnostics=diagnostics,
        array=array,
        accounts=accounts,
        provenance=provenance,
    )
