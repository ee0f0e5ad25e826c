"""Kernels of the flows-from-stocks estimators: a vectorised three-way IPF over
(birthplace, origin, destination) and a plain per-birthplace reference built on the
project's two-way :func:`migdata.mirror.ipf.ipf`, used by the tests and the benchmark.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from migdata.errors import ModelError

__all__ = ["Fit", "ipf2", "ipf3", "ipf3_reference"]


@dataclass(frozen=True)
class Fit:
    """A fitted (birthplace x origin x destination) array and how the fit ended."""

    array: np.ndarray
    iterations: int
    max_deviation: float
    converged: bool


def _safe_ratio(target: np.ndarray, current: np.ndarray) -> np.ndarray:
    return np.divide(target, current, out=np.zeros_like(current), where=current > 0)


def _ratio_into(target: np.ndarray, current: np.ndarray, out: np.ndarray) -> None:
    """``target / current`` into ``out``, 0 where ``current`` is 0 (nothing to scale)."""
    positive = current > 0
    out.fill(0.0)
    np.divide(target, current, out=out, where=positive)


def ipf2(
    seed: np.ndarray,
    rows: np.ndarray,
    cols: np.ndarray,
    *,
    tol: float = 1e-8,
    max_iter: int = 1000,
) -> Fit:
    """Two-way IPF of ``seed`` to row and column totals (as :func:`migdata.mirror.ipf.ipf`,
    without its label handling and checks: the callers here have checked the margins).

    ``seed`` may hold several tables stacked on the first axis (``rows``/``cols`` then
    stacked alike), fitted together. Each sweep reuses the row sums that test convergence,
    so it is four passes over the tables; the tests hold it to the project's ``ipf``.
    """
    x = np.asarray(seed, dtype=float).copy()
    scale = max(float(np.max(rows.sum(axis=-1), initial=0.0)), 1.0)
    rs = x.sum(axis=-1)
    # Buffers reused across sweeps: at 200 x 200 the sweeps are cheap and allocation shows.
    row_ratio, col_ratio = np.empty_like(rs), np.empty(np.shape(cols))
    diff = np.empty_like(rs)
    deviation = np.inf
    it = 0
    for it in range(1, max_iter + 1):  # noqa: B007 - iterations are reported
        _ratio_into(rows, rs, row_ratio)
        x *= row_ratio[..., None]
        cs = x.sum(axis=-2)
        _ratio_into(cols, cs, col_ratio)
        x *= col_ratio[..., None, :]
        x.sum(axis=-1, out=rs)
        np.abs(np.subtract(rs, rows, out=diff), out=diff)
        deviation = float(diff.max(initial=0.0))
        if deviation <= tol * scale:
            break
    return Fit(x, it, deviation, bool(deviation <= tol * scale))


def ipf3(
    seed: np.ndarray,
    start: np.ndarray,
    end: np.ndarray,
    *,
    tol: float = 1e-8,
    max_iter: int = 1000,
) -> Fit:
    """Scale ``seed[b, o, d]`` so that ``sum_d = start[b, o]`` and ``sum_o = end[b, d]``.

    ``seed`` is (n_birth, n, n) or (n, n) (the same origin-destination seed for every
    birthplace); cells that are zero in the seed stay zero. Stops when every margin is within
    ``tol`` times the grand total. A positive margin with no cell that may hold it is a
    :class:`~migdata.errors.ModelError` (no silent zero).
    """
    nb, n = start.shape
    x = np.broadcast_to(seed, (nb, n, n)).astype(float, copy=True)
    for axis, target, name in ((2, start, "origin"), (1, end, "destination")):
        room = x.sum(axis=axis)
        empty = (room <= 0) & (target > 0)
        if empty.any():
            b, r = np.argwhere(empty)[0]
            raise ModelError(
                f"birthplace #{b}, {name} #{r}: a positive stock margin ({target[b, r]:g}) "
                "but every seed cell that could hold it is zero; give a positive seed there"
            )
    scale = max(float(start.sum()), 1.0)
    deviation = np.inf
    it = 0
    rs = x.sum(axis=2)
    for it in range(1, max_iter + 1):  # noqa: B007 - iterations are reported
        x *= _safe_ratio(start, rs)[:, :, None]
        x *= _safe_ratio(end, x.sum(axis=1))[:, None, :]
        # After the column step the columns are exact: only the rows can be off.
        rs = x.sum(axis=2)
        deviation = float(np.max(np.abs(rs - start), initial=0.0))
        if deviation <= tol * scale:
            break
    return Fit(x, it, deviation, bool(deviation <= tol * scale))


def ipf3_reference(
    seed: np.ndarray,
    start: np.ndarray,
    end: np.ndarray,
    *,
    tol: float = 1e-8,
    max_iter: int = 1000,
) -> Fit:
    """The same fit, one birthplace at a time with the project's two-way IPF (slow, plain)."""
    from migdata.mirror.ipf import ipf

    nb, n = start.shape
    seeds = np.broadcast_to(seed, (nb, n, n))
    out = np.zeros((nb, n, n))
    iterations, deviation, converged = 0, 0.0, True
    for b in range(nb):
        if start[b].sum() <= 0:
            continue
        res = ipf(seeds[b], start[b], end[b], tol=tol, max_iter=max_iter)
        out[b] = res.table.to_numpy()
        iterations = max(iterations, res.iterations)
        deviation = max(deviation, res.max_deviation)
        converged &= res.converged
    return Fit(out, iterations, deviation, converged)
