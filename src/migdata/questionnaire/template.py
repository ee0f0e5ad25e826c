"""The Excel workbook a national office fills in: instructions, one sheet per module.

Dropdowns read from a hidden ``_lists`` sheet, numbers and dates are validated, question text
is locked, Arabic sheets run right to left (with an explicit reading order on every cell), tabs
are named in the workbook's language, pages print on A4, a Glossary sheet defines the terms,
and a hidden ``_meta`` sheet records the bank version and the key of every row so that
:func:`read_answers` finds answers again. Only cells that take an answer are yellow.

Multiple-choice items take one row per option, answered Yes or No (a dropdown cannot hold
several picks); the item row itself is not coloured and takes only "not applicable" or
"don't know".
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Protection, Side
from openpyxl.utils import get_column_letter, quote_sheetname
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.hyperlink import Hyperlink

from migdata._checks import public
from migdata._safe_io import refuse_overwrite
from migdata._xlsx_bytes import save_workbook
from migdata.errors import ConfigurationError
from migdata.questionnaire import bank
from migdata.questionnaire._layout import (
    HEADER_ROW,
    KEY_HEADER,
    LISTS_SHEET,
    META_SHEET,
    Row,
    Slot,
    plan,
    sheet_name,
    slots_from_sources,
)

__all__ = ["write_template"]

_ANSWER_FILL = PatternFill("solid", fgColor="FFF2CC")  # pale yellow: "write here"
_HEADER_FILL = PatternFill("solid", fgColor="1F4E79")
_SOURCE_FILL = PatternFill("solid", fgColor="DDEBF7")
_THIN = Side(style="thin", color="BFBFBF")
_BORDER = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)
_WIDTHS = {"A": 13, "B": 60, "C": 55, "D": 30, "E": 26, "F": 36, "G": 4}
# Characters per line of a column of width w (Calibri 11; generous for Arabic and bold text).
_CHARS_PER_WIDTH = 1.0
_PACKAGE_NOTE = re.compile(r"\s*\([^(]*migdata.*\)$")
_SENTENCE_END = re.compile(r"(?<=[.!?؟])\s+")
_RLM = "\u200f"  # right-to-left mark
_LRM = "\u200e"  # left-to-right mark
_STRONG_END = ".:;!?)»…"


def _bidi(text: str, lang: str) -> str:
    """Text a right-to-left cell shows in the right order.

    Each line starts and ends with a right-to-left mark, so that a full stop, colon or bullet
    at either end of a line stays at that end whatever the runs inside are; Latin runs (item
    ids) are closed by a left-to-right mark so that what follows them is not pulled along.
    """
    if lang != "ar" or not text:
        return text
    out = []
    for line in str(text).split("\n"):
        out.append(f"{_RLM}{line}{_RLM}" if line.strip() else line)
    return "\n".join(out)


def _align(lang: str, **kw: Any) -> Alignment:
    """Wrapped, top-aligned text with the reading order of the language (2: right to left)."""
    rtl = lang == "ar"
    kw.setdefault("horizontal", "right" if rtl else "left")
    kw.setdefault("vertical", "top")
    return Alignment(wrap_text=True, readingOrder=2 if rtl else 1, **kw)


def _a4(ws: Any, landscape: bool = True) -> None:
    """A4 paper, the sheet fitted to the page width."""
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.orientation = "landscape" if landscape else "portrait"
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True


def _lines(text: Any, width: float) -> int:
    """Lines a wrapped text takes in a column of this width."""
    if text is None or text == "":
        return 1
    per_line = max(int(width * _CHARS_PER_WIDTH), 6)
    return sum(len(part) // per_line + 1 for part in str(text).split("\n"))


def _ui(key: str, lang: str) -> str:
    return str(bank.labels()["ui"][key][lang])


def _special(lang: str) -> list[str]:
    sp = bank.labels()["special"]
    return [sp["na"][lang], sp["dk"][lang]]


def _condition_text(it: bank.Item, lang: str) -> str:
    """The applies_if condition in words of the sheet's language."""
    assert it.applies_if is not None

    def one(name: str, op: str, values: tuple[bank.Value, ...]) -> str:
        target = bank.get_item(name)
        shown = []
        for v in values:
            opt = target.option(str(v))
            shown.append(opt.labels[lang] if opt else _num(v))
        if op in ("in", "not in") and len(shown) > 1:
            verb = _ui("is_one_of", lang)
            text = f"{_id(target.id, lang)} {verb}: {' / '.join(shown)}"
            return f"not ({text})" if op == "not in" else text
        sym = {"==": _ui("is", lang), "in": _ui("is", lang)}.get(op, op)
        return f"{_id(target.id, lang)} {sym} {shown[0]}"

    return f"{_ui('only_if', lang)} {it.applies_if.render(one)}."


def _id(item_id: str, lang: str) -> str:
    """An item id inside a sentence: closed by a left-to-right mark in Arabic."""
    return f"{_LRM}{item_id}{_LRM}" if lang == "ar" else item_id


def _num(v: Any) -> str:
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v)


def _expected(it: bank.Item, lang: str) -> str:
    if it.type == "choice":
        return _ui("expect_choice", lang)
    if it.type == "multiple":
        return _ui("expect_multiple", lang)
    return _ui(f"expect_{it.type}", lang)


class _Lists:
    """The hidden sheet of dropdown lists, one column per distinct list."""

    def __init__(self, ws: Any) -> None:
        self.ws = ws
        self.cols: dict[tuple[str, ...], str] = {}

    def ref(self, values: list[str]) -> str:
        key = tuple(values)
        if key not in self.cols:
            col = get_column_letter(len(self.cols) + 1)
            for i, v in enumerate(values, start=1):
                self.ws[f"{col}{i}"] = v
            self.cols[key] = f"{quote_sheetname(LISTS_SHEET)}!${col}$1:${col}${len(values)}"
        return self.cols[key]


def _validation(ws: Any, cache: dict[str, DataValidation], kind: str, **kw: Any) -> DataValidation:
    """One DataValidation per distinct rule and sheet (cells are added to it)."""
    key = kind + repr(sorted(kw.items()))
    if key not in cache:
        dv = DataValidation(type=kind, allow_blank=True, **kw)
        # "warning" lets an office keep an unexpected answer (a label in another language,
        # "12 mois") after a warning: the reader understands those and reports the rest.
        dv.errorStyle = "warning"
        dv.showErrorMessage = True
        dv.showInputMessage = True
        ws.add_data_validation(dv)
        cache[key] = dv
    return cache[key]


def _write_module(
    wb: Workbook, module: str, slots: list[Slot], lang: str, lists: _Lists, meta: Any
) -> None:
    labels = bank.labels()
    ws = wb.create_sheet(sheet_name(module, lang))
    ws.sheet_view.rightToLeft = lang == "ar"
    align = _align(lang)
    ws["A1"] = _bidi(f"{_ui('module', lang)}: {labels['modules'][module][lang]}", lang)
    ws["A1"].font = Font(bold=True, size=14)
    ws["A1"].alignment = _align(lang, vertical="center")
    ws["A2"] = _bidi(_ui("module_intro", lang), lang)
    ws["A2"].alignment = align
    ws.merge_cells("A1:F1")
    ws.merge_cells("A2:F2")
    ws.row_dimensions[1].height = 24
    ws.row_dimensions[2].height = 15 * _lines(ws["A2"].value, sum(_WIDTHS.values()) - 4) + 4
    headers = [
        _ui(f"col_{c}", lang) for c in ("id", "question", "help", "answer", "expected", "comment")
    ]
    for j, text in enumerate([*headers, KEY_HEADER], start=1):
        cell = ws.cell(HEADER_ROW, j, _bidi(text, lang) if j <= len(headers) else text)
        cell.font = Font(bold=True, color="FFFFFF")
        cell.fill = _HEADER_FILL
        cell.alignment = _align(lang, vertical="center")
    for col, width in _WIDTHS.items():
        ws.column_dimensions[col].width = width
    ws.column_dimensions["G"].hidden = True
    ws.freeze_panes = f"A{HEADER_ROW + 1}"

    yes_no = [o[lang] for o in labels["option_sets"]["yes_no"]]
    special = _special(lang)
    dvs: dict[str, DataValidation] = {}
    numbers = {s.source_id: i for i, s in enumerate(slots, start=1)}
    r = HEADER_ROW
    for row in plan(module, slots):
        r += 1
        _write_row(ws, r, row, lang, align, yes_no, special, lists, dvs, numbers)
        meta.append([ws.title, r, row.key])

    _fit_rows(ws, HEADER_ROW, r)
    ws.protection.sheet = True
    # Offices may still resize rows and columns; question text stays locked.
    ws.protection.formatColumns = False
    ws.protection.formatRows = False
    ws.print_title_rows = f"{HEADER_ROW}:{HEADER_ROW}"
    _a4(ws)


def _fit_rows(ws: Any, first: int, last: int) -> None:
    """Set row heights from the wrapped text: neither Excel nor LibreOffice does it on open."""
    for r in range(first, last + 1):
        if any(str(m) == f"A{r}:F{r}" for m in ws.merged_cells.ranges):
            lines = _lines(ws[f"A{r}"].value, sum(_WIDTHS.values()) - _WIDTHS["G"])
        else:
            lines = max(_lines(ws[f"{c}{r}"].value, _WIDTHS[c] - 1) for c in "ABCDEF")
        ws.row_dimensions[r].height = 15 * lines + 4


def _write_row(
    ws: Any,
    r: int,
    row: Row,
    lang: str,
    align: Alignment,
    yes_no: list[str],
    special: list[str],
    lists: _Lists,
    dvs: dict[str, DataValidation],
    numbers: dict[str, int],
) -> None:
    key = ws.cell(r, 7, row.key)
    # Wrapped grey text never spills out of the hidden column (it would show in the comment
    # column of right-to-left sheets).
    key.alignment = Alignment(wrap_text=True)
    key.font = Font(color="808080", size=6)
    if row.kind in ("section", "source"):
        if row.kind == "section":
            text = _ui("module_items", lang)
        else:
            assert row.slot is not None
            text = _ui("source_header", lang).format(
                n=numbers[row.slot.source_id], total=len(numbers), source_id=row.slot.source_id
            )
        cell = ws.cell(r, 1, _bidi(text, lang))
        cell.font = Font(bold=True)
        cell.alignment = align
        for j in range(1, 7):
            ws.cell(r, j).fill = _SOURCE_FILL
        ws.merge_cells(start_row=r, start_column=1, end_row=r, end_column=6)
        return
    it = row.item
    assert it is not None
    for j in range(1, 7):
        c = ws.cell(r, j)
        c.alignment = align
        c.border = _BORDER
    answer = ws.cell(r, 4)
    comment = ws.cell(r, 6)
    answer.protection = Protection(locked=False)
    comment.protection = Protection(locked=False)
    if it.type != "multiple" or row.kind == "option":
        # The question row of a multiple-choice item is not yellow: its option lines are.
        answer.fill = _ANSWER_FILL
    if row.kind == "option":
        opt = it.option(row.option or "")
        assert opt is not None
        ws.cell(r, 2, _bidi(f"• {opt.labels[lang]}", lang)).alignment = _align(lang, indent=2)
        ws.cell(r, 5, _bidi(_ui("expect_option", lang), lang))
        dv = _validation(ws, dvs, "list", formula1=lists.ref(yes_no))
        dv.add(answer.coordinate)
        return
    ws.cell(r, 1, it.id).font = Font(bold=True)
    ws.cell(r, 2, _bidi(it.text[lang], lang))
    help_text = it.help[lang]
    if it.applies_if is not None:
        help_text = f"{help_text}\n{_condition_text(it, lang)}"
    if it.type == "multiple":
        help_text = f"{help_text}\n{_ui('tick_options', lang)}"
    ws.cell(r, 3, _bidi(help_text, lang))
    ws.cell(r, 5, _bidi(_expected(it, lang), lang))
    prompt = {"promptTitle": it.id[:32], "errorTitle": _ui("invalid_title", lang)[:32]}
    if it.type == "choice":
        values = [o.labels[lang] for o in it.options] + special
        dv = _validation(ws, dvs, "list", formula1=lists.ref(values), **prompt)
    elif it.type == "multiple":
        dv = _validation(ws, dvs, "list", formula1=lists.ref(special), **prompt)
    elif it.type in ("number", "months"):
        hi = "600" if it.type == "months" else "100000"
        dv = _validation(
            ws,
            dvs,
            "decimal",
            operator="between",
            formula1="0",
            formula2=hi,
            prompt=_ui("number_prompt", lang),
            **prompt,
        )
        answer.number_format = "0.##"
    elif it.type == "date":
        dv = _validation(
            ws,
            dvs,
            "date",
            operator="between",
            formula1="DATE(1950,1,1)",
            formula2="DATE(2100,12,31)",
            prompt=_ui("expect_date", lang),
            **prompt,
        )
        answer.number_format = "yyyy-mm-dd"
    else:
        dv = None
    if dv is not None:
        dv.error = _ui("invalid_message", lang)
        dv.add(answer.coordinate)


def _prefill(
    wb: Workbook, meta_rows: list[list[Any]], slots: dict[str, list[Slot]], lang: str
) -> None:
    """Write the source type and name of named sources into their blocks."""
    catalogue = bank.labels()["source_types"]
    by_key = {key: (sheet, r) for sheet, r, key in meta_rows}
    for module, module_slots in slots.items():
        for slot in module_slots:
            if slot.source_type:
                sheet, r = by_key[f"{module}|{slot.source_id}|COM.010"]
                wb[sheet].cell(r, 4, catalogue[slot.source_type][lang])
            if slot.name:
                sheet, r = by_key[f"{module}|{slot.source_id}|COM.020"]
                wb[sheet].cell(r, 4, slot.name)


def _instructions(
    wb: Workbook, lang: str, country: str, modules: list[str], contact: str | None
) -> None:
    ws = wb.active
    ws.title = _ui("instructions_sheet", lang)[:31]
    ws.sheet_view.rightToLeft = lang == "ar"
    widths = {"A": 30, "B": 95}
    for col, width in widths.items():
        ws.column_dimensions[col].width = width
    _a4(ws)
    ws["A1"] = _bidi(_ui("title", lang), lang)
    ws["A1"].font = Font(bold=True, size=16)
    ws["A1"].alignment = _align(lang, vertical="center")
    ws.merge_cells("A1:B1")
    ws.row_dimensions[1].height = 26
    rows: list[tuple[str, str]] = [
        (_ui("country", lang), country),
        (_ui("language", lang), bank.labels()["languages"][lang]),
        (_ui("bank_version", lang), bank.bank_version()),
        (_ui("respondent", lang), ""),
        ("", ""),
    ]
    texts = [_ui("purpose", lang), _ui("how_to", lang), _ui("na_dk", lang)]
    texts.append(_ui("return_to", lang))
    if contact:
        texts.append(_ui("contact", lang).format(contact=contact))
    rows += [(f"{i}.", t) for i, t in enumerate(texts, start=1)]
    rows += [("", ""), (_ui("sheets", lang), "")]
    rows += [(sheet_name(m, lang), bank.labels()["modules"][m][lang]) for m in modules]
    rows.append((_ui("glossary_sheet", lang)[:31], _ui("glossary_see", lang)))
    for i, (a, b) in enumerate(rows, start=3):
        first = ws.cell(i, 1, _bidi(a, lang))
        first.font = Font(bold=True)
        first.alignment = _align(lang)
        ws.cell(i, 2, _bidi(b, lang)).alignment = _align(lang)
        lines = max(_lines(a, widths["A"] - 2), _lines(b, widths["B"] - 2))
        ws.row_dimensions[i].height = 15 * lines + 4
    # Sheet names in the list link to their sheets.
    for i, (a, _) in enumerate(rows, start=3):
        if (
            a in wb.sheetnames
            or a in [sheet_name(m, lang) for m in modules]
            or (a == _ui("glossary_sheet", lang)[:31])
        ):
            cell = ws.cell(i, 1)
            cell.hyperlink = Hyperlink(ref=cell.coordinate, location=f"{quote_sheetname(a)}!A1")
            cell.font = Font(bold=True, color="1F4E79", underline="single")
    respondent = ws.cell(6, 2)
    respondent.fill = _ANSWER_FILL
    respondent.protection = Protection(locked=False)
    ws.row_dimensions[6].height = 32
    ws.protection.sheet = True
    ws.protection.formatColumns = False
    ws.protection.formatRows = False


def _for_offices(text: str) -> str:
    """Glossary text without what concerns the software (sentences and notes naming it)."""
    text = _PACKAGE_NOTE.sub("", text)
    kept = [s for s in _SENTENCE_END.split(text) if "migdata" not in s]
    return " ".join(kept)


def _glossary(wb: Workbook, lang: str) -> None:
    """The Glossary sheet: the harmonised terms and their definitions in the language."""
    from migdata.metadata import glossary

    table = glossary(lang).table
    ws = wb.create_sheet(_ui("glossary_sheet", lang)[:31])
    ws.sheet_view.rightToLeft = lang == "ar"
    widths = {"A": 34, "B": 90, "C": 40}
    for col, width in widths.items():
        ws.column_dimensions[col].width = width
    _a4(ws)
    ws["A1"] = _bidi(_ui("glossary_title", lang), lang)
    ws["A1"].font = Font(bold=True, size=14)
    ws["A1"].alignment = _align(lang, vertical="center")
    ws["A2"] = _bidi(_ui("glossary_intro", lang), lang)
    ws["A2"].alignment = _align(lang)
    ws.merge_cells("A1:C1")
    ws.merge_cells("A2:C2")
    ws.row_dimensions[1].height = 24
    ws.row_dimensions[2].height = 15 * _lines(ws["A2"].value, sum(widths.values()) - 4) + 4
    for j, key in enumerate(("col_term", "col_definition", "col_reference"), start=1):
        cell = ws.cell(HEADER_ROW, j, _bidi(_ui(key, lang), lang))
        cell.font = Font(bold=True, color="FFFFFF")
        cell.fill = _HEADER_FILL
        cell.alignment = _align(lang, vertical="center")
    r = HEADER_ROW
    for term, definition, source in zip(
        table["term"], table["definition"], table["source"], strict=True
    ):
        r += 1
        ref = "" if source is None else str(source)
        values = [str(term), _for_offices(str(definition)), _for_offices(ref)]
        for j, value in enumerate(values, start=1):
            cell = ws.cell(r, j, _bidi(value, lang) if j < 3 else value)
            cell.alignment = _align(lang)
            cell.border = _BORDER
        ws.cell(r, 1).font = Font(bold=True)
        lines = max(_lines(v, w - 2) for v, w in zip(values, widths.values(), strict=True))
        ws.row_dimensions[r].height = 15 * lines + 4
    ws.freeze_panes = f"A{HEADER_ROW + 1}"
    ws.print_title_rows = f"{HEADER_ROW}:{HEADER_ROW}"
    ws.protection.sheet = True
    ws.protection.formatColumns = False
    ws.protection.formatRows = False


@public
def write_template(
    path: str | Path,
    lang: str = "en",
    country: str = "RWA",
    sources: Iterable[Any] | None = None,
    modules: Iterable[str] | None = None,
    contact: str | None = None,
    *,
    overwrite: bool = False,
) -> Path:
    """Write the questionnaire workbook a national office fills in.

    Parameters
    ----------
    path
        Output ``.xlsx`` file.
    lang
        ``"en"``, ``"fr"``, ``"pt"`` or ``"ar"`` (right-to-left sheets).
    country
        Country code or name; resolved to ISO alpha-3 and recorded in the workbook.
    sources
        Sources to describe: source-type codes (``"census"``), ``"type:name"`` strings,
        mappings or ``SourceProfile`` objects. Each gets a block in every module its type can
        serve (the MIEUX matrix). Default: generic blocks (two for STK, IMM and EMI, one for
        NAB and RP) that the office names itself.
    modules
        Subset of modules (default all five).
    contact
        Who answers questions about the questionnaire at the Secretariat (name, e-mail,
        telephone), printed in the instructions; omitted when not given.
    overwrite
        Replace an existing file (default: refuse, as it may be a filled workbook). The
        file is written to a temporary file first and renamed into place.

    Returns
    -------
    Path
        The file written.

    Raises
    ------
    ConfigurationError
        Unknown language, module or country.
    InputError
        ``path`` exists and ``overwrite`` is false.

    Examples
    --------
    >>> import tempfile, openpyxl
    >>> out = write_template(tempfile.mkdtemp() + "/rwa_fr.xlsx", lang="fr", country="RWA")
    >>> openpyxl.load_workbook(out).sheetnames[:3]
    ['Instructions', 'Stock de migrants', 'Immigration']
    """
    refuse_overwrite(path, overwrite)
    if lang not in bank.LANGUAGES:
        raise ConfigurationError(f"language {lang!r}; expected one of {bank.LANGUAGES}")
    mods = list(modules) if modules is not None else list(bank.MODULES)
    bad = [m for m in mods if m not in bank.MODULES]
    if bad:
        raise ConfigurationError(f"unknown modules {bad}; expected some of {bank.MODULES}")
    code = resolve_country(country)
    slots = slots_from_sources(sources, code)
    wb = Workbook()
    _instructions(wb, lang, code, mods, contact)
    lists_ws = wb.create_sheet(LISTS_SHEET)
    lists = _Lists(lists_ws)
    meta_rows: list[list[Any]] = []
    for m in mods:
        _write_module(wb, m, slots[m], lang, lists, meta_rows)
    _prefill(wb, meta_rows, {m: slots[m] for m in mods}, lang)
    _glossary(wb, lang)
    meta = wb.create_sheet(META_SHEET)
    meta.append(["bank_version", bank.bank_version()])
    meta.append(["country", code])
    meta.append(["language", lang])
    meta.append(["sheet", "row", "key"])
    for rec in meta_rows:
        meta.append(rec)
    meta.sheet_state = "veryHidden"
    lists_ws.sheet_state = "hidden"
    wb.move_sheet(LISTS_SHEET, offset=len(wb.sheetnames))
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    save_workbook(wb, out)
    return out


def resolve_country(country: str) -> str:
    """ISO alpha-3 code of a country given as code or name; ConfigurationError if unknown.

    Examples
    --------
    >>> resolve_country("rw")
    'RWA'
    """
    from migdata.countries import explain, resolve

    code = resolve(str(country), to="alpha3")
    if not isinstance(code, str) or not code:
        # The candidates of an ambiguous name, or close names of a misspelt one.
        raise ConfigurationError(f"country: {explain(str(country))}")
    return code
