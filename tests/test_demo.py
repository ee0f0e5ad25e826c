"""Tests of ``migdata demo``: the bundled example projects run by `migdata run`'s code path."""

from __future__ import annotations

import contextlib
import io
import json
from pathlib import Path

import pandas as pd
import pytest

from migdata.cli import main
from migdata.demo import run as demo_run
from migdata.demo.synthetic import SYNTHETIC_NOTE
from migdata.exchange import read, validate

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """One run of `migdata demo --out DIR` shared by the tests of this module."""
    out = tmp_path_factory.mktemp("demo") / "run"
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        status = main(["demo", "--out", str(out)])
    assert status == 0
    return out, printed.getvalue()


def test_demo_runs_every_step_and_says_where_it_wrote(demo: tuple[Path, str]) -> None:
    """The run shows its four steps, each project's steps, and ends with the report."""
    out, printed = demo
    for step in range(1, 5):
        assert f"[{step}/4]" in printed
    assert "migdata run: office project" in printed and "merge: ran" in printed
    assert f"under {out}/" in printed and "report.html" in printed
    assert SYNTHETIC_NOTE in printed


def test_demo_report_is_self_contained_and_says_synthetic(demo: tuple[Path, str]) -> None:
    """The regional report embeds its figures, names every section and says synthetic;
    Uganda's office report shows the 12/16 classification and the sources' compliance."""
    out, _ = demo
    page = (out / "secretariat" / "output" / "report.html").read_text(encoding="utf-8")
    assert SYNTHETIC_NOTE in page
    assert page.count("data:image/png;base64,") >= 4
    for section in ("Quality profiles", "Submissions", "Mirror statistics", "Adjustment factors"):
        assert section in page
    assert "src='http" not in page and 'src="http' not in page
    uga = (out / "offices" / "UGA" / "output" / "report.html").read_text(encoding="utf-8")
    for section in ("compliance", "12/16", "rejected"):
        assert section in uga


def test_demo_keeps_every_row(demo: tuple[Path, str]) -> None:
    """Every input row is used or rejected with a reason: rows in = used + rejected."""
    out, _ = demo
    for office in sorted((out / "offices").iterdir()):
        intake = pd.read_csv(office / "output" / "harmonised" / "intake.csv", comment="#")
        assert (intake["rows_in"] == intake["rows_used"] + intake["rows_rejected"]).all()
        rejected = pd.read_csv(office / "output" / "harmonised" / "rejected.csv", comment="#")
        assert len(rejected) == intake["rows_rejected"].sum()
        assert rejected["reason"].notna().all()
        # every national table carries an unknown name, a negative count and a repeated row
        tables = intake[intake["files"].str.endswith(".csv")]
        assert (tables["rows_rejected"] == 3).all(), office.name
        manifest = json.loads((office / "output" / "manifest.json").read_text("utf-8"))
        for step in manifest["steps"]:
            assert step["rows_in"] == step["rows_used"] + step["rows_rejected"]


def test_demo_bundle_validates_and_reads_back(demo: tuple[Path, str]) -> None:
    """Each office's exchange files validate and read back to its harmonised rows; the
    regional bundle holds every member's rows."""
    out, _ = demo
    total = 0
    for office in sorted((out / "offices").iterdir()):
        harmonised = pd.read_csv(office / "output" / "harmonised" / "harmonised.csv", comment="#")
        total += len(harmonised)
        for measure in sorted(set(harmonised["measure"])):
            for suffix in (".csv", ".parquet"):
                path = office / "output" / "bundle" / f"{office.name}_{measure}{suffix}"
                assert validate(path).ok, path
                table = read(path).table
                assert len(table) == int((harmonised["measure"] == measure).sum())
                assert table["provenance"].str.startswith(SYNTHETIC_NOTE).all()
    regional = out / "secretariat" / "output" / "bundle"
    rows = sum(len(read(regional / f"COMESA_{m}.parquet").table) for m in ("IMM", "EMI"))
    assert rows == total


def test_demo_feedback_in_each_members_language(demo: tuple[Path, str]) -> None:
    """Each member gets its feedback, headed in the language of its questionnaire."""
    out, _ = demo
    feedback = out / "secretariat" / "output" / "feedback"
    assert sorted(p.stem for p in feedback.glob("*.csv")) == [
        "COD", "EGY", "KEN", "MWI", "RWA", "UGA", "ZMB"
    ]
    first = {p.stem: p.read_text(encoding="utf-8").splitlines()[1] for p in feedback.glob("*.csv")}
    assert first["RWA"].startswith("fichier,") and first["KEN"].startswith("file,")
    assert first["EGY"].startswith("الملف,")
    assert "Retour sur les fichiers" in (feedback / "RWA.txt").read_text(encoding="utf-8")


def test_demo_reconciliation_reduces_asymmetry(demo: tuple[Path, str]) -> None:
    """Reconciled flows disagree less than the reported ones in every year."""
    out, _ = demo
    diag = pd.read_csv(out / "secretariat" / "output" / "mirror" / "diagnostics.csv", comment="#")
    assert len(diag) == 5
    assert (diag["mean_abs_cc1_after"] < diag["mean_abs_cc1_before"]).all()


def test_demo_files_say_synthetic(demo: tuple[Path, str]) -> None:
    """CSV, YAML and HTML outputs outside the bundles start by saying the figures are
    synthetic."""
    out, _ = demo
    for path in out.rglob("output/**/*"):
        if path.suffix in (".csv", ".yaml") and "bundle" not in path.parts:
            first = path.read_text(encoding="utf-8").split("\n", 1)[0]
            assert SYNTHETIC_NOTE in first, path
        if path.suffix == ".html":
            assert SYNTHETIC_NOTE in path.read_text(encoding="utf-8")


def test_demo_twice_reuses_and_a_fresh_run_gives_identical_files(
    demo: tuple[Path, str], tmp_path: Path
) -> None:
    """Rerunning the demo in place reuses every step and keeps the files; a fresh run in
    another folder writes byte-identical outputs (the run logs, with timings, apart)."""
    out, _ = demo
    again_in_place = demo_run.run_demo(out, progress=None)
    assert again_in_place.secretariat.ran == []
    assert all(r.ran == [] for r in again_in_place.offices.values())
    fresh = demo_run.run_demo(tmp_path / "again", progress=None).out

    def files(root: Path) -> list[Path]:
        return sorted(
            p.relative_to(root)
            for p in root.rglob("*")
            if p.is_file() and ".migdata-cache" not in p.parts
        )

    assert files(out) == files(fresh)
    different = [p for p in files(out) if (out / p).read_bytes() != (fresh / p).read_bytes()]
    assert all(p.name == "run-log.json" for p in different)


def test_demo_refuses_a_non_empty_folder(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """An existing non-empty --out folder that is no demo is refused, untouched."""
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


def test_failed_demo_leaves_nothing_behind(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """When a step fails, neither the demo folder nor a staging folder is left behind."""
    import migdata.project.flows as flows

    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("disk full")

    monkeypatch.setattr(flows, "write_outputs", broken)
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


def test_demo_reports_read_without_jargon(demo: tuple[Path, str]) -> None:
    """Codes spelled out with a glossary at the end, human cell values, A4 print styles,
    tables that scroll on a narrow screen."""
    import re

    out, _ = demo
    pages = [out / "secretariat" / "output" / "report.html"]
    pages += sorted((out / "offices").glob("*/output/report.html"))
    for path in pages:
        page = path.read_text(encoding="utf-8")
        page = re.sub(r"data:image/png;base64,[A-Za-z0-9+/=]+", "", page)
        cells = re.findall(r"<t[dh][^>]*>([^<]*)</t[dh]>", page)
        for raw in ("True", "False", "_T", "u_I", "class_I", "not_persons", "nan"):
            assert raw not in cells, (path, raw)
        assert "<h2 id='glossary'>Glossary</h2>" in page and "STK stock of migrants" in page
        assert "@page{size:A4" in page and "@media print" in page
        assert page.count("<table") == page.count("<div class='scroll'><table")
        for code in ("IMEM", "QuantMig", "CC1", "AC3"):
            assert f"<dt>{code}</dt>" in page, (path, code)


def test_demo_inputs_open_as_plain_csv(demo: tuple[Path, str]) -> None:
    """The offices' input tables open with pd.read_csv as they are; a README beside them says
    they are synthetic."""
    out, _ = demo
    tables = sorted(out.glob("offices/*/data/*.csv"))
    assert tables
    for path in tables:
        frame = pd.read_csv(path)
        assert not str(frame.columns[0]).startswith("#"), path
        assert len(frame.columns) >= 4, path
        readme = path.parent / "README.txt"
        assert SYNTHETIC_NOTE in readme.read_text(encoding="utf-8"), path
