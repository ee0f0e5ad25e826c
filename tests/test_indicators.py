"""Tests of the ESS quality indicators (migdata.quality.indicators)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from migdata.errors import InputError
from migdata.quality.indicators import ac3, cc1, cc1_from_ratio, cc2, r1, tp1, tp3


def test_cc1_real_pair_italy_spain(shared_data: type) -> None:
    """CC1 of 2015 Italy -> Spain from the Eurostat mirror file is (I-E)/mean with I/E 3.468."""
    flows = pd.read_csv(shared_data.path("eurostat_mirror_flows_2010_2019.csv"))
    pick = (
        (flows["Sending_iso2"] == "IT")
        & (flows["Receiving_iso2"] == "ES")
        & (flows["Year"] == 2015)
        & (flows["SEX"] == "Total")
    )
    row = flows[pick].iloc[0]
    i, e = float(row["Immi"]), float(row["Emig"])
    assert (i, e) == (17350.0, 5003.0)
    assert cc1(i, e) == pytest.approx((17350 - 5003) / ((17350 + 5003) / 2))
    assert cc1(e, i) == pytest.approx(-cc1(i, e))


def test_cc1_missing_and_zero_give_nan() -> None:
    """A missing side or two zero sides give NaN; one zero side gives the bound +-2."""
    out = cc1(np.array([np.nan, 0.0, 10.0, 0.0]), np.array([5.0, 0.0, 0.0, 10.0]))
    assert np.isnan(out[0]) and np.isnan(out[1])
    assert out[2] == 2.0 and out[3] == -2.0


def test_cc1_series_keeps_index() -> None:
    """A Series in gives a Series out with the same index."""
    i = pd.Series([10.0, 20.0], index=["a", "b"])
    e = pd.Series([10.0, 10.0], index=["a", "b"])
    out = cc1(i, e, absolute=True)
    assert list(out.index) == ["a", "b"]
    assert out["a"] == 0.0 and out["b"] == pytest.approx(2 / 3)


def test_cc1_rejects_negative_and_text() -> None:
    """A negative flow or a word instead of a number is an InputError."""
    with pytest.raises(InputError, match="negative"):
        cc1([-1.0], [2.0])
    with pytest.raises(InputError, match="numbers"):
        cc1(pd.Series(["ten"]), pd.Series([2.0]))


@given(st.floats(min_value=0.001, max_value=1e7), st.floats(min_value=0.001, max_value=1e7))
def test_cc1_ratio_identity(i: float, e: float) -> None:
    """|CC1| equals 2|r-1|/(r+1) with r = E/I and stays within [0, 2]."""
    assert cc1(i, e, absolute=True) == pytest.approx(cc1_from_ratio(e / i), rel=1e-9, abs=1e-12)
    assert 0.0 <= cc1(i, e, absolute=True) <= 2.0


def test_cc2_breaks_and_gaps() -> None:
    """CC2 counts years since the last break and stops at a gap; future breaks are ignored."""
    assert cc2(range(2005, 2020), breaks=[2008, 2012]) == 8
    assert cc2(range(2005, 2020), breaks=[2030]) == 15
    assert cc2(["2015", "2016", "2018", "2019"]) == 2
    assert cc2([]) == 0


def test_r1_mask_and_counts() -> None:
    """R1 is delivered/required, from values or from counts; impossible counts fail."""
    assert r1([1, None, np.nan, 4]) == 0.5
    assert r1([True, False, True, True]) == 0.75
    assert r1(3, 4) == 0.75
    with pytest.raises(InputError):
        r1(5, 4)


def test_ac3_drops_not_applicable() -> None:
    """AC3 leaves 'not applicable' out and counts don't-know as not provided."""
    assert ac3(["answered", "dont_know", "not_applicable"]) == 0.5
    assert np.isnan(ac3(["not_applicable"]))
    with pytest.raises(InputError):
        ac3(["yes"])


def test_tp1_and_tp3() -> None:
    """TP1 is the lag in days; TP3 gives the mean delay and on-time share."""
    assert tp1("2023-12-31", "2024-01-30") == 30.0
    lags = tp1(pd.Series(["2023-12-31", "2022-12-31"]), pd.Series(["2024-01-30", None]))
    assert lags.iloc[0] == 30.0 and np.isnan(lags.iloc[1])
    out = tp3(["2024-01-01", "2024-02-01", "2024-03-01"], ["2023-12-30", "2024-02-03", None])
    assert out == {"mean_delay_days": 0.0, "on_time_share": 0.5}
    assert tp3(["2024-01-01"], ["2024-01-03"], tolerance_days=2)["on_time_share"] == 1.0
