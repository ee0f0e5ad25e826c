"""Tests of the Parquet writer and reader."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
from exchange_tables import canonical, sample, tables
from hypothesis import given

from migdata.exchange import _parquet, read, write


def test_zstd_dictionary_and_metadata(tmp_path: Path) -> None:
    """Columns are zstd-compressed and dictionary-encoded; metadata names structure and versions."""
    path = write(sample(), tmp_path / "a.parquet")
    meta = pq.ParquetFile(path).metadata
    col = meta.row_group(0).column(1)
    assert col.compression == "ZSTD"
    assert any("DICT" in e for e in col.encodings)
    info = _parquet.metadata(path)
    assert json.loads(info["migdata.structure_ids"]) == [
        "COMESA:DF_MIG_IMM(1.0)",
        "COMESA:DF_MIG_STK(1.0)",
    ]
    assert json.loads(info["migdata.codelists"])["REF_AREA"] == "COMESA:CL_AREA(1.0)"
    import migdata

    assert info["migdata.version"] == migdata.__version__
    assert len(info["migdata.content_sha256"]) == 64


def test_byte_identical(tmp_path: Path) -> None:
    """Same input (any row order) gives byte-identical Parquet files."""
    a = write(sample(), tmp_path / "a.parquet").read_bytes()
    b = write(sample().iloc[::-1], tmp_path / "b.parquet").read_bytes()
    assert a == b


def test_content_hash_detects_edits(tmp_path: Path) -> None:
    """A file whose data changed after writing is read with a note saying so."""
    path = write(sample(), tmp_path / "a.parquet")
    assert read(path).notes == []
    table = pq.read_table(path)
    edited = table.set_column(
        table.column_names.index("OBS_VALUE"),
        "OBS_VALUE",
        pa.array(table.column("OBS_VALUE").to_numpy() * 2),
    ).replace_schema_metadata(table.schema.metadata)
    pq.write_table(edited, path)
    assert any("content hash differs" in n for n in read(path).notes)


@given(tables())
def test_round_trip(table: pd.DataFrame) -> None:
    """Write then read returns the same harmonised table."""
    path = write(table, Path(tempfile.mkdtemp()) / "t.parquet")
    pd.testing.assert_frame_equal(canonical(read(path).table), canonical(table))


def test_detected_by_content_not_extension(tmp_path: Path) -> None:
    """A Parquet file named .csv is recognised from its PAR1 magic bytes."""
    path = write(sample(), tmp_path / "a.parquet").rename(tmp_path / "looks_like.csv")
    result = read(path)
    assert result.format == "parquet"
    assert any("extension" in n for n in result.notes)
