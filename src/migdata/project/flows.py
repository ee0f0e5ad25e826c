"""The flow of each role as a sequence of steps, and the writers of ``output/``.

office: answers -> quality profile and source profiles -> compliance -> each national table
harmonised (rejects with reasons) -> microdata classified and tabulated -> validated exchange
bundle -> report.

secretariat: every submission validated (feedback per member) -> accepted files merged ->
quality profiles from returned workbooks -> mirror table -> reconciliation with the quality
link -> regional bundle -> regional report.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from migdata.errors import ConfigurationError, InputError
from migdata.project import steps as st

if TYPE_CHECKING:
    from migdata.project.run import Project, RunResult, _Runner

__all__ = ["office", "secretariat", "write_outputs"]

PROBLEM_COLUMNS = ["file", "member", "row", "column", "value", "message"]

# Further outputs of a run (e.g. metadata documents): each writer is called with the project,
# the run's result, the staging folder and ``produce`` (see :func:`write_outputs`) before the
# report is written. Settings for them belong in the ``[outputs]`` section of migdata.toml
# (add their keys to ``config.SPEC["outputs"]``).
OUTPUT_WRITERS: list[Callable[..., None]] = []


def _files(folder: Path, suffixes: tuple[str, ...]) -> list[Path]:
    if not folder.is_dir():
        return []
    return sorted(
        p
        for p in folder.rglob("*")
        if p.is_file()
        and p.suffix.lower() in suffixes
        and not any(part.startswith((".", "~$")) for part in p.relative_to(folder).parts)
    )


def _read_workbooks(project: Project, runner: _Runner, paths: list[Path]) -> list[Any]:
    import migdata

    def read(path: Path) -> tuple[Any, st.Counts]:
        a = migdata.read_answers(path)
        return a, (len(a.table), len(a.table), 0)

    answers = []
    for i, path in enumerate(paths, 1):
        rel = path.relative_to(project.root).as_posix()
        a = runner.step(
            f"questionnaire:{rel}", {}, [path], [], functools.partial(read, path), quiet=True
        )
        runner.progress("reading workbooks", i, len(paths))
        answers.append(a)
    return answers


def _quality(runner: _Runner, answers: list[Any], depends: list[str]) -> Any:
    import migdata

    if not answers:
        return None

    def run() -> tuple[Any, st.Counts]:
        q = migdata.score(answers)
        n = sum(len(a.table) for a in answers)
        return q, (n, n, 0)

    return runner.step("quality", {"scoring": "ESS dimensions"}, [], depends, run)


# ------------------------------------------------------------------------------ office
def _profile(project: Project, source: dict[str, Any], by_id: dict[str, Any]) -> Any:
    from migdata.sources.profile import SourceProfile, read_profiles

    given = source["profile"]
    country = project.config["project"]["country"]
    if isinstance(given, dict):
        facts = {
            "source_id": source["id"],
            "country": country,
            "source_type": source["type"],
            "measures": [source["measure"]] if not source.get("microdata") else ["IMM", "EMI"],
            **given,
        }
        try:
            return SourceProfile.from_dict(facts)
        except (InputError, ConfigurationError, TypeError, ValueError) as err:
            raise ConfigurationError(
                f"{project.config_path}, source {source['id']!r}, key 'profile': {err}"
            ) from None
    if given == "questionnaire":
        if source["id"] not in by_id:
            known = ", ".join(sorted(by_id)) or "none (no returned workbook read)"
            raise ConfigurationError(
                f"{project.config_path}, source {source['id']!r}, key 'profile': no source "
                f"with this id in the returned questionnaires; their sources are: {known}"
            )
        return by_id[source["id"]]
    profiles = read_profiles(project.root / given)
    match = [p for p in profiles if p.source_id == source["id"]]
    if not match and len(profiles) == 1:
        match = profiles
    if not match:
        raise ConfigurationError(
            f"{project.config_path}, source {source['id']!r}, key 'profile': {given} has no "
            f"profile with source_id {source['id']!r}"
        )
    return match[0]


def office(project: Project, runner: _Runner) -> dict[str, Any]:
    """Run the office flow; return its results by name."""
    from migdata.harmonised import HARMONISED_COLUMNS

    conf = project.config
    target = conf["project"]["target"]
    workbooks = _files(project.questionnaire_dir, (".xlsx", ".csv"))
    read = _read_workbooks(project, runner, workbooks)
    answered = [bool(a.table["status"].eq("answered").any()) for a in read]
    answers = [a for a, ok in zip(read, answered, strict=True) if ok]
    for ok, path in zip(answered, workbooks, strict=True):
        if not ok:
            runner.say(f"  {path.relative_to(project.root).as_posix()}: no answer yet, skipped")
    q_steps = [f"questionnaire:{p.relative_to(project.root).as_posix()}" for p in workbooks]
    quality = _quality(runner, answers, q_steps)
    profiles = [p for a in answers for p in a.profiles()]
    by_id = {p.source_id: p for p in profiles}
    tables, rejects, intakes, crossings = [], [], [], None
    used_profiles = []
    for source in conf["sources"]:
        profile = _profile(project, source, by_id)
        used_profiles.append(profile)
        params = {k: v for k, v in source.items() if not k.startswith("_")}
        params["target"] = target
        deps = list(q_steps) if source["profile"] == "questionnaire" else []
        inputs = list(source["_paths"])
        if isinstance(source["profile"], str) and source["profile"] != "questionnaire":
            inputs.append(project.root / source["profile"])
        if source.get("microdata"):

            def run_micro(source: dict[str, Any] = source, profile: Any = profile) -> Any:
                rule = source["microdata"]["rule"]
                micro = st.microdata_source if rule == "12/16" else st.rule_source
                table, rej, intake, cr = micro(project.root, source, profile, target)
                counts = (intake["rows_in"], intake["rows_used"], intake["rows_rejected"])
                return (table, rej, intake, cr), counts

            table, rej, intake, classified = runner.step(
                f"microdata:{source['id']}", params, inputs, deps, run_micro
            )
            if source["microdata"]["rule"] == "12/16":
                crossings = classified
        else:

            def run_table(source: dict[str, Any] = source, profile: Any = profile) -> Any:
                table, rej, intake = st.harmonise_source(project.root, source, profile, target)
                counts = (intake["rows_in"], intake["rows_used"], intake["rows_rejected"])
                return (table, rej, intake), counts

            table, rej, intake = runner.step(
                f"harmonise:{source['id']}:{source['measure']}", params, inputs, deps, run_table
            )
        tables.append(table)
        rejects.append(rej)
        intakes.append({"country": conf["project"]["country"], **intake})
    for p in used_profiles:
        if p.source_id not in by_id:
            profiles.append(p)
    compliance = st.compliance_rows(profiles, target)
    harmonised = (
        pd.concat(tables, ignore_index=True)
        if tables
        else pd.DataFrame(columns=list(HARMONISED_COLUMNS))
    )
    if len(harmonised):
        harmonised = harmonised.sort_values(
            [
                "measure",
                "ref_area",
                "counterpart_area",
                "counterpart_type",
                "sex",
                "age",
                "time_period",
            ],
            ignore_index=True,
            kind="stable",
        )
    rejected = (
        pd.concat(rejects, ignore_index=True)
        if rejects
        else pd.DataFrame({"file": [], "row": [], "line": [], "reason": []})
    )
    intake = pd.DataFrame(
        intakes,
        columns=[
            "country",
            "source_id",
            "measure",
            "files",
            "rows_in",
            "rows_used",
            "rows_rejected",
            "compliance",
        ],
    )
    problems = pd.DataFrame(
        {
            "file": rejected["file"].astype(str).to_numpy(),
            "member": conf["project"]["country"],
            "row": rejected["line"].to_numpy(),
            "column": "",
            "value": "",
            "message": rejected["reason"].astype(str).to_numpy(),
        },
        columns=PROBLEM_COLUMNS,
    )
    if answers:
        qp = pd.concat(
            [a.problems.assign(file=Path(a.file).name) for a in answers if len(a.problems)]
            or [pd.DataFrame()],
            ignore_index=True,
        )
        if len(qp):
            problems = pd.concat(
                [
                    problems,
                    pd.DataFrame(
                        {
                            "file": qp["file"].to_numpy(),
                            "member": conf["project"]["country"],
                            "row": (
                                qp["sheet"].astype(str) + "!" + qp["cell"].astype(str)
                            ).to_numpy(),
                            "column": qp["item_id"].astype(str).to_numpy(),
                            "value": qp["value"].astype(str).to_numpy(),
                            "message": qp["message"].astype(str).to_numpy(),
                        }
                    ),
                ],
                ignore_index=True,
            )
    # The bundle is validated here so that a failing table stops the run before writing.
    if len(harmonised):
        from migdata.exchange import validate

        for measure, part in harmonised.groupby("measure", sort=True):
            report = validate(part)
            if not report.ok:
                first = report.to_frame().iloc[0].to_dict()
                raise InputError(
                    f"the harmonised {measure} table does not validate: {len(report)} "
                    f"problem(s), first: {first}"
                )
    n = len(harmonised)
    runner.records.append(_summary_record(runner, "bundle", n, n, 0))
    return {
        "answers": answers,
        "quality": quality,
        "profiles": profiles,
        "compliance": compliance,
        "harmonised": harmonised,
        "rejected": rejected,
        "intake": intake,
        "crossings": crossings,
        "problems": problems,
    }


def _summary_record(runner: _Runner, name: str, rows_in: int, used: int, rejected: int) -> Any:
    """The record of a step that is not cached (cheap): reused when all steps before it were."""
    from migdata.project.run import StepRecord

    status = "reused" if all(r.status == "reused" for r in runner.records) else "ran"
    return StepRecord(name, status, rows_in, used, rejected)


# ------------------------------------------------------------------------------ secretariat
def secretariat(project: Project, runner: _Runner) -> dict[str, Any]:
    """Run the secretariat flow; return its results by name."""
    import migdata

    conf = project.config
    folder = project.submissions_dir
    paths = _files(folder, (".csv", ".parquet", ".xlsx", ".xml"))
    if not paths:
        raise InputError(
            "no submission here yet: put the members' exchange files (.csv SDMX-CSV, .xml "
            "SDMX-ML, .parquet, .xlsx) and returned questionnaires in this folder (sub-folders "
            "allowed), then run again",
            file=str(folder),
        )
    checks: list[st.SubmissionCheck] = []
    for i, path in enumerate(paths, 1):
        rel = path.relative_to(project.root).as_posix()

        def run_check(path: Path = path) -> Any:
            c = st.check_submission(project.root, path)
            bad = c.rows if (c.kind == "exchange" and not c.ok) else 0
            return c, (c.rows, c.rows - bad, bad)

        checks.append(runner.step(f"check:{rel}", {}, [path], [], run_check, quiet=True))
        runner.progress("checking submissions", i, len(paths))
    n_ok = sum(c.ok for c in checks if c.kind == "exchange")
    n_ex = sum(c.kind == "exchange" for c in checks)
    n_wb = sum(c.kind == "workbook" for c in checks)
    runner.say(
        f"  checked {len(checks)} file(s): {n_ex} exchange file(s), {n_ok} accepted, "
        f"{n_ex - n_ok} not merged; {n_wb} questionnaire workbook(s)"
    )
    exchange = [c for c in checks if c.kind == "exchange"]
    previous = conf["submissions"]["previous_bundle"]

    def run_merge() -> Any:
        from migdata.exchange.merge import _merge_read

        reads = [(c.file, *c.read) for c in exchange if c.ok]
        bundle = _merge_read(reads, previous=(project.root / previous) if previous else None)
        rows_in = sum(c.rows for c in exchange if c.ok)
        return bundle, (rows_in, rows_in - len(bundle.rejected), len(bundle.rejected))

    bundle = runner.step(
        "merge",
        {"files": [c.file for c in exchange if c.ok], "previous_bundle": previous},
        [project.root / previous] if previous and (project.root / previous).is_file() else [],
        [f"check:{c.file}" for c in exchange],
        run_merge,
    )
    workbooks = [c for c in checks if c.kind == "workbook" and c.answers is not None]
    answers = [c.answers for c in workbooks]
    quality = _quality(runner, answers, [f"check:{c.file}" for c in workbooks])
    years = conf["submissions"]["years"]

    def run_mirror() -> Any:
        mirror = st.mirror_from_bundle(bundle.table, years)
        return mirror, (mirror.rows_in, mirror.rows_in - len(mirror.rejected), len(mirror.rejected))

    mirror = runner.step(
        "mirror", {"years": years, "totals": "sex _T, age _T"}, [], ["merge"], run_mirror
    )
    rec_conf = dict(conf["reconciliation"])
    ranking = st.quality_ranking(quality)
    reference = rec_conf["reference"]
    if not reference:
        reference = "" if len(ranking) else st.fallback_reference(mirror)
    params = {
        **rec_conf,
        "reference": reference,
        "quality_link": "IMM accuracy score"
        if not rec_conf["reference"] and len(ranking)
        else "none",
    }
    deps = ["mirror"] + (["quality"] if quality is not None else [])

    def run_reconcile() -> Any:
        table = mirror
        if rec_conf["weights"] == "accuracy":
            # The quality link: accuracy classes of each reporter from its questionnaire.
            table = mirror.with_classes(st.accuracy_classes(quality))
        rec = migdata.reconcile(
            table,
            method=rec_conf["method"],
            reference=reference or None,
            weights=rec_conf["weights"],
            exclude_outliers=rec_conf["exclude_outliers"] or None,
            bootstrap=rec_conf["bootstrap"],
            seed=rec_conf["seed"],
            quality=ranking if not reference else None,
        )
        # every pair of the table gets a reconciled flow (outliers too, with the factors)
        n = len(rec.flows)
        return rec, (n, n, 0)

    reconciliation = runner.step("reconcile", params, [], deps, run_reconcile)
    problems = pd.concat(
        [c.problems.assign(member=c.member) for c in checks if len(c.problems)]
        or [pd.DataFrame(columns=PROBLEM_COLUMNS)],
        ignore_index=True,
    )[PROBLEM_COLUMNS]
    submissions = pd.DataFrame(
        [
            {
                "file": c.file,
                "member": c.member,
                "kind": c.kind,
                "language": c.language,
                "rows": c.rows,
                "problems": len(c.problems),
                "status": (
                    ("merged" if c.ok else "not merged (fails validation)")
                    if c.kind == "exchange"
                    else "read" + (" (with problems)" if len(c.problems) else "")
                ),
            }
            for c in checks
        ],
        columns=["file", "member", "kind", "language", "rows", "problems", "status"],
    )
    if n_ex - n_ok:
        runner.say(
            f"  {n_ex - n_ok} submission(s) failed validation and were not merged; "
            "see output/feedback/ and the report. The run completed for the others."
        )
    runner.records.append(
        _summary_record(runner, "bundle", len(bundle.table), len(bundle.table), 0)
    )
    return {
        "checks": checks,
        "submissions": submissions,
        "bundle": bundle,
        "harmonised": bundle.table,
        "answers": answers,
        "quality": quality,
        "mirror": mirror,
        "reconciliation": reconciliation,
        "problems": problems,
    }


# ------------------------------------------------------------------------------ writers
def _csv(frame: pd.DataFrame, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    frame.to_csv(path, index=False, lineterminator="\n")


def _bundle_files(
    table: pd.DataFrame, folder: Path, prefix: str, formats: list[str], write_files: bool
) -> list[dict[str, Any]]:
    from migdata.exchange import write

    files: list[dict[str, Any]] = []
    for measure, part in table.groupby("measure", sort=True):
        for fmt in formats:
            if fmt == "datapackage":
                continue
            name = f"{prefix}{measure}.{fmt}"
            if write_files:
                write(part, folder / name)
            files.append({"file": f"bundle/{name}", "measure": measure, "rows": len(part)})
    if "datapackage" in formats and len(table):
        if write_files:
            write(table, folder / "datapackage.json")
        files.append({"file": "bundle/datapackage.json", "measure": "all", "rows": len(table)})
    return files


def write_outputs(
    project: Project,
    result: RunResult,
    folder: Path,
    produce: Callable[[str, list[str], Callable[[Path], object]], None],
) -> None:
    """Write every output of a run into ``folder`` (the staging folder).

    ``produce(name, steps, write)`` writes the output ``name`` (a file or folder of
    ``folder``) with ``write(path)``, or copies it from the previous output when the steps
    it depends on were reused.
    """
    from migdata.report import write_report

    data = result.data
    conf = project.config
    note = conf["project"]["note"]
    lang = conf["project"]["language"]
    if data.get("quality") is not None:
        import migdata

        produce(
            "quality",
            ["quality"],
            lambda path: migdata.write_reports(data["quality"], path, language=lang),
        )
    harmonised = data["harmonised"]
    if note and len(harmonised):
        harmonised = harmonised.assign(
            provenance=f"{note}; " + harmonised["provenance"].fillna("").astype(str)
        )
    formats = conf["outputs"]["bundle_formats"]
    if project.role == "office":
        from migdata.sources.profile import write_profiles

        (folder / "profiles").mkdir()
        if data["profiles"]:
            write_profiles(data["profiles"], folder / "profiles" / "source_profiles.yaml")
        _csv(data["compliance"], folder / "profiles" / "compliance.csv")
        _csv(data["harmonised"], folder / "harmonised" / "harmonised.csv")
        _csv(data["rejected"], folder / "harmonised" / "rejected.csv")
        _csv(data["intake"], folder / "harmonised" / "intake.csv")
        prefix = conf["outputs"]["bundle_prefix"] or f"{conf['project']['country']}_"
        deps = [r.name for r in result.steps if r.name.startswith(("harmonise:", "microdata:"))]
    else:
        bundle = data["bundle"]
        prefix = conf["outputs"]["bundle_prefix"] or "regional_"
        deps = ["merge"]

        def merge_reports(path: Path) -> None:
            for name, frame in (
                ("conflicts", bundle.conflicts),
                ("revisions", bundle.revisions),
                ("coverage", bundle.coverage),
                ("rejected", bundle.rejected),
            ):
                _csv(frame, path / f"{name}.csv")

        produce("merge", ["merge"], merge_reports)
        _csv(data["submissions"], folder / "submissions.csv")
        import migdata

        rec = data["reconciliation"]

        def mirror_tables(path: Path) -> None:
            for name, frame in (
                ("pairs.csv", migdata.pair_indicators(data["mirror"])),
                ("factors.csv", rec.factors),
                ("reconciled_flows.csv", rec.flows),
                ("diagnostics.csv", rec.diagnostics),
            ):
                _csv(frame, path / name)

        produce("mirror", ["mirror", "reconcile"], mirror_tables)
        if conf["outputs"]["feedback"]:
            from migdata.project.feedback import write_feedback

            checks = [r.name for r in result.steps if r.name.startswith("check:")]

            def feedback(path: Path) -> None:
                write_feedback(data["checks"], path, lang)

            produce("feedback", checks, feedback)
    files = _bundle_files(harmonised, folder / "bundle", prefix, formats, write_files=False)

    def bundle_files(path: Path) -> None:
        path.mkdir(parents=True, exist_ok=True)
        _bundle_files(harmonised, path, prefix, formats, write_files=True)

    produce("bundle", deps, bundle_files)
    # The glossary and the catalogue need no answers; the inventory and SIMS are written
    # when the project holds returned questionnaires.
    answered = data.get("answers") or []
    documents = [
        d
        for d in conf["outputs"].get("documents") or []
        if answered or d in ("glossary", "catalogue")
    ]
    if documents:
        from datetime import datetime

        from migdata.metadata.documents import write_documents

        def metadata_documents(path: Path) -> None:
            # A fixed time stamp in the SDMX-ML message: identical inputs, identical files.
            write_documents(
                answered or None,
                path,
                documents=documents,
                lang=lang,
                prepared=datetime(2000, 1, 1),
                force=True,
            )

        produce("documents", ["quality"], metadata_documents)
    for writer in OUTPUT_WRITERS:
        writer(project, result, folder, produce)
    data["files"] = pd.DataFrame(files, columns=["file", "measure", "rows"])
    write_report(result, folder / "report.html")
    if note:
        _mark(folder, note)


def _mark(root: Path, note: str) -> None:
    """Put the project's note first in every CSV/YAML outside the bundle, and in the HTML."""
    banner = (
        "<p style='background:#fff4ce;border:1px solid #e0c25c;padding:8px 12px'>"
        f"<b>{note}.</b></p>"
    )
    for path in sorted(root.rglob("*")):
        if not path.is_file() or "bundle" in path.relative_to(root).parts:
            continue
        suffix = path.suffix.lower()
        if suffix in (".csv", ".yaml", ".yml"):
            text = path.read_text(encoding="utf-8")
            if note not in text.split("\n", 1)[0]:
                path.write_text(f"# {note}\n{text}", encoding="utf-8")
        elif suffix == ".html":
            text = path.read_text(encoding="utf-8")
            if note not in text:
                path.write_text(text.replace("<body>", f"<body>{banner}", 1), encoding="utf-8")
