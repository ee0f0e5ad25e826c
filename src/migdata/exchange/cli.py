"""``migdata exchange``: build a validated bundle, validate a member's file, merge submissions.

Thin: each command is one library call and prints its report.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add ``exchange build|validate|merge|structures`` to the ``migdata`` command."""
    parser = subparsers.add_parser("exchange", help="SDMX exchange files: build, validate, merge")
    sub = parser.add_subparsers(dest="exchange_command", metavar="ACTION", required=True)

    build = sub.add_parser("build", help="write the validated bundle of a harmonised table")
    build.add_argument("table", help="harmonised table (CSV or Parquet) or an exchange file")
    build.add_argument(
        "--dataflow", default=None, help="dataflow every row must belong to (e.g. IMM)"
    )
    build.add_argument("--out", default="bundle", help="output folder (default: bundle)")
    build.add_argument("--xlsx", action="store_true", help="also write a human-readable data.xlsx")
    build.add_argument(
        "--sdmx-ml",
        action="store_true",
        help="also write data.xml (SDMX-ML 2.1 structure-specific data)",
    )
    build.add_argument(
        "--decimals",
        type=int,
        default=None,
        help="round estimates to this many decimals for publication (counts stay integers)",
    )
    build.add_argument(
        "--rounding",
        default="standard",
        choices=["standard", "controlled"],
        help="controlled: rounded sex breakdowns add up to the rounded total",
    )
    build.add_argument(
        "--force", action="store_true", help="replace files of an earlier bundle in --out"
    )
    build.set_defaults(func=_build)

    check = sub.add_parser("validate", help="check a file and list every problem")
    check.add_argument("file")
    check.add_argument("--dataflow", default=None)
    check.add_argument(
        "--structure",
        default=None,
        metavar="DSD.xml",
        help="check against this SDMX-ML structure message instead of the COMESA structures",
    )
    check.set_defaults(func=_validate)

    structs = sub.add_parser(
        "structures", help="write the COMESA code lists, DSDs and dataflows as SDMX-ML"
    )
    structs.add_argument(
        "--format",
        default="sdmx-ml-2.1",
        choices=["sdmx-ml-2.1", "sdmx-ml-3.0", "sdmx-json-2.0"],
        help="SDMX-ML version, or SDMX-JSON 2.0 (default: sdmx-ml-2.1)",
    )
    structs.add_argument("--out", default=".", help="output folder (default: .)")
    structs.set_defaults(func=_structures)

    merge = sub.add_parser(
        "merge", help="merge members' files in a folder into the regional bundle"
    )
    merge.add_argument("folder")
    merge.add_argument("--previous", default=None, help="previous bundle, to report revisions")
    merge.add_argument("--out", default=None, help="output folder (default: FOLDER/bundle)")
    merge.set_defaults(func=_merge)


def _build(args: argparse.Namespace) -> int:
    """Validate, then write data.csv, data.parquet and datapackage.json; exit 1 when invalid."""
    from migdata._safe_io import refuse_overwrite
    from migdata.exchange import registry
    from migdata.exchange.validate import validate

    names = ["datapackage.json", "data.csv", "data.parquet"] + (["data.xlsx"] if args.xlsx else [])
    names += ["data.xml"] if args.sdmx_ml else []
    for name in names:  # before any work: an earlier bundle is never replaced silently
        refuse_overwrite(Path(args.out) / name, args.force, hint="--force")
    report = validate(args.table, dataflow=args.dataflow)
    if not report.ok:
        print(report)
        print("migdata: refused to build the bundle: the table is invalid", file=sys.stderr)
        return 1
    result = registry.read(args.table)
    for note in result.notes:
        print(f"note: {note}")
    out = Path(args.out)
    rounding = {"decimals": args.decimals, "rounding": args.rounding}
    target = registry.write(
        result.table, out, format="datapackage", dataflow=args.dataflow, **rounding
    )
    if args.xlsx:
        registry.write(result.table, out / "data.xlsx", dataflow=args.dataflow, **rounding)
    if args.sdmx_ml:
        registry.write(
            result.table, out / "data.xml", format="sdmx-ml", dataflow=args.dataflow, **rounding
        )
    print(f"bundle written: {target} ({len(result.table):,} observations)")
    return 0


def _validate(args: argparse.Namespace) -> int:
    """Print the validation report; exit status 1 when the file is invalid."""
    from migdata.exchange.validate import validate

    report = validate(args.file, dataflow=args.dataflow, structure=args.structure)
    for note in report.notes:
        print(f"note: {note}")
    print(report)
    return 0 if report.ok else 1


def _structures(args: argparse.Namespace) -> int:
    """Write the SDMX-ML structure message (validated against the official XSD)."""
    from migdata.exchange import _sdmx_structures

    target = _sdmx_structures.write(Path(args.out), args.format)
    print(f"structures written: {target}")
    return 0


def _merge(args: argparse.Namespace) -> int:
    """Merge a folder of submissions and write the bundle with its reports."""
    from migdata.exchange.merge import merge_submissions

    folder = Path(args.folder)
    bundle = merge_submissions(folder, previous=args.previous)
    out = Path(args.out) if args.out else folder / "bundle"
    bundle.write(out)
    print(f"{len(bundle.table):,} observations from {len(bundle.reports)} file(s) -> {out}")
    for name, report in bundle.reports.items():
        print(f"  {name}: {'valid' if report.ok else f'{len(report):,} problem(s)'}")
    for note in bundle.notes:
        print(f"note: {note}")
    print(
        f"{len(bundle.conflicts):,} conflicting row(s), {len(bundle.revisions):,} revision(s), "
        f"{len(bundle.rejected):,} rejected row(s); see {out}"
    )
    return 0 if len(bundle.table) else 1
