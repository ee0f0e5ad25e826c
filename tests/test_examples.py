"""The examples run: notebooks executed with nbclient, the office script in a subprocess.

All examples are started at once in one module fixture: each spends most of its time in its
own kernel or process, so running them together takes about the time of the slowest.
"""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path
from typing import Any

import nbformat
import pytest
from conftest import SHARED_DATA
from jupyter_client.kernelspec import find_kernel_specs
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError

import migdata

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
SCRIPT = EXAMPLES / "national_office_questionnaire.py"
KERNEL = "python3"  # the kernel spec ipykernel installs into the venv (share/jupyter/kernels)
NOTEBOOKS = (
    "statistician_eurostat_mirror.ipynb",
    "statistician_harmonise.ipynb",
    "secretariat_validate_merge.ipynb",
    "estimate_flows_from_stocks.ipynb",
)
FLOWS = "eurostat_mirror_flows_2010_2019.csv"


async def _notebook(name: str) -> Any:
    """Run a notebook top to bottom in the examples folder; the error of a failing cell."""
    nb = nbformat.read(EXAMPLES / name, as_version=4)
    client = NotebookClient(
        nb, timeout=120, kernel_name=KERNEL, resources={"metadata": {"path": str(EXAMPLES)}}
    )
    try:
        await client.async_execute()
    except (CellExecutionError, CellTimeoutError, DeadKernelError) as err:
        return err  # reported by the notebook's own test
    return nb


async def _all(names: list[str], office: Path) -> dict[str, Any]:
    script = await asyncio.create_subprocess_exec(
        sys.executable,
        str(SCRIPT),
        str(office),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    *notebooks, (stdout, stderr) = await asyncio.gather(
        *(_notebook(n) for n in names), asyncio.wait_for(script.communicate(), 180)
    )
    runs = dict(zip(names, notebooks, strict=True))
    runs["script"] = (script.returncode, stdout.decode(), stderr.decode(), office)
    return runs


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """Every example executed once, concurrently; the real-data notebook only with its data."""
    names = [n for n in NOTEBOOKS if n != NOTEBOOKS[0] or (SHARED_DATA / FLOWS).is_file()]
    office = tmp_path_factory.mktemp("examples") / "office"
    with pytest.MonkeyPatch.context() as mp:
        # The kernels inherit the environment: the notebook reads the data the tests use.
        mp.setenv("MIGDATA_SHARED_DATA", str(SHARED_DATA))
        return asyncio.run(_all(names, office))


def _result(runs: dict[str, Any], name: str) -> Any:
    result = runs[name]
    if isinstance(result, Exception):
        pytest.fail(f"{name} failed:\n{result}")
    return result


def _outputs(nb: Any) -> list[Any]:
    return [o for cell in nb.cells if cell.cell_type == "code" for o in cell.outputs]


def _mimes(nb: Any) -> list[str]:
    return [m for o in _outputs(nb) for m in o.get("data", {})]


def _html_of(nb: Any, class_name: str) -> list[str]:
    """HTML outputs whose plain-text form is the repr of ``class_name``."""
    return [
        o["data"]["text/html"]
        for o in _outputs(nb)
        if "text/html" in o.get("data", {})
        and str(o["data"].get("text/plain", "")).startswith(class_name + "(")
    ]


def test_python3_kernel_is_found() -> None:
    """The python3 kernel spec the notebooks name is installed where jupyter finds it."""
    assert KERNEL in find_kernel_specs()


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_notebooks_are_committed_clean(name: str) -> None:
    """Notebooks are committed without outputs, valid, and name the python3 kernel."""
    nb = nbformat.read(EXAMPLES / name, as_version=4)
    nbformat.validate(nb)
    assert nb.metadata["kernelspec"]["name"] == KERNEL
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert code and all(not c.outputs and c.execution_count is None for c in code)
    assert any(c.cell_type == "markdown" for c in nb.cells)


def test_eurostat_mirror_notebook_runs(shared_data: Any, runs: dict[str, Any]) -> None:
    """The real-data notebook runs (its asserts check Italy -> Spain 2015 and the CC1 drop)."""
    flows = shared_data.path(FLOWS)  # fails under CI=true when the data are missing
    nb = _result(runs, NOTEBOOKS[0])
    assert _mimes(nb).count("image/png") == 3  # heatmap, factors, flows
    html = _html_of(nb, "MirrorTable") + _html_of(nb, "Reconciliation")
    assert len(html) == 3 and all("<table" in h for h in html)
    text = " ".join(str(o.get("text", "")) for o in _outputs(nb))
    assert str(flows.parent) in text  # read the data from where the fixture found them


def test_eurostat_mirror_notebook_says_where_data_are_missing(tmp_path: Path) -> None:
    """Without the data the notebook stops at once with a message naming the file."""
    nb = nbformat.read(EXAMPLES / NOTEBOOKS[0], as_version=4)
    locate = next(c.source for c in nb.cells if "def shared_data" in c.source)
    namespace: dict[str, Any] = {}
    source = locate.replace("%matplotlib inline", "")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("MIGDATA_SHARED_DATA", str(tmp_path))
        with pytest.raises(FileNotFoundError, match=FLOWS):
            exec(compile(source, "cell", "exec"), namespace)


def test_harmonise_notebook_runs(runs: dict[str, Any]) -> None:
    """The harmonisation notebook runs and shows the profile, compliance and results as HTML."""
    nb = _result(runs, NOTEBOOKS[1])
    for name in ("SourceProfile", "Compliance", "Harmonised", "Crossings"):
        assert _html_of(nb, name), f"no HTML summary of {name}"


def test_secretariat_notebook_runs(runs: dict[str, Any]) -> None:
    """The secretariat notebook runs: a failing validation report and three bundles."""
    nb = _result(runs, NOTEBOOKS[2])
    reports = _html_of(nb, "ValidationReport")
    assert len(reports) == 1 and "duplicate_key" in reports[0] and "code" in reports[0]
    bundles = _html_of(nb, "Bundle")
    assert len(bundles) == 3  # previous round, this round, settled round
    members = ("COD", "EGY", "KEN", "MWI", "RWA", "UGA", "ZMB")
    assert all(m in b for b in bundles for m in members)  # coverage of every member shown


def test_estimate_notebook_runs(runs: dict[str, Any]) -> None:
    """The flows-from-stocks notebook runs (its asserts compare with the true demo flows)."""
    nb = _result(runs, NOTEBOOKS[3])
    assert len(_html_of(nb, "FlowsFromStocks")) == 1
    assert _mimes(nb).count("image/png") == 1  # estimated against true flows
    text = " ".join(str(o.get("text", "")) for o in _outputs(nb))
    assert "correlation of log flows" in text


def test_national_office_script(runs: dict[str, Any]) -> None:
    """The office script writes the workbook, profiles and report pages, and its answers read."""
    returncode, stdout, stderr, out = runs["script"]
    assert returncode == 0, stderr
    workbook = out / "RWA_questionnaire_fr.xlsx"
    for path in (
        workbook,
        out / "RWA-CEN-2022.yaml",
        out / "RWA-BORDER.yaml",
        out / "rapport" / "index.html",
        out / "rapport" / "quality_RWA.html",
    ):
        assert path.is_file(), f"missing {path.relative_to(out)}"
    answers = migdata.read_answers(workbook)
    assert answers.country == "RWA" and answers.language == "fr"
    assert answers.problems.empty
    assert (answers.table["status"] == "answered").sum() > 50
    border = migdata.SourceProfile.from_yaml((out / "RWA-BORDER.yaml").read_text("utf-8"))
    assert (border.threshold_months, border.threshold_basis) == (12, "observed")
    assert "report page" in stdout


def test_notebook_json_is_stable() -> None:
    """Notebooks are stored as nbformat 4 JSON with an id on every cell (no churn on save)."""
    for name in NOTEBOOKS:
        raw = json.loads((EXAMPLES / name).read_text("utf-8"))
        assert raw["nbformat"] == 4 and raw["nbformat_minor"] >= 5
        assert all("id" in cell for cell in raw["cells"])
