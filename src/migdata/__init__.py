"""migdata: make national migration statistics comparable.

Map national sources to the UN definitions of international migration, score metadata
questionnaires against the ESS quality criteria, reconcile mirror statistics and write
harmonised SDMX exchange files. The public API is flat: ``import migdata`` and call
``migdata.resolve``, ``migdata.harmonise``, ``migdata.score``, ``migdata.reconcile``, ...

Public names are loaded on first use (PEP 562), so importing the package stays light.
"""

from __future__ import annotations

import importlib
from importlib.metadata import PackageNotFoundError, version
from typing import TYPE_CHECKING, Any

try:
    __version__ = version("migdata")
except PackageNotFoundError:
    __version__ = "0+unknown"

# Public name -> (defining module, attribute), imported on first use and then kept.
_EXPORTS: dict[str, tuple[str, str]] = {
    "Answers": ("migdata.questionnaire", "Answers"),
    "Bundle": ("migdata.exchange", "Bundle"),
    "CodeList": ("migdata.countries", "CodeList"),
    "Compliance": ("migdata.sources", "Compliance"),
    "ComplianceClass": ("migdata.sources", "ComplianceClass"),
    "ConfigurationError": ("migdata.errors", "ConfigurationError"),
    "Crossings": ("migdata.sources", "Crossings"),
    "DependencyError": ("migdata.errors", "DependencyError"),
    "Dimension": ("migdata.quality", "Dimension"),
    "EXCLUDED_PURPOSES": ("migdata.standards", "EXCLUDED_PURPOSES"),
    "FlowsFromStocks": ("migdata.estimate", "FlowsFromStocks"),
    "Harmonised": ("migdata.sources", "Harmonised"),
    "IPFResult": ("migdata.mirror", "IPFResult"),
    "InputError": ("migdata.errors", "InputError"),
    "Inventory": ("migdata.metadata", "Inventory"),
    "Method": ("migdata.mirror", "Method"),
    "MigdataError": ("migdata.errors", "MigdataError"),
    "MirrorTable": ("migdata.mirror", "MirrorTable"),
    "ModelError": ("migdata.errors", "ModelError"),
    "Project": ("migdata.project", "Project"),
    "QualityProfile": ("migdata.quality", "QualityProfile"),
    "Reconciliation": ("migdata.mirror", "Reconciliation"),
    "Resolution": ("migdata.countries", "Resolution"),
    "RunResult": ("migdata.project", "RunResult"),
    "SimsReport": ("migdata.metadata", "SimsReport"),
    "SourceProfile": ("migdata.sources", "SourceProfile"),
    "Target": ("migdata.standards", "Target"),
    "ValidationError": ("migdata.errors", "ValidationError"),
    "ValidationReport": ("migdata.exchange", "ValidationReport"),
    "Weights": ("migdata.mirror", "Weights"),
    "admission_categories": ("migdata.standards", "admission_categories"),
    "bilateral_net": ("migdata.estimate", "bilateral_net"),
    "cc1": ("migdata.quality", "cc1"),
    "cc1_heatmap": ("migdata.mirror", "cc1_heatmap"),
    "census_stocks": ("migdata.sources", "census_stocks"),
    "classify_cards": ("migdata.sources", "classify_cards"),
    "classify_crossings": ("migdata.sources", "classify_crossings"),
    "code_list": ("migdata.countries", "code_list"),
    "codelists": ("migdata.exchange", "codelists"),
    "compliance": ("migdata.sources", "compliance"),
    "convert": ("migdata.countries", "convert"),
    "correct_duration": ("migdata.sources", "correct_duration"),
    "country_aggregates": ("migdata.mirror", "country_aggregates"),
    "dataflow": ("migdata.exchange", "dataflow"),
    "dataflows": ("migdata.exchange", "dataflows"),
    "duration_factor": ("migdata.sources", "duration_factor"),
    "factor_plot": ("migdata.mirror", "factor_plot"),
    "first_permits": ("migdata.sources", "first_permits"),
    "flows_from_stocks": ("migdata.estimate", "flows_from_stocks"),
    "flows_plot": ("migdata.mirror", "flows_plot"),
    "glossary": ("migdata.metadata", "glossary"),
    "groups": ("migdata.countries", "groups"),
    "harmonise": ("migdata.sources", "harmonise"),
    "heatmap": ("migdata.quality", "heatmap"),
    "index_connectivity": ("migdata.estimate", "index_connectivity"),
    "index_distance": ("migdata.estimate", "index_distance"),
    "index_impact": ("migdata.estimate", "index_impact"),
    "index_intensity": ("migdata.estimate", "index_intensity"),
    "indicator_catalogue": ("migdata.metadata", "indicator_catalogue"),
    "init_project": ("migdata.project", "init_project"),
    "interval_plot": ("migdata.mirror", "interval_plot"),
    "ipf": ("migdata.mirror", "ipf"),
    "members": ("migdata.countries", "members"),
    "merge_submissions": ("migdata.exchange", "merge_submissions"),
    "pair_indicators": ("migdata.mirror", "pair_indicators"),
    "read_answers": ("migdata.questionnaire", "read_answers"),
    "read_covariates": ("migdata.mirror", "read_covariates"),
    "read_exchange": ("migdata.exchange", "read"),
    "read_profiles": ("migdata.sources", "read_profiles"),
    "read_register_rules": ("migdata.quality", "read_register_rules"),
    "reconcile": ("migdata.mirror", "reconcile"),
    "region_totals": ("migdata.estimate", "region_totals"),
    "register_flows": ("migdata.sources", "register_flows"),
    "resolution_report": ("migdata.countries", "resolution_report"),
    "resolve": ("migdata.countries", "resolve"),
    "resolve_detailed": ("migdata.countries", "resolve_detailed"),
    "round_for_publication": ("migdata.exchange", "round_for_publication"),
    "score": ("migdata.quality", "score"),
    "score_folder": ("migdata.quality", "score_folder"),
    "sims_report": ("migdata.metadata", "sims_report"),
    "source_inventory": ("migdata.metadata", "source_inventory"),
    "source_types": ("migdata.sources", "source_types"),
    "tabulate_cards": ("migdata.sources", "tabulate_cards"),
    "tabulate_crossings": ("migdata.sources", "tabulate_crossings"),
    "target": ("migdata.standards", "target"),
    "targets": ("migdata.standards", "targets"),
    "to_xlsform": ("migdata.questionnaire", "to_xlsform"),
    "undercount_index": ("migdata.mirror", "undercount_index"),
    "valid_permits": ("migdata.sources", "valid_permits"),
    "validate_exchange": ("migdata.exchange", "validate"),
    "write_exchange": ("migdata.exchange", "write"),
    "write_reports": ("migdata.quality", "write_reports"),
    "write_template": ("migdata.questionnaire", "write_template"),
    "year_summary": ("migdata.mirror", "year_summary"),
}

if TYPE_CHECKING:  # the same names for type checkers and editors
    from migdata.countries import (
        CodeList,
        Resolution,
        code_list,
        convert,
        groups,
        members,
        resolution_report,
        resolve,
        resolve_detailed,
    )
    from migdata.errors import (
        ConfigurationError,
        DependencyError,
        InputError,
        MigdataError,
        ModelError,
        ValidationError,
    )
    from migdata.estimate import (
        FlowsFromStocks,
        bilateral_net,
        flows_from_stocks,
        index_connectivity,
        index_distance,
        index_impact,
        index_intensity,
        region_totals,
    )
    from migdata.exchange import (
        Bundle,
        ValidationReport,
        codelists,
        dataflow,
        dataflows,
        merge_submissions,
        round_for_publication,
    )
    from migdata.exchange import read as read_exchange
    from migdata.exchange import validate as validate_exchange
    from migdata.exchange import write as write_exchange
    from migdata.metadata import (
        Inventory,
        SimsReport,
        glossary,
        indicator_catalogue,
        sims_report,
        source_inventory,
    )
    from migdata.mirror import (
        IPFResult,
        Method,
        MirrorTable,
        Reconciliation,
        Weights,
        cc1_heatmap,
        country_aggregates,
        factor_plot,
        flows_plot,
        interval_plot,
        ipf,
        pair_indicators,
        read_covariates,
        reconcile,
        undercount_index,
        year_summary,
    )
    from migdata.project import Project, RunResult, init_project
    from migdata.quality import (
        Dimension,
        QualityProfile,
        cc1,
        heatmap,
        read_register_rules,
        score,
        score_folder,
        write_reports,
    )
    from migdata.questionnaire import Answers, read_answers, to_xlsform, write_template
    from migdata.sources import (
        Compliance,
        ComplianceClass,
        Crossings,
        Harmonised,
        SourceProfile,
        census_stocks,
        classify_cards,
        classify_crossings,
        compliance,
        correct_duration,
        duration_factor,
        first_permits,
        harmonise,
        read_profiles,
        register_flows,
        source_types,
        tabulate_cards,
        tabulate_crossings,
        valid_permits,
    )
    from migdata.standards import EXCLUDED_PURPOSES, Target, admission_categories, target, targets


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


__all__ = [
    "EXCLUDED_PURPOSES",
    "Answers",
    "Bundle",
    "CodeList",
    "Compliance",
    "ComplianceClass",
    "ConfigurationError",
    "Crossings",
    "DependencyError",
    "Dimension",
    "FlowsFromStocks",
    "Harmonised",
    "IPFResult",
    "InputError",
    "Inventory",
    "Method",
    "MigdataError",
    "MirrorTable",
    "ModelError",
    "Project",
    "QualityProfile",
    "Reconciliation",
    "Resolution",
    "RunResult",
    "SimsReport",
    "SourceProfile",
    "Target",
    "ValidationError",
    "ValidationReport",
    "Weights",
    "__version__",
    "admission_categories",
    "bilateral_net",
    "cc1",
    "cc1_heatmap",
    "census_stocks",
    "classify_cards",
    "classify_crossings",
    "code_list",
    "codelists",
    "compliance",
    "convert",
    "correct_duration",
    "country_aggregates",
    "dataflow",
    "dataflows",
    "duration_factor",
    "factor_plot",
    "first_permits",
    "flows_from_stocks",
    "flows_plot",
    "glossary",
    "groups",
    "harmonise",
    "heatmap",
    "index_connectivity",
    "index_distance",
    "index_impact",
    "index_intensity",
    "indicator_catalogue",
    "init_project",
    "interval_plot",
    "ipf",
    "members",
    "merge_submissions",
    "pair_indicators",
    "read_answers",
    "read_covariates",
    "read_exchange",
    "read_profiles",
    "read_register_rules",
    "reconcile",
    "region_totals",
    "register_flows",
    "resolution_report",
    "resolve",
    "resolve_detailed",
    "round_for_publication",
    "score",
    "score_folder",
    "sims_report",
    "source_inventory",
    "source_types",
    "tabulate_cards",
    "tabulate_crossings",
    "target",
    "targets",
    "to_xlsform",
    "undercount_index",
    "valid_permits",
    "validate_exchange",
    "write_exchange",
    "write_reports",
    "write_template",
    "year_summary",
]
