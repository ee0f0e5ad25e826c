"""National sources mapped to the UN definitions: source profiles, compliance, duration
correction, microdata rules (border crossings, cards, census, registers, permits)."""

from __future__ import annotations

from migdata.sources.duration import (
    DURATION_TABLES,
    PERMANENT_MONTHS,
    duration_factor,
    duration_table,
)

__all__ = ["DURATION_TABLES", "PERMANENT_MONTHS", "duration_factor", "duration_table"]
