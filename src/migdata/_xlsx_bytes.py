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
    """Save an openpyxl workbook to ``path`` with pinned timestamps."""
    wb.properties.created = FIXED_TIME
    wb.properties.modified = FIXED_TIME
    buffer = io.BytesIO()
    wb.save(buffer)
    out = Path(path)
    out.write_bytes(normalise_xlsx(buffer.getvalue()))
    return out
