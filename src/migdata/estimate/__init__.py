"""Estimates where no one counts: bilateral flows from stocks by place of birth
(demographic accounting, stock differencing, rates) and the migration indices.

Public names are loaded on first use (PEP 562), so importing the package stays light.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from migdata._lazy import attach

# Public name -> (defining module, attribute), imported on first use and then kept.
_EXPORTS: dict[str, tuple[str, str]] = {
    "BirthMethod": ("migdata.estimate.flows", "BirthMethod"),
    "BirthplaceTotals": ("migdata.estimate.flows", "BirthplaceTotals"),
    "DeathMethod": ("migdata.estimate.flows", "DeathMethod"),
    "Decrease": ("migdata.estimate.flows", "Decrease"),
    "Diagnostics": ("migdata.estimate.flows", "Diagnostics"),
    "FlowsFromStocks": ("migdata.estimate.flows", "FlowsFromStocks"),
    "GlobalMatch": ("migdata.estimate.flows", "GlobalMatch"),
    "StockMethod": ("migdata.estimate.flows", "StockMethod"),
    "bilateral_net": ("migdata.estimate.summaries", "bilateral_net"),
    "flows_from_stocks": ("migdata.estimate.flows", "flows_from_stocks"),
    "index_connectivity": ("migdata.estimate.summaries", "index_connectivity"),
    "index_distance": ("migdata.estimate.summaries", "index_distance"),
    "index_impact": ("migdata.estimate.summaries", "index_impact"),
    "index_intensity": ("migdata.estimate.summaries", "index_intensity"),
    "region_totals": ("migdata.estimate.summaries", "region_totals"),
}

if TYPE_CHECKING:  # the same names for type checkers and editors
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

__getattr__, __dir__ = attach(__name__, _EXPORTS, __all__)
