"""Tests of the ``migdata exchange`` commands (build, validate, merge)."""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest
from exchange_tables import sample

from migdata.exchange import cli, write


def _run(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="migdata")
    cli.register(parser.add_subparsers(dest="command"))
    args = parser.parse_args(argv)
    return int(args.func(args))


def test_build_writes_validated_bundle(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """build reads a harmonised CSV and writes the three bundle files."""
    src = tmp_path / "table.csv"
    sample().to_csv(src, index=False)
    status = _run(["exchange", "build", str(src), "--out", str(tmp_path / "b"), "--xlsx"])
    assert status == 0, capsys.readouterr().out
    names = {p.name for p in (tmp_path / "b").iterdir()}
    assert names == {"data.csv", "data.parquet", "datapackage.json", "data.xlsx"}


def test_build_skips_comment_lines_and_counts_them(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Comment lines before the header are skipped, said in a note, and kept in line numbers."""
    src = tmp_path / "table.csv"
    src.write_text("# SYNTHETIC DATA\n# second note\n" + sample().to_csv(index=False))
    assert _run(["exchange", "build", str(src), "--out", str(tmp_path / "b")]) == 0
    assert "skipped 2 comment line(s)" in capsys.readouterr().out
    bad = tmp_path / "bad.csv"
    bad.write_text("# note\n" + sample().assign(sex=["M", "F", "X", "_T"]).to_csv(index=False))
    assert _run(["exchange", "validate", str(bad)]) == 1
    printed = capsys.readouterr().out
    assert "SEX code 'X'" in printed and " 5 " in printed


def test_write_creates_missing_folders(tmp_path: Path) -> None:
    """Writing into a folder that does not exist yet creates it."""
    target = write(sample(), tmp_path / "new" / "deeper" / "t.parquet")
    assert target.is_file()


def test_build_refuses_invalid_table(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """build exits 1 and prints the report when the table is invalid."""
    src = tmp_path / "table.csv"
    sample().assign(sex=["M", "F", "X", "_T"]).to_csv(src, index=False)
    assert _run(["exchange", "build", str(src), "--out", str(tmp_path / "b")]) == 1
    out = capsys.readouterr()
    assert "SEX code 'X'" in out.out and "refused" in out.err
    assert not (tmp_path / "b").exists()


def test_validate_exit_status(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """validate exits 0 for a good file and 1, with every problem, for a bad one."""
    good = write(sample(), tmp_path / "good.csv")
    assert _run(["exchange", "validate", str(good)]) == 0
    assert "valid" in capsys.readouterr().out
    bad = tmp_path / "bad.csv"
    bad.write_text(good.read_text().replace(",KEN,", ",KENYA,"))
    assert _run(["exchange", "validate", str(bad)]) == 1
    out = capsys.readouterr().out
    assert out.count("REF_AREA code 'KENYA'") == 4


def test_merge_folder(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """merge writes the bundle of a folder of submissions and summarises it."""
    write(sample(), tmp_path / "ken.csv")
    write(sample().assign(ref_area="UGA"), tmp_path / "uga.parquet")
    assert _run(["exchange", "merge", str(tmp_path), "--out", str(tmp_path / "out")]) == 0
    assert (tmp_path / "out" / "datapackage.json").is_file()
    assert "8 observations from 2 file(s)" in capsys.readouterr().out
