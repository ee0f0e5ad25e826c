"""Tests of migdata.countries.crosswalk: historical countries mapped to today's."""

from __future__ import annotations

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from migdata.countries import crosswalk, successions
from migdata.errors import ConfigurationError, InputError

SUN = successions().set_index("entity").loc["SUN", "successors"].split("|")


def test_renamed_countries_map_one_to_one() -> None:
    """Zaire, Burma, Upper Volta and the GDR map to today's code with provenance."""
    table = pd.DataFrame(
        {"country": ["Zaïre", "BUR", "Haute-Volta", "DDR", "Kenya"], "value": [1, 2, 3, 4, 5]}
    )
    out = crosswalk(table, "country", year=1985)
    assert out["country"].tolist() == ["COD", "MMR", "BFA", "DEU", "KEN"]
    assert out["country_before"].tolist() == ["ZAR", "BUR", "HVO", "DDR", "KEN"]
    assert out["crosswalk_note"].iloc[0].startswith("rename")
    assert out["crosswalk_note"].iloc[4] == ""
    assert out["value"].sum() == table["value"].sum()


@pytest.mark.parametrize(
    ("name", "year", "successors"),
    [
        ("Sudan", 2005, ["SDN", "SSD"]),
        ("Ethiopia", 1990, ["ERI", "ETH"]),
        ("Serbia and Montenegro", 2004, ["MNE", "SRB", "XKX"]),
        ("Netherlands Antilles", 2000, ["BES", "CUW", "SXM"]),
        ("Netherlands Antilles", 1980, ["ABW", "BES", "CUW", "SXM"]),
        ("Yugoslavia", 1985, ["BIH", "HRV", "MKD", "MNE", "SRB", "SVN", "XKX"]),
        ("Yugoslavia", 1995, ["MNE", "SRB", "XKX"]),
        ("USSR", 1989, SUN),
        ("Czechoslovakia", 1990, ["CZE", "SVK"]),
    ],
)
def test_splits_are_refused_without_weights(name: str, year: int, successors: list[str]) -> None:
    """A country that has since split is never split by guess: the rows are listed."""
    table = pd.DataFrame({"country": ["Kenya", name], "value": [1.0, 10.0]})
    with pytest.raises(InputError, match="split") as caught:
        crosswalk(table, "country", year=year)
    decisions = caught.value.decisions  # type: ignore[attr-defined]
    assert decisions["row"].tolist() == [1]
    assert decisions["successors"].iloc[0] == ", ".join(successors)


def test_sudan_after_2011_and_ethiopia_after_1993_are_unchanged() -> None:
    """The year decides: Sudan in 2015 is today's Sudan."""
    table = pd.DataFrame({"country": ["Sudan", "Ethiopia"], "year": [2015, 1999], "value": [7, 8]})
    out = crosswalk(table, "country", year="year")
    assert out["country"].tolist() == ["SDN", "ETH"]
    assert out["crosswalk_share"].tolist() == [1.0, 1.0]


def test_weights_apportion_and_record_the_split() -> None:
    """Caller weights split the value; shares and the note are recorded; totals kept."""
    table = pd.DataFrame({"country": ["Soudan", "Kenya"], "value": [100.0, 3.0]})
    weights = pd.DataFrame(
        {"entity": ["SDN", "SDN"], "successor": ["SDN", "SSD"], "weight": [0.8, 0.2]}
    )
    out = crosswalk(table, "country", year=2008, weights=weights)
    assert out["country"].tolist() == ["SDN", "SSD", "KEN"]
    assert out["value"].tolist() == pytest.approx([80.0, 20.0, 3.0])
    assert out["crosswalk_share"].tolist() == pytest.approx([0.8, 0.2, 1.0])
    assert "caller's weights" in out["crosswalk_note"].iloc[1]


def test_bad_weights_and_target_are_errors() -> None:
    """A successor that is not one, a negative weight and another target are refused."""
    table = pd.DataFrame({"country": ["USSR"], "value": [1.0]})
    with pytest.raises(InputError, match="not one of its successors"):
        crosswalk(table, "country", year=1990, weights={"SUN": {"POL": 1}})
    with pytest.raises(InputError, match="non-negative"):
        crosswalk(table, "country", year=1990, weights={"SUN": {"RUS": -1}})
    with pytest.raises(ConfigurationError, match="current"):
        crosswalk(table, "country", year=1990, to="1990")
    with pytest.raises(InputError, match="no column"):
        crosswalk(table, "pays", year=1990)


@settings(max_examples=40, deadline=None)
@given(
    values=st.lists(
        st.tuples(
            st.sampled_from(["USSR", "Sudan", "Zaire", "Kenya", "Narnia", "YUG", "CSK"]),
            st.integers(1980, 2020),
            st.floats(0, 1e6, allow_nan=False),
        ),
        min_size=1,
        max_size=20,
    ),
    shares=st.lists(st.floats(0.01, 10), min_size=15, max_size=15),
)
def test_totals_are_preserved(values: list[tuple[str, int, float]], shares: list[float]) -> None:
    """With weights for every split entity, the total and every row's total are kept."""
    table = pd.DataFrame(values, columns=["country", "year", "value"])
    s = successions()
    weights = {
        entity: dict(zip(successors.split("|"), shares, strict=False))
        for entity, successors in zip(s["entity"], s["successors"], strict=True)
        if entity in ("SUN", "SDN", "CSK")
    }
    # Yugoslavia has two periods; one weight table covers both (shares of absent
    # successors are dropped by the period's own list).
    weights["YUG"] = {c: 1.0 for c in ["BIH", "HRV", "MKD", "MNE", "SRB", "SVN", "XKX"]}
    out = crosswalk(table, "country", year="year", weights=weights)
    assert out["value"].sum() == pytest.approx(table["value"].sum(), rel=1e-9, abs=1e-6)
    assert (out["crosswalk_share"] > 0).all()
    per_row = out.groupby(["country_before", "year"], dropna=False)["value"].sum()
    assert per_row.sum() == pytest.approx(table["value"].sum(), rel=1e-9, abs=1e-6)
