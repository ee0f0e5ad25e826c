"""Mirror statistics: bilateral flows reported by both ends, asymmetry indicators, the
QuantMig undercount index, reconciliation of the two sides and fitting to margins.

Public names are loaded on first use (PEP 562), so importing the package stays light.
"""

from __future__ import annotations

import importlib
import sys
import types
from typing import TYPE_CHECKING, Any

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


def __getattr__(name: str) -> Any:
    try:
        module, attribute = _EXPORTS[name]
    except KeyError:
        # A submodule used as an attribute (package.module.function) is imported too.
        try:
            value = importlib.import_module(f"{__name__}.{name}")
        except ModuleNotFoundError:
            raise AttributeError(f"module {__name__!r} has no attribute {name!r}") from None
        globals()[name] = value
        return value
    value = getattr(importlib.import_module(module), attribute)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))


# Names that are also submodules: importing the submodule must not replace the function
# (as with the eager imports this package had before, the name stays the function).
_CLASHES = frozenset({"ipf", "reconcile"})


class _Package(types.ModuleType):
    def __setattr__(self, name: str, value: Any) -> None:
        if name in _CLASHES and isinstance(value, types.ModuleType):
            return
        super().__setattr__(name, value)


sys.modules[__name__].__class__ = _Package


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
