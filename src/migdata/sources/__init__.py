"""National sources mapped to the UN definitions: source profiles, compliance, duration
correction, microdata rules (border crossings, cards, census, registers, permits).

Public names are loaded on first use (PEP 562), so importing the package stays light.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from migdata._lazy import attach

# Public name -> (defining module, attribute), imported on first use and then kept.
_EXPORTS: dict[str, tuple[str, str]] = {
    "CardClass": ("migdata.sources.cards", "CardClass"),
    "Cards": ("migdata.sources.cards", "Cards"),
    "Census": ("migdata.sources.census", "Census"),
    "Compliance": ("migdata.sources.compliance", "Compliance"),
    "ComplianceClass": ("migdata.sources.compliance", "ComplianceClass"),
    "Crossings": ("migdata.sources.crossings", "Crossings"),
    "DURATION_TABLES": ("migdata.sources.duration", "DURATION_TABLES"),
    "Harmonised": ("migdata.sources.harmonise", "Harmonised"),
    "PERMANENT_MONTHS": ("migdata.sources.duration", "PERMANENT_MONTHS"),
    "Permits": ("migdata.sources.permits", "Permits"),
    "RegisterFlows": ("migdata.sources.registers", "RegisterFlows"),
    "SourceProfile": ("migdata.sources.profile", "SourceProfile"),
    "SourceType": ("migdata.sources.catalogue", "SourceType"),
    "TieRule": ("migdata.sources.crossings", "TieRule"),
    "admission_categories": ("migdata.sources.permits", "admission_categories"),
    "census_stocks": ("migdata.sources.census", "census_stocks"),
    "classify_cards": ("migdata.sources.cards", "classify_cards"),
    "classify_crossings": ("migdata.sources.crossings", "classify_crossings"),
    "compliance": ("migdata.sources.compliance", "compliance"),
    "compliance_table": ("migdata.sources.compliance", "compliance_table"),
    "correct_duration": ("migdata.sources.duration", "correct_duration"),
    "coverage_matrix": ("migdata.sources.catalogue", "coverage_matrix"),
    "crossing_flows_to_harmonised": ("migdata.sources.crossings", "crossing_flows_to_harmonised"),
    "duration_factor": ("migdata.sources.duration", "duration_factor"),
    "duration_table": ("migdata.sources.duration", "duration_table"),
    "first_permits": ("migdata.sources.permits", "first_permits"),
    "harmonise": ("migdata.sources.harmonise", "harmonise"),
    "read_profiles": ("migdata.sources.profile", "read_profiles"),
    "register_flows": ("migdata.sources.registers", "register_flows"),
    "register_undercount": ("migdata.sources.compliance", "register_undercount"),
    "source_type": ("migdata.sources.catalogue", "source_type"),
    "source_types": ("migdata.sources.catalogue", "source_types"),
    "tabulate_cards": ("migdata.sources.cards", "tabulate_cards"),
    "tabulate_crossings": ("migdata.sources.crossings", "tabulate_crossings"),
    "valid_permits": ("migdata.sources.permits", "valid_permits"),
    "write_profiles": ("migdata.sources.profile", "write_profiles"),
}

if TYPE_CHECKING:  # the same names for type checkers and editors
    from migdata.sources.cards import CardClass, Cards, classify_cards, tabulate_cards
    from migdata.sources.catalogue import SourceType, coverage_matrix, source_type, source_types
    from migdata.sources.census import Census, census_stocks
    from migdata.sources.compliance import (
        Compliance,
        ComplianceClass,
        compliance,
        compliance_table,
        register_undercount,
    )
    from migdata.sources.crossings import (
        Crossings,
        TieRule,
        classify_crossings,
        crossing_flows_to_harmonised,
        tabulate_crossings,
    )
    from migdata.sources.duration import (
        DURATION_TABLES,
        PERMANENT_MONTHS,
        correct_duration,
        duration_factor,
        duration_table,
    )
    from migdata.sources.harmonise import Harmonised, harmonise
    from migdata.sources.permits import Permits, admission_categories, first_permits, valid_permits
    from migdata.sources.profile import SourceProfile, read_profiles, write_profiles
    from migdata.sources.registers import RegisterFlows, register_flows


__all__ = [
    "DURATION_TABLES",
    "PERMANENT_MONTHS",
    "CardClass",
    "Cards",
    "Census",
    "Compliance",
    "ComplianceClass",
    "Crossings",
    "Harmonised",
    "Permits",
    "RegisterFlows",
    "SourceProfile",
    "SourceType",
    "TieRule",
    "admission_categories",
    "census_stocks",
    "classify_cards",
    "classify_crossings",
    "compliance",
    "compliance_table",
    "correct_duration",
    "coverage_matrix",
    "crossing_flows_to_harmonised",
    "duration_factor",
    "duration_table",
    "first_permits",
    "harmonise",
    "read_profiles",
    "register_flows",
    "register_undercount",
    "source_type",
    "source_types",
    "tabulate_cards",
    "tabulate_crossings",
    "valid_permits",
    "write_profiles",
]

__getattr__, __dir__ = attach(
    __name__,
    _EXPORTS,
    __all__,
    clashes=(
        "compliance",
        "harmonise",
    ),
)
