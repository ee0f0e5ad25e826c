"""The migration metadata questionnaire: item bank, workbook, XLSForm, answers and facts."""

from __future__ import annotations

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
