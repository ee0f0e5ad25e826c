"""Documents an office owes, written from the same questionnaire answers and standards data.

The source inventory and who-produces-what view (:func:`source_inventory`), SIMS 2.0
reference metadata with its SDMX-ML message (:func:`sims_report`), the glossary of
harmonised definitions (:func:`glossary`) and the indicator catalogue
(:func:`indicator_catalogue`), each in English, French, Portuguese or Arabic.
"""

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
