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
    "Harmonised",
    "Permits",
    "RegisterFlows",
    "SourceProfile",
    "SourceType",
    "admission_categories",
    "census_stocks",
    "classify_cards",
    "compliance",
    "compliance_table",
    "correct_duration",
    "coverage_matrix",
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
    "valid_permits",
    "write_profiles",
]
