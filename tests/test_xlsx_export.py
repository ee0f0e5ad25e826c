"""Tests of the Excel copy: formulas can never execute, bytes are reproducible."""

from __future__ import annotations

import tempfile
import zipfile
from pathlib import Path

import pandas as pd
from exchange_tables import canonical, sample, tables
from hypothesis import given, settings
from openpyxl import load_workbook

from migdata.exchange import read, write


def test_formula_like_text_is_stored_as_text(tmp_path: Path) -> None:
    """Cells starting with =, +, -, @ are text with a quote prefix, never formulas."""
    t = sample().assign(source_id=["=1+1", "+CMD", "-2", "@SUM(A1)"])
    path = write(t, tmp_path / "a.xlsx")
    sheet = zipfile.ZipFile(path).read("xl/worksheets/sheet1.xml").decode()
    assert "<f>" not in sheet
    wb = load_workbook(path)
    cells = [c for row in wb["data"].iter_rows() for c in row if isinstance(c.value, str)]
    risky = [c for c in cells if c.value[:1] in "=+-@"]
    assert {c.value for c in risky} >= {"=1+1", "+CMD", "-2", "@SUM(A1)"}
    assert all(c.data_type == "s" and c.quotePrefix for c in risky)


def test_byte_identical(tmp_path: Path) -> None:
    """Two writes of the same table give the same bytes (fixed properties and zip times)."""
    a = write(sample(), tmp_path / "a.xlsx").read_bytes()
    b = write(sample(), tmp_path / "b.xlsx").read_bytes()
    assert a == b
    info = zipfile.ZipFile(tmp_path / "a.xlsx").infolist()
    assert {i.date_time for i in info} == {(1980, 1, 1, 0, 0, 0)}
    # openpyxl stamps the save time; the writer pins it, so writes at any time agree.
    core = zipfile.ZipFile(tmp_path / "a.xlsx").read("docProps/core.xml").decode()
    assert "2000-01-01T00:00:00Z</dcterms:modified>" in core


def test_about_sheet_names_structures(tmp_path: Path) -> None:
    """The about sheet lists the dataflows and code-list versions."""
    wb = load_workbook(write(sample(), tmp_path / "a.xlsx"))
    values = [r[1] for r in wb["about"].iter_rows(values_only=True)]
    assert any(str(v).startswith("COMESA:DF_MIG_IMM(1.0)") for v in values)
    assert "COMESA:CL_SEX(1.0)" in values


@settings(max_examples=15)
@given(tables(max_rows=6))
def test_round_trip(table: pd.DataFrame) -> None:
    """Write then read the Excel copy returns the same harmonised table."""
    path = write(table, Path(tempfile.mkdtemp()) / "t.xlsx")
    pd.testing.assert_frame_equal(canonical(read(path).table), canonical(table))
