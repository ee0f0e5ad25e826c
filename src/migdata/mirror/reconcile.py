"""Reconciliation of mirror flows: one adjustment factor per country and side (immigration
r_j, emigration s_i) so that r_j I_ij and s_i E_ij agree, and one harmonised flow per pair
with its provenance (DOMAIN.md section 5, items 4-6).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from enum import Enum
from functools import cache
from statistics import NormalDist
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import scipy.sparse as sp
from scipy.linalg import solve_triangular
from scipy.linalg.lapack import dtrtri
from scipy.sparse.csgraph import connected_components

from migdata._checks import check_instance, public
from migdata._resources import data_path
from migdata.errors import ConfigurationError, InputError, ModelError
from migdata.mirror.eurostat import resolve_countries
from migdata.mirror.indicators import _cc1
from migdata.mirror.table import KEY, MirrorTable

__all__ = ["Method", "OutlierRule", "Reconciliation", "Weights", "class_table", "reconcile"]

_CELL = ["year", "sex", "age"]


class _StrEnum(str, Enum):  # noqa: UP042 - StrEnum's __str__/_missing_ differ; kept explicit
    """An Enum that also accepts its value in any case, with ``_`` or ``-``."""

    @classmethod
    def _missing_(cls, value: object) -> Any:
        key = str(value).strip().lower().replace("_", "-").replace(" ", "-")
        for member in cls:
            if key in (member.value, member.name.lower().replace("_", "-")):
                return member
        choices = ", ".join(m.value for m in cls)
        raise ConfigurationError(f"unknown {cls.__name__.lower()} {value!r}; expected {choices}")

    def __str__(self) -> str:
        return str(self.value)


class Method(_StrEnum):
    """Reconciliation methods (see :func:`reconcile`)."""

    PREFER_IMMIGRATION = "prefer-immigration"
    LS = "ls"
    LOG_LS = "log-ls"
    POULAIN = "poulain"
    BAYES = "bayes"


class Weights(_StrEnum):
    """Pair weights (see :func:`reconcile` for their form in each method)."""

    NONE = "none"
    RELATIVE = "relative"
    COUNT = "count"
    ACCURACY = "accuracy"


class OutlierRule(_StrEnum):
    """Measure compared with ``exclude_outliers``: ``|CC1|`` or ``|log(I/E)|``."""

    CC1 = "cc1"
    LOG_RATIO = "log-ratio"


@cache
def _classes() -> pd.DataFrame:
    return pd.read_csv(data_path("mirror", "classes.csv"), comment="#")


def class_table() -> pd.DataFrame:
    """Undercount priors and accuracy error scales by class (``data/mirror/classes.csv``).

    Examples
    --------
    >>> t = class_table()
    >>> round(float(t.query("kind == 'undercount' and side == 'emigration' and "
    ...                     "`class` == 'high'").prior_mean.item()), 3)
    0.455
    """
    out = _classes().copy()
    out["prior_mean"] = out["beta_a"] / (out["beta_a"] + out["beta_b"])
    return out


@dataclass
class _Fit:
    origins: np.ndarray
    destinations: np.ndarray
    s: np.ndarray
    r: np.ndarray
    se_s: np.ndarray
    se_r: np.ndarray
    converged: bool = True
    iterations: int = 0


@dataclass
class Reconciliation:
    """Result of :func:`reconcile`.

    Attributes
    ----------
    factors
        One row per cell (year, sex, age), country and side (``immigration`` = r_j,
        ``emigration`` = s_i): ``factor``, ``se`` (the fit's formula where the method has one,
        else the bootstrap's; ``se_source`` says which), ``se_bootstrap`` (the SD of the
        bootstrap replicates, NaN without bootstrap), ``ci_low``, ``ci_high`` (from the
        bootstrap percentiles when ``bootstrap`` is on, else from ``se``), ``n_pairs`` and
        ``status`` (reference / estimated / not estimable).
    flows
        One row per pair of the table: reported sides, factors ``s`` and ``r``, adjusted
        sides, ``harmonised``, ``sides`` used, ``outlier`` and ``provenance``.
    diagnostics
        Per cell: pairs reported by both sides (``n_both``), pairs used in the fit
        (``n_used`` = ``n_both`` - ``n_outliers`` - ``n_zero``, where ``n_zero`` counts pairs
        with a side equal to 0, which have no log ratio), pairs adjusted by estimated factors
        (``n_adjusted``) and their mean ``|CC1|`` before and after, convergence and
        iterations.
    outliers
        Corridors excluded from estimation with their CC1 and log ratio.
    parameters
        ``method="bayes"`` only: posterior of the undercount (per country and side),
        accuracy (per class), covariate and variance parameters with their priors.
    sampler
        ``method="bayes"`` only: inference route, chains, draws, ``max_rhat``, ``min_ess``,
        ``divergences``, ``seconds`` and ``ok``.
    identification
        ``method="bayes"`` only: how the scale is identified (reference or priors).
    level
        Level of the intervals (``ci_low``/``ci_high``; ``lower``/``upper`` of bayes flows).
    """

    method: Method
    reference: str
    weights: Weights
    factors: pd.DataFrame
    flows: pd.DataFrame
    diagnostics: pd.DataFrame
    outliers: pd.DataFrame
    bootstrap: int = 0
    bootstrap_failed: int = 0
    notes: list[str] = field(default_factory=list)
    parameters: pd.DataFrame | None = None
    sampler: dict[str, Any] = field(default_factory=dict)
    identification: str = ""
    level: float = 0.95

    def factor(self, country: str, side: str, year: int | None = None) -> float:
        """The factor of one country and side (of the only year, or of ``year``)."""
        code = resolve_countries(pd.Series([country])).iloc[0]
        f = self.factors.loc[(self.factors["country"] == code) & (self.factors["side"] == side)]
        if year is not None:
            f = f.loc[f["year"] == year]
        if len(f) != 1:
            raise InputError(f"expected one factor for {country} {side}, found {len(f)}")
        return float(f["factor"].iloc[0])

    def interval_table(self) -> pd.DataFrame:
        """Reconciled flows with interval bounds, keyed as the harmonised exchange table.

        One row per corridor-cell: ``measure`` ``"MIG_RECONCILED"``, ``ref_area`` (the
        destination), ``counterpart_area`` (the origin), ``counterpart_type``
        ``"PREV_RES"``, ``sex``, ``age``, ``time_period``, ``obs_value`` (the harmonised
        flow), ``lower_bound``, ``upper_bound``, ``conf_level``, ``method`` and
        ``provenance``. Set it as :attr:`migdata.exchange.Bundle.intervals` to ship it with
        a bundle (``intervals.csv``). Methods without flow intervals give NA bounds.
        """
        f = self.flows
        nan = pd.Series(np.nan, index=f.index)
        return pd.DataFrame({
            "measure": "MIG_RECONCILED", "ref_area": f["destination"],
            "counterpart_area": f["origin"], "counterpart_type": "PREV_RES",
            "sex": f["sex"], "age": f["age"], "time_period": f["year"].astype(str),
            "obs_value": f["harmonised"], "lower_bound": f.get("lower", nan),
            "upper_bound": f.get("upper", nan), "conf_level": self.level,
            "method": self.method.value, "provenance": f["provenance"],
        })  # fmt: skip

    def _repr_html_(self) -> str:
        if self.method is Method.BAYES:
            from migdata.mirror.bayes import repr_html

            return repr_html(self)
        diag = self.diagnostics
        head = (
            f"<p><b>Reconciliation</b> by <code>{self.method}</code>, reference "
            f"<b>{self.reference}</b> (r = 1), weights <code>{self.weights}</code>; "
            f"{len(diag)} cell(s), {len(self.outliers)} outlier corridor(s) excluded"
            + (f", {self.bootstrap} bootstrap replicates" if self.bootstrap else "")
            + ".</p>"
        )
        cols = ["year", "n_both", "n_used", "mean_abs_cc1_before", "mean_abs_cc1_after"]
        show = diag[[*cols, "converged"]].round(3).to_html(index=False, border=0)
        top = (
            self.factors.loc[self.factors["status"] != "not estimable"]
            .pivot_table(index="country", columns="side", values="factor", aggfunc="mean")
            .round(3)
            .to_html(border=0)
        )
        return head + show + "<p>Factors (mean over cells):</p>" + top

    def __repr__(self) -> str:
        d = self.diagnostics
        if self.method is Method.BAYES:
            return (
                f"Reconciliation(method='bayes', inference={self.sampler.get('inference')!r}, "
                f"reference={self.reference!r}, flows={len(self.flows)}, "
                f"max R-hat {self.sampler.get('max_rhat', float('nan')):.3f}, "
                f"divergences {self.sampler.get('divergences', 0)})"
            )
        return (
            f"Reconciliation(method={self.method.value!r}, reference={self.reference!r}, "
            f"cells={len(d)}, mean|CC1| {d['mean_abs_cc1_before'].mean():.3f} -> "
            f"{d['mean_abs_cc1_after'].mean():.3f})"
        )


# ---------------------------------------------------------------------------- weights
def _accuracy_sd(values: pd.Series) -> np.ndarray:
    t = _classes().query("kind == 'accuracy'").set_index("class")["log_sd"]
    key = values.astype("string").str.lower().fillna("unknown")
    return key.map(t).fillna(float(t["unknown"])).to_numpy(float)


def _weights(pairs: pd.DataFrame, rows: np.ndarray, weights: Weights, method: Method) -> np.ndarray:
    """Weights of the table rows ``rows`` (positions), element-wise, so one call serves all
    cells."""
    i = pairs["immigration"].to_numpy(float)[rows]
    e = pairs["emigration"].to_numpy(float)[rows]
    if weights is Weights.NONE:
        return np.ones(len(rows))
    if weights is Weights.ACCURACY:
        sd_i = _accuracy_sd(pairs["accuracy_imm"].iloc[rows])
        sd_e = _accuracy_sd(pairs["accuracy_emi"].iloc[rows])
        if method is Method.LS:
            return 1.0 / ((i * sd_i) ** 2 + (e * sd_e) ** 2)
        return 1.0 / (sd_i**2 + sd_e**2)
    if method is Method.LS:
        return 1.0 / (i + e) ** 2 if weights is Weights.RELATIVE else 1.0 / (i + e)
    if method is Method.LOG_LS:
        return np.ones(len(rows)) if weights is Weights.RELATIVE else 1.0 / (1.0 / i + 1.0 / e)
    # Ratio-of-sums methods: relative weights make every pair count about equally.
    return 1.0 / (i + e) if weights is Weights.RELATIVE else np.ones(len(rows))


# ---------------------------------------------------------------------------- codes
@dataclass
class _Codes:
    """The table as integer codes: countries (sorted names) and cells (year, sex, age).

    Every per-row step (fits, factor look-up, provenance, diagnostics) works on these
    integers; text is only touched once per distinct value.
    """

    names: np.ndarray  # every country of the table, sorted
    origin: np.ndarray  # per row, index into names
    destination: np.ndarray
    cell: np.ndarray  # per row, index into cells (in year, sex, age order)
    cells: pd.DataFrame  # year, sex, age of each cell


def _dense_inverse(key: np.ndarray, space: int) -> tuple[np.ndarray, np.ndarray]:
    """``np.unique(key, return_inverse=True)`` for non-negative keys below ``space``.

    A presence table instead of a sort when the key space is small (linear time).
    """
    if space <= 4 * len(key) + 1024:
        seen = np.zeros(space, dtype=bool)
        seen[key] = True
        uniq = np.flatnonzero(seen)
        lookup = np.cumsum(seen) - 1
        return uniq, lookup[key]
    uniq, inv = np.unique(key, return_inverse=True)
    return uniq, inv.reshape(-1)


def _codes(data: pd.DataFrame) -> _Codes:
    for col in ("origin", "destination", *_CELL):
        if data[col].isna().any():
            pos = int(np.flatnonzero(data[col].isna().to_numpy())[0])
            raise InputError(
                f"the mirror table has a missing {col} on row {pos}; expected a value on "
                "every row", row=pos, column=col,
            )  # fmt: skip
    oc, ou = pd.factorize(data["origin"])
    dc, du = pd.factorize(data["destination"])
    ou_s, du_s = np.asarray(ou, dtype=str), np.asarray(du, dtype=str)
    # Sorted as numpy sorts text, so that names[np.unique(codes)] is np.unique of the names.
    names = np.unique(np.r_[ou_s, du_s])
    origin = np.searchsorted(names, ou_s)[oc]
    destination = np.searchsorted(names, du_s)[dc]
    parts = [pd.factorize(data[c], sort=True) for c in _CELL]
    key = np.zeros(len(data), dtype=np.int64)
    space = 1
    for c, u in parts:
        key = key * len(u) + c
        space *= len(u)
    uniq, cell = _dense_inverse(key, space)
    sizes = [len(u) for _, u in parts]
    idx = np.unravel_index(uniq, sizes) if len(uniq) else [uniq] * len(parts)
    cells = pd.DataFrame(
        {c: u.take(i).array for c, (_, u), i in zip(_CELL, parts, idx, strict=True)}
    )
    return _Codes(names, origin, destination, cell, cells)


@dataclass
class _Pairs:
    """The mirrored pairs of one cell: country codes (into ``names``), flows, weights."""

    names: np.ndarray
    o: np.ndarray
    d: np.ndarray
    imm: np.ndarray
    emi: np.ndarray
    w: np.ndarray

    def __len__(self) -> int:
        return len(self.o)

    def subset(self, keep: np.ndarray) -> _Pairs:
        return _Pairs(self.names, self.o[keep], self.d[keep], self.imm[keep], self.emi[keep],
                      self.w[keep])  # fmt: skip


# ---------------------------------------------------------------------------- estimators
def _index(pairs: _Pairs) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    uo, oi = np.unique(pairs.o, return_inverse=True)
    ud, di = np.unique(pairs.d, return_inverse=True)
    return pairs.names[uo], oi.reshape(-1), pairs.names[ud], di.reshape(-1)


def _check_graph(origins: np.ndarray, oi: np.ndarray, dests: np.ndarray, di: np.ndarray,
                 ref: str, where: str) -> None:  # fmt: skip
    if ref not in dests:
        raise ModelError(
            f"{where}: the reference {ref} reports no immigration pair that its partner also "
            "reports, so its immigration factor cannot anchor the scale; choose another reference"
        )
    no, nd = len(origins), len(dests)
    graph = sp.coo_matrix((np.ones(len(oi)), (oi, no + di)), shape=(no + nd, no + nd))
    n, labels = connected_components(graph, directed=False)
    if n > 1:
        groups = []
        for k in range(n):
            o = sorted(origins[labels[:no] == k])
            d = sorted(dests[labels[no:] == k])
            groups.append(
                f"{{emigration: {', '.join(o) or '-'}; immigration: {', '.join(d) or '-'}}}"
            )
        raise ModelError(
            f"{where}: the pairs reported by both sides form {n} separate groups, so their "
            f"factors cannot be put on one scale: {' | '.join(groups)}. Add pairs linking "
            "the groups, or reconcile the groups separately"
        )


def _solve(a: sp.csr_matrix, b: np.ndarray, w: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Weighted least squares by the normal equations; returns (x, standard errors)."""
    aw = a.multiply(w[:, None]).tocsr()
    normal = (a.T @ aw).toarray()
    rhs = aw.T @ b
    try:
        chol = np.linalg.cholesky(normal)
    except np.linalg.LinAlgError as err:
        raise ModelError(f"the least-squares system is singular: {err}") from err
    # Triangular solves and inverse (LAPACK trtrs/trtri): a third of the work of general ones.
    x = solve_triangular(chol.T, solve_triangular(chol, rhs, lower=True), lower=False)
    n, p = a.shape
    resid = a @ x - b
    if n > p:
        sigma2 = float(np.sum(w * resid**2)) / (n - p)
        # diag((A'WA)^-1) = column sums of squares of L^-1, where A'WA = L L'.
        inv, info = dtrtri(chol, lower=1)
        if info != 0:
            raise ModelError(f"the least-squares system is singular (trtri info {info})")
        se = np.sqrt(sigma2 * np.sum(inv**2, axis=0))
    else:
        se = np.full(p, np.nan)
    return x, se


def _design(
    pairs: _Pairs, ref: str, where: str, on_origin: np.ndarray, on_dest: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, sp.csr_matrix]:
    """Sparse design of the least-squares fits: (origins, dests, free, keep, A).

    One column per origin (row values ``on_origin``), then one per destination but the
    reference (``free``), holding ``on_dest`` on the rows whose destination is free (``keep``).
    """
    origins, oi, dests, di = _index(pairs)
    _check_graph(origins, oi, dests, di, ref, where)
    no = len(origins)
    free = dests != ref
    col_of_dest = np.full(len(dests), -1)
    col_of_dest[free] = no + np.arange(free.sum())
    rows = np.arange(len(pairs))
    keep = col_of_dest[di] >= 0
    a = sp.csr_matrix(
        (
            np.r_[on_origin, on_dest[keep]],
            (np.r_[rows, rows[keep]], np.r_[oi, col_of_dest[di][keep]]),
        ),
        shape=(len(pairs), no + int(free.sum())),
    )
    return origins, dests, free, keep, a


def _fit_log_ls(pairs: _Pairs, ref: str, w: np.ndarray, where: str) -> _Fit:
    ones = np.ones(len(pairs))
    origins, dests, free, _, a = _design(pairs, ref, where, ones, -ones)
    no = len(origins)
    y = np.log(pairs.imm) - np.log(pairs.emi)
    x, se = _solve(a, y, w)
    log_r = np.zeros(len(dests))
    se_log_r = np.zeros(len(dests))
    log_r[free], se_log_r[free] = x[no:], se[no:]
    s, r = np.exp(x[:no]), np.exp(log_r)
    return _Fit(origins, dests, s, r, s * se[:no], r * se_log_r)


def _fit_ls(pairs: _Pairs, ref: str, w: np.ndarray, where: str) -> _Fit:
    i = pairs.imm
    # residual r_j I_ij - s_i E_ij; with r_ref = 1 the reference pairs carry I_ij as constant.
    origins, dests, free, keep, a = _design(pairs, ref, where, -pairs.emi, i)
    no = len(origins)
    b = np.where(keep, 0.0, -i)
    x, se = _solve(a, b, w)
    r = np.ones(len(dests))
    se_r = np.zeros(len(dests))
    r[free], se_r[free] = x[no:], se[no:]
    return _Fit(origins, dests, x[:no], r, se[:no], se_r)


def _fit_poulain(
    pairs: _Pairs, ref: str, w: np.ndarray, where: str, tol: float, max_iter: int
) -> _Fit:
    origins, oi, dests, di = _index(pairs)
    _check_graph(origins, oi, dests, di, ref, where)
    i = pairs.imm * w
    e = pairs.emi * w
    no, nd = len(origins), len(dests)
    ref_k = int(np.flatnonzero(dests == ref)[0])
    e_row = np.bincount(oi, e, minlength=no)
    i_col = np.bincount(di, i, minlength=nd)
    r = np.ones(nd)
    s = np.ones(no)
    converged = False
    it = 0
    for it in range(1, max_iter + 1):  # noqa: B007 - iterations are reported
        s_new = np.bincount(oi, r[di] * i, minlength=no) / e_row
        r_new = np.bincount(di, s_new[oi] * e, minlength=nd) / i_col
        scale = r_new[ref_k]
        s_new, r_new = s_new / scale, r_new / scale
        change = max(np.max(np.abs(np.log(s_new / s))), np.max(np.abs(np.log(r_new / r))))
        s, r = s_new, r_new
        if change < tol:
            converged = True
            break
    nan = np.full(no, np.nan)
    return _Fit(origins, dests, s, r, nan, np.where(dests == ref, 0.0, np.nan), converged, it)


def _fit_prefer_immigration(pairs: _Pairs, ref: str, w: np.ndarray) -> _Fit:
    origins, oi, dests, _ = _index(pairs)
    i = pairs.imm * w
    e = pairs.emi * w
    s = np.bincount(oi, i, minlength=len(origins)) / np.bincount(oi, e, minlength=len(origins))
    return _Fit(origins, dests, s, np.ones(len(dests)), np.full(len(origins), np.nan),
                np.zeros(len(dests)))  # fmt: skip


def _fit(pairs: _Pairs, method: Method, ref: str, where: str, tol: float, max_iter: int,
         boot: np.ndarray | None = None) -> _Fit:  # fmt: skip
    w = pairs.w
    if boot is not None:
        keep = boot > 0
        pairs, w = pairs.subset(keep), (w * boot)[keep]
    if method is Method.LOG_LS:
        return _fit_log_ls(pairs, ref, w, where)
    if method is Method.LS:
        fit = _fit_ls(pairs, ref, w, where)
        bad = np.r_[fit.s, fit.r] <= 0
        if bad.any():
            names = np.r_[fit.origins, fit.destinations][bad]
            raise ModelError(
                f"{where}: least squares gives non-positive factors for {sorted(set(names))}; "
                "the absolute-scale fit is unstable here, use method='log-ls'"
            )
        return fit
    if method is Method.POULAIN:
        return _fit_poulain(pairs, ref, w, where, tol, max_iter)
    return _fit_prefer_immigration(pairs, ref, w)


# ---------------------------------------------------------------------------- reference
def _choose_reference(reference: Any, quality: pd.DataFrame | None, both: pd.DataFrame) -> str:
    if reference is not None:
        code = resolve_countries(pd.Series([reference], dtype="string")).iloc[0]
        if pd.isna(code):
            raise InputError(f"reference {reference!r} is not a known country")
        return str(code)
    if quality is None:
        raise ConfigurationError(
            "name the reference country (its immigration factor is fixed at 1), or pass "
            "quality= (scores or classes per country) to pick the best-scored one"
        )
    q = quality.assign(country=resolve_countries(quality["country"]))
    n_pairs = both.groupby("destination").size().rename("n_pairs")
    q = q.merge(n_pairs, left_on="country", right_index=True, how="inner")
    if q.empty:
        raise ModelError("no country of the quality table reports immigration on a mirrored pair")
    ranks = _classes().query("kind != 'undercount' or side == 'immigration'")
    if "score" in q.columns:
        q = q.assign(_a=-q["score"].astype(float), _b=0.0)
    else:
        und = ranks.query("kind == 'undercount'").set_index("class")["rank"]
        acc = ranks.query("kind == 'accuracy'").set_index("class")["rank"]
        q = q.assign(
            _a=q["undercount_imm"].astype("string").str.lower().map(und).fillna(9).astype(float),
            _b=(
                q["accuracy_imm"].astype("string").str.lower().map(acc).fillna(9).astype(float)
                if "accuracy_imm" in q.columns
                else 0.0
            ),
        )
    best = q.sort_values(["_a", "_b", "n_pairs", "country"], ascending=[True, True, False, True])
    return str(best["country"].iloc[0])


def _quality_from_table(table: MirrorTable) -> pd.DataFrame:
    """Per-country immigration classes of the table (most frequent class of each reporter)."""
    d = table.data.loc[table.data["undercount_imm"].notna()]
    return (
        d.groupby("destination")[["undercount_imm", "accuracy_imm"]]
        .agg(lambda s: s.mode().iloc[0] if s.notna().any() else pd.NA)
        .reset_index()
        .rename(columns={"destination": "country"})
    )


# ---------------------------------------------------------------------------- main
@public
def reconcile(
    table: MirrorTable,
    method: Method | str = Method.LOG_LS,
    reference: str | None = None,
    weights: Weights | str | None = None,
    exclude_outliers: float | None = None,
    *,
    outlier_rule: OutlierRule | str = OutlierRule.CC1,
    bootstrap: int = 0,
    seed: int = 0,
    quality: pd.DataFrame | str | None = None,
    level: float | None = None,
    tol: float = 1e-10,
    max_iter: int = 10_000,
    covariates: Any = None,
    inference: str = "nuts",
    draws: int = 1000,
    warmup: int = 500,
    chains: int = 2,
) -> Reconciliation:
    """Reconcile immigration and emigration reported for the same corridors.

    Factors are estimated separately for each cell (year, sex, age) from the pairs reported
    by both sides with positive counts; ``r_ref = 1`` pins the scale (DOMAIN.md section 5).

    The methods (``method``):

    ``prefer-immigration``
        The UNECE rule: the receiving country's figure is taken as it is (every
        ``r_j = 1``); each origin's emigration is scaled to what its partners report,
        ``s_i = sum_j I_ij / sum_j E_ij``, which is used where only the origin reports.
    ``ls``
        Minimise ``sum w_ij (r_j I_ij - s_i E_ij)^2`` with ``r_ref = 1`` (a linear
        least-squares problem in the other factors, solved by sparse normal equations).
        Standard errors from the fit. Not recommended (a ``UserWarning`` says so): absolute
        residuals reward small factors, so ls shrinks them toward zero; kept for comparison.
    ``log-ls``
        The two-way additive model ``log I_ij - log E_ij = log s_i - log r_j + e_ij`` with
        ``log r_ref = 0``, sparse weighted least squares; standard errors from the fit,
        intervals ``exp(log f +- z se)``.
    ``bayes``
        The Bayesian measurement model of :mod:`migdata.mirror.bayes` (IMEM/MigMod family):
        true flows for every corridor-year of the table's countries and years, including
        corridors no side reported, with ``lower``/``upper`` intervals (``level``, default
        0.90) in ``flows``, undercount and accuracy posteriors in ``parameters`` and sampler
        diagnostics in ``sampler`` (a ``RuntimeWarning`` when R-hat > 1.01, ESS < 100 or
        any divergence). ``reference`` is optional (without it the Beta priors identify the
        scale); ``quality`` (a DataFrame or ``"table"``) gives the priors; ``covariates``
        (:func:`~migdata.mirror.read_covariates`) the gravity model; ``inference``
        ``"nuts"`` (NumPyro NUTS, ``chains`` x ``draws`` after ``warmup``) or ``"laplace"``
        (Gaussian approximation at the posterior mode, for interactive use: medians close
        to NUTS's, intervals too narrow, about 70% coverage of a 90% interval). Needs
        ``pip install 'migdata[bayes]'``. ``weights``, ``exclude_outliers``,
        ``bootstrap``, ``tol`` and ``max_iter`` do not apply.
    ``poulain``
        Alternate ``s_i <- sum_j w r_j I_ij / sum_j w E_ij`` and
        ``r_j <- sum_i w s_i E_ij / sum_i w I_ij``, renormalised so ``r_ref = 1``, until
        factors change by less than ``tol`` (log scale) or ``max_iter``; convergence is
        reported.

    ``ls``, ``log-ls`` and ``poulain`` need the graph of pairs (origins linked to
    destinations) to be connected and to contain the reference, otherwise
    :class:`~migdata.errors.ModelError` names the separate groups.

    The weights (``weights``; default ``count``): ``none``: ``w = 1``. ``relative``: ls
    ``w = 1/(I+E)^2`` (squared discrepancy relative to the pair size); log-ls ``w = 1`` (log
    residuals are already relative); poulain ``w = 1/(I+E)`` (each pair counts about
    equally in the sums).
    ``count``: inverse Poisson variance, ls ``w = 1/(I+E)``, log-ls ``w = 1/(1/I + 1/E)``,
    poulain ``w = 1``. ``accuracy`` (quality link): each reported flow has a log-normal
    error whose SD depends on its reporter's accuracy class
    (``accuracy_imm``/``accuracy_emi`` of the table; high 0.10, medium 0.25, low and
    unknown 0.50, ``data/mirror/classes.csv``); log-ls ``w = 1/(sd_I^2 + sd_E^2)``, ls
    ``w = 1/((I sd_I)^2 + (E sd_E)^2)``, poulain ``w = 1/(sd_I^2 + sd_E^2)``. Every
    weighting is scale-free: multiplying all flows by a constant leaves the factors
    unchanged. The default, ``count``, is the inverse variance of each pair's discrepancy
    under a Poisson model of the reported counts: for log-ls ``var(log I - log E) ~ 1/I +
    1/E``, so a corridor of 5 persons weighs about 10,000 times less than one of 50,000
    (with ``none``, the default before migdata 0.2, both counted equally; Slovakia's
    emigration factor in 2015 moves from 14.3 with ``none`` to 8.2 with ``count``).
    ``accuracy`` adds the reporters' accuracy classes instead of the counting noise.

    The reference (``reference``): named with ``reference``; otherwise ``quality`` must be
    given and the best-scored country that reports immigration on a mirrored pair is
    chosen: the highest ``score`` column if there is one, else the lowest immigration
    undercount class (``undercount_imm``), then the highest accuracy class
    (``accuracy_imm``), then the most mirrored pairs, then alphabetical order.
    ``quality="table"`` uses the classes carried by the table (e.g. UI/AI of the Eurostat
    mirror file or IMEM classes attached with :meth:`MirrorTable.with_classes`).

    Parameters
    ----------
    table
        The mirror table (duration-correct it first with
        :meth:`MirrorTable.duration_corrected` if the thresholds differ).
    method, reference, weights
        See above; enums or their string values.
    exclude_outliers
        Threshold above which a corridor is excluded from the estimation (listed in
        ``outliers``; its harmonised flow is still computed with the factors).
    outlier_rule
        ``"cc1"`` (``|CC1|``, between 0 and 2) or ``"log-ratio"`` (``|log(I/E)|``).
    bootstrap
        Replicates of a pairs bootstrap (Poisson(1) weights per pair); gives percentile
        intervals (and the SE of poulain and prefer-immigration). Replicates that break the
        graph are skipped and counted in ``bootstrap_failed``.
    seed
        Seed of the bootstrap.
    quality
        Scores or classes per country for choosing the reference.
    level
        Confidence level of the intervals (default 0.95; 0.90 for ``bayes``).
    covariates, inference, draws, warmup, chains
        ``method="bayes"`` only (see above); ``draws`` is also the number of draws of the
        Laplace approximation.
    tol, max_iter
        Convergence of ``poulain``.

    Returns
    -------
    Reconciliation

    Examples
    --------
    >>> raw = pd.DataFrame({"Year": 2015, "Sending_iso2": ["SE", "DK", "FI", "SE", "DK"],
    ...     "Receiving_iso2": ["DK", "FI", "SE", "FI", "SE"],
    ...     "Emig": [50, 80, 30, 40, 90], "Immi": [100, 80, 60, 40, 180]})
    >>> t = MirrorTable.from_eurostat(raw)
    >>> rec = reconcile(t, "log-ls", reference="SE")
    >>> rec.factor("SE", "immigration"), round(rec.factor("SE", "emigration"), 3)
    (1.0, 2.0)
    >>> rec.flows.harmonised.round(1).tolist()
    [160.0, 180.0, 60.0, 100.0, 80.0]
    """
    check_instance(table, MirrorTable, "table", "build one with MirrorTable.from_eurostat")
    # Default: count weights, the inverse variance of each pair's discrepancy under a Poisson
    # count model (for log-ls var(log I - log E) ~ 1/I + 1/E), so a 5-person corridor does not
    # count as much as a 50,000-person one.
    method = Method(method)
    weights = Weights.COUNT if weights is None else Weights(weights)
    outlier_rule = OutlierRule(outlier_rule)
    level = (0.90 if method is Method.BAYES else 0.95) if level is None else level
    if not 0 < level < 1:
        raise ConfigurationError(f"level must be between 0 and 1, got {level}")
    if method is Method.BAYES:
        from migdata.mirror.bayes import reconcile_bayes

        if isinstance(quality, str):
            if quality != "table":
                raise ConfigurationError(f"quality must be a DataFrame or 'table', got {quality!r}")
            quality = _quality_from_table(table)
        ref = None if reference is None else _choose_reference(reference, None, table.data)
        return reconcile_bayes(table, reference=ref, quality=quality, covariates=covariates,
                               inference=inference, draws=draws, warmup=warmup, chains=chains,
                               seed=seed, level=level)  # fmt: skip
    if method is Method.LS:
        warnings.warn(
            "method='ls' minimises absolute discrepancies r_j I_ij - s_i E_ij, which rewards "
            "small factors: it shrinks them toward zero (on the 2015 Eurostat table 93% of its "
            "estimated factors are below 1, against 38% for log-ls; in 2014 with equal weights "
            "it raises mean |CC1| from 0.739 to 0.783). It is kept for comparison with "
            "published work; use method='log-ls' (the default)",
            UserWarning, stacklevel=2,
        )  # fmt: skip
    data = table.data
    imm, emi = data["immigration"].to_numpy(float), data["emigration"].to_numpy(float)
    with np.errstate(invalid="ignore"):
        is_both = (
            np.asarray(data["reported_by"].eq("both").fillna(False), dtype=bool)
            & (imm > 0)
            & (emi > 0)
        )
    both_pos = np.flatnonzero(is_both)
    if not len(both_pos):
        raise ModelError(
            "no pair is reported by both sides with positive counts: nothing to reconcile"
        )
    if isinstance(quality, str):
        if quality != "table":
            raise ConfigurationError(f"quality must be a DataFrame or 'table', got {quality!r}")
        quality = _quality_from_table(table)
    ref = _choose_reference(reference, quality, data[["destination"]].iloc[both_pos])
    codes = _codes(data)

    cc1 = _cc1(imm[both_pos], emi[both_pos])
    logr = np.log(imm[both_pos] / emi[both_pos])
    if exclude_outliers is not None:
        measure = np.abs(cc1) if outlier_rule is OutlierRule.CC1 else np.abs(logr)
        is_out = measure > float(exclude_outliers)
    else:
        is_out = np.zeros(len(both_pos), dtype=bool)
    outliers = (
        data[[*KEY, "emigration", "immigration"]]
        .iloc[both_pos[is_out]]
        .assign(cc1=cc1[is_out], log_ratio=logr[is_out])
        .reset_index(drop=True)
    )
    # Used pairs grouped by cell (stable: table order within a cell), as integer codes.
    used_pos = both_pos[~is_out]
    order = np.argsort(codes.cell[used_pos], kind="stable")
    rows = used_pos[order]
    w_all = _weights(data, used_pos, weights, method)[order]
    bounds = np.searchsorted(codes.cell[rows], np.arange(len(codes.cells) + 1))
    o_all, d_all = codes.origin[rows], codes.destination[rows]
    imm_all, emi_all = imm[rows], emi[rows]

    z = NormalDist().inv_cdf(0.5 + level / 2)
    rng = np.random.default_rng(seed)
    res = _FactorArrays.empty(len(codes.cells), len(codes.names))
    diag_rows = []
    failed = 0
    for k, (year, sex, age) in enumerate(codes.cells.itertuples(index=False, name=None)):
        lo, hi = bounds[k], bounds[k + 1]
        if lo == hi:
            continue
        pairs = _Pairs(codes.names, o_all[lo:hi], d_all[lo:hi], imm_all[lo:hi], emi_all[lo:hi],
                       w_all[lo:hi])  # fmt: skip
        where = f"year {year}" + ("" if (sex, age) == ("_T", "_T") else f", sex {sex}, age {age}")
        fit = _fit(pairs, method, ref, where, tol, max_iter)
        reps_s, reps_r = [], []
        for _ in range(bootstrap):
            boot = rng.poisson(1.0, len(pairs)).astype(float)
            try:
                b = _fit(pairs, method, ref, where, tol, max_iter, boot)
            except ModelError:
                failed += 1
                continue
            reps_s.append(_align(b.s, b.origins, fit.origins))
            reps_r.append(_align(b.r, b.destinations, fit.destinations))
        res.store(k, fit, pairs, ref, z, method is Method.LOG_LS, reps_r, reps_s, level)
        diag_rows.append({"cell": k, "converged": fit.converged, "iterations": fit.iterations})
    factors = _factor_table(res, codes, data)
    outlier = np.zeros(len(data), dtype=bool)
    outlier[both_pos[is_out]] = True
    flows = _harmonise(data, codes, res, method, ref, outlier)
    diagnostics = _diagnostics(
        flows, codes, pd.DataFrame(diag_rows, columns=["cell", "converged", "iterations"])
    )
    return Reconciliation(method, ref, weights, factors, flows, diagnostics, outliers,
                          bootstrap, failed)  # fmt: skip


def _align(values: np.ndarray, names: np.ndarray, to: np.ndarray) -> np.ndarray:
    """``values`` (one per sorted ``names``) at their rows of sorted ``to``; NaN elsewhere."""
    out = np.full(len(to), np.nan)
    out[np.searchsorted(to, names)] = values
    return out


_STATUS = np.array(["not estimable", "estimated", "reference"])
_SIDES = np.array(["emigration", "immigration"])  # side 0 (s_i) and 1 (r_j), in sort order


@dataclass
class _FactorArrays:
    """Factors of every cell x country x side (0 emigration, 1 immigration) as dense arrays."""

    factor: np.ndarray
    se: np.ndarray
    ci_low: np.ndarray
    ci_high: np.ndarray
    n_pairs: np.ndarray
    status: np.ndarray  # index into _STATUS
    se_boot: np.ndarray  # bootstrap SE (NaN without bootstrap)
    se_formula: np.ndarray  # bool: ``se`` is the model formula's (else the bootstrap's)

    @classmethod
    def empty(cls, n_cells: int, n_countries: int) -> _FactorArrays:
        shape = (n_cells, n_countries, 2)
        nan = np.full(shape, np.nan)
        return cls(nan, nan.copy(), nan.copy(), nan.copy(), np.zeros(shape, dtype=np.int64),
                   np.zeros(shape, dtype=np.int8), nan.copy(),
                   np.ones(shape, dtype=bool))  # fmt: skip

    def store(self, k: int, fit: _Fit, pairs: _Pairs, ref: str, z: float, log_scale: bool,
              reps_r: list[np.ndarray], reps_s: list[np.ndarray],
              level: float) -> None:  # fmt: skip
        """Factors, SEs, intervals and status of one cell's fit (bootstrap ones if given)."""
        # Rows: destinations (r) then origins (s), as the bootstrap replicates are stacked.
        f = np.r_[fit.r, fit.s]
        se = np.r_[fit.se_r, fit.se_s]
        codes = np.asarray(np.searchsorted(pairs.names, np.r_[fit.destinations, fit.origins]))
        nd = len(fit.destinations)
        side = np.r_[np.ones(nd, dtype=np.intp), np.zeros(len(fit.origins), dtype=np.intp)]
        n = np.r_[np.bincount(pairs.d, minlength=len(pairs.names))[codes[:nd]],
                  np.bincount(pairs.o, minlength=len(pairs.names))[codes[nd:]]]  # fmt: skip
        if log_scale:
            with np.errstate(divide="ignore", invalid="ignore"):
                lo, hi = f * np.exp(-z * se / f), f * np.exp(z * se / f)
        else:
            lo, hi = f - z * se, f + z * se
        is_ref = (side == 1) & (np.r_[fit.destinations, fit.origins] == ref)
        f, se = np.where(is_ref, 1.0, f), np.where(is_ref, 0.0, se)
        lo, hi = np.where(is_ref, 1.0, lo), np.where(is_ref, 1.0, hi)
        if reps_s:
            reps = np.hstack([np.vstack(reps_r), np.vstack(reps_s)])
            alpha = (1 - level) / 2
            with np.errstate(invalid="ignore"):
                lo, hi = np.nanquantile(reps, [alpha, 1 - alpha], axis=0)
                sd = np.nanstd(reps, axis=0, ddof=1)
            self.se_formula[k, codes, side] = ~np.isnan(se) | is_ref
            se = np.where(np.isnan(se), sd, se)
            sd = np.where(is_ref, 0.0, sd)
            self.se_boot[k, codes, side] = sd
            se, lo, hi = (np.where(is_ref, v, x) for v, x in ((0.0, se), (1.0, lo), (1.0, hi)))
        self.factor[k, codes, side] = f
        self.se[k, codes, side] = se
        self.ci_low[k, codes, side] = lo
        self.ci_high[k, codes, side] = hi
        self.n_pairs[k, codes, side] = n
        self.status[k, codes, side] = np.where(is_ref, 2, 1)


def _factor_table(res: _FactorArrays, codes: _Codes, data: pd.DataFrame) -> pd.DataFrame:
    """One row per cell, country and side present in the table ('not estimable' if unfitted),
    sorted by year, sex, age, country and side."""
    present = np.zeros(res.status.shape, dtype=bool)
    present[codes.cell, codes.origin, 0] = True
    present[codes.cell, codes.destination, 1] = True
    k, c, side = np.nonzero(present)  # row-major: the sort order of the keys
    cells = codes.cells
    names = pd.array(codes.names, dtype=data["origin"].dtype)
    out = pd.DataFrame(
        {
            "year": cells["year"].to_numpy()[k],
            "sex": cells["sex"].array.take(k),
            "age": cells["age"].array.take(k),
            "country": names.take(c),
            "side": _SIDES[side],
            "factor": res.factor[k, c, side],
            "se": res.se[k, c, side],
            "se_source": np.where(res.se_formula[k, c, side], "formula", "bootstrap"),
            "se_bootstrap": res.se_boot[k, c, side],
            "ci_low": res.ci_low[k, c, side],
            "ci_high": res.ci_high[k, c, side],
            "n_pairs": res.n_pairs[k, c, side],
            "status": _STATUS[res.status[k, c, side]],
        }
    )
    return out.astype({"year": data["year"].dtype})


def _harmonise(data: pd.DataFrame, codes: _Codes, res: _FactorArrays, method: Method, ref: str,
               outlier: np.ndarray) -> pd.DataFrame:  # fmt: skip
    flows = data[[*KEY, "emigration", "immigration", "reported_by"]].reset_index(drop=True)
    sf = res.factor[codes.cell, codes.origin, 0]
    rf = res.factor[codes.cell, codes.destination, 1]
    flows["s"] = sf
    flows["r"] = rf
    flows["outlier"] = outlier
    i, e = flows["immigration"].to_numpy(float), flows["emigration"].to_numpy(float)
    # A side whose factor cannot be estimated is kept unadjusted and flagged in provenance.
    adj_i = i * np.where(np.isnan(rf), 1.0, rf)
    adj_e = e * np.where(np.isnan(sf), 1.0, sf)
    has_i, has_e = ~np.isnan(i), ~np.isnan(e)
    if method is Method.PREFER_IMMIGRATION:
        harmonised = np.where(has_i, adj_i, adj_e)
        use_both = np.zeros(len(flows), dtype=bool)
    else:
        harmonised = np.where(has_i & has_e, (adj_i + adj_e) / 2, np.where(has_i, adj_i, adj_e))
        use_both = has_i & has_e
    flows["adj_emigration"] = adj_e
    flows["adj_immigration"] = adj_i
    flows["harmonised"] = harmonised
    only_i = has_i & ~use_both
    only_e = has_e & ~has_i
    sides = np.select([use_both, only_i, only_e], [0, 1, 2], 3)
    flows["sides"] = _text_take(["both", "immigration", "emigration", "none"], sides, "str")
    flag = sides * 8 + np.isnan(rf) * 4 + np.isnan(sf) * 2 + outlier
    flows["provenance"] = _provenance(codes, flag, method, ref)
    return flows


def _provenance_parts(flag: int, tail: str) -> tuple[str, int, str, int, str]:
    """Template of one flag: text = p1 + name(x1) + p2 + name(x2) + p3, x 0 none, 1 origin,
    2 destination (see :func:`_provenance`)."""
    sides, r_nan, s_nan, outlier = flag // 8, (flag // 4) % 2, (flag // 2) % 2, flag % 2
    r_txt = " (r not estimable: unadjusted)" if r_nan else " x r"
    s_txt = " (s not estimable: unadjusted)" if s_nan else " x s"
    out_txt = " (outlier: excluded from estimation)" if outlier else ""
    end = tail + out_txt
    if sides == 0:
        return ("mean of immigration reported by ", 2,
                r_txt + " and emigration reported by ", 1, s_txt + end)  # fmt: skip
    if sides == 1:
        return "immigration reported by ", 2, r_txt + end, 0, ""
    if sides == 2:
        return "emigration reported by ", 1, s_txt + end, 0, ""
    return "no side reported" + out_txt, 0, "", 0, ""


def _provenance(codes: _Codes, flag: np.ndarray, method: Method, ref: str) -> pd.Series:
    """Provenance sentences, written once per distinct (pair, flag) and broadcast in Arrow.

    ``flag`` = sides * 8 + (r not estimable) * 4 + (s not estimable) * 2 + outlier, with
    sides 0 both, 1 immigration, 2 emigration, 3 none.
    """
    n = len(codes.names)
    key = (codes.origin.astype(np.int64) * n + codes.destination) * 32 + flag
    uniq, inv = _dense_inverse(key, n * n * 32)
    f = uniq % 32
    pair = uniq // 32
    # Names by code, with "" (code n) for a template slot that takes no name.
    names = pa.array(np.append(codes.names, "").astype(object), type=pa.large_string())
    ends = np.stack([n + np.zeros(len(uniq), dtype=np.int64), pair // n, pair % n])
    parts = [_provenance_parts(k, f"; {method.value}, reference {ref}") for k in range(32)]
    pieces = []
    for j in range(5):
        if j % 2 == 0:
            table = pa.array([p[j] for p in parts], type=pa.large_string())
            pieces.append(table.take(pa.array(f)))
        else:
            kind = np.array([p[j] for p in parts])[f]
            pieces.append(names.take(pa.array(ends[kind, np.arange(len(uniq))])))
    texts = pc.binary_join_element_wise(*pieces, pa.scalar("", pa.large_string()))
    return pd.Series(pd.array(texts.take(pa.array(inv)), dtype="string"))


def _text_take(values: list[str], codes: np.ndarray, dtype: str) -> pd.Series:
    """``values[codes]`` as a text Series built in Arrow (no Python string per row)."""
    arr = pa.array(values, type=pa.large_string()).take(pa.array(codes))
    na_value = np.nan if dtype == "str" else pd.NA
    return pd.Series(pd.array(arr, dtype=pd.StringDtype("pyarrow", na_value=na_value)))


def _diagnostics(flows: pd.DataFrame, codes: _Codes, fits: pd.DataFrame) -> pd.DataFrame:
    """Per cell with a pair reported by both sides: counts and mean |CC1| before and after."""
    n_cells = len(codes.cells)
    both = np.asarray(flows["reported_by"].eq("both").fillna(False), dtype=bool)
    with np.errstate(invalid="ignore"):
        positive = (flows["immigration"].to_numpy(float) > 0) & (
            flows["emigration"].to_numpy(float) > 0)
    # A pair with a zero side is left out of the fit (no log ratio): count it apart and keep
    # it out of the |CC1| means, so the statistics describe the pairs the fit used.
    zero = both & ~positive
    ok = both & positive & flows["s"].notna().to_numpy() & flows["r"].notna().to_numpy()
    cell_b, cell_ok = codes.cell[both], codes.cell[ok]
    n_both = np.bincount(cell_b, minlength=n_cells)
    n_out = np.bincount(cell_b, flows["outlier"].to_numpy()[both], minlength=n_cells)
    n_zero = np.bincount(codes.cell[zero], minlength=n_cells)
    n_ok = np.bincount(cell_ok, minlength=n_cells)
    before = np.abs(_cc1(flows["immigration"].to_numpy()[ok], flows["emigration"].to_numpy()[ok]))
    after = np.abs(
        _cc1(flows["adj_immigration"].to_numpy()[ok], flows["adj_emigration"].to_numpy()[ok])
    )
    keep = np.flatnonzero(n_both > 0)
    with np.errstate(invalid="ignore", divide="ignore"):
        # Means skip NaN (a pair with both sides 0 has no CC1), as a grouped mean does.
        mean_before, mean_after = (
            np.bincount(cell_ok, np.nan_to_num(v), minlength=n_cells)
            / np.bincount(cell_ok, ~np.isnan(v), minlength=n_cells)
            for v in (before, after)
        )
    has_ok = n_ok[keep] > 0
    out = codes.cells.iloc[keep].reset_index(drop=True)
    out["n_both"] = n_both[keep]
    out["n_outliers"] = n_out[keep].astype(np.int64)
    out["n_zero"] = n_zero[keep]
    out["n_used"] = out["n_both"] - out["n_outliers"] - out["n_zero"]
    # Cells without an adjusted pair have no statistics (NaN), as a grouped mean would give.
    out["n_adjusted"] = n_ok[keep] if has_ok.all() else np.where(has_ok, n_ok[keep], np.nan)
    out["mean_abs_cc1_before"] = np.where(has_ok, mean_before[keep], np.nan)
    out["mean_abs_cc1_after"] = np.where(has_ok, mean_after[keep], np.nan)
    out = out.assign(cell=keep).merge(fits, on="cell", how="left")
    cols = ["year", "sex", "age", "n_both", "n_used", "n_outliers", "n_zero", "n_adjusted",
            "mean_abs_cc1_before", "mean_abs_cc1_after", "converged", "iterations"]  # fmt: skip
    return out[cols]
