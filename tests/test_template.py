"""Tests of the questionnaire workbook writer and its round trip through the reader."""

from __future__ import annotations

import random
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from _questionnaire_fill import fill, meta_rows
from hypothesis import given, settings
from hypothesis import strategies as st

from migdata.errors import ConfigurationError
from migdata.questionnaire import bank
from migdata.questionnaire._layout import sheet_name
from migdata.questionnaire.answers import read_answers
from migdata.questionnaire.template import write_template


def test_sheets_validation_protection_and_rtl(tmp_path: Path) -> None:
    """The workbook has instructions, protected module sheets, dropdowns and RTL in Arabic."""
    out = write_template(tmp_path / "q.xlsx", lang="ar", country="Rwanda")
    wb = openpyxl.load_workbook(out)
    tabs = [sheet_name(m, "ar") for m in bank.MODULES]
    assert [s for s in wb.sheetnames if s in tabs] == tabs
    ws = wb[sheet_name("IMM", "ar")]
    assert ws.sheet_view.rightToLeft is True
    assert ws.protection.sheet is True
    assert ws.freeze_panes == "A4"
    assert ws.data_validations.dataValidation, "dropdowns expected"
    rows = {key: r for sheet, r, key in meta_rows(wb) if sheet == ws.title}
    r = rows["IMM||IMM.040"]
    assert ws.cell(r, 4).protection.locked is False  # answer open
    assert ws.cell(r, 2).protection.locked is not False  # question locked
    assert ws.cell(r, 2).value.strip("\u200f") == bank.get_item("IMM.040").text["ar"]
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
        ws = wb[sheet_name(module, "en")]
        questions = [r for r in range(1, ws.max_row + 1) if ws.cell(r, 1).value in ids]
        keys = [k for sheet, _, k in meta_rows(wb) if sheet == ws.title]
        sources = {k.split("|")[1] for k in keys if k.endswith("|#source") and k.split("|")[1]}
        assert sources == {f"RWA-{module}-S1"}, module
        # Option rows (multiple choice) carry no item id in column A: part of their question.
        assert len(questions) == sum(1 for k in keys if "#" not in k), module
        assert 30 <= len(questions) <= 50, (module, len(questions))


def test_instructions_explain_how_to_add_a_source(tmp_path: Path) -> None:
    """Every language tells how to describe a second source: ask for a workbook naming it."""
    wb = openpyxl.load_workbook(write_template(tmp_path / "q.xlsx", lang="pt", country="RWA"))
    sheet = wb[bank.labels()["ui"]["instructions_sheet"]["pt"]]
    texts = [c.value for row in sheet.iter_rows() for c in row if isinstance(c.value, str)]
    assert any("«Fonte 1 de 1»" in t and "Secretariado um ficheiro que nomeie" in t for t in texts)


def _texts(wb: openpyxl.Workbook) -> list[str]:
    return [
        str(c.value)
        for ws in wb.worksheets
        if ws.sheet_state == "visible"
        for row in ws.iter_rows()
        for c in row
        if isinstance(c.value, str)
    ]


@pytest.mark.parametrize("lang", bank.LANGUAGES)
def test_tabs_in_the_language_read_back_identically(tmp_path: Path, lang: str) -> None:
    """Module tabs carry the workbook's language; the reader finds every answer on them."""
    path = write_template(tmp_path / "q.xlsx", lang=lang, country="EGY")
    wb = openpyxl.load_workbook(path)
    tabs = [sheet_name(m, lang) for m in bank.MODULES]
    assert wb.sheetnames[1 : 1 + len(tabs)] == tabs
    assert bank.labels()["ui"]["glossary_sheet"][lang] in wb.sheetnames
    if lang != "en":
        assert not set(bank.MODULES) & set(wb.sheetnames)
    expected = fill(path, lang, random.Random(13))
    ans = read_answers(path)
    assert ans.problems.empty, ans.problems.to_string()
    got = {(r.module, r.source_id, r.item_id): (r.status, r.value) for r in ans.table.itertuples()}
    for key, (status, value) in expected.items():
        if status != "blank":
            assert got[key] == (status, value), key
    # The same answers under the English codes as tabs (an older workbook) read the same.
    wb = openpyxl.load_workbook(path)
    for m in bank.MODULES:
        wb[sheet_name(m, lang)].title = m
    wb.save(tmp_path / "codes.xlsx")
    again = read_answers(tmp_path / "codes.xlsx")
    cols = ["module", "source_id", "item_id", "status", "value"]
    pd.testing.assert_frame_equal(again.table[cols], ans.table[cols])


@pytest.mark.parametrize("lang", bank.LANGUAGES)
def test_workbook_a_clerk_fills_alone(tmp_path: Path, lang: str) -> None:
    """No placeholder, command line or formula text; A4; the contact only when given."""
    plain = openpyxl.load_workbook(write_template(tmp_path / "a.xlsx", lang=lang, country="EGY"))
    texts = _texts(plain)
    joined = "\n".join(texts)
    for bad in ("[", "]", "--", "migdata", "Rwanda", "Ruanda", "رواندا", "{", ".xlsx"):
        assert bad not in joined, bad
    assert not [t for t in texts if t.startswith("=")]
    for ws in plain.worksheets:
        if ws.sheet_state == "visible":
            assert int(ws.page_setup.paperSize) == 9, ws.title  # A4
    contact = "Jane Doe, jdoe@example.org, +260 211 000000"
    given = openpyxl.load_workbook(
        write_template(tmp_path / "b.xlsx", lang=lang, country="EGY", contact=contact)
    )
    assert any(contact in t for t in _texts(given))
    assert not any("@" in t for t in texts)


def test_only_answer_cells_are_yellow_and_arabic_reads_right_to_left(tmp_path: Path) -> None:
    """Yellow marks exactly the cells that take an answer (not a multiple-choice question row)."""
    wb = openpyxl.load_workbook(write_template(tmp_path / "q.xlsx", lang="ar", country="EGY"))
    yellow = "00FFF2CC"
    for sheet, r, key in meta_rows(wb):
        ws = wb[sheet]
        item = key.split("|")[2]
        if item == "#source":
            continue
        cells = {c: ws.cell(r, c).fill.fgColor.rgb for c in range(1, 7)}
        coloured = {c for c, rgb in cells.items() if rgb == yellow}
        is_question_of_multiple = "#" not in item and bank.get_item(item).type == "multiple"
        assert coloured == (set() if is_question_of_multiple else {4}), key
        question = ws.cell(r, 2)
        assert question.alignment.readingOrder == 2, key
        assert question.value.startswith("\u200f") and question.value.endswith("\u200f"), key
    glossary = wb[bank.labels()["ui"]["glossary_sheet"]["ar"]]
    assert glossary.sheet_view.rightToLeft is True
    assert glossary.max_row > 20


def test_glossary_sheet_in_the_language(tmp_path: Path) -> None:
    """The Glossary sheet lists migdata.glossary(lang) and the instructions link to it."""
    from migdata import glossary

    wb = openpyxl.load_workbook(write_template(tmp_path / "q.xlsx", lang="fr", country="RWA"))
    ws = wb["Glossaire"]
    terms = [ws.cell(r, 1).value for r in range(4, ws.max_row + 1)]
    assert terms == list(glossary("fr").table["term"])
    links = [
        c.hyperlink.location for row in wb["Instructions"].iter_rows() for c in row if c.hyperlink
    ]
    assert "'Glossaire'!A1" in links


def test_headers_and_labels_fit_their_cells(tmp_path: Path) -> None:
    """Column headers and instruction labels fit their width or have rows tall enough to wrap."""
    for lang in bank.LANGUAGES:
        wb = openpyxl.load_workbook(write_template(tmp_path / f"{lang}.xlsx", lang=lang))
        ws = wb[sheet_name("STK", lang)]
        for c in range(1, 7):
            header = ws.cell(3, c).value.strip("\u200f")
            width = ws.column_dimensions[openpyxl.utils.get_column_letter(c)].width
            assert max(len(w) for w in header.split()) < width, (lang, header)
        ins = wb.worksheets[0]
        label = ins.cell(6, 1).value
        lines = -(-len(label) // int(ins.column_dimensions["A"].width - 4))
        assert ins.row_dimensions[6].height >= 15 * lines, lang
