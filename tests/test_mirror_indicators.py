"""Tests of migdata.mirror.indicators on the real Eurostat mirror flows."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from migdata.mirror.indicators import _cc1, country_aggregates, pair_indicators, year_summary
from migdata.mirror.table import MirrorTable


@pytest.fixture
def real(shared_data: Any) -> MirrorTable:
    return MirrorTable.from_eurostat(shared_data.path("eurostat_mirror_flows_2010_2019.csv"))


def test_italy_spain_2015(real: MirrorTable) -> None:
    """2015 Italy -> Spain: I/E = 3.468, difference 12,347."""
    p = pair_indicators(real).query("origin == 'ITA' and destination == 'ESP' and year == 2015")
    assert p.ratio.item() == pytest.approx(17350 / 5003) and round(p.ratio.item(), 3) == 3.468
    assert p.difference.item() == 12347
    assert p.cc1.item() == pytest.approx((17350 - 5003) / ((17350 + 5003) / 2))


def test_indicators_na_without_both_sides(real: MirrorTable) -> None:
    """Pairs reported by one side only carry no asymmetry indicator."""
    p = pair_indicators(real)
    one = p.loc[p.reported_by != "both"]
    assert one[["ratio", "log_ratio", "cc1"]].isna().all().all()
    both = p.loc[p.reported_by == "both"]
    assert both.loc[both.immigration + both.emigration > 0, "cc1"].notna().all()


def test_aggregates_only_over_mirrored_pairs(real: MirrorTable) -> None:
    """Country aggregates sum only pairs with both sides; Spain's 2015 immigration matches."""
    agg = country_aggregates(real).query("year == 2015")
    both = real.both_sides().query("year == 2015 and destination == 'ESP'")
    es = agg.query("country == 'ESP' and side == 'immigration'")
    assert es.immigration.item() == both.immigration.sum()
    assert es.emigration.item() == both.emigration.sum()
    assert es.n_pairs.item() == len(both)
    # Ireland reports both sides in other years but not in 2015.
    assert agg.country.nunique() == 15
    assert country_aggregates(real).country.nunique() == 16


def test_year_summary(real: MirrorTable) -> None:
    """The yearly summary counts 200 mirrored pairs and 15 two-sided reporters in 2015."""
    s = year_summary(real).set_index("year")
    assert s.loc[2015, "both"] == 200 and s.loc[2015, "reporters_both"] == 15
    assert s.loc[2010, "both"] == 137
    assert 0 < s.loc[2015, "mean_abs_cc1"] < 2


@given(
    st.floats(0.1, 1e6, allow_nan=False), st.floats(0.1, 1e6, allow_nan=False),
    st.floats(1e-3, 1e3),
)  # fmt: skip
def test_cc1_properties(i: float, e: float, k: float) -> None:
    """CC1 lies in [-2, 2], is antisymmetric and does not change when both sides scale."""
    c = float(_cc1(i, e))
    assert -2 <= c <= 2
    assert float(_cc1(e, i)) == pytest.approx(-c, abs=1e-12)
    assert float(_cc1(k * i, k * e)) == pytest.approx(c, rel=1e-9, abs=1e-12)
    r = e / i
    assert abs(c) == pytest.approx(2 * abs(r - 1) / (r + 1), rel=1e-9, abs=1e-12)


def test_zero_side_gives_no_ratio() -> None:
    """A zero side makes the log ratio NA (not -inf) while CC1 is -2."""
    t = MirrorTable.from_eurostat(
        pd.DataFrame({"Year": [2015], "Sending_iso2": ["IT"], "Receiving_iso2": ["ES"],
                      "Emig": [10], "Immi": [0]})
    )  # fmt: skip
    p = pair_indicators(t).iloc[0]
    assert p.ratio == 0 and np.isnan(p.log_ratio) and p.cc1 == -2
