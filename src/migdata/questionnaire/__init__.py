"""The migration metadata questionnaire: item bank, workbook, XLSForm, answers and facts.

Public names are loaded on first use (PEP 562), so importing the package stays light.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from migdata._lazy import attach

# Public name -> (defining module, attribute), imported on first use and then kept.
_EXPORTS: dict[str, tuple[str, str]] = {
    "Answers": ("migdata.questionnaire.answers", "Answers"),
    "bank_version": ("migdata.questionnaire.bank", "bank_version"),
    "items": ("migdata.questionnaire.bank", "items"),
    "loadings": ("migdata.questionnaire.bank", "loadings"),
    "options": ("migdata.questionnaire.bank", "options"),
    "parse_duration": ("migdata.questionnaire.answers", "parse_duration"),
    "profiles": ("migdata.questionnaire.facts", "profiles"),
    "read_answers": ("migdata.questionnaire.answers", "read_answers"),
    "to_xlsform": ("migdata.questionnaire.xlsform", "to_xlsform"),
    "write_template": ("migdata.questionnaire.template", "write_template"),
}

if TYPE_CHECKING:  # the same names for type checkers and editors
    from migdata.questionnaire.answers import Answers, parse_duration, read_answers
    from migdata.questionnaire.bank import bank_version, items, loadings, options
    from migdata.questionnaire.facts import profiles
    from migdata.questionnaire.template import write_template
    from migdata.questionnaire.xlsform import to_xlsform


__all__ = [
    "Answers",
    "bank_version",
    "items",
    "loadings",
    "options",
    "parse_duration",
    "profiles",
    "read_answers",
    "to_xlsform",
    "write_template",
]

__getattr__, __dir__ = attach(__name__, _EXPORTS, __all__)
