"""``migdata demo``: the bundled example projects, run like ``migdata run``."""

from __future__ import annotations

import argparse
from typing import Any


def register(sub: Any) -> None:
    """Add the ``demo`` sub-command."""
    p = sub.add_parser("demo", help="run the bundled example projects (synthetic data)")
    p.add_argument(
        "--out",
        default="migdata-demo",
        help="output folder (default: %(default)s); an earlier demo folder is rerun in place",
    )
    p.add_argument(
        "--force", action="store_true", help="delete an earlier demo folder and start again"
    )
    p.set_defaults(func=_run)


def _run(args: argparse.Namespace) -> int:
    from migdata.demo.run import run_demo

    run_demo(args.out, force=args.force)
    return 0
