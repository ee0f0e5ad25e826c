"""Byte-identical workbooks: the same content always gives the same .xlsx bytes.

openpyxl stamps the save time into ``docProps/core.xml`` and the zip entries; both are
pinned here so that writing the same workbook twice gives identical files.
"""

from __future__ import annotations

import datetime as dt
import io
import re
import zipfile
from pathlib import Path
from typing import Any

FIXED_TIME = dt.datetime(2000, 1, 1)
_ZIP_TIME = (1980, 1, 1, 0, 0, 0)
_STAMPS = re.compile(
    rb"(<dcterms:(?:modified|created)[^>]*>)[^<]*(</dcterms:(?:modified|created)>)"
)


def normalise_xlsx(data: bytes) -> bytes:
    """Rewrite an .xlsx zip with fixed timestamps and permissions (same entries, same order)."""
    src = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            fixed = zipfile.ZipInfo(info.filename, date_time=_ZIP_TIME)
            fixed.compress_type = zipfile.ZIP_DEFLATED
            fixed.external_attr = 0o600 << 16
            content = src.read(info.filename)
            if info.filename == "docProps/core.xml":
                content = _STAMPS.sub(rb"\g<1>2000-01-01T00:00:00Z\g<2>", content)
            dst.writestr(fixed, content)
    return out.getvalue()


def save_workbook(wb: Any, path: str | Path) -> Path:
    """Save an openpyxl workbook to ``path`` with pinned timestamps, atomically.

    No cell is written as a formula: text such as ``"=HYPERLINK(...)"`` that came from a
    user (a source name, a label) is stored as text (migdata writes no formulas).
    """
    from migdata._safe_io import atomic_write, keep_as_text

    wb.properties.created = FIXED_TIME
    wb.properties.modified = FIXED_TIME
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                if cell.data_type == "f":
                    keep_as_text(cell)
    buffer = io.BytesIO()
    wb.save(buffer)
    return atomic_write(path, normalise_xlsx(buffer.getvalue()))
