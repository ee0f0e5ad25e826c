"""National sources mapped to the UN definitions: source profiles, compliance, duration
correction, microdata rules (border crossings, cards, census, registers, permits)."""

from __future__ import annotations

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
