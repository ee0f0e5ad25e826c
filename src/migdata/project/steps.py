"""The steps of a run, for an office and for a secretariat.

Each step is a function of its inputs and parameters only (no clock, no randomness without
a seed), so that its result can be reused when its key did not change. The runner
(:mod:`migdata.project.run`) decides what to rerun; the writers put the results in files.
"""

from __future__ import annotations

import inspect
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from migdata.errors import ConfigurationError, InputError, MigdataError

__all__ = [
    "Counts",
    "SubmissionCheck",
    "check_submission",
    "harmonise_source",
    "is_questionnaire",
    "read_columns",
    "read_table",
]

Counts = tuple[int, int, int]  # rows in, used, rejected

EXCHANGE_SUFFIXES = (".csv", ".parquet", ".xlsx", ".json")


# ------------------------------------------------------------------------------ files
def is_questionnaire(path: Path) -> bool:
    """True when an .xlsx file is a questionnaire workbook (it has the hidden key sheet)."""
    if path.suffix.lower() != ".xlsx":
        return False
    from openpyxl import load_workbook

    from migdata.questionnaire._layout import META_SHEET

    try:
        book = load_workbook(path, read_only=True)
    except Exception:
        return False
    try:
        return META_SHEET in book.sheetnames
    finally:
        book.close()


def _format(path: Path, fmt: str) -> str:
    if fmt != "auto":
        return fmt
    suffix = path.suffix.lower()
    return {".csv": "csv", ".txt": "csv", ".xlsx": "xlsx", ".parquet": "parquet"}.get(suffix, "csv")


def _leading_comments(path: Path, comment: str) -> int:
    """Number of comment or blank lines before the header of a CSV file."""
    n = 0
    with path.open(encoding="utf-8-sig") as handle:
        for line in handle:
            if line.strip() and not (comment and line.lstrip().startswith(comment)):
                break
            n += 1
    return n


def read_columns(path: Path, fmt: str = "auto", sheet: str = "", comment: str = "#") -> list[str]:
    """The column names of a national file (header only)."""
    kind = _format(path, fmt)
    if kind == "sdmx-csv":
        return []
    if kind == "parquet":
        import pyarrow.parquet as pq

        return list(pq.read_schema(path).names)
    if kind == "xlsx":
        return [str(c) for c in pd.read_excel(path, sheet_name=sheet or 0, nrows=0).columns]
    return list(pd.read_csv(path, nrows=0, comment=comment or None, encoding="utf-8-sig").columns)


def read_table(
    path: Path, fmt: str = "auto", sheet: str = "", comment: str = "#"
) -> tuple[pd.DataFrame, int]:
    """A national file as text cells, and the file line of its first data row."""
    kind = _format(path, fmt)
    if kind == "parquet":
        return pd.read_parquet(path), 1
    if kind == "xlsx":
        frame = pd.read_excel(path, sheet_name=sheet or 0, dtype=str, keep_default_na=False)
        return frame, 2
    # every cell as text and no "NA" -> missing: "NA" is Namibia's ISO code
    frame = pd.read_csv(
        path, dtype=str, keep_default_na=False, comment=comment or None, encoding="utf-8-sig"
    )
    return frame, _leading_comments(path, comment) + 2


# ------------------------------------------------------------------------------ office
def _counterpart(measure: str, given: str) -> str:
    if given:
        return given
    return {"IMM": "PREV_RES", "EMI": "NEXT_RES", "NAB": "RESIDENCE"}.get(measure, "CITIZENSHIP")


def harmonise_source(
    root: Path, source: dict[str, Any], profile: Any, target: str
) -> tuple[pd.DataFrame, pd.DataFrame, dict[str, Any]]:
    """Harmonise every file of one configured source.

    Returns the harmonised rows, the rejected rows (``file``, ``row``, ``line``, ``reason``)
    and one intake record (rows in / used / rejected, compliance).
    """
    import migdata

    measure = source["measure"]
    columns = source.get("columns", {})
    codes = source.get("codes", {})
    kwargs: dict[str, Any] = {
        "measure": measure,
        "counterpart_type": _counterpart(measure, source["counterpart_type"]),
    }
    if source["country_kind"] != "name":
        if "country_kind" not in inspect.signature(migdata.harmonise).parameters:
            raise ConfigurationError(
                f"source {source['id']!r}: country_kind = {source['country_kind']!r} needs "
                "migdata.harmonise(..., country_kind=...), which this version of migdata does "
                'not have; use country_kind = "name"'
            )
        kwargs["country_kind"] = source["country_kind"]
    tables, rejected = [], []
    rows_in = rows_rej = 0
    compliance = ""
    for path in source["_paths"]:
        rel = path.relative_to(root).as_posix()
        if source["format"] == "sdmx-csv":
            read = migdata.read_exchange(path)
            table = read.table
            tables.append(table)
            rows_in += len(table) + len(read.rejected)
            rows_rej += len(read.rejected)
            if len(read.rejected):
                rejected.append(
                    pd.DataFrame(
                        {
                            "file": rel,
                            "row": read.rejected["row"].to_numpy(),
                            "line": read.rejected["row"].to_numpy(),
                            "reason": read.rejected["reason"].astype(str).to_numpy(),
                        }
                    )
                )
            continue
        raw, first_line = read_table(path, source["format"], source["sheet"], source["comment"])
        present = set(raw.columns)
        names = {
            role: columns.get(role, role) for role in ("year", "country", "sex", "age", "value")
        }
        for role, mapping in codes.items():
            column = names.get(role)
            if column in present:
                raw[column] = raw[column].replace({str(k): str(v) for k, v in mapping.items()})
        h = migdata.harmonise(
            raw,
            profile,
            target,
            year_column=names["year"],
            country_column=names["country"] if names["country"] in present else None,
            sex_column=names["sex"],
            age_column=names["age"],
            value_column=names["value"],
            **kwargs,
        )
        years = source.get("years") or []
        table = h.table
        if years:
            table = table[table["time_period"].astype(int).isin(years)]
        tables.append(table)
        rows_in += h.rows_in
        rows_rej += len(h.rejected)
        compliance = str(h.compliance.cls)
        rejected.append(
            pd.DataFrame(
                {
                    "file": rel,
                    "row": h.rejected["row"].to_numpy(),
                    "line": h.rejected["row"].to_numpy() + first_line,
                    "reason": h.rejected["reason"].astype(str).to_numpy(),
                }
            )
        )
    from migdata.harmonised import HARMONISED_COLUMNS

    out = (
        pd.concat(tables, ignore_index=True)[list(HARMONISED_COLUMNS)]
        if tables
        else pd.DataFrame(columns=list(HARMONISED_COLUMNS))
    )
    rej = (
        pd.concat(rejected, ignore_index=True)
        if rejected
        else pd.DataFrame({"file": [], "row": [], "line": [], "reason": []})
    )
    intake = {
        "source_id": source["id"],
        "measure": measure,
        "files": ", ".join(p.relative_to(root).as_posix() for p in source["_paths"]),
        "rows_in": rows_in,
        "rows_used": rows_in - rows_rej,
        "rows_rejected": rows_rej,
        "compliance": compliance,
    }
    return out, rej, intake


def microdata_source(
    root: Path, source: dict[str, Any], profile: Any, target: str
) -> tuple[pd.DataFrame, pd.DataFrame, dict[str, Any], Any]:
    """Classify record-level crossings by the 12/16 rule and tabulate long-term flows."""
    import migdata
    from migdata.sources.crossings import crossing_flows_to_harmonised

    rule = source["microdata"]
    frames = []
    for path in source["_paths"]:
        frame, _ = read_table(path, source["format"], source["sheet"], source["comment"])
        frames.append(frame)
    moves = pd.concat(frames, ignore_index=True)
    crossings = migdata.classify_crossings(
        moves,
        threshold_days=rule["threshold_days"],
        window_days=rule["window_days"],
        data_start=rule["data_start"] or None,
        obs_end=rule["obs_end"] or None,
    )
    flows = migdata.tabulate_crossings(crossings, by=tuple(rule["by"]))
    years = source.get("years") or []
    if years and "year" in flows.columns:
        flows = flows[flows["year"].astype(int).isin(years)]
    keys = [c for c in ("year", "partner", "measure") if c in flows.columns]
    if "sex" in flows.columns:
        totals = flows.groupby(keys, as_index=False).agg(
            value=("value", "sum"), unknown=("unknown", "sum")
        )
        totals["sex"] = "_T"
        totals["obs_status"] = totals["unknown"].gt(0).map({True: "P", False: "A"})
        flows = pd.concat([flows, totals], ignore_index=True)
    c = migdata.compliance(profile, target, measure="IMM")
    table = crossing_flows_to_harmonised(
        flows,
        ref_area=profile.country,
        source_id=profile.source_id,
        target=target,
        compliance=str(c.cls),
        counterpart="partner",
        counterpart_type={"IMM": "PREV_RES", "EMI": "NEXT_RES"},
    )
    table["provenance"] = (
        f"{profile.source_id}: linked entry/exit records classified by the 12/16 outcome "
        f"rule ({rule['threshold_days']} of {rule['window_days']} days observed in or out "
        "of the country)"
    )
    rel = ", ".join(p.relative_to(root).as_posix() for p in source["_paths"])
    rej = crossings.rejected.assign(file=rel, line=pd.NA)[["file", "row", "line", "reason"]]
    intake = {
        "source_id": source["id"],
        "measure": "IMM, EMI",
        "files": rel,
        "rows_in": len(moves),
        "rows_used": len(moves) - len(crossings.rejected),
        "rows_rejected": len(crossings.rejected),
        "compliance": str(c.cls),
    }
    return table, rej, intake, crossings


def rule_source(
    root: Path, source: dict[str, Any], profile: Any, target: str
) -> tuple[pd.DataFrame, pd.DataFrame, dict[str, Any], Any]:
    """Record-level files classified by the library function of a rule (``cards``:
    :func:`migdata.classify_cards` then :func:`migdata.tabulate_cards`; ``registers``:
    :func:`migdata.register_flows`), with the keyword arguments of ``[sources.microdata]``."""
    from migdata.harmonised import HARMONISED_COLUMNS
    from migdata.project.config import rule_functions

    rule = source["microdata"]["rule"]
    args = {k: v for k, v in source["microdata"].items() if k != "rule"}
    frames = [
        read_table(path, source["format"], source["sheet"], source["comment"])[0]
        for path in source["_paths"]
    ]
    records = pd.concat(frames, ignore_index=True)
    functions = rule_functions(rule)

    def kwargs(fn: Any) -> dict[str, Any]:
        names = set(inspect.signature(fn).parameters)
        return {k: v for k, v in args.items() if k in names}

    if rule == "cards":
        classify, tabulate = functions
        cards = classify(records, profile.country, target, **kwargs(classify))
        table = tabulate(cards, profile, **kwargs(tabulate))
        rejected, result = cards.rejected, cards
    else:
        (register,) = functions
        result = register(records, profile, target, **kwargs(register))
        table, rejected = result.table, result.rejected
    years = source.get("years") or []
    if years:
        table = table[table["time_period"].astype(int).isin(years)]
    table = table.reindex(columns=list(HARMONISED_COLUMNS))
    files = ", ".join(p.relative_to(root).as_posix() for p in source["_paths"])
    rej = pd.DataFrame(
        {
            "file": files,
            "row": rejected["row"].to_numpy() if len(rejected) else [],
            "line": pd.NA,
            "reason": rejected["reason"].astype(str).to_numpy() if len(rejected) else [],
        }
    )
    compliance = str(table["compliance"].iloc[0]) if len(table) else ""
    intake = {
        "source_id": source["id"],
        "measure": ", ".join(sorted(table["measure"].unique())) if len(table) else "",
        "files": files,
        "rows_in": len(records),
        "rows_used": len(records) - len(rej),
        "rows_rejected": len(rej),
        "compliance": compliance,
    }
    return table, rej, intake, result


def compliance_rows(profiles: list[Any], target: str) -> pd.DataFrame:
    """Compliance of each source's IMM and EMI statistics with the target."""
    import migdata

    rows = []
    for p in profiles:
        for measure in p.measures:
            if measure not in ("IMM", "EMI"):
                continue
            c = migdata.compliance(p, target, measure=measure)
            flags = (
                sorted(k for k, v in c.flags.items() if v)
                if isinstance(c.flags, dict)
                else sorted(map(str, c.flags))
            )
            rows.append(
                {
                    "country": p.country,
                    "source_id": p.source_id,
                    "source_type": p.source_type,
                    "measure": measure,
                    "threshold_months": p.threshold_months,
                    "threshold_basis": p.threshold_basis,
                    "compliance": str(c.cls),
                    "flags": ", ".join(flags),
                    "reason": c.reason,
                }
            )
    columns = [
        "country",
        "source_id",
        "source_type",
        "measure",
        "threshold_months",
        "threshold_basis",
        "compliance",
        "flags",
        "reason",
    ]
    return pd.DataFrame(rows, columns=columns)


# ------------------------------------------------------------------------------ secretariat
@dataclass
class SubmissionCheck:
    """What checking one submitted file found."""

    file: str
    kind: str  # "exchange" or "workbook"
    member: str
    language: str
    rows: int
    problems: pd.DataFrame  # file, row, column, value, message
    answers: Any = None
    read: Any = None  # exchange file: (rows usable, rows rejected, validation report)
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when the file has no problem (an exchange file is then merged)."""
        return len(self.problems) == 0


_ISO3 = re.compile(r"(?<![A-Za-z])([A-Z]{3})(?![A-Za-z])")


def _member_from_path(rel: str) -> str:
    import pycountry

    for token in _ISO3.findall(rel.upper()):
        if pycountry.countries.get(alpha_3=token) is not None:
            return token
    return ""


def check_submission(root: Path, path: Path) -> SubmissionCheck:
    """Validate one submitted file: an exchange file or a returned questionnaire workbook."""
    rel = path.relative_to(root).as_posix()
    problem_columns = ["file", "row", "column", "value", "message"]
    if is_questionnaire(path):
        import migdata

        try:
            answers = migdata.read_answers(path)
        except MigdataError as err:
            problems = pd.DataFrame([[rel, None, None, None, str(err)]], columns=problem_columns)
            return SubmissionCheck(rel, "workbook", _member_from_path(rel), "", 0, problems)
        p = answers.problems
        problems = pd.DataFrame(
            {
                "file": rel,
                "row": (p["sheet"].astype(str) + "!" + p["cell"].astype(str)).to_numpy()
                if len(p)
                else [],
                "column": p["item_id"].astype(str).to_numpy() if len(p) else [],
                "value": p["value"].astype(str).to_numpy() if len(p) else [],
                "message": p["message"].astype(str).to_numpy() if len(p) else [],
            },
            columns=problem_columns,
        )
        # Problems in a workbook are reported to the member; the answers read are still used.
        return SubmissionCheck(
            rel,
            "workbook",
            answers.country,
            answers.language,
            len(answers.table),
            problems,
            answers,
        )
    from migdata.exchange.merge import _read_submission

    try:
        table, rejected, report = _read_submission(path)
    except (InputError, OSError, ValueError) as err:
        problems = pd.DataFrame([[rel, None, None, None, str(err)]], columns=problem_columns)
        return SubmissionCheck(rel, "exchange", _member_from_path(rel), "", 0, problems)
    # Files in different sub-folders may share a name: label rows with the path in the project.
    if len(table):
        table = table.assign(_file=rel)
    if len(rejected):
        rejected = rejected.assign(file=rel)
    member = ""
    if len(table):
        member = str(table["ref_area"].astype(str).mode().iloc[0])
    else:
        member = _member_from_raw(path) or _member_from_path(rel)
    f = report.frame
    problems = pd.DataFrame(
        {
            "file": rel,
            "row": f["row"].to_numpy(),
            "column": f["column"].astype(str).to_numpy(),
            "value": f["value"].astype(str).to_numpy(),
            "message": f["message"].astype(str).to_numpy(),
        },
        columns=problem_columns,
    )
    return SubmissionCheck(
        rel,
        "exchange",
        member,
        "",
        len(table) + len(rejected),
        problems,
        read=(table, rejected, report),
    )


def _member_from_raw(path: Path) -> str:
    """The most frequent REF_AREA of a file that could not be used (for its feedback)."""
    from migdata.exchange.registry import read_raw

    try:
        raw = read_raw(path)
    except (InputError, OSError, ValueError):
        return ""
    area = next((c for c in ("REF_AREA", "ref_area") if c in raw.frame.columns), None)
    if area is None or not len(raw.frame):
        return ""
    return str(raw.frame[area].mode().iloc[0])


def mirror_from_bundle(table: pd.DataFrame, years: list[int]) -> Any:
    """The mirror table of the bundle's national totals (sex and age ``_T``)."""
    import migdata

    total = table[table["sex"].eq("_T") & table["age"].eq("_T")]
    if years:
        total = total[total["time_period"].astype(int).isin(years)]
    return migdata.MirrorTable.from_harmonised(
        total[total["measure"].eq("IMM")], total[total["measure"].eq("EMI")]
    )


def quality_ranking(quality: Any) -> pd.DataFrame:
    """Accuracy score of each country's immigration statistics (the quality link)."""
    if quality is None:
        return pd.DataFrame({"country": [], "score": []})
    scores = quality.scores
    imm = scores[scores["module"].eq("IMM") & scores["dimension"].eq("accuracy")]
    return imm[["country", "score"]].dropna().reset_index(drop=True)


def accuracy_classes(quality: Any) -> pd.DataFrame:
    """Accuracy class of each country's IMM and EMI statistics from its accuracy score
    (0.75 and over: high, 0.50 and over: medium, below: low; no score: unknown)."""
    columns = ["country", "accuracy_imm", "accuracy_emi"]
    if quality is None:
        return pd.DataFrame(columns=columns)
    scores = quality.scores
    acc = scores[scores["dimension"].eq("accuracy") & scores["module"].isin(["IMM", "EMI"])]
    value = pd.to_numeric(acc["score"], errors="coerce")
    label = pd.Series("unknown", index=acc.index)
    label[value.ge(0.5)] = "medium"
    label[value.ge(0.75)] = "high"
    label[value.lt(0.5)] = "low"
    wide = (
        acc.assign(cls=label)
        .pivot_table(index="country", columns="module", values="cls", aggfunc="first")
        .reindex(columns=["IMM", "EMI"])
        .fillna("unknown")
    )
    return pd.DataFrame(
        {
            "country": wide.index.astype(str),
            "accuracy_imm": wide["IMM"].to_numpy(),
            "accuracy_emi": wide["EMI"].to_numpy(),
        },
        columns=columns,
    )


def fallback_reference(mirror: Any) -> str:
    """The country reporting immigration on the most mirrored pairs (ties: alphabetical)."""
    both = mirror.both_sides()
    if both.empty:
        raise InputError(
            "no corridor is reported by both sides: nothing to reconcile (check that the "
            "members sent both immigration and emigration by partner country)"
        )
    counts = both.groupby("destination").size()
    order = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    return str(order[0][0])


def rows_of(frame: pd.DataFrame) -> int:
    """Number of rows (0 for None)."""
    return 0 if frame is None else len(frame)
