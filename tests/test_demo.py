"""Tests of the ``migdata demo`` job (through the command line entry point)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from migdata._resources import data_path
from migdata.cli import main


def _bundled() -> pd.DataFrame:
    return pd.read_csv(
        data_path("demo", "messy_countries.csv"), comment="#", dtype=str, keep_default_na=False
    )


def test_demo_writes_resolved_table_and_report(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`migdata demo --out DIR` exits 0 and writes both CSV files into a new folder."""
    out = tmp_path / "new" / "demo"
    assert main(["demo", "--out", str(out)]) == 0
    assert (out / "resolved.csv").is_file() and (out / "resolution_report.csv").is_file()
    printed = capsys.readouterr().out
    assert "historical" in printed and "Zimbabwee" in printed and "Zimbabwe (ZWE)" in printed


def test_demo_keeps_every_row_and_flags_problems(tmp_path: Path) -> None:
    """No row is lost; Namibia's "NA" survives; Zaire is historical; Congo is unresolved."""
    main(["demo", "--out", str(tmp_path)])
    resolved = pd.read_csv(tmp_path / "resolved.csv", dtype=str, keep_default_na=False)
    report = pd.read_csv(tmp_path / "resolution_report.csv", keep_default_na=False)
    bundled = _bundled()
    assert len(resolved) == len(bundled)
    assert resolved["country_of_birth"].tolist() == bundled["country_of_birth"].tolist()
    assert report["cells"].sum() == len(bundled)
    by_name = resolved.set_index(resolved["country_of_birth"].str.strip())
    assert by_name.loc["NA", "country_code"] == "NAM"
    assert by_name.loc["Zaire", "country_code"] == "ZAR"
    assert by_name.loc["Zaire", "country_historical"] == "True"
    assert by_name.loc["Congo", "country_code"] == ""
    assert by_name.loc["Congo", "country_status"] == "ambiguous"
    assert by_name.loc["مصر", "country_code"] == "EGY"
    assert by_name.loc["404", "country_code"] == "KEN"
    assert set(report["status"]) == {"resolved", "historical", "ambiguous", "unknown", "empty"}


def test_demo_output_is_deterministic(tmp_path: Path) -> None:
    """Two runs write byte-identical files."""
    main(["demo", "--out", str(tmp_path / "a")])
    main(["demo", "--out", str(tmp_path / "b")])
    for name in ["resolved.csv", "resolution_report.csv"]:
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()
