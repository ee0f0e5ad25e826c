"""Tests of the size guards of the readers: workbook parts, header width, line length."""

from __future__ import annotations

import io
import time
import zipfile
from pathlib import Path

import openpyxl
import pytest

import migdata
from migdata.errors import InputError

HEADER = "STRUCTURE,STRUCTURE_ID,ACTION,FREQ,REF_AREA,COUNTERPART_AREA,TIME_PERIOD,OBS_VALUE"


def test_shared_strings_bomb_is_refused_at_once(tmp_path: Path) -> None:
    """A small xlsx whose shared strings inflate a hundredfold is refused before parsing."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "data"
    ws.append(["STRUCTURE_ID"])
    buf = io.BytesIO()
    wb.save(buf)
    path = tmp_path / "bomb.xlsx"
    with zipfile.ZipFile(buf) as src, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as out:
        for info in src.infolist():
            out.writestr(info, src.read(info.filename))
        sst = b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        out.writestr("xl/sharedStrings.xml", sst + b"<si><t>a</t></si>" * 2_000_000 + b"</sst>")
    assert path.stat().st_size < 1_000_000
    start = time.perf_counter()
    with pytest.raises(InputError, match="sharedStrings"):
        migdata.read_exchange(path)
    assert time.perf_counter() - start < 5


def test_very_wide_header(tmp_path: Path) -> None:
    """A header of 10^5 columns: a message saying so, not 'Empty CSV file or block'."""
    path = tmp_path / "wide.csv"
    path.write_text(HEADER + "," + ",".join(f"C{i}" for i in range(100_000)) + "\n")
    with pytest.raises(InputError, match="columns"):
        migdata.read_exchange(path)


def test_huge_field(tmp_path: Path) -> None:
    """A 5 MB field: a message saying so, not Arrow's block-boundary error."""
    path = tmp_path / "field.csv"
    row = "dataflow,COMESA:DF_MIG_IMM(1.0),I,A,KEN,UGA,2020," + "9" * 5_000_000
    ok = "dataflow,COMESA:DF_MIG_IMM(1.0),I,A,KEN,UGA,2020,1\n"
    path.write_text(HEADER + "\n" + ok + row + "\n" + ok * 3)
    with pytest.raises(InputError, match="several MB"):
        migdata.read_exchange(path)


def test_odd_utf16(tmp_path: Path) -> None:
    """UTF-16 with an odd number of bytes: an InputError naming the file."""
    path = tmp_path / "u16.csv"
    path.write_bytes((HEADER + "\n").encode("utf-16")[:-1])
    with pytest.raises(InputError, match=r"u16\.csv.*odd number"):
        migdata.read_exchange(path)


def test_long_values_are_shortened_in_messages(tmp_path: Path) -> None:
    """A 2 MB value is quoted shortened in the message, never in full."""
    path = tmp_path / "field.csv"
    ok = "dataflow,COMESA:DF_MIG_IMM(1.0),I,A,KEN,UGA,2020,1\n"
    path.write_text(HEADER + "\n" + ok + ok[:-2] + "9" * 2_000_000 + "\n")
    with pytest.raises(InputError) as info:
        migdata.read_exchange(path)
    assert len(str(info.value)) < 2_000
