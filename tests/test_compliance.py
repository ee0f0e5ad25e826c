"""Tests of migdata.sources.compliance: classes, flags and reasons against target definitions."""

from __future__ import annotations

import numpy as np
import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from migdata._resources import data_path
from migdata.errors import ConfigurationError, InputError
from migdata.sources import SourceProfile
from migdata.sources.compliance import (
    DEREGISTRATION_KEYS,
    REGISTRATION_KEYS,
    Compliance,
    ComplianceClass,
    compliance,
    compliance_table,
    emigration_undercount,
    immigration_undercount,
    register_undercount,
    register_weights,
    target_facts,
    yes_no,
)

TARGETS = ["UN1998", "UN2021_12M", "UN2021_6M1D", "EU862"]
BASES = ["intended", "observed", "permit_validity", "registration_rule", "unknown"]


def _profile(**kw: object) -> SourceProfile:
    base: dict[str, object] = {
        "source_id": "S",
        "country": "RWA",
        "source_type": "population_register",
        "threshold_basis": "observed",
    }
    base.update(kw)
    return SourceProfile(**base)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("months", "expected"),
    [
        (None, "UNDETERMINED"),
        (0, "OVER_INCLUSIVE"),
        (3, "OVER_INCLUSIVE"),
        (5.9, "OVER_INCLUSIVE"),
        (6, "APPROXIMATE"),
        (11, "APPROXIMATE"),
        (12, "MATCH"),
        (24, "UNDER_INCLUSIVE"),
        ("permanent", "UNDER_INCLUSIVE"),
    ],
)
def test_domain_rules_against_twelve_months(months: object, expected: str) -> None:
    """The classes of DOMAIN.md section 3 for an observed threshold against UN 1998."""
    assert compliance(_profile(threshold_months=months), "UN1998").cls == expected


@pytest.mark.parametrize(
    ("months", "expected"),
    [(6, "MATCH"), (3, "APPROXIMATE"), (2, "OVER_INCLUSIVE"), (12, "UNDER_INCLUSIVE")],
)
def test_six_months_and_one_day_target(months: float, expected: str) -> None:
    """Against UN 2021 six months and one day, a 6-month rule matches and 12 months is under."""
    assert compliance(_profile(threshold_months=months), "UN2021_6M1D").cls == expected


@pytest.mark.parametrize(
    ("basis", "target", "expected"),
    [
        ("registration_rule", "EU862", "MATCH"),
        ("registration_rule", "UN1998", "PROXY"),
        ("registration_rule", "UN2021_12M", "PROXY"),
        ("permit_validity", "EU862", "MATCH"),
        ("permit_validity", "UN1998", "PROXY"),
        ("intended", "EU862", "MATCH"),
        ("intended", "UN2021_12M", "MATCH"),
        ("intended", "UN1998", "MATCH"),
        ("observed", "UN1998", "MATCH"),
    ],
)
def test_basis_decides_match_or_proxy(basis: str, target: str, expected: str) -> None:
    """At the target threshold the basis decides MATCH or PROXY; EU 862 accepts registration."""
    p = _profile(threshold_months=12, threshold_basis=basis)
    assert compliance(p, target).cls == expected


@pytest.mark.parametrize("target", TARGETS)
def test_intended_follows_the_standard(target: str) -> None:
    """An intended 12-month threshold is MATCH exactly when the standard accepts intentions."""
    facts = target_facts(target)
    p = _profile(threshold_months=facts.threshold_months, threshold_basis="intended")
    expected = "MATCH" if facts.accepts_intended else "PROXY"
    assert compliance(p, target).cls == expected


def test_unknown_basis_is_flagged_not_downgraded() -> None:
    """An unknown basis at the right threshold still matches, with the basis_unknown flag."""
    c = compliance(_profile(threshold_months=12, threshold_basis="unknown"), "UN1998")
    assert c.cls == "MATCH" and "basis_unknown" in c.flags


def test_groups_differ_gives_worse_class_and_flag() -> None:
    """Different thresholds for nationals and foreigners: per-group classes, the worse wins."""
    p = _profile(threshold_months=12, threshold_foreigners=3)
    c = compliance(p, "UN1998")
    assert c.groups == {"nationals": "MATCH", "foreigners": "OVER_INCLUSIVE"}
    assert c.cls == "OVER_INCLUSIVE" and c.threshold_months == 3
    assert "nationals_foreigners_differ" in c.flags
    assert "nationals 12 months, foreigners 3 months" in c.reason


def test_over_against_under_picks_further_threshold() -> None:
    """Between over- and under-inclusive groups the threshold further from the target wins."""
    p = _profile(threshold_nationals=60, threshold_foreigners=3)
    c = compliance(p, "UN1998")
    assert c.cls == "UNDER_INCLUSIVE" and c.threshold_months == 60


def test_emigration_undercount_flag_and_reason() -> None:
    """A register without enforced deregistration flags emigration undercount for EMI only."""
    p = _profile(
        threshold_months=6,
        threshold_basis="registration_rule",
        deregistration={"obligation": "no", "administrative_corrections": "no"},
    )
    emi = compliance(p, "UN1998", measure="EMI")
    assert emi.cls == "APPROXIMATE"
    assert {"emigration_undercount", "administrative_basis"} <= set(emi.flags)
    assert emi.reason.startswith(
        "Population register of Rwanda counts emigrants registered for 6 months or more "
        "(registration rule) against the UN 1998 12-month definition: approximate"
    )
    assert "emigration is undercounted" in emi.reason and emi.reason.endswith(".")
    imm = compliance(p, "UN1998", measure="IMM")
    assert "emigration_undercount" not in imm.flags


def test_quantmig_subscores() -> None:
    """The register sub-scores follow the QuantMig formulas, unknown answers left out."""
    p = _profile(
        registration={"obligation": "no", "time_limit": "no", "sanctions": "no"},
        deregistration={
            "obligation": "yes",
            "obligation_third_country": "no",
            "monitoring": "unknown",
            "administrative_corrections": "yes",
        },
    )
    scores = register_undercount(p)
    assert scores["immigration"] == 1.0  # 1 + 0.5 + 0.5 capped at 1
    assert scores["emigration"] == pytest.approx(1 - 0.8 / 0.9)
    assert register_undercount(_profile()) == {"immigration": None, "emigration": None}


def test_partial_coverage_from_matrix_and_profile() -> None:
    """Conditional coverage in the matrix and an incomplete profile both flag partial coverage."""
    census = _profile(source_type="census", threshold_months=12)
    assert "partial_coverage" in compliance(census, "UN1998", measure="EMI").flags
    assert "partial_coverage" not in compliance(census, "UN1998", measure="IMM").flags
    incomplete = census.replace(coverage_complete=False, coverage=["nationals"])
    c = compliance(incomplete, "UN1998", measure="IMM")
    assert "partial_coverage" in c.flags and "covered: nationals" in c.reason


def test_measure_not_covered_is_undetermined() -> None:
    """A consular register asked for immigration flows is undetermined, saying why."""
    p = _profile(source_type="consular_register", threshold_months=12)
    c = compliance(p, "UN1998", measure="IMM")
    assert c.cls == "UNDETERMINED" and "measure_not_covered" in c.flags
    assert "does not cover flows in" in c.reason


def test_crossings_and_documents_flag_unit() -> None:
    """Cards count crossings and permits count documents: the unit is flagged."""
    cards = _profile(
        source_type="arrival_departure_cards", statistical_unit="crossing", threshold_months=12
    )
    assert "not_persons" in compliance(cards, "EU862").flags


def test_class_strings_accepted() -> None:
    """ComplianceClass accepts plain strings in any case; Compliance converts them."""
    assert ComplianceClass("over-inclusive") is ComplianceClass.OVER_INCLUSIVE
    c = Compliance(cls="match", flags=("b", "a", "a"))  # type: ignore[arg-type]
    assert c.cls is ComplianceClass.MATCH and c.flags == ("a", "b")
    with pytest.raises(ValueError):
        ComplianceClass("nearly")


def test_bad_target_and_measure() -> None:
    """Unknown targets and measures raise ConfigurationError listing the choices."""
    with pytest.raises(ConfigurationError, match="UN1998"):
        compliance(_profile(threshold_months=12), "UN1990")
    with pytest.raises(ConfigurationError, match="IMM"):
        compliance(_profile(threshold_months=12), "UN1998", measure="FLOW")
    assert target_facts("un2021-12m").threshold_months == 12


def test_table_and_html() -> None:
    """compliance_table gives one row per source and target; the HTML shows the class."""
    table = compliance_table([_profile(threshold_months=12), _profile(source_id="T")])
    assert len(table) == 8 and set(table["target"]) == set(TARGETS)
    assert "MATCH" in compliance(_profile(threshold_months=12), "UN1998")._repr_html_()


@given(
    t1=st.floats(0, 60),
    t2=st.floats(0, 60),
    target=st.sampled_from(TARGETS),
    basis=st.sampled_from(BASES),
)
def test_class_monotone_in_threshold(t1: float, t2: float, target: str, basis: str) -> None:
    """A longer threshold never gives a more inclusive class (over < approx < match < under)."""
    low, high = sorted((t1, t2))
    a = compliance(_profile(threshold_months=low, threshold_basis=basis), target).cls
    b = compliance(_profile(threshold_months=high, threshold_basis=basis), target).cls
    assert a.inclusiveness is not None and b.inclusiveness is not None
    assert a.inclusiveness <= b.inclusiveness


@given(
    tn=st.one_of(st.none(), st.floats(0, 60)),
    tf=st.one_of(st.none(), st.floats(0, 60)),
    target=st.sampled_from(TARGETS),
)
def test_overall_class_is_worst_group(tn: float | None, tf: float | None, target: str) -> None:
    """With group thresholds the overall class is at least as severe as each group's."""
    p = _profile(threshold_months=12, threshold_nationals=tn, threshold_foreigners=tf)
    c = compliance(p, target)
    for group in ("nationals", "foreigners"):
        alone = compliance(_profile(threshold_months=p.threshold_for(group)), target)
        assert c.cls.severity >= alone.cls.severity


_ANSWER = st.sampled_from(["yes", "no", "unknown"])


@given(st.tuples(_ANSWER, _ANSWER, _ANSWER), st.tuples(_ANSWER, _ANSWER, _ANSWER, _ANSWER))
def test_profile_scores_are_the_vectorised_formula(reg: tuple, dereg: tuple) -> None:
    """register_undercount of a profile is u_I / u_E of its rules (None where they give NaN)."""
    p = _profile(
        registration=dict(zip(REGISTRATION_KEYS, reg, strict=True)),
        deregistration=dict(zip(DEREGISTRATION_KEYS, dereg, strict=True)),
    )
    scores = register_undercount(p)
    for got, expected in (
        (scores["immigration"], immigration_undercount(*reg)),
        (scores["emigration"], emigration_undercount(*dereg)),
    ):
        assert (got is None and np.isnan(expected)) or got == expected
    # A batch of sources gives the same numbers as one source at a time.
    batch = emigration_undercount(*([a, a] for a in dereg))
    assert np.array_equal(batch, [emigration_undercount(*dereg)] * 2, equal_nan=True)


def test_weights_file_matches_formula_and_profile_keys() -> None:
    """The weights data hold DOMAIN.md's 1/0.5/0.5 and 0.5/0.1/0.1/0.3 on the profile's keys."""
    w = register_weights().set_index(["side", "key"])["weight"]
    assert [w[("I", k)] for k in REGISTRATION_KEYS] == [1.0, 0.5, 0.5]
    assert [w[("E", k)] for k in DEREGISTRATION_KEYS] == [0.5, 0.1, 0.1, 0.3]
    codes = yaml.safe_load(data_path("sources", "profile_codes.yaml").read_text("utf-8"))
    assert tuple(codes["registration_keys"]) == REGISTRATION_KEYS
    assert tuple(codes["deregistration_keys"]) == DEREGISTRATION_KEYS


def test_multilingual_answers_and_length_mismatch() -> None:
    """Answers in fr/pt/ar and booleans count; array facts of different lengths are refused."""
    assert yes_no(["Non", "não", "نعم", False, "", None]).tolist() == [
        "no",
        "no",
        "yes",
        "no",
        "unknown",
        "unknown",
    ]
    assert immigration_undercount("Non", "sim", "لا") == 1.0
    with pytest.raises(InputError, match=r"deregistration\.obligation.*expected 3 answers.*got 2"):
        emigration_undercount(["yes", "no"], "yes", ["no", "no", "yes"])


def test_docstring_agrees_with_the_data_on_intended_duration() -> None:
    """The compliance() rules say what definitions.yaml says: UN 1998 accepts intended duration
    and not registration rules."""
    doc = " ".join(compliance.__doc__.split())
    assert "UN 1998 accepts neither" not in doc
    assert "UN 2021 targets and UN 1998 accept intended duration" in doc
    facts = target_facts("UN1998")
    assert facts.accepts_intended and not facts.accepts_registration
