"""A project folder and its run: :class:`Project` (``migdata run``) and :class:`RunResult`.

The runner checks the whole configuration before anything is written, runs the steps of the
project's role (reusing those whose key did not change since the last run), writes every
output into a staging folder and swaps it in at the end.
"""

from __future__ import annotations

import html
import json
import pickle
import shutil
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from migdata.errors import ConfigurationError
from migdata.project import config as cfg
from migdata.project import manifest as mf
from migdata.project import steps as st
from migdata.project.staging import Staging

__all__ = ["Project", "RunResult", "StepRecord"]

CACHE_DIR = ".migdata-cache"
OUTPUT_DIR = "output"


@dataclass
class StepRecord:
    """One step of a run: what it did, with which parameters, and its row counts."""

    name: str
    status: str  # "ran", "reused" or "failed"
    rows_in: int = 0
    rows_used: int = 0
    rows_rejected: int = 0
    seconds: float = 0.0
    parameters: dict[str, Any] = field(default_factory=dict)
    inputs: list[str] = field(default_factory=list)
    depends: list[str] = field(default_factory=list)
    key: str = ""

    def manifest_entry(self) -> dict[str, Any]:
        """The step as recorded in ``manifest.json`` (no status, no time)."""
        return {
            "name": self.name,
            "parameters": self.parameters,
            "inputs": self.inputs,
            "depends": self.depends,
            "key": self.key,
            "rows_in": self.rows_in,
            "rows_used": self.rows_used,
            "rows_rejected": self.rows_rejected,
        }


@dataclass
class RunResult:
    """What :meth:`Project.run` did.

    Attributes
    ----------
    steps
        One :class:`StepRecord` per step (name, status ran/reused/failed, rows in / used /
        rejected, seconds, parameters).
    output_dir
        ``DIR/output``.
    manifest
        The content of ``output/manifest.json``.
    report_path
        ``output/report.html``.
    problems
        Problems found in the inputs (a secretariat's failing submissions, rejected rows of
        an office's tables): ``file``, ``member``, ``row``, ``column``, ``value``, ``message``.
    data
        The results of the steps by name (tables, quality profile, reconciliation, ...).
    """

    root: Path
    role: str
    steps: list[StepRecord]
    output_dir: Path
    manifest: dict[str, Any]
    report_path: Path
    problems: pd.DataFrame
    data: dict[str, Any] = field(default_factory=dict)
    seconds: float = 0.0
    written: bool = True

    @property
    def reused(self) -> list[str]:
        """Names of the steps reused from the previous run."""
        return [s.name for s in self.steps if s.status == "reused"]

    @property
    def ran(self) -> list[str]:
        """Names of the steps that ran."""
        return [s.name for s in self.steps if s.status == "ran"]

    def steps_frame(self) -> pd.DataFrame:
        """The steps as a table."""
        return pd.DataFrame(
            [
                {
                    "step": s.name,
                    "status": s.status,
                    "rows_in": s.rows_in,
                    "rows_used": s.rows_used,
                    "rows_rejected": s.rows_rejected,
                    "seconds": round(s.seconds, 3),
                }
                for s in self.steps
            ],
            columns=["step", "status", "rows_in", "rows_used", "rows_rejected", "seconds"],
        )

    def __repr__(self) -> str:
        return (
            f"RunResult({self.role} project {str(self.root)!r}: {len(self.steps)} steps, "
            f"{len(self.ran)} ran, {len(self.reused)} reused, {len(self.problems)} problem(s); "
            f"report {str(self.report_path)!r})"
        )

    def _repr_html_(self) -> str:
        files = [
            ("report", self.report_path),
            ("manifest", self.output_dir / "manifest.json"),
            ("bundle", self.output_dir / "bundle"),
        ]
        links = " &middot; ".join(
            f"<a href='{html.escape(p.as_uri())}'>{name}</a>" for name, p in files if p.exists()
        )
        problems = (
            f"<p><b>{len(self.problems)} problem(s)</b>, first 20:</p>"
            + self.problems.head(20).to_html(index=False, border=0)
            if len(self.problems)
            else "<p>No problem in the inputs.</p>"
        )
        return (
            f"<p><b>migdata run</b> of the {html.escape(self.role)} project "
            f"<code>{html.escape(str(self.root))}</code>: {len(self.ran)} step(s) ran, "
            f"{len(self.reused)} reused, {self.seconds:.1f} s. {links}</p>"
            + self.steps_frame().to_html(index=False, border=0)
            + problems
        )


class _Runner:
    """Runs steps, reusing those whose key matches the previous manifest."""

    def __init__(
        self,
        root: Path,
        previous: dict[str, Any],
        force: bool,
        say: Callable[[str], None],
        bar: bool,
    ) -> None:
        self.root = root
        self.cache = root / CACHE_DIR
        self.previous = {s["name"]: s for s in previous.get("steps", [])}
        self.force = force
        self.say = say
        self.bar = bar
        self.records: list[StepRecord] = []
        self.keys: dict[str, str] = {}
        self.inputs: dict[str, dict[str, Any]] = {}
        self.hash_cache: dict[str, dict[str, Any]] = {}

    def input(self, path: Path) -> str:
        record = mf.file_record(self.root, path, self.hash_cache)
        self.inputs[record["path"]] = record
        return record["path"]

    def _cache_file(self, name: str, key: str) -> Path:
        safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in name)
        return self.cache / f"{safe}-{key[:20]}.pkl"

    def step(
        self,
        name: str,
        parameters: dict[str, Any],
        inputs: list[Path],
        depends: list[str],
        fn: Callable[[], tuple[Any, st.Counts]],
        *,
        quiet: bool = False,
    ) -> Any:
        rel = [self.input(p) for p in inputs]
        key = mf.step_key(
            parameters,
            {r: self.inputs[r]["sha256"] for r in rel},
            {d: self.keys[d] for d in depends},
        )
        self.keys[name] = key
        cached = self._cache_file(name, key)
        started = time.perf_counter()
        record = StepRecord(
            name, "ran", parameters=parameters, inputs=rel, depends=depends, key=key
        )
        value: Any = None
        if not self.force and self.previous.get(name, {}).get("key") == key and cached.is_file():
            try:
                with cached.open("rb") as handle:
                    value, counts = pickle.load(handle)
                record.status = "reused"
            except Exception:
                record.status = "ran"
        if record.status == "ran":
            try:
                value, counts = fn()
            except BaseException:
                record.status = "failed"
                record.seconds = time.perf_counter() - started
                self.records.append(record)
                self.say(f"  {name}: FAILED")
                raise
            self.cache.mkdir(exist_ok=True)
            tmp = cached.with_suffix(".tmp")
            with tmp.open("wb") as handle:
                pickle.dump((value, counts), handle, protocol=pickle.HIGHEST_PROTOCOL)
            tmp.replace(cached)
        record.rows_in, record.rows_used, record.rows_rejected = (int(c) for c in counts)
        record.seconds = time.perf_counter() - started
        self.records.append(record)
        if not quiet:
            self.say(
                f"  {name}: {record.status}; rows in {record.rows_in:,} = used "
                f"{record.rows_used:,} + rejected {record.rows_rejected:,} "
                f"({record.seconds:.1f} s)"
            )
        return value

    def progress(self, label: str, i: int, n: int) -> None:
        """A progress bar on a terminal (nothing in a log or a notebook)."""
        if not self.bar:
            return
        width = 30
        done = int(width * i / max(n, 1))
        end = "\n" if i >= n else ""
        sys.stderr.write(f"\r  {label} [{'#' * done}{'.' * (width - done)}] {i}/{n}{end}")
        sys.stderr.flush()

    def clean_cache(self) -> None:
        """Keep only the cache entries of this run's steps."""
        if not self.cache.is_dir():
            return
        keep = {self._cache_file(r.name, r.key).name for r in self.records}
        for path in self.cache.iterdir():
            if path.name not in keep:
                path.unlink(missing_ok=True)


@dataclass
class Project:
    """A project folder described by ``migdata.toml`` (see :func:`migdata.init_project`).

    Attributes
    ----------
    root
        The project folder.
    role
        ``"office"`` or ``"secretariat"``.
    config
        The checked configuration with defaults filled in (a dict of sections).

    Examples
    --------
    >>> import tempfile, migdata
    >>> p = migdata.init_project(tempfile.mkdtemp() + "/regional", role="secretariat")
    >>> p.role, p.submissions_dir.name, p.output_dir.name
    ('secretariat', 'submissions', 'output')
    """

    root: Path
    role: str
    config: dict[str, Any]
    lines: dict[tuple[str | int, ...], int] = field(default_factory=dict, repr=False)

    @property
    def config_path(self) -> Path:
        """``DIR/migdata.toml``."""
        return self.root / cfg.CONFIG_NAME

    @property
    def submissions_dir(self) -> Path:
        """Folder of the members' files (secretariat)."""
        return self.root / self.config["submissions"]["folder"]

    @property
    def questionnaire_dir(self) -> Path:
        """Folder of the returned workbooks (office)."""
        return self.root / self.config["questionnaire"]["folder"]

    @property
    def data_dir(self) -> Path:
        """Folder of the national files (office)."""
        return self.root / "data"

    @property
    def output_dir(self) -> Path:
        """``DIR/output``."""
        return self.root / OUTPUT_DIR

    @classmethod
    def load(cls, directory: str | Path) -> Project:
        """Read and check ``DIR/migdata.toml``.

        Raises
        ------
        ConfigurationError
            Naming the file, line and key of every problem: unknown keys (with a suggestion),
            wrong types, files or folders that do not exist, mapped columns a file does not
            have (with the file's columns).
        """
        root = Path(directory)
        if not root.is_dir():
            raise ConfigurationError(f"{root}: no such project folder")
        path = root / cfg.CONFIG_NAME
        data, lines, _ = cfg.load(path)
        config, problems = cfg.check(root, data)
        if not problems:
            problems.extend(_column_problems(root, config))
        cfg.raise_problems(path, problems, lines)
        return cls(root=root, role=config["project"]["role"], config=config, lines=lines)

    def run(self, force: bool = False, progress: bool | None = None) -> RunResult:
        """Run the project's flow; outputs go to ``DIR/output`` (through a staging folder).

        Parameters
        ----------
        force
            Rerun every step even when its inputs did not change.
        progress
            ``None`` (default): one line per step, progress bars only on a terminal;
            ``True``: lines and bars; ``False``: silent.

        Returns
        -------
        RunResult
        """
        if progress is False:
            say: Callable[[str], None] = lambda _line: None  # noqa: E731
            bar = False
        else:
            say = print
            bar = bool(progress) or sys.stderr.isatty()
        from migdata.project import flows

        started = time.perf_counter()
        out = self.output_dir
        previous = mf.read_manifest(out / "manifest.json")
        runner = _Runner(self.root, previous, force, say, bar)
        log = mf.read_manifest(out / "run-log.json")
        runner.hash_cache = {r["path"]: r for r in log.get("inputs", []) if "path" in r}
        say(f"migdata run: {self.role} project {self.root}")
        runner.input(self.config_path)
        if self.role == "office":
            data = flows.office(self, runner)
        else:
            data = flows.secretariat(self, runner)
        data["config"] = self.config
        manifest = _manifest(self, runner)
        unchanged = (
            not force
            and {k: v for k, v in previous.items() if k != "outputs"}
            == json.loads(mf.dumps(manifest))
            and all(r.status == "reused" for r in runner.records)
            and (out / "report.html").is_file()
        )
        result = RunResult(
            root=self.root,
            role=self.role,
            steps=runner.records,
            output_dir=out,
            manifest=manifest,
            report_path=out / "report.html",
            problems=data.get("problems", pd.DataFrame()),
            data=data,
        )
        if unchanged:
            result.written = False
            result.manifest = previous
            say("  nothing changed since the last run: every step reused, output kept")
        else:
            produced: dict[str, str] = {}
            old_outputs = previous.get("outputs", {})

            with Staging(out) as staging:

                def produce(name: str, depends: list[str], write: Callable[[Path], object]) -> None:
                    params = {
                        "output": name,
                        "outputs": self.config["outputs"],
                        "project": self.config["project"],
                    }
                    key = mf.step_key(params, {}, {d: runner.keys.get(d, "") for d in depends})
                    produced[name] = key
                    old = out / name
                    if not force and old_outputs.get(name) == key and old.exists():
                        if old.is_dir():
                            shutil.copytree(old, staging / name)
                        else:
                            shutil.copy2(old, staging / name)
                    else:
                        write(staging / name)

                flows.write_outputs(self, result, staging, produce)
                manifest["outputs"] = dict(sorted(produced.items()))
                result.manifest = manifest
                (staging / "manifest.json").write_text(mf.dumps(manifest), encoding="utf-8")
                _write_log(staging, runner, time.perf_counter() - started)
        if unchanged:
            _write_log(out, runner, time.perf_counter() - started)
        runner.clean_cache()
        result.seconds = time.perf_counter() - started
        reused = result.reused
        say(
            f"Done in {result.seconds:.1f} s: {len(result.ran)} step(s) ran, {len(reused)} "
            f"reused{': ' + ', '.join(reused) if reused and len(reused) <= 8 else ''}. "
            f"Report: {result.report_path}"
        )
        return result


def _manifest(project: Project, runner: _Runner) -> dict[str, Any]:
    import migdata

    config = {k: v for k, v in project.config.items() if k != "sources"}
    config["sources"] = [
        {k: v for k, v in s.items() if not k.startswith("_")} for s in project.config["sources"]
    ]
    return {
        "migdata_version": migdata.__version__,
        "role": project.role,
        "configuration": config,
        "inputs": [
            {k: r[k] for k in ("path", "size", "sha256")} for _, r in sorted(runner.inputs.items())
        ],
        "steps": [r.manifest_entry() for r in runner.records],
        "note": "timings and the ran/reused status of each step are in run-log.json",
    }


def _write_log(folder: Path, runner: _Runner, seconds: float) -> None:
    log = {
        "seconds": round(seconds, 3),
        "steps": [
            {"name": r.name, "status": r.status, "seconds": round(r.seconds, 3)}
            for r in runner.records
        ],
        "inputs": [dict(r) for _, r in sorted(runner.inputs.items())],
    }
    (folder / "run-log.json").write_text(mf.dumps(log), encoding="utf-8")


def _column_problems(root: Path, config: dict[str, Any]) -> list[cfg.Problem]:
    """Mapped columns that a source's files do not have (each file's columns listed)."""
    problems: list[cfg.Problem] = []
    for i, source in enumerate(config["sources"]):
        if source.get("microdata") or source.get("format") == "sdmx-csv":
            continue
        columns = source.get("columns", {})
        for path in source.get("_paths", []):
            try:
                have = st.read_columns(path, source["format"], source["sheet"], source["comment"])
            except (OSError, ValueError) as err:
                problems.append(cfg.Problem(("sources", i, "files"), f"cannot read {path}: {err}"))
                continue
            needed = {role: columns.get(role, role) for role in ("year", "value")}
            needed.update(columns)
            for role, name in needed.items():
                if name not in have:
                    problems.append(
                        cfg.Problem(
                            ("sources", i, "columns", role)
                            if role in columns
                            else ("sources", i, "columns"),
                            f"file {path.relative_to(root).as_posix()} has no column "
                            f"{name!r}{cfg._suggest(str(name), have)}; its columns are: "
                            + ", ".join(repr(c) for c in have),
                        )
                    )
    return problems
