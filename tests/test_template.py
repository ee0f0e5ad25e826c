"""Tests of the questionnaire workbook writer and its round trip through the reader."""

from __future__ import annotations

import random
from pathlib import Path

import openpyxl
import pytest
from _questionnaire_fill import fill, meta_rows
from hypothesis import given, settings
from hypothesis import strategies as st

from migdata.errors import ConfigurationError
from migdata.questionnaire import bank
from migdata.questionnaire.answers import read_answers
from migdata.questionnaire.template import write_template


def test_sheets_validation_protection_and_rtl(tmp_path: Path) -> None:
    """The workbook has instructions, protected module sheets, dropdowns and RTL in Arabic."""
    out = write_template(tmp_path / "q.xlsx", lang="ar", country="Rwanda")
    wb = openpyxl.load_workbook(out)
    assert [s for s in wb.sheetnames if s in bank.MODULES] == list(bank.MODULES)
    ws = wb["IMM"]
    assert ws.sheet_view.rightToLeft is True
    assert ws.protection.sheet is True
    assert ws.freeze_panes == "A4"
    assert ws.data_validations.dataValidation, "dropdowns expected"
    rows = {key: r for sheet, r, key in meta_rows(wb) if sheet == "IMM"}
    r = rows["IMM||IMM.040"]
    assert ws.cell(r, 4).protection.locked is False  # answer open
    assert ws.cell(r, 2).protection.locked is not False  # question locked
    assert ws.cell(r, 2).value == bank.get_item("IMM.040").text["ar"]
    assert wb["_meta"].sheet_state == "veryHidden"
    assert wb["_meta"]["B2"].value == "RWA"


def test_named_sources_prefilled(tmp_path: Path) -> None:
    """Named sources get a block in every module their type serves, with type and name filled."""
    out = write_template(tmp_path / "q.xlsx", lang="fr", sources=["census:RGPH 2022"])
    ans = read_answers(out)
    t = ans.table
    names = t[(t["item_id"] == "COM.020") & (t["source_id"] == "RWA-census")]
    assert set(names["module"]) == {"STK", "IMM", "EMI", "NAB"}
    assert set(names["value"]) == {"RGPH 2022"}


def test_bad_options_refused(tmp_path: Path) -> None:
    """An unknown language or country is refused with a clear error."""
    with pytest.raises(ConfigurationError, match="language"):
        write_template(tmp_path / "q.xlsx", lang="de")
    with pytest.raises(ConfigurationError, match="country"):
        write_template(tmp_path / "q.xlsx", country="Atlantis")


@settings(max_examples=6, deadline=None)
@given(lang=st.sampled_from(bank.LANGUAGES), seed=st.integers(0, 2**32 - 1))
def test_round_trip_generated_answers(
    tmp_path_factory: pytest.TempPathFactory, lang: str, seed: int
) -> None:
    """A template filled with generated answers reads back to exactly those answers."""
    path = write_template(tmp_path_factory.mktemp("rt") / "q.xlsx", lang=lang, country="KEN")
    expected = fill(path, lang, random.Random(seed))
    ans = read_answers(path)
    assert ans.country == "KEN" and ans.language == lang
    assert ans.problems.empty, ans.problems.to_string()
    got = {(r.module, r.source_id, r.item_id): (r.status, r.value) for r in ans.table.itertuples()}
    for key, (status, value) in expected.items():
        if status == "blank":
            assert got.get(key, ("missing", ""))[0] in ("missing", "not_applicable"), key
            continue
        assert got[key] == (status, value), key
    levels = ans.table["level"].dropna()
    assert levels.between(0, 3).all()


def test_default_template_modules_have_30_to_50_questions(tmp_path: Path) -> None:
    """A default workbook has one source block and 30-50 questions per module (options inside)."""
    wb = openpyxl.load_workbook(write_template(tmp_path / "q.xlsx", lang="en", country="RWA"))
    ids = {it.id for it in bank.all_items()}
    for module in bank.MODULES:
        ws = wb[module]
        questions = [r for r in range(1, ws.max_row + 1) if ws.cell(r, 1).value in ids]
        keys = [k for sheet, _, k in meta_rows(wb) if sheet == module]
        sources = {k.split("|")[1] for k in keys if k.endswith("|#source") and k.split("|")[1]}
        assert sources == {f"RWA-{module}-S1"}, module
        # Option rows (multiple choice) carry no item id in column A: part of their question.
        assert len(questions) == sum(1 for k in keys if "#" not in k), module
        assert 30 <= len(questions) <= 50, (module, len(questions))


def test_instructions_explain_how_to_add_a_source(tmp_path: Path) -> None:
    """Every language tells how to describe a second source: name it with --sources."""
    how_to = bank.labels()["ui"]["how_to"]
    for lang in bank.LANGUAGES:
        assert "migdata questionnaire template" in how_to[lang], lang
        assert f"--lang {lang} --sources" in how_to[lang], lang
    wb = openpyxl.load_workbook(write_template(tmp_path / "q.xlsx", lang="pt", country="RWA"))
    sheet = wb[bank.labels()["ui"]["instructions_sheet"]["pt"]]
    texts = [c.value for row in sheet.iter_rows() for c in row if isinstance(c.value, str)]
    assert any("«Fonte 1 de 1»" in t and "--sources" in t for t in texts)
