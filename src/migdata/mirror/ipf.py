"""Iterative proportional fitting of a flow table to known row (origin) and column
(destination) totals, with structural zeros and a convergence report (DOMAIN.md 5.7).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from migdata._checks import public
from migdata.errors import InputError

__all__ = ["IPFResult", "ipf"]


@dataclass(frozen=True)
class IPFResult:
    """Fitted table, iterations used, largest deviation from a margin, converged flag."""

    table: pd.DataFrame
    iterations: int
    max_deviation: float
    converged: bool

    def __repr__(self) -> str:
        state = "converged" if self.converged else "not converged"
        return (
            f"IPFResult({len(self.table):,} cells, {state} after {self.iterations} "
            f"iteration(s), max deviation {self.max_deviation:.3g})"
        )

    def _repr_html_(self) -> str:
        state = "converged" if self.converged else "<b>did not converge</b>"
        return (
            f"<p><b>IPF</b> {state} after {self.iterations} iterations; largest deviation "
            f"from a margin {self.max_deviation:.3g}.</p>" + self.table.round(1).to_html(border=0)
        )


def _vector(values: Any, labels: pd.Index, name: str) -> np.ndarray:
    if isinstance(values, pd.Series):
        missing = labels.difference(values.index)
        if len(missing):
            raise InputError(f"{name}: no total for {list(missing)}")
        values = values.reindex(labels)
    out = np.asarray(values, dtype=float)
    if out.shape != (len(labels),):
        raise InputError(f"{name}: expected {len(labels)} totals, got shape {out.shape}")
    if np.isnan(out).any() or (out < 0).any():
        raise InputError(f"{name}: expected totals >= 0 without gaps, got {out.tolist()}")
    return out


@public
def ipf(
    seed_table: Any,
    row_totals: Any,
    col_totals: Any,
    *,
    structural_zeros: Any = None,
    tol: float = 1e-8,
    max_iter: int = 1000,
) -> IPFResult:
    """Scale a seed flow table so its rows and columns add up to known totals.

    Rows and columns are scaled alternately (the RAS / Deming-Stephan algorithm, as migest's
    ``ipf2``); cells that are zero in the seed or marked in ``structural_zeros`` (e.g. the
    diagonal: no flow from a country to itself) stay zero.

    Parameters
    ----------
    seed_table
        2-D array or DataFrame (origins x destinations) of non-negative seed flows.
    row_totals, col_totals
        Target totals (arrays, or Series indexed by the DataFrame's labels). They must add
        up to the same grand total (relative difference <= 1e-9); otherwise an
        :class:`~migdata.errors.InputError` says by how much they differ (no silent
        rescaling).
    structural_zeros
        Boolean mask of cells that must be zero.
    tol
        Stop when every row and column total is within ``tol`` (relative to the grand total).
    max_iter
        Largest number of row+column sweeps; ``converged`` is False if reached.

    Returns
    -------
    IPFResult

    Raises
    ------
    InputError
        Negative seed, totals of the wrong shape or with different sums, or a positive total
        for a row/column whose cells are all zero.

    Examples
    --------
    >>> seed = np.ones((3, 3)) - np.eye(3)
    >>> res = ipf(seed, [30, 20, 10], [25, 25, 10], structural_zeros=np.eye(3, dtype=bool))
    >>> res.converged, res.table.to_numpy().sum(axis=1).round(3).tolist()
    (True, [30.0, 20.0, 10.0])
    """
    frame = seed_table if isinstance(seed_table, pd.DataFrame) else pd.DataFrame(seed_table)
    x = frame.to_numpy(dtype=float).copy()
    if x.ndim != 2:
        raise InputError(f"expected a 2-D seed table, got shape {x.shape}")
    if np.isnan(x).any() or (x < 0).any():
        raise InputError("expected a seed table of counts >= 0 without gaps")
    rows = _vector(row_totals, frame.index, "row_totals")
    cols = _vector(col_totals, frame.columns, "col_totals")
    total = rows.sum()
    if abs(total - cols.sum()) > 1e-9 * max(total, cols.sum(), 1.0):
        raise InputError(
            f"row totals add up to {total:g} but column totals to {cols.sum():g}: a table "
            "cannot match both; reconcile the margins first"
        )
    if structural_zeros is not None:
        mask = np.asarray(structural_zeros, dtype=bool)
        if mask.shape != x.shape:
            raise InputError(f"structural_zeros has shape {mask.shape}, the seed {x.shape}")
        x[mask] = 0.0
    margins = ((1, rows, frame.index, "row"), (0, cols, frame.columns, "column"))
    for axis, target, labels, name in margins:
        empty = (x.sum(axis=axis) == 0) & (target > 0)
        if empty.any():
            raise InputError(
                f"{name}(s) {list(labels[empty])} have a positive total but no cell that may "
                "hold a flow (all seed cells are zero)"
            )
    scale = max(total, 1.0)
    deviation = np.inf
    it = 0
    for it in range(1, max_iter + 1):  # noqa: B007 - iterations are reported
        rs = x.sum(axis=1)
        x *= np.divide(rows, rs, out=np.zeros_like(rs), where=rs > 0)[:, None]
        cs = x.sum(axis=0)
        x *= np.divide(cols, cs, out=np.zeros_like(cs), where=cs > 0)[None, :]
        deviation = float(
            max(np.max(np.abs(x.sum(axis=1) - rows)), np.max(np.abs(x.sum(axis=0) - cols)))
        )
        if deviation <= tol * scale:
            break
    fitted = pd.DataFrame(x, index=frame.index, columns=frame.columns)
    return IPFResult(fitted, it, deviation, bool(deviation <= tol * scale))
