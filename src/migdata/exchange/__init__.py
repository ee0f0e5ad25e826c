"""Harmonised exchange files: SDMX data structures, SDMX-CSV/Parquet/Excel/datapackage writers
and readers (with Eurostat's SDMX-CSV), validation reports and the merging of submissions.
"""

from __future__ import annotations

from migdata.exchange._frame import ReadResult
from migdata.exchange._publish import round_for_publication
from migdata.exchange.merge import Bundle, merge_submissions
from migdata.exchange.registry import Format, detect_format, read, write
from migdata.exchange.structures import (
    Codelist,
    Dataflow,
    DataStructure,
    codelists,
    column_mapping,
    dataflow,
    dataflows,
)
from migdata.exchange.validate import ValidationReport, validate

__all__ = [
    "Bundle",
    "Codelist",
    "DataStructure",
    "Dataflow",
    "Format",
    "ReadResult",
    "ValidationReport",
    "codelists",
    "column_mapping",
    "dataflow",
    "dataflows",
    "detect_format",
    "merge_submissions",
    "read",
    "round_for_publication",
    "validate",
    "write",
]
