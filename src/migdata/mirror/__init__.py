"""Mirror statistics: bilateral flows reported by both ends, asymmetry indicators, the
QuantMig undercount index, reconciliation of the two sides and fitting to margins.

Public names are loaded on first use (PEP 562), so importing the package stays light.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from migdata._lazy import attach

# Public name -> (defining module, attribute), imported on first use and then kept.
_EXPORTS: dict[str, tuple[str, str]] = {
    "IPFResult": ("migdata.mirror.ipf", "IPFResult"),
    "Method": ("migdata.mirror.reconcile", "Method"),
    "MirrorTable": ("migdata.mirror.table", "MirrorTable"),
    "Reconciliation": ("migdata.mirror.reconcile", "Reconciliation"),
    "Weights": ("migdata.mirror.reconcile", "Weights"),
    "cc1_heatmap": ("migdata.mirror.figures", "cc1_heatmap"),
    "country_aggregates": ("migdata.mirror.indicators", "country_aggregates"),
    "factor_plot": ("migdata.mirror.figures", "factor_plot"),
    "flows_plot": ("migdata.mirror.figures", "flows_plot"),
    "interval_plot": ("migdata.mirror.figures", "interval_plot"),
    "ipf": ("migdata.mirror.ipf", "ipf"),
    "pair_indicators": ("migdata.mirror.indicators", "pair_indicators"),
    "read_covariates": ("migdata.mirror.bayes", "read_covariates"),
    "read_duration_thresholds": ("migdata.mirror.eurostat", "read_duration_thresholds"),
    "read_imem_classes": ("migdata.mirror.eurostat", "read_imem_classes"),
    "reconcile": ("migdata.mirror.reconcile", "reconcile"),
    "undercount_index": ("migdata.mirror.undercount", "undercount_index"),
    "year_summary": ("migdata.mirror.indicators", "year_summary"),
}

if TYPE_CHECKING:  # the same names for type checkers and editors
    from migdata.mirror.bayes import read_covariates
    from migdata.mirror.eurostat import read_duration_thresholds, read_imem_classes
    from migdata.mirror.figures import cc1_heatmap, factor_plot, flows_plot, interval_plot
    from migdata.mirror.indicators import country_aggregates, pair_indicators, year_summary
    from migdata.mirror.ipf import IPFResult, ipf
    from migdata.mirror.reconcile import Method, Reconciliation, Weights, reconcile
    from migdata.mirror.table import MirrorTable
    from migdata.mirror.undercount import undercount_index


__all__ = [
    "IPFResult",
    "Method",
    "MirrorTable",
    "Reconciliation",
    "Weights",
    "cc1_heatmap",
    "country_aggregates",
    "factor_plot",
    "flows_plot",
    "interval_plot",
    "ipf",
    "pair_indicators",
    "read_covariates",
    "read_duration_thresholds",
    "read_imem_classes",
    "reconcile",
    "undercount_index",
    "year_summary",
]

__getattr__, __dir__ = attach(
    __name__,
    _EXPORTS,
    __all__,
    clashes=(
        "ipf",
        "reconcile",
    ),
)
