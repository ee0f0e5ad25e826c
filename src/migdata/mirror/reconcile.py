"""Reconciliation of mirror flows: one adjustment factor per country and side (immigration
r_j, emigration s_i) so that r_j I_ij and s_i E_ij agree, and one harmonised flow per pair
with its provenance (DOMAIN.md section 5, items 4-6).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from functools import cache
from statistics import NormalDist
from typing import Any

import numpy as np
import pandas as pd
import scipy.sparse as sp
from scipy.sparse.csgraph import connected_components

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
        ``emigration`` = s_i): ``factor``, ``se``, ``ci_low``, ``ci_high``, ``n_pairs`` and
        ``status`` (reference / estimated / not estimable).
    flows
        One row per pair of the table: reported sides, factors ``s`` and ``r``, adjusted
        sides, ``harmonised``, ``sides`` used, ``outlier`` and ``provenance``.
    diagnostics
        Per cell: pairs with both sides, pairs used, outliers, mean ``|CC1|`` before and after,
        convergence and iterations.
    outliers
        Corridors excluded from estimation with their CC1 and log ratio.
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

    def factor(self, country: str, side: str, year: int | None = None) -> float:
        """The factor of one country and side (of the only year, or of ``year``)."""
        code = resolve_countries(pd.Series([country])).iloc[0]
        f = self.factors.loc[(self.factors["country"] == code) & (self.factors["side"] == side)]
        if year is not None:
            f = f.loc[f["year"] == year]
        if len(f) != 1:
            raise InputError(f"expected one factor for {country} {side}, found {len(f)}")
        return float(f["factor"].iloc[0])

    def _repr_html_(self) -> str:
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


def _weights(pairs: pd.DataFrame, weights: Weights, method: Method) -> np.ndarray:
    i = pairs["immigration"].to_numpy(float)
    e = pairs["emigration"].to_numpy(float)
    if weights is Weights.NONE:
        return np.ones(len(pairs))
    if weights is Weights.ACCURACY:
        sd_i, sd_e = _accuracy_sd(pairs["accuracy_imm"]), _accuracy_sd(pairs["accuracy_emi"])
        if method is Method.LS:
            return 1.0 / ((i * sd_i) ** 2 + (e * sd_e) ** 2)
        return 1.0 / (sd_i**2 + sd_e**2)
    if method is Method.LS:
        return 1.0 / (i + e) ** 2 if weights is Weights.RELATIVE else 1.0 / (i + e)
    if method is Method.LOG_LS:
        return np.ones(len(pairs)) if weights is Weights.RELATIVE else 1.0 / (1.0 / i + 1.0 / e)
    # Ratio-of-sums methods: relative weights make every pair count about equally.
    return 1.0 / (i + e) if weights is Weights.RELATIVE else np.ones(len(pairs))


# ---------------------------------------------------------------------------- estimators
def _index(pairs: pd.DataFrame, ref: str) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    origins, oi = np.unique(pairs["origin"].to_numpy(str), return_inverse=True)
    dests, di = np.unique(pairs["destination"].to_numpy(str), return_inverse=True)
    return origins, oi, dests, di


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
    x = np.linalg.solve(chol.T, np.linalg.solve(chol, rhs))
    n, p = a.shape
    resid = a @ x - b
    if n > p:
        sigma2 = float(np.sum(w * resid**2)) / (n - p)
        inv = np.linalg.inv(chol)
        se = np.sqrt(sigma2 * np.sum(inv**2, axis=0))
    else:
        se = np.full(p, np.nan)
    return x, se


def _fit_log_ls(pairs: pd.DataFrame, ref: str, w: np.ndarray, where: str) -> _Fit:
    origins, oi, dests, di = _index(pairs, ref)
    _check_graph(origins, oi, dests, di, ref, where)
    no = len(origins)
    free = dests != ref
    col_of_dest = np.full(len(dests), -1)
    col_of_dest[free] = no + np.arange(free.sum())
    rows = np.arange(len(pairs))
    keep = col_of_dest[di] >= 0
    a = sp.csr_matrix(
        (
            np.r_[np.ones(len(pairs)), -np.ones(int(keep.sum()))],
            (np.r_[rows, rows[keep]], np.r_[oi, col_of_dest[di][keep]]),
        ),
        shape=(len(pairs), no + int(free.sum())),
    )
    y = np.log(pairs["immigration"].to_numpy(float)) - np.log(pairs["emigration"].to_numpy(float))
    x, se = _solve(a, y, w)
    log_r = np.zeros(len(dests))
    se_log_r = np.zeros(len(dests))
    log_r[free], se_log_r[free] = x[no:], se[no:]
    s, r = np.exp(x[:no]), np.exp(log_r)
    return _Fit(origins, dests, s, r, s * se[:no], r * se_log_r)


def _fit_ls(pairs: pd.DataFrame, ref: str, w: np.ndarray, where: str) -> _Fit:
    origins, oi, dests, di = _index(pairs, ref)
    _check_graph(origins, oi, dests, di, ref, where)
    no = len(origins)
    free = dests != ref
    col_of_dest = np.full(len(dests), -1)
    col_of_dest[free] = no + np.arange(free.sum())
    i = pairs["immigration"].to_numpy(float)
    e = pairs["emigration"].to_numpy(float)
    rows = np.arange(len(pairs))
    keep = col_of_dest[di] >= 0
    # residual r_j I_ij - s_i E_ij; with r_ref = 1 the reference pairs carry I_ij as constant.
    a = sp.csr_matrix(
        (np.r_[-e, i[keep]], (np.r_[rows, rows[keep]], np.r_[oi, col_of_dest[di][keep]])),
        shape=(len(pairs), no + int(free.sum())),
    )
    b = np.where(keep, 0.0, -i)
    x, se = _solve(a, b, w)
    r = np.ones(len(dests))
    se_r = np.zeros(len(dests))
    r[free], se_r[free] = x[no:], se[no:]
    return _Fit(origins, dests, x[:no], r, se[:no], se_r)


def _fit_poulain(
    pairs: pd.DataFrame, ref: str, w: np.ndarray, where: str, tol: float, max_iter: int
) -> _Fit:
    origins, oi, dests, di = _index(pairs, ref)
    _check_graph(origins, oi, dests, di, ref, where)
    i = pairs["immigration"].to_numpy(float) * w
    e = pairs["emigration"].to_numpy(float) * w
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


def _fit_prefer_immigration(pairs: pd.DataFrame, ref: str, w: np.ndarray) -> _Fit:
    origins, oi, dests, _ = _index(pairs, ref)
    i = pairs["immigration"].to_numpy(float) * w
    e = pairs["emigration"].to_numpy(float) * w
    s = np.bincount(oi, i, minlength=len(origins)) / np.bincount(oi, e, minlength=len(origins))
    return _Fit(origins, dests, s, np.ones(len(dests)), np.full(len(origins), np.nan),
                np.zeros(len(dests)))  # fmt: skip


def _fit(pairs: pd.DataFrame, method: Method, ref: str, weights: Weights, where: str,
         tol: float, max_iter: int, boot: np.ndarray | None = None) -> _Fit:  # fmt: skip
    w = _weights(pairs, weights, method)
    if boot is not None:
        keep = boot > 0
        pairs, w = pairs.loc[keep], (w * boot)[keep]
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
def reconcile(
    table: MirrorTable,
    method: Method | str = Method.LOG_LS,
    reference: str | None = None,
    weights: Weights | str = Weights.NONE,
    exclude_outliers: float | None = None,
    *,
    outlier_rule: OutlierRule | str = OutlierRule.CC1,
    bootstrap: int = 0,
    seed: int = 0,
    quality: pd.DataFrame | str | None = None,
    level: float = 0.95,
    tol: float = 1e-10,
    max_iter: int = 10_000,
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
        Standard errors from the fit.
    ``log-ls``
        The two-way additive model ``log I_ij - log E_ij = log s_i - log r_j + e_ij`` with
        ``log r_ref = 0``, sparse weighted least squares; standard errors from the fit,
        intervals ``exp(log f +- z se)``.
    ``poulain``
        Alternate ``s_i <- sum_j w r_j I_ij / sum_j w E_ij`` and
        ``r_j <- sum_i w s_i E_ij / sum_i w I_ij``, renormalised so ``r_ref = 1``, until
        factors change by less than ``tol`` (log scale) or ``max_iter``; convergence is
        reported.

    ``ls``, ``log-ls`` and ``poulain`` need the graph of pairs (origins linked to
    destinations) to be connected and to contain the reference, otherwise
    :class:`~migdata.errors.ModelError` names the separate groups.

    The weights (``weights``): ``none``: ``w = 1``. ``relative``: ls ``w = 1/(I+E)^2``
    (squared discrepancy relative to the pair size); log-ls ``w = 1`` (log residuals are
    already relative); poulain ``w = 1/(I+E)`` (each pair counts about equally in the sums).
    ``count``: inverse Poisson variance, ls ``w = 1/(I+E)``, log-ls ``w = 1/(1/I + 1/E)``,
    poulain ``w = 1``. ``accuracy`` (quality link): each reported flow has a log-normal
    error whose SD depends on its reporter's accuracy class
    (``accuracy_imm``/``accuracy_emi`` of the table; high 0.10, medium 0.25, low and
    unknown 0.50, ``data/mirror/classes.csv``); log-ls ``w = 1/(sd_I^2 + sd_E^2)``, ls
    ``w = 1/((I sd_I)^2 + (E sd_E)^2)``, poulain ``w = 1/(sd_I^2 + sd_E^2)``. Every
    weighting is scale-free: multiplying all flows by a constant leaves the factors
    unchanged.

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
        Confidence level of the intervals.
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
    method, weights = Method(method), Weights(weights)
    outlier_rule = OutlierRule(outlier_rule)
    if not 0 < level < 1:
        raise ConfigurationError(f"level must be between 0 and 1, got {level}")
    data = table.data
    both = data.loc[
        (data["reported_by"] == "both") & (data["immigration"] > 0) & (data["emigration"] > 0)
    ]
    if both.empty:
        raise ModelError(
            "no pair is reported by both sides with positive counts: nothing to reconcile"
        )
    if isinstance(quality, str):
        if quality != "table":
            raise ConfigurationError(f"quality must be a DataFrame or 'table', got {quality!r}")
        quality = _quality_from_table(table)
    ref = _choose_reference(reference, quality, both)

    cc1 = _cc1(both["immigration"], both["emigration"])
    logr = np.log(both["immigration"].to_numpy(float) / both["emigration"].to_numpy(float))
    if exclude_outliers is not None:
        measure = np.abs(cc1) if outlier_rule is OutlierRule.CC1 else np.abs(logr)
        is_out = measure > float(exclude_outliers)
    else:
        is_out = np.zeros(len(both), dtype=bool)
    outliers = (
        both.loc[is_out, [*KEY, "emigration", "immigration"]]
        .assign(cc1=cc1[is_out], log_ratio=logr[is_out])
        .reset_index(drop=True)
    )
    used = both.loc[~is_out]

    z = NormalDist().inv_cdf(0.5 + level / 2)
    rng = np.random.default_rng(seed)
    factor_parts, diag_rows = [], []
    failed = 0
    for cell, pairs in used.groupby(_CELL, observed=True, sort=True):
        year, sex, age = cell
        where = f"year {year}" + ("" if (sex, age) == ("_T", "_T") else f", sex {sex}, age {age}")
        fit = _fit(pairs, method, ref, weights, where, tol, max_iter)
        f_cell = _factor_frame(fit, pairs, ref, z, log_scale=method is Method.LOG_LS)
        if bootstrap > 0:
            reps_s, reps_r = [], []
            for _ in range(bootstrap):
                boot = rng.poisson(1.0, len(pairs)).astype(float)
                try:
                    b = _fit(pairs, method, ref, weights, where, tol, max_iter, boot)
                except ModelError:
                    failed += 1
                    continue
                reps_s.append(pd.Series(b.s, index=b.origins).reindex(fit.origins).to_numpy())
                reps_r.append(
                    pd.Series(b.r, index=b.destinations).reindex(fit.destinations).to_numpy()
                )
            f_cell = _bootstrap_intervals(f_cell, fit, reps_s, reps_r, level)
        factor_parts.append(f_cell.assign(year=year, sex=sex, age=age))
        diag_rows.append(
            {
                "year": year,
                "sex": sex,
                "age": age,
                "converged": fit.converged,
                "iterations": fit.iterations,
            }
        )
    factors = _all_factors(pd.concat(factor_parts, ignore_index=True), data)
    flows = _harmonise(data, factors, method, ref, is_out, both.index)
    diagnostics = _diagnostics(flows, pd.DataFrame(diag_rows))
    return Reconciliation(method, ref, weights, factors, flows, diagnostics, outliers,
                          bootstrap, failed)  # fmt: skip


def _factor_frame(
    fit: _Fit, pairs: pd.DataFrame, ref: str, z: float, log_scale: bool
) -> pd.DataFrame:
    n_o = pairs.groupby("origin").size().reindex(fit.origins).to_numpy()
    n_d = pairs.groupby("destination").size().reindex(fit.destinations).to_numpy()
    out = pd.concat(
        [
            pd.DataFrame({"country": fit.destinations, "side": "immigration", "factor": fit.r,
                          "se": fit.se_r, "n_pairs": n_d}),
            pd.DataFrame({"country": fit.origins, "side": "emigration", "factor": fit.s,
                          "se": fit.se_s, "n_pairs": n_o}),
        ],
        ignore_index=True,
    )  # fmt: skip
    f, se = out["factor"].to_numpy(float), out["se"].to_numpy(float)
    if log_scale:
        with np.errstate(divide="ignore", invalid="ignore"):
            out["ci_low"] = f * np.exp(-z * se / f)
            out["ci_high"] = f * np.exp(z * se / f)
    else:
        out["ci_low"] = f - z * se
        out["ci_high"] = f + z * se
    is_ref = (out["country"] == ref) & (out["side"] == "immigration")
    out["status"] = np.where(is_ref, "reference", "estimated")
    out.loc[is_ref, ["factor", "se", "ci_low", "ci_high"]] = [1.0, 0.0, 1.0, 1.0]
    return out


def _bootstrap_intervals(
    f_cell: pd.DataFrame, fit: _Fit, reps_s: list[np.ndarray], reps_r: list[np.ndarray],
    level: float,
) -> pd.DataFrame:  # fmt: skip
    if not reps_s:
        return f_cell
    reps = np.hstack([np.vstack(reps_r), np.vstack(reps_s)])
    alpha = (1 - level) / 2
    with np.errstate(invalid="ignore"):
        lo, hi = np.nanquantile(reps, [alpha, 1 - alpha], axis=0)
        sd = np.nanstd(reps, axis=0, ddof=1)
    out = f_cell.copy()
    out["ci_low"], out["ci_high"] = lo, hi
    out["se"] = np.where(np.isnan(out["se"].to_numpy(float)), sd, out["se"])
    est = out["status"] == "estimated"
    out.loc[~est, ["se", "ci_low", "ci_high"]] = [0.0, 1.0, 1.0]
    return out


def _all_factors(estimated: pd.DataFrame, data: pd.DataFrame) -> pd.DataFrame:
    """Add a 'not estimable' row for every country-side present in a cell without a factor."""
    present = pd.concat(
        [
            data[[*_CELL, "destination"]]
            .rename(columns={"destination": "country"})
            .assign(side="immigration"),
            data[[*_CELL, "origin"]]
            .rename(columns={"origin": "country"})
            .assign(side="emigration"),
        ]
    ).drop_duplicates()
    keys = [*_CELL, "country", "side"]
    out = present.merge(estimated, on=keys, how="left")
    out["status"] = out["status"].fillna("not estimable")
    out["n_pairs"] = out["n_pairs"].fillna(0).astype("int64")
    cols = [*keys, "factor", "se", "ci_low", "ci_high", "n_pairs", "status"]
    return out[cols].sort_values(keys, kind="stable").reset_index(drop=True)


def _harmonise(data: pd.DataFrame, factors: pd.DataFrame, method: Method, ref: str,
               is_out: np.ndarray, both_index: pd.Index) -> pd.DataFrame:  # fmt: skip
    keys = [*_CELL, "country"]
    r = factors.loc[factors["side"] == "immigration", [*keys, "factor"]]
    s = factors.loc[factors["side"] == "emigration", [*keys, "factor"]]
    flows = data[[*KEY, "emigration", "immigration", "reported_by"]].copy()
    flows = flows.merge(
        s.rename(columns={"country": "origin", "factor": "s"}), on=[*_CELL, "origin"], how="left"
    ).merge(
        r.rename(columns={"country": "destination", "factor": "r"}),
        on=[*_CELL, "destination"],
        how="left",
    )
    outlier = pd.Series(False, index=data.index)
    outlier.loc[both_index[is_out]] = True
    flows["outlier"] = outlier.to_numpy()
    i, e = flows["immigration"].to_numpy(float), flows["emigration"].to_numpy(float)
    sf, rf = flows["s"].to_numpy(float), flows["r"].to_numpy(float)
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
    flows["sides"] = np.select(
        [use_both, only_i, only_e], ["both", "immigration", "emigration"], "none"
    )
    flows["provenance"] = _provenance(flows, np.isnan(rf), np.isnan(sf), method, ref)
    return flows


def _provenance(
    flows: pd.DataFrame, r_nan: np.ndarray, s_nan: np.ndarray, method: Method, ref: str
) -> pd.Series:
    """Provenance sentences, built once per distinct (pair, sides, flags) and broadcast."""
    parts = pd.DataFrame(
        {
            "origin": flows["origin"].to_numpy(),
            "destination": flows["destination"].to_numpy(),
            "sides": flows["sides"].to_numpy(),
            "r_nan": r_nan,
            "s_nan": s_nan,
            "outlier": flows["outlier"].to_numpy(),
        }
    )
    ids = parts.groupby(list(parts.columns), sort=False).ngroup().to_numpy()
    _, first = np.unique(ids, return_index=True)
    u = parts.iloc[first].reset_index(drop=True)
    dest, orig = u["destination"].astype("string"), u["origin"].astype("string")
    imm_txt = (
        "immigration reported by "
        + dest
        + pd.Series(np.where(u["r_nan"], " (r not estimable: unadjusted)", " x r"), dtype="string")
    )
    emi_txt = (
        "emigration reported by "
        + orig
        + pd.Series(np.where(u["s_nan"], " (s not estimable: unadjusted)", " x s"), dtype="string")
    )
    tail = f"; {method.value}, reference {ref}"
    text = pd.Series("no side reported", index=u.index, dtype="string")
    both, only_i, only_e = (u["sides"] == v for v in ("both", "immigration", "emigration"))
    text[both] = ("mean of " + imm_txt + " and " + emi_txt)[both] + tail
    text[only_i] = imm_txt[only_i] + tail
    text[only_e] = emi_txt[only_e] + tail
    text[u["outlier"].to_numpy()] += " (outlier: excluded from estimation)"
    return pd.Series(text.to_numpy()[ids], index=flows.index, dtype="string")


def _diagnostics(flows: pd.DataFrame, fits: pd.DataFrame) -> pd.DataFrame:
    both = flows.loc[flows["reported_by"] == "both"]
    ok = both.loc[both["s"].notna() & both["r"].notna()]
    stats = (
        ok.assign(
            before=np.abs(_cc1(ok["immigration"], ok["emigration"])),
            after=np.abs(_cc1(ok["adj_immigration"], ok["adj_emigration"])),
        )
        .groupby(_CELL, observed=True)
        .agg(
            n_adjusted=("before", "size"),
            mean_abs_cc1_before=("before", "mean"),
            mean_abs_cc1_after=("after", "mean"),
        )
    )
    counts = both.groupby(_CELL, observed=True).agg(
        n_both=("outlier", "size"), n_outliers=("outlier", "sum")
    )
    out = counts.join(stats, how="outer").reset_index().merge(fits, on=_CELL, how="left")
    out["n_used"] = out["n_both"] - out["n_outliers"]
    cols = ["year", "sex", "age", "n_both", "n_used", "n_outliers", "n_adjusted",
            "mean_abs_cc1_before", "mean_abs_cc1_after", "converged", "iterations"]  # fmt: skip
    return out[cols]
