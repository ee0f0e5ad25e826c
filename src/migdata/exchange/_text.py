"""Reading delimited text robustly: encoding, BOM, delimiter and truncation.

Repairs what has one meaning (and says so in notes); refuses with the line number otherwise.
"""

from __future__ import annotations

import io
import re
from pathlib import Path

import numpy as np
import pandas as pd

from migdata.errors import InputError

_DELIMITERS = (",", ";", "\t", "|")
_NAMES = {",": "comma", ";": "semicolon", "\t": "tab", "|": "vertical bar"}


def decode(data: bytes, notes: list[str], file: str | None = None) -> str:
    """Bytes -> text: UTF-8 (BOM removed), UTF-16 with BOM, else Latin-1 (Windows-1252)."""
    if data.startswith(b"\xef\xbb\xbf"):
        notes.append("the file starts with a UTF-8 byte-order mark; it was removed")
        data = data[3:]
    elif data.startswith((b"\xff\xfe", b"\xfe\xff")):
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
    if not text.strip():
        raise InputError("the file is empty; expected a header line", file=file, row=1)
    header = text.split("\n", 1)[0].rstrip("\r")
    sep = detect_delimiter(header, expected, notes)
    try:
        frame = pd.read_csv(
            io.StringIO(text),
            sep=sep,
            dtype="str",
            keep_default_na=False,
            na_filter=True,
            na_values=[],
            skip_blank_lines=True,
            engine="c",
        )
    except pd.errors.ParserError as err:
        match = re.search(r"line (\d+), saw (\d+)", str(err))
        row = int(match.group(1)) if match else None
        raise InputError(
            f"a row has more fields than the header ({err}); the delimiter or quoting is "
            "inconsistent, so the columns cannot be assigned",
            file=file,
            row=row,
        ) from None
    frame.columns = [str(c).strip() for c in frame.columns]
    # Line numbers: header is line 1; blank lines are skipped by the parser, so count them.
    lines = _line_numbers(text, len(frame))
    # With na_filter and no NA tokens, only fields missing at the end of a short row are NaN.
    short = frame.isna().any(axis=1).to_numpy() if len(frame) else np.zeros(0, dtype=bool)
    if short.any():
        pos = int(np.flatnonzero(short)[0])
        fields = int(frame.iloc[pos].notna().sum())
        last = pos == len(frame) - 1 and not text.endswith(("\n", "\r"))
        why = (
            "the file ends in the middle of this line (it looks truncated); the cut value "
            "cannot be told from a complete one"
            if last
            else "fields are missing, so the remaining values cannot be assigned to columns"
        )
        raise InputError(
            f"expected {frame.shape[1]} fields, got {fields}: {why}",
            file=file,
            row=int(lines[pos]),
        )
    if len(frame) and not text.endswith(("\n", "\r")):
        notes.append(
            f"the file does not end with a line break; its last line ({int(lines[-1])}) has "
            "every field and was read as complete"
        )
    return frame, lines


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
