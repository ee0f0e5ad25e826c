"""Tests of migdata.mirror.ipf (fitting a flow table to row and column totals)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from migdata.errors import InputError
from migdata.mirror.ipf import ipf


@settings(max_examples=30, deadline=None)
@given(st.integers(2, 8), st.integers(0, 2**32 - 1))
def test_margins_met_and_zeros_kept(n: int, seed: int) -> None:
    """Feasible margins are met to tolerance and structural zeros stay zero."""
    rng = np.random.default_rng(seed)
    truth = rng.uniform(1, 100, (n, n)) * (1 - np.eye(n))
    res = ipf(rng.uniform(0.5, 2, (n, n)), truth.sum(1), truth.sum(0),
              structural_zeros=np.eye(n, dtype=bool), tol=1e-9, max_iter=5000)  # fmt: skip
    assert res.converged
    np.testing.assert_allclose(res.table.to_numpy().sum(1), truth.sum(1), rtol=1e-6)
    np.testing.assert_allclose(res.table.to_numpy().sum(0), truth.sum(0), rtol=1e-6)
    assert (np.diag(res.table.to_numpy()) == 0).all()


def test_labels_and_series_totals() -> None:
    """DataFrame labels are kept and Series totals are aligned by label."""
    seed = pd.DataFrame([[1.0, 2.0], [3.0, 4.0]], index=["A", "B"], columns=["X", "Y"])
    res = ipf(seed, pd.Series({"B": 7.0, "A": 3.0}), pd.Series({"X": 4.0, "Y": 6.0}))
    assert list(res.table.index) == ["A", "B"]
    assert res.table.loc["A"].sum() == pytest.approx(3.0)
    assert "IPF" in res._repr_html_()


def test_inconsistent_totals_raise() -> None:
    """Row and column totals with different sums are an error saying by how much."""
    with pytest.raises(InputError, match="10 but column totals to 11"):
        ipf(np.ones((2, 2)), [5, 5], [5, 6])


def test_impossible_row_raises() -> None:
    """A positive total for a row whose every cell is a structural zero is refused."""
    with pytest.raises(InputError, match="row"):
        ipf(np.ones((2, 2)), [1, 1], [1, 1], structural_zeros=np.array([[1, 1], [0, 0]], bool))


def test_non_convergence_is_reported() -> None:
    """An infeasible pattern stops at max_iter with converged False, not an exception."""
    seed = np.array([[1.0, 0.0], [1.0, 1.0]])
    res = ipf(seed, [2, 1], [1, 2], max_iter=50)
    assert not res.converged and res.iterations == 50 and res.max_deviation > 0
