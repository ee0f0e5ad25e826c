"""Tests of the Parquet writer and reader."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
from exchange_tables import canonical, sample, tables
from hypothesis import given
from hypothesis import strategies as st

from migdata.exchange import _frame, _parquet, read, write


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


@given(st.lists(st.integers(0, 2**62 - 1), max_size=60), st.integers(0, 3))
def test_stable_argsort_by_digits_equals_numpy(values: list[int], small: int) -> None:
    """The 16-bit-digit radix argsort equals numpy's stable argsort (ties keep their order)."""
    key = np.array(values, dtype=np.int64) >> (16 * small)  # also keys of fewer digits
    np.testing.assert_array_equal(_frame._stable_argsort(key), np.argsort(key, kind="stable"))


@given(tables())
def test_categorical_columns_give_the_same_arrow_table(table: pd.DataFrame) -> None:
    """Building derived columns as Categoricals gives the same Arrow table and content hash."""
    text = _frame.to_arrow_table(_frame.to_sdmx(table, sort=False))
    coded = _frame.to_arrow_table(_frame.to_sdmx(table, sort=False, categorical=True))
    assert coded.schema == text.schema
    for name in text.column_names:
        a, b = coded.column(name).combine_chunks(), text.column(name).combine_chunks()
        if name in _frame.NUMBER_COLUMNS:  # NaN == NaN here
            np.testing.assert_array_equal(a.to_numpy(zero_copy_only=False), b.to_numpy())
        else:
            assert a.dictionary.equals(b.dictionary) and a.indices.equals(b.indices)
    assert _frame.content_hash(coded) == _frame.content_hash(text)


def test_categorical_frame_has_same_values() -> None:
    """to_sdmx(categorical=True) holds the same values as the text frame, unused ones dropped."""
    text = _frame.to_sdmx(sample())
    coded = _frame.to_sdmx(sample(), categorical=True)
    assert isinstance(coded["STRUCTURE_ID"].dtype, pd.CategoricalDtype)
    pd.testing.assert_frame_equal(coded.astype(text.dtypes.to_dict()), text)
    assert _frame._category_codes(coded["FREQ"].iloc[:0])[1].to_pylist() == []
