"""National sources mapped to the UN definitions: source profiles, compliance, duration
correction, microdata rules (border crossings, cards, census, registers, permits)."""

from __future__ import annotations

from migdata.sources.catalogue import SourceType, coverage_matrix, source_type, source_types
from migdata.sources.duration import (
    DURATION_TABLES,
    PERMANENT_MONTHS,
    duration_factor,
    duration_table,
)
from migdata.sources.profile import SourceProfile, read_profiles, write_profiles

__all__ = [
    "DURATION_TABLES",
    "PERMANENT_MONTHS",
    "SourceProfile",
    "SourceType",
    "coverage_matrix",
    "duration_factor",
    "duration_table",
    "read_profiles",
    "source_type",
    "source_types",
    "write_profiles",
]
