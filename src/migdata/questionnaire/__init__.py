"""The migration metadata questionnaire: item bank, workbook, XLSForm, answers and facts."""

from __future__ import annotations

from migdata.questionnaire.bank import bank_version, items, loadings, options

__all__ = ["bank_version", "items", "loadings", "options"]
