"""The ``migdata`` command. Thin: every command is a library call.

Sub-commands live beside the code they call (``migdata.<area>.cli.register``) and are
collected here.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from migdata import __version__
from migdata.errors import MigdataError

# Modules that add sub-commands: each has ``register(subparsers)``.
_COMMAND_MODULES = (
    "migdata.demo.cli",
    "migdata.questionnaire.cli",
    "migdata.quality.cli",
    "migdata.exchange.cli",
    "migdata.metadata.cli",
    "migdata.project.cli",
    "migdata.sources.cli_crossings",
    "migdata.portal.cli",
)


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the ``migdata`` command."""
    parser = argparse.ArgumentParser(
        prog="migdata",
        description="Make national migration statistics comparable.",
    )
    parser.add_argument("--version", action="version", version=f"migdata {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    registered = {name: importlib.import_module(name).register(sub) for name in _COMMAND_MODULES}
    # The one scoring command is `migdata questionnaire score`; `migdata quality score` is
    # its alias (migdata.quality.cli).
    from migdata.quality.cli import SCORE_DESCRIPTION, add_score_arguments

    add_score_arguments(
        registered["migdata.questionnaire.cli"].add_parser(
            "score",
            help="score returned workbooks (ESS quality profile)",
            description=SCORE_DESCRIPTION[0].upper() + SCORE_DESCRIPTION[1:],
        )
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``migdata`` command; returns the exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        status = args.func(args)
    except MigdataError as err:
        print(f"migdata: error: {err}", file=sys.stderr)
        return 2
    except OSError as err:  # a file that cannot be opened, read or written
        where = f" '{err.filename}'" if getattr(err, "filename", None) else ""
        print(f"migdata: error:{where} {err.strerror or err}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("migdata: interrupted", file=sys.stderr)
        return 130
    except (AssertionError, RecursionError, MemoryError):
        raise  # a bug of migdata or an exhausted machine: the traceback is the report
    except Exception as err:  # what a command read or wrote itself, outside the library
        from migdata._checks import translate

        print(f"migdata: error: {translate(err)}", file=sys.stderr)
        return 2
    return int(status or 0)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
