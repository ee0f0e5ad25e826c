"""``migdata questionnaire template|xlsform``: write the workbook or the XLSForm."""

from __future__ import annotations

import argparse
from typing import Any


def register(sub: Any) -> Any:
    """Add the ``questionnaire`` sub-command with ``template`` and ``xlsform``.

    Returns the sub-parsers object of its actions, so that ``migdata.cli`` can add
    ``score`` (which lives in ``migdata.quality``).
    """
    p = sub.add_parser("questionnaire", help="metadata questionnaire: template, XLSForm")
    actions = p.add_subparsers(dest="action", metavar="ACTION")
    p.set_defaults(func=lambda a: (p.print_help(), 2)[1])
    t = actions.add_parser("template", help="write the Excel workbook an office fills in")
    t.add_argument("--lang", default="en", choices=["en", "fr", "pt", "ar"])
    t.add_argument("--country", required=True, help="ISO code or name, e.g. RWA")
    t.add_argument(
        "--out", default=None, help="output .xlsx (default: questionnaire_<C>_<lang>.xlsx)"
    )
    t.add_argument(
        "--group",
        default=None,
        help="the group the questionnaire is for (e.g. COMESA): a country outside it is a warning",
    )
    t.add_argument(
        "--sources",
        nargs="*",
        default=None,
        help="sources to describe, as source types or type:name "
        "(e.g. census 'population_register:NPR')",
    )
    t.add_argument(
        "--contact",
        default=None,
        help="who answers questions at the Secretariat (name, e-mail, telephone), "
        "printed in the instructions; omitted when not given",
    )
    t.add_argument(
        "--force", action="store_true", help="replace an existing workbook (default: refuse)"
    )
    t.set_defaults(func=_template)
    x = actions.add_parser("xlsform", help="write the XLSForm for ODK / KoboToolbox")
    x.add_argument("--lang", default="en", choices=["en", "fr", "pt", "ar"])
    x.add_argument("--out", default="questionnaire_xlsform.xlsx")
    x.set_defaults(func=_xlsform)
    return actions


def _template(args: argparse.Namespace) -> int:
    from migdata.questionnaire.template import resolve_country, write_template

    code = resolve_country(args.country)
    if args.group:
        import sys

        from migdata.countries import outside_group

        for warning in outside_group(code, args.group):
            print(f"warning: {warning}; the questionnaire is written anyway", file=sys.stderr)
    out = args.out or f"questionnaire_{code}_{args.lang}.xlsx"
    path = write_template(
        out,
        lang=args.lang,
        country=code,
        sources=args.sources,
        overwrite=args.force,
        contact=args.contact,
    )
    print(f"wrote {path}")
    return 0


def _xlsform(args: argparse.Namespace) -> int:
    from migdata.questionnaire.xlsform import to_xlsform

    path = to_xlsform(args.out, lang=args.lang)
    print(f"wrote {path}")
    return 0
