"""One entry point for every exchange format: ``write`` by name or extension, ``read`` by content.

Formats live in private modules (``_sdmx_csv``, ``_parquet``, ``_xlsx``, ``_datapackage``,
``_eurostat``); the registry picks one from the extension and checks it against the first bytes.
"""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Any

import pandas as pd

from migdata._checks import check_frame, public
from migdata.errors import ConfigurationError, InputError
from migdata.exchange import (
    _datapackage,
    _eurostat,
    _frame,
    _parquet,
    _publish,
    _sdmx_csv,
    _text,
    _xlsx,
)

__all__ = ["Format", "ReadResult", "detect_format", "read", "read_raw", "write"]

ReadResult = _frame.ReadResult


class Format(StrEnum):
    """Exchange file formats (plain strings ``"sdmx-csv"`` etc. are accepted too)."""

    SDMX_CSV = "sdmx-csv"  # SDMX-CSV 2.0.0
    SDMX_CSV_1 = "sdmx-csv-1.0"
    PARQUET = "parquet"
    XLSX = "xlsx"
    DATAPACKAGE = "datapackage"
    SDMX_ML = "sdmx-ml"  # SDMX-ML 2.1 structure-specific data
    SDMX_ML_3 = "sdmx-ml-3.0"


_BY_SUFFIX = {
    ".csv": Format.SDMX_CSV,
    ".parquet": Format.PARQUET,
    ".pq": Format.PARQUET,
    ".xlsx": Format.XLSX,
    ".json": Format.DATAPACKAGE,
    ".xml": Format.SDMX_ML,
}


def _format(value: Any) -> Format:
    if isinstance(value, Format):
        return value
    text = str(value).lower()
    aliases = {
        "sdmx-csv-2.0": Format.SDMX_CSV,
        "csv": Format.SDMX_CSV,
        "excel": Format.XLSX,
        "sdmx-ml-2.1": Format.SDMX_ML,
        "xml": Format.SDMX_ML,
    }
    if text in aliases:
        return aliases[text]
    try:
        return Format(text)
    except ValueError:
        allowed = ", ".join(f.value for f in Format)
        raise ConfigurationError(f"unknown format {value!r}; expected one of {allowed}") from None


@public
def write(
    table: pd.DataFrame,
    path: Path | str,
    format: Any = None,
    dataflow: Any = None,
    *,
    decimals: int | None = None,
    rounding: str = "standard",
) -> Path:
    """Write a harmonised table in an exchange format (byte-identical for the same input).

    Parameters
    ----------
    table
        Harmonised table (``migdata.harmonised.HARMONISED_COLUMNS``; ``measure`` picks the
        dataflow of each row).
    path
        Target file; a folder or ``datapackage.json`` for a data package.
    format
        A :class:`Format` or its string; default from the extension (``.csv`` SDMX-CSV 2.0.0,
        ``.parquet``, ``.xlsx``, ``.json``/folder data package, ``.xml`` SDMX-ML 2.1
        structure-specific data; ``"sdmx-ml-3.0"`` for SDMX-ML 3.0).
    dataflow
        Optional dataflow (``"IMM"``, ``"DF_MIG_IMM"`` or ``"COMESA:DF_MIG_IMM(1.0)"``) that
        every row must belong to.
    decimals
        Round estimates (values that are not whole numbers) to this many decimals for
        publication; counts stay integers (see :func:`round_for_publication`). By default
        values are written as they are, without float noise (at most 15 significant digits),
        with ``DECIMALS`` set to the decimals each one is written with.
    rounding
        ``"standard"`` or ``"controlled"`` (rounded sex breakdowns add up to the rounded
        total); ``"controlled"`` without ``decimals`` rounds to whole numbers.

    Returns
    -------
    Path
        The file written.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> t = pd.DataFrame({"measure": ["IMM"], "ref_area": ["KEN"], "counterpart_area": ["UGA"],
    ...     "counterpart_type": ["CITIZENSHIP"], "sex": ["_T"], "age": ["_T"],
    ...     "time_period": ["2020"], "obs_value": [3.0]})
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> [write(t, folder / name).suffix for name in ("a.csv", "a.parquet", "a.xlsx")]
    ['.csv', '.parquet', '.xlsx']
    >>> read(folder / "a.parquet").table["obs_value"].tolist()
    [3.0]
    """
    check_frame(table, "table")
    path = Path(path)
    if format is None:
        fmt = (
            Format.DATAPACKAGE
            if path.is_dir() or not path.suffix
            else _BY_SUFFIX.get(path.suffix.lower())
        )
        if fmt is None:
            raise ConfigurationError(
                f"cannot tell the format from the extension {path.suffix!r}; pass format= one of "
                + ", ".join(f.value for f in Format)
            )
    else:
        fmt = _format(format)
    if fmt is not Format.DATAPACKAGE:
        path.parent.mkdir(parents=True, exist_ok=True)
    table = _publish.apply(table, decimals, rounding)
    if fmt is Format.SDMX_CSV:
        return _sdmx_csv.write(table, path, dataflow=dataflow, version="2.0")
    if fmt is Format.SDMX_CSV_1:
        return _sdmx_csv.write(table, path, dataflow=dataflow, version="1.0")
    if fmt is Format.PARQUET:
        return _parquet.write(table, path, dataflow=dataflow)
    if fmt is Format.XLSX:
        return _xlsx.write(table, path, dataflow=dataflow)
    if fmt in (Format.SDMX_ML, Format.SDMX_ML_3):
        from migdata.exchange import _sdmx_ml

        version = "3.0" if fmt is Format.SDMX_ML_3 else "2.1"
        return _sdmx_ml.write(table, path, dataflow=dataflow, version=version)
    return _datapackage.write(table, path, dataflow=dataflow)


def detect_format(path: Path | str) -> str:
    """The format of a file from its first bytes (not its extension).

    Returns one of ``parquet``, ``xlsx``, ``datapackage``, ``sdmx-csv-2.0``,
    ``sdmx-csv-1.0``, ``eurostat-sdmx-csv``, ``harmonised-csv``, ``sdmx-ml``.

    Raises
    ------
    InputError
        When the content matches none of them.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "member.txt"
    >>> _ = p.write_text("STRUCTURE,STRUCTURE_ID,ACTION,FREQ\\n")
    >>> detect_format(p)
    'sdmx-csv-2.0'
    """
    path = Path(path)
    if not path.exists():
        raise InputError("no such file or folder", file=str(path))
    if path.is_dir():
        if (path / "datapackage.json").is_file():
            return "datapackage"
        raise InputError(
            "a folder without datapackage.json is not an exchange bundle", file=str(path)
        )
    with path.open("rb") as fh:
        head = fh.read(65536)
    if head.startswith(_parquet.MAGIC):
        return "parquet"
    if head.startswith(_xlsx.MAGIC):
        return "xlsx"
    stripped = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    if stripped.startswith(b"{"):
        return "datapackage"
    if stripped.startswith(b"<"):
        return "sdmx-ml"
    notes: list[str] = []
    text = _text.decode(head, notes, str(path)) if head else ""
    while text.startswith("#"):  # comment lines before the header, as read_table skips them
        text = text.partition("\n")[2]
    kind = _sdmx_csv.sniff(text)
    if kind is None:
        first = text.split("\n", 1)[0][:80]
        raise InputError(
            "unknown file format: expected Parquet (PAR1), xlsx (zip), datapackage.json or an "
            f"SDMX-CSV / Eurostat / harmonised CSV header, got {first!r}",
            file=str(path),
            row=1,
        )
    return kind


@public
def read_raw(path: Path | str, *, agedef: str | None = None) -> _frame.RawFrame:
    """Read any supported file into SDMX columns (text) with line numbers and notes."""
    path = Path(path)
    kind = detect_format(path)
    if kind == "parquet":
        raw = _parquet.read_raw(path)
    elif kind == "xlsx":
        raw = _xlsx.read_raw(path)
    elif kind == "datapackage":
        raw = _datapackage.read_raw(path)
    elif kind == "eurostat-sdmx-csv":
        raw = _eurostat.read_raw(path, agedef=agedef)
    elif kind == "sdmx-ml":
        from migdata.exchange import _sdmx_ml

        raw = _sdmx_ml.read_raw(path)
        if _sdmx_ml.is_eurostat(raw.frame):
            raw = _eurostat.from_frame(raw, agedef=agedef)
    else:
        raw = _sdmx_csv.read_raw(path)
    suffix = path.suffix.lower()
    expected = {".csv": "csv", ".parquet": "parquet", ".xlsx": "xlsx", ".json": "datapackage"}.get(
        suffix
    )
    family = "csv" if "csv" in kind else kind
    if kind == "sdmx-ml":
        expected = None if suffix == ".xml" else expected
    if expected is not None and expected != family:
        raw.notes.insert(
            0, f"the extension says {suffix} but the content is {kind}; read as {kind}"
        )
    return raw


@public
def read(path: Path | str, *, agedef: str | None = None) -> ReadResult:
    """Read an exchange file (format detected from its content) into the harmonised table.

    Parameters
    ----------
    path
        SDMX-CSV 2.0.0/1.0, Parquet, our Excel copy, a data package, a Eurostat SDMX-CSV file
        (the 1.0-style or the 2.0 layout of Eurostat's newer API), SDMX-ML 2.1/3.0
        structure-specific data (ours or Eurostat's) or a plain harmonised CSV.
    agedef
        For Eurostat files: the age definition kept (``"COMPLET"`` by default).

    Returns
    -------
    ReadResult
        ``.table`` (harmonised), ``.notes`` (what was repaired or assumed), ``.rejected``.

    Raises
    ------
    InputError
        With the line number when the content cannot be read unambiguously.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "data.bin"
    >>> _ = p.write_bytes("\\ufeffDATAFLOW,FREQ,REF_AREA,COUNTERPART_AREA,COUNTERPART_TYPE,SEX,AGE,"
    ...     "TIME_PERIOD,OBS_VALUE\\nCOMESA:DF_MIG_IMM(1.0),A,KEN,UGA,CITIZENSHIP,M,_T,2020,"
    ...     '"1,234"\\n'.encode())
    >>> r = read(p)
    >>> r.table["obs_value"].tolist(), len(r.notes)
    ([1234.0], 2)
    """
    raw = read_raw(path, agedef=agedef)
    table = _frame.from_sdmx(raw)
    return ReadResult(table, raw.notes, raw.rejected, raw.format, raw.metadata)
