"""Reading delimited text robustly: encoding, BOM, delimiter and truncation.

Repairs what has one meaning (and says so in notes); refuses with the line number otherwise.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv

from migdata._limits import MAX_COLUMNS, MAX_LINE_BYTES
from migdata.errors import InputError

_DELIMITERS = (",", ";", "\t", "|")
_NAMES = {",": "comma", ";": "semicolon", "\t": "tab", "|": "vertical bar"}


def decode(data: bytes, notes: list[str], file: str | None = None) -> str:
    """Bytes -> text: UTF-8 (BOM removed), UTF-16 with BOM, else Latin-1 (Windows-1252)."""
    if data.startswith(b"\xef\xbb\xbf"):
        notes.append("the file starts with a UTF-8 byte-order mark; it was removed")
        data = data[3:]
    elif data.startswith((b"\xff\xfe", b"\xfe\xff")):
        if len(data) % 2:
            raise InputError(
                "the file is UTF-16 (byte-order mark) but has an odd number of bytes: it is "
                "truncated or damaged; save it again as UTF-8",
                file=file,
            )
        notes.append("the file is UTF-16 (byte-order mark); decoded as UTF-16")
        return data.decode("utf-16")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as err:
        line = data[: err.start].count(b"\n") + 1
        try:
            text = data.decode("cp1252")
            name = "Windows-1252 (Latin-1)"
        except UnicodeDecodeError:
            text = data.decode("latin-1")
            name = "ISO-8859-1 (Latin-1)"
        notes.append(
            f"the file is not UTF-8 (first invalid byte on line {line}); decoded as {name}, "
            "the only single-byte encoding in use for these files; SDMX-CSV requires UTF-8"
        )
        return text


def detect_delimiter(header: str, expected: tuple[str, ...], notes: list[str]) -> str:
    """The delimiter that splits the header into known column names (comma preferred)."""
    best, best_score = ",", -1
    for delim in _DELIMITERS:
        names = [n.strip().strip('"') for n in header.split(delim)]
        score = sum(n in expected for n in names) if len(names) > 1 else 0
        if score > best_score:
            best, best_score = delim, score
    if best != ",":
        notes.append(
            f"the columns are separated by {_NAMES[best]}s, not commas as SDMX-CSV requires; "
            f"read with the {_NAMES[best]} because only it splits the header into known columns"
        )
    return best


def read_table(
    path: Path | str,
    expected: tuple[str, ...],
    notes: list[str],
    *,
    text: str | None = None,
) -> tuple[pd.DataFrame, np.ndarray]:
    """Read a delimited text file as strings; returns the frame and each row's line number."""
    file = str(path)
    if text is None:
        text = decode(Path(path).read_bytes(), notes, file)
    # Comment lines before the header ("# SYNTHETIC DATA ...", "# source: ...") are skipped;
    # line numbers in messages still count them.
    skipped = 0
    while text.startswith("#"):
        text = text.partition("\n")[2]
        skipped += 1
    if skipped:
        notes.append(f"skipped {skipped} comment line(s) starting with '#' before the header")
    if not text.strip():
        raise InputError("the file is empty; expected a header line", file=file, row=1 + skipped)
    header = text.split("\n", 1)[0].rstrip("\r")
    if len(header) > MAX_LINE_BYTES:
        raise InputError(
            f"the header line is {len(header):,} characters long; an exchange file's header "
            "names about 20 columns (is this the right file, with line breaks?)",
            file=file,
            row=1 + skipped,
        )
    sep = detect_delimiter(header, expected, notes)
    names = next(csv.reader([header], delimiter=sep))
    if len(names) > MAX_COLUMNS:
        raise InputError(
            f"the header has {len(names):,} columns; an exchange file has about 20 "
            f"(at most {MAX_COLUMNS:,} are read)",
            file=file,
            row=1 + skipped,
        )
    invalid: list[tuple[int, int, int]] = []

    def on_invalid(row: Any) -> str:
        number = -1 if row.number is None else int(row.number)
        invalid.append((number, int(row.expected_columns), int(row.actual_columns)))
        return "skip"

    try:
        table = _parse(text, sep, names, on_invalid)
    except pa.ArrowInvalid as err:
        if "straddl" in str(err) or "block" in str(err):
            raise InputError(
                "a line or field of several MB, longer than the reader accepts; an exchange "
                "row is about 150 bytes (is this the right file?)",
                file=file,
            ) from None
        raise InputError(f"unreadable CSV: {err}", file=file) from None
    if invalid:
        number, expected_n, actual = min(invalid)
        last = number == len(table) + len(invalid) and not text.endswith(("\n", "\r"))
        if actual > expected_n:
            why = "the row has more fields than the header, so the columns cannot be assigned"
        elif last:
            why = (
                "the file ends in the middle of this line (it looks truncated); the cut value "
                "cannot be told from a complete one"
            )
        else:
            why = "fields are missing, so the remaining values cannot be assigned to columns"
        raise InputError(
            f"expected {expected_n} fields, got {actual}: {why}", file=file, row=number + skipped
        )
    frame = table.to_pandas()
    frame.columns = [str(c).strip() for c in frame.columns]
    # Line numbers: header is line 1; blank lines are skipped by the parser, so count them.
    lines = _line_numbers(text, len(frame)) + skipped
    if len(frame) and not text.endswith(("\n", "\r")):
        notes.append(
            f"the file does not end with a line break; its last line ({int(lines[-1])}) has "
            "every field and was read as complete"
        )
    return frame, lines


def _parse(text: str, sep: str, names: list[str], on_invalid: Any) -> pa.Table:
    """Parse with Arrow: every column as text, empty fields kept as empty strings."""
    return pacsv.read_csv(
        io.BytesIO(text.encode("utf-8")),
        # Single-threaded so that the parser knows the row number of an invalid row.
        read_options=pacsv.ReadOptions(use_threads=False),
        parse_options=pacsv.ParseOptions(
            delimiter=sep, newlines_in_values=True, invalid_row_handler=on_invalid
        ),
        convert_options=pacsv.ConvertOptions(
            column_types=dict.fromkeys(names, pa.string()),
            strings_can_be_null=False,
            quoted_strings_can_be_null=False,
        ),
    )


def _line_numbers(text: str, n: int) -> np.ndarray:
    """Line number of each data row, assuming no line breaks inside quoted fields."""
    if "\n\n" not in text and "\r\n\r\n" not in text:
        return np.arange(2, n + 2, dtype=np.int64)
    raw = text.splitlines()
    nonblank = np.flatnonzero(np.array([bool(s.strip()) for s in raw], dtype=bool)) + 1
    out = nonblank[1 : n + 1]
    if len(out) < n:  # quoted multi-line fields: fall back to positions
        return np.arange(2, n + 2, dtype=np.int64)
    return out.astype(np.int64)
