"""The QuantMig reference-group undercount index of emigration and immigration data, raw and
duration-corrected, with seeded binomial-bootstrap confidence intervals (DOMAIN.md 5.3).
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd
import scipy.sparse as sp

from migdata._checks import check_instance, public
from migdata.errors import ConfigurationError, InputError
from migdata.mirror.eurostat import resolve_countries
from migdata.mirror.table import MirrorTable
from migdata.sources.duration import duration_factor

__all__ = ["QUANTMIG_REFERENCE", "undercount_index"]

QUANTMIG_REFERENCE = ("DNK", "FIN", "ISL", "NOR", "SWE", "BEL", "NLD", "CHE")
"""QuantMig's default reference group: the Nordic countries, Belgium, the Netherlands and
Switzerland (Dańko, UndercountMigScores, "The bilateral flows ratio model")."""

_CELL = ["year", "sex", "age"]
_MAX_CELLS = 8_000_000  # draws x flows per chunk: bounds memory (~64 MB of int64)


def _reporter_totals(data: pd.DataFrame, totals: pd.DataFrame | None) -> pd.DataFrame:
    """Binomial trial counts N: each reporter's total flow for a side, year, sex and age."""
    emi = data.groupby(["origin", *_CELL], observed=True)["emigration"].sum(min_count=1)
    imm = data.groupby(["destination", *_CELL], observed=True)["immigration"].sum(min_count=1)
    out = pd.concat(
        [
            emi.rename("total")
            .reset_index()
            .rename(columns={"origin": "country"})
            .assign(side="emigration"),
            imm.rename("total")
            .reset_index()
            .rename(columns={"destination": "country"})
            .assign(side="immigration"),
        ],
        ignore_index=True,
    )
    if totals is not None:
        need = {"country", "year", "side", "total"}
        if not need <= set(totals.columns):
            raise InputError(f"totals need columns {sorted(need)}; got {list(totals.columns)}")
        given = totals.assign(country=resolve_countries(totals["country"]))
        given = given.astype({"year": "int64", "total": "float64"})
        merged = out.merge(
            given[["country", "year", "side", "total"]].rename(columns={"total": "given"}),
            on=["country", "year", "side"],
            how="left",
        )
        # A published total below the sum of the bilateral flows is impossible; keep the sum.
        merged["total"] = np.fmax(merged["given"], merged["total"])
        out = merged.drop(columns="given")
    return out


def _groups(both: pd.DataFrame, reference: list[str], side: str, corrected: bool) -> pd.DataFrame:
    """Flows entering U^side for every country X: one row per (X, cell, partner c in Y)."""
    if side == "emigration":
        # U^E_X: E_Xc (reported by X) over I_Xc (reported by c), c in Y.
        rows = both.loc[both["destination"].isin(reference)]
        frame = pd.DataFrame(
            {
                "country": rows["origin"],
                "partner": rows["destination"],
                "num": rows["emigration"],
                "den": rows["immigration"],
                "num_r": rows["emi_factor"],
                "den_r": rows["imm_factor"],
            }
        )
    else:
        # U^I_X: I_cX (reported by X) over E_cX (reported by c), c in Y.
        rows = both.loc[both["origin"].isin(reference)]
        frame = pd.DataFrame(
            {
                "country": rows["destination"],
                "partner": rows["origin"],
                "num": rows["immigration"],
                "den": rows["emigration"],
                "num_r": rows["imm_factor"],
                "den_r": rows["emi_factor"],
            }
        )
    frame = pd.concat([rows[_CELL], frame], axis=1).assign(side=side)
    frame["missing_threshold"] = frame["num_r"].isna() | frame["den_r"].isna()
    if not corrected:
        frame["num_r"] = 1.0
        frame["den_r"] = 1.0
    frame["duration"] = "corrected" if corrected else "raw"
    return frame


@public
def undercount_index(
    table: MirrorTable,
    reference: Iterable[str] = QUANTMIG_REFERENCE,
    *,
    duration_table: str | None = "imem",
    draws: int = 1000,
    seed: int = 0,
    level: float = 0.95,
    totals: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Reference-group undercount index U^E and U^I per country and year.

    For country X and reference group Y (QuantMig; DOMAIN.md section 5, item 3)::

        U^E_X = sum_c E_Xc R_X / sum_c I_Xc R_c      U^I_X = sum_c I_cX R_X / sum_c E_cX R_c

    over partners c in Y (c != X) whose pair is reported by both sides. ``log U < 0`` means
    X reports fewer migrants than the reference countries see: undercount.

    The duration-corrected index multiplies each flow by R(d) of the threshold its reporter
    used for that pair and year (:meth:`MirrorTable.with_durations`); pairs whose threshold is
    unknown are left out of the corrected index (counted in ``n_no_threshold``), never given
    R = 1.

    **Bootstrap.** Following Dańko's UndercountMigScores ("Bilateral flows ratios and their
    confidence intervals"), the numerator and the denominator are independent migration
    processes simulated by binomial draws with n = the reporter's total flow for that side and
    year and p = flow / n, so the expected draw equals the reported flow. The numerator (all
    flows reported by X) is drawn as one binomial for the sum over c, Bin(N_X, sum_c f / N_X),
    scaled by the duration-weighted mean factor; each denominator flow is reported by a
    different country c and is drawn separately, Bin(N_c, f_c / N_c), then multiplied by R_c.
    N is the reporter's total over all partners present in the table (or ``totals`` where
    given; never less than that sum); non-integer flows are rounded. When the table holds
    all of a reporter's flows to the reference group and nothing else, p = 1 and that side
    has no sampling variation: pass published ``totals`` for meaningful intervals. The raw
    and the corrected index of a country use the same draws of each reported flow (common
    random numbers; only the R weights differ), so their intervals are comparable. Every
    replicate is drawn exactly with ``numpy.random.Generator.binomial``, all replicates of
    one flow in a row (in chunks that bound memory); intervals are percentile intervals and
    ``se_log`` the standard deviation of log U over replicates. The same seed gives the
    same intervals.

    Parameters
    ----------
    table
        Mirror table (with thresholds attached for the corrected index).
    reference
        Countries of the reference group Y (names or codes).
    duration_table
        Table of R(d) for the corrected index (``"imem"``, ``"willekens_expert"``, ...);
        ``None`` computes only the raw index.
    draws
        Bootstrap replicates (0 = no intervals).
    seed
        Seed of the random generator: same seed, same intervals.
    level
        Confidence level of the percentile intervals.
    totals
        Optional published totals (columns country, year, side, total) used as binomial n.

    Returns
    -------
    DataFrame
        One row per country, year, sex, age, side (emigration/immigration) and duration
        (raw/corrected): ``n_partners``, ``n_no_threshold``, ``numerator``, ``denominator``,
        ``index`` (U), ``log_index``, ``ci_low``, ``ci_high``, ``se_log``.

    Examples
    --------
    >>> raw = pd.DataFrame({"Year": [2015] * 4, "Sending_iso2": ["IT", "IT", "SE", "DK"],
    ...     "Receiving_iso2": ["SE", "DK", "IT", "IT"], "Emig": [500, 300, 900, 400],
    ...     "Immi": [1000, 600, 800, 500]})
    >>> t = MirrorTable.from_eurostat(raw)
    >>> totals = pd.DataFrame({"country": ["ITA", "SWE", "DNK"], "year": 2015,
    ...     "side": ["emigration", "immigration", "immigration"], "total": [9000, 9e4, 6e4]})
    >>> u = undercount_index(t, ["SE", "DK"], duration_table=None, draws=200, totals=totals)
    >>> row = u.query("country == 'ITA' and side == 'emigration'").iloc[0]
    >>> float(row["index"]), bool(row.ci_low < 0.5 < row.ci_high)
    (0.5, True)
    """
    check_instance(table, MirrorTable, "table", "build one with MirrorTable.from_eurostat")
    if not 0 < level < 1:
        raise ConfigurationError(f"level must be between 0 and 1, got {level}")
    if draws < 0:
        raise ConfigurationError(f"draws must be 0 or more, got {draws}")
    ref_in = list(reference)
    ref = resolve_countries(pd.Series(ref_in, dtype="string"))
    if ref.isna().any():
        unknown = [v for v, r in zip(ref_in, ref, strict=True) if pd.isna(r)]
        raise InputError(f"reference group: unknown countries {unknown}")
    refs = sorted(set(ref))
    data = table.data.copy()
    if duration_table is not None:
        data["emi_factor"] = np.asarray(duration_factor(data["emi_threshold"], duration_table))
        data["imm_factor"] = np.asarray(duration_factor(data["imm_threshold"], duration_table))
    else:
        data["emi_factor"] = np.nan
        data["imm_factor"] = np.nan
    both = data.loc[data["reported_by"] == "both"]
    flows = pd.concat(
        [
            _groups(both, refs, side, corrected)
            for side in ("emigration", "immigration")
            for corrected in ([False, True] if duration_table is not None else [False])
        ],
        ignore_index=True,
    )
    flows = flows.loc[~(flows["missing_threshold"] & (flows["duration"] == "corrected"))]
    gkey = ["country", *_CELL, "side", "duration"]
    flows = flows.sort_values([*gkey, "partner"], kind="stable").reset_index(drop=True)
    flows["num_w"] = flows["num"] * flows["num_r"]
    flows["den_w"] = flows["den"] * flows["den_r"]
    grouped = flows.groupby(gkey, observed=True, sort=False)
    out = grouped.agg(
        n_partners=("partner", "size"),
        numerator=("num_w", "sum"),
        denominator=("den_w", "sum"),
        num_raw=("num", "sum"),
    ).reset_index()
    missing = _missing_counts(both, refs, data, duration_table)
    out = out.merge(missing, on=["country", *_CELL, "side"], how="left")
    out["n_no_threshold"] = out["n_no_threshold"].fillna(0).astype("int64")
    out.loc[out["duration"] == "raw", "n_no_threshold"] = 0
    with np.errstate(divide="ignore", invalid="ignore"):
        out["index"] = out["numerator"] / out["denominator"]
        out["log_index"] = np.log(out["index"])
    out[["ci_low", "ci_high", "se_log"]] = np.nan
    if draws > 0 and len(out):
        lo, hi, se = _bootstrap(flows, out, _reporter_totals(data, totals), draws, seed, level)
        out["ci_low"], out["ci_high"], out["se_log"] = lo, hi, se
    cols = [*gkey, "n_partners", "n_no_threshold", "numerator", "denominator", "index"]
    out = out[[*cols, "log_index", "ci_low", "ci_high", "se_log"]]
    return out.sort_values(gkey, kind="stable").reset_index(drop=True)


def _missing_counts(
    both: pd.DataFrame, refs: list[str], data: pd.DataFrame, duration_table: str | None
) -> pd.DataFrame:
    if duration_table is None:
        return pd.DataFrame(columns=["country", *_CELL, "side", "n_no_threshold"])
    parts = [_groups(both, refs, side, True) for side in ("emigration", "immigration")]
    frame = pd.concat(parts, ignore_index=True)
    counts = frame.groupby(["country", *_CELL, "side"], observed=True)["missing_threshold"].sum()
    return counts.rename("n_no_threshold").reset_index()


def _bootstrap(
    flows: pd.DataFrame,
    groups: pd.DataFrame,
    totals: pd.DataFrame,
    draws: int,
    seed: int,
    level: float,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Percentile intervals and log-scale SD of U from binomial replicates (vectorised)."""
    rng = np.random.default_rng(seed)
    keys = ["country", "year", "sex", "age", "side"]
    tot = totals.set_index(keys)["total"]
    # Numerator: one binomial per group, n = total of X (the reporter of every numerator flow).
    num_n = tot.reindex(pd.MultiIndex.from_frame(groups[keys])).to_numpy(float)
    num_n = np.ceil(np.fmax(num_n, groups["num_raw"].to_numpy(float)))
    num_p = np.divide(
        groups["num_raw"].to_numpy(float), num_n, where=num_n > 0, out=np.zeros(len(groups))
    )
    with np.errstate(divide="ignore", invalid="ignore"):
        num_scale = np.where(
            groups["num_raw"] > 0, groups["numerator"] / groups["num_raw"], 0.0
        ).astype(float)
    # The raw and the corrected index of a country share their numerator draw when both sum
    # the same reported flows (same n and p), as they share denominator draws below: common
    # random numbers keep raw and corrected intervals comparable and halve the work.
    num_id = groups.groupby([*keys, "num_raw"], sort=False, dropna=False).ngroup().to_numpy()
    _, num_first = np.unique(num_id, return_index=True)
    # Denominator: one binomial per flow, n = total of the partner c that reported it.
    other = flows["side"].map({"emigration": "immigration", "immigration": "emigration"})
    den_key = pd.MultiIndex.from_arrays(
        [flows["partner"], flows["year"], flows["sex"], flows["age"], other], names=keys
    )
    den_n = np.ceil(np.fmax(tot.reindex(den_key).to_numpy(float), flows["den"].to_numpy(float)))
    den_p = np.divide(
        flows["den"].to_numpy(float), den_n, where=den_n > 0, out=np.zeros(len(flows))
    )
    den_p = np.clip(den_p, 0.0, 1.0)
    # Raw and corrected indices share each denominator flow: draw it once.
    flow_id = flows.groupby(["country", "partner", *_CELL, "side"], sort=False).ngroup()
    flow_id = flow_id.to_numpy()
    _, first = np.unique(flow_id, return_index=True)
    gcols = ["country", *_CELL, "side", "duration"]
    is_start = np.r_[True, (flows[gcols].shift() != flows[gcols]).any(axis=1).to_numpy()[1:]]
    row_group = np.cumsum(is_start) - 1
    # Sum over partners of R_c x draw: one sparse (groups x distinct flows) product per chunk.
    summer = sp.csr_matrix(
        (flows["den_r"].to_numpy(float), (row_group, flow_id)), shape=(len(groups), len(first))
    )
    n_num, p_num = num_n[num_first].astype(np.int64), np.clip(num_p[num_first], 0, 1)
    n_den, p_den = den_n[first].astype(np.int64), den_p[first]
    # Replicates run along the last axis: numpy reuses a binomial's set-up (BTPE constants)
    # while n and p stay the same, so one flow's draws in a row cost about half as much.
    u = np.empty((len(groups), draws))
    chunk = max(1, _MAX_CELLS // max(1, len(first) + len(num_first)))
    for start in range(0, draws, chunk):
        b = min(chunk, draws - start)
        num = rng.binomial(n_num[:, None], p_num[:, None], size=(len(num_first), b))
        den = rng.binomial(n_den[:, None], p_den[:, None], size=(len(first), b))
        den_sum = summer @ den.astype(float)
        with np.errstate(divide="ignore", invalid="ignore"):
            u[:, start : start + b] = num[num_id] * num_scale[:, None] / den_sum
    return _summaries(u, level)


def _summaries(u: np.ndarray, level: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Percentile interval and SD of log U over the replicates (columns) of each row."""
    alpha = (1 - level) / 2
    lo, hi, se = (np.full(len(u), np.nan) for _ in range(3))
    # Blocks of rows keep the temporaries small (no page faults on large fresh arrays).
    step = max(1, (1 << 21) // max(1, u.shape[1]))
    for a in range(0, len(u), step):
        block = u[a : a + step]
        rows = slice(a, a + len(block))
        with np.errstate(invalid="ignore", divide="ignore"):
            if np.isnan(block).any():
                lo[rows], hi[rows] = np.nanquantile(block, [alpha, 1 - alpha], axis=1)
            else:  # same values as nanquantile, by the fast partition path
                lo[rows], hi[rows] = np.quantile(block, [alpha, 1 - alpha], axis=1)
            logs = np.log(np.where(block > 0, block, np.nan))
            finite = np.isfinite(logs)
            logs[~finite] = 0.0
            count = finite.sum(axis=1)
            mean = logs.sum(axis=1) / np.maximum(count, 1)
            logs -= mean[:, None]
            logs[~finite] = 0.0
            var = np.einsum("ij,ij->i", logs, logs) / np.maximum(count - 1, 1)
        se[rows] = np.where(count > 1, np.sqrt(var), np.nan)
    return lo, hi, se
