"""``migdata init`` and ``migdata run``: thin calls of :func:`migdata.init_project` and
:meth:`migdata.Project.run`."""

from __future__ import annotations

import argparse
from typing import Any


def register(sub: Any) -> None:
    """Add the ``init`` and ``run`` sub-commands."""
    p = sub.add_parser("init", help="create a project folder with a commented migdata.toml")
    p.add_argument("directory", help="project folder (created when missing)")
    p.add_argument(
        "--role",
        required=True,
        choices=("office", "secretariat"),
        help="a national office or a regional secretariat",
    )
    p.add_argument("--country", default=None, help="ISO alpha-3 code (required for an office)")
    p.add_argument(
        "--lang",
        default="en",
        choices=("en", "fr", "pt", "ar"),
        help="language of the comments and the questionnaire (default: %(default)s)",
    )
    p.add_argument("--force", action="store_true", help="overwrite an existing migdata.toml")
    p.set_defaults(func=_init)
    r = sub.add_parser("run", help="run the project in a folder (writes DIR/output/)")
    r.add_argument("directory", help="project folder holding migdata.toml")
    r.add_argument(
        "--force", action="store_true", help="rerun every step even when its inputs did not change"
    )
    r.set_defaults(func=_run)


def _init(args: argparse.Namespace) -> int:
    from migdata.project import init_project

    project = init_project(
        args.directory, role=args.role, country=args.country, lang=args.lang, force=args.force
    )
    article = "an" if project.role == "office" else "a"
    print(
        f"Created {article} {project.role} project in {project.root}: edit "
        f"{project.config_path.name}, then run: migdata run {project.root}"
    )
    return 0


def _run(args: argparse.Namespace) -> int:
    from migdata.project import Project

    result = Project.load(args.directory).run(force=args.force)
    return 1 if any(s.status == "failed" for s in result.steps) else 0
