"""Tests of migdata.standards: targets, short-term threshold, purposes, admission categories."""

from __future__ import annotations

import dataclasses

import pytest
from hypothesis import given
from hypothesis import strategies as st

from migdata.errors import ConfigurationError
from migdata.harmonised import TARGETS
from migdata.standards import (
    EXCLUDED_PURPOSES,
    SHORT_TERM_MONTHS,
    Target,
    TargetDefinition,
    admission_categories,
    excluded_purposes,
    target,
    targets,
)


def test_targets_match_the_harmonised_code_list() -> None:
    """The targets defined here are exactly the harmonised table's TARGETS, in order."""
    assert tuple(m.value for m in Target) == TARGETS
    assert tuple(targets()["name"]) == TARGETS


def test_threshold_and_residence_rules() -> None:
    """Every target uses 12 months; only UN2021_6M1D adds the six-months-and-one-day rule."""
    for name in TARGETS:
        t = target(name)
        assert t.threshold_months == 12.0
        assert t.short_term_months == 3.0
        assert t.alternative_months == (6.0 if name == "UN2021_6M1D" else None)


def test_eu862_accepts_intended_duration_and_registration() -> None:
    """EU 862/2007 Art. 2: intended duration counts and registration is a proxy; UN does not
    accept registration as such."""
    eu = target("EU862")
    assert eu.accepts_intended and eu.accepts_registration
    assert not target("UN1998").accepts_registration
    assert "862/2007" in eu.source


def test_target_definition_is_frozen_with_sources() -> None:
    """A TargetDefinition is immutable and every one names its source."""
    t = target(Target.UN1998)
    assert isinstance(t, TargetDefinition)
    with pytest.raises(dataclasses.FrozenInstanceError):
        t.threshold_months = 6  # type: ignore[misc]
    assert all(len(s) > 30 for s in targets()["source"])
    assert "<table>" in t._repr_html_()


@given(
    st.sampled_from(list(Target)),
    st.sampled_from(["lower", "upper", "dash", "space", "enum"]),
)
def test_target_names_accepted_in_any_spelling(member: Target, how: str) -> None:
    """Target names are accepted case-insensitively, with - or spaces for _, or as Enum."""
    text = {
        "lower": member.value.lower(),
        "upper": member.value.upper(),
        "dash": member.value.replace("_", "-"),
        "space": member.value.replace("_", " "),
        "enum": member,
    }[how]
    assert target(text).name is member


def test_unknown_target_lists_choices() -> None:
    """An unknown target is a configuration error naming the valid ones."""
    with pytest.raises(ConfigurationError, match="UN2021_12M"):
        target("UN2030")


def test_short_term_and_excluded_purposes() -> None:
    """The 3-month threshold and the six UN 1998 purposes, labelled in four languages."""
    assert SHORT_TERM_MONTHS == 3.0
    assert EXCLUDED_PURPOSES == (
        "RECREATION",
        "HOLIDAY",
        "VISIT",
        "BUSINESS",
        "MEDICAL",
        "PILGRIMAGE",
    )
    frame = excluded_purposes()
    assert frame["code"].tolist() == list(EXCLUDED_PURPOSES)
    for column in ["label_en", "label_fr", "label_pt", "label_ar"]:
        assert frame[column].str.len().gt(0).all(), column


def test_admission_categories_structure() -> None:
    """Admission categories: unique codes, parents that exist, non-migrants flagged."""
    cats = admission_categories()
    assert cats["code"].is_unique
    parents = set(cats["parent"].dropna())
    assert parents <= set(cats["code"])
    assert {
        "EDU",
        "TRAIN",
        "WORK_SEASONAL",
        "FAM",
        "SETTLE",
        "FREE_MOV",
        "ASY",
        "REF",
        "HUM",
        "RET",
        "NONMIG",
    } <= set(cats["code"])
    nonmig = cats[cats["code"].str.startswith("NONMIG")]
    assert not nonmig["migrant"].any()
    assert cats.loc[~cats["code"].str.startswith("NONMIG"), "migrant"].all()
    # a member's migrant flag agrees with its group's
    flags = cats.set_index("code")["migrant"]
    for code, parent in cats.dropna(subset=["parent"])[["code", "parent"]].itertuples(index=False):
        assert flags[code] == flags[parent], code
    assert set(cats["eurostat_reason"].dropna()) <= {"EDUC", "REMUN", "FAM", "OTH"}
    assert cats["source"].str.contains("1998").all()
