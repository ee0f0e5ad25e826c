"""Harmonised exchange files: SDMX data structures, SDMX-CSV/Parquet/Excel/datapackage writers
and readers (with Eurostat's SDMX-CSV), validation reports and the merging of submissions.

Public names are loaded on first use (PEP 562), so importing the package stays light.
"""

from __future__ import annotations

import importlib
import sys
import types
from typing import TYPE_CHECKING, Any

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


def __getattr__(name: str) -> Any:
    try:
        module, attribute = _EXPORTS[name]
    except KeyError:
        # A submodule used as an attribute (package.module.function) is imported too.
        try:
            value = importlib.import_module(f"{__name__}.{name}")
        except ModuleNotFoundError:
            raise AttributeError(f"module {__name__!r} has no attribute {name!r}") from None
        globals()[name] = value
        return value
    value = getattr(importlib.import_module(module), attribute)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))


# Names that are also submodules: importing the submodule must not replace the function
# (as with the eager imports this package had before, the name stays the function).
_CLASHES = frozenset({"validate"})


class _Package(types.ModuleType):
    def __setattr__(self, name: str, value: Any) -> None:
        if name in _CLASHES and isinstance(value, types.ModuleType):
            return
        super().__setattr__(name, value)


sys.modules[__name__].__class__ = _Package


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
