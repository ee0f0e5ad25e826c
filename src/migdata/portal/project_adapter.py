"""The portal's one contact with the project layer (``migdata.Project``, issue 10).

The portal needs a secretariat project's folders and a way to run it. When the installed
migdata has the project layer (``migdata.Project``), that is used as it is; otherwise
:func:`fallback_merge_and_reconcile` does the secretariat's core steps with the library
calls that exist (merge the accepted submissions, score the returned workbooks, mirror
table, reconciliation) and writes the same output layout.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import html
import io
import json
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from migdata.errors import ConfigurationError

Progress = Callable[[str], None]


@dataclass(frozen=True)
class ProjectInfo:
    """The folders of a secretariat project the portal serves."""

    root: Path
    submissions_dir: Path
    output_dir: Path
    has_project_layer: bool


@dataclass
class RunOutcome:
    """What a run produced, as the portal shows it."""

    engine: str
    output_dir: Path
    report_path: Path | None
    problems: list[str] = field(default_factory=list)
    steps: list[dict[str, Any]] = field(default_factory=list)
    grades: list[dict[str, Any]] = field(default_factory=list)
    heatmap: str | None = None  # file name in output_dir


def _project_class() -> Any:
    import migdata

    return getattr(migdata, "Project", None)


def open_project(directory: Path | str) -> ProjectInfo:
    """The secretariat project in ``directory`` (its folders created when missing)."""
    root = Path(directory).resolve()
    if not root.is_dir():
        raise ConfigurationError(
            f"no project folder {str(root)!r}: create one with 'migdata init DIR --role "
            "secretariat' (or make the folder)"
        )
    project_class = _project_class()
    if project_class is not None and (root / "migdata.toml").is_file():
        project = project_class.load(root)
        role = getattr(project, "role", "secretariat")
        if role != "secretariat":
            raise ConfigurationError(
                f"{root}: the portal serves a secretariat project; this one is an {role}'s"
            )
        info = ProjectInfo(root, Path(project.submissions_dir), Path(project.output_dir), True)
    else:
        info = ProjectInfo(root, root / "submissions", root / "output", False)
    info.submissions_dir.mkdir(parents=True, exist_ok=True)
    info.output_dir.mkdir(parents=True, exist_ok=True)
    return info


def init_demo_project(directory: Path) -> ProjectInfo:
    """A secretariat project for ``migdata serve --demo``: the configuration of the demo's
    bundled secretariat project when the project layer has one, else an empty project."""
    import migdata

    directory.mkdir(parents=True, exist_ok=True)
    config = directory / "migdata.toml"
    if getattr(migdata, "Project", None) is not None and not config.is_file():
        from migdata._resources import data_path

        bundled = Path(data_path("demo", "projects")) / "secretariat" / "migdata.toml"
        if bundled.is_file():
            shutil.copyfile(bundled, config)
            (directory / "submissions").mkdir(exist_ok=True)  # the folder it names
        else:
            migdata.init_project(directory, role="secretariat")
    return open_project(directory)


class _Lines(io.TextIOBase):
    """A text stream that hands every complete line to ``progress``."""

    def __init__(self, progress: Progress) -> None:
        self.progress = progress
        self.pending = ""

    def write(self, text: str) -> int:
        self.pending += text
        *lines, self.pending = self.pending.split("\n")
        for line in lines:
            if line.strip():
                self.progress(line.rstrip())
        return len(text)


def _problem_lines(problems: Any) -> list[str]:
    """The run's problems as short sentences (a DataFrame of the project layer, or a list)."""
    if hasattr(problems, "to_dict"):
        out = []
        for rec in problems.head(200).to_dict("records"):
            where = " ".join(
                f"{k} {rec[k]}" for k in ("member", "file", "row", "column")
                if rec.get(k) is not None and rec.get(k) == rec.get(k) and rec.get(k) != ""
            )
            out.append(f"{where}: {rec.get('message', '')}")
        if len(problems) > 200:
            out.append(f"... and {len(problems) - 200:,} more (see the report)")
        return out
    return [str(p) for p in problems or []]


def _grades(profile: Any) -> list[dict[str, Any]]:
    """One row per member: the grade of each ESS dimension (all modules pooled) and the
    information coverage."""
    from migdata.quality import Dimension

    if profile is None or not getattr(profile, "countries", None):
        return []
    wide = profile.to_frame()
    rows = wide[wide["module"].eq("ALL")] if len(wide) else wide
    out = []
    for rec in rows.to_dict("records"):
        row: dict[str, Any] = {"country": rec["country"]}
        for d in Dimension:
            grade = rec.get(f"{d.value}_grade")
            row[d.value] = None if grade is None or grade != grade else str(grade)
        coverage = rec.get("information_coverage")
        row["coverage"] = None if coverage is None or coverage != coverage else round(
            float(coverage), 2
        )
        out.append(row)
    return out


def run_project(
    info: ProjectInfo, exchange_files: list[Path], workbooks: list[Path], progress: Progress
) -> RunOutcome:
    """Run the project: the project layer's ``Project.run`` when present, else the fallback."""
    project_class = _project_class()
    if info.has_project_layer and project_class is not None:
        progress("migdata run (migdata.Project)")
        lines = _Lines(progress)
        # The project layer prints one line per step; the portal runs one project at a time.
        with contextlib.redirect_stdout(lines):
            result = project_class.load(info.root).run(force=False, progress=None)
        out = Path(result.output_dir)
        data = getattr(result, "data", {}) or {}
        heatmap = None
        mirror = data.get("mirror")
        if mirror is not None:
            heatmap = _heatmap(mirror, out / "heatmap.png")
        steps = [
            {"step": str(getattr(s, "name", s)), "detail": str(getattr(s, "status", ""))}
            for s in getattr(result, "steps", [])
        ]
        report = getattr(result, "report_path", None)
        return RunOutcome(
            engine="migdata.Project",
            output_dir=out,
            report_path=None if report is None or not Path(report).is_file() else Path(report),
            problems=_problem_lines(getattr(result, "problems", [])),
            steps=steps,
            grades=_grades(data.get("quality")),
            heatmap=heatmap,
        )
    return fallback_merge_and_reconcile(info, exchange_files, workbooks, progress)


def _heatmap(mirror: Any, path: Path) -> str | None:
    """The CC1 heatmap of the latest year as ``path``; None when it cannot be drawn."""
    import migdata

    years = sorted(int(y) for y in mirror.data["year"].dropna().unique())
    try:
        fig = migdata.cc1_heatmap(mirror, year=years[-1] if years else None)
    except migdata.MigdataError:  # no pair reported on both sides
        return None
    _figure_png(fig, path)
    return path.name


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _figure_png(fig: Any, path: Path) -> None:
    import matplotlib.pyplot as plt

    fig.savefig(path, dpi=90, bbox_inches="tight", metadata={"Software": None})
    plt.close(fig)


def fallback_merge_and_reconcile(
    info: ProjectInfo, exchange_files: list[Path], workbooks: list[Path], progress: Progress
) -> RunOutcome:
    """The secretariat's core steps without the project layer: merge, score, reconcile.

    Writes ``output/bundle/``, ``output/feedback/<ISO3>.html``, ``output/heatmap.png``,
    ``output/report.html`` and ``output/manifest.json`` through a staging folder, so a failing
    run leaves the previous output untouched.
    """
    import pandas as pd

    import migdata

    started = time.perf_counter()
    staging = info.output_dir.parent / (info.output_dir.name + ".staging")
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    steps: list[dict[str, Any]] = []
    problems: list[str] = []

    progress(f"merge: {len(exchange_files)} exchange file(s)")
    bundle = migdata.merge_submissions(exchange_files) if exchange_files else None
    if bundle is not None:
        bundle.write(staging / "bundle")
        steps.append({"step": "merge", "detail": repr(bundle)})
    else:
        problems.append("no accepted exchange file: nothing to merge")

    progress(f"quality: {len(workbooks)} returned workbook(s)")
    profile = None
    grades: list[dict[str, Any]] = []
    if workbooks:
        profile = migdata.score([migdata.read_answers(p) for p in workbooks])
        grades = _grades(profile)
        steps.append({"step": "quality", "detail": f"{len(profile.countries)} member(s) scored"})

    progress("mirror table and reconciliation")
    heatmap_name = None
    reconciliation = None
    if bundle is not None and len(bundle.table):
        t = bundle.table
        total = t[t["sex"].eq("_T") & t["age"].eq("_T")]
        imm = total[total["measure"].eq("IMM") & total["counterpart_type"].eq("PREV_RES")]
        emi = total[total["measure"].eq("EMI")]
        if len(imm) and len(emi):
            mirror = migdata.MirrorTable.from_harmonised(imm, emi)
            heatmap_name = _heatmap(mirror, staging / "heatmap.png")
            if heatmap_name is None:
                problems.append("no heatmap: no pair reported on both sides")
            quality, reference = None, None
            if profile is not None:
                s = profile.scores
                ranked = s[s["module"].eq("IMM") & s["dimension"].eq("accuracy")]
                ranked = ranked[["country", "score"]].dropna().reset_index(drop=True)
                quality = ranked if len(ranked) else None
            if quality is None:
                # no quality information: the member reporting the most pairs is the
                # reference (ties: first in alphabetical order)
                reporters = pd.concat([imm["ref_area"], emi["ref_area"]]).astype(str)
                counts = reporters.value_counts()
                reference = sorted(counts[counts == counts.max()].index)[0]
                steps.append({"step": "reference", "detail": f"{reference} (most pairs)"})
            try:
                reconciliation = migdata.reconcile(mirror, reference=reference, quality=quality)
                reconciliation.factors.to_csv(
                    staging / "factors.csv", index=False, lineterminator="\n"
                )
                n_factors = len(reconciliation.factors)
                steps.append({"step": "reconcile", "detail": f"{n_factors} factors"})
            except migdata.MigdataError as err:
                problems.append(f"reconciliation not possible: {err}")
        else:
            problems.append(
                "the mirror table needs immigration by previous residence and emigration"
            )

    progress("feedback per member")
    feedback = staging / "feedback"
    feedback.mkdir()
    by_country: dict[str, list[Path]] = {}
    for path in exchange_files:
        by_country.setdefault(path.parent.name, []).append(path)
    for country, paths in sorted(by_country.items()):
        parts = [f"<h1>Feedback for {html.escape(country)}</h1>"]
        for p in paths:
            rep = bundle.reports.get(p.name) if bundle is not None else None
            parts.append(f"<h2>{html.escape(p.name)}</h2>")
            parts.append(rep._repr_html_() if rep is not None else "<p>not read</p>")
        (feedback / f"{country}.html").write_text(
            "<!doctype html><meta charset='utf-8'>" + "".join(parts), encoding="utf-8"
        )

    progress("report and manifest")
    body = [
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>"
        "<title>Regional report</title></head><body><h1>Regional report</h1>",
        "<p>Produced by the portal's fallback run (merge and reconcile; the project layer "
        "was not available).</p>",
    ]
    if bundle is not None:
        body.append(bundle._repr_html_())
    if profile is not None:
        body.append("<h2>Quality grades</h2>" + profile.table_html())
    if heatmap_name:
        data = base64.b64encode((staging / heatmap_name).read_bytes()).decode()
        body.append(
            "<h2>Mirror asymmetry (CC1)</h2>"
            f"<img alt='heatmap' src='data:image/png;base64,{data}'>"
        )
    if reconciliation is not None:
        factors = reconciliation.factors.head(200).to_html(index=False)
        body.append("<h2>Reconciliation factors</h2>" + factors)
    if problems:
        items = "".join(f"<li>{html.escape(p)}</li>" for p in problems)
        body.append(f"<h2>Problems</h2><ul>{items}</ul>")
    body.append("</body></html>")
    (staging / "report.html").write_text("\n".join(body), encoding="utf-8")
    manifest = {
        "engine": "portal fallback (merge_submissions + reconcile)",
        "migdata": migdata.__version__,
        "inputs": [
            {"path": p.relative_to(info.root).as_posix(), "size": p.stat().st_size,
             "sha256": _sha256(p)}
            for p in sorted([*exchange_files, *workbooks])
        ],
        "steps": steps,
        "problems": problems,
        "seconds": round(time.perf_counter() - started, 3),
    }
    (staging / "manifest.json").write_text(json.dumps(manifest, indent=2), encoding="utf-8")
    old = info.output_dir.parent / (info.output_dir.name + ".previous")
    shutil.rmtree(old, ignore_errors=True)
    if info.output_dir.exists():
        info.output_dir.rename(old)
    staging.rename(info.output_dir)
    shutil.rmtree(old, ignore_errors=True)
    return RunOutcome(
        engine="fallback",
        output_dir=info.output_dir,
        report_path=info.output_dir / "report.html",
        problems=problems,
        steps=steps,
        grades=grades,
        heatmap=heatmap_name,
    )
