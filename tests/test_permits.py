"""Tests of migdata.sources.permits: first permits by category and validity, valid permits."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from migdata.errors import InputError
from migdata.sources import SourceProfile
from migdata.sources.permits import admission_categories, first_permits, valid_permits

PROFILE = SourceProfile(source_id="KEN-RP", country="KEN", source_type="residence_permits")


def _permits() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "person_id": [1, 1, 1, 2, 3, 4, None, 5, 5, 6],
            "reason": [
                "work",
                "travail",
                "work",
                "réfugié",
                "COMESA",
                "mystery",
                "work",
                "étudiant",
                "étudiant",
                "estudo",
            ],
            "valid_from": [
                "2018-01-01",
                "2019-01-01",
                "2021-08-01",
                "2019-03-01",
                "2019-04-01",
                "2019-05-01",
                "2019-01-01",
                "2019-09-01",
                "2019-09-01",
                "2019-01-10",
            ],
            "valid_to": [
                "2018-12-31",
                "2020-12-31",
                "2022-05-31",
                None,
                "2019-08-31",
                "2019-10-31",
                "2019-12-31",
                "2020-03-31",
                "2020-03-31",
                "soon",
            ],
            "citizenship": ["UGA"] * 3 + ["SSD", "ZMB", "MWI", "UGA", "RWA", "RWA", "BDI"],
        }
    )


def test_categories_come_from_the_standards() -> None:
    """Admission categories carry the Eurostat reason used by the exchange code list."""
    cats = admission_categories().set_index("code")
    assert cats.loc["WORK", "eurostat_reason"] == "REMUN"
    assert {"EDU", "FAM_REUNIF", "REF", "FREE_MOV"} <= set(cats.index)


def test_first_permits_rules() -> None:
    """Renewals are excluded; a new permit after a 6-month gap is first again."""
    f = first_permits(_permits(), PROFILE)
    firsts = f.permits[f.permits["first"]]
    assert sorted(firsts["admission_category"].tolist()) == [
        "EDU",
        "FREE_MOV",
        "REF",
        "WORK",
        "WORK",
        "_U",
    ]
    t = f.table.set_index(["counterpart_area", "time_period"])
    assert t.loc[("UGA", "2018"), "validity"] == "M_GE12"
    assert t.loc[("UGA", "2021"), "validity"] == "M6T11"  # 7 months after the last expiry
    assert (
        t.loc[("SSD", "2019"), "reason"] == "OTH" and t.loc[("SSD", "2019"), "validity"] == "M_GE12"
    )
    assert t.loc[("ZMB", "2019"), "validity"] == "M3T5"
    assert t.loc[("RWA", "2019"), "validity"] == "M6T11"
    assert f.unmapped.to_dict("records") == [{"spelling": "mystery", "records": 1}]
    assert "renewal: the person held a permit until 2018-12-31" in f.excluded["reason"].tolist()


def test_rejects_and_rows_conserved() -> None:
    """Missing ids, bad dates and duplicate permits are rejected with reasons; nothing lost."""
    f = first_permits(_permits(), PROFILE)
    reasons = dict(zip(f.rejected["row"], f.rejected["reason"], strict=True))
    assert "person identifier" in reasons[6]
    assert reasons[8] == "duplicate of row 7 (same permit)"
    assert "got 'soon'" in reasons[9]
    assert (
        len(f.permits) + len(f.rejected) + (f.excluded["reason"].str.startswith("valid less")).sum()
        == f.rows_in
    )


def test_valid_permits_count_persons() -> None:
    """A person with two overlapping valid permits counts once; documents are reported."""
    rp = pd.DataFrame(
        {
            "person_id": [1, 1, 2],
            "reason": ["work", "family reunification", "work"],
            "valid_from": ["2019-01-01", "2019-06-01", "2019-01-01"],
            "valid_to": ["2020-12-31", "2020-05-31", "2019-03-31"],
            "citizenship": ["UGA", "UGA", "TZA"],
        }
    )
    v = valid_permits(rp, PROFILE, "2019-12-31")
    assert (v.documents, v.persons) == (2, 1)
    assert v.table[["counterpart_area", "admission_category", "obs_value"]].values.tolist() == [
        ["UGA", "FAM_REUNIF", 1.0]
    ]
    assert v.table["time_period"].item() == "2019-12-31"
    assert v.table["measure"].item() == "RP_VALID"


def test_missing_columns() -> None:
    """A permit table without validity dates is refused naming the column."""
    with pytest.raises(InputError, match="valid_to"):
        first_permits(
            pd.DataFrame({"person_id": [1], "reason": ["x"], "valid_from": ["2019-01-01"]}), PROFILE
        )


@settings(max_examples=10)
@given(seed=st.integers(0, 10_000), n=st.integers(1, 50))
def test_persons_never_exceed_documents(seed: int, n: int) -> None:
    """Valid permits: persons <= documents, table total = persons; first permits <= records."""
    rng = np.random.default_rng(seed)
    start = pd.to_datetime("2018-01-01") + pd.to_timedelta(rng.integers(0, 900, n), unit="D")
    rp = pd.DataFrame(
        {
            "person_id": rng.integers(0, 10, n),
            "reason": rng.choice(["work", "famille", "??"], n),
            "valid_from": start,
            "valid_to": start + pd.to_timedelta(rng.integers(30, 800, n), unit="D"),
            "citizenship": rng.choice(["UGA", "RWA"], n),
        }
    )
    v = valid_permits(rp, PROFILE, "2019-06-30")
    assert v.persons <= v.documents
    assert v.table["obs_value"].sum() == v.persons
    f = first_permits(rp, PROFILE)
    assert f.table["obs_value"].sum() == f.permits["first"].sum() <= n
