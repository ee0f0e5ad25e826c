"""Tests of migdata.sources.duration: the factors R(d) and their application to tables."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from migdata.errors import ConfigurationError, InputError
from migdata.sources.duration import correct_duration, duration_factor, duration_table


def test_published_points() -> None:
    """The published points of DOMAIN.md are reproduced exactly."""
    assert duration_factor([0, 3, 6, 12, 60]).tolist() == [0.53, 0.63, 0.73, 1.0, 2.26]
    assert duration_factor("permanent", table="willekens_poisson") == 2.61
    assert round(962 * duration_factor(3), 2) == 606.06
    assert len(duration_table()) == 5


def test_bad_months_and_table() -> None:
    """Negative or unreadable durations and unknown tables are refused."""
    with pytest.raises(InputError):
        duration_factor(-1)
    with pytest.raises(InputError):
        duration_factor("a while")
    with pytest.raises(ConfigurationError):
        duration_factor(3, table="nobody")


def test_correct_duration_records_factor() -> None:
    """correct_duration multiplies obs_value and adjustment and says so in provenance."""
    t = pd.DataFrame(
        {"obs_value": [100.0, 50.0], "adjustment": [2.0, 1.0], "provenance": ["x", pd.NA]}
    )
    out = correct_duration(t, months=[6, "permanent"])
    assert out["obs_value"].tolist() == pytest.approx([73.0, 113.0])
    assert out["adjustment"].tolist() == pytest.approx([1.46, 2.26])
    assert out["reported_value"].tolist() == [100.0, 50.0]
    assert out.loc[0, "provenance"].startswith("x; duration correction x0.730")
    assert "R(permanent)" in out.loc[1, "provenance"]
    assert out["obs_status"].tolist() == ["E", "E"]
    assert t["obs_value"].tolist() == [100.0, 50.0]  # input untouched


def test_correct_duration_column_and_missing() -> None:
    """A threshold column is read per row; rows without one are left alone and say why."""
    t = pd.DataFrame({"obs_value": [10.0, 10.0, 10.0], "months": [12, None, 3]})
    out = correct_duration(t, "months")
    assert out["obs_value"].tolist() == pytest.approx([10.0, 10.0, 6.3])
    assert out.loc[1, "provenance"] == "no duration correction: threshold unknown"
    assert pd.isna(out.loc[0, "obs_status"]) and out.loc[2, "obs_status"] == "E"


def test_correct_duration_six_month_target() -> None:
    """Against a 6-month target the factor is R(d)/R(6)."""
    out = correct_duration(pd.DataFrame({"obs_value": [73.0]}), 12, target_months=6)
    assert out["obs_value"].item() == pytest.approx(100.0)


def test_correct_duration_needs_value_column() -> None:
    """A table without the value column is refused naming it."""
    with pytest.raises(InputError, match="obs_value"):
        correct_duration(pd.DataFrame({"value": [1.0]}), 3)


@given(
    months=st.lists(st.floats(0, 60), min_size=1, max_size=20),
    table=st.sampled_from(["imem", "willekens_expert", "willekens_poisson", "willekens_mixture"]),
)
def test_factor_monotone_and_correction_consistent(months: list[float], table: str) -> None:
    """R is non-decreasing in d, and obs_value = reported_value x adjustment after correction."""
    m = np.sort(np.asarray(months))
    f = duration_factor(m, table=table)
    assert (np.diff(f) >= -1e-12).all()
    t = pd.DataFrame({"obs_value": np.arange(len(m), dtype=float) + 1})
    out = correct_duration(t, m, table_name=table)
    assert np.allclose(out["obs_value"], out["reported_value"] * out["adjustment"])
