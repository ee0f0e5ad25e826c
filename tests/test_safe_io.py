"""Tests of safe file handling: no silent overwrite, atomic writes, confined package paths,
no formula written from user text."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import pandas as pd
import pytest

import migdata
from migdata._safe_io import atomic_write, confined
from migdata.cli import main
from migdata.errors import InputError
from migdata.questionnaire.template import write_template


def test_template_never_replaces_a_workbook_silently(tmp_path: Path) -> None:
    """An existing (maybe filled) workbook is kept unless overwrite=True / --force."""
    path = tmp_path / "q.xlsx"
    path.write_bytes(b"filled workbook")
    with pytest.raises(InputError, match="exists"):
        write_template(path, country="RWA")
    assert path.read_bytes() == b"filled workbook"
    assert main(["questionnaire", "template", "--country", "RWA", "--out", str(path)]) == 2
    assert path.read_bytes() == b"filled workbook"
    args = ["questionnaire", "template", "--country", "RWA", "--out", str(path), "--force"]
    assert main(args) == 0
    assert zipfile.is_zipfile(path)


def test_atomic_write_leaves_the_old_file_on_failure(tmp_path: Path) -> None:
    """A writer that fails half-way leaves the previous file and no temporary file."""
    path = tmp_path / "data.csv"
    path.write_text("old")

    def broken(tmp: Path) -> None:
        tmp.write_text("half")
        raise RuntimeError("disk full")

    with pytest.raises(RuntimeError):
        atomic_write(path, broken)
    assert path.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["data.csv"]


@pytest.mark.parametrize("target", ["../x.csv", "/etc/passwd", "a/../../x.csv", ""])
def test_package_paths_stay_in_the_folder(tmp_path: Path, target: str) -> None:
    """A data package cannot make read_exchange read a file outside its folder."""
    (tmp_path / "x.csv").write_text("DATAFLOW\n")
    pkg = tmp_path / "pkg"
    pkg.mkdir()
    resources = [{"name": "data", "path": target, "format": "csv"}]
    (pkg / "datapackage.json").write_text(json.dumps({"resources": resources}))
    with pytest.raises(InputError, match=r"package folder|leaves"):
        migdata.read_exchange(pkg / "datapackage.json")
    with pytest.raises(InputError):
        confined(pkg, target)


def test_resources_must_be_a_list(tmp_path: Path) -> None:
    """A datapackage.json whose resources is a string: an InputError naming the file."""
    (tmp_path / "datapackage.json").write_text(json.dumps({"resources": "data.csv"}))
    with pytest.raises(InputError, match=r"datapackage\.json.*resources"):
        migdata.read_exchange(tmp_path / "datapackage.json")


def test_source_names_never_become_formulas(tmp_path: Path) -> None:
    """write_template(sources=['x:=HYPERLINK(...)']) writes the text, not a formula."""
    bad = 'population_register:=HYPERLINK("http://evil","click")'
    path = write_template(tmp_path / "q.xlsx", country="RWA", sources=[bad])
    with zipfile.ZipFile(path) as z:
        for name in z.namelist():
            if name.startswith("xl/worksheets/"):
                assert b"<f>" not in z.read(name) and b"<f " not in z.read(name)
    import openpyxl

    wb = openpyxl.load_workbook(path)
    texts = [c.value for ws in wb.worksheets for row in ws.iter_rows() for c in row]
    assert any(isinstance(t, str) and "=HYPERLINK" in t for t in texts)


def test_exchange_build_does_not_overwrite(tmp_path: Path) -> None:
    """`exchange build --out DIR` over an earlier bundle is refused without --force."""
    table = pd.DataFrame(
        {
            "ref_area": ["KEN"],
            "counterpart_area": ["UGA"],
            "counterpart_type": ["CITIZENSHIP"],
            "measure": ["IMM"],
            "sex": ["_T"],
            "age": ["_T"],
            "time_period": ["2020"],
            "obs_value": [1520.0],
        }
    )
    src = tmp_path / "t.csv"
    out = tmp_path / "bundle"
    out.mkdir()
    (out / "data.csv").write_text("precious")
    migdata.write_exchange(table, src)
    assert main(["exchange", "build", str(src), "--out", str(out)]) == 2
    assert (out / "data.csv").read_text() == "precious"
    assert main(["exchange", "build", str(src), "--out", str(out), "--force"]) == 0
    assert (out / "data.csv").read_text() != "precious"
