"""Estimated flows in the mirror table (migdata.estimate.join, MirrorTable.with_estimates)."""

from __future__ import annotations

import pandas as pd
import pytest

from migdata import InputError, MirrorTable, flows_from_stocks

S1 = pd.DataFrame({"birth": ["KEN", "UGA", "KEN", "UGA"], "residence": ["KEN", "UGA", "UGA", "KEN"],
                   "stock": [1000.0, 800.0, 0.0, 20.0]})  # fmt: skip
S2 = S1.assign(stock=[900.0, 800.0, 100.0, 20.0])
REPORTED = pd.DataFrame(
    {
        "Year": [2015, 2015],
        "Sending_iso2": ["KE", "RW"],
        "Receiving_iso2": ["UG", "UG"],
        "Emig": [70, 3],
        "Immi": [120, None],
    }
)


def test_estimates_enter_as_a_third_kind_of_source() -> None:
    """The estimate sits beside the reported sides, marked with its kind and method."""
    table = MirrorTable.from_eurostat(REPORTED).with_estimates(flows_from_stocks(S1, S2), 2015)
    assert len(table.data) == 2  # the reported table itself is unchanged
    est = table.estimates.set_index(["origin", "destination"])
    assert est.loc[("KEN", "UGA"), "estimate"] == pytest.approx(100)
    assert est.loc[("KEN", "UGA"), "method"] == "demographic (stayers, mid)"
    src = table.sources()
    ke_ug = src[(src.origin == "KEN") & (src.destination == "UGA")]
    assert ke_ug["kind"].tolist() == [
        "reported by origin", "reported by destination", "estimate from stocks"
    ]  # fmt: skip
    assert ke_ug["value"].tolist() == [70.0, 120.0, pytest.approx(100.0)]
    assert set(src["kind"]) == {"reported by origin", "reported by destination",
                                "estimate from stocks"}  # fmt: skip


def test_annual_average_and_replacement() -> None:
    """years= divides an intercensal estimate; a new estimate replaces the old for a cell."""
    table = MirrorTable.from_eurostat(REPORTED)
    est = flows_from_stocks(S1, S2)
    once = table.with_estimates(est, 2015, years=10)
    assert once.estimates["estimate"].max() == pytest.approx(10)
    twice = once.with_estimates(est, 2015)
    assert len(twice.estimates) == len(once.estimates)
    assert twice.estimates["estimate"].max() == pytest.approx(100)


def test_year_from_census_dates_or_asked() -> None:
    """Without year= the estimate is filed under the end date of census stocks, else refused."""
    with pytest.raises(InputError, match="year="):
        MirrorTable.from_eurostat(REPORTED).with_estimates(flows_from_stocks(S1, S2))


def test_only_countries_enter() -> None:
    """Regions that are not countries cannot enter the mirror table."""
    s1 = S1.replace({"KEN": "North", "UGA": "South"})
    s2 = S2.replace({"KEN": "North", "UGA": "South"})
    with pytest.raises(InputError, match="not a country"):
        MirrorTable.from_eurostat(REPORTED).with_estimates(flows_from_stocks(s1, s2), 2015)
