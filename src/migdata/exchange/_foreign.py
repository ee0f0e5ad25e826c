"""Validation of a data file against any SDMX-ML structure message (Eurostat's, UNSD's, ours).

The structure file is read with pysdmx (after the entity checks of :mod:`_xml_safety`); the
data file is read as it is, without mapping to the COMESA structures: SDMX-ML structure-specific
data or SDMX-CSV (1.0 or 2.0, any case of ids). Checks: every dimension present and filled,
no column outside the structure, codes in the code lists, mandatory attributes filled,
numeric measures, one observation per key, and the content constraints of the dataflow.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from migdata.errors import InputError
from migdata.exchange import _sdmx_structures, _text, _xml_safety

_REF = re.compile(r"(?:=)?(?P<agency>[^:=]+):(?P<id>[^(]+)\((?P<version>[^)]*)\)$")


@dataclass
class ForeignComponent:
    """A component of a foreign DSD: id, role, required, codes (None when not coded)."""

    id: str
    role: str
    required: bool
    codes: frozenset[str] | None
    numeric: bool = False


@dataclass
class ForeignStructure:
    """A data structure (through a dataflow when one is given) read from an SDMX-ML file."""

    ref: str
    components: list[ForeignComponent]
    allowed: dict[str, frozenset[str]] = field(default_factory=dict)

    @property
    def dimensions(self) -> list[ForeignComponent]:
        """Dimensions in key order."""
        return [c for c in self.components if c.role == "dimension"]


def _split(ref: str) -> tuple[str, str, str] | None:
    m = _REF.search(ref.strip())
    return (m["agency"], m["id"], m["version"]) if m else None


@cache
def _load_cached(path: str, mtime: float) -> tuple[dict[str, ForeignStructure], list[str]]:
    return _load(Path(path))


def load(path: Path | str) -> dict[str, ForeignStructure]:
    """Data structures and dataflows of an SDMX-ML structure message, by ``AGENCY:ID(VER)``."""
    p = Path(path)
    if not p.is_file():
        raise InputError("no such structure file", file=str(p))
    return _load_cached(str(p.resolve()), p.stat().st_mtime)[0]


def _load(path: Path) -> tuple[dict[str, ForeignStructure], list[str]]:
    _sdmx_structures.require_pysdmx()
    file = str(path)
    data = path.read_bytes()
    doc = _xml_safety.parse(data, file)  # refuses DTDs/entities, names the line of bad XML
    root = doc.getroot()
    ns = _xml_safety.lxml_etree().QName(root).namespace or ""
    name = _xml_safety.lxml_etree().QName(root).localname
    if "sdmx.org/resources/sdmxml/schemas" not in ns or name != "Structure":
        raise InputError(
            f"root element <{name}> (namespace {ns or '(none)'!r}) is not an SDMX-ML structure "
            "message; expected <message:Structure> of SDMX-ML 2.1 or 3.0",
            file=file,
            row=root.sourceline,
            column=name,
        )
    from pysdmx.errors import PysdmxError
    from pysdmx.io import read_sdmx

    try:
        message = read_sdmx(data.decode("utf-8"), validate=True)
    except (PysdmxError, ValueError, KeyError, TypeError) as err:
        raise InputError(
            f"the SDMX-ML structure message cannot be read: {str(err)[:300]}", file=file
        ) from None
    objects: list[Any] = list(message.structures or [])
    dsds: dict[str, Any] = {}
    for obj in objects:
        if type(obj).__name__ == "DataStructureDefinition":
            dsds[f"{obj.agency}:{obj.id}({obj.version})"] = obj
    if not dsds:
        raise InputError(
            "the structure message holds no DataStructure (DSD); expected at least one",
            file=file,
            column="DataStructures",
        )
    out: dict[str, ForeignStructure] = {}
    for ref, dsd in dsds.items():
        out[ref] = _structure(ref, dsd)
    for obj in objects:
        if type(obj).__name__ == "Dataflow":
            target = obj.structure if isinstance(obj.structure, str) else obj.structure.short_urn
            parts = _split(str(target))
            key = f"{parts[0]}:{parts[1]}({parts[2]})" if parts else ""
            if key in out:
                flow_ref = f"{obj.agency}:{obj.id}({obj.version})"
                out[flow_ref] = ForeignStructure(flow_ref, out[key].components, {})
    for obj in objects:
        if type(obj).__name__ != "DataConstraint" or obj.constraint_attachment is None:
            continue
        for target in obj.constraint_attachment.dataflows or ():
            parts = _split(str(target))
            key = f"{parts[0]}:{parts[1]}({parts[2]})" if parts else ""
            if key not in out:
                continue
            for region in obj.cube_regions:
                if not region.is_included:
                    continue
                for kv in region.key_values:
                    values = frozenset(v.value for v in kv.values)
                    out[key].allowed[kv.id] = values
    return out, []


def _structure(ref: str, dsd: Any) -> ForeignStructure:
    comps = []
    for comp in dsd.components:
        role = str(getattr(comp.role, "name", comp.role)).lower()
        enum = comp.enumeration
        codes = frozenset(c.id for c in enum) if enum is not None else None
        dtype = str(getattr(comp, "dtype", "") or "")
        numeric = role == "measure" and any(
            t in dtype for t in ("Double", "Float", "Decimal", "Integer", "Long", "Short", "Count")
        )
        comps.append(ForeignComponent(comp.id, role, bool(comp.required), codes, numeric))
    return ForeignStructure(ref, comps)


def read_frame(path: Path | str) -> tuple[pd.DataFrame, np.ndarray, list[str]]:
    """A data file's columns as text, untouched (SDMX-ML or SDMX-CSV), with line numbers."""
    from migdata.exchange import _sdmx_ml

    p = Path(path)
    with p.open("rb") as fh:
        head = fh.read(4096)
    if _sdmx_ml.is_sdmx_ml(head):
        raw = _sdmx_ml.read_raw(p)
        return raw.frame, raw.lines, raw.notes
    notes: list[str] = []
    frame, lines = _text.read_table(p, ("STRUCTURE", "STRUCTURE_ID", "DATAFLOW"), notes)
    if "DATAFLOW" in frame.columns and "STRUCTURE_ID" not in frame.columns:
        frame = frame.rename(columns={"DATAFLOW": "STRUCTURE_ID"})
    if "STRUCTURE_ID" not in frame.columns:
        raise InputError(
            "not an SDMX data file: expected SDMX-ML or SDMX-CSV with a STRUCTURE_ID or "
            f"DATAFLOW column, got {', '.join(map(str, frame.columns[:4]))}",
            file=str(p),
            row=1,
        )
    drop = [c for c in ("STRUCTURE", "ACTION", "LAST UPDATE") if c in frame.columns]
    frame = frame.drop(columns=drop).replace("", np.nan)
    return frame, lines, notes


def problems(
    frame: pd.DataFrame, lines: np.ndarray, found: dict[str, ForeignStructure], file: str
) -> list[tuple[Any, Any, Any, str, str]]:
    """Every problem as ``(row, column, value, rule, message)`` tuples (few per rule)."""
    out: list[tuple[Any, Any, Any, str, str]] = []
    sid = frame["STRUCTURE_ID"].astype("str")
    by_id: dict[str, ForeignStructure] = {}
    for key, known in found.items():
        key_parts = _split(key)
        if key_parts:
            by_id.setdefault(key_parts[1], known)
    for ref in pd.unique(sid):
        rows = (sid == ref).to_numpy()
        parts = _split(str(ref))
        st: ForeignStructure | None = (
            found.get(f"{parts[0]}:{parts[1]}({parts[2]})") if parts else None
        )
        if st is None and parts:
            st = by_id.get(parts[1])
        if st is None:
            pos = int(np.flatnonzero(rows)[0])
            out.append(
                (int(lines[pos]), "STRUCTURE_ID", ref, "structure",
                 f"{ref} is not a dataflow or data structure of the structure file "
                 f"(it has {', '.join(found)})")
            )  # fmt: skip
            continue
        out += _check(frame.loc[rows], lines[rows], st)
    return out


def _check(
    frame: pd.DataFrame, lines: np.ndarray, st: ForeignStructure
) -> list[tuple[Any, Any, Any, str, str]]:
    out: list[tuple[Any, Any, Any, str, str]] = []
    known = {c.id for c in st.components}
    for col in frame.columns:
        if col != "STRUCTURE_ID" and col not in known:
            out.append(
                (1, col, None, "unknown_column",
                 f"column {col} is not a component of {st.ref} (components: "
                 f"{', '.join(sorted(known))})")
            )  # fmt: skip
    for comp in st.components:
        if comp.id not in frame.columns:
            if comp.required and comp.role != "measure":
                out.append(
                    (1, comp.id, None, "missing_column",
                     f"{comp.role} {comp.id} of {st.ref} is missing")
                )  # fmt: skip
            continue
        values = frame[comp.id].astype("str")
        empty = values.isna().to_numpy()
        if comp.required and comp.role in ("dimension", "attribute") and empty.any():
            pos = np.flatnonzero(empty)
            out += [
                (int(lines[p]), comp.id, None, "empty",
                 f"{comp.role} {comp.id} is mandatory in {st.ref} but empty")
                for p in pos[:1000]
            ]  # fmt: skip
        if comp.codes is not None:
            bad = ~values.isin(list(comp.codes)) & ~pd.Series(empty, index=values.index)
            for p in np.flatnonzero(bad.to_numpy())[:1000]:
                v = values.iloc[p]
                out.append(
                    (int(lines[p]), comp.id, v, "code",
                     f"{comp.id} code {v!r} is not in the code list of {st.ref}")
                )  # fmt: skip
        allowed = st.allowed.get(comp.id)
        if allowed is not None:
            bad = ~values.isin(list(allowed)) & ~pd.Series(empty, index=values.index)
            for p in np.flatnonzero(bad.to_numpy())[:1000]:
                v = values.iloc[p]
                out.append(
                    (int(lines[p]), comp.id, v, "constraint",
                     f"{comp.id} {v!r} is outside the content constraint of {st.ref} "
                     f"(allowed: {', '.join(sorted(allowed))})")
                )  # fmt: skip
        if comp.numeric:
            number = pd.to_numeric(values, errors="coerce")
            bad = number.isna().to_numpy() & ~empty & ~values.isin(["NaN"]).to_numpy()
            for p in np.flatnonzero(bad)[:1000]:
                out.append(
                    (int(lines[p]), comp.id, values.iloc[p], "number",
                     f"{comp.id} must be a number, got {values.iloc[p]!r}")
                )  # fmt: skip
    dims = [d.id for d in st.dimensions if d.id in frame.columns]
    if dims:
        dup = frame.duplicated(subset=dims, keep="first").to_numpy()
        for p in np.flatnonzero(dup)[:1000]:
            out.append(
                (int(lines[p]), None, None, "duplicate_key",
                 "another observation has the same key "
                 + ".".join(str(frame[d].iloc[p]) for d in dims))
            )  # fmt: skip
    return out
