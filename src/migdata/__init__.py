"""migdata: make national migration statistics comparable.

Map national sources to the UN definitions of international migration, score metadata
questionnaires against the ESS quality criteria, reconcile mirror statistics and write
harmonised SDMX exchange files. The public API is flat: ``import migdata`` and call
``migdata.resolve``, ``migdata.harmonise``, ``migdata.score``, ``migdata.reconcile``, ...
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("migdata")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0+unknown"

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
    ipf,
    pair_indicators,
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
    "ipf",
    "members",
    "merge_submissions",
    "pair_indicators",
    "read_answers",
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
