"""Tests of migdata.sources.registers: register events to immigration and emigration flows."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from migdata.errors import ConfigurationError, InputError
from migdata.harmonised import harmonised_schema
from migdata.sources import SourceProfile
from migdata.sources.registers import register_flows


def _profile(months: float | None = 12) -> SourceProfile:
    return SourceProfile(
        source_id="RWA-REG",
        country="RWA",
        source_type="population_register",
        threshold_months=months,
        threshold_basis="registration_rule",
    )


def test_observed_durations() -> None:
    """Stays are measured to the next deregistration, absences to the next registration."""
    ev = pd.DataFrame(
        {
            "person_id": ["a", "a", "a", "b", "c"],
            "event": ["registration", "deregistration", "registration", "sortie", "entrée"],
            "date": ["2010-01-01", "2012-01-01", "2012-03-01", "2013-01-01", "2015-06-01"],
        }
    )
    r = register_flows(ev, _profile(), obs_end="2016-01-01")
    got = r.events[["flow", "outcome"]].values.tolist()
    assert got == [
        ["IMM", "counted"],  # 24 months to the deregistration
        ["EMI", "too_short"],  # back after 2 months
        ["IMM", "counted"],  # still there at the end, 46 months
        ["EMI", "counted"],
        ["IMM", "unknown"],  # 7 months observed, window cut
    ]
    assert r.events["months"].iloc[0] == pytest.approx(24, abs=0.05)
    t = r.table.set_index(["measure", "time_period"])
    assert ("IMM", "2015") not in t.index  # nothing counted yet in 2015
    assert t.loc[("IMM", "2010"), "obs_value"] == 1.0 and t.loc[("EMI", "2013"), "obs_value"] == 1.0
    harmonised_schema().validate(r.table)


def test_provisional_cells() -> None:
    """A year with unknown outcomes gives provisional (P) cells."""
    ev = pd.DataFrame(
        {
            "person_id": [1, 2],
            "event": ["in", "in"],
            "date": ["2015-01-01", "2015-11-01"],
        }
    )
    r = register_flows(ev, _profile(), obs_end="2016-03-01")
    assert r.table["obs_status"].tolist() == ["P"]
    assert r.table["obs_value"].tolist() == [1.0]


def test_declared_durations_and_correction() -> None:
    """Declared durations are read as text; a 6-month rule is corrected by R(6)."""
    ev = pd.DataFrame(
        {
            "person_id": [1, 2, 3],
            "event": ["R", "R", "R"],
            "date": ["2015-01-01", "2015-02-01", "2015-03-01"],
            "declared": ["1 an", "6 mois", "2 months"],
        }
    )
    r = register_flows(ev, _profile(6), "UN1998", duration_column="declared")
    assert r.events["outcome"].tolist() == ["counted", "counted", "too_short"]
    row = r.table.iloc[0]
    assert row["compliance"] == "APPROXIMATE" and row["adjustment"] == 0.73
    assert row["obs_value"] == pytest.approx(2 * 0.73) and row["obs_status"] == "E"
    exact = register_flows(
        ev, _profile(6), "UN1998", duration_column="declared", threshold_months=12
    )
    assert exact.table["obs_value"].tolist() == [1.0]
    assert exact.table["compliance"].tolist() == ["MATCH"]


def test_bad_events_rejected() -> None:
    """Missing ids, unknown event types, bad or future dates and duplicates are rejected."""
    ev = pd.DataFrame(
        {
            "person_id": [None, 1, 2, 3, 4, 4],
            "event": ["in", "teleport", "in", "in", "out", "out"],
            "date": [
                "2015-01-01",
                "2015-01-01",
                "someday",
                "2031-01-01",
                "2015-01-01",
                "2015-01-01",
            ],
        }
    )
    r = register_flows(ev, _profile(), obs_end="2020-01-01")
    assert len(r.events) + len(r.rejected) == r.rows_in == 6
    reasons = dict(zip(r.rejected["row"], r.rejected["reason"], strict=True))
    assert "person identifier" in reasons[0]
    assert "got 'teleport'" in reasons[1]
    assert "got 'someday'" in reasons[2]
    assert "end of the data (2020-01-01)" in reasons[3]
    assert reasons[5] == "duplicate of row 4 (same person, event and date)"


def test_options_checked() -> None:
    """No threshold anywhere, unknown counterpart types and missing columns are refused."""
    ev = pd.DataFrame({"person_id": [1], "event": ["in"], "date": ["2015-01-01"]})
    with pytest.raises(ConfigurationError, match="threshold_months"):
        register_flows(ev, _profile(None))
    with pytest.raises(ConfigurationError):
        register_flows(ev, _profile(), counterpart_type="TRIBE")
    with pytest.raises(InputError, match="'event'"):
        register_flows(ev.drop(columns="event"), _profile())


@settings(max_examples=20)
@given(seed=st.integers(0, 10_000), n=st.integers(1, 60), threshold=st.sampled_from([0, 3, 12]))
def test_rows_and_counts_property(seed: int, n: int, threshold: float) -> None:
    """Any history: events + rejected = rows in; counted events = total of the table."""
    rng = np.random.default_rng(seed)
    ev = pd.DataFrame(
        {
            "person_id": rng.choice([1, 2, 3, 4, None], n),
            "event": rng.choice(["in", "out", "??"], n),
            "date": pd.to_datetime("2010-01-01")
            + pd.to_timedelta(rng.integers(0, 3000, n), unit="D"),
        }
    )
    r = register_flows(ev, _profile(threshold), obs_end="2020-01-01", correct=False)
    assert len(r.events) + len(r.rejected) == n
    assert r.table["obs_value"].sum() == (r.events["outcome"] == "counted").sum()
    if threshold == 0:
        assert (r.events["outcome"] == "counted").all()
