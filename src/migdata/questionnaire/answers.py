"""Reading a returned questionnaire: the Excel workbook or a KoboToolbox/ODK CSV export.

Owns :func:`read_answers` and :class:`Answers`: answers are found by the hidden row keys,
else by item id or question text in any language; labels in any of the four languages,
option codes and durations typed as text are understood; every problem is reported with
its sheet and cell, nothing is dropped silently. Cells come from the workbook's XML parts
(:mod:`._xlsx_reader`), through openpyxl whenever that reader meets something unexpected.
"""

from __future__ import annotations

import csv
import html
import math
import re
import zipfile
from collections.abc import Callable, Iterable, Iterator
from contextlib import closing
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import cache, lru_cache, partial
from pathlib import Path
from typing import Any

import pandas as pd

from migdata._checks import public
from migdata._durations import read_duration, read_number
from migdata.errors import InputError
from migdata.questionnaire import bank
from migdata.questionnaire._layout import (
    KEY_HEADER,
    KEY_RE,
    LISTS_SHEET,
    META_SHEET,
    make_key,
    module_of_sheet,
    normalise,
)

__all__ = ["Answers", "parse_duration", "read_answers"]

# The same labels, question texts and help texts come back on every row of every workbook:
# each distinct text is folded once (typed: 1, 1.0 and True are different cells). The bank
# has a few thousand distinct texts; the bound keeps free-text answers from growing it.
_norm = lru_cache(maxsize=1 << 14, typed=True)(normalise)

ANSWER_COLUMNS = (
    "country",
    "module",
    "source_id",
    "item_id",
    "raw",
    "value",
    "level",
    "status",
    "sheet",
    "cell",
)
"""Columns of an answers table (the ``Answers.table`` contract that the quality rubric reads)."""
TABLE_COLUMNS = [*ANSWER_COLUMNS, "comment"]
PROBLEM_COLUMNS = ["sheet", "cell", "item_id", "value", "message"]
MAX_BYTES = 20_000_000  # a filled questionnaire is ~100 kB; beyond this it is not one
MAX_ROWS = 5_000  # per sheet; the largest module sheet has under 200 rows


@dataclass
class Answers:
    """Answers of one country to the metadata questionnaire.

    Attributes
    ----------
    country, language, bank_version, file
        Where the answers come from.
    table
        One row per (module, source, item): country, module, source_id ("" for module
        items), item_id, raw (as typed), value (option code(s) joined by ";", number, ISO
        date or text, as a string), level (Int64 0-3, NA when unscored or unanswered),
        status (answered, not_applicable, dont_know, missing), sheet, cell, comment.
    problems
        One row per problem: sheet, cell, item_id, value, message.
    """

    country: str
    language: str
    table: pd.DataFrame
    problems: pd.DataFrame
    bank_version: str = ""
    file: str = ""

    def profiles(self) -> list[Any]:
        """The answers as :class:`~migdata.sources.profile.SourceProfile` facts, one per source."""
        from migdata.questionnaire.facts import profiles

        return profiles(self)

    def summary(self) -> pd.DataFrame:
        """Count of items by module and status."""
        return (
            self.table.groupby(["module", "status"], sort=False)
            .size()
            .unstack(fill_value=0)
            .reindex(columns=["answered", "dont_know", "not_applicable", "missing"], fill_value=0)
        )

    def _repr_html_(self) -> str:
        head = (
            f"<p><b>Questionnaire answers</b>: country {html.escape(self.country)}, "
            f"language {html.escape(self.language)}, bank version "
            f"{html.escape(self.bank_version)}, {len(self.table)} items, "
            f"{len(self.problems)} problem(s)</p>"
        )
        body = self.summary().to_html()
        if len(self.problems):
            body += "<p><b>Problems</b></p>" + self.problems.head(20).to_html(index=False)
        return head + body

    def __repr__(self) -> str:
        return (
            f"Answers(country={self.country!r}, language={self.language!r}, "
            f"items={len(self.table)}, problems={len(self.problems)})"
        )


# ---------------------------------------------------------------------------------------------
# Understanding one typed answer


@cache
def _special_index() -> dict[str, str]:
    lab = bank.labels()
    out = {}
    for code in ("na", "dk"):
        for text in lab["special"][code].values():
            out[_norm(text)] = code
        for text in lab["special_aliases"][code]:
            out[_norm(text)] = code
    return out


@cache
def _yes_no_index() -> dict[str, bool]:
    out = {"x": True, "1": True, "true": True, "✓": True, "0": False, "false": False}
    for opt in bank.labels()["option_sets"]["yes_no"]:
        for lang in bank.LANGUAGES:
            out[_norm(opt[lang])] = opt["code"] == "yes"
        out[_norm(opt["code"])] = opt["code"] == "yes"
    return out


@cache
def _option_index(item_id: str) -> dict[str, str]:
    it = bank.get_item(item_id)
    out: dict[str, str] = {}
    for opt in it.options:
        out[_norm(opt.code)] = opt.code
        for text in opt.labels.values():
            out.setdefault(_norm(text), opt.code)
    return out


def _to_float(text: str) -> float | None:
    return read_number(str(text).strip().rstrip("%"))


def parse_duration(text: Any) -> float | None:
    """Months from a duration typed as text; None when it cannot be read with certainty.

    Understands numbers (digits or words) with units in the four languages ("12 mois",
    "6 meses", "1 year", "un an et demi", "سنة", "3 semaines", "6 أشهر"), compound durations
    ("1 an et 6 mois"), "permanent" (60 months, as in the duration-factor tables) and "no
    minimum" (0). Ranges ("6 à 12 mois") and readings that disagree ("1 an (6 mois)") give
    None: see :func:`migdata._durations.read_duration` for the reason.

    Examples
    --------
    >>> [parse_duration(t) for t in ["12 mois", "un an", "6 meses", "permanent", "1 year"]]
    [12.0, 12.0, 6.0, 60.0, 12.0]
    >>> parse_duration("1 an et 6 mois"), parse_duration("six months and one day")
    (18.0, 6.0)
    >>> parse_duration("6 à 12 mois") is None, parse_duration("1 an (12 mois)")
    (True, 12.0)
    """
    months = read_duration(text).months
    if months is None or not math.isfinite(months):
        return None
    # "six months and one day" is the UN 2021 rule of six months: keep one decimal.
    return float(round(months, 1))


def _fmt_number(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else repr(round(float(x), 6))


@dataclass
class _Parsed:
    status: str  # answered, not_applicable, dont_know, missing
    value: str = ""
    problem: str | None = None  # a key of the messages file
    params: dict[str, Any] = field(default_factory=dict)


def _blank(raw: Any) -> bool:
    return raw is None or (isinstance(raw, str) and not raw.strip())


def _raw_text(raw: Any) -> str:
    if raw is None:
        return ""
    if isinstance(raw, datetime):
        return raw.date().isoformat() if raw.time() == datetime.min.time() else raw.isoformat()
    if isinstance(raw, date):
        return raw.isoformat()
    if isinstance(raw, float):
        return _fmt_number(raw)
    return str(raw).strip()


def _is_formula(raw: Any) -> bool:
    return isinstance(raw, str) and raw.startswith("=") and len(raw) > 1


def parse_answer(it: bank.Item, raw: Any) -> _Parsed:
    """Status and value of one typed answer to item ``it`` (not for option sub-rows)."""
    if _blank(raw):
        return _Parsed("missing")
    if _is_formula(raw):
        return _Parsed("missing", problem="formula")
    if isinstance(raw, str):
        special = _special_index().get(_norm(raw))
        if special:
            return _Parsed("not_applicable" if special == "na" else "dont_know")
    if it.type == "choice":
        if isinstance(raw, bool) and {o.code for o in it.options} >= {"yes", "no"}:
            return _Parsed("answered", "yes" if raw else "no")
        code = _option_index(it.id).get(_norm(_raw_text(raw)))
        if code is None:
            labels = {
                lang: ", ".join(repr(o.labels[lang]) for o in it.options) for lang in bank.LANGUAGES
            }
            return _Parsed("missing", problem="choice", params={"options": labels})
        return _Parsed("answered", code)
    if it.type == "multiple":
        codes = _parse_multiple(it, _raw_text(raw))
        if codes is None:
            return _Parsed("missing", problem="multiple")
        return _Parsed("answered", ";".join(codes))
    if it.type in ("number", "months"):
        if isinstance(raw, bool):
            x = None
        elif isinstance(raw, int | float):
            x = float(raw)
        elif it.type == "months":
            reading = read_duration(raw)
            if reading.problem in ("range", "contradiction"):
                return _Parsed("missing", problem=f"months_{reading.problem}")
            x = parse_duration(raw)
        else:
            x = _to_float(str(raw))
        if x is None or not math.isfinite(x) or x < 0:
            return _Parsed("missing", problem=it.type)
        return _Parsed("answered", _fmt_number(x))
    if it.type == "date":
        d = _parse_date(raw)
        if d is None:
            return _Parsed("missing", problem="date")
        return _Parsed("answered", d)
    return _Parsed("answered", _raw_text(raw))


def _parse_multiple(it: bank.Item, text: str) -> list[str] | None:
    index = _option_index(it.id)
    whole = index.get(_norm(text))
    if whole:
        return [whole]
    for sep in (";", ",", "\n"):
        if sep in text:
            parts = [p for p in (s.strip() for s in text.split(sep)) if p]
            break
    else:
        parts = text.split()  # ODK/Kobo export: codes separated by spaces
    codes = [index.get(_norm(p)) for p in parts]
    if not parts or any(c is None for c in codes):
        return None
    chosen = set(codes)
    return [o.code for o in it.options if o.code in chosen]


def _parse_date(raw: Any) -> str | None:
    if isinstance(raw, datetime):
        return raw.date().isoformat()
    if isinstance(raw, date):
        return raw.isoformat()
    text = str(raw).strip()
    for fmt in ("%Y-%m-%d", "%d/%m/%Y", "%d.%m.%Y", "%Y/%m/%d", "%Y-%m-%dT%H:%M:%S"):
        try:
            return datetime.strptime(text, fmt).date().isoformat()
        except ValueError:
            continue
    return None


# ---------------------------------------------------------------------------------------------
# Assembling the table


@dataclass
class _Cell:
    raw: Any
    sheet: str
    cell: str
    comment: str = ""


@dataclass
class _Collected:
    cells: dict[str, _Cell] = field(default_factory=dict)  # key -> cell
    sources: dict[str, list[str]] = field(default_factory=dict)  # module -> source ids in order
    problems: list[dict[str, Any]] = field(default_factory=list)

    def add_source(self, module: str, source_id: str) -> None:
        lst = self.sources.setdefault(module, [])
        if source_id and source_id not in lst:
            lst.append(source_id)

    def problem(
        self, sheet: str, cell: str, item_id: str, value: Any, message: str, **params: Any
    ) -> None:
        """Record a problem; ``message`` is a key of ``messages.yaml``, filled with ``params``."""
        self.problems.append(
            {
                "sheet": sheet,
                "cell": cell,
                "item_id": item_id,
                "value": _raw_text(value),
                "message": (message, params),
            }
        )

    def problem_table(self, language: str) -> pd.DataFrame:
        """The problems with their messages in ``language`` (English when not one of four)."""
        rows = [{**p, "message": _message(p["message"], language)} for p in self.problems]
        return pd.DataFrame(rows, columns=PROBLEM_COLUMNS).astype("string")


@cache
def _messages() -> dict[str, dict[str, str]]:
    import yaml

    from migdata._resources import data_path

    text = data_path("questionnaire", "messages.yaml").read_text("utf-8")
    loaded: dict[str, dict[str, str]] = yaml.safe_load(text)
    return loaded


def _message(keyed: tuple[str, dict[str, Any]], language: str) -> str:
    """A problem message in the workbook's language."""
    key, params = keyed
    texts = _messages()[key]
    template = texts.get(language) or texts["en"]
    values = {
        k: (v.get(language) or v["en"]) if isinstance(v, dict) else v for k, v in params.items()
    }
    return template.format(**values)


def _assemble(col: _Collected, country: str) -> pd.DataFrame:
    """The answers table from the collected cells: every item of every source block."""
    records: list[dict[str, Any]] = []
    options = _option_cells(col)
    for module in bank.MODULES:
        if module not in col.sources:
            continue
        module_items, common = bank.module_items(module)
        blocks: list[tuple[str, list[bank.Item]]] = [("", module_items)]
        for sid in col.sources[module]:
            if sid:
                blocks.append((sid, common))
        module_values: dict[str, _Parsed] = {}
        for sid, its in blocks:
            keys = [make_key(module, sid, it.id) for it in its]
            touched = any(k in col.cells and not _blank(col.cells[k].raw) for k in keys) or any(
                not _blank(c.raw) for k in keys for _, c in options.get(k, ())
            )
            if sid and not touched:
                continue  # an unused source block: the office has fewer sources
            parsed: dict[str, _Parsed] = {}
            rows: dict[str, dict[str, Any]] = {}
            for it in its:
                key = make_key(module, sid, it.id)
                cell = col.cells.get(key)
                p = parse_answer(it, cell.raw if cell else None)
                if it.type == "multiple" and p.status == "missing" and p.problem is None:
                    p = _from_option_rows(it, module, sid, col)
                if p.problem:
                    where = cell or _option_cell(options, key)
                    col.problem(
                        where.sheet if where else module,
                        where.cell if where else "",
                        it.id,
                        cell.raw if cell else "",
                        p.problem,
                        **p.params,
                    )
                parsed[it.id] = p
                rows[it.id] = {
                    "country": country,
                    "module": module,
                    "source_id": sid,
                    "item_id": it.id,
                    "raw": _raw_text(cell.raw) if cell else _option_raw(options, key),
                    "value": p.value,
                    "status": p.status,
                    "sheet": cell.sheet if cell else (module if key in options else ""),
                    "cell": cell.cell if cell else "",
                    "comment": cell.comment if cell else "",
                }
            if not sid:
                module_values = parsed
            scope = {**module_values, **parsed}
            for it in its:
                row = rows[it.id]
                p = parsed[it.id]
                if (
                    it.applies_if is not None
                    and p.status == "missing"
                    and not p.problem
                    and it.applies_if.evaluate(partial(_lookup, scope)) is False
                ):
                    row["status"] = "not_applicable"
                row["level"] = bank.item_level(it, p.value) if p.status == "answered" else None
                records.append(row)
    # One typed array per column (building the frame first and casting after costs more
    # than reading a whole workbook).
    data = {
        c: pd.array([_text_or_empty(r[c]) for r in records], dtype="string")
        for c in TABLE_COLUMNS
        if c != "level"
    }
    data["level"] = pd.array([r["level"] for r in records], dtype="Int64")
    return pd.DataFrame(data, columns=TABLE_COLUMNS)


def _text_or_empty(value: Any) -> str:
    return value if isinstance(value, str) else ("" if value is None else str(value))


def _lookup(scope: dict[str, _Parsed], name: str) -> frozenset[str] | float | str | None:
    p = scope.get(name)
    if p is None or p.status != "answered":
        return None
    it = bank.get_item(name)
    if it.type == "multiple":
        return frozenset(v for v in p.value.split(";") if v)
    if it.type in ("number", "months"):
        return float(p.value)
    return p.value


def _option_cells(col: _Collected) -> dict[str, list[tuple[str, _Cell]]]:
    """Option rows (``KEY#CODE``) grouped by the key of their item, in reading order."""
    out: dict[str, list[tuple[str, _Cell]]] = {}
    for k, c in col.cells.items():
        base, sep, code = k.rpartition("#")
        if sep and "|" not in code:  # an option code has no "|", a source id may hold "#"
            out.setdefault(base, []).append((code, c))
    return out


def _option_cell(options: dict[str, list[tuple[str, _Cell]]], key: str) -> _Cell | None:
    found = options.get(key)
    return found[0][1] if found else None


def _option_raw(options: dict[str, list[tuple[str, _Cell]]], key: str) -> str:
    parts = [f"{code}={_raw_text(c.raw)}" for code, c in options.get(key, ()) if not _blank(c.raw)]
    return "; ".join(parts)


def _from_option_rows(it: bank.Item, module: str, sid: str, col: _Collected) -> _Parsed:
    """A multiple-choice answer from its Yes/No option rows."""
    key = make_key(module, sid, it.id)
    ticked: list[str] = []
    any_answer = False
    for opt in it.options:
        cell = col.cells.get(f"{key}#{opt.code}")
        if cell is None or _blank(cell.raw):
            continue
        any_answer = True
        if _is_formula(cell.raw):
            col.problem(
                cell.sheet,
                cell.cell,
                it.id,
                cell.raw,
                "formula_yes_no",
            )
            continue
        raw = cell.raw
        yes = raw if isinstance(raw, bool) else _yes_no_index().get(_norm(_raw_text(raw)))
        if yes is None:
            col.problem(
                cell.sheet,
                cell.cell,
                it.id,
                raw,
                "option_yes_no",
                option=dict(opt.labels),
            )
            continue
        if yes:
            ticked.append(opt.code)
    if not any_answer:
        return _Parsed("missing")
    return _Parsed("answered", ";".join(ticked))


# ---------------------------------------------------------------------------------------------
# Excel


@cache
def _text_index() -> dict[str, str]:
    """Normalised question text (any language) -> item id."""
    out: dict[str, str] = {}
    for it in bank.all_items():
        for text in it.text.values():
            out.setdefault(_norm(text), it.id)
    return out


@cache
def _header_words() -> dict[str, str]:
    ui = bank.labels()["ui"]
    out = {_norm(KEY_HEADER): "key"}
    for col in ("id", "question", "help", "answer", "expected", "comment"):
        for text in ui[f"col_{col}"].values():
            out[_norm(text)] = col
    return out


def _col_letter(i: int) -> str:
    from openpyxl.utils import get_column_letter

    return str(get_column_letter(i + 1))


def _check_workbook_file(path: Path) -> None:
    """Refuse, before any parsing, what cannot be a questionnaire workbook."""
    size = path.stat().st_size
    if size > MAX_BYTES:
        raise InputError(
            f"the file is {size / 1e6:.1f} MB; a questionnaire workbook is well under "
            f"{MAX_BYTES / 1e6:.0f} MB: is this the right file?",
            file=str(path),
        )
    with path.open("rb") as fh:
        head = fh.read(8)
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        raise InputError(
            "this is an old-format Excel (.xls) file; open it in Excel and save it as .xlsx",
            file=str(path),
        )
    if not head.startswith(b"PK"):
        raise InputError(
            "not an .xlsx workbook (the file does not start like an Excel file); expected the "
            "questionnaire workbook or a CSV export",
            file=str(path),
        )


def _load_openpyxl(path: Path) -> Any:
    import openpyxl

    try:
        # read_only streams the sheets (bounded memory on huge files); data_only=False keeps
        # formulas as text so they are reported, never evaluated.
        return openpyxl.load_workbook(path, read_only=True, data_only=False)
    except Exception as err:  # openpyxl raises many unrelated types on broken archives
        raise InputError(
            f"the workbook cannot be opened ({type(err).__name__}: {err}); it may be damaged: "
            "open and save it again in Excel",
            file=str(path),
        ) from None


def _formula_text(value: Any) -> Any:
    """openpyxl's array and data-table formula objects as formula text, like other formulas."""
    kind = type(value).__name__
    if kind == "ArrayFormula":
        return str(value.text)
    if kind == "DataTableFormula":
        args = ",".join(a for a in (value.r1, value.r2) if a)
        return f"=TABLE({args})"
    return value


class _Book:
    """Rows of the sheets of a workbook: read from its XML parts, by openpyxl when needed.

    The XML reader (:mod:`._xlsx_reader`) gives the values openpyxl's read-only mode gives,
    three to four times faster; anything it does not expect (a damaged part, an unusual
    structure) sends that workbook or sheet to openpyxl, whose errors become InputErrors.
    """

    def __init__(self, path: Path) -> None:
        from migdata.questionnaire._xlsx_reader import Unsupported, XlsxBook

        self.path = path
        self._wb: Any = None
        self._fast: XlsxBook | None = None
        self._unsupported = Unsupported
        try:
            self._fast = XlsxBook(path)
            self.sheetnames: list[str] = list(self._fast.sheetnames)
        except Unsupported:
            self._wb = _load_openpyxl(path)
            self.sheetnames = list(self._wb.sheetnames)

    def rows(
        self, sheet: str, until: Callable[[tuple[Any, ...]], bool] | None = None
    ) -> Iterator[tuple[int, tuple[Any, ...]]]:
        """(row number, values) from row 1; InputError past :data:`MAX_ROWS` rows.

        ``until``: stop after the first row for which it is true (the rest is not parsed).
        """
        values: Iterable[tuple[Any, ...]] | None = None
        if self._fast is not None:
            # Read into a list (at most one row too many) so that a surprise half-way can
            # still go to openpyxl.
            values = []
            try:
                with closing(self._fast.iter_rows(sheet, stream=until is not None)) as rows:
                    for row in rows:
                        values.append(row)
                        if len(values) > MAX_ROWS or (until is not None and until(row)):
                            break
            except self._unsupported:
                values = None
        for n, row in enumerate(values if values is not None else self._slow(sheet), start=1):
            if n > MAX_ROWS:
                raise InputError(
                    f"more than {MAX_ROWS} rows: not a questionnaire sheet (the largest has "
                    "about 200)",
                    file=str(self.path),
                    sheet=sheet,
                )
            yield n, row
            if until is not None and until(row):
                return

    def _slow(self, sheet: str) -> Iterator[tuple[Any, ...]]:
        if self._wb is None:
            self._wb = _load_openpyxl(self.path)
        try:
            ws = self._wb[sheet]
            if not hasattr(ws, "iter_rows"):
                return  # a chart sheet
            for row in ws.iter_rows(values_only=True):
                yield tuple(_formula_text(v) for v in row)
        except Exception as err:  # openpyxl's parser errors, from deep inside
            raise InputError(
                f"the sheet cannot be read ({type(err).__name__}: {err}); it may be damaged: "
                "open and save the workbook again in Excel",
                file=str(self.path),
                sheet=sheet,
            ) from None

    def close(self) -> None:
        if self._fast is not None:
            self._fast.close()
        if self._wb is not None:
            self._wb.close()


def _read_meta(book: _Book) -> dict[str, str]:
    """Version, country and language from the hidden ``_meta`` sheet.

    They sit above the ``sheet, row, key`` table of row keys, which is not read: the keys
    travel with their rows in column G.
    """
    info: dict[str, str] = {}
    if META_SHEET not in book.sheetnames:
        return info
    for _, row in book.rows(META_SHEET, until=_is_keys_header):
        if len(row) >= 2 and row[0] is not None and row[1] is not None:
            info[str(row[0])] = str(row[1])
    return info


def _is_keys_header(row: tuple[Any, ...]) -> bool:
    return [str(v).strip().lower() for v in row[:3]] == ["sheet", "row", "key"]


def _check_version(found: str, path: Path, col: _Collected) -> None:
    current = bank.bank_version()
    if not found:
        col.problem(
            META_SHEET,
            "",
            "",
            "",
            "no_version",
            current=current,
        )
        return
    if found.split(".")[0] != current.split(".")[0]:
        raise InputError(
            f"this workbook is questionnaire version {found}; this migdata reads version "
            f"{current}: send the office a new template (migdata questionnaire template)",
            file=str(path),
            sheet=META_SHEET,
            value=found,
        )
    if found != current:
        col.problem(
            META_SHEET,
            "",
            "",
            found,
            "other_version",
            found=found,
            current=current,
        )


def _read_xlsx(path: Path) -> Answers:
    _check_workbook_file(path)
    book = _Book(path)
    try:
        col = _Collected()
        info = _read_meta(book)
        _check_version(info.get("bank_version", ""), path, col)
        country = info.get("country", "")
        language = info.get("language", "").strip().lower()
        texts: list[Any] = []  # what the language is inferred from, when _meta lacks it
        for sheet in book.sheetnames:
            if sheet in (META_SHEET, LISTS_SHEET):
                continue
            rows = list(book.rows(sheet))
            # A module sheet is known by its row keys and questions, whatever its tab is
            # called (renamed, translated, reordered): the name is only the last resort.
            module = _sheet_module(sheet, rows)
            if language not in bank.LANGUAGES:
                texts.extend(v for _, row in rows for v in row if isinstance(v, str))
            if module is None:
                if not country:
                    country = _country_in_rows(rows) or country
                _report_stray_answers(sheet, rows, col)
                continue
            _read_module_sheet(rows, sheet, module, col)
    finally:
        book.close()
    if not country:
        col.problem("", "", "", "", "no_country")
    if language not in bank.LANGUAGES:
        language = _infer_language(texts)
        col.problem(
            META_SHEET, "", "", info.get("language", ""), "language_inferred", language=language
        )
    table = _assemble(col, country)
    return Answers(
        country,
        language,
        table,
        col.problem_table(language),
        info.get("bank_version", ""),
        str(path),
    )


_ITEM_ID = re.compile(r"^(?P<module>[A-Z]{2,3})\.\d{3}$")


def _sheet_module(sheet: str, rows: list[tuple[int, tuple[Any, ...]]]) -> str | None:
    """The module a sheet answers: by its row keys, else its name, else its item ids and
    question texts; None for a sheet that is none of the modules (instructions, notes)."""
    by_key: dict[str, int] = {}
    by_item: dict[str, int] = {}
    texts = _text_index()
    known = _known_ids()
    for _, row in rows:
        for v in row:
            if not isinstance(v, str):
                continue
            if "|" in v:
                m = KEY_RE.match(v.strip())
                if m:
                    by_key[m["module"]] = by_key.get(m["module"], 0) + 1
                    continue
            t = v.strip()
            item_id = t if t in known else texts.get(_norm(t))
            if item_id is not None:
                mod = item_id.partition(".")[0]
                if mod in bank.MODULES:
                    by_item[mod] = by_item.get(mod, 0) + 1
    name = module_of_sheet(sheet)  # the code or the tab in any language
    if by_key:
        return max(by_key, key=lambda m: (by_key[m], m == name))
    if name is not None:
        return name
    if by_item:
        return max(by_item, key=lambda m: by_item[m])
    return None


def _report_stray_answers(
    sheet: str, rows: list[tuple[int, tuple[Any, ...]]], col: _Collected
) -> None:
    """Answers typed in a sheet that is no module (under an "Answer" header) are reported."""
    words = _header_words()
    answer_col: int | None = None
    for r, row in rows:
        if answer_col is None:
            found = [
                j
                for j, v in enumerate(row)
                if isinstance(v, str) and words.get(_norm(v)) == "answer"
            ]
            if found:
                answer_col = found[0]
            continue
        v = row[answer_col] if answer_col < len(row) else None
        if not _blank(v):
            col.problem(sheet, f"{_col_letter(answer_col)}{r}", "", v, "not_a_module")


@cache
def _language_index() -> dict[str, str]:
    """Texts of the workbook (questions, headers, options) that belong to one language."""
    seen: dict[str, set[str]] = {}

    def add(texts: dict[str, str]) -> None:
        for lang, text in texts.items():
            if lang in bank.LANGUAGES and isinstance(text, str):
                seen.setdefault(_norm(text), set()).add(lang)

    for it in bank.all_items():
        add(dict(it.text))
        for opt in it.options:
            add(dict(opt.labels))
    for texts in bank.labels()["ui"].values():
        if isinstance(texts, dict):
            add(texts)
    return {t: next(iter(langs)) for t, langs in seen.items() if len(langs) == 1 and t}


def _infer_language(texts: list[Any]) -> str:
    """The language most of the workbook's texts are in (English when none is known)."""
    index = _language_index()
    votes = dict.fromkeys(bank.LANGUAGES, 0)
    for t in texts:
        lang = index.get(_norm(t))
        if lang is not None:
            votes[lang] += 1
    best = max(bank.LANGUAGES, key=lambda lang: votes[lang])
    return best if votes[best] else "en"


def _country_in_rows(rows: list[tuple[int, tuple[Any, ...]]]) -> str | None:
    names = {_norm(t) for t in bank.labels()["ui"]["country"].values()}
    for _, row in rows:
        if len(row) >= 2 and row[0] is not None and _norm(row[0]) in names and row[1]:
            return str(row[1]).strip().upper()
    return None


def _read_module_sheet(
    rows: list[tuple[int, tuple[Any, ...]]], sheet: str, module: str, col: _Collected
) -> None:
    cols = {"id": 0, "question": 1, "answer": 3, "comment": 5, "key": 6}
    words = _header_words()
    current_source = ""
    last_multiple: str | None = None
    col.sources.setdefault(module, [])
    for r, row in rows:
        cells = list(row)
        # The header row tells where the columns are (an office may have inserted one).
        found: dict[str, int] = {}
        for j, v in enumerate(cells):
            if isinstance(v, str) and (word := words.get(_norm(v))):
                found[word] = j
        if "answer" in found and ("question" in found or "key" in found):
            cols.update(found)
            continue

        def get(name: str, cells: list[Any] = cells) -> Any:
            j = cols.get(name)
            return cells[j] if j is not None and j < len(cells) else None

        answer, key_text = get("answer"), get("key")
        cell_ref = f"{_col_letter(cols['answer'])}{r}"
        comment = _raw_text(get("comment"))
        m = KEY_RE.match(str(key_text).strip()) if isinstance(key_text, str) else None
        if m:
            mod, sid, item_id, option = m["module"], m["source"], m["item"], m["option"]
            if item_id == "#source":
                current_source = sid
                col.add_source(mod, sid)
                continue
            if item_id not in _known_ids():
                col.problem(
                    sheet,
                    cell_ref,
                    item_id,
                    answer,
                    "unknown_item",
                )
                continue
            if sid:
                col.add_source(mod, sid)
            key: str | None = make_key(mod, sid, item_id, option)
        else:
            key = _match_row(module, get("id"), get("question"), current_source, last_multiple)
            if key is None:
                header = _source_in_header(get("id"))
                if header:
                    current_source = header
                    col.add_source(module, header)
                elif not _blank(answer):
                    col.problem(
                        sheet,
                        cell_ref,
                        "",
                        answer,
                        "no_question",
                    )
                continue
        assert key is not None
        km = KEY_RE.match(key)
        assert km is not None
        if km["option"] is None and bank.get_item(km["item"]).type == "multiple":
            last_multiple = key
        for j in range(max(cols.values()) + 1, len(cells)):  # typed beside the answer
            if not _blank(cells[j]):
                col.problem(
                    sheet, f"{_col_letter(j)}{r}", km["item"], cells[j], "outside_answer_column"
                )
        if key in col.cells:
            prev = col.cells[key]
            col.problem(
                sheet,
                cell_ref,
                km["item"],
                answer,
                "twice",
                other=prev.cell,
            )
            continue
        col.cells[key] = _Cell(answer, sheet, cell_ref, comment)


@cache
def _known_ids() -> frozenset[str]:
    return frozenset(it.id for it in bank.all_items())


_SOURCE_ID_IN_HEADER = re.compile(r"\(([A-Z]{3}-[^()\s]+)\)")


def _source_in_header(text: Any) -> str | None:
    if not isinstance(text, str):
        return None
    m = _SOURCE_ID_IN_HEADER.search(text)
    return m.group(1) if m else None


def _match_row(
    module: str, id_text: Any, question: Any, source: str, last_multiple: str | None
) -> str | None:
    """Key of a row that lost its hidden key: by item id, question text or option label."""
    item_id = None
    if isinstance(id_text, str) and id_text.strip() in _known_ids():
        item_id = id_text.strip()
    elif question is not None:
        item_id = _text_index().get(_norm(question))
    if item_id is not None:
        it = bank.get_item(item_id)
        if it.module not in (module, "COM"):
            return None
        return make_key(module, source if it.per_source else "", item_id)
    if not isinstance(question, str):
        return None
    label = _norm(question.lstrip(" •"))
    if last_multiple:
        km = KEY_RE.match(last_multiple)
        assert km is not None
        code = _option_index(km["item"]).get(label)
        if code:
            return f"{last_multiple}#{code}"
    # Rows moved away from their question: an option label unique within its block.
    module_items, common = bank.module_items(module)
    scope = common if source else module_items
    hits = [
        (it.id, _option_index(it.id)[label])
        for it in scope
        if it.type == "multiple" and label in _option_index(it.id)
    ]
    if len(hits) == 1:
        return make_key(module, source, hits[0][0], hits[0][1])
    return None


# ---------------------------------------------------------------------------------------------
# KoboToolbox / ODK CSV

_CSV_ITEM = re.compile(
    r"(?:^|/)(?:(?P<rmod>STK|IMM|EMI|NAB|RP)_sources(?:\[(?P<n>\d+)\]|_(?P<n2>\d+))?/)?"
    r"(?P<mod>STK|IMM|EMI|NAB|RP)_(?P<com>COM_)?(?P<num>\d{3})$"
)


def _read_csv(path: Path) -> Answers:
    if path.stat().st_size > MAX_BYTES:
        raise InputError(f"the file is larger than {MAX_BYTES / 1e6:.0f} MB", file=str(path))
    content = path.read_bytes()
    if content.startswith((b"\xff\xfe", b"\xfe\xff")):  # KoboToolbox / Excel "Unicode text"
        try:
            text = content.decode("utf-16")
        except UnicodeDecodeError:
            raise InputError(
                "the file is UTF-16 but truncated (an odd number of bytes); export it again",
                file=str(path),
            ) from None
    else:
        try:
            text = content.decode("utf-8-sig")
        except UnicodeDecodeError:
            text = content.decode("latin-1")
    if not text.strip():
        raise InputError("the CSV file is empty", file=str(path))
    try:
        dialect = csv.Sniffer().sniff(text[:5000], delimiters=",;\t")
        delim = dialect.delimiter
    except csv.Error:
        delim = ","
    records = list(csv.reader(text.splitlines(), delimiter=delim))
    header, data = records[0], [r for r in records[1:] if any(c.strip() for c in r)]
    if not data:
        raise InputError("the CSV export has a header but no submission", file=str(path))
    col = _Collected()
    name = path.name
    if len(data) > 1:
        col.problem(name, "", "", len(data), "submissions", n=len(data))
    row = data[-1]
    values = dict(zip(header, row, strict=False))
    norm = {h.split("/")[-1].lower(): v for h, v in values.items()}
    country = (norm.get("country") or "").strip().upper()
    version = (norm.get("bank_version") or "").strip()
    _check_version(version, path, col)
    language = (norm.get("language") or "en").strip() or "en"
    for j, h in enumerate(header):
        m = _CSV_ITEM.search(h.strip())
        if not m:
            continue
        mod = m["mod"]
        raw = values.get(h, "")
        item_id = f"{'COM' if m['com'] else mod}.{m['num']}"
        cell = f"{_col_letter(j)}{len(records) if len(data) else 2}"
        if item_id not in _known_ids():
            if raw.strip():
                col.problem(name, h, item_id, raw, "unknown_item")
            continue
        sid = ""
        if m["com"]:
            n = m["n"] or m["n2"] or "1"
            sid = f"{country or 'UNK'}-{mod}-S{n}"
            col.add_source(mod, sid)
        col.sources.setdefault(mod, [])
        col.cells[make_key(mod, sid, item_id)] = _Cell(raw, name, cell)
    if not col.sources:
        raise InputError(
            "no questionnaire columns found (expected names such as STK_010 or "
            "STK_sources[1]/STK_COM_010, as in the XLSForm export)",
            file=str(path),
        )
    table = _assemble(col, country)
    return Answers(country, language, table, col.problem_table(language), version, str(path))


@public
def read_answers(path: str | Path) -> Answers:
    """Read a returned questionnaire: the Excel workbook or a KoboToolbox/ODK CSV export.

    Parameters
    ----------
    path
        ``.xlsx`` workbook written by :func:`write_template` (after any real-world editing),
        or the ``.csv`` export of a KoboToolbox/ODK form made with :func:`to_xlsform`.

    Returns
    -------
    Answers
        ``.table`` (one row per item and source), ``.problems`` (sheet, cell, item, value,
        message), ``.country``, ``.language``, ``.profiles()``.

    Raises
    ------
    InputError
        A file that is not a readable workbook or CSV, too large, or of another major
        questionnaire version.

    Examples
    --------
    >>> import tempfile
    >>> from migdata.questionnaire.template import write_template
    >>> path = write_template(tempfile.mkdtemp() + "/q.xlsx", lang="fr", country="RWA")
    >>> ans = read_answers(path)
    >>> ans.country, ans.language, set(ans.table["status"])
    ('RWA', 'fr', {'missing'})
    """
    p = Path(path)
    if not p.is_file():
        raise InputError("no such file", file=str(p))
    if p.suffix.lower() in (".csv", ".txt", ".tsv"):
        return _read_csv(p)
    try:
        return _read_xlsx(p)
    except zipfile.BadZipFile as err:
        raise InputError(f"the workbook is damaged ({err})", file=str(p)) from None
