"""Tests of ``migdata demo``: the whole flow on synthetic data, through the command line."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from migdata.cli import main
from migdata.demo import run as demo_run
from migdata.demo.synthetic import SYNTHETIC_NOTE
from migdata.exchange import read, validate


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """One run of `migdata demo --out DIR` shared by the tests of this module."""
    out = tmp_path_factory.mktemp("demo") / "run"
    import contextlib
    import io

    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        status = main(["demo", "--out", str(out)])
    assert status == 0
    return out, printed.getvalue()


def test_demo_runs_every_step_and_says_where_it_wrote(demo: tuple[Path, str]) -> None:
    """The run shows its eight steps and ends with the files it wrote and the report."""
    out, printed = demo
    for step in range(1, 9):
        assert f"[{step}/8]" in printed
    assert f"under {out}/" in printed and "report.html" in printed
    assert SYNTHETIC_NOTE in printed


def test_demo_report_is_self_contained_and_says_synthetic(demo: tuple[Path, str]) -> None:
    """The report embeds its figures, names every section and says the data are synthetic."""
    out, _ = demo
    page = (out / "report.html").read_text(encoding="utf-8")
    assert "Synthetic data." in page
    assert page.count("data:image/png;base64,") >= 5
    for section in (
        "Quality profiles",
        "compliance",
        "12/16",
        "Mirror statistics",
        "Adjustment factors",
        "rejected",
    ):
        assert section in page
    assert "src='http" not in page and 'src="http' not in page


def test_demo_keeps_every_row(demo: tuple[Path, str]) -> None:
    """Every input row is used or rejected with a reason: rows in = used + rejected."""
    out, _ = demo
    intake = pd.read_csv(out / "harmonised" / "intake.csv", comment="#")
    assert (intake["rows_in"] == intake["rows_used"] + intake["rows_rejected"]).all()
    rejected = pd.read_csv(out / "harmonised" / "rejected.csv", comment="#")
    assert len(rejected) == intake["rows_rejected"].sum()
    assert rejected["reason"].notna().all()
    # every national table carries an unknown name, a negative count and a repeated row
    tables = intake[intake["file"].str.contains("tables/")]
    assert (tables["rows_rejected"] == 3).all()


def test_demo_bundle_validates_and_reads_back(demo: tuple[Path, str]) -> None:
    """Each exchange file of the bundle validates and reads back to the harmonised rows."""
    out, _ = demo
    harmonised = pd.read_csv(out / "harmonised" / "harmonised.csv", comment="#")
    for measure in ("IMM", "EMI"):
        for suffix in (".csv", ".parquet"):
            path = out / "bundle" / f"COMESA_{measure}{suffix}"
            assert validate(path).ok, path
            table = read(path).table
            assert len(table) == int((harmonised["measure"] == measure).sum())
            assert table["provenance"].str.startswith(SYNTHETIC_NOTE).all()


def test_demo_reconciliation_reduces_asymmetry(demo: tuple[Path, str]) -> None:
    """Reconciled flows disagree less than the reported ones in every year."""
    out, _ = demo
    diag = pd.read_csv(out / "mirror" / "diagnostics.csv", comment="#")
    assert len(diag) == 5
    assert (diag["mean_abs_cc1_after"] < diag["mean_abs_cc1_before"]).all()


def test_demo_files_say_synthetic(demo: tuple[Path, str]) -> None:
    """CSV, YAML and HTML files outside the bundle start by saying the figures are synthetic."""
    out, _ = demo
    for path in out.rglob("*"):
        if path.suffix in (".csv", ".yaml") and "bundle" not in path.parts:
            first = path.read_text(encoding="utf-8").split("\n", 1)[0]
            assert SYNTHETIC_NOTE in first, path
        if path.suffix == ".html":
            assert SYNTHETIC_NOTE in path.read_text(encoding="utf-8")


def test_demo_twice_gives_identical_files(demo: tuple[Path, str], tmp_path: Path) -> None:
    """A second run writes byte-identical files."""
    out, _ = demo
    again = demo_run.run_demo(tmp_path / "again", progress=None).out
    first = sorted(p.relative_to(out) for p in out.rglob("*") if p.is_file())
    second = sorted(p.relative_to(again) for p in again.rglob("*") if p.is_file())
    assert first == second
    different = [p for p in first if (out / p).read_bytes() != (again / p).read_bytes()]
    assert different == []


def test_demo_refuses_a_non_empty_folder(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """An existing non-empty --out folder is refused with a clear message, untouched."""
    (tmp_path / "keep.txt").write_text("mine")
    assert main(["demo", "--out", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert "not empty" in err and str(tmp_path) in err
    assert [p.name for p in tmp_path.iterdir()] == ["keep.txt"]


def test_demo_refuses_a_file_as_output(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A file given as --out, or a folder under a file, is refused with a clear message."""
    target = tmp_path / "report.txt"
    target.write_text("x")
    assert main(["demo", "--out", str(target)]) == 2
    assert "expected a folder" in capsys.readouterr().err
    assert main(["demo", "--out", str(target / "sub")]) == 2
    assert "cannot" in capsys.readouterr().err


def test_failed_demo_leaves_no_half_written_bundle(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """When a step fails, neither the output folder nor the staging folder is left behind."""

    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("disk full")

    monkeypatch.setattr(demo_run, "_bundle", broken)
    with pytest.raises(RuntimeError, match="disk full"):
        demo_run.run_demo(tmp_path / "out", progress=None)
    assert list(tmp_path.iterdir()) == []


def test_missing_dependency_is_a_clear_message(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A package that cannot be imported stops the demo with what to install, writing nothing."""
    needs = {**demo_run._NEEDS, "a_package_that_is_not_installed": "matplotlib-extra"}
    monkeypatch.setattr(demo_run, "_NEEDS", needs)
    assert main(["demo", "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert "pip install matplotlib-extra" in err
    assert list(tmp_path.iterdir()) == []
