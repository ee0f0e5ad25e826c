"""Tests of migdata.mirror.undercount (QuantMig reference-group index, binomial bootstrap)."""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from migdata.errors import InputError
from migdata.mirror.table import MirrorTable
from migdata.mirror.undercount import _summaries, undercount_index

NORDIC_BENL = ["DK", "FI", "SE", "BE", "NL"]


@pytest.fixture
def real(shared_data: Any) -> MirrorTable:
    t = MirrorTable.from_eurostat(shared_data.path("eurostat_mirror_flows_2010_2019.csv"))
    return t.with_durations(
        shared_data.path("duration_thresholds_immigration_2002_2021.csv"),
        shared_data.path("duration_thresholds_emigration_2002_2021.csv"),
    )


def test_index_matches_definition(real: MirrorTable) -> None:
    """U^E of Italy 2015 equals the sum of its emigration over the partners' immigration."""
    u = undercount_index(real, NORDIC_BENL, draws=0)
    row = u.query(
        "country == 'ITA' and year == 2015 and side == 'emigration' and duration == 'raw'"
    )
    d = real.both_sides().query("origin == 'ITA' and year == 2015")
    d = d.loc[d.destination.isin(["DNK", "FIN", "SWE", "BEL", "NLD"])]
    assert row["index"].item() == pytest.approx(d.emigration.sum() / d.immigration.sum())
    assert row.n_partners.item() == len(d)


def test_duration_correction_uses_reporter_thresholds(real: MirrorTable) -> None:
    """The corrected index applies R(d) of each reporter's threshold for the pair and year."""
    u = undercount_index(real, NORDIC_BENL, draws=0)
    c = real.duration_corrected("imem").both_sides()
    # Slovakia's emigration definition is not 12 months: the correction changes its index.
    c = c.query("origin == 'SVK' and year == 2010")
    c = c.loc[c.destination.isin(["DNK", "FIN", "SWE", "BEL", "NLD"])].dropna(subset=["emigration"])
    rows = u.query("country == 'SVK' and year == 2010 and side == 'emigration'")
    row = rows.set_index("duration")["index"]
    assert row["corrected"] == pytest.approx(c.emigration.sum() / c.immigration.sum())
    assert row["corrected"] != pytest.approx(row["raw"])


def test_bootstrap_is_seeded_and_covers_estimate(real: MirrorTable) -> None:
    """Same seed gives the same intervals; the intervals contain the point estimate."""
    t = real.select(year=[2015, 2016])
    a = undercount_index(t, NORDIC_BENL, draws=300, seed=7)
    b = undercount_index(t, NORDIC_BENL, draws=300, seed=7)
    pd.testing.assert_frame_equal(a, b)
    ok = a.dropna(subset=["ci_low"])
    assert len(ok) > 40
    inside = (ok.ci_low <= ok["index"] * 1.02) & (ok["index"] <= ok.ci_high * 1.02)
    assert inside.mean() > 0.95
    assert (ok.se_log > 0).mean() > 0.9


def test_unknown_reference_country() -> None:
    """An unknown country in the reference group is an error naming it."""
    t = MirrorTable.from_eurostat(
        pd.DataFrame({"Year": [2015], "Sending_iso2": ["IT"], "Receiving_iso2": ["SE"],
                      "Emig": [1], "Immi": [2]})
    )  # fmt: skip
    with pytest.raises(InputError, match="Narnia"):
        undercount_index(t, ["SE", "Narnia"])


def _one_pair(emi: float, imm: float, n_emi: float, n_imm: float) -> tuple[MirrorTable, Any]:
    """Italy -> Sweden 2015 with published totals (binomial n) for both reporters."""
    t = MirrorTable.from_eurostat(
        pd.DataFrame({"Year": [2015], "Sending_iso2": ["IT"], "Receiving_iso2": ["SE"],
                      "Emig": [emi], "Immi": [imm]})
    )  # fmt: skip
    totals = pd.DataFrame(
        {"country": ["ITA", "SWE"], "year": 2015, "side": ["emigration", "immigration"],
         "total": [n_emi, n_imm]}
    )  # fmt: skip
    return t, totals


def test_bootstrap_spread_matches_binomial_model() -> None:
    """SD of log U over replicates equals the delta-method SD of a ratio of two binomials."""
    t, totals = _one_pair(400.0, 900.0, 5_000.0, 20_000.0)
    u = undercount_index(t, ["SE"], duration_table=None, draws=6000, seed=3, totals=totals)
    row = u.query("country == 'ITA' and side == 'emigration'").iloc[0]
    p_e, p_i = 400 / 5_000, 900 / 20_000
    delta = np.sqrt((1 - p_e) / (5_000 * p_e) + (1 - p_i) / (20_000 * p_i))
    # SD of an SD estimate from 6000 draws is about 1%: 5% is a wide margin, not a loose test.
    assert row.se_log == pytest.approx(delta, rel=0.05)
    expected = np.exp(np.log(400 / 900) + np.array([-1.96, 1.96]) * delta)
    np.testing.assert_allclose([row.ci_low, row.ci_high], expected, rtol=0.03)


def test_raw_and_corrected_share_draws() -> None:
    """Where the correction multiplies both sides by R = 1, raw and corrected intervals are
    identical: both indices use the same numerator and denominator draws."""
    t, totals = _one_pair(400.0, 900.0, 5_000.0, 20_000.0)
    d = t.data.assign(emi_threshold=12.0, imm_threshold=12.0)
    u = undercount_index(MirrorTable(d), ["SE"], duration_table="imem", draws=500, seed=1,
                         totals=totals)  # fmt: skip
    rows = u.query("country == 'ITA' and side == 'emigration'").set_index("duration")
    assert rows.loc["raw", "ci_low"] == rows.loc["corrected", "ci_low"]
    assert rows.loc["raw", "se_log"] == rows.loc["corrected", "se_log"]


@settings(max_examples=30, deadline=None)
@given(
    st.integers(1, 6),
    st.integers(2, 40),
    st.floats(0.5, 0.99),
    st.integers(0, 2**32 - 1),
)
def test_summaries_equal_plain_nan_aware_computation(
    rows: int, cols: int, level: float, seed: int
) -> None:
    """Blocked summaries equal nanquantile and the SD of finite log U, with 0, inf and NaN."""
    rng = np.random.default_rng(seed)
    u = rng.lognormal(0, 1, (rows, cols))
    u[rng.random(u.shape) < 0.1] = 0.0
    u[rng.random(u.shape) < 0.1] = np.inf
    u[rng.random(u.shape) < 0.1] = np.nan
    lo, hi, se = _summaries(u, level)
    alpha = (1 - level) / 2
    with np.errstate(invalid="ignore", divide="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        want_lo, want_hi = np.nanquantile(u, [alpha, 1 - alpha], axis=1)
        logs = [np.log(r[(r > 0) & np.isfinite(r)]) for r in u]
        want_se = np.array([np.std(x, ddof=1) if len(x) > 1 else np.nan for x in logs])
    np.testing.assert_allclose(lo, want_lo, rtol=1e-12)
    np.testing.assert_allclose(hi, want_hi, rtol=1e-12)
    np.testing.assert_allclose(se, want_se, rtol=1e-9, atol=1e-12)


def test_bootstrap_without_totals_is_poisson_counting_noise() -> None:
    """One partner only: the former binomial with n = the table's sum had p = 1 and no
    variation; the Poisson bootstrap gives se(log U) ~ sqrt(1/E + 1/I)."""
    import numpy as np
    import pandas as pd

    from migdata.mirror import MirrorTable, undercount_index

    raw = pd.DataFrame({"Year": [2015], "Sending_iso2": ["IT"], "Receiving_iso2": ["SE"],
                        "Emig": [500], "Immi": [1000]})  # fmt: skip
    u = undercount_index(MirrorTable.from_eurostat(raw), ["SE"], duration_table=None,
                         draws=4000, seed=1)  # fmt: skip
    row = u.query("country == 'ITA' and side == 'emigration'").iloc[0]
    assert row["se_log"] == pytest.approx(np.sqrt(1 / 500 + 1 / 1000), rel=0.1)
    assert row["ci_low"] < 0.5 < row["ci_high"]
