"""Tests of the QuantMig register undercount sub-scores (migdata.quality.undercount)."""

from __future__ import annotations

import importlib
import io

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from migdata.errors import InputError
from migdata.quality import undercount
from migdata.quality.undercount import (
    emigration_undercount,
    immigration_undercount,
    read_register_rules,
    undercount_class,
    undercount_from_answers,
    undercount_from_profiles,
)
from migdata.sources.profile import SourceProfile


@pytest.fixture
def rules(shared_data: type) -> pd.DataFrame:
    """The real QuantMig rules of 32 European countries, scored."""
    return read_register_rules(
        shared_data.path("registration_rules.csv"), shared_data.path("deregistration_rules.csv")
    ).set_index("iso2")


def test_real_files_emigration_scores_by_hand(rules: pd.DataFrame) -> None:
    """u_E of a few countries from the real file equals the hand computation."""
    # AT: obligation yes (.5), 3rd-country yes (.1), monitoring no (.1), corrections unknown
    assert rules.loc["AT", "u_E"] == pytest.approx(1 - 0.6 / 0.7)
    # BE: no, yes, yes, yes -> 1 - 0.5 / 1.0
    assert rules.loc["BE", "u_E"] == pytest.approx(0.5)
    # DE: yes, no, no, yes -> 1 - 0.8
    assert rules.loc["DE", "u_E"] == pytest.approx(0.2)
    # BG: no, no, yes, unknown -> 1 - 0.1 / 0.7
    assert rules.loc["BG", "u_E"] == pytest.approx(1 - 0.1 / 0.7)
    assert rules.loc["FI", "u_E"] == 0.0 and rules.loc["FR", "u_E"] == 1.0
    assert np.isnan(rules.loc["IS", "u_E"])  # every rule unknown
    assert rules.loc[["AT", "BE", "BG"], "class_E"].tolist() == ["low", "medium", "high"]


def test_real_files_registration_classes_match_quantmig(
    rules: pd.DataFrame, shared_data: type
) -> None:
    """Immigration classes agree with the 'score' column QuantMig published, where known."""
    published = pd.read_csv(shared_data.path("registration_rules.csv")).set_index("iso2")["score"]
    known = rules["u_I"].notna()
    assert known.sum() == 31  # Iceland has every rule unknown
    assert (rules.loc[known, "class_I"] == published[rules.index[known]]).all()
    assert rules.loc["ES", "u_I"] == 0.5 and rules.loc["FR", "u_I"] == 1.0
    assert rules.loc["AT", "country"] == "AUT" and rules.loc["EL", "country"] == "GRC"
    assert rules.attrs["rejected"].empty


def test_reader_reports_unresolvable_country_and_missing_columns() -> None:
    """An unknown country code is rejected with its line; a missing column is an InputError."""
    reg = io.StringIO(
        "iso2,country,obligation,time limit\nES,Spain,Yes,3 days\nQQ,Nowhere,No,---\n"
    )
    dereg = io.StringIO("iso2,obligation,obl. 3rdcn,monit. 3rdcn,SO corr.\nES,Yes,No,No,Yes\n")
    out = read_register_rules(reg, dereg)
    assert out["country"].tolist() == ["ESP"]
    rejected = out.attrs["rejected"]
    assert rejected["row"].tolist() == [3] and "QQ" in rejected["reason"].iloc[0]
    with pytest.raises(InputError, match="time limit"):
        read_register_rules(io.StringIO("iso2,obligation\nES,Yes\n"), io.StringIO("iso2\n"))


def test_immigration_formula_and_cap() -> None:
    """u_I adds 1 / 0.5 / 0.5 for each 'no', is capped at 1 and ignores unknowns."""
    assert immigration_undercount("yes", "yes", "yes") == 0.0
    assert immigration_undercount("yes", "no", "no") == 1.0
    assert immigration_undercount("no", "no", "no") == 1.0
    assert immigration_undercount("yes", "unknown", "no") == 0.5
    assert immigration_undercount("Oui", "Non", None) == 0.5  # French answers
    assert np.isnan(immigration_undercount(None, None, None))


def test_class_cuts() -> None:
    """Classes cut at 0.25 and 0.75: low below, high from 0.75."""
    assert [undercount_class(u) for u in (0.0, 0.2499, 0.25, 0.7499, 0.75, 1.0)] == [
        "low",
        "low",
        "medium",
        "medium",
        "high",
        "high",
    ]
    assert undercount_class(float("nan")) is None


@given(st.lists(st.sampled_from(["yes", "no", "unknown"]), min_size=4, max_size=4))
def test_emigration_score_bounds_and_monotone(answers: list[str]) -> None:
    """u_E lies in [0, 1]; turning one known 'no' into 'yes' never raises it."""
    u = emigration_undercount(*answers)
    if all(a == "unknown" for a in answers):
        assert np.isnan(u)
        return
    assert 0.0 <= u <= 1.0
    for k, a in enumerate(answers):
        if a == "no":
            better = list(answers)
            better[k] = "yes"
            assert emigration_undercount(*better) <= u + 1e-12


def test_from_profiles_and_answers_agree() -> None:
    """The same facts give the same scores from a SourceProfile and from answer rows."""
    profile = SourceProfile(
        source_id="RWA-REG",
        country="RWA",
        source_type="population_register",
        measures=["IMM", "EMI"],
        registration={"obligation": "yes", "time_limit": "no", "sanctions": "unknown"},
        deregistration={"obligation": "yes", "monitoring": "no"},
    )
    census = SourceProfile(
        source_id="RWA-CEN", country="RWA", source_type="census", measures=["STK"]
    )
    a = undercount_from_profiles([census, profile])
    assert a["source_id"].tolist() == ["RWA-REG"]
    items = pd.DataFrame(
        {
            "id": ["R1", "R2", "R3", "D1", "D3"],
            "writes": [
                "registration.obligation",
                "registration.time_limit",
                "registration.sanctions",
                "deregistration.obligation",
                "deregistration.monitoring",
            ],
        }
    )
    answers = pd.DataFrame(
        {
            "country": "RWA",
            "source_id": "RWA-REG",
            "item_id": ["R1", "R2", "R3", "D1", "D3"],
            "value": ["yes", "no", None, "yes", "no"],
            "status": ["answered", "answered", "dont_know", "answered", "answered"],
        }
    )
    b = undercount_from_answers(answers, items)
    cols = ["u_I", "u_E", "class_I", "class_E"]
    pd.testing.assert_frame_equal(a[cols], b[cols])
    assert a["u_E"].iloc[0] == pytest.approx(1 - 0.5 / 0.6)


def test_one_implementation_shared_with_compliance(rules: pd.DataFrame) -> None:
    """quality's formulas are sources.compliance's; on the real files both paths agree."""
    src = importlib.import_module("migdata.sources.compliance")  # the package shadows it
    for name in ("immigration_undercount", "emigration_undercount", "undercount_class"):
        assert getattr(undercount, name) is getattr(src, name)
    for iso2, row in rules.iterrows():
        profile = SourceProfile(
            source_id=str(iso2),
            country=row["country"],
            source_type="population_register",
            registration={
                k: row.get(f"registration.{k}", "unknown") for k in src.REGISTRATION_KEYS
            },
            deregistration={
                k: row.get(f"deregistration.{k}", "unknown") for k in src.DEREGISTRATION_KEYS
            },
        )
        scores = src.register_undercount(profile)
        for key, column in (("immigration", "u_I"), ("emigration", "u_E")):
            expected = row[column]
            assert (scores[key] is None and np.isnan(expected)) or scores[key] == expected
