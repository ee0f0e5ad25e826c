"""Human-readable Excel copy of an exchange file, safe to open: no cell can be a formula.

Text starting with ``=``, ``+``, ``-``, ``@`` (or a tab/carriage return) is stored as text with
Excel's quote prefix; the workbook properties and zip timestamps are fixed so that the same
input gives the same bytes.
"""

from __future__ import annotations

import io
import zipfile
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from openpyxl import Workbook, load_workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font

from migdata._limits import check_zip_parts
from migdata._safe_io import atomic_write
from migdata._xlsx_bytes import FIXED_TIME, normalise_xlsx
from migdata.errors import InputError
from migdata.exchange import _frame, structures

MAGIC = b"PK\x03\x04"
DATA_SHEET = "data"
ABOUT_SHEET = "about"
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_MAX_ROWS = 1_048_575


def _cell(ws: Any, value: Any, bold: bool = False) -> Any:
    cell = WriteOnlyCell(ws, value=value)
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        # openpyxl would store "=..." as a formula: force text and mark it like Excel's
        # leading apostrophe so that editing the cell cannot turn it into one either.
        cell.data_type = "s"
        cell.quotePrefix = True
    if bold:
        cell.font = Font(bold=True)
    return cell


def render(frame: pd.DataFrame) -> bytes:
    """SDMX frame -> xlsx bytes (sheet ``data`` with SDMX columns, sheet ``about``)."""
    if len(frame) > _MAX_ROWS:
        raise InputError(
            f"{len(frame):,} observations do not fit in one Excel sheet (at most {_MAX_ROWS:,}); "
            "use SDMX-CSV or Parquet for the full table"
        )
    wb = Workbook(write_only=True)
    wb.properties.creator = "migdata"
    wb.properties.created = FIXED_TIME
    wb.properties.modified = FIXED_TIME
    ws = wb.create_sheet(DATA_SHEET)
    ws.freeze_panes = "A2"
    columns = list(frame.columns)
    ws.append([_cell(ws, c, bold=True) for c in columns])
    # Column-wise conversion to Python objects (NaN -> empty cell), then rows.
    data: list[list[Any]] = []
    for col in columns:
        series = frame[col]
        if col in _frame.NUMBER_COLUMNS:
            arr = series.to_numpy(dtype="float64")
            data.append([None if np.isnan(v) else float(v) for v in arr])
        else:
            data.append(
                [None if v is None or v != v else str(v) for v in series.to_numpy(dtype=object)]
            )
    # OBS_VALUE is displayed with its DECIMALS (a count as 1520, an estimate as 436.2).
    obs_at = columns.index("OBS_VALUE") if "OBS_VALUE" in columns else -1
    places = (
        frame["DECIMALS"].to_numpy(dtype=object)
        if "DECIMALS" in columns and obs_at >= 0
        else [None] * len(frame)
    )
    for row, dec in zip(zip(*data, strict=True), places, strict=True):
        cells = [_cell(ws, v) for v in row]
        if isinstance(dec, str) and dec.isdigit():
            cells[obs_at].number_format = "0" if dec == "0" else "0." + "0" * int(dec)
        ws.append(cells)
    about = wb.create_sheet(ABOUT_SHEET)
    refs = sorted(pd.unique(frame["STRUCTURE_ID"].astype("str"))) if len(frame) else []
    about.append([_cell(about, "item", True), _cell(about, "value", True)])
    about.append(
        ["produced by", "migdata (human-readable copy; the SDMX-CSV file is authoritative)"]
    )
    for ref in refs:
        flow = structures.dataflow(ref)
        about.append(["dataflow", f"{ref}: {flow.name}"])
        for comp, cl in sorted(flow.codelist_versions().items()):
            about.append([f"code list of {comp}", cl])
    buf = io.BytesIO()
    wb.save(buf)
    return normalise_xlsx(buf.getvalue())


def write(table: pd.DataFrame, path: Path | str, *, dataflow: Any = None) -> Path:
    """Write the Excel copy of a harmonised table.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> t = pd.DataFrame({"measure": ["IMM"], "ref_area": ["KEN"], "counterpart_area": ["UGA"],
    ...     "counterpart_type": ["CITIZENSHIP"], "sex": ["_T"], "age": ["_T"],
    ...     "time_period": ["2020"], "obs_value": [3.0], "provenance": ["=1+1"]})
    >>> p = write(t, pathlib.Path(tempfile.mkdtemp()) / "imm.xlsx")
    >>> read(p).table["provenance"].tolist()
    ['=1+1']
    """
    path = Path(path)
    frame = _frame.to_sdmx(table, dataflow, file=str(path))
    atomic_write(path, render(frame))
    return path


def read_raw(path: Path | str) -> _frame.RawFrame:
    """Read the ``data`` sheet of our Excel copy as an SDMX frame."""
    file = str(path)
    check_zip_parts(path)  # a shared-strings or zip bomb is refused before parsing
    try:
        wb = load_workbook(path, read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError) as err:
        raise InputError(f"unreadable Excel file: {err}", file=file) from None
    if DATA_SHEET not in wb.sheetnames:
        raise InputError(
            f"expected a sheet named {DATA_SHEET!r}, found {', '.join(wb.sheetnames)}", file=file
        )
    rows = list(wb[DATA_SHEET].iter_rows(values_only=True))
    wb.close()
    if not rows:
        raise InputError(
            "the data sheet is empty; expected a header row", file=file, sheet=DATA_SHEET
        )
    header = [str(h) for h in rows[0]]
    body = rows[1:]
    cols: dict[str, Any] = {}
    for j, name in enumerate(header):
        values = [r[j] if j < len(r) else None for r in body]
        if name in _frame.NUMBER_COLUMNS:
            cols[name] = pd.Series(values, dtype="object")
        else:
            cols[name] = pd.Series([None if v is None else str(v) for v in values], dtype="str")
    frame = pd.DataFrame(cols)
    for name in _frame.NUMBER_COLUMNS:
        if name in frame.columns:
            frame[name] = frame[name].map(
                lambda v: "" if v is None else str(v) if isinstance(v, str) else repr(float(v))
            )
    lines = np.arange(2, len(frame) + 2, dtype=np.int64)
    return _frame.RawFrame(frame, lines, [], format="xlsx", file=file)


def read(path: Path | str) -> _frame.ReadResult:
    """Read our Excel copy back into the harmonised table.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> t = pd.DataFrame({"measure": ["EMI"], "ref_area": ["MWI"], "counterpart_area": ["ZAF"],
    ...     "counterpart_type": ["NEXT_RES"], "sex": ["F"], "age": ["Y20T24"],
    ...     "time_period": ["2019"], "obs_value": [0.5]})
    >>> read(write(t, pathlib.Path(tempfile.mkdtemp()) / "e.xlsx")).table["age"].tolist()
    ['Y20T24']
    """
    raw = read_raw(path)
    return _frame.ReadResult(_frame.from_sdmx(raw), raw.notes, raw.rejected, raw.format)
