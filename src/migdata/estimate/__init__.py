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
from migdata.estimate.summaries import (
    bilateral_net,
    index_connectivity,
    index_distance,
    index_impact,
    index_intensity,
    region_totals,
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
    "bilateral_net",
    "flows_from_stocks",
    "index_connectivity",
    "index_distance",
    "index_impact",
    "index_intensity",
    "region_totals",
]
