"""Mirror statistics: bilateral flows reported by both ends, asymmetry indicators, the
QuantMig undercount index, reconciliation of the two sides and fitting to margins.
"""

from __future__ import annotations

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
