"""Harmonised exchange files: SDMX data structures, SDMX-CSV/Parquet/Excel/datapackage writers
and readers (with Eurostat's SDMX-CSV), validation reports and the merging of submissions.

Public names are loaded on first use (PEP 562), so importing the package stays light.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from migdata._lazy import attach

# Public name -> (defining module, attribute), imported on first use and then kept.
_EXPORTS: dict[str, tuple[str, str]] = {
    "Bundle": ("migdata.exchange.merge", "Bundle"),
    "Codelist": ("migdata.exchange.structures", "Codelist"),
    "DataStructure": ("migdata.exchange.structures", "DataStructure"),
    "Dataflow": ("migdata.exchange.structures", "Dataflow"),
    "Format": ("migdata.exchange.registry", "Format"),
    "ReadResult": ("migdata.exchange._frame", "ReadResult"),
    "ValidationReport": ("migdata.exchange.validate", "ValidationReport"),
    "codelists": ("migdata.exchange.structures", "codelists"),
    "column_mapping": ("migdata.exchange.structures", "column_mapping"),
    "dataflow": ("migdata.exchange.structures", "dataflow"),
    "dataflows": ("migdata.exchange.structures", "dataflows"),
    "detect_format": ("migdata.exchange.registry", "detect_format"),
    "merge_submissions": ("migdata.exchange.merge", "merge_submissions"),
    "read": ("migdata.exchange.registry", "read"),
    "round_for_publication": ("migdata.exchange._publish", "round_for_publication"),
    "validate": ("migdata.exchange.validate", "validate"),
    "write": ("migdata.exchange.registry", "write"),
}

if TYPE_CHECKING:  # the same names for type checkers and editors
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

__getattr__, __dir__ = attach(__name__, _EXPORTS, __all__, clashes=("validate",))
