"""Where estimates from stocks join the flow: a census-only country's estimated flows as a
third kind of source in the mirror table, beside what origins and destinations report.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from migdata.errors import InputError

if TYPE_CHECKING:
    from migdata.estimate.flows import FlowsFromStocks

__all__ = ["ESTIMATE_COLUMNS", "KINDS", "estimate_rows", "source_rows"]

ESTIMATE_COLUMNS = ["origin", "destination", "year", "sex", "age", "estimate", "method"]
"""Columns of ``MirrorTable.estimates``: one estimated flow per corridor-cell."""

KINDS = ("reported by origin", "reported by destination", "estimate from stocks")
"""The ``kind`` of a figure in :func:`source_rows`, in the order a report shows them."""


def _year(result: FlowsFromStocks, year: int | None) -> int:
    if year is not None:
        return int(year)
    end = result.provenance.get("end_date")
    if end is not None and str(end)[:4].isdigit():
        return int(str(end)[:4])
    raise InputError(
        "expected year=... for the estimated flows: the stock tables carry no date "
        "(the estimate is filed under the year the period ends)"
    )


def estimate_rows(results: Any, year: int | None = None, *, years: float = 1.0,
                  sex: str = "_T", age: str = "_T") -> pd.DataFrame:  # fmt: skip
    """Estimated flows as mirror-table rows (``ESTIMATE_COLUMNS``), regions as alpha-3.

    ``results`` is one :class:`~migdata.estimate.FlowsFromStocks` or a list of them; ``years``
    divides the flows (an intercensal estimate over ten years -> ``years=10`` gives an annual
    average). Every region must resolve to a country.
    """
    from migdata.estimate.flows import FlowsFromStocks
    from migdata.mirror.eurostat import resolve_countries

    items = [results] if isinstance(results, FlowsFromStocks) else list(results)
    if not items or not all(isinstance(r, FlowsFromStocks) for r in items):
        raise InputError("expected the result of flows_from_stocks (or a list of them)")
    if not years > 0:
        raise InputError(f"years: expected the length of the period (> 0), got {years}")
    parts = []
    for result in items:
        flows = result.flows
        origin = resolve_countries(flows["orig"])
        destination = resolve_countries(flows["dest"])
        bad = origin.isna() | destination.isna()
        if bad.any():
            label = flows.loc[bad, "orig"].where(origin[bad].isna(), flows.loc[bad, "dest"])
            raise InputError(
                f"estimated flows: region {label.iloc[0]!r} is not a country; only country "
                "estimates can enter the mirror table (use countries=True when estimating)"
            )
        parts.append(pd.DataFrame({
            "origin": origin.astype("string").to_numpy(),
            "destination": destination.astype("string").to_numpy(),
            "year": _year(result, year), "sex": sex, "age": age,
            "estimate": flows["flow"].to_numpy() / years, "method": result.label,
        }))  # fmt: skip
    out = pd.concat(parts, ignore_index=True)
    key = ["origin", "destination", "year", "sex", "age"]
    dup = out.duplicated(key, keep=False)
    if dup.any():
        first = out.loc[dup].iloc[0]
        raise InputError(
            f"two estimates for {first['origin']} -> {first['destination']} in "
            f"{first['year']}: pass one estimate per corridor and year"
        )
    out = out.astype({"origin": "string", "destination": "string", "year": "int64",
                      "sex": "string", "age": "string", "estimate": "float64",
                      "method": "string"})  # fmt: skip
    return out.sort_values(key, kind="stable").reset_index(drop=True)


def source_rows(data: pd.DataFrame, estimates: pd.DataFrame) -> pd.DataFrame:
    """Every figure of every corridor-cell, one row each: the origin's emigration, the
    destination's immigration and the estimate from stocks, with ``kind``, ``source`` and
    ``method`` (what a report needs to show them side by side)."""
    key = ["origin", "destination", "year", "sex", "age"]
    emi = data.loc[data["emigration"].notna(), key].assign(
        kind=KINDS[0], source="emigration reported by the origin", method=pd.NA,
        value=data.loc[data["emigration"].notna(), "emigration"].to_numpy(),
    )  # fmt: skip
    imm = data.loc[data["immigration"].notna(), key].assign(
        kind=KINDS[1], source="immigration reported by the destination", method=pd.NA,
        value=data.loc[data["immigration"].notna(), "immigration"].to_numpy(),
    )  # fmt: skip
    parts = [emi, imm]
    if len(estimates):
        parts.append(estimates[key].assign(
            kind=KINDS[2], source="flows estimated from census stocks",
            method=estimates["method"].to_numpy(), value=estimates["estimate"].to_numpy(),
        ))  # fmt: skip
    out = pd.concat([p for p in parts if len(p)], ignore_index=True)
    if out.empty:
        out = pd.DataFrame(columns=[*key, "kind", "source", "method", "value"])
    order = pd.Categorical(out["kind"], categories=list(KINDS), ordered=True)
    out = out.assign(_k=np.asarray(order.codes)).sort_values([*key, "_k"], kind="stable")
    return (
        out.drop(columns="_k")
        .astype({"kind": "string", "source": "string", "method": "string"})
        .reset_index(drop=True)
    )
