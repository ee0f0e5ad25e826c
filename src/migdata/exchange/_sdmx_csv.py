"""SDMX-CSV 2.0.0 (SDMX 3.0) and 1.0 (SDMX 2.1) files of the COMESA dataflows.

2.0.0: ``STRUCTURE,STRUCTURE_ID,ACTION,<dims>,OBS_VALUE,<attrs>``; 1.0: ``DATAFLOW,<dims>,...``.
Also reads a plain harmonised-table CSV (the columns of ``HARMONISED_COLUMNS``).
"""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from migdata._safe_io import atomic_write
from migdata.errors import ConfigurationError, InputError
from migdata.exchange import _frame, _text, structures
from migdata.harmonised import HARMONISED_COLUMNS


class CsvVersion(StrEnum):
    """SDMX-CSV version: ``"2.0"`` (SDMX 3.0, the default) or ``"1.0"`` (SDMX 2.1)."""

    V2 = "2.0"
    V1 = "1.0"


class Action(StrEnum):
    """SDMX-CSV 2.0.0 ``ACTION``: information (default), append, replace, delete."""

    INFORMATION = "I"
    APPEND = "A"
    REPLACE = "R"
    DELETE = "D"


def _enum(cls: Any, value: Any, what: str) -> Any:
    try:
        return cls(value)
    except ValueError:
        allowed = ", ".join(repr(m.value) for m in cls)
        raise ConfigurationError(f"unknown {what} {value!r}; expected one of {allowed}") from None


def render(frame: pd.DataFrame, version: Any = "2.0", action: Any = "I") -> bytes:
    """SDMX frame (from ``_frame.to_sdmx``) -> SDMX-CSV bytes (UTF-8, ``\\n`` line ends).

    Built column-wise with Arrow compute (RFC 4180 quoting only where a field needs it).
    """
    version = _enum(CsvVersion, version, "SDMX-CSV version")
    action = _enum(Action, action, "ACTION")
    n = len(frame)
    names: list[str] = []
    arrays: list[Any] = []
    if version is CsvVersion.V2:
        names += ["STRUCTURE", "STRUCTURE_ID", "ACTION"]
        arrays += [
            pa.scalar("dataflow", pa.large_string()),
            _frame.text_array(frame["STRUCTURE_ID"]),
            pa.scalar(action.value, pa.large_string()),
        ]
    else:
        names.append("DATAFLOW")
        arrays.append(_frame.text_array(frame["STRUCTURE_ID"]))
    for col in frame.columns[1:]:
        names.append(col)
        if col in _frame.NUMBER_COLUMNS:
            arrays.append(_frame.format_numbers(frame[col]))
        else:
            arrays.append(_quote(_frame.text_array(frame[col])))
    header = (",".join(names) + "\n").encode("utf-8")
    if n == 0:
        return header
    comma = pa.scalar(",", pa.large_string())
    rows = pc.binary_join_element_wise(*arrays, comma, null_handling="replace", null_replacement="")
    empty = pa.scalar("", pa.large_string())
    rows = pc.binary_join_element_wise(rows, empty, pa.scalar("\n", pa.large_string()))
    rows = pc.cast(rows, pa.large_string())
    if isinstance(rows, pa.ChunkedArray):
        rows = rows.combine_chunks()
    offsets = np.frombuffer(rows.buffers()[1], dtype=np.int64)[rows.offset : rows.offset + n + 1]
    body = rows.buffers()[2].to_pybytes()[int(offsets[0]) : int(offsets[-1])]
    return header + body


def _quote(arr: Any) -> Any:
    """RFC 4180: enclose fields holding a comma, quote or line break in quotes (quotes doubled)."""
    need = pc.match_substring_regex(arr, r'[",\r\n]')
    if not pc.any(need).as_py():
        return arr
    q = pa.scalar('"', pa.large_string())
    escaped = pc.replace_substring(arr, '"', '""')
    quoted = pc.binary_join_element_wise(q, escaped, q, pa.scalar("", pa.large_string()))
    return pc.if_else(need, quoted, arr)


def write(
    table: pd.DataFrame,
    path: Path | str,
    *,
    dataflow: Any = None,
    version: Any = "2.0",
    action: Any = "I",
) -> Path:
    """Write a harmonised table as SDMX-CSV (byte-identical for the same input).

    Parameters
    ----------
    table
        Harmonised table (``measure`` selects the dataflow of each row).
    path
        File to write.
    dataflow
        Restrict to one dataflow (id, reference or measure); every row must belong to it.
    version
        ``"2.0"`` (default) or ``"1.0"``.
    action
        SDMX-CSV 2.0.0 ``ACTION`` of every row (``"I"`` information by default).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> t = pd.DataFrame({"measure": ["IMM"], "ref_area": ["KEN"], "counterpart_area": ["UGA"],
    ...     "counterpart_type": ["CITIZENSHIP"], "sex": ["_T"], "age": ["_T"],
    ...     "time_period": ["2020"], "obs_value": [1520.0]})
    >>> p = write(t, pathlib.Path(tempfile.mkdtemp()) / "imm.csv")
    >>> p.read_text().splitlines()[1]
    'dataflow,COMESA:DF_MIG_IMM(1.0),I,A,KEN,UGA,CITIZENSHIP,_T,_T,2020,1520,PS,,F,,,,,,,0'
    >>> write(t.assign(provenance='says "hi", twice'), p).read_text().splitlines()[1][-23:]
    ',"says ""hi"", twice",0'
    """
    path = Path(path)
    frame = _frame.to_sdmx(table, dataflow, file=str(path))
    atomic_write(path, render(frame, version, action))
    return path


def _expected_columns() -> tuple[str, ...]:
    cols = structures.sdmx_columns(list(structures.dataflows().values()))
    return ("STRUCTURE", "STRUCTURE_ID", "ACTION", "DATAFLOW", *cols, *HARMONISED_COLUMNS)


def sniff(header: str) -> str | None:
    """Format of a CSV from its header line, or None when not ours."""
    first = header.lstrip("\ufeff").split("\n", 1)[0]
    for delim in (",", ";", "\t", "|"):
        names = [n.strip().strip('"') for n in first.split(delim)]
        if len(names) < 2:
            continue
        if names[0].startswith("STRUCTURE"):
            # Eurostat's newer API: STRUCTURE,STRUCTURE_ID,freq,... (lower-case ids, no ACTION)
            lower = "ACTION" not in names and any(n.islower() for n in names[2:5])
            return "eurostat-sdmx-csv" if lower else "sdmx-csv-2.0"
        if names[0] == "DATAFLOW":
            lower = any(n.islower() for n in names[1:4]) or "LAST UPDATE" in names
            return "eurostat-sdmx-csv" if lower else "sdmx-csv-1.0"
        if "measure" in names and "obs_value" in names:
            return "harmonised-csv"
    return None


def read_raw(
    path: Path | str, *, text: str | None = None, notes: list[str] | None = None
) -> _frame.RawFrame:
    """Read SDMX-CSV 2.0/1.0 (or a harmonised CSV) as text columns with line numbers."""
    notes = [] if notes is None else notes
    file = str(path)
    if text is None:
        text = _text.decode(Path(path).read_bytes(), notes, file)
    frame, lines = _text.read_table(path, _expected_columns(), notes, text=text)
    kind = sniff(",".join(frame.columns))
    if kind == "harmonised-csv":
        # A plain harmonised table: convert through the same mapping as every other format.
        table = _harmonised_frame(frame, lines, notes, file)
        sdmx = _frame.to_sdmx(table, file=file, sort=False)
        return _frame.RawFrame(sdmx, lines, notes, format=kind, file=file)
    if kind == "sdmx-csv-2.0":
        if "ACTION" in frame.columns:
            actions = set(pd.unique(frame["ACTION"].astype("str")))
            if actions - {"I", "A", "R", "", "nan"}:
                bad = sorted(actions - {"I", "A", "R"})
                raise InputError(
                    f"ACTION {bad[0]!r} is not supported here; expected I, A or R "
                    "(deletions are not submissions)",
                    file=file,
                    column="ACTION",
                )
        frame = frame.drop(columns=[c for c in ("STRUCTURE", "ACTION") if c in frame.columns])
    elif kind == "sdmx-csv-1.0":
        frame = frame.rename(columns={"DATAFLOW": "STRUCTURE_ID"})
    else:
        raise InputError(
            "not an SDMX-CSV file: expected a header starting with STRUCTURE (2.0.0) or "
            f"DATAFLOW (1.0), got {', '.join(frame.columns[:3])}",
            file=file,
            row=1,
        )
    frame = frame.replace("", np.nan)
    return _frame.RawFrame(frame, lines, notes, format=kind, file=file)


def _harmonised_frame(
    frame: pd.DataFrame, lines: np.ndarray, notes: list[str], file: str
) -> pd.DataFrame:
    out: dict[str, Any] = {}
    for col in frame.columns:
        dtype = HARMONISED_COLUMNS.get(col, "string")
        if dtype == "float64":
            out[col] = _frame.parse_numbers(frame[col], col, lines, notes, file)
        else:
            text = frame[col].astype("str")
            out[col] = text.where(text != "", np.nan).astype(dtype)
    return pd.DataFrame(out, index=frame.index)


def read(path: Path | str) -> _frame.ReadResult:
    """Read an SDMX-CSV file into the harmonised table.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "x.csv"
    >>> _ = p.write_text("DATAFLOW;FREQ;REF_AREA;COUNTERPART_AREA;COUNTERPART_TYPE;SEX;AGE;"
    ...     "TIME_PERIOD;OBS_VALUE\\nCOMESA:DF_MIG_EMI(1.0);A;RWA;_T;NEXT_RES;F;_T;2019;88\\n")
    >>> r = read(p)
    >>> r.table[["measure", "ref_area", "obs_value"]].values.tolist(), r.format
    ([['EMI', 'RWA', 88.0]], 'sdmx-csv-1.0')
    >>> r.notes[0][:45]
    'the columns are separated by semicolons, not '
    """
    raw = read_raw(path)
    return _frame.ReadResult(_frame.from_sdmx(raw), raw.notes, raw.rejected, raw.format)
