"""Fuzz tests of every reader: random bytes, random CSVs and random workbooks give a
MigdataError or a result whose accounting holds, never another exception."""

from __future__ import annotations

import contextlib
import tempfile
from pathlib import Path
from typing import Any

import openpyxl
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import migdata
from migdata.errors import MigdataError

pytestmark = pytest.mark.slow  # about 15 s in all: many small files per test

FUZZ = settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
SDMX_HEADER = [
    "STRUCTURE",
    "STRUCTURE_ID",
    "ACTION",
    "FREQ",
    "REF_AREA",
    "COUNTERPART_AREA",
    "COUNTERPART_TYPE",
    "SEX",
    "AGE",
    "TIME_PERIOD",
    "OBS_VALUE",
]
# Cells drawn from real codes, near misses and hostile text.
CELL = st.one_of(
    st.sampled_from(
        [
            "dataflow",
            "COMESA:DF_MIG_IMM(1.0)",
            "I",
            "A",
            "KEN",
            "UGA",
            "CITIZENSHIP",
            "M",
            "F",
            "_T",
            "2020",
            "12",
            "-3",
            "inf",
            "1e400",
            "",
            '"',
            "=cmd|x",
            "\u202f",
            "نعم",
        ]
    ),
    st.text(max_size=6),
)
BYTES = st.binary(max_size=400)


def _file(content: bytes, name: str) -> Path:
    path = Path(tempfile.mkdtemp()) / name
    path.write_bytes(content)
    return path


def _lines(text: str) -> int:
    """Non-blank lines after the header."""
    return sum(1 for line in text.splitlines()[1:] if line.strip())


@FUZZ
@given(BYTES, st.sampled_from(["x.csv", "x.xlsx", "x.parquet", "datapackage.json", "x.txt"]))
def test_random_bytes_to_read_exchange(content: bytes, name: str) -> None:
    """Random bytes under any exchange file name: a MigdataError or a table."""
    try:
        result = migdata.read_exchange(_file(content, name))
    except MigdataError:
        return
    assert isinstance(result.table, pd.DataFrame)


@FUZZ
@given(BYTES, st.sampled_from(["x.csv", "x.xlsx"]))
def test_random_bytes_to_read_answers(content: bytes, name: str) -> None:
    """Random bytes as a questionnaire: a MigdataError or answers."""
    try:
        ans = migdata.read_answers(_file(content, name))
    except MigdataError:
        return
    assert set(ans.table["status"]) <= {"answered", "not_applicable", "dont_know", "missing"}


@FUZZ
@given(BYTES)
def test_random_bytes_to_mirror_and_validate(content: bytes) -> None:
    """Random bytes to MirrorTable.from_eurostat and validate_exchange."""
    path = _file(content, "flows.csv")
    with contextlib.suppress(MigdataError):
        migdata.MirrorTable.from_eurostat(path)
    try:
        report = migdata.validate_exchange(path)
    except MigdataError:
        return
    assert report.rows_checked >= 0


@FUZZ
@given(
    st.lists(st.lists(CELL, min_size=len(SDMX_HEADER), max_size=len(SDMX_HEADER)), max_size=8),
    st.sampled_from([",", ";"]),
)
def test_random_sdmx_csv(rows: list[list[str]], sep: str) -> None:
    """A random SDMX-CSV: a MigdataError, or rows in = rows used + rows rejected."""
    import csv
    import io

    buf = io.StringIO()
    writer = csv.writer(buf, delimiter=sep, lineterminator="\n")
    writer.writerow(SDMX_HEADER)
    writer.writerows(rows)
    text = buf.getvalue()
    path = _file(text.encode("utf-8"), "x.csv")
    try:
        result = migdata.read_exchange(path)
    except MigdataError:
        return
    assert len(result.table) + len(result.rejected) <= max(_lines(text), len(rows))
    report = migdata.validate_exchange(path)
    assert report.rows_checked <= len(rows) + 1


@FUZZ
@given(
    st.lists(
        st.tuples(
            st.sampled_from([2015, 2016, "2015", "x", None, 1e400]),
            st.sampled_from(["IT", "ES", "FR", "", "??", None]),
            st.sampled_from(["IT", "ES", "DE", ""]),
            st.one_of(st.floats(allow_nan=True), st.text(max_size=4), st.none()),
        ),
        max_size=10,
    )
)
def test_random_mirror_flows(rows: list[tuple[Any, ...]]) -> None:
    """Random flows: rows in = rows used + rows rejected, or a MigdataError."""
    raw = pd.DataFrame(rows, columns=["Year", "Sending_iso2", "Receiving_iso2", "Emig"])
    try:
        table = migdata.MirrorTable.from_eurostat(raw)
    except MigdataError:
        return
    assert table.rejected.empty or "reason" in table.rejected.columns


@FUZZ
@given(
    st.lists(
        st.tuples(
            st.sampled_from([2015, "2015", "twenty", None]),
            st.sampled_from(["UGA", "Kenya", "Atlantis", "total", ""]),
            st.sampled_from(["M", "F", "femme", "?", None]),
            st.sampled_from(["total", "15-19", "65+", "bof"]),
            st.one_of(st.floats(allow_nan=True), st.sampled_from(["1 000", "inf", "x", "-3"])),
        ),
        max_size=10,
    )
)
def test_random_national_table(rows: list[tuple[Any, ...]]) -> None:
    """harmonise on random rows: rows in = rows used + rows rejected."""
    profile = migdata.SourceProfile(
        source_id="RWA-REG",
        country="RWA",
        source_type="population_register",
        measures=["IMM"],
        threshold_months=6,
        threshold_basis="registration_rule",
    )
    table = pd.DataFrame(rows, columns=["year", "country", "sex", "age", "value"])
    try:
        h = migdata.harmonise(table, profile, "UN1998")
    except MigdataError:
        return
    assert h.rows_in == len(table)
    assert h.rejected["row"].nunique() <= h.rows_in


ANSWER = st.one_of(
    st.none(),
    st.integers(-5, 100),
    st.floats(allow_nan=True, allow_infinity=True),
    st.booleans(),
    st.sampled_from(["6 mois", "6 à 12 mois", "=1+1", "oui", "IMM|RWA-IMM-S1|COM.060", "سنة"]),
    st.text(st.characters(blacklist_categories=("Cc", "Cs")), max_size=8),
)


@FUZZ
@given(
    st.sampled_from(["IMM", "Feuil1", "Immigration", "_meta", "STK"]),
    st.lists(st.lists(ANSWER, min_size=1, max_size=8), max_size=12),
)
def test_random_workbooks(sheet: str, rows: list[list[Any]]) -> None:
    """A random workbook built with openpyxl: a MigdataError, or answers and problems."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = sheet
    ws.append(["Item", "Question", "Guidance", "Answer", "Expected answer", "Comment", "_key"])
    for row in rows:
        ws.append(row)
    path = Path(tempfile.mkdtemp()) / "q.xlsx"
    wb.save(path)
    try:
        ans = migdata.read_answers(path)
    except MigdataError:
        return
    assert list(ans.problems.columns) == ["sheet", "cell", "item_id", "value", "message"]
    assert ans.table["status"].notna().all()
