"""Estimates where no one counts: bilateral flows from stocks by place of birth
(demographic accounting, stock differencing, rates) and the migration indices.
"""

from __future__ import annotations

from migdata.estimate.flows import (
    BirthMethod,
    BirthplaceTotals,
    DeathMethod,
    Decrease,
    Diagnostics,
    FlowsFromStocks,
    GlobalMatch,
    StockMethod,
    flows_from_stocks,
)

__all__ = [
    "BirthMethod",
    "BirthplaceTotals",
    "DeathMethod",
    "Decrease",
    "Diagnostics",
    "FlowsFromStocks",
    "GlobalMatch",
    "StockMethod",
    "flows_from_stocks",
]
