"""Tests of migdata.sources.profile (SourceProfile) and migdata.sources.catalogue."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from migdata.errors import ConfigurationError, InputError
from migdata.sources import SourceProfile, coverage_matrix, read_profiles, source_type, source_types
from migdata.sources.profile import profile_codes, write_profiles


def _register(**kw: object) -> SourceProfile:
    base: dict[str, object] = {
        "source_id": "RWA-REG",
        "country": "RWA",
        "source_type": "population_register",
        "measures": ["IMM", "EMI"],
        "threshold_months": 6,
        "threshold_basis": "registration_rule",
    }
    base.update(kw)
    return SourceProfile(**base)  # type: ignore[arg-type]


def test_defaults_follow_the_contract() -> None:
    """A minimal profile has the contract's defaults."""
    p = SourceProfile(source_id="KEN-CEN-2019", country="KEN", source_type="census")
    assert p.statistical_unit == "person"
    assert p.residence_concept == "unknown"
    assert p.threshold_months is None and p.threshold_basis == "unknown"
    assert p.measures == [] and p.registration == {} and p.breaks == []


def test_values_are_normalised() -> None:
    """Codes are lower-cased, yes/no answers normalised, 'permanent' becomes 60 months."""
    p = _register(
        source_type="Population Register",
        measures=["imm", "EMI", "IMM"],
        threshold_months="permanent",
        threshold_basis="Registration-Rule",
        registration={"Obligation": "Yes", "time_limit": False},
        records_purpose="oui",
        coverage=["Nationals", "asylum seekers"],
    )
    assert p.source_type == "population_register"
    assert p.measures == ["IMM", "EMI"]
    assert p.threshold_months == 60.0
    assert p.threshold_basis == "registration_rule"
    assert p.registration == {"obligation": "yes", "time_limit": "no"}
    assert p.records_purpose is True
    assert p.coverage == ["nationals", "asylum_seekers"]


def test_country_name_is_resolved() -> None:
    """A country given by name is stored as ISO alpha-3."""
    assert _register(country="Rwanda").country == "RWA"


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("source_type", "tax_records"),
        ("measures", ["MIG"]),
        ("statistical_unit", "persons and things"),
        ("residence_concept", "nomadic"),
        ("threshold_months", -1),
        ("threshold_months", 72),
        ("threshold_months", "about a year"),
        ("threshold_foreigners", True),
        ("threshold_basis", "guess"),
        ("records_purpose", "perhaps"),
        ("registration", {"obligation": "maybe"}),
        ("deregistration", {"penalty": "yes"}),
        ("coverage", ["Hmm?!"]),
        ("valid_from", "twenty"),
        ("timeliness_months", -3),
        ("breaks", [{"description": "no year"}]),
        ("country", "Atlantis"),
        ("source_id", " "),
    ],
)
def test_bad_value_names_the_field(field: str, value: object) -> None:
    """Every unusable value raises InputError whose message and column name the field."""
    with pytest.raises(InputError) as info:
        _register(**{field: value})
    assert field in str(info.value)
    assert info.value.column is not None and info.value.column.startswith(field)


def test_valid_years_in_order() -> None:
    """valid_to before valid_from is refused."""
    with pytest.raises(InputError, match="valid_to"):
        _register(valid_from=2015, valid_to=2010)


def test_unknown_key_in_dict_is_refused() -> None:
    """from_dict refuses a misspelt field and names it."""
    with pytest.raises(InputError, match="treshold_months"):
        SourceProfile.from_dict(
            {"source_id": "X", "country": "RWA", "source_type": "census", "treshold_months": 1}
        )
    with pytest.raises(InputError, match="source_type"):
        SourceProfile.from_dict({"source_id": "X", "country": "RWA"})


def test_round_trips(tmp_path: Path) -> None:
    """A full profile survives dict, JSON and YAML round trips, in text and in files."""
    p = _register(
        name="Registre de la population",
        threshold_foreigners=3,
        registration={"obligation": "yes", "time_limit": "no", "sanctions": "unknown"},
        deregistration={"obligation": "no", "monitoring": "yes"},
        variables=["sex", "age", "citizenship"],
        breaks=[{"year": 2012, "description": "new software"}],
        valid_from=2010,
        valid_to=2020,
        timeliness_months=7.5,
        notes="Rwandan test ✓ — ساحل العاج",
    )
    assert SourceProfile.from_dict(p.to_dict()) == p
    assert SourceProfile.from_json(p.to_json()) == p
    assert SourceProfile.from_yaml(p.to_yaml()) == p
    p.to_yaml(tmp_path / "p.yaml")
    p.to_json(tmp_path / "p.json")
    assert SourceProfile.from_yaml(tmp_path / "p.yaml") == p
    assert SourceProfile.from_json(str(tmp_path / "p.json")) == p


def test_read_profiles_reports_position_and_duplicates(tmp_path: Path) -> None:
    """A list file names the bad profile's position; duplicate ids are refused."""
    good = _register().to_dict()
    bad = {**good, "source_id": "B", "threshold_basis": "?"}
    write_profiles([_register()], tmp_path / "ok.yaml")
    assert read_profiles(tmp_path / "ok.yaml")[0] == _register()
    import yaml

    (tmp_path / "bad.yaml").write_text(yaml.safe_dump([good, bad]))
    with pytest.raises(InputError, match=r"profile 2.*threshold_basis"):
        read_profiles(tmp_path / "bad.yaml")
    (tmp_path / "dup.yaml").write_text(yaml.safe_dump([good, good]))
    with pytest.raises(InputError, match="unique source_id"):
        read_profiles(tmp_path / "dup.yaml")
    (tmp_path / "broken.yaml").write_text("source_id: [unclosed")
    with pytest.raises(InputError, match="does not parse"):
        read_profiles(tmp_path / "broken.yaml")


def test_thresholds_per_group() -> None:
    """threshold_for falls back to threshold_months; thresholds_differ says when they differ."""
    p = _register(threshold_months=12, threshold_nationals=None, threshold_foreigners=3)
    assert p.threshold_for("nationals") == 12 and p.threshold_for("foreigners") == 3
    assert p.thresholds_differ
    assert not _register().thresholds_differ
    with pytest.raises(ConfigurationError):
        p.threshold_for("refugees")


def test_replace_revalidates() -> None:
    """replace returns a validated copy and leaves the original alone."""
    p = _register()
    with pytest.raises(InputError):
        p.replace(threshold_basis="nonsense")
    assert p.replace(threshold_months="12").threshold_months == 12.0
    assert p.threshold_months == 6.0


def test_html_summary_is_readable() -> None:
    """The notebook view shows the id, the type label and the threshold in words, escaped."""
    p = _register(threshold_foreigners=3, notes="<b>x</b>")
    html = p._repr_html_()
    assert "RWA-REG" in html and "Population register" in html
    assert "6 months" in html and "foreigners 3 months" in html
    assert "&lt;b&gt;x&lt;/b&gt;" in html


@given(
    threshold=st.one_of(st.none(), st.floats(0, 60)),
    basis=st.sampled_from(profile_codes()["threshold_basis"]),
    unit=st.sampled_from(profile_codes()["statistical_unit"]),
    measures=st.lists(st.sampled_from(profile_codes()["measures"]), unique=True),
)
def test_yaml_round_trip_property(
    threshold: float | None, basis: str, unit: str, measures: list[str]
) -> None:
    """Any valid profile reads back equal from its YAML and JSON."""
    p = _register(
        threshold_months=threshold, threshold_basis=basis, statistical_unit=unit, measures=measures
    )
    assert SourceProfile.from_yaml(p.to_yaml()) == p
    assert SourceProfile.from_json(p.to_json()) == p


def test_catalogue_has_the_mieux_matrix() -> None:
    """The published rows of the coverage matrix match DOMAIN.md section 3."""
    m = coverage_matrix(published_only=True)
    kinds = ["flows_in", "flows_out", "stock_in", "stock_out"]
    expected = {
        "census": ["+", "+/-", "+", "+/-"],
        "household_survey": ["+", "+/-", "+", "+/-"],
        "border_survey": ["+", "+", "-", "-"],
        "arrival_departure_cards": ["+", "+", "-", "-"],
        "population_register": ["+", "+", "+", "+/-"],
        "residence_permits": ["+", "+/-", "", ""],
        "foreigners_register": ["+", "+", "+", "-"],
        "consular_register": ["-", "-", "-", "+"],
    }
    assert set(m.index) == set(expected)
    for key, marks in expected.items():
        assert m.loc[key, kinds].tolist() == marks, key


def test_catalogue_covers_every_contract_type() -> None:
    """Every source type of the contract is in the catalogue, with a note where not MIEUX."""
    keys = {
        "census",
        "household_survey",
        "migration_survey",
        "border_survey",
        "arrival_departure_cards",
        "linked_entry_exit",
        "population_register",
        "foreigners_register",
        "residence_permits",
        "work_permits",
        "visas",
        "asylum_records",
        "consular_register",
    }
    t = source_types()
    assert set(t.index) == keys
    own = t[t["coverage_source"] != "MIEUX"]
    assert (own["coverage_note"].str.len() > 20).all()
    assert source_type("arrival_departure_cards").default_unit == "crossing"
    with pytest.raises(ConfigurationError, match="census"):
        source_type("tax")
