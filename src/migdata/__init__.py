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
from migdata.exchange import (
    Bundle,
    ValidationReport,
    codelists,
    dataflow,
    dataflows,
    merge_submissions,
)
from migdata.exchange import read as read_exchange
from migdata.exchange import validate as validate_exchange
from migdata.exchange import write as write_exchange
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
    "Harmonised",
    "IPFResult",
    "InputError",
    "Method",
    "MigdataError",
    "MirrorTable",
    "ModelError",
    "QualityProfile",
    "Reconciliation",
    "Resolution",
    "SourceProfile",
    "Target",
    "ValidationError",
    "ValidationReport",
    "Weights",
    "__version__",
    "admission_categories",
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
    "flows_plot",
    "groups",
    "harmonise",
    "heatmap",
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
    "register_flows",
    "resolution_report",
    "resolve",
    "resolve_detailed",
    "score",
    "score_folder",
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
