"""The ``migdata demo`` job: the bundled example projects, run by ``migdata run``'s code path.

The seeded generator writes what seven COMESA national offices would hold (a filled
questionnaire, national flow tables, Uganda's border records); the demo puts them in one
office project per country (configurations bundled in ``data/demo/projects/``), runs each
office, gives each office's exchange files and questionnaire to the secretariat project and
runs it. Every figure is synthetic.

Running the demo again on the same folder reruns the projects in place: the generator gives
the same bytes, so every step is reused. ``force=True`` (``--force``) deletes the folder and
starts again.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from migdata.demo.synthetic import SYNTHETIC_NOTE, demo_spec
from migdata.errors import DependencyError, InputError

__all__ = ["DemoResult", "run_demo"]

MARKER = ".migdata-demo"
_STEPS = 4


@dataclass
class DemoResult:
    """What a demo run produced (all figures synthetic): one run per project."""

    out: Path
    offices: dict[str, Any]
    secretariat: Any
    files: list[Path] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def report(self) -> Path:
        """The regional report (the secretariat project's ``output/report.html``)."""
        return Path(self.secretariat.report_path)


def _check_out(out: Path, force: bool) -> bool:
    """Check the output folder; True when it holds an earlier demo to rerun in place."""
    if out.exists() and not out.is_dir():
        raise InputError("expected a folder for the demo output, found a file", file=str(out))
    if out.is_dir() and any(out.iterdir()):
        if (out / MARKER).is_file():
            return not force
        raise InputError(
            "the output folder is not empty and holds no earlier demo; choose a new folder "
            "(--out DIR) or remove this one, so that files of an earlier run are never mixed "
            "with this one",
            file=str(out),
        )
    probe = out.resolve().parent
    while not probe.exists():
        probe = probe.parent
    if not probe.is_dir():
        raise InputError(
            "cannot create the output folder: this is a file, expected a folder", file=str(probe)
        )
    if not os.access(probe, os.W_OK | os.X_OK):
        raise InputError("cannot write here (permission denied)", file=str(probe))
    return False


# What the demo needs beyond pandas, by import name -> distribution to install.
_NEEDS = {
    "pyarrow": "pyarrow",
    "openpyxl": "openpyxl",
    "matplotlib": "matplotlib",
    "yaml": "pyyaml",
    "scipy": "scipy",
    "pandera": "pandera",
}


def _require() -> None:
    """Fail before writing anything when a package the flow needs cannot be imported."""
    import importlib

    missing = []
    for module, dist in _NEEDS.items():
        try:
            importlib.import_module(module)
        except ImportError:
            missing.append(dist)
    if missing:
        raise DependencyError(
            f"migdata demo needs {', '.join(missing)}, which cannot be imported; install "
            f"it with: pip install {' '.join(missing)} (or reinstall migdata: pip install .)"
        )


def _copy_if_changed(source: Path, target: Path) -> None:
    """Copy a file unless the target already has the same bytes (its date is then kept, so a
    rerun finds the file unchanged without hashing it again)."""
    if target.is_file() and target.read_bytes() == source.read_bytes():
        return
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(source, target)


def _projects(out: Path, generated: Path) -> tuple[dict[str, Path], Path]:
    """Lay out the example projects under ``out`` with the generated inputs."""
    from migdata._resources import data_path

    spec = demo_spec()
    bundled = data_path("demo", "projects")
    offices = {}
    for code in spec.codes:
        root = out / "offices" / code
        _copy_if_changed(bundled / code / "migdata.toml", root / "migdata.toml")
        lang = spec.countries[code]["language"]
        _copy_if_changed(
            generated / "questionnaires" / f"{code}_{lang}.xlsx",
            root / "questionnaire" / f"{code}_{lang}.xlsx",
        )
        for table in sorted((generated / "tables").glob(f"{code}_*.csv")):
            _copy_if_changed(table, root / "data" / table.name)
        if (generated / "tables" / "README.txt").exists():
            _copy_if_changed(generated / "tables" / "README.txt", root / "data" / "README.txt")
        for records in sorted((generated / "crossings").glob(f"{code}_*.parquet")):
            _copy_if_changed(records, root / "data" / records.name)
        offices[code] = root
    secretariat = out / "secretariat"
    _copy_if_changed(bundled / "secretariat" / "migdata.toml", secretariat / "migdata.toml")
    (secretariat / "submissions").mkdir(parents=True, exist_ok=True)
    return offices, secretariat


def run_demo(
    out: str | Path = "migdata-demo",
    *,
    force: bool = False,
    progress: Callable[[str], None] | None = print,
) -> DemoResult:
    """Run the bundled example projects (seven COMESA offices and their secretariat).

    Parameters
    ----------
    out
        Output folder: new, empty, or an earlier demo folder (rerun in place: unchanged
        steps are reused). It receives ``offices/<ISO3>/`` (one office project each, with its
        ``output/``) and ``secretariat/`` (the regional project, whose
        ``output/report.html`` is the demo's report).
    force
        Delete an earlier demo folder and start again.
    progress
        Called with one line per step (default: ``print``); ``None`` for silence.

    Returns
    -------
    DemoResult

    Raises
    ------
    InputError
        ``out`` is a file, a non-empty folder that holds no earlier demo, or not writable.
    DependencyError
        A package the flow needs cannot be imported (nothing is written then).

    Examples
    --------
    >>> import tempfile
    >>> result = run_demo(tempfile.mkdtemp() + "/demo", progress=None)  # doctest: +SKIP
    >>> result.report.name  # doctest: +SKIP
    'report.html'
    """
    from migdata.demo.generate import write_inputs
    from migdata.project import Project

    say = progress or (lambda _line: None)
    out = Path(out)
    again = _check_out(out, force)
    _require()
    started = time.perf_counter()
    if force and (out / MARKER).is_file():
        shutil.rmtree(out)
    created = not out.exists()
    spec = demo_spec()
    try:
        out.mkdir(parents=True, exist_ok=True)
        (out / MARKER).write_text(f"{SYNTHETIC_NOTE}\n", encoding="utf-8")
        say(
            f"[1/{_STEPS}] Generating synthetic inputs for {', '.join(spec.codes)} "
            f"(seed {spec.seed})"
        )
        with tempfile.TemporaryDirectory(prefix="migdata-demo-") as tmp:
            write_inputs(Path(tmp), spec)
            say(
                f"[2/{_STEPS}] Example projects: {len(spec.codes)} offices and a secretariat"
                + (" (rerun in place)" if again else "")
            )
            offices, secretariat = _projects(out, Path(tmp))
        say(f"[3/{_STEPS}] Running each office project (migdata run offices/<ISO3>)")
        quiet = progress is None
        office_runs = {}
        for code, root in offices.items():
            office_runs[code] = Project.load(root).run(progress=False if quiet else None)
            bundle = root / "output" / "bundle"
            for path in sorted(bundle.glob(f"{code}_*.csv")):
                _copy_if_changed(path, secretariat / "submissions" / code / path.name)
            for workbook in sorted((root / "questionnaire").glob("*.xlsx")):
                _copy_if_changed(workbook, secretariat / "submissions" / code / workbook.name)
        say(f"[4/{_STEPS}] Running the secretariat project (migdata run secretariat)")
        regional = Project.load(secretariat).run(progress=False if quiet else None)
    except BaseException:
        if created:
            shutil.rmtree(out, ignore_errors=True)
        raise
    result = DemoResult(out=out, offices=office_runs, secretariat=regional)
    result.seconds = time.perf_counter() - started
    result.files = sorted(
        p.relative_to(out)
        for p in out.rglob("*")
        if p.is_file() and ".migdata-cache" not in p.parts
    )
    _summary(result, say)
    return result


def _summary(result: DemoResult, say: Callable[[str], None]) -> None:
    say("")
    say(f"Done in {result.seconds:.1f} s. {SYNTHETIC_NOTE}.")
    say(f"Wrote {len(result.files)} files under {result.out}/:")
    say(
        f"  offices/<ISO3>/    {len(result.offices)} office projects: migdata.toml, "
        "questionnaire/, data/, output/"
    )
    say(
        "  secretariat/       the regional project: submissions/<ISO3>/, output/ (bundle/, "
        "feedback/, mirror/, report.html)"
    )
    say(f"Rerun one project:  migdata run {result.out}/secretariat")
    say(f"Open the report: {result.report}")
