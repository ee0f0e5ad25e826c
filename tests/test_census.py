"""Tests of migdata.sources.census: stocks and recent immigrants from microdata."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from migdata.errors import InputError
from migdata.harmonised import harmonised_schema
from migdata.sources import SourceProfile
from migdata.sources.census import census_stocks

PROFILE = SourceProfile(
    source_id="RWA-CEN-2022",
    country="RWA",
    source_type="census",
    threshold_months=12,
    threshold_basis="observed",
)


def _people() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "country_of_birth": ["RWA", "Kenya", "Ouganda", "RWA", "Atlantis", "COD"],
            "citizenship": ["RWA", "KEN", "RWA", "RWA", "KEN", "Congo, Democratic Republic"],
            "sex": ["F", "M", "homme", "femme", "F", "x"],
            "age": [34, 27, 61, "15-19", None, 70],
            "weight": [100.0, 50.0, 25.0, 80.0, 10.0, "-1"],
            "arrived": [None, 2020, 2011, None, 2022, 2019],
            "res1": ["RWA", "KEN", "RWA", "RWA", "Kenya", "COD"],
            "res5": ["RWA", "KEN", "RWA", "UGA", "Kenya", "COD"],
        }
    )


def test_totals_equal_sum_of_weights() -> None:
    """Stocks by birth and by citizenship both total the weights of the counted persons."""
    c = census_stocks(_people(), PROFILE, 2022, weight_column="weight")
    harmonised_schema().validate(c.stocks)
    totals = c.stocks[
        (c.stocks.counterpart_area == "_T") & (c.stocks.sex == "_T") & (c.stocks.age == "_T")
    ]
    assert totals.set_index("counterpart_type")["obs_value"].to_dict() == {
        "BIRTH": 265.0,
        "CITIZENSHIP": 265.0,
    }
    assert c.rows_in == c.counted + len(c.excluded) + len(c.rejected)
    assert (
        c.rejected["reason"].item() == "column 'weight': expected a weight of 0 or more, got '-1'"
    )


def test_unresolved_spellings_are_unknown_and_listed() -> None:
    """An unresolved birthplace counts as _U and its spelling is reported."""
    c = census_stocks(_people(), PROFILE, 2022, weight_column="weight")
    birth = c.stocks[(c.stocks.counterpart_type == "BIRTH") & (c.stocks.sex == "_T")]
    assert birth.set_index(["counterpart_area", "age"]).loc[("_U", "_T"), "obs_value"] == 10.0
    assert c.unresolved.to_dict("records") == [
        {"column": "country_of_birth", "spelling": "Atlantis", "rows": 1}
    ]


def test_age_and_sex_bands() -> None:
    """Exact ages become five-year bands, labels are read, missing age is _U."""
    c = census_stocks(_people(), PROFILE, 2022, weight_column="weight")
    cit = c.stocks[
        (c.stocks.counterpart_type == "CITIZENSHIP") & (c.stocks.counterpart_area == "_T")
    ]
    got = cit[cit.sex != "_T"].set_index(["sex", "age"])["obs_value"].to_dict()
    assert got[("F", "Y30T34")] == 100.0
    assert got[("F", "Y15T19")] == 80.0
    assert got[("M", "Y60T64")] == 25.0 and got[("M", "Y25T29")] == 50.0
    assert got[("F", "_U")] == 10.0


def test_arrival_periods_and_recent_immigrants() -> None:
    """Foreign-born by period of arrival; recent immigrants by residence 1 and 5 years before."""
    c = census_stocks(
        _people(),
        PROFILE,
        2022,
        weight_column="weight",
        arrival_column="arrived",
        residence_1y_column="res1",
        residence_5y_column="res5",
    )
    periods = c.by_arrival.set_index(["counterpart_area", "arrival_period"])["obs_value"]
    assert periods[("KEN", "2018-2022")] == 50.0
    assert periods[("UGA", "2008-2012")] == 25.0
    one = c.recent[(c.recent.window == 1) & (c.recent.sex == "_T") & (c.recent.age == "_T")]
    assert one.set_index("counterpart_area")["obs_value"].to_dict() == {"KEN": 60.0, "_T": 60.0}
    five = c.recent[(c.recent.window == 5) & (c.recent.counterpart_area == "_T")]
    assert five[(five.sex == "_T") & (five.age == "_T")]["obs_value"].item() == 140.0
    harmonised_schema().validate(c.immigrants)
    assert set(c.immigrants["measure"]) == {"IMM"}


def test_residence_rule_excludes_short_stays() -> None:
    """Persons present less than the rule who do not intend to stay are excluded and counted."""
    people = pd.DataFrame(
        {
            "country_of_birth": ["KEN"] * 5,
            "citizenship": ["KEN"] * 5,
            "present": [3, 3, 3, 20, None],
            "stay": ["non", "oui", "24 mois", "no", None],
        }
    )
    c = census_stocks(
        people,
        PROFILE,
        2022,
        sex_column=None,
        age_column=None,
        months_present_column="present",
        intends_to_stay_column="stay",
    )
    assert c.excluded["row"].tolist() == [0]
    assert c.counted == 4
    six = census_stocks(
        people,
        PROFILE,
        2022,
        sex_column=None,
        age_column=None,
        months_present_column="present",
        intends_to_stay_column="stay",
        rule_months=2,
    )
    assert six.counted == 5  # every stay passes a 2-month rule
    assert six.stocks["compliance"].iloc[0] == "OVER_INCLUSIVE"


def test_missing_column_named() -> None:
    """A missing birth column is an InputError naming it."""
    with pytest.raises(InputError, match="country_of_birth"):
        census_stocks(pd.DataFrame({"citizenship": ["KEN"]}), PROFILE, 2022)


@settings(max_examples=15)
@given(
    weights=st.lists(st.floats(0, 1000, allow_nan=False), min_size=1, max_size=40),
    seed=st.integers(0, 10_000),
)
def test_weighted_total_property(weights: list[float], seed: int) -> None:
    """Weighted totals equal the sum of weights; rows in = counted + excluded + rejected."""
    rng = np.random.default_rng(seed)
    n = len(weights)
    people = pd.DataFrame(
        {
            "country_of_birth": rng.choice(["RWA", "KEN", "Uganda", "??"], n),
            "citizenship": rng.choice(["RWA", "KEN"], n),
            "sex": rng.choice(["M", "F", "femme"], n),
            "age": rng.integers(0, 90, n),
            "w": weights,
            "present": rng.choice([1.0, 24.0], n),
            "stay": rng.choice(["yes", "no"], n),
        }
    )
    c = census_stocks(
        people,
        PROFILE,
        2022,
        weight_column="w",
        months_present_column="present",
        intends_to_stay_column="stay",
    )
    assert c.rows_in == c.counted + len(c.excluded) + len(c.rejected)
    kept = ~((people.present < 12) & (people.stay == "no"))
    for ctype in ("BIRTH", "CITIZENSHIP"):
        s = c.stocks[c.stocks.counterpart_type == ctype]
        grand = s[(s.counterpart_area == "_T") & (s.sex == "_T") & (s.age == "_T")]
        expected = people.w[kept].sum()
        assert (grand["obs_value"].sum() if len(grand) else 0.0) == pytest.approx(expected)
        by_country = s[(s.counterpart_area != "_T") & (s.sex == "_T") & (s.age == "_T")]
        assert by_country["obs_value"].sum() == pytest.approx(expected)
