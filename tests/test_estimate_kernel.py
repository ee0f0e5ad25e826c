"""The vectorised three-way IPF kernel against the plain per-birthplace reference."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from migdata import ModelError
from migdata.estimate._kernel import ipf3, ipf3_reference


@settings(max_examples=40, deadline=None)
@given(st.integers(2, 6), st.integers(0, 2**32 - 1))
def test_kernel_matches_reference(n: int, seed: int) -> None:
    """Same fitted array and margins as a loop of two-way IPFs, one per birthplace."""
    rng = np.random.default_rng(seed)
    start = rng.integers(0, 100, (n, n)).astype(float)
    end = rng.permuted(start, axis=1)  # same birthplace totals, other residences
    weights = rng.uniform(0.1, 2.0, (n, n))
    fast = ipf3(weights, start, end, tol=1e-12, max_iter=5000)
    slow = ipf3_reference(weights, start, end, tol=1e-12, max_iter=5000)
    assert fast.converged and slow.converged
    np.testing.assert_allclose(fast.array, slow.array, atol=1e-6 * max(start.sum(), 1))
    np.testing.assert_allclose(fast.array.sum(axis=2), start, atol=1e-6 * max(start.sum(), 1))
    np.testing.assert_allclose(fast.array.sum(axis=1), end, atol=1e-6 * max(start.sum(), 1))


def test_kernel_is_deterministic() -> None:
    """The same inputs give bit-identical output."""
    rng = np.random.default_rng(1)
    start = rng.integers(0, 100, (5, 5)).astype(float)
    end = start[:, ::-1].copy()
    a = ipf3(rng.uniform(size=(5, 5)), start, end)
    b = ipf3(np.asarray(a.array[0] * 0 + 1), start, end)
    c = ipf3(np.asarray(a.array[0] * 0 + 1), start, end)
    assert np.array_equal(b.array, c.array) and b.iterations == c.iterations


def test_a_margin_with_no_room_is_a_model_error() -> None:
    """A positive margin whose seed cells are all zero is refused, not left at zero."""
    seed = np.ones((2, 2)) - np.eye(2)
    with pytest.raises(ModelError, match="positive stock margin"):
        ipf3(seed * [[0, 0], [1, 0]], np.array([[1.0, 0.0]]), np.array([[0.0, 1.0]]))


@settings(max_examples=30, deadline=None)
@given(st.integers(2, 7), st.integers(0, 2**32 - 1))
def test_two_way_kernel_matches_project_ipf(n: int, seed: int) -> None:
    """ipf2 gives the table of migdata.mirror.ipf, alone or with two tables stacked."""
    from migdata.estimate._kernel import ipf2
    from migdata.mirror.ipf import ipf

    rng = np.random.default_rng(seed)
    table = rng.uniform(0.1, 10, (n, n))
    rows = rng.uniform(1, 100, n)
    cols = rng.permutation(rows) * 1.0
    ref = ipf(table, rows, cols, tol=1e-12, max_iter=5000).table.to_numpy()
    one = ipf2(table, rows, cols, tol=1e-12, max_iter=5000)
    two = ipf2(np.stack([table, table]), np.stack([rows, rows]), np.stack([cols, cols]),
               tol=1e-12, max_iter=5000)  # fmt: skip
    assert one.converged and two.converged
    np.testing.assert_allclose(one.array, ref, rtol=1e-8, atol=1e-9)
    np.testing.assert_allclose(two.array[1], ref, rtol=1e-8, atol=1e-9)
