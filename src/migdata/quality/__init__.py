"""Quality of migration statistics against the ESS criteria.

Dimensions, the scoring rubric of questionnaire answers, the QuantMig register undercount
sub-scores, ESS quality indicators (CC1, CC2, R1, AC3, TP1, TP3), the quality profile,
its heatmap and report pages.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from migdata.quality.dimensions import Dimension, Grade, dimension_table
from migdata.quality.indicators import ac3, cc1, cc1_from_ratio, cc2, r1, tp1, tp3
from migdata.quality.profile import QualityProfile
from migdata.quality.rubric import apply_rubric
from migdata.quality.score import score, score_folder
from migdata.quality.undercount import (
    emigration_undercount,
    immigration_undercount,
    read_register_rules,
    undercount_class,
    undercount_from_profiles,
)

__all__ = [
    "Dimension",
    "Grade",
    "QualityProfile",
    "ac3",
    "apply_rubric",
    "cc1",
    "cc1_from_ratio",
    "cc2",
    "country_report",
    "dimension_table",
    "emigration_undercount",
    "heatmap",
    "immigration_undercount",
    "overview_report",
    "r1",
    "read_register_rules",
    "score",
    "score_folder",
    "tp1",
    "tp3",
    "undercount_class",
    "undercount_from_profiles",
    "write_reports",
]

if TYPE_CHECKING:
    from migdata.quality.figures import heatmap
    from migdata.quality.report import country_report, overview_report, write_reports

# Figures and reports need matplotlib (a quarter of a second to import): loaded on first use,
# so code that only needs an indicator such as cc1 stays light.
_LAZY = {
    "heatmap": "migdata.quality.figures",
    "country_report": "migdata.quality.report",
    "overview_report": "migdata.quality.report",
    "write_reports": "migdata.quality.report",
}


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'migdata.quality' has no attribute {name!r}")
