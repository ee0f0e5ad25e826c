"""Frictionless Data Package (``datapackage.json``) describing an exchange bundle.

The Table Schema lists every SDMX column with its type, code lists as ``constraints.enum``,
patterns for open lists, and the dimensions as ``primaryKey``; resources are the SDMX-CSV
2.0.0 file and its Parquet copy, written beside it.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd

from migdata._safe_io import atomic_write, confined
from migdata.errors import InputError
from migdata.exchange import _frame, _parquet, _sdmx_csv, structures

CSV_NAME = "data.csv"
PARQUET_NAME = "data.parquet"
PROFILE = "tabular-data-package"


def schema(frame: pd.DataFrame) -> dict[str, Any]:
    """Table Schema of an SDMX-CSV 2.0.0 file holding the dataflows present in ``frame``."""
    refs = sorted(pd.unique(frame["STRUCTURE_ID"].astype("str"))) if len(frame) else []
    flows = [structures.dataflow(r) for r in refs]
    dims = _frame.dimension_ids(flows)
    # A dimension that only some dataflows have (REASON) is empty for the others.
    everywhere = {d.id for d in flows[0].structure.dimensions} if flows else set()
    for f in flows[1:]:
        everywhere &= {d.id for d in f.structure.dimensions}
    fields: list[dict[str, Any]] = [
        {
            "name": "STRUCTURE",
            "type": "string",
            "constraints": {"required": True, "enum": ["dataflow"]},
        },
        {"name": "STRUCTURE_ID", "type": "string", "constraints": {"required": True, "enum": refs}},
        {
            "name": "ACTION",
            "type": "string",
            "constraints": {"required": True, "enum": ["A", "I", "R"]},
        },
    ]
    for col in frame.columns[1:]:
        comp = None
        for f in flows:
            try:
                comp = f.structure.component(col)
                break
            except KeyError:
                continue
        field: dict[str, Any] = {"name": col}
        constraints: dict[str, Any] = {}
        if col in _frame.NUMBER_COLUMNS:
            field["type"] = "number"
        else:
            field["type"] = "string"
        if comp is not None and comp.codelist is not None:
            field["description"] = (
                f"{comp.role}; code list {comp.codelist.ref}: {comp.codelist.name}"
            )
            if comp.codelist.pattern is not None:
                constraints["pattern"] = comp.codelist.pattern.removeprefix("^").removesuffix("$")
            else:
                codes = list(comp.codelist.codes)
                if col == "COUNTERPART_TYPE":
                    codes = sorted({t for f in flows for t in f.counterpart_types})
                constraints["enum"] = codes
        elif comp is not None:
            field["description"] = comp.role
        if col in dims and col in everywhere:
            constraints["required"] = True
        if constraints:
            field["constraints"] = constraints
        fields.append(field)
    return {
        "fields": fields,
        "primaryKey": ["STRUCTURE_ID", *dims],
        "missingValues": [""],
    }


def describe(frame: pd.DataFrame, name: str = "comesa-migration") -> dict[str, Any]:
    """The ``datapackage.json`` content for a bundle holding ``frame``."""
    table_schema = schema(frame)
    refs = table_schema["fields"][1]["constraints"]["enum"]
    codelists: dict[str, str] = {}
    for ref in refs:
        codelists.update(structures.dataflow(ref).codelist_versions())
    return {
        "profile": PROFILE,
        "name": name,
        "title": "COMESA harmonised migration statistics",
        "sdmx": {"structure_ids": refs, "codelists": dict(sorted(codelists.items()))},
        "resources": [
            {
                "name": "data",
                "path": CSV_NAME,
                "profile": "tabular-data-resource",
                "format": "csv",
                "mediatype": "application/vnd.sdmx.data+csv;version=2.0.0",
                "encoding": "utf-8",
                "dialect": {"delimiter": ",", "header": True},
                "schema": table_schema,
            },
            {
                "name": "data-parquet",
                "path": PARQUET_NAME,
                # A tabular resource with its schema: the tabular-data-package profile
                # requires every resource to be one (frictionless validate checks it).
                "profile": "tabular-data-resource",
                "format": "parquet",
                "mediatype": "application/vnd.apache.parquet",
                "description": "The same observations without STRUCTURE and ACTION columns.",
                "schema": {
                    **table_schema,
                    "fields": [
                        f
                        for f in table_schema["fields"]
                        if f["name"] not in ("STRUCTURE", "ACTION")
                    ],
                },
            },
        ],
    }


def render(frame: pd.DataFrame) -> bytes:
    """``datapackage.json`` bytes (sorted keys are not used: the order is meaningful)."""
    return (json.dumps(describe(frame), indent=2, ensure_ascii=False) + "\n").encode("utf-8")


def write(table: pd.DataFrame, path: Path | str, *, dataflow: Any = None) -> Path:
    """Write ``datapackage.json`` with ``data.csv`` (SDMX-CSV 2.0.0) and ``data.parquet``.

    ``path`` is the ``datapackage.json`` file or the folder that receives the three files.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> t = pd.DataFrame({"measure": ["IMM"], "ref_area": ["KEN"], "counterpart_area": ["UGA"],
    ...     "counterpart_type": ["CITIZENSHIP"], "sex": ["_T"], "age": ["_T"],
    ...     "time_period": ["2020"], "obs_value": [3.0]})
    >>> p = write(t, tempfile.mkdtemp())
    >>> sorted(x.name for x in p.parent.iterdir())
    ['data.csv', 'data.parquet', 'datapackage.json']
    >>> json.loads(p.read_text())["resources"][0]["schema"]["primaryKey"][:3]
    ['STRUCTURE_ID', 'FREQ', 'REF_AREA']
    """
    path = Path(path)
    folder = path if path.suffix.lower() != ".json" else path.parent
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / "datapackage.json" if folder == path else path
    frame = _frame.to_sdmx(table, dataflow, file=str(target))
    atomic_write(folder / CSV_NAME, _sdmx_csv.render(frame))
    import pyarrow.parquet as pq

    atomic_write(
        folder / PARQUET_NAME,
        lambda tmp: pq.write_table(
            _parquet.to_arrow(frame), tmp, compression="zstd", use_dictionary=True
        ),
    )
    atomic_write(target, render(frame))
    return target


def read_raw(path: Path | str) -> _frame.RawFrame:
    """Read the data resource (SDMX-CSV, else Parquet) of a ``datapackage.json``."""
    path = Path(path)
    if path.is_dir():
        path = path / "datapackage.json"
    try:
        package = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as err:
        raise InputError(f"unreadable datapackage.json: {err}", file=str(path)) from None
    resources = package.get("resources") if isinstance(package, dict) else None
    if not isinstance(resources, list) or not all(isinstance(r, dict) for r in resources):
        raise InputError(
            "'resources' must be a list of objects with 'path' and 'format' "
            f"(got {type(resources).__name__})",
            file=str(path),
        )
    for res in resources:
        target = confined(path.parent, res.get("path", ""), file=path)
        if res.get("format") == "csv" and target.is_file():
            raw = _sdmx_csv.read_raw(target)
            break
        if res.get("format") == "parquet" and target.is_file():
            raw = _parquet.read_raw(target)
            break
    else:
        raise InputError(
            "the data package lists no readable csv or parquet resource "
            f"(resources: {[r.get('path') for r in resources]})",
            file=str(path),
        )
    raw.format = "datapackage"
    return raw


def read(path: Path | str) -> _frame.ReadResult:
    """Read the harmonised table from a data package.

    Examples
    --------
    >>> import tempfile
    >>> t = pd.DataFrame({"measure": ["IMM"], "ref_area": ["KEN"], "counterpart_area": ["UGA"],
    ...     "counterpart_type": ["CITIZENSHIP"], "sex": ["_T"], "age": ["_T"],
    ...     "time_period": ["2020"], "obs_value": [3.0]})
    >>> read(write(t, tempfile.mkdtemp())).table["ref_area"].tolist()
    ['KEN']
    """
    raw = read_raw(path)
    return _frame.ReadResult(_frame.from_sdmx(raw), raw.notes, raw.rejected, raw.format)
