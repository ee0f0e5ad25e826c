"""Documents an office owes, written from the same questionnaire answers and standards data.

The source inventory and who-produces-what view (:func:`source_inventory`), SIMS 2.0
reference metadata with its SDMX-ML message (:func:`sims_report`), the glossary of
harmonised definitions (:func:`glossary`) and the indicator catalogue
(:func:`indicator_catalogue`), each in English, French, Portuguese or Arabic.

Public names are loaded on first use (PEP 562), so importing the package stays light.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from migdata._lazy import attach

# Public name -> (defining module, attribute), imported on first use and then kept.
_EXPORTS: dict[str, tuple[str, str]] = {
    "Document": ("migdata.metadata.terms", "Document"),
    "Inventory": ("migdata.metadata.inventory", "Inventory"),
    "SimsReport": ("migdata.metadata.sims", "SimsReport"),
    "glossary": ("migdata.metadata.terms", "glossary"),
    "indicator_catalogue": ("migdata.metadata.terms", "indicator_catalogue"),
    "sims_report": ("migdata.metadata.sims", "sims_report"),
    "source_inventory": ("migdata.metadata.inventory", "source_inventory"),
}

if TYPE_CHECKING:  # the same names for type checkers and editors
    from migdata.metadata.inventory import Inventory, source_inventory
    from migdata.metadata.sims import SimsReport, sims_report
    from migdata.metadata.terms import Document, glossary, indicator_catalogue


__all__ = [
    "Document",
    "Inventory",
    "SimsReport",
    "glossary",
    "indicator_catalogue",
    "sims_report",
    "source_inventory",
]

__getattr__, __dir__ = attach(__name__, _EXPORTS, __all__)
