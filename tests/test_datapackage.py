"""Tests of the Frictionless data package written beside the data."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

import pandas as pd
from exchange_tables import canonical, sample, tables
from hypothesis import given, settings

from migdata.exchange import read, write


def test_schema_enums_types_and_primary_key(tmp_path: Path) -> None:
    """Fields have types, code lists are enums, dimensions form the primary key."""
    path = write(sample(), tmp_path)
    package = json.loads(path.read_text())
    resource = package["resources"][0]
    assert resource["path"] == "data.csv" and package["resources"][1]["path"] == "data.parquet"
    schema = resource["schema"]
    fields = {f["name"]: f for f in schema["fields"]}
    header = (tmp_path / "data.csv").read_text().splitlines()[0].split(",")
    assert [f["name"] for f in schema["fields"]] == header
    assert fields["OBS_VALUE"]["type"] == "number"
    assert fields["SEX"]["constraints"]["enum"] == ["M", "F", "_T", "_U"]
    assert "KEN" in fields["REF_AREA"]["constraints"]["enum"]
    assert fields["COUNTERPART_TYPE"]["constraints"]["enum"] == ["BIRTH", "CITIZENSHIP", "PREV_RES"]
    assert "pattern" in fields["AGE"]["constraints"]
    assert schema["primaryKey"] == [
        "STRUCTURE_ID",
        "FREQ",
        "REF_AREA",
        "COUNTERPART_AREA",
        "COUNTERPART_TYPE",
        "SEX",
        "AGE",
        "TIME_PERIOD",
    ]


def test_enum_constraints_hold_for_written_data(tmp_path: Path) -> None:
    """Every value in data.csv satisfies the enum constraints of its field."""
    path = write(sample(), tmp_path)
    fields = json.loads(path.read_text())["resources"][0]["schema"]["fields"]
    data = pd.read_csv(tmp_path / "data.csv", dtype=str, keep_default_na=False)
    for f in fields:
        enum = f.get("constraints", {}).get("enum")
        if enum:
            values = set(data[f["name"]]) - {""}
            assert values <= set(enum), f["name"]


def test_byte_identical(tmp_path: Path) -> None:
    """The same table writes the same three files."""
    write(sample(), tmp_path / "a")
    write(sample().iloc[::-1], tmp_path / "b")
    for name in ("datapackage.json", "data.csv", "data.parquet"):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()


@settings(max_examples=15)
@given(tables(max_rows=6))
def test_round_trip(table: pd.DataFrame) -> None:
    """Write then read the data package returns the same harmonised table."""
    path = write(table, Path(tempfile.mkdtemp()) / "datapackage.json")
    result = read(path)
    assert result.format == "datapackage"
    pd.testing.assert_frame_equal(canonical(result.table), canonical(table))
