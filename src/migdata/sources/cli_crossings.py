"""``migdata crossings classify``: the 12/16 rule over a Parquet dataset, on Dask.

Thin: connects to a Dask scheduler (or starts a local cluster), runs
:func:`migdata.classify_crossings` with ``write=OUTPUT`` and prints the summary.
"""

from __future__ import annotations

import argparse
from typing import Any

__all__ = ["register", "run_classify"]


def register(sub: Any) -> Any:
    """Add the ``crossings`` command with its ``classify`` sub-command."""
    crossings = sub.add_parser("crossings", help="border crossings by the 12/16 rule (Dask)")
    actions = crossings.add_subparsers(dest="crossings_command", metavar="ACTION")
    p = actions.add_parser(
        "classify",
        help="classify the crossings of a Parquet dataset into a Parquet dataset",
        description=(
            "Read linked border movements (person_id, time, direction, optional seq) from a "
            "Parquet file or dataset folder, classify them by the outcome-based rule on Dask "
            "and write OUTPUT/classified and OUTPUT/rejected as Parquet datasets. Needs "
            'pip install "migdata[dask]".'
        ),
    )
    p.add_argument("input", metavar="INPUT", help="Parquet file or dataset folder")
    p.add_argument("output", metavar="OUTPUT", help="folder to write the result to")
    p.add_argument(
        "--scheduler",
        metavar="ADDRESS",
        help="address of a running Dask scheduler, e.g. tcp://10.0.0.5:8786 "
        "(default: a local cluster)",
    )
    p.add_argument("--workers", type=int, metavar="N", help="worker processes of the local cluster")
    p.add_argument("--timeout", type=float, default=10.0, help="seconds to reach the scheduler")
    p.add_argument("--data-start", metavar="DATE", help="first day covered by the data")
    p.add_argument("--obs-end", metavar="DATE", help="first day not covered by the data")
    p.add_argument("--threshold-days", type=int, default=365, help="V (default: 365)")
    p.add_argument("--window-days", type=int, default=487, help="W (default: 487)")
    p.add_argument("--partitions", type=int, metavar="N", help="partitions of the shuffle")
    p.set_defaults(func=run_classify)
    crossings.set_defaults(func=lambda args: _help(crossings))
    return crossings


def _help(parser: argparse.ArgumentParser) -> int:
    parser.print_help()
    return 2


def run_classify(args: argparse.Namespace) -> int:
    """Run ``migdata crossings classify``; returns 0."""
    from pathlib import Path

    from migdata.errors import InputError
    from migdata.sources import _crossings_dask
    from migdata.sources.crossings import classify_crossings

    if not Path(args.input).exists():
        raise InputError("expected a Parquet file or dataset folder, no such path", file=args.input)
    with _crossings_dask.client(args.scheduler, workers=args.workers, timeout=args.timeout):
        result = classify_crossings(
            args.input,
            write=args.output,
            data_start=args.data_start,
            obs_end=args.obs_end,
            threshold_days=args.threshold_days,
            window_days=args.window_days,
            partitions=args.partitions,
        )
        print(result.summary().to_string(index=False))
        print(f"written to {Path(args.output) / 'classified'} and {Path(args.output) / 'rejected'}")
    return 0
