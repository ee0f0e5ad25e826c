"""Size and time guards shared by the readers (private).

Owns the documented limits (parts of a workbook, columns of a header, length of a line,
rows listed per rule in a problem report) and :func:`check_zip_parts`, which refuses a
workbook whose parts would inflate out of proportion (a zip or shared-strings bomb) before
any XML is parsed.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

from migdata.errors import InputError

__all__ = [
    "MAX_COLUMNS",
    "MAX_LINE_BYTES",
    "MAX_PART_BYTES",
    "MAX_PART_RATIO",
    "MAX_PROBLEMS_PER_RULE",
    "check_zip_parts",
]

MAX_PART_BYTES = 2_000_000_000
"""A workbook part (one sheet's XML, the shared strings) may inflate to at most 2 GB: a
full Excel sheet of exchange data (1,048,576 rows of about 20 cells)."""
MAX_TOTAL_BYTES = 4_000_000_000
"""All the parts of one workbook together."""
MAX_PART_RATIO = 100
"""Parts beyond :data:`SMALL_PART_BYTES` may inflate at most 100-fold (spreadsheet XML
inflates 5- to 30-fold); a 0.5 MB file holding 10 million shared strings inflates 1000-fold."""
SMALL_PART_BYTES = 20_000_000
MAX_COLUMNS = 1_000
"""Columns of a text file's header (an exchange file has about 20)."""
MAX_LINE_BYTES = 1_000_000
"""Longest line of a text file (an exchange row is about 150 bytes)."""
MAX_PROBLEMS_PER_RULE = 1_000
"""Problems listed per rule in a validation report; the others are counted."""


def check_zip_parts(path: str | Path, *, what: str = "workbook") -> None:
    """Refuse an archive whose parts inflate beyond the limits, before reading any part."""
    file = str(path)
    try:
        with zipfile.ZipFile(path) as z:
            infos = z.infolist()
    except (zipfile.BadZipFile, OSError, ValueError, EOFError) as err:
        raise InputError(f"not a readable {what} ({err})", file=file) from None
    total = 0
    for info in infos:
        size = info.file_size
        total += size
        ratio = size / max(info.compress_size, 1)
        if size > MAX_PART_BYTES or (size > SMALL_PART_BYTES and ratio > MAX_PART_RATIO):
            raise InputError(
                f"the part {info.filename} inflates to {size / 1e6:,.0f} MB "
                f"({ratio:,.0f} times its packed size); a {what} of exchange data inflates "
                f"at most {MAX_PART_RATIO} times and {MAX_PART_BYTES / 1e9:.0f} GB per part: "
                "refused without reading it",
                file=file,
            )
    if total > MAX_TOTAL_BYTES:
        raise InputError(
            f"the {what} inflates to {total / 1e9:.1f} GB in all; at most "
            f"{MAX_TOTAL_BYTES / 1e9:.0f} GB is read",
            file=file,
        )
