"""``migdata quality score``: score filled questionnaire workbooks into quality profiles.

Thin: reads the files with :func:`migdata.quality.score_folder`, prints the comparison
table and, with ``--out``, writes the tables, the heatmap and the report pages.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

import pandas as pd

__all__ = ["register", "run_score"]


def register(sub: Any) -> None:
    """Add the ``quality`` command with its ``score`` sub-command."""
    quality = sub.add_parser("quality", help="score questionnaire answers (ESS quality profile)")
    actions = quality.add_subparsers(dest="quality_command", metavar="ACTION")
    p = actions.add_parser(
        "score",
        help="score filled questionnaire workbooks or KoboToolbox/ODK CSV exports",
        description=(
            "Read every file (or every .xlsx/.csv in a folder), score it against the ESS "
            "quality criteria and print the comparison table. Files that cannot be read are "
            "listed; the exit status is 1 when any file failed."
        ),
    )
    add_score_arguments(p)
    quality.set_defaults(func=lambda args: _help(quality))


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
    """Run ``migdata quality score``; returns 0, or 1 when a file could not be read."""
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
    table = profile.to_frame()
    grades = [c for c in table.columns if c.endswith("_grade")]
    shown = table[["country", "module", *grades, "information_coverage", "ac3"]].rename(
        columns={c: c.removesuffix("_grade") for c in grades}
    )
    with pd.option_context("display.width", 160, "display.max_columns", 20):
        print(shown.to_string(index=False, na_rep="-", float_format=lambda v: f"{v:.0%}"))
    for row in failed.itertuples(index=False):
        print(f"{row.status}: {row.file}: {row.message}")
    if len(profile.problems):
        print(f"{len(profile.problems)} problem(s) in the answers; see problems.csv with --out")
    if args.out:
        written = write_reports(profile, args.out, language=args.lang)
        print(f"wrote {len(written)} files to {args.out}")
    return 1 if (failed["status"] == "failed").any() else 0
