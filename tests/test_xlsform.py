"""Tests of the XLSForm export."""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pytest
from pyxform.xls2xform import convert

from migdata.questionnaire import bank
from migdata.questionnaire.xlsform import to_xlsform


@pytest.mark.parametrize("lang", ["en", "ar"])
def test_pyxform_converts(tmp_path: Path, lang: str) -> None:
    """pyxform converts the exported form without error, with repeats and relevance."""
    out = to_xlsform(tmp_path / "form.xlsx", lang=lang)
    xform = convert(xlsform=str(out)).xform
    assert "IMM_sources" in xform
    assert "selected(" in xform or "IMM_COM_010" in xform


def test_four_languages_and_every_item(tmp_path: Path) -> None:
    """Every item appears once per module (repeats for common items) with four labels."""
    out = to_xlsform(tmp_path / "form.xlsx")
    ws = openpyxl.load_workbook(out)["survey"]
    header = [c.value for c in ws[1]]
    assert [h for h in header if str(h).startswith("label::")] == [
        "label::English (en)",
        "label::Français (fr)",
        "label::Português (pt)",
        "label::العربية (ar)",
    ]
    names = {r[1] for r in ws.iter_rows(min_row=2, values_only=True)}
    items = bank.items()
    n_common = int((items["module"] == "COM").sum())
    expected = {i.replace(".", "_") for i in items.loc[items["module"] != "COM", "id"]}
    assert expected <= names
    assert sum(1 for n in names if n and "_COM_" in n) == n_common * len(bank.MODULES)
    rel = {r[1]: r[header.index("relevant")] for r in ws.iter_rows(min_row=2, values_only=True)}
    assert rel["IMM_COM_300"] == (
        "(${IMM_COM_010} = 'population_register' or ${IMM_COM_010} = 'foreigners_register')"
    )
