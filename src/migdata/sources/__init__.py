"""National sources mapped to the UN definitions: source profiles, compliance, duration
correction, microdata rules (border crossings, cards, census, registers, permits)."""

from __future__ import annotations

from migdata.sources.catalogue import SourceType, coverage_matrix, source_type, source_types
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
from migdata.sources.profile import SourceProfile, read_profiles, write_profiles

__all__ = [
    "DURATION_TABLES",
    "PERMANENT_MONTHS",
    "Compliance",
    "ComplianceClass",
    "Harmonised",
    "SourceProfile",
    "SourceType",
    "compliance",
    "compliance_table",
    "correct_duration",
    "coverage_matrix",
    "duration_factor",
    "duration_table",
    "harmonise",
    "read_profiles",
    "register_undercount",
    "source_type",
    "source_types",
    "write_profiles",
]
