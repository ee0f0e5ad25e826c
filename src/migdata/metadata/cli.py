"""``migdata metadata``: the documents an office owes, from returned questionnaires.

Thin: every action is :func:`migdata.metadata.documents.write_documents`.
"""

from __future__ import annotations

import argparse
from typing import Any

__all__ = ["register"]

_HELP = {
    "inventory": "inventory of data sources, availability matrix and who produces what",
    "sims": "SIMS 2.0 reference metadata (HTML, ESMS/ESQRS selections, SDMX-ML 2.1)",
    "glossary": "glossary of harmonised migration definitions (HTML, Excel)",
    "catalogue": "catalogue of migration indicators (which ones the sources can produce)",
}


def register(sub: Any) -> None:
    """Add the ``metadata`` command and its four actions."""
    metadata = sub.add_parser(
        "metadata", help="documents from returned questionnaires (inventory, SIMS, ...)"
    )
    actions = metadata.add_subparsers(dest="metadata_command", metavar="DOCUMENT")
    for name, text in _HELP.items():
        p = actions.add_parser(name, help=text, description=text)
        p.add_argument(
            "answers",
            nargs="*" if name in ("glossary", "catalogue") else "+",
            metavar="ANSWERS",
            help="returned workbooks (.xlsx), KoboToolbox/ODK CSV exports or folders",
        )
        p.add_argument(
            "--lang",
            default="en",
            choices=["en", "fr", "pt", "ar"],
            help="language of the document (default: %(default)s)",
        )
        p.add_argument("--out", metavar="DIR", default=".", help="folder to write into")
        p.add_argument("--force", action="store_true", help="replace existing files")
        p.set_defaults(func=_run, document=name)
    metadata.set_defaults(func=lambda args: _help(metadata))


def _help(parser: argparse.ArgumentParser) -> int:
    parser.print_help()
    return 2


def _run(args: argparse.Namespace) -> int:
    from migdata.metadata.documents import write_documents

    files = write_documents(
        args.answers or None,
        args.out,
        documents=[args.document],
        lang=args.lang,
        force=args.force,
    )
    for path in files:
        print(path)
    return 0
