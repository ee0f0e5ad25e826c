"""Scoring returned questionnaires: ``migdata questionnaire score`` (and its alias
``migdata quality score``) into quality profiles.

Thin: reads the files with :func:`migdata.quality.score_folder`, prints the comparison
table and, with ``--out``, writes the tables, the heatmap and the report pages.
"""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pandas is imported by the command, not by `migdata --help`
    import pandas as pd

__all__ = ["register", "run_score"]


def register(sub: Any) -> None:
    """Add the ``quality`` command with its ``score`` sub-command.

    ``migdata quality score`` is an alias of ``migdata questionnaire score``, the one scoring
    command: same arguments, same output.
    """
    quality = sub.add_parser(
        "quality", help="alias: 'quality score' is 'migdata questionnaire score'"
    )
    actions = quality.add_subparsers(dest="quality_command", metavar="ACTION")
    p = actions.add_parser(
        "score",
        help="same as 'migdata questionnaire score' (an alias kept for scripts)",
        description=(
            "An alias of 'migdata questionnaire score', which does the same: " + SCORE_DESCRIPTION
        ),
    )
    add_score_arguments(p)
    quality.set_defaults(func=lambda args: _help(quality))


SCORE_DESCRIPTION = (
    "read every file (or every .xlsx/.csv in a folder), score it against the ESS "
    "quality criteria and print the comparison table: a grade A (best) to D per quality "
    "dimension, I where too little was answered to grade it, '-' where it does not apply. "
    "Files that cannot be read are listed; the exit status is 1 when any file failed."
)

# Column headings of the printed table.
_LABELS = {
    "country": "Country",
    "module": "Module",
    "information_coverage": "Information coverage",
    "ac3": "Metadata completeness (AC3)",
}
_LEGEND = (
    "Grades: A (best) to D; I: insufficient information (too little of the dimension "
    "answered, see --min-coverage); '-': the dimension does not apply to the module. "
    "Module ALL: all modules of the country together.\n"
    "Information coverage: answered share of the weight of the applicable scored questions.\n"
    "Metadata completeness (AC3): ESS quality indicator AC3, answered share of the "
    "applicable questions ('don't know' counts as not answered)."
)


def score_table(table: pd.DataFrame) -> str:
    """The comparison table as printed: labelled columns, '-' where nothing is graded.

    Examples
    --------
    >>> import pandas as pd
    >>> t = pd.DataFrame({"country": ["KEN"], "module": ["IMM"],
    ...                   "relevance_grade": pd.array([None], dtype="string"),
    ...                   "information_coverage": [0.5], "ac3": [float("nan")]})
    >>> print(score_table(t))
    Country Module Relevance Information coverage Metadata completeness (AC3)
        KEN    IMM         -                  50%                           -
    """
    import pandas as pd

    from migdata.quality.dimensions import dimension_table

    grades = [c for c in table.columns if c.endswith("_grade")]
    dims = dimension_table()
    names = dict(zip(dims["key"], dims["label_en"], strict=True))
    shown = table[["country", "module", *grades, "information_coverage", "ac3"]].copy()
    for col in ("information_coverage", "ac3"):
        values = pd.to_numeric(shown[col], errors="coerce").astype("float64")
        shown[col] = values.map(lambda v: "-" if pd.isna(v) else f"{v:.0%}")
    shown = shown.astype(object).where(shown.notna(), "-")
    shown = shown.rename(
        columns={**_LABELS, **{c: names.get(c.removesuffix("_grade"), c) for c in grades}}
    )
    return str(shown.to_string(index=False))


def add_score_arguments(p: argparse.ArgumentParser) -> None:
    """Arguments of the score command (shared with ``migdata questionnaire score``)."""
    p.add_argument("files", nargs="+", metavar="FILE", help="answer files or folders")
    p.add_argument("--out", metavar="DIR", help="write tables, heatmap and report pages here")
    p.add_argument(
        "--lang", default="en", choices=["en", "fr", "pt", "ar"], help="labels of the reports"
    )
    p.add_argument(
        "--min-coverage",
        type=float,
        default=0.5,
        help="share of applicable weight needed for a grade (default: %(default)s)",
    )
    p.set_defaults(func=run_score)


def _help(parser: argparse.ArgumentParser) -> int:
    parser.print_help()
    return 2


def run_score(args: argparse.Namespace) -> int:
    """Run ``migdata questionnaire score``; returns 0, or 1 when a file could not be read."""
    from pathlib import Path

    from migdata.quality.report import write_reports
    from migdata.quality.score import _answer_files, score_folder

    paths: list[Path] = []
    for item in args.files:
        paths.extend(_answer_files(item))
    profile = score_folder(paths, min_coverage=args.min_coverage)
    failed = profile.files[profile.files["status"] != "scored"]
    if profile.scores.empty:
        for row in failed.itertuples(index=False):
            print(f"{row.status}: {row.file}: {row.message}")
        print("migdata: error: no answer file could be scored", file=sys.stderr)
        return 1
    print(score_table(profile.to_frame()))
    print()
    print(_LEGEND)
    for row in failed.itertuples(index=False):
        print(f"{row.status}: {row.file}: {row.message}")
    if len(profile.problems):
        print(f"{len(profile.problems)} problem(s) in the answers; see problems.csv with --out")
    if args.out:
        written = write_reports(profile, args.out, language=args.lang)
        print(f"wrote {len(written)} files to {args.out}")
    return 1 if (failed["status"] == "failed").any() else 0
