"""Tests of the fast .xlsx cell reader: same values as openpyxl, Unsupported on surprises."""

from __future__ import annotations

import random
import zipfile
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from _questionnaire_fill import fill
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from migdata.errors import InputError
from migdata.questionnaire import _xlsx_reader
from migdata.questionnaire._xlsx_reader import Unsupported, XlsxBook
from migdata.questionnaire.answers import _formula_text
from migdata.questionnaire.template import write_template

NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PKG = "http://schemas.openxmlformats.org/package/2006/relationships"
CT_MAIN = "application/vnd.openxmlformats-officedocument.spreadsheetml"


def _trimmed(rows: Any) -> list[tuple[Any, ...]]:
    """Rows without trailing empty cells or rows (openpyxl pads them to the dimension)."""
    out = []
    for row in rows:
        cells = [_formula_text(v) for v in row]
        while cells and cells[-1] is None:
            cells.pop()
        out.append(tuple(cells))
    while out and not out[-1]:
        out.pop()
    return out


def _same_as_openpyxl(path: Path) -> XlsxBook:
    """Assert that every sheet reads as openpyxl's read-only mode reads it."""
    book = XlsxBook(path)
    wb = openpyxl.load_workbook(path, read_only=True, data_only=False)
    try:
        assert book.sheetnames == wb.sheetnames
        for name in book.sheetnames:
            assert book.states[name] == wb[name].sheet_state
            got = _trimmed(book.iter_rows(name))
            assert got == _trimmed(wb[name].iter_rows(values_only=True)), name
            assert _trimmed(book.iter_rows(name, stream=True)) == got, name
    finally:
        wb.close()
        book.close()
    return book


def _package(
    path: Path,
    sheets: dict[str, str],
    *,
    strings: str | None = None,
    styles: str | None = None,
    workbook_pr: str = "",
    states: dict[str, str] | None = None,
) -> Path:
    """A minimal .xlsx written by hand: worksheet XML bodies (sheetData content) by name."""
    states = states or {}
    overrides = [f'<Override PartName="/xl/workbook.xml" ContentType="{CT_MAIN}.sheet.main+xml"/>']
    rels = []
    entries = []
    for k, name in enumerate(sheets, start=1):
        overrides.append(
            f'<Override PartName="/xl/worksheets/sheet{k}.xml" '
            f'ContentType="{CT_MAIN}.worksheet+xml"/>'
        )
        # One relative and one absolute target: both forms occur in real files.
        target = f"worksheets/sheet{k}.xml" if k % 2 else f"/xl/worksheets/sheet{k}.xml"
        rels.append(f'<Relationship Id="rId{k}" Type="{REL}/worksheet" Target="{target}"/>')
        state = f' state="{states[name]}"' if name in states else ""
        entries.append(f'<sheet name="{name}" sheetId="{k}"{state} r:id="rId{k}"/>')
    if strings is not None:
        overrides.append(
            f'<Override PartName="/xl/sharedStrings.xml" '
            f'ContentType="{CT_MAIN}.sharedStrings+xml"/>'
        )
        rels.append(
            f'<Relationship Id="rIdS" Type="{REL}/sharedStrings" Target="sharedStrings.xml"/>'
        )
    with zipfile.ZipFile(path, "w") as z:
        z.writestr(
            "[Content_Types].xml",
            '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="xml" ContentType="application/xml"/>'
            '<Default Extension="rels" '
            'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            + "".join(overrides)
            + "</Types>",
        )
        z.writestr(
            "_rels/.rels",
            f'<Relationships xmlns="{PKG}"><Relationship Id="rId1" '
            f'Type="{REL}/officeDocument" Target="xl/workbook.xml"/></Relationships>',
        )
        z.writestr(
            "xl/workbook.xml",
            f'<workbook xmlns="{NS}" xmlns:r="{REL}">{workbook_pr}<sheets>'
            + "".join(entries)
            + "</sheets></workbook>",
        )
        z.writestr(
            "xl/_rels/workbook.xml.rels",
            f'<Relationships xmlns="{PKG}">{"".join(rels)}</Relationships>',
        )
        for k, body in enumerate(sheets.values(), start=1):
            z.writestr(
                f"xl/worksheets/sheet{k}.xml",
                f'<worksheet xmlns="{NS}"><sheetData>{body}</sheetData>'
                '<dataValidations count="1"><dataValidation sqref="A1" type="list">'
                "<formula1>$B$1:$B$2</formula1></dataValidation></dataValidations></worksheet>",
            )
        if strings is not None:
            z.writestr("xl/sharedStrings.xml", f'<sst xmlns="{NS}">{strings}</sst>')
        if styles is not None:
            z.writestr("xl/styles.xml", f'<styleSheet xmlns="{NS}">{styles}</styleSheet>')
    return path


STYLES = (
    '<numFmts count="2"><numFmt numFmtId="164" formatCode="yyyy\\-mm\\-dd"/>'
    '<numFmt numFmtId="165" formatCode="[h]:mm:ss"/></numFmts>'
    '<fonts count="1"><font/></fonts>'
    '<fills count="1"><fill><patternFill patternType="none"/></fill></fills>'
    '<borders count="1"><border/></borders>'
    '<cellStyleXfs count="1"><xf numFmtId="14"/></cellStyleXfs>'
    '<cellXfs count="5"><xf numFmtId="0"/><xf numFmtId="164"/><xf numFmtId="14"/>'
    '<xf numFmtId="165"/><xf numFmtId="2"/></cellXfs>'
)


def test_filled_template_reads_as_openpyxl(tmp_path: Path) -> None:
    """Every sheet of a filled questionnaire (dates, numbers, labels) reads as openpyxl reads it."""
    path = write_template(tmp_path / "q.xlsx", lang="ar", country="EGY")
    fill(path, "ar", random.Random(7))
    book = _same_as_openpyxl(path)
    assert book.states["_meta"] == "veryHidden" and book.states["_lists"] == "hidden"


def test_cell_types_and_strings_as_openpyxl(tmp_path: Path) -> None:
    """Shared (rich, phonetic, escaped) and inline strings, numbers, booleans, errors, dates."""
    strings = (
        "<si><t>plain</t></si>"
        '<si><r><t>rich </t></r><r><rPr><b/></rPr><t xml:space="preserve">text </t></r>'
        "<rPh sb='0' eb='1'><t>phonetic</t></rPh></si>"
        "<si><t>a_x005F_x000D_b</t></si>"
        "<si><t/></si>"
        "<si><t>العربية  «لا»</t></si>"
    )
    cells = (
        '<row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" t="s"><v>1</v></c>'
        '<c r="C1" t="s"><v>2</v></c><c r="D1" t="s"><v>3</v></c><c r="E1" t="s"><v>4</v></c>'
        "</row>"
        '<row r="2"><c r="A2"><v>12</v></c><c r="B2"><v>1.5</v></c><c r="C2"><v>1E3</v></c>'
        '<c r="D2" t="b"><v>1</v></c><c r="E2" t="b"><v>0</v></c><c r="F2" t="e"><v>#N/A</v></c>'
        '<c r="G2" t="str"><v>text result</v></c><c r="H2"/><c r="I2" t="n"></c></row>'
        '<row r="3"><c r="A3" s="1"><v>45292</v></c><c r="B3" s="2"><v>45292.5</v></c>'
        '<c r="C3" s="3"><v>1.25</v></c><c r="D3" s="4"><v>3.14159</v></c>'
        '<c r="E3" t="d"><v>2024-02-29T00:00:00</v></c><c r="F3" s="2"><v>0.5</v></c></row>'
        '<row r="5"><c r="B5" t="inlineStr"><is><t>inline</t></is></c>'
        '<c r="C5" t="inlineStr"><is><r><t>in</t></r><r><t>line rich</t></r></is></c>'
        '<c r="D5" t="inlineStr"/></row>'
        '<row><c><v>7</v></c><c><v>8</v></c><c r="E6"><v>9</v></c><c><v>10</v></c></row>'
    )
    path = _package(tmp_path / "types.xlsx", {"Data": cells}, strings=strings, styles=STYLES)
    _same_as_openpyxl(path)
    rows = list(XlsxBook(path).iter_rows("Data"))
    assert rows[0] == ("plain", "rich text ", "a_x000D_b", "", "العربية  «لا»")
    assert rows[2][:3] == (datetime(2024, 1, 1), datetime(2024, 1, 1, 12), timedelta(hours=30))
    assert rows[2][5] == time(12)
    assert rows[3] == ()  # a missing row is an empty tuple, as in openpyxl
    assert rows[5] == (7, 8, None, None, 9, 10)


def test_1904_dates_and_formulas(tmp_path: Path) -> None:
    """Mac 1904 dates; plain, shared (translated), array and data-table formulas as text."""
    cells = (
        '<row r="1"><c r="A1" s="1"><v>1</v></c><c r="B1"><f>SUM(C1:C3)</f><v>6</v></c>'
        '<c r="C1"><f t="shared" ref="C1:C3" si="0">A1*2</f><v>0</v></c></row>'
        '<row r="2"><c r="C2"><f t="shared" si="0"/><v>0</v></c>'
        '<c r="D2"><f t="array" ref="D2:D3">A1:A2*2</f><v>0</v></c></row>'
        '<row r="3"><c r="C3"><f t="shared" si="0"/><v>0</v></c>'
        '<c r="E3"><f t="dataTable" ref="E3:E4" dt2D="0" dtr="0" r1="A1"/><v>1</v></c></row>'
    )
    path = _package(
        tmp_path / "mac.xlsx",
        {"F": cells},
        styles=STYLES,
        workbook_pr='<workbookPr date1904="1"/>',
    )
    _same_as_openpyxl(path)
    rows = list(XlsxBook(path).iter_rows("F"))
    assert rows[0] == (datetime(1904, 1, 2), "=SUM(C1:C3)", "=A1*2")
    assert rows[1] == (None, None, "=A2*2", "=A1:A2*2")
    assert rows[2] == (None, None, "=A3*2", None, "=TABLE(A1)")


def test_sheet_states_order_and_prefixed_namespace(tmp_path: Path) -> None:
    """Sheet order and states come from the workbook part; an ``x:`` prefix is understood."""
    path = _package(
        tmp_path / "states.xlsx",
        {"One": '<row r="1"><c r="A1"><v>1</v></c></row>', "Two": "", "Three": ""},
        states={"Two": "hidden", "Three": "veryHidden"},
    )
    book = XlsxBook(path)
    assert book.sheetnames == ["One", "Two", "Three"]
    assert book.states == {"One": "visible", "Two": "hidden", "Three": "veryHidden"}
    assert list(book.iter_rows("Two")) == []
    book.close()
    prefixed = tmp_path / "prefixed.xlsx"
    with zipfile.ZipFile(path) as src, zipfile.ZipFile(prefixed, "w") as dst:
        for info in src.infolist():
            data = src.read(info)
            if info.filename == "xl/worksheets/sheet1.xml":
                data = (
                    f'<x:worksheet xmlns:x="{NS}"><x:sheetData><x:row r="1">'
                    '<x:c r="B1" t="inlineStr"><x:is><x:t>hi</x:t></x:is></x:c></x:row>'
                    "</x:sheetData><x:sheetProtection/></x:worksheet>"
                ).encode()
            dst.writestr(info, data)
    assert list(XlsxBook(prefixed).iter_rows("One")) == [(None, "hi")]
    _same_as_openpyxl(prefixed)


def test_unexpected_structures_are_unsupported(tmp_path: Path) -> None:
    """Damaged archives, missing parts, strict OOXML and odd rows raise Unsupported."""
    junk = tmp_path / "junk.xlsx"
    junk.write_bytes(b"PK\x03\x04 not a zip")
    with pytest.raises(Unsupported):
        XlsxBook(junk)
    empty = tmp_path / "empty.xlsx"
    with zipfile.ZipFile(empty, "w") as z:
        z.writestr("hello.txt", "no workbook")
    with pytest.raises(Unsupported):
        XlsxBook(empty)
    strict = _package(tmp_path / "strict.xlsx", {"S": ""})
    with zipfile.ZipFile(strict) as src, zipfile.ZipFile(tmp_path / "s2.xlsx", "w") as dst:
        for info in src.infolist():
            data = src.read(info)
            if info.filename == "xl/workbook.xml":
                data = data.replace(NS.encode(), b"http://purl.oclc.org/ooxml/spreadsheetml/main")
            dst.writestr(info, data)
    with pytest.raises(Unsupported, match="strict"):
        XlsxBook(tmp_path / "s2.xlsx")
    for body in (
        '<row r="3"><c r="A3"><v>1</v></c></row><row r="2"><c r="A2"><v>1</v></c></row>',
        '<row r="1"><c r="A1" t="zz"><v>1</v></c></row>',
        '<row r="1"><c r="1A"><v>1</v></c></row>',
        '<row r="1"><c r="A1" t="s"><v>5</v></c></row>',  # no such shared string
        '<row r="1"><c r="A1"><v>twelve</v></c></row>',
        '<row r="1"><c r="A1"><v>1</v></c>',  # not well-formed
    ):
        path = _package(tmp_path / "odd.xlsx", {"S": body})
        with pytest.raises(Unsupported):
            list(XlsxBook(path).iter_rows("S"))


def test_inflated_part_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A part that inflates beyond the limit is refused before it is read."""
    path = write_template(tmp_path / "q.xlsx", modules=["NAB"])
    monkeypatch.setattr(_xlsx_reader, "MAX_PART_BYTES", 5_000)
    with pytest.raises(InputError, match="inflates"):
        book = XlsxBook(path)
        for name in book.sheetnames:
            list(book.iter_rows(name))


_CELL = st.one_of(
    st.none(),
    st.text(st.characters(blacklist_categories=("Cs", "Cc")), min_size=1, max_size=12).filter(
        lambda s: not s.startswith("=")
    ),
    st.integers(-(10**9), 10**9),
    st.floats(-1e9, 1e9, allow_nan=False).filter(lambda x: abs(x) > 1e-9 or x == 0),
    st.booleans(),
    st.dates(date(1901, 1, 1), date(2099, 12, 31)).map(lambda d: datetime(d.year, d.month, d.day)),
)


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.lists(st.tuples(st.integers(1, 40), st.integers(1, 8), _CELL), max_size=40))
def test_random_cells_read_as_openpyxl(tmp_path: Path, cells: list[tuple[int, int, Any]]) -> None:
    """Random values at random places, written by openpyxl, read back as openpyxl reads them."""
    wb = openpyxl.Workbook()
    ws = wb.active
    for r, c, value in cells:
        ws.cell(r, c).value = value
    path = tmp_path / "random.xlsx"
    wb.save(path)
    _same_as_openpyxl(path)
