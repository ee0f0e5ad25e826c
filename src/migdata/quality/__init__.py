"""Quality of migration statistics against the ESS criteria.

Dimensions, the scoring rubric of questionnaire answers, the QuantMig register undercount
sub-scores, ESS quality indicators (CC1, CC2, R1, AC3, TP1, TP3), the quality profile,
its heatmap and report pages.

Public names are loaded on first use (PEP 562), so importing the package stays light.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from migdata._lazy import attach

# Public name -> (defining module, attribute), imported on first use and then kept.
_EXPORTS: dict[str, tuple[str, str]] = {
    "Dimension": ("migdata.quality.dimensions", "Dimension"),
    "Grade": ("migdata.quality.dimensions", "Grade"),
    "QualityProfile": ("migdata.quality.profile", "QualityProfile"),
    "ac3": ("migdata.quality.indicators", "ac3"),
    "apply_rubric": ("migdata.quality.rubric", "apply_rubric"),
    "cc1": ("migdata.quality.indicators", "cc1"),
    "cc1_from_ratio": ("migdata.quality.indicators", "cc1_from_ratio"),
    "cc2": ("migdata.quality.indicators", "cc2"),
    "country_report": ("migdata.quality.report", "country_report"),
    "dimension_table": ("migdata.quality.dimensions", "dimension_table"),
    "emigration_undercount": ("migdata.quality.undercount", "emigration_undercount"),
    "heatmap": ("migdata.quality.figures", "heatmap"),
    "immigration_undercount": ("migdata.quality.undercount", "immigration_undercount"),
    "overview_report": ("migdata.quality.report", "overview_report"),
    "r1": ("migdata.quality.indicators", "r1"),
    "read_register_rules": ("migdata.quality.undercount", "read_register_rules"),
    "score": ("migdata.quality.score", "score"),
    "score_folder": ("migdata.quality.score", "score_folder"),
    "tp1": ("migdata.quality.indicators", "tp1"),
    "tp3": ("migdata.quality.indicators", "tp3"),
    "undercount_class": ("migdata.quality.undercount", "undercount_class"),
    "undercount_from_profiles": ("migdata.quality.undercount", "undercount_from_profiles"),
    "write_reports": ("migdata.quality.report", "write_reports"),
}

if TYPE_CHECKING:  # the same names for type checkers and editors
    from migdata.quality.dimensions import Dimension, Grade, dimension_table
    from migdata.quality.figures import heatmap
    from migdata.quality.indicators import ac3, cc1, cc1_from_ratio, cc2, r1, tp1, tp3
    from migdata.quality.profile import QualityProfile
    from migdata.quality.report import country_report, overview_report, write_reports
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

__getattr__, __dir__ = attach(__name__, _EXPORTS, __all__, clashes=("score",))
