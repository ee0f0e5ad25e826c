"""Tests of migdata.mirror.reconcile: factor recovery, invariances and the real 2015 data."""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from migdata.errors import ConfigurationError, InputError, ModelError
from migdata.mirror.reconcile import Method, Weights, _dense_inverse, reconcile
from migdata.mirror.table import MirrorTable

# ls warns that it shrinks factors (tested below); the other tests still check its numbers.
pytestmark = pytest.mark.filterwarnings("ignore:method='ls':UserWarning")

CODES = ["SE", "DK", "FI", "NO", "IS", "BE", "NL"]
ALPHA3 = ["SWE", "DNK", "FIN", "NOR", "ISL", "BEL", "NLD"]
FACTOR_METHODS = [Method.LS, Method.LOG_LS, Method.POULAIN]
# The deterministic methods (method="bayes" has its own tests in test_bayes.py).
DETERMINISTIC = [m for m in Method if m is not Method.BAYES]


@st.composite
def synthetic(draw: st.DrawFn) -> tuple[MirrorTable, np.ndarray, np.ndarray]:
    """Flows I = y / r and E = y / s with known factors (r_SWE = 1) and 1% noise."""
    n = draw(st.integers(4, 7))
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    r = np.exp(rng.uniform(-0.7, 0.7, n))
    r[0] = 1.0
    s = np.exp(rng.uniform(-1.0, 1.0, n))
    o, d = np.nonzero(~np.eye(n, dtype=bool))
    y = rng.uniform(500, 50_000, len(o))
    noise = np.exp(rng.normal(0, 0.01, (2, len(o))))
    frame = pd.DataFrame(
        {"Year": 2015, "Sending_iso2": np.array(CODES)[o], "Receiving_iso2": np.array(CODES)[d],
         "Emig": y / s[o] * noise[0], "Immi": y / r[d] * noise[1]}
    )  # fmt: skip
    return MirrorTable.from_eurostat(frame), r, s


def _factors(rec: object, side: str, n: int) -> np.ndarray:
    f = rec.factors.query("side == @side").set_index("country")["factor"]  # type: ignore[attr-defined]
    return f.reindex(ALPHA3[:n]).to_numpy(float)


@settings(max_examples=25, deadline=None)
@given(synthetic(), st.sampled_from(FACTOR_METHODS))
def test_methods_recover_known_factors(case: tuple, method: Method) -> None:
    """Every factor method recovers r and s from noisy synthetic flows: within 5%, and within
    10% for ls, whose unlogged criterion shrinks the factors toward zero (it warns so)."""
    table, r, s = case
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        rec = reconcile(table, method, reference="SE")
    rtol = 0.10 if method is Method.LS else 0.05
    np.testing.assert_allclose(_factors(rec, "immigration", len(r)), r, rtol=rtol)
    np.testing.assert_allclose(_factors(rec, "emigration", len(s)), s, rtol=rtol)


@settings(max_examples=20, deadline=None)
@given(synthetic(), st.sampled_from(DETERMINISTIC), st.sampled_from(list(Weights)),
       st.floats(1e-3, 1e3))  # fmt: skip
def test_invariants(case: tuple, method: Method, weights: Weights, k: float) -> None:
    """Scaling is harmless, r_ref = 1 exactly, factors > 0, harmonised between adjusted sides."""
    table, _, _ = case
    rec = reconcile(table, method, reference="SE", weights=weights)
    data = table.data.assign(emigration=table.data.emigration * k,
                             immigration=table.data.immigration * k)  # fmt: skip
    scaled = reconcile(MirrorTable(data), method, reference="SE", weights=weights)
    np.testing.assert_allclose(scaled.factors.factor, rec.factors.factor, rtol=1e-6)
    ref = rec.factors.query("country == 'SWE' and side == 'immigration'")
    assert ref.factor.item() == 1.0 and ref.status.item() == "reference"
    assert (rec.factors.factor > 0).all()
    f = rec.flows
    lo = np.minimum(f.adj_immigration, f.adj_emigration)
    hi = np.maximum(f.adj_immigration, f.adj_emigration)
    assert ((f.harmonised >= lo * (1 - 1e-12)) & (f.harmonised <= hi * (1 + 1e-12))).all()


@pytest.fixture
def real2015(shared_data: Any) -> MirrorTable:
    path = shared_data.path("eurostat_mirror_flows_2010_2019.csv")
    return MirrorTable.from_eurostat(path).select(year=2015)


@pytest.mark.parametrize("method", DETERMINISTIC)
@pytest.mark.parametrize("weights", ["none", "accuracy"])
def test_real_2015_every_method_lowers_asymmetry(
    real2015: MirrorTable, method: Method, weights: str
) -> None:
    """On the 2015 Eurostat flows each method runs and lowers mean |CC1| of mirrored pairs."""
    rec = reconcile(real2015, method, reference="SE", weights=weights)
    d = rec.diagnostics.iloc[0]
    assert d.n_both == 200
    assert d.mean_abs_cc1_after < d.mean_abs_cc1_before
    assert bool(d.converged)


def test_real_flows_and_provenance(real2015: MirrorTable) -> None:
    """Harmonised Italy -> Spain lies between the adjusted sides and says where it came from."""
    rec = reconcile(real2015, "log-ls", reference="SE")
    row = rec.flows.query("origin == 'ITA' and destination == 'ESP'").iloc[0]
    assert row.harmonised == pytest.approx((row.adj_immigration + row.adj_emigration) / 2)
    assert "ESP" in row.provenance and "ITA" in row.provenance and "log-ls" in row.provenance
    one = rec.flows.query("reported_by == 'destination only'").iloc[0]
    assert one.sides == "immigration"
    de = rec.factors.query("country == 'DEU'")
    assert (de.status == "not estimable").all()
    assert "MirrorTable" not in rec._repr_html_() and "Reconciliation" in rec._repr_html_()


def test_outliers_excluded_and_listed(real2015: MirrorTable) -> None:
    """Corridors above the |CC1| threshold are excluded from estimation and listed."""
    rec = reconcile(real2015, "log-ls", reference="SE", exclude_outliers=1.5)
    assert len(rec.outliers) > 0 and (rec.outliers.cc1.abs() > 1.5).all()
    # One pair has a zero side (no log ratio): it is neither used nor an outlier (issue 18).
    d = rec.diagnostics.iloc[0]
    assert (d.n_both, d.n_zero) == (200, 1)
    assert d.n_used == 200 - len(rec.outliers) - 1
    flagged = rec.flows.loc[rec.flows.outlier]
    assert flagged.provenance.str.contains("outlier").all()


def test_reference_from_quality_classes(real2015: MirrorTable) -> None:
    """Without a named reference the best-scored country of the quality table is used."""
    quality = pd.DataFrame({"country": ["SE", "IT", "NL"], "score": [0.7, 0.2, 0.9]})
    assert reconcile(real2015, "log-ls", quality=quality).reference == "NLD"
    assert reconcile(real2015, "log-ls", quality="table").reference in set(
        real2015.data.destination
    )
    with pytest.raises(ConfigurationError, match="reference"):
        reconcile(real2015, "log-ls")


def test_disconnected_graph_names_groups() -> None:
    """Two islands of pairs cannot share a scale: ModelError names both groups."""
    frame = pd.DataFrame(
        {"Year": 2015, "Sending_iso2": ["SE", "DK", "IT", "ES"],
         "Receiving_iso2": ["DK", "SE", "ES", "IT"], "Emig": [1, 2, 3, 4], "Immi": [2, 3, 4, 5]}
    )  # fmt: skip
    t = MirrorTable.from_eurostat(frame)
    for method in ("log-ls", "ls", "poulain"):
        with pytest.raises(ModelError, match=r"ESP.*ITA|ITA.*ESP") as err:
            reconcile(t, method, reference="SE")
        assert "DNK" in str(err.value)
    assert reconcile(t, "prefer-immigration", reference="SE").factor("IT", "emigration") > 0


def test_bootstrap_intervals(real2015: MirrorTable) -> None:
    """Bootstrap intervals are seeded and bracket the factor."""
    a = reconcile(real2015, "poulain", reference="SE", bootstrap=30, seed=3)
    b = reconcile(real2015, "poulain", reference="SE", bootstrap=30, seed=3)
    pd.testing.assert_frame_equal(a.factors, b.factors)
    est = a.factors.query("status == 'estimated'")
    assert (est.ci_low < est.ci_high).all() and est.se.notna().all()


def test_methods_accept_strings() -> None:
    """Options accept enum members or their strings, in any case; unknown ones are refused."""
    assert Method("LOG_LS") is Method.LOG_LS and Method("log-ls") is Method.LOG_LS
    with pytest.raises(ConfigurationError, match="poulain"):
        Method("magic")


def _years_table(seed: int, years: int = 3) -> MirrorTable:
    """Nordic/Benelux flows for several years, some sides missing, one pair 0/0."""
    rng = np.random.default_rng(seed)
    o, d = np.nonzero(~np.eye(len(CODES), dtype=bool))
    rows = []
    for year in range(2015, 2015 + years):
        emi = rng.uniform(50, 5_000, len(o)).round()
        imm = (emi * rng.uniform(0.5, 2.0, len(o))).round()
        emi[rng.random(len(o)) < 0.15] = np.nan
        imm[rng.random(len(o)) < 0.15] = np.nan
        emi[(year - 2015) % len(o)] = imm[(year - 2015) % len(o)] = 0.0  # a pair with no CC1
        rows.append(pd.DataFrame({"Year": year, "Sending_iso2": np.array(CODES)[o],
                                  "Receiving_iso2": np.array(CODES)[d], "Emig": emi,
                                  "Immi": imm}))  # fmt: skip
    return MirrorTable.from_eurostat(pd.concat(rows, ignore_index=True))


@settings(max_examples=8, deadline=None)
@given(st.integers(0, 2**32 - 1), st.sampled_from(DETERMINISTIC))
def test_all_years_at_once_equal_year_by_year(seed: int, method: Method) -> None:
    """Reconciling all years in one call gives, per year, what a call on that year alone gives."""
    table = _years_table(seed)
    together = reconcile(table, method, reference="SE")
    for year in table.years:
        alone = reconcile(table.select(year=year), method, reference="SE")
        for part in ("factors", "flows", "diagnostics"):
            got = getattr(together, part).query("year == @year").reset_index(drop=True)
            pd.testing.assert_frame_equal(got, getattr(alone, part), check_dtype=False)


def test_diagnostics_skip_pairs_without_cc1() -> None:
    """A pair reported as 0 by both sides has no CC1: the mean |CC1| skips it."""
    table = _years_table(1, years=1)
    rec = reconcile(table, "log-ls", reference="SE")
    f = rec.flows.loc[(rec.flows.reported_by == "both") & rec.flows.s.notna() & rec.flows.r.notna()]
    before = (2 * (f.immigration - f.emigration) / (f.immigration + f.emigration)).abs()
    d = rec.diagnostics.iloc[0]
    # The 0/0 pair is not fitted (issue 18): counted in n_zero, not among the adjusted pairs.
    assert before.isna().sum() == 1
    assert d.n_adjusted == len(f) - 1 and d.n_zero == 1
    assert d.mean_abs_cc1_before == pytest.approx(before.mean())


def test_provenance_sentences() -> None:
    """Provenance names the sides used, their reporters, unadjusted sides and outliers."""
    nan = np.nan
    pairs = [("SE", "DK", 50, 100), ("DK", "SE", 90, 2e5), ("SE", "FI", 40, 60),
             ("FI", "SE", 30, 60), ("DK", "FI", 80, 80), ("FI", "DK", 70, 90),
             ("SE", "NO", 40, nan), ("NO", "SE", nan, 9), ("NO", "IS", nan, 7)]  # fmt: skip
    raw = pd.DataFrame(pairs, columns=["Sending_iso2", "Receiving_iso2", "Emig", "Immi"])
    table = MirrorTable.from_eurostat(raw.assign(Year=2015))
    rec = reconcile(table, "log-ls", reference="SE", exclude_outliers=1.5)
    text = rec.flows.set_index(["origin", "destination"])["provenance"]
    tail = "; log-ls, reference SWE"
    assert text["SWE", "DNK"] == (
        "mean of immigration reported by DNK x r and emigration reported by SWE x s" + tail
    )
    assert text["SWE", "NOR"] == "emigration reported by SWE x s" + tail
    assert text["NOR", "SWE"] == "immigration reported by SWE x r" + tail
    assert text["NOR", "ISL"] == (
        "immigration reported by ISL (r not estimable: unadjusted)" + tail
    )
    assert text["DNK", "SWE"] == (
        "mean of immigration reported by SWE x r and emigration reported by DNK x s"
        + tail
        + " (outlier: excluded from estimation)"
    )
    assert str(rec.flows["provenance"].dtype) == "string"
    assert str(rec.flows["sides"].dtype) == "str"


@given(st.lists(st.integers(0, 999), max_size=50), st.booleans())
def test_dense_inverse_equals_unique(keys: list[int], sparse_space: bool) -> None:
    """The presence-table unique/inverse equals numpy's (both the dense and the sort path)."""
    key = np.array(keys, dtype=np.int64)
    space = 10**9 if sparse_space else 1000
    uniq, inv = _dense_inverse(key, space)
    want_uniq, want_inv = np.unique(key, return_inverse=True)
    np.testing.assert_array_equal(uniq, want_uniq)
    np.testing.assert_array_equal(inv, want_inv.reshape(-1))


def test_missing_country_is_an_input_error() -> None:
    """A mirror table row without an origin is refused with its row and column."""
    table = _years_table(2, years=1)
    data = table.data.copy()
    data.loc[3, "origin"] = pd.NA
    with pytest.raises(InputError, match="origin") as err:
        reconcile(MirrorTable(data), "log-ls", reference="SE")
    assert err.value.row == 3


# ---------------------------------------------------------------- corrections (issue 18)
def _small(emig: list[float]) -> MirrorTable:
    return MirrorTable.from_eurostat(pd.DataFrame({"Year": 2015,
        "Sending_iso2": ["SE", "DK", "FI", "SE", "DK", "FI"],
        "Receiving_iso2": ["DK", "FI", "SE", "FI", "SE", "DK"],
        "Emig": emig, "Immi": [100, 80, 60, 45, 170, 30]}))  # fmt: skip


def test_a_pair_with_a_zero_side_is_not_counted_as_used() -> None:
    """The E = 0 pair has no log ratio: it is left out of the fit and of the statistics."""
    rec = reconcile(_small([50, 80, 30, 40, 90, 0]), "log-ls", reference="SE")
    d = rec.diagnostics.iloc[0]
    assert (d["n_both"], d["n_zero"], d["n_used"], d["n_adjusted"]) == (6, 1, 5, 5)
    f = rec.flows[rec.flows["emigration"] > 0]
    cc1 = (f["immigration"] - f["emigration"]) / ((f["immigration"] + f["emigration"]) / 2)
    assert d["mean_abs_cc1_before"] == pytest.approx(cc1.abs().mean())


def test_bootstrap_se_is_reported_and_labelled() -> None:
    table = _small([50, 80, 30, 40, 90, 25])
    plain = reconcile(table, "log-ls", reference="SE")
    assert plain.factors["se_bootstrap"].isna().all()
    assert plain.factors["se_source"].eq("formula").all()
    boot = reconcile(table, "log-ls", reference="SE", bootstrap=200, seed=3)
    est = boot.factors[boot.factors["status"] == "estimated"]
    assert est["se_bootstrap"].gt(0).all()
    assert np.allclose(est["se"], plain.factors.loc[est.index, "se"])  # formula SE kept
    poulain = reconcile(table, "poulain", reference="SE", bootstrap=200, seed=3)
    est = poulain.factors[poulain.factors["status"] == "estimated"]
    assert est["se_source"].eq("bootstrap").all()
    assert np.allclose(est["se"], est["se_bootstrap"])


def test_default_weights_are_count_weights() -> None:
    table = _small([50, 80, 30, 40, 90, 25])
    default = reconcile(table, "log-ls", reference="SE")
    assert default.weights is Weights.COUNT
    count = reconcile(table, "log-ls", reference="SE", weights="count")
    assert np.allclose(default.factors["factor"], count.factors["factor"])


def test_ls_warns_that_it_shrinks_factors() -> None:
    with pytest.warns(UserWarning, match="shrinks them toward zero"):
        reconcile(_small([50, 80, 30, 40, 90, 25]), "ls", reference="SE")
