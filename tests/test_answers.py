"""Tests of reading returned questionnaires: edited workbooks, CSV exports, bad files."""

from __future__ import annotations

import csv
import random
import re
import zipfile
from pathlib import Path

import openpyxl
import pytest
from _questionnaire_fill import fill, meta_rows

from migdata.errors import InputError
from migdata.questionnaire import _xlsx_reader, bank
from migdata.questionnaire._layout import module_of_sheet, sheet_name
from migdata.questionnaire.answers import parse_duration, read_answers
from migdata.questionnaire.template import write_template


def _rows_by_key(wb: openpyxl.Workbook) -> dict[str, tuple[str, int]]:
    return {key: (sheet, r) for sheet, r, key in meta_rows(wb)}


def _rebuild(wb: openpyxl.Workbook, sheet: str, rng: random.Random, keep_keys: bool) -> None:
    """Shuffle the item rows of a sheet, insert blank rows, optionally drop the key column."""
    sheet = next(s for s in wb.sheetnames if module_of_sheet(s) == module_of_sheet(sheet))
    ws = wb[sheet]
    values = [list(r) for r in ws.iter_rows(values_only=True)]
    head, body = values[:3], values[3:]
    # Keep the source blocks in order (a header followed by its rows) but shuffle inside.
    blocks: list[list[list[object]]] = []
    for row in body:
        if row[6] is not None and str(row[6]).endswith("#source"):
            blocks.append([row])
        else:
            blocks[-1].append(row)
    new_body: list[list[object]] = []
    for block in blocks:
        inner = block[1:]
        rng.shuffle(inner)
        new_body.append(block[0])
        for row in inner:
            new_body.append(row)
            if rng.random() < 0.2:
                new_body.append([None] * 7)
    idx = wb.sheetnames.index(sheet)
    wb.remove(ws)
    new = wb.create_sheet(sheet, idx)
    for row in head + new_body:
        new.append(row if keep_keys else row[:6])


def test_edited_workbook_reads_correctly(tmp_path: Path) -> None:
    """Reordered rows, blank rows, labels in another language and '12 mois' are understood."""
    path = write_template(tmp_path / "q.xlsx", lang="en", country="RWA")
    rng = random.Random(3)
    expected = fill(path, "en", rng)
    wb = openpyxl.load_workbook(path)
    keys = _rows_by_key(wb)
    sheet, r = keys["IMM|RWA-IMM-S1|COM.060"]
    wb[sheet].cell(r, 4).value = "12 mois"
    expected[("IMM", "RWA-IMM-S1", "COM.060")] = ("answered", "12")
    sheet, r = keys["IMM|RWA-IMM-S1|COM.050"]
    usual = bank.get_item("COM.050").option("usual")
    assert usual is not None
    usual_fr = usual.labels["fr"]
    wb[sheet].cell(r, 4).value = usual_fr
    expected[("IMM", "RWA-IMM-S1", "COM.050")] = ("answered", "usual")
    sheet, r = keys["IMM||IMM.040"]
    wb[sheet].cell(r, 4).value = "لا أعرف"
    expected[("IMM", "", "IMM.040")] = ("dont_know", "")
    sheet, r = keys["EMI|RWA-EMI-S1|COM.010"]
    wb[sheet].cell(r, 4).value = "population_register"  # an option code
    expected[("EMI", "RWA-EMI-S1", "COM.010")] = ("answered", "population_register")
    _rebuild(wb, "IMM", rng, keep_keys=True)
    _rebuild(wb, "EMI", rng, keep_keys=True)
    wb.create_sheet("Notes").append(["anything", "the office wrote"])
    wb.save(path)
    ans = read_answers(path)
    assert ans.problems.empty, ans.problems.to_string()
    got = {(r.module, r.source_id, r.item_id): (r.status, r.value) for r in ans.table.itertuples()}
    for key, (status, value) in expected.items():
        if status != "blank":
            assert got[key] == (status, value), key


def test_rows_without_keys_matched_by_question_text(tmp_path: Path) -> None:
    """When the hidden key column is gone, items are found by id or question text."""
    path = write_template(tmp_path / "q.xlsx", lang="pt", country="MOZ")
    expected = fill(path, "pt", random.Random(11))
    wb = openpyxl.load_workbook(path)
    _rebuild(wb, "STK", random.Random(5), keep_keys=False)
    wb.save(path)
    ans = read_answers(path)
    got = {(r.module, r.source_id, r.item_id): (r.status, r.value) for r in ans.table.itertuples()}
    for key, (status, value) in expected.items():
        if key[0] == "STK" and status != "blank":
            assert got[key] == (status, value), key


def test_unreadable_answers_and_formulas_are_reported(tmp_path: Path) -> None:
    """A wrong answer or a formula becomes a problem naming sheet, cell and item."""
    path = write_template(tmp_path / "q.xlsx", lang="en", country="RWA")
    wb = openpyxl.load_workbook(path)
    keys = _rows_by_key(wb)
    sheet, r = keys["STK|RWA-STK-S1|COM.060"]
    wb[sheet].cell(r, 4).value = "depends on the permit"
    sheet2, r2 = keys["STK||STK.020"]
    wb[sheet2].cell(r2, 4).value = "=1+1"
    wb.save(path)
    ans = read_answers(path)
    probs = ans.problems.set_index("item_id")
    assert probs.loc["COM.060", "cell"] == f"D{r}"
    assert "months" in probs.loc["COM.060", "message"]
    assert probs.loc["STK.020", "sheet"] == sheet2 and "formula" in probs.loc["STK.020", "message"]
    row = ans.table[(ans.table["item_id"] == "COM.060") & (ans.table["module"] == "STK")].iloc[0]
    assert row["raw"] == "depends on the permit" and row["status"] == "missing"


def test_bad_files_give_input_errors(tmp_path: Path) -> None:
    """Corrupted, non-xlsx, old .xls and other-version workbooks raise InputError."""
    bad = tmp_path / "bad.xlsx"
    bad.write_bytes(b"PK\x03\x04 this is not really a zip")
    with pytest.raises(InputError, match=r"bad\.xlsx"):
        read_answers(bad)
    text = tmp_path / "notes.xlsx"
    text.write_text("hello")
    with pytest.raises(InputError, match=r"not an \.xlsx"):
        read_answers(text)
    xls = tmp_path / "old.xlsx"
    xls.write_bytes(b"\xd0\xcf\x11\xe0" + b"\0" * 100)
    with pytest.raises(InputError, match=r"\.xls"):
        read_answers(xls)
    with zipfile.ZipFile(tmp_path / "empty.xlsx", "w") as z:
        z.writestr("hello.txt", "no workbook inside")
    with pytest.raises(InputError):
        read_answers(tmp_path / "empty.xlsx")
    path = write_template(tmp_path / "q.xlsx")
    wb = openpyxl.load_workbook(path)
    wb["_meta"]["B1"] = "0.3"
    wb.save(path)
    with pytest.raises(InputError, match=r"version 0\.3"):
        read_answers(path)
    with pytest.raises(InputError, match=r"no such file"):
        read_answers(tmp_path / "missing.xlsx")


def test_huge_sheet_refused(tmp_path: Path) -> None:
    """A sheet far larger than any questionnaire is refused, not read into memory."""
    path = write_template(tmp_path / "q.xlsx", modules=["NAB"])
    wb = openpyxl.load_workbook(path)
    ws = wb[sheet_name("NAB", "en")]
    for i in range(6000):
        ws.cell(200 + i, 1, i)
    wb.save(path)
    with pytest.raises(InputError, match="rows"):
        read_answers(path)


def _without_xml_reader(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make the fast XML reader give up on every workbook: openpyxl reads every sheet."""

    def refuse(*args: object, **kwargs: object) -> None:
        raise _xlsx_reader.Unsupported("switched off by the test")

    monkeypatch.setattr(_xlsx_reader, "XlsxBook", refuse)


def _rewrite_sheet(path: Path, sheet: str, edit: object) -> None:
    """Apply ``edit(xml_text) -> xml_text`` to the worksheet part of ``sheet``, in place."""
    book = _xlsx_reader.XlsxBook(path)
    part = book._parts[sheet]
    book.close()
    data = path.read_bytes()
    tmp = path.with_suffix(".tmp")
    with zipfile.ZipFile(path) as src, zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            content = src.read(info)
            if info.filename == part:
                content = edit(content.decode()).encode()  # type: ignore[operator]
            dst.writestr(info, content)
    assert data != tmp.read_bytes()
    tmp.replace(path)


def test_fast_and_openpyxl_readers_give_the_same_answers(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The XML reader and openpyxl give identical answers and problems on an edited workbook."""
    path = write_template(tmp_path / "q.xlsx", lang="fr", country="COD")
    fill(path, "fr", random.Random(21))
    wb = openpyxl.load_workbook(path)
    keys = _rows_by_key(wb)
    sheet, r = keys["STK||STK.020"]
    wb[sheet].cell(r, 4).value = "=1+1"
    sheet, r = keys["IMM|COD-IMM-S1|COM.060"]
    wb[sheet].cell(r, 4).value = "dix-huit mois"
    _rebuild(wb, "EMI", random.Random(2), keep_keys=False)
    wb.create_sheet("Notes").append(["x", 3.5, True])
    wb.save(path)
    fast = read_answers(path)
    _without_xml_reader(monkeypatch)
    slow = read_answers(path)
    assert (fast.country, fast.language, fast.bank_version) == ("COD", "fr", slow.bank_version)
    assert fast.table.equals(slow.table)
    assert fast.problems.equals(slow.problems)
    assert (fast.table["status"] == "answered").sum() > 100


@pytest.mark.parametrize("fast", [True, False])
def test_array_formula_in_answer_cell_reported(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fast: bool
) -> None:
    """An array formula typed as an answer is reported as a formula by both readers."""
    path = write_template(tmp_path / "q.xlsx", lang="en", country="RWA")
    sheet, r = _rows_by_key(openpyxl.load_workbook(path))["STK||STK.020"]
    cell = rf'<c r="D{r}"[^>]*?(?:/>|>.*?</c>)'
    array = f'<c r="D{r}"><f t="array" ref="D{r}">SUM(A1:A2*1)</f><v>0</v></c>'
    _rewrite_sheet(path, sheet, lambda xml: re.sub(cell, array, xml, count=1))
    if not fast:
        _without_xml_reader(monkeypatch)
    probs = read_answers(path).problems.set_index("item_id")
    assert "formula" in probs.loc["STK.020", "message"]
    assert probs.loc["STK.020", "value"] == "=SUM(A1:A2*1)"


@pytest.mark.parametrize("fast", [True, False])
def test_damaged_sheet_gives_input_error_naming_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fast: bool
) -> None:
    """A worksheet whose XML is broken half-way raises an InputError naming file and sheet."""
    path = write_template(tmp_path / "q.xlsx", lang="en", country="RWA")
    _rewrite_sheet(path, "Immigration", lambda xml: xml.replace('<row r="20"', '<row r="20" <', 1))
    if not fast:
        _without_xml_reader(monkeypatch)
    with pytest.raises(InputError, match=r"q\.xlsx") as info:
        read_answers(path)
    assert info.value.sheet == "Immigration"


def test_kobo_csv_round_trip(tmp_path: Path) -> None:
    """A KoboToolbox CSV export (codes, group paths, repeat indexes, ';') is read."""
    header = [
        "start",
        "country",
        "bank_version",
        "IMM/IMM_020",
        "IMM/IMM_010",
        "IMM/IMM_010/census",
        "IMM/IMM_sources[1]/IMM_COM_010",
        "IMM/IMM_sources[1]/IMM_COM_060",
        "IMM/IMM_sources[1]/IMM_COM_110",
        "IMM/IMM_sources[2]/IMM_COM_010",
        "IMM/IMM_sources[2]/IMM_COM_300",
        "IMM/IMM_sources[2]/IMM_COM_999",
    ]
    row = [
        "2024-01-01",
        "UGA",
        "1.0",
        "annual",
        "census population_register",
        "1",
        "census",
        "6",
        "nationals foreigners",
        "population_register",
        "dk",
        "x",
    ]
    path = tmp_path / "kobo.csv"
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh, delimiter=";")
        w.writerow(header)
        w.writerow(row)
    ans = read_answers(path)
    t = ans.table.set_index(["source_id", "item_id"])
    assert ans.country == "UGA"
    assert t.loc[("", "IMM.020"), "value"] == "annual"
    assert t.loc[("", "IMM.010"), "value"] == "census;population_register"
    assert t.loc[("UGA-IMM-S1", "COM.060"), "value"] == "6"
    assert t.loc[("UGA-IMM-S1", "COM.110"), "value"] == "nationals;foreigners"
    assert t.loc[("UGA-IMM-S1", "COM.300"), "status"] == "not_applicable"  # census
    assert t.loc[("UGA-IMM-S2", "COM.300"), "status"] == "dont_know"
    assert list(ans.problems["item_id"]) == ["COM.999"]


@pytest.mark.parametrize(
    ("text", "months"),
    [
        ("12 mois", 12),
        ("12 months", 12),
        ("6 meses", 6),
        ("un an", 12),
        ("1 year", 12),
        ("permanent", 60),
        ("deux ans", 24),
        ("6 أشهر", 6),
        ("٦ أشهر", 6),
        ("3 semaines", 0.7),
        ("aucun", 0),
        ("6,5", 6.5),
        ("nonsense", None),
    ],
)
def test_parse_duration(text: str, months: float | None) -> None:
    """Durations typed as text in the four languages are read as months."""
    assert parse_duration(text) == months


def _answer(path: Path, key: str, value: object) -> None:
    """Type ``value`` into the answer cell of the row with ``key``."""
    wb = openpyxl.load_workbook(path)
    sheet, r = _rows_by_key(wb)[key]
    wb[sheet].cell(r, 4).value = value
    wb.save(path)


@pytest.mark.parametrize("keep_keys", [True, False])
@pytest.mark.parametrize("name", ["IMM - Flux d'immigration", "Immigration", "الهجرة الوافدة"])
def test_renamed_module_sheet_keeps_its_answers(tmp_path: Path, name: str, keep_keys: bool) -> None:
    """A module tab renamed, translated or moved is known by its row keys or question texts."""
    path = write_template(tmp_path / "q.xlsx", lang="fr", country="RWA")
    _answer(path, "IMM|RWA-IMM-S1|COM.060", "6 mois")
    before = read_answers(path).table
    wb = openpyxl.load_workbook(path)
    if not keep_keys:
        _rebuild(wb, "IMM", random.Random(1), keep_keys=False)
    wb[sheet_name("IMM", "fr")].title = name
    wb.move_sheet(name, offset=3)
    wb.save(path)
    ans = read_answers(path)
    imm = ans.table[ans.table["module"] == "IMM"]
    assert len(imm) == (before["module"] == "IMM").sum()
    row = imm[(imm["source_id"] == "RWA-IMM-S1") & (imm["item_id"] == "COM.060")]
    assert row["value"].item() == "6"
    assert not ans.problems["message"].str.contains("not recognised").any()


def test_answers_in_an_unknown_sheet_are_reported(tmp_path: Path) -> None:
    """Answers typed in a sheet that is no module, or beside the answer column, are reported."""
    path = write_template(tmp_path / "q.xlsx", lang="en", country="RWA")
    wb = openpyxl.load_workbook(path)
    notes = wb.create_sheet("Notes")
    notes.append(["Item", "Question", "Answer"])
    notes.append(["x", "our own question", "42"])
    sheet, r = _rows_by_key(wb)["IMM|RWA-IMM-S1|COM.060"]
    wb[sheet].cell(r, 9).value = "12 months"
    wb.save(path)
    problems = read_answers(path).problems
    assert ("Notes", "C2") in set(zip(problems["sheet"], problems["cell"], strict=True))
    assert (sheet, f"I{r}") in set(zip(problems["sheet"], problems["cell"], strict=True))


@pytest.mark.parametrize("lang", ["fr", "pt", "ar"])
def test_language_from_content_when_meta_is_missing(tmp_path: Path, lang: str) -> None:
    """Without the hidden _meta sheet, the language comes from the texts, with a note."""
    path = write_template(tmp_path / "q.xlsx", lang=lang, country="RWA")
    wb = openpyxl.load_workbook(path)
    del wb["_meta"]
    wb.save(path)
    ans = read_answers(path)
    assert ans.language == lang
    assert (ans.problems["item_id"] == "").any()
    assert ans.problems["message"].str.contains(f"'{lang}'").any()


def test_problem_messages_in_the_workbook_language(tmp_path: Path) -> None:
    """A French workbook gets French problem messages; ranges of durations are refused."""
    path = write_template(tmp_path / "q.xlsx", lang="fr", country="RWA")
    _answer(path, "IMM|RWA-IMM-S1|COM.060", "6 à 12 mois")
    ans = read_answers(path)
    msg = ans.problems.loc[ans.problems["item_id"] == "COM.060", "message"].item()
    assert "fourchette" in msg
    t = ans.table.set_index(["source_id", "item_id"])
    assert t.loc[("RWA-IMM-S1", "COM.060"), "status"] == "missing"


@pytest.mark.parametrize(
    ("text", "months"),
    [
        ("1 an (12 mois)", 12),
        ("un an et demi", 18),
        ("1 year and a half", 18),
        ("half a year", 6),
        ("سنة", 12),
        ("6 à 12 mois", None),
        ("6 to 12 months", None),
        ("من 6 إلى 12 شهرًا", None),
        ("1 an (6 mois)", None),
    ],
)
def test_parse_duration_compound_and_ranges(text: str, months: float | None) -> None:
    """Compound durations are read as a person reads them; ranges and contradictions are not."""
    assert parse_duration(text) == months


def test_kobo_csv_in_utf16(tmp_path: Path) -> None:
    """A KoboToolbox export saved as UTF-16 ("Unicode text") is read like UTF-8."""
    path = tmp_path / "kobo.csv"
    text = "country\tbank_version\tIMM/IMM_020\nUGA\t1.0\tannual\n"
    path.write_bytes(text.encode("utf-16"))
    ans = read_answers(path)
    assert ans.country == "UGA"
    assert "IMM.020" in set(ans.table["item_id"])
