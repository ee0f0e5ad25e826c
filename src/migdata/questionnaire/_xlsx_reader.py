"""Fast cell values of an .xlsx workbook, read straight from its XML parts (private).

Owns :class:`XlsxBook`: sheet names and states, and each worksheet's rows of values as
openpyxl's read-only ``iter_rows(values_only=True)`` returns them, at a fraction of the
cost; :class:`Unsupported` tells the caller to read the workbook with openpyxl instead.
"""

from __future__ import annotations

import posixpath
import re
import zipfile
import zlib
from collections.abc import Generator, Iterator
from datetime import datetime
from pathlib import Path
from typing import IO, Any
from xml.etree.ElementTree import Element, ParseError

from defusedxml.ElementTree import fromstring, iterparse  # entity expansion off
from openpyxl.styles.numbers import builtin_format_code, is_date_format, is_timedelta_format
from openpyxl.utils.datetime import CALENDAR_MAC_1904, WINDOWS_EPOCH, from_excel, from_ISO8601
from openpyxl.xml.constants import SHARED_STRINGS, XLSM, XLSX, XLTM, XLTX

from migdata.errors import InputError

__all__ = ["MAX_PART_BYTES", "Unsupported", "XlsxBook"]

MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_REL_ID = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id"
_PKG_REL = "{http://schemas.openxmlformats.org/package/2006/relationships}Relationship"
_CT = "{http://schemas.openxmlformats.org/package/2006/content-types}Override"
_ROW, _C, _V, _F, _IS, _T, _R = (MAIN + t for t in ("row", "c", "v", "f", "is", "t", "r"))
_SHEET_DATA = MAIN + "sheetData"
STYLES_PART = "xl/styles.xml"  # where openpyxl looks for it too
# An XML part of a questionnaire is ~100 kB; a part that inflates beyond this is refused
# before it is read (a zip bomb would otherwise exhaust memory).
MAX_PART_BYTES = 100_000_000
WHOLE_PART_BYTES = 4_000_000  # parts up to this size are parsed in one go
# What can go wrong inside a damaged archive or part: the caller then tries openpyxl.
_DAMAGE = (
    KeyError,
    IndexError,
    ValueError,
    TypeError,
    OverflowError,
    ParseError,
    zipfile.BadZipFile,
    zlib.error,
    EOFError,
    OSError,
    NotImplementedError,  # zipfile: an unsupported compression method
)


class Unsupported(Exception):
    """The workbook has a structure this reader does not handle: read it with openpyxl."""


_COLUMNS: dict[str, int] = {}


def _column(ref: str) -> int:
    """Column number (1-based) of a cell reference such as ``"AB12"``."""
    letters = ref.rstrip("0123456789")
    col = _COLUMNS.get(letters)
    if col is None:
        col = 0
        for ch in letters.upper():
            if not "A" <= ch <= "Z":
                raise Unsupported(f"cell reference {ref!r}")
            col = col * 26 + ord(ch) - 64
        if not 1 <= col <= 16384:
            raise Unsupported(f"cell reference {ref!r}")
        _COLUMNS[letters] = col
    return col


def _cast_number(text: str) -> int | float:
    # The rule openpyxl applies, so that both readers give the same Python types.
    if "." in text or "E" in text or "e" in text:
        return float(text)
    return int(text)


def _text(node: Element) -> str:
    """Text of a shared or inline string: plain text plus rich-text runs, no phonetics."""
    parts = []
    for child in node:
        if child.tag == _T:
            parts.append(child.text or "")
        elif child.tag == _R:
            t = child.find(_T)
            if t is not None:
                parts.append(t.text or "")
    return "".join(parts)


_ROOT_TAG = re.compile(rb"<([A-Za-z_][\w.-]*:)?worksheet[\s>]")


def _cells_only(xml: bytes) -> bytes:
    """A worksheet part cut after its cells (``</sheetData></worksheet>``).

    What follows the cells (data validations, formatting, protection: a fifth of a
    questionnaire sheet) is never read. Anything unusual leaves the part whole; a cut that
    were not well-formed fails to parse, and the sheet then goes to openpyxl.
    """
    root = _ROOT_TAG.search(xml)
    if root is None:
        return xml
    prefix = root.group(1) or b""
    end = xml.find(b"</" + prefix + b"sheetData>", root.end())
    if end < 0:
        return xml
    return xml[: end + len(prefix) + 12] + b"</" + prefix + b"worksheet>"


class XlsxBook:
    """Cell values of an .xlsx workbook without building openpyxl objects.

    Values follow openpyxl's read-only mode with ``data_only=False``: numbers as int or
    float, shared and inline strings as text, booleans, error codes as text (``#N/A``),
    dates where the cell's number format is a date format, and formulas as their text
    (``"=SUM(A1:A3)"``; array formulas too, data tables as ``"=TABLE(r1,r2)"``), never
    evaluated. Rows are numbered from 1 and missing rows come as empty tuples.

    Parameters
    ----------
    path
        The workbook.

    Raises
    ------
    Unsupported
        Not a workbook this reader understands (damaged archive, strict OOXML, missing
        parts): the caller reads it with openpyxl, which reports the damage.
    InputError
        A part that inflates beyond :data:`MAX_PART_BYTES`.

    Examples
    --------
    >>> import tempfile, openpyxl
    >>> wb = openpyxl.Workbook()
    >>> wb.active.append(["Question", 12, "=1+1"])
    >>> path = tempfile.mkdtemp() + "/book.xlsx"
    >>> wb.save(path)
    >>> book = XlsxBook(path)
    >>> book.sheetnames, list(book.iter_rows("Sheet"))
    (['Sheet'], [('Question', 12, '=1+1')])
    >>> book.close()
    """

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        try:
            self._zip = zipfile.ZipFile(self.path)
        except _DAMAGE as err:
            raise Unsupported(f"not a readable zip archive ({err})") from err
        try:
            self._names = set(self._zip.namelist())
            self._parts: dict[str, str | None] = {}  # sheet name -> worksheet part (None: chart)
            self.sheetnames: list[str] = []
            self.states: dict[str, str] = {}
            self._read_structure()
        except InputError:
            self.close()
            raise
        except Unsupported:
            self.close()
            raise
        except _DAMAGE as err:
            self.close()
            raise Unsupported(f"{type(err).__name__}: {err}") from err
        self._strings: list[str] | None = None
        self._styles: tuple[frozenset[int], frozenset[int]] | None = None

    # -- structure -------------------------------------------------------------------------

    def _open(self, part: str) -> IO[bytes]:
        info = self._zip.getinfo(part)
        if info.file_size > MAX_PART_BYTES:
            raise InputError(
                f"the part {part} inflates to {info.file_size / 1e6:.0f} MB; a questionnaire "
                f"workbook is a few hundred kB: is this the right file?",
                file=str(self.path),
            )
        return self._zip.open(info)

    def _xml(self, part: str) -> Element:
        with self._open(part) as fh:
            return fromstring(fh.read())

    def _read_structure(self) -> None:
        # The workbook part is found as openpyxl finds it: by its content type.
        types = self._xml("[Content_Types].xml")
        by_type = {o.get("ContentType"): (o.get("PartName") or "") for o in types.iter(_CT)}
        workbook = next((by_type[t] for t in (XLTM, XLTX, XLSM, XLSX) if t in by_type), None)
        if not workbook:
            raise Unsupported("no workbook part in [Content_Types].xml")
        workbook = workbook.lstrip("/")
        strings = by_type.get(SHARED_STRINGS)
        self._strings_part = strings.lstrip("/") if strings else None
        root = self._xml(workbook)
        if root.tag != MAIN + "workbook":
            raise Unsupported(f"unexpected workbook root {root.tag!r} (strict OOXML?)")
        pr = root.find(MAIN + "workbookPr")
        date1904 = pr is not None and pr.get("date1904", "").lower() in ("1", "true")
        self._epoch: datetime = CALENDAR_MAC_1904 if date1904 else WINDOWS_EPOCH
        rels = self._relationships(workbook)
        sheets = root.find(MAIN + "sheets")
        for sheet in sheets if sheets is not None else ():
            name, rid = sheet.get("name"), sheet.get(_REL_ID)
            if not name or not rid:
                continue  # openpyxl drops such a sheet too (with a warning)
            rel_type, target = rels[rid]
            if target not in self._names:
                continue  # as openpyxl: a sheet whose part is missing is not listed
            if name in self._parts:
                raise Unsupported(f"two sheets named {name!r}")
            self.sheetnames.append(name)
            self.states[name] = sheet.get("state", "visible")
            self._parts[name] = None if "chartsheet" in rel_type else target

    def _relationships(self, part: str) -> dict[str, tuple[str, str]]:
        folder, base = posixpath.split(part)
        rels_part = posixpath.join(folder, "_rels", base + ".rels")
        out: dict[str, tuple[str, str]] = {}
        if rels_part not in self._names:
            return out
        for rel in self._xml(rels_part).iter(_PKG_REL):
            if rel.get("TargetMode") == "External":
                continue
            target = rel.get("Target") or ""
            if target.startswith("/"):
                target = target[1:]
            else:
                target = posixpath.normpath(posixpath.join(folder, target))
            out[rel.get("Id") or ""] = (rel.get("Type") or "", target)
        return out

    def _shared_strings(self) -> list[str]:
        if self._strings is None:
            strings: list[str] = []
            if self._strings_part is not None:
                with self._open(self._strings_part) as fh:
                    for _, node in iterparse(fh):
                        if node.tag == MAIN + "si":
                            # openpyxl drops the escape of a literal "_x" in the same way.
                            strings.append(_text(node).replace("x005F_", ""))
                            node.clear()
            self._strings = strings
        return self._strings

    def _date_styles(self) -> tuple[frozenset[int], frozenset[int]]:
        """Indexes of the cell styles whose number format is a date (and a duration)."""
        if self._styles is None:
            dates: set[int] = set()
            durations: set[int] = set()
            if STYLES_PART in self._names:
                root = self._xml(STYLES_PART)
                custom = {
                    int(n.get("numFmtId", "-1")): n.get("formatCode")
                    for n in root.iter(MAIN + "numFmt")
                }
                xfs = root.find(MAIN + "cellXfs")
                for idx, xf in enumerate(xfs if xfs is not None else ()):
                    fmt_id = int(xf.get("numFmtId", "0"))
                    fmt = custom[fmt_id] if fmt_id in custom else builtin_format_code(fmt_id)
                    if is_date_format(fmt):
                        dates.add(idx)
                    if is_timedelta_format(fmt):
                        durations.add(idx)
            self._styles = (frozenset(dates), frozenset(durations))
        return self._styles

    # -- cells -----------------------------------------------------------------------------

    def iter_rows(self, sheet: str, *, stream: bool = False) -> Generator[tuple[Any, ...]]:
        """Rows of values of a sheet from row 1, as openpyxl's read-only ``values_only``.

        ``stream=True`` parses the part as the rows are taken (cheaper when only the first
        rows are wanted); otherwise a part of a few MB is parsed at once (faster in total).
        Raises :class:`Unsupported` (possibly after some rows) on anything unexpected;
        read the rows into a list first when a fallback must be possible.
        """
        part = self._parts[sheet]
        if part is None:
            return  # a chart sheet has no cells
        try:
            yield from self._sheet_rows(part, stream)
        except (Unsupported, InputError):
            raise
        except _DAMAGE as err:
            raise Unsupported(f"{sheet}: {type(err).__name__}: {err}") from err

    def _sheet_rows(self, part: str, stream: bool) -> Iterator[tuple[Any, ...]]:
        shared: dict[str, Any] = {}  # shared formulas of this sheet
        expected = 1  # number of the next row to yield
        last = 0
        for row in self._row_elements(part, stream):
            r = row.get("r")
            number = last + 1 if r is None else int(float(r))
            if r is not None and float(r) != number:
                raise Unsupported(f"row number {r!r}")
            if number < expected:
                raise Unsupported(f"row {number} out of order")
            while expected < number:
                yield ()
                expected += 1
            yield self._row(row, shared)
            expected += 1
            last = number
            row.clear()

    def _row_elements(self, part: str, stream: bool) -> Iterator[Element]:
        """The ``<row>`` elements of a worksheet part, in document order."""
        with self._open(part) as fh:
            if not stream and self._zip.getinfo(part).file_size <= WHOLE_PART_BYTES:
                # A questionnaire sheet (~100 kB): one parse in C is far cheaper than
                # streaming events for every element.
                data = fromstring(_cells_only(fh.read())).find(_SHEET_DATA)
                yield from data.iter(_ROW) if data is not None else ()
                return
            for _, el in iterparse(fh):  # a large sheet is streamed: bounded memory
                if el.tag == _ROW:
                    yield el
                elif el.tag == _SHEET_DATA:
                    return  # the cells are over: validations, formatting are not needed

    def _row(self, row: Element, shared: dict[str, Any]) -> tuple[Any, ...]:
        out: list[Any] = []
        col = 0
        for c in row:
            if c.tag != _C:
                continue
            ref = c.get("r")
            col = _column(ref) if ref else col + 1  # no reference: the next column
            value = self._value(c, ref, shared)
            if col > len(out):  # the usual case: cells in column order, maybe with gaps
                out.extend([None] * (col - len(out) - 1))
                out.append(value)
            else:
                out[col - 1] = value
        return tuple(out)

    def _value(self, c: Element, ref: str | None, shared: dict[str, Any]) -> Any:
        f = c.find(_F)
        if f is not None:
            return self._formula(f, ref, shared)
        t = c.get("t", "n")
        if t == "inlineStr":
            node = c.find(_IS)
            if node is None:
                return None
            if len(node) == 1 and node[0].tag == _T:  # plain text, as openpyxl writes it
                return node[0].text or ""
            return _text(node)
        v = c.findtext(_V)
        if not v:
            return None
        if t == "n":
            number = _cast_number(v)
            s = c.get("s")
            if s and s != "0":
                dates, durations = self._date_styles()
                style = int(s)
                if style in dates:
                    try:
                        return from_excel(number, self._epoch, timedelta=style in durations)
                    except (OverflowError, ValueError):
                        return "#VALUE!"  # what openpyxl gives for a date out of range
            return number
        if t == "s":
            return self._shared_strings()[int(v)]
        if t == "b":
            return bool(int(v))
        if t in ("str", "e"):
            return v
        if t == "d":
            return from_ISO8601(v)
        raise Unsupported(f"cell type {t!r}")

    @staticmethod
    def _formula(f: Element, ref: str | None, shared: dict[str, Any]) -> str:
        text = "=" + (f.text or "")
        kind = f.get("t")
        if kind == "shared":
            si = f.get("si") or ""
            if si in shared:
                return str(shared[si].translate_formula(ref))
            if text != "=":
                from openpyxl.formula.translate import Translator

                shared[si] = Translator(text, ref)
        elif kind == "dataTable":
            args = ",".join(a for a in (f.get("r1"), f.get("r2")) if a)
            return f"=TABLE({args})"
        return text

    def close(self) -> None:
        """Close the archive."""
        self._zip.close()
