"""``migdata demo``: the whole flow on data bundled with the package."""

from __future__ import annotations

import argparse
from typing import Any


def register(sub: Any) -> None:
    """Add the ``demo`` sub-command."""
    p = sub.add_parser("demo", help="run the whole flow on bundled (synthetic) data")
    p.add_argument("--out", default="migdata-demo", help="output folder (default: %(default)s)")
    p.set_defaults(func=_run)


def _run(args: argparse.Namespace) -> int:
    from migdata.demo.run import run_demo

    run_demo(args.out)
    return 0
