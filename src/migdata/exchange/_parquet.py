"""Parquet copies of the COMESA dataflows (zstd, dictionary-encoded, described in metadata).

The schema metadata records the structure ids, the code-list versions, the migdata version
and a content hash that the reader checks.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from migdata._safe_io import atomic_write
from migdata.errors import InputError
from migdata.exchange import _frame, structures

MAGIC = b"PAR1"
_KEYS = ("migdata.structure_ids", "migdata.codelists", "migdata.version", "migdata.content_sha256")


def _version() -> str:
    # Imported lazily: migdata/__init__ may import this package.
    from migdata import __version__

    return str(__version__)


def to_arrow(frame: pd.DataFrame) -> pa.Table:
    """SDMX frame -> sorted Arrow table (text as sorted dictionaries) with our metadata."""
    table = _frame.to_arrow_table(frame)
    refs = sorted(r for r in table.column("STRUCTURE_ID").combine_chunks().dictionary.to_pylist())
    codelists: dict[str, str] = {}
    for ref in refs:
        codelists.update(structures.dataflow(ref).codelist_versions())
    meta = {
        "migdata.structure_ids": json.dumps(refs),
        "migdata.codelists": json.dumps(dict(sorted(codelists.items()))),
        "migdata.version": _version(),
        "migdata.content_sha256": _frame.content_hash(table),
    }
    return table.replace_schema_metadata(meta)


def write(table: pd.DataFrame, path: Path | str, *, dataflow: Any = None) -> Path:
    """Write a harmonised table as Parquet with SDMX column ids.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> t = pd.DataFrame({"measure": ["STK"], "ref_area": ["UGA"], "counterpart_area": ["SSD"],
    ...     "counterpart_type": ["CITIZENSHIP"], "sex": ["_T"], "age": ["_T"],
    ...     "time_period": ["2020"], "obs_value": [1.4e6]})
    >>> p = write(t, pathlib.Path(tempfile.mkdtemp()) / "stk.parquet")
    >>> metadata(p)["migdata.structure_ids"]
    '["COMESA:DF_MIG_STK(1.0)"]'
    """
    path = Path(path)
    # Unsorted here: the Arrow conversion sorts on dictionary codes, far faster than on text.
    frame = _frame.to_sdmx(table, dataflow, file=str(path), sort=False, categorical=True)
    arrow = to_arrow(frame)
    atomic_write(
        path,
        lambda tmp: pq.write_table(
            arrow, tmp, compression="zstd", use_dictionary=True, write_statistics=True
        ),
    )
    return path


def metadata(path: Path | str) -> dict[str, str]:
    """The migdata keys of a Parquet file's schema metadata.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> t = pd.DataFrame({"measure": ["NAB"], "ref_area": ["ZMB"], "counterpart_area": ["ZAF"],
    ...     "counterpart_type": ["RESIDENCE"], "sex": ["M"], "age": ["_T"],
    ...     "time_period": ["2021"], "obs_value": [10.0]})
    >>> sorted(metadata(write(t, pathlib.Path(tempfile.mkdtemp()) / "n.parquet")))[:2]
    ['migdata.codelists', 'migdata.content_sha256']
    """
    meta = pq.read_schema(path).metadata or {}
    return {k.decode(): v.decode() for k, v in meta.items() if k.decode() in _KEYS}


def read_raw(path: Path | str) -> _frame.RawFrame:
    """Read our Parquet into an SDMX frame, checking the content hash."""
    file = str(path)
    try:
        table = pq.read_table(path)
    except (pa.ArrowInvalid, OSError) as err:
        raise InputError(f"unreadable Parquet file: {err}", file=file) from None
    meta = {k.decode(): v.decode() for k, v in (table.schema.metadata or {}).items()}
    cols: dict[str, Any] = {}
    for name in table.column_names:
        col = table.column(name)
        if pa.types.is_dictionary(col.type):
            col = col.cast(pa.string())
        if name in _frame.NUMBER_COLUMNS:
            values = pd.to_numeric(pd.Series(col.to_numpy(zero_copy_only=False)), errors="coerce")
            given = pd.Series(col.is_valid().to_numpy(zero_copy_only=False))
            typed = pa.types.is_floating(col.type) or pa.types.is_integer(col.type)
            if not typed and (given & values.isna()).any():
                row = int((given & values.isna()).to_numpy().argmax())
                raise InputError(
                    f"column {name} holds {col.type} values, expected numbers; row {row + 1} "
                    f"is {str(col[row].as_py())[:40]!r}",
                    file=file,
                    column=name,
                )
            cols[name] = values.astype("float64")
        else:
            cols[name] = col.to_pandas(
                types_mapper=lambda _: pd.StringDtype("pyarrow", na_value=np.nan)
            )
    frame = pd.DataFrame(cols)
    if "STRUCTURE_ID" not in frame.columns:
        raise InputError(
            "this Parquet file has no STRUCTURE_ID column; expected a migdata exchange file "
            f"(columns {', '.join(frame.columns[:5])} ...)",
            file=file,
        )
    notes: list[str] = []
    expected = meta.get("migdata.content_sha256")
    if expected is None:
        notes.append("no content hash in the metadata: the file was not written by migdata")
    elif _frame.content_hash(table.replace_schema_metadata(None)) != expected:
        notes.append(
            "the content hash differs from the one recorded when the file was written: "
            "the data were changed afterwards"
        )
    lines = np.arange(1, len(frame) + 1, dtype=np.int64)
    keep = {k: v for k, v in meta.items() if k in _KEYS}
    return _frame.RawFrame(frame, lines, notes, format="parquet", metadata=keep, file=file)


def read(path: Path | str) -> _frame.ReadResult:
    """Read our Parquet back into the harmonised table.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> t = pd.DataFrame({"measure": ["VISA"], "ref_area": ["EGY"], "counterpart_area": ["SDN"],
    ...     "counterpart_type": ["CITIZENSHIP"], "sex": ["_T"], "age": ["_T"],
    ...     "time_period": ["2022"], "obs_value": [5.0]})
    >>> read(write(t, pathlib.Path(tempfile.mkdtemp()) / "v.parquet")).table["obs_value"].tolist()
    [5.0]
    """
    raw = read_raw(path)
    return _frame.ReadResult(
        _frame.from_sdmx(raw), raw.notes, raw.rejected, raw.format, raw.metadata
    )
