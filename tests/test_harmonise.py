"""Tests of migdata.sources.harmonise: national tables to the harmonised table."""

from __future__ import annotations

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from migdata.errors import ConfigurationError, InputError
from migdata.harmonised import HARMONISED_COLUMNS, harmonised_schema
from migdata.sources import SourceProfile
from migdata.sources.harmonise import harmonise


def _profile(**kw: object) -> SourceProfile:
    base: dict[str, object] = {
        "source_id": "RWA-REG",
        "country": "RWA",
        "source_type": "population_register",
        "measures": ["IMM"],
        "threshold_months": 6,
        "threshold_basis": "registration_rule",
    }
    base.update(kw)
    return SourceProfile(**base)  # type: ignore[arg-type]


def _table() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "year": [2015, "2015", 2016, 2016, "20x5", 2016, 2016, 2016, 2016, 2016],
            "country": [
                "Ouganda",
                "KEN",
                "Tanzania",
                "Atlantis",
                "KEN",
                "total",
                "other",
                "BDI",
                "BDI",
                "KEN",
            ],
            "sex": ["Femme", "M", "male", "F", "F", "total", "F", "homme", "homme", "X"],
            "age": [
                "15-19",
                "65+",
                "Total",
                "total",
                "total",
                "total",
                "20-24",
                "total",
                "total",
                "total",
            ],
            "value": ["1 000", 200, "abc", 5, 7, 9000, 10, 30, 30, -4],
        }
    )


def test_every_row_is_used_or_rejected() -> None:
    """rows in = rows used + rows rejected, and each rejection names column and value."""
    h = harmonise(_table(), _profile(), "UN1998")
    assert len(h.table) + len(h.rejected) == h.rows_in == 10
    reasons = dict(zip(h.rejected["row"].tolist(), h.rejected["reason"], strict=True))
    assert reasons[2] == "column 'value': expected a count, got 'abc'"
    assert reasons[3] == "column 'country': expected a country name or code, got 'Atlantis'"
    assert reasons[4] == "column 'year': expected a year such as 2015, got '20x5'"
    assert reasons[8] == "duplicate of row 7 (same cell, same count)"
    assert "column 'sex'" in reasons[9] and "column 'value'" in reasons[9]
    assert set(h.rejected.columns) >= {"year", "country", "value", "row", "reason"}
    assert h.cleaned == {"value": 1}


def test_labels_are_mapped() -> None:
    """Countries, sexes, ages and special areas come out in harmonised codes."""
    t = harmonise(_table(), _profile(), "UN1998").table
    got = set(zip(t["counterpart_area"], t["sex"], t["age"], strict=True))
    assert {("UGA", "F", "Y15T19"), ("KEN", "M", "Y_GE65"), ("_T", "_T", "_T")} <= got
    assert ("_O", "F", "Y20T24") in got


def test_harmonised_columns_and_schema() -> None:
    """The output has the harmonised columns, passes the schema and sets every row's facts."""
    h = harmonise(_table(), _profile(), "UN1998")
    assert list(h.table.columns) == list(HARMONISED_COLUMNS)
    harmonised_schema().validate(h.table)
    assert (h.table["target"] == "UN1998").all()
    assert (h.table["source_id"] == "RWA-REG").all()
    assert (h.table["ref_area"] == "RWA").all() and (h.table["measure"] == "IMM").all()
    assert h.table["provenance"].str.contains("RWA-REG").all()


def test_approximate_is_duration_corrected() -> None:
    """An approximate 6-month source is multiplied by R(6) = 0.73 and marked estimated."""
    t = harmonise(_table(), _profile(), "UN1998").table
    assert (t["adjustment"] == 0.73).all()
    assert t["obs_value"].sum() == pytest.approx(0.73 * t["reported_value"].sum())
    assert (t["obs_status"] == "E").all()
    assert t["provenance"].str.contains("R\\(6 months\\)/R\\(12 months\\)").all()


def test_match_and_proxy_are_not_corrected() -> None:
    """A proxy (12-month registration rule vs UN 1998) keeps adjustment 1."""
    h = harmonise(_table(), _profile(threshold_months=12), "UN1998")
    assert h.compliance.cls == "PROXY"
    assert (h.table["adjustment"] == 1.0).all() and (h.table["obs_status"] == "A").all()
    h2 = harmonise(_table(), _profile(), "UN1998", correct=False)
    assert (h2.table["adjustment"] == 1.0).all()


def test_groups_use_their_own_threshold() -> None:
    """Nationals rows use the nationals' threshold; foreign countries the foreigners'."""
    p = _profile(threshold_months=12, threshold_foreigners=3, threshold_basis="observed")
    raw = pd.DataFrame({"year": [2016] * 3, "country": ["RWA", "KEN", "total"], "value": [10] * 3})
    t = harmonise(raw, p, "UN1998").table.set_index("counterpart_area")
    assert t.loc["RWA", "compliance"] == "MATCH" and t.loc["RWA", "adjustment"] == 1.0
    assert t.loc["KEN", "compliance"] == "OVER_INCLUSIVE" and t.loc["KEN", "adjustment"] == 0.63
    assert t.loc["_T", "adjustment"] == 0.63  # totals take the worse group


def test_conflicting_duplicates_rejected_both() -> None:
    """The same cell with two different counts is rejected in both rows."""
    raw = pd.DataFrame(
        {"year": [2016, 2016, 2016], "country": ["KEN", "Kenya", "UGA"], "value": [1, 2, 3]}
    )
    h = harmonise(raw, _profile(), "UN1998")
    assert h.rejected["row"].tolist() == [0, 1]
    assert h.rejected["reason"].str.contains("different counts").all()


def test_profile_validity_and_own_previous_residence() -> None:
    """Years outside the profile's validity and immigrants from the own country are rejected."""
    raw = pd.DataFrame(
        {"year": [2009, 2016, 2016], "country": ["KEN", "RWA", "UGA"], "value": [1, 2, 3]}
    )
    h = harmonise(raw, _profile(valid_from=2010), "UN1998", counterpart_type="PREV_RES")
    assert h.rejected["row"].tolist() == [0, 1]
    assert "describes 2010" in h.rejected["reason"].iloc[0]
    assert "not a migration" in h.rejected["reason"].iloc[1]


def test_missing_column_and_bad_options() -> None:
    """A missing required column names itself; unknown measure or counterpart type refused."""
    with pytest.raises(InputError, match="'value'"):
        harmonise(pd.DataFrame({"year": [2015], "country": ["KEN"]}), _profile(), "UN1998")
    raw = pd.DataFrame({"year": [2015], "country": ["KEN"], "value": [1]})
    with pytest.raises(ConfigurationError):
        harmonise(raw, _profile(), "UN1998", measure="VISA")
    with pytest.raises(ConfigurationError):
        harmonise(raw, _profile(), "UN1998", counterpart_type="TRIBE")
    with pytest.raises(ConfigurationError, match="measure="):
        harmonise(raw, _profile(measures=["IMM", "EMI"]), "UN1998")


def test_html_summary() -> None:
    """The notebook view gives counts, the class and the main rejection reasons."""
    text = harmonise(_table(), _profile(), "UN1998")._repr_html_()
    assert "rejected of 10" in text and "APPROXIMATE" in text
    assert "expected a count" in text


def test_real_eurostat_immigration_table(shared_data: type) -> None:
    """Spain's 2015 immigration by previous residence harmonises; Italy gives 17,350."""
    path = shared_data.path("eurostat_mirror_flows_2010_2019.csv")
    raw = pd.read_csv(path)
    spain = raw[(raw["Receiving_iso3"] == "ESP") & (raw["Year"] == 2015) & (raw["SEX"] == "Total")]
    # Partner names as Eurostat spells them in English (Czechia, Germany ...).
    table = spain.rename(columns={"Year": "year", "Sending": "country", "Immi": "value"})[
        ["year", "country", "value"]
    ]
    p = _profile(
        country="ESP",
        source_type="population_register",
        threshold_months=12,
        threshold_basis="registration_rule",
    )
    h = harmonise(table, p, "EU862", counterpart_type="PREV_RES")
    assert len(h.table) + len(h.rejected) == len(table)
    ita = h.table[h.table["counterpart_area"] == "ITA"]
    assert ita["obs_value"].item() == 17350
    assert h.compliance.cls == "MATCH"
    # Missing counts (pairs Spain did not report) are rejected, never dropped silently.
    assert (h.rejected["reason"].str.contains("expected a count")).all()


@settings(max_examples=25)
@given(
    values=st.lists(
        st.one_of(st.integers(-5, 10_000), st.sampled_from(["x", "", "1 200", None])),
        min_size=1,
        max_size=30,
    ),
    countries=st.lists(
        st.sampled_from(["KEN", "Uganda", "Atlantis", "total", "BDI"]), min_size=30, max_size=30
    ),
)
def test_rows_conserved_property(values: list[object], countries: list[str]) -> None:
    """For any input, used + rejected = rows in, and the reported total of used rows is kept."""
    raw = pd.DataFrame(
        {
            "year": 2016,
            "country": countries[: len(values)],
            "value": pd.Series(values, dtype=object),
        }
    )
    h = harmonise(raw, _profile(threshold_basis="observed", threshold_months=12), "UN1998")
    assert len(h.table) + len(h.rejected) == len(raw)
    assert h.table["obs_value"].sum() == pytest.approx(h.table["reported_value"].sum())
    assert set(h.rejected["row"]).isdisjoint(set()) and h.rejected["row"].is_unique
