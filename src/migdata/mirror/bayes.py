"""Bayesian measurement model of mirror flows (``reconcile(table, method="bayes")``).

An integrated measurement model in the IMEM/MigMod family (Raymer et al. 2013; DOMAIN.md
section 5 item 6), estimated for every corridor-year of the table's countries and years,
including corridors no side reported:

* **measurement**: each reported count n is negative binomial around
  ``y x u x (1 / R(d))`` where y is the true flow, u the reporter's undercount (immigration
  ``u_I`` of the destination, emigration ``u_E`` of the origin; Beta priors by undercount
  class) and R(d) the duration correction of the reporter's threshold (an offset, when the
  table is :meth:`~migdata.mirror.MirrorTable.duration_corrected`). The negative binomial
  has the mean and variance of a Poisson count with a log-normal error whose SD depends on
  the reporter's accuracy class (``variance = m + m^2 (exp(sd^2) - 1)``): a count likelihood
  that keeps IMEM's class-specific log-normal errors.
* **true flows**: ``log y_ct = intercept + X_ct beta + a_origin + b_destination + d_year +
  g_c + e_ct`` with standardised gravity covariates X (log populations, log distance,
  contiguity, common official language, :func:`read_covariates`), sum-to-zero country and
  year effects, a corridor effect ``g_c ~ N(0, sigma_corridor)`` and an AR(1) deviation
  ``e_ct`` (``sigma_year``, persistence ``rho``). Corridors reported by one side or by
  neither get their estimate from this model, with correspondingly wide intervals.
* **identification**: a reference country's immigration carries no undercount term
  (``u_I = 1``); without a reference the informative Beta priors identify the scale. The
  result says which (``Reconciliation.identification``).

Priors come from the questionnaire when a ``quality`` table is given: QuantMig register
sub-scores ``u_I``/``u_E`` (0 = no undercount risk, 1 = high) interpolate the Beta parameters
linearly between the low (0) and high (1) classes (0.5 gives the medium class), classes
(``undercount_imm``/``class_I``, ...) pick the class prior, and ``accuracy_imm``/
``accuracy_emi`` set the accuracy class. Without a questionnaire the classes carried by the
table are used (the published IMEM classes of the Eurostat mirror file), and ``medium``
where none is known.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import numpy as np
import pandas as pd

from migdata.errors import ConfigurationError, DependencyError, InputError, ModelError
from migdata.mirror.eurostat import read_csv, resolve_countries
from migdata.mirror.indicators import _cc1
from migdata.mirror.table import KEY, MirrorTable

__all__ = ["COVARIATES", "read_covariates"]

COVARIATES = ("log_pop_origin", "log_pop_destination", "log_distance", "contiguity",
              "common_language")  # fmt: skip
"""Gravity covariates of the flow model, in the order of the ``beta`` parameters."""

_ACC = ("high", "medium", "low")  # accuracy classes of the model ("unknown" counts as low)
_INFERENCE = ("nuts", "laplace")


# ---------------------------------------------------------------------------- covariates
def read_covariates(source: str | Path | IO[str] | pd.DataFrame) -> pd.DataFrame:
    """Gravity covariates per corridor and year from the shared mirror-flows file.

    Parameters
    ----------
    source
        Path or frame with the columns of the Eurostat mirror file (``Sending_iso2``/
        ``Receiving_iso2`` or ``*_iso3``, ``Year``, ``Pop.Sending``, ``Pop.Receiving``,
        ``dist`` (or ``distw``), ``contig``, ``comlang_off``), or already in the output
        shape.

    Returns
    -------
    DataFrame
        ``origin``, ``destination`` (alpha-3), ``year``, ``pop_origin``,
        ``pop_destination``, ``distance`` (km), ``contiguity``, ``common_language``.

    Raises
    ------
    InputError
        Missing columns or unknown countries.

    Examples
    --------
    >>> raw = pd.DataFrame({"Year": [2015], "Sending_iso2": ["SE"], "Receiving_iso2": ["FI"],
    ...     "Pop.Sending": [9.7e6], "Pop.Receiving": [5.5e6], "dist": [395.0],
    ...     "contig": [1.0], "comlang_off": [1.0]})
    >>> read_covariates(raw)[["origin", "destination", "distance", "contiguity"]]
      origin destination  distance  contiguity
    0    SWE         FIN     395.0         1.0
    """
    frame, file = read_csv(source, what="gravity covariates")
    out_cols = ["origin", "destination", "year", "pop_origin", "pop_destination", "distance",
                "contiguity", "common_language"]  # fmt: skip
    if set(out_cols) <= set(frame.columns):
        out = frame[out_cols].copy()
    else:
        pick = {
            "origin": ("Sending_iso3", "Sending_iso2", "Sending"),
            "destination": ("Receiving_iso3", "Receiving_iso2", "Receiving"),
            "year": ("Year", "year"),
            "pop_origin": ("Pop.Sending",),
            "pop_destination": ("Pop.Receiving",),
            "distance": ("dist", "distw", "distcap"),
            "contiguity": ("contig",),
            "common_language": ("comlang_off", "comlang_ethno"),
        }
        cols = {k: next((c for c in v if c in frame.columns), None) for k, v in pick.items()}
        missing = [k for k in ("origin", "destination", "year") if cols[k] is None]
        if missing:
            raise InputError(
                f"expected gravity covariates with columns Sending_iso2, Receiving_iso2 and "
                f"Year (missing {missing}); got {list(frame.columns)}", file=file,
            )  # fmt: skip
        out = pd.DataFrame(
            {k: (frame[c] if c is not None else np.nan) for k, c in cols.items()}
        )
    out["origin"] = resolve_countries(out["origin"])
    out["destination"] = resolve_countries(out["destination"])
    bad = out["origin"].isna() | out["destination"].isna()
    if bad.any():
        row = int(np.flatnonzero(bad.to_numpy())[0])
        raise InputError(
            f"gravity covariates: row {row} names a country that is not known; expected "
            "ISO codes or names", file=file, row=row,
        )  # fmt: skip
    out["year"] = pd.to_numeric(out["year"], errors="coerce").astype("Int64")
    for c in out_cols[3:]:
        out[c] = pd.to_numeric(out[c], errors="coerce").astype(float)
    return out.reset_index(drop=True)


def _design(covariates: pd.DataFrame | None, names: np.ndarray, years: np.ndarray,
            o: np.ndarray, d: np.ndarray, notes: list[str]) -> np.ndarray:  # fmt: skip
    """(C, T, 5) standardised covariates of every corridor-year; gaps filled and noted."""
    n_c, n_t = len(o), len(years)
    if covariates is None:
        notes.append("no gravity covariates given: true flows from country, year and "
                     "corridor effects only (pass covariates= to use populations and distances)")
        return np.zeros((n_c, n_t, 0))
    cov = read_covariates(covariates)
    n = len(names)
    code = {c: k for k, c in enumerate(names)}
    ci = cov["origin"].map(code)
    cj = cov["destination"].map(code)
    ty = cov["year"].map({int(y): k for k, y in enumerate(years)})
    ok = ci.notna() & cj.notna()
    ci, cj = ci[ok].astype(int).to_numpy(), cj[ok].astype(int).to_numpy()
    cv = cov.loc[ok]
    # Populations by country and year, from either end of any row.
    pop = pd.concat([
        pd.DataFrame({"c": ci, "t": ty[ok].to_numpy(), "p": cv["pop_origin"].to_numpy()}),
        pd.DataFrame({"c": cj, "t": ty[ok].to_numpy(), "p": cv["pop_destination"].to_numpy()}),
    ]).dropna()
    grid = np.full((n, n_t), np.nan)
    if len(pop):
        g = pop.groupby(["c", "t"])["p"].mean()
        grid[g.index.get_level_values(0).astype(int), g.index.get_level_values(1).astype(int)] = g
    log_pop = np.log(grid)
    filled = np.isnan(log_pop).sum()
    row_mean = np.nanmean(np.where(np.isnan(log_pop), np.nan, log_pop), axis=1, keepdims=True) \
        if np.isfinite(log_pop).any() else np.zeros((n, 1))
    log_pop = np.where(np.isnan(log_pop), row_mean, log_pop)
    log_pop = np.where(np.isnan(log_pop), np.nanmean(log_pop) if np.isfinite(log_pop).any()
                       else 0.0, log_pop)  # fmt: skip
    # Pair attributes (symmetric): distance, contiguity, language.
    pair = np.full((n, n, 3), np.nan)
    attrs = cv[["distance", "contiguity", "common_language"]].to_numpy(float)
    attrs = np.column_stack([np.log(np.where(attrs[:, 0] > 0, attrs[:, 0], np.nan)), attrs[:, 1:]])
    pair[ci, cj] = attrs
    pair = np.where(np.isnan(pair), pair.transpose(1, 0, 2), pair)
    p = pair[o, d]
    n_gap = int(np.isnan(p[:, 0]).sum())
    fill = np.r_[np.nanmean(p[:, 0]) if np.isfinite(p[:, 0]).any() else 0.0, 0.0, 0.0]
    p = np.where(np.isnan(p), fill, p)
    if filled or n_gap:
        notes.append(f"gravity covariates filled: {filled} country-year populations (country "
                     f"mean), {n_gap} corridors without distance (mean log distance, not "
                     "contiguous, no common language)")  # fmt: skip
    x = np.concatenate([log_pop[o][:, :, None], log_pop[d][:, :, None],
                        np.broadcast_to(p[:, None, :], (n_c, n_t, 3))], axis=2)  # fmt: skip
    x = x - x.mean(axis=(0, 1))
    sd = x.std(axis=(0, 1))
    x = x / np.where(sd > 0, sd, 1.0)
    return np.ascontiguousarray(x[:, :, sd > 0] if (sd > 0).all() else x * (sd > 0))


# ---------------------------------------------------------------------------- priors
def _beta_prior(side: str, klass: pd.Series, score: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Beta(a, b) per reporter: from a QuantMig sub-score (0..1, linear between the low and
    high class priors) if known, else from the class, else the medium class."""
    from migdata.mirror.reconcile import _classes

    t = _classes().query("kind == 'undercount' and side == @side").set_index("class")
    u = klass.astype("string").str.lower().map({"low": 0.0, "medium": 0.5, "high": 1.0})
    u = pd.Series(pd.to_numeric(u, errors="coerce").to_numpy(float), index=klass.index)
    u = pd.to_numeric(score, errors="coerce").clip(0, 1).fillna(u).fillna(0.5).to_numpy(float)
    lo, hi = t.loc["low"], t.loc["high"]
    return (lo["beta_a"] + u * (hi["beta_a"] - lo["beta_a"]),
            lo["beta_b"] + u * (hi["beta_b"] - lo["beta_b"]))  # fmt: skip


def _quality_columns(quality: pd.DataFrame | None) -> pd.DataFrame:
    """Per-country questionnaire facts: undercount class and sub-score and accuracy class of
    each side (columns ``{und,score,acc}_{imm,emi}``), indexed by alpha-3 code."""
    cols = ["und_imm", "score_imm", "acc_imm", "und_emi", "score_emi", "acc_emi"]
    if quality is None:
        return pd.DataFrame(columns=cols)
    if "country" not in quality.columns:
        raise InputError(f"the quality table needs a column 'country'; got {list(quality.columns)}")
    q = quality.assign(country=resolve_countries(quality["country"])).dropna(subset=["country"])
    q = q.drop_duplicates("country").set_index("country")
    out = pd.DataFrame(index=q.index)
    for side, s in (("imm", "I"), ("emi", "E")):
        und = q.get(f"undercount_{side}", q.get(f"class_{s}"))
        out[f"und_{side}"] = und if und is not None else pd.NA
        out[f"score_{side}"] = q.get(f"u_{s}", np.nan)
        out[f"acc_{side}"] = q.get(f"accuracy_{side}", pd.NA)
    return out[cols]


# ---------------------------------------------------------------------------- data
@dataclass
class _Group:
    """One (sex, age) group prepared for the engine, with what is needed to read it back."""

    data: dict[str, Any]
    names: np.ndarray
    years: np.ndarray
    o: np.ndarray
    d: np.ndarray
    rows: pd.DataFrame  # the table rows of the group, with corridor and year positions
    imm_reporters: np.ndarray  # country codes with a u_I parameter, in parameter order
    emi_reporters: np.ndarray
    imm_class: list[str]
    emi_class: list[str]


def _side_columns(data: pd.DataFrame, side: str) -> tuple[np.ndarray, np.ndarray]:
    """Reported counts and log offsets (-log R(d)) of one side."""
    if f"{side}_reported" in data.columns:
        counts = data[f"{side}_reported"].to_numpy(float)
        factor = data[f"{side[:3]}_factor"].to_numpy(float)
        # An unknown threshold gives an unknown factor: the side is not used (as
        # duration_corrected() makes it NA).
        counts = np.where(np.isnan(factor), np.nan, counts)
        offset = -np.log(np.where(np.isnan(factor) | (factor <= 0), 1.0, factor))
        return counts, offset
    return data[side].to_numpy(float), np.zeros(len(data))


def _prepare(data: pd.DataFrame, names: np.ndarray, years: np.ndarray, ref: str | None,
             q: pd.DataFrame, x: np.ndarray, o: np.ndarray, d: np.ndarray,
             notes: list[str]) -> _Group:  # fmt: skip
    from scipy.special import gammaln  # here: keeps scipy.special out of `import migdata`

    from migdata.mirror.reconcile import _classes

    n, n_t = len(names), len(years)
    code = pd.Series(np.arange(n), index=names)
    cid = np.full((n, n), -1)
    cid[o, d] = np.arange(len(o))
    ri = code.reindex(data["origin"].astype(str)).to_numpy()
    rj = code.reindex(data["destination"].astype(str)).to_numpy()
    rt = np.searchsorted(years, data["year"].to_numpy(int))
    rows = data.assign(_c=cid[ri, rj], _t=rt, _o=ri, _d=rj)
    cell = rows["_c"].to_numpy() * n_t + rt
    acc_sd = _classes().query("kind == 'accuracy'").set_index("class")["log_sd"]
    sd_prior = np.array([acc_sd[c] for c in _ACC], float)
    out: dict[str, Any] = {"n_corridors": len(o), "n_years": n_t, "n_countries": n, "x": x,
                           "countries": np.arange(n), "origin": o, "destination": d,
                           "sd_prior": sd_prior,
                           "rho_a": 2.0, "rho_b": 2.0,
                           "year_diff": (years[:, None] - years[None, :]).astype(float),
                           "step": np.r_[1, np.diff(years)].astype(float),
                           "not_first": np.r_[0.0, np.ones(n_t - 1)]}  # fmt: skip
    seen = np.zeros(len(o), dtype=bool)
    log_obs = np.full((len(o) * n_t, 2), np.nan)
    precision = np.zeros((len(o), 2))  # prior precision of each side's reports per corridor
    corridor_slot = np.zeros((len(o), 2), dtype=int)  # the reporter's undercount slot
    reporters: dict[str, np.ndarray] = {}
    klasses: dict[str, list[str]] = {}
    for k, (side, role, table_und, table_acc) in enumerate((
        ("imm", "_d", "undercount_imm", "accuracy_imm"),
        ("emi", "_o", "undercount_emi", "accuracy_emi"),
    )):  # fmt: skip
        counts, offset = _side_columns(rows, "immigration" if side == "imm" else "emigration")
        use = ~np.isnan(counts) & (counts >= 0)
        who = rows[role].to_numpy()[use]
        rep = np.unique(who)
        # Classes: questionnaire first, then the table (IMEM classes), then medium.
        tab = rows.loc[use].groupby(role)[table_und].agg(
            lambda s: s.mode().iloc[0] if s.notna().any() else pd.NA)
        qs = q.reindex(names[rep])
        und = qs[f"und_{side}"].astype("string").str.lower()
        und = und.fillna(pd.Series(tab.reindex(rep).to_numpy(), index=und.index).astype("string"))
        a, b = _beta_prior("immigration" if side == "imm" else "emigration", und,
                           qs[f"score_{side}"])  # fmt: skip
        labels = [
            f"sub-score {s:.2f}" if pd.notna(s)
            else (str(c) if pd.notna(c) else "medium (unknown)")
            for s, c in zip(pd.to_numeric(qs[f"score_{side}"], errors="coerce"), und, strict=True)
        ]
        free = np.ones(len(rep), dtype=bool)
        if side == "imm" and ref is not None:
            free = names[rep] != ref
        slot = np.full(n, -1)
        slot[rep[free]] = np.arange(int(free.sum()))
        slot[rep[~free]] = int(free.sum())  # the fixed u = 1 slot
        acc = q.reindex(names[who])[f"acc_{side}"].astype("string").str.lower().to_numpy()
        acc = pd.Series(acc).fillna(
            pd.Series(rows[table_acc].to_numpy()[use]).astype("string").str.lower())
        acc_k = acc.map({c: i for i, c in enumerate(_ACC)}).fillna(2).to_numpy(int)
        out[f"{side}_count"] = np.round(counts[use])
        out[f"{side}_lgamma1"] = gammaln(out[f"{side}_count"] + 1.0)
        out[f"{side}_offset"] = offset[use]
        out[f"{side}_cell"] = cell[use]
        out[f"{side}_acc"] = acc_k
        out[f"{side}_per_class"] = np.bincount(acc_k, minlength=len(_ACC)).astype(float)
        out[f"{side}_u"] = slot[who]
        out[f"{side}_beta_a"] = np.asarray(a, float)[free]
        out[f"{side}_beta_b"] = np.asarray(b, float)[free]
        reporters[side] = rep[free]
        klasses[side] = [lab for lab, f in zip(labels, free, strict=True) if f]
        corr = rows["_c"].to_numpy()[use]
        seen[corr] = True
        np.add.at(precision[:, k], corr, 1.0 / sd_prior[acc_k] ** 2)
        corridor_slot[corr, k] = slot[who]
        prior_u = np.r_[np.asarray(a) / (np.asarray(a) + np.asarray(b))][np.searchsorted(rep, who)]
        prior_u = np.where(free[np.searchsorted(rep, who)], prior_u, 1.0)
        log_obs[cell[use], k] = np.log(np.maximum(counts[use], 0.5)) - offset[use] - np.log(prior_u)
    if not (len(out["imm_count"]) + len(out["emi_count"])):
        raise ModelError("no reported flow in the table: nothing to estimate")
    if ref is not None and ref not in set(names[np.unique(rows["_d"][
            ~np.isnan(_side_columns(rows, "immigration")[0])])]):  # fmt: skip
        raise ModelError(
            f"the reference {ref} reports no immigration in the table, so it cannot anchor "
            "the scale; choose another reference or pass reference=None (priors only)"
        )
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        z = np.nanmean(log_obs, axis=1).reshape(len(o), n_t)
        mu0 = float(np.nanmedian(z))
        corr_mean = np.nanmean(z, axis=1, keepdims=True)
    z = np.where(np.isnan(z), np.where(np.isnan(corr_mean), mu0, corr_mean), z)
    # Weights of each side's log undercount in the reported-scale flows (see the model).
    w = precision[seen] / precision[seen].sum(axis=1, keepdims=True)
    out.update(seen=np.flatnonzero(seen), unseen=np.flatnonzero(~seen), mu0=np.float64(mu0),
               z_init=z, seen_w_imm=w[:, 0], seen_w_emi=w[:, 1],
               seen_u_imm=corridor_slot[seen, 0], seen_u_emi=corridor_slot[seen, 1])
    return _Group(out, names, years, o, d, rows, reporters["imm"], reporters["emi"],
                  klasses["imm"], klasses["emi"])  # fmt: skip


# ---------------------------------------------------------------------------- main
def _engine() -> Any:
    try:
        from migdata.mirror import _bayes_numpyro
    except ImportError as err:
        raise DependencyError(
            f"method='bayes' needs NumPyro and JAX ({err.name} is missing); install them with "
            "pip install 'migdata[bayes]'"
        ) from err
    return _bayes_numpyro


def reconcile_bayes(
    table: MirrorTable,
    *,
    reference: str | None,
    quality: pd.DataFrame | None,
    covariates: Any,
    inference: str,
    draws: int,
    warmup: int,
    chains: int,
    seed: int,
    level: float,
) -> Any:
    """The ``method="bayes"`` route of :func:`migdata.mirror.reconcile` (see there)."""
    from migdata.mirror.reconcile import Method, Reconciliation, Weights

    inference = str(inference).strip().lower()
    if inference not in _INFERENCE:
        raise ConfigurationError(f"unknown inference {inference!r}; expected nuts or laplace")
    if draws < 10 or (inference == "nuts" and (warmup < 10 or chains < 1)):
        raise ConfigurationError(
            f"draws and warmup must be at least 10 and chains at least 1; got draws={draws}, "
            f"warmup={warmup}, chains={chains}"
        )
    data = table.data
    if data.empty:
        raise ModelError("the mirror table is empty: nothing to estimate")
    engine = _engine()
    notes: list[str] = []
    names = np.asarray(
        sorted(set(data["origin"].astype(str)) | set(data["destination"].astype(str)))
    )
    years = np.asarray(sorted(int(y) for y in data["year"].unique()))
    n = len(names)
    oo, dd = np.meshgrid(np.arange(n), np.arange(n), indexing="ij")
    off = oo != dd
    o, d = oo[off], dd[off]
    x = _design(covariates, names, years, o, d, notes)
    q = _quality_columns(quality)
    if not any(c in data.columns for c in ("emigration_reported", "immigration_reported")):
        notes.append("no duration correction: the table was not duration_corrected(), so "
                     "R(d) = 1 for every report")  # fmt: skip
    if reference is not None:
        ident = (f"reference {reference}: its immigration carries no undercount term "
                 "(u_I = 1); other undercounts have informative Beta priors")  # fmt: skip
    else:
        ident = ("informative priors only: every reporter's undercount has its Beta prior "
                 "(no reference country)")  # fmt: skip
    if inference == "laplace":
        notes.append("Laplace approximation: a Gaussian at the posterior mode gives intervals "
                     "narrower than the posterior's (on data simulated from the model, its 90% "
                     "intervals held about 70% of the true flows, NUTS's about 89%); use "
                     "inference='nuts' for intervals to publish")  # fmt: skip
    alpha = (1 - level) / 2
    flows_parts, factor_parts, param_parts, diag_parts = [], [], [], []
    sampler: dict[str, Any] = {}
    groups = data.groupby(["sex", "age"], sort=True, dropna=False)
    for (sex, age), part in groups:
        g = _prepare(part.reset_index(drop=True), names, years, reference, q, x, o, d, notes)
        if inference == "nuts":
            fit = engine.run_nuts(g.data, draws=draws, warmup=warmup, chains=chains, seed=seed)
        else:
            fit = engine.run_laplace(g.data, draws=draws, seed=seed)
        s = fit["samples"]
        flows_parts.append(_flows(g, s, sex, age, alpha, reference, inference, data))
        factor_parts.append(_factors(g, s, sex, age, alpha, reference, data))
        param_parts.append(_parameters(g, s, sex, age, alpha, fit, x.shape[-1]))
        diag_parts.append(fit["diagnostics"])
    flows = pd.concat(flows_parts, ignore_index=True).sort_values(KEY, kind="stable")
    flows = flows.reset_index(drop=True)
    factors = pd.concat(factor_parts, ignore_index=True)
    parameters = pd.concat(param_parts, ignore_index=True)
    sampler = _merge_diagnostics(diag_parts)
    _warn_if_poor(sampler)
    diagnostics = _cell_diagnostics(flows, sampler)
    outliers = pd.DataFrame(columns=[*KEY, "emigration", "immigration", "cc1", "log_ratio"])
    return Reconciliation(
        Method.BAYES, reference or "none (priors only)", Weights.ACCURACY, factors, flows,
        diagnostics, outliers, notes=notes, parameters=parameters, sampler=sampler,
        identification=ident, level=level,
    )


def _merge_diagnostics(parts: list[dict[str, Any]]) -> dict[str, Any]:
    out = dict(parts[0])
    if len(parts) > 1:
        out["max_rhat"] = float(np.nanmax([p["max_rhat"] for p in parts]))
        out["min_ess"] = float(np.nanmin([p["min_ess"] for p in parts]))
        out["divergences"] = int(sum(p["divergences"] for p in parts))
        out["seconds"] = float(sum(p["seconds"] for p in parts))
    return out


def _warn_if_poor(diag: dict[str, Any]) -> None:
    problems = []
    if diag["inference"] == "nuts":
        if diag["max_rhat"] > 1.01:
            problems.append(f"max R-hat {diag['max_rhat']:.3f} > 1.01")
        if diag["min_ess"] < 100:
            problems.append(f"smallest effective sample size {diag['min_ess']:.0f} < 100")
        if diag["divergences"]:
            problems.append(f"{diag['divergences']} divergent transitions")
    elif not (diag.get("optimiser_converged", True)
              and diag.get("hessian_positive_definite", True)):  # fmt: skip
        problems.append("the Laplace approximation did not find a proper mode (optimiser or "
                        "Hessian); use inference='nuts'")  # fmt: skip
    diag["ok"] = not problems
    if problems:
        warnings.warn(
            "bayes reconciliation: " + "; ".join(problems)
            + ": the posterior summaries may be unreliable; run longer chains "
            "(draws=, warmup=) or more chains", RuntimeWarning, stacklevel=3,
        )  # fmt: skip


def _q(v: np.ndarray, alpha: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    lo, med, hi = np.quantile(v, [alpha, 0.5, 1 - alpha], axis=0)
    return med, lo, hi


def _u_draws(g: _Group, s: dict[str, np.ndarray], side: str) -> np.ndarray:
    """Draws of u per country (S, n); 1 for the reference, NaN for non-reporters."""
    n_s = next(iter(s.values())).shape[0]
    u = np.full((n_s, len(g.names)), np.nan)
    key = f"undercount_{side}"
    if key in s:
        u[:, g.imm_reporters if side == "imm" else g.emi_reporters] = s[key]
    return u


def _flows(g: _Group, s: dict[str, np.ndarray], sex: Any, age: Any, alpha: float,
           ref: str | None, inference: str, data: pd.DataFrame) -> pd.DataFrame:  # fmt: skip
    n_c, n_t = len(g.o), len(g.years)
    y = np.exp(s["log_flow"].reshape(-1, n_c * n_t))
    med, lo, hi = _q(y, alpha)
    grid = pd.DataFrame({
        "origin": np.repeat(g.names[g.o], n_t),
        "destination": np.repeat(g.names[g.d], n_t),
        "year": np.tile(g.years, n_c),
        "sex": sex, "age": age,
    })  # fmt: skip
    cols = [*KEY, "emigration", "immigration", "reported_by"]
    rows = g.rows.assign(_k=g.rows["_c"] * n_t + g.rows["_t"])
    flows = grid.copy()
    for c in cols[5:]:
        flows[c] = pd.Series(pd.NA if c == "reported_by" else np.nan, index=flows.index,
                             dtype=data[c].dtype)  # fmt: skip
        flows.loc[rows["_k"].to_numpy(), c] = rows[c].to_numpy()
    flows["reported_by"] = flows["reported_by"].fillna("none")
    u_i, u_e = _u_draws(g, s, "imm"), _u_draws(g, s, "emi")
    if ref is not None:
        u_i[:, np.flatnonzero(g.names == ref)] = 1.0
    # Adjustment factors 1/u (median) of the reporters; NaN for countries not reporting.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN columns of non-reporters
        r = np.nanmedian(1.0 / u_i, axis=0)
        sf = np.nanmedian(1.0 / u_e, axis=0)
    o_rows, d_rows = np.repeat(g.o, n_t), np.repeat(g.d, n_t)
    flows["s"] = sf[o_rows]
    flows["r"] = r[d_rows]
    flows["outlier"] = False
    flows["adj_emigration"] = flows["emigration"] * flows["s"]
    flows["adj_immigration"] = flows["immigration"] * flows["r"]
    flows["harmonised"] = med
    flows["lower"] = lo
    flows["upper"] = hi
    has_i = flows["immigration"].notna().to_numpy()
    has_e = flows["emigration"].notna().to_numpy()
    sides = np.select([has_i & has_e, has_i, has_e], ["both", "immigration", "emigration"], "none")
    flows["sides"] = pd.array(sides, dtype="str")
    pct = f"{round(100 * (1 - 2 * alpha))}%"
    tail = (f"; posterior median and {pct} interval of the true flow, bayes ({inference}), "
            + (f"reference {ref}" if ref else "identified by priors"))  # fmt: skip
    o_name, d_name = flows["origin"].astype(str), flows["destination"].astype(str)
    text = np.select(
        [sides == "both", sides == "immigration", sides == "emigration"],
        ["immigration reported by " + d_name + " and emigration reported by " + o_name
         + " (measurement model)",
         "immigration reported by " + d_name + " (measurement model; emigration not reported)",
         "emigration reported by " + o_name + " (measurement model; immigration not reported)"],
        "no side reported: estimated from the flow model (covariates, country, corridor and "
        "year effects)",
    )  # fmt: skip
    flows["provenance"] = pd.array(pd.Series(text) + tail, dtype="string")
    return flows


def _factors(g: _Group, s: dict[str, np.ndarray], sex: Any, age: Any, alpha: float,
             ref: str | None, data: pd.DataFrame) -> pd.DataFrame:  # fmt: skip
    out = []
    for side, label, reps, role in (("emi", "emigration", g.emi_reporters, "_o"),
                                    ("imm", "immigration", g.imm_reporters, "_d")):  # fmt: skip
        u = _u_draws(g, s, side)
        col = "emigration" if side == "emi" else "immigration"
        counts, _ = _side_columns(g.rows, col)
        used = ~np.isnan(counts)
        for k, year in enumerate(g.years):
            n_pairs = np.bincount(g.rows[role].to_numpy()[used & (g.rows["_t"].to_numpy() == k)],
                                  minlength=len(g.names))  # fmt: skip
            present = np.zeros(len(g.names), dtype=bool)
            present[np.unique(g.rows[role].to_numpy()[g.rows["_t"].to_numpy() == k])] = True
            for c in np.flatnonzero(present):
                is_ref = side == "imm" and ref is not None and g.names[c] == ref
                if is_ref:
                    f = se = lo = hi = 1.0
                    se = 0.0
                    status = "reference"
                elif c in reps:
                    inv = 1.0 / u[:, c]
                    f, lo, hi = np.median(inv), *np.quantile(inv, [alpha, 1 - alpha])
                    se = float(np.std(inv, ddof=1))
                    status = "estimated"
                else:
                    f = se = lo = hi = np.nan
                    status = "not estimable"
                out.append((year, sex, age, g.names[c], label, f, se, lo, hi, int(n_pairs[c]),
                            status))  # fmt: skip
    f = pd.DataFrame(out, columns=["year", "sex", "age", "country", "side", "factor", "se",
                                   "ci_low", "ci_high", "n_pairs", "status"])  # fmt: skip
    f = f.sort_values(["year", "sex", "age", "country", "side"], kind="stable")
    return f.astype({"year": data["year"].dtype, "sex": data["sex"].dtype,
                     "age": data["age"].dtype, "country": data["origin"].dtype}
                    ).reset_index(drop=True)  # fmt: skip


def _parameters(g: _Group, s: dict[str, np.ndarray], sex: Any, age: Any, alpha: float,
                fit: dict[str, Any], n_x: int) -> pd.DataFrame:  # fmt: skip
    rows = []

    def add(name: str, country: Any, side: Any, prior: str, v: np.ndarray) -> None:
        med, lo, hi = _q(v, alpha)
        rows.append((sex, age, name, country, side, prior, float(np.mean(v)), float(med),
                     float(np.std(v, ddof=1)), float(lo), float(hi)))  # fmt: skip

    sides = (("imm", "immigration", g.imm_reporters, g.imm_class),
             ("emi", "emigration", g.emi_reporters, g.emi_class))  # fmt: skip
    for side, label, reps, classes in sides:
        a, b = g.data[f"{side}_beta_a"], g.data[f"{side}_beta_b"]
        for k, c in enumerate(reps):
            add("undercount", g.names[c], label,
                f"Beta({a[k]:.2f}, {b[k]:.2f}), mean {a[k] / (a[k] + b[k]):.3f} ({classes[k]})",
                s[f"undercount_{side}"][:, k])  # fmt: skip
    for k, c in enumerate(_ACC):
        add("accuracy_sd", pd.NA, c, f"LogNormal(log {g.data['sd_prior'][k]:.2f}, 0.5)",
            s["accuracy_sd"][:, k])  # fmt: skip
    from migdata.mirror.bayes import COVARIATES

    for k in range(n_x):
        add(f"beta_{COVARIATES[k]}", pd.NA, pd.NA, "Normal(0, 1) (standardised)",
            s["beta"][:, k])  # fmt: skip
    add("intercept", pd.NA, pd.NA, f"Normal({g.data['mu0']:.2f}, 3)", s["intercept"])
    add("sigma_corridor", pd.NA, pd.NA, "HalfNormal(1)", s["sigma_corridor"])
    add("sigma_year", pd.NA, pd.NA, "HalfNormal(0.5)", s["sigma_year"])
    add("rho", pd.NA, pd.NA, "Beta(2, 2)", s["rho"])
    pct = round(100 * (1 - 2 * alpha))
    return pd.DataFrame(rows, columns=["sex", "age", "parameter", "country", "side", "prior",
                                       "mean", "median", "sd", f"q{(100 - pct) // 2}",
                                       f"q{100 - (100 - pct) // 2}"])  # fmt: skip


def _cell_diagnostics(flows: pd.DataFrame, sampler: dict[str, Any]) -> pd.DataFrame:
    both = flows["sides"].eq("both").to_numpy()
    f = flows.loc[both]
    before = np.abs(_cc1(f["immigration"].to_numpy(float), f["emigration"].to_numpy(float)))
    after = np.abs(_cc1(f["adj_immigration"].to_numpy(float), f["adj_emigration"].to_numpy(float)))
    g = pd.DataFrame({"year": f["year"], "sex": f["sex"], "age": f["age"],
                      "b": before, "a": after})  # fmt: skip
    out = g.groupby(["year", "sex", "age"], sort=True).agg(
        n_both=("b", "size"), mean_abs_cc1_before=("b", "mean"), mean_abs_cc1_after=("a", "mean")
    ).reset_index()
    out["n_used"] = out["n_both"]
    out["n_outliers"] = 0
    out["n_zero"] = 0  # a zero count is a count: the model uses it
    out["n_adjusted"] = out["n_both"]
    out["converged"] = bool(sampler.get("ok", True))
    out["iterations"] = int(sampler["draws"])
    cols = ["year", "sex", "age", "n_both", "n_used", "n_outliers", "n_zero", "n_adjusted",
            "mean_abs_cc1_before", "mean_abs_cc1_after", "converged", "iterations"]  # fmt: skip
    return out[cols]


def repr_html(rec: Any) -> str:
    """HTML summary of a bayes :class:`~migdata.mirror.Reconciliation`."""
    sm = rec.sampler
    flows = rec.flows
    counts = flows["sides"].value_counts().reindex(["both", "immigration", "emigration", "none"],
                                                   fill_value=0)  # fmt: skip
    status = "ok" if sm.get("ok", True) else "<b style='color:#b00'>poor: see warnings</b>"
    head = (
        f"<p><b>Reconciliation</b> by <code>bayes</code> ({sm.get('inference')}; "
        f"{sm.get('chains')} chain(s) x {sm.get('draws')} draws, {sm.get('seconds', 0):.1f} s); "
        f"identification: {rec.identification}.</p>"
        f"<p>Diagnostics: max R-hat {sm.get('max_rhat', float('nan')):.3f}, smallest ESS "
        f"{sm.get('min_ess', float('nan')):.0f}, {sm.get('divergences', 0)} divergences: "
        f"{status}.</p>"
        f"<p>{len(flows):,} corridor-years estimated with {round(100 * rec.level)}% intervals: "
        f"{counts['both']:,} reported by both sides, {counts['immigration']:,} by the "
        f"destination only, {counts['emigration']:,} by the origin only, {counts['none']:,} "
        "by neither.</p>"
    )
    params = rec.parameters.loc[rec.parameters["parameter"].isin(["undercount", "accuracy_sd"])]
    show = params.drop(columns=["sex", "age"]).round(3).to_html(index=False, border=0, na_rep="")
    notes = "".join(f"<li>{n}</li>" for n in rec.notes)
    return head + "<p>Undercount and accuracy posteriors:</p>" + show + (
        f"<ul>{notes}</ul>" if notes else "")


def _simulate(
    countries: list[str], years: list[int], seed: int = 0, *, missing_emi: float = 0.2,
    missing_imm: float = 0.1,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """A mirror table drawn from the model (no covariates): (wide frame for
    :meth:`MirrorTable.from_eurostat`, true flows). The first country is the reference
    (u_I = 1); used by the calibration test and the benchmark."""
    from migdata.mirror.reconcile import _classes

    rng = np.random.default_rng(seed)
    n, n_t = len(countries), len(years)
    oo, dd = np.meshgrid(np.arange(n), np.arange(n), indexing="ij")
    o, d = oo[oo != dd], dd[oo != dd]
    a, b = rng.normal(0, 0.7, n), rng.normal(0, 0.7, n)
    rho, s_y, s_c = 0.7, 0.3, 0.8
    e = np.zeros((len(o), n_t))
    e[:, 0] = rng.normal(0, s_y, len(o))
    for t in range(1, n_t):
        e[:, t] = rho * e[:, t - 1] + rng.normal(0, s_y * np.sqrt(1 - rho**2), len(o))
    z = 7.0 + a[o, None] + b[d, None] + rng.normal(0, s_c, len(o))[:, None] + e
    t_cls = _classes().set_index(["kind", "side", "class"])
    und_i = rng.choice(["low", "medium", "high"], n)
    und_e = rng.choice(["low", "medium", "high"], n)
    acc = rng.choice(["high", "medium", "low"], n, p=[0.4, 0.4, 0.2])

    def u(side: str, cls: np.ndarray) -> np.ndarray:
        p = t_cls.loc[[("undercount", side, c) for c in cls]]
        return rng.beta(p["beta_a"].to_numpy(), p["beta_b"].to_numpy())

    u_i, u_e = u("immigration", und_i), u("emigration", und_e)
    u_i[0] = 1.0
    sd = t_cls.loc["accuracy"].droplevel(0)["log_sd"]

    def report(mu: np.ndarray, cls: np.ndarray) -> np.ndarray:
        s = sd.reindex(cls).to_numpy(float)[:, None]
        return rng.poisson(mu * rng.lognormal(-s**2 / 2, s, mu.shape)).astype(float)

    y = np.exp(z)
    imm = report(y * u_i[d, None], acc[d])
    emi = report(y * u_e[o, None], acc[o])
    imm[rng.random(imm.shape) < missing_imm] = np.nan
    emi[rng.random(emi.shape) < missing_emi] = np.nan
    imm[-1], emi[-1] = np.nan, np.nan  # one corridor reported by neither side
    codes = np.asarray(countries)
    frame = pd.DataFrame({
        "Year": np.tile(years, len(o)), "Sending_iso2": np.repeat(codes[o], n_t),
        "Receiving_iso2": np.repeat(codes[d], n_t), "Emig": emi.ravel(), "Immi": imm.ravel(),
        "UI": np.repeat(und_i[d], n_t), "AI": np.repeat(acc[d], n_t),
        "UE": np.repeat(und_e[o], n_t), "AE": np.repeat(acc[o], n_t),
    })  # fmt: skip
    truth = frame[["Year", "Sending_iso2", "Receiving_iso2"]].assign(true_flow=y.ravel())
    return frame, truth
