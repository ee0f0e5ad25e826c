"""SDMX data structures of the COMESA migration exchange, loaded from data.

Owns the :class:`Codelist`, :class:`DataStructure` and :class:`Dataflow` objects read from
``migdata/data/exchange/structures.yaml`` and the one mapping between harmonised and SDMX columns.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cache
from typing import Any

import pandas as pd
import pycountry
import yaml

from migdata import harmonised
from migdata._resources import data_path
from migdata.errors import ConfigurationError

__all__ = [
    "Codelist",
    "Component",
    "DataStructure",
    "Dataflow",
    "codelists",
    "column_mapping",
    "dataflow",
    "dataflows",
    "sdmx_columns",
]

_REF = re.compile(
    r"^(?:(?P<agency>[A-Za-z0-9_.]+):)?(?P<id>[A-Za-z0-9_]+)(?:\((?P<version>[^)]*)\))?$"
)


@dataclass(frozen=True)
class Codelist:
    """A code list: enumerated codes with labels, or a pattern for open lists (ages, years).

    Examples
    --------
    >>> cl = codelists()["CL_SEX"]
    >>> cl.ref, sorted(cl.codes)
    ('COMESA:CL_SEX(1.0)', ['F', 'M', '_T', '_U'])
    """

    id: str
    version: str
    name: str
    agency: str = "COMESA"
    codes: dict[str, str] = field(default_factory=dict)
    pattern: str | None = None

    @property
    def ref(self) -> str:
        """The SDMX reference ``AGENCY:ID(VERSION)``."""
        return f"{self.agency}:{self.id}({self.version})"

    def __repr__(self) -> str:
        return f"Codelist({self.agency}:{self.id}({self.version}), {len(self.codes)} codes)"

    def _repr_html_(self) -> str:
        if self.pattern is not None:
            body = f"<p>pattern <code>{self.pattern}</code></p>"
        else:
            rows = "".join(f"<tr><td>{c}</td><td>{v}</td></tr>" for c, v in self.codes.items())
            body = f"<table><tr><th>code</th><th>label</th></tr>{rows}</table>"
        return f"<b>{self.ref}</b> {self.name}{body}"


@dataclass(frozen=True)
class Component:
    """A dimension, attribute or measure: its concept id and representation."""

    id: str
    role: str  # "dimension", "measure" or "attribute"
    codelist: Codelist | None = None
    type: str = "code"  # "code", "number" or "string"
    mandatory: bool = False


@dataclass(frozen=True)
class DataStructure:
    """A data structure definition: dimensions (in key order), measure and attributes.

    Examples
    --------
    >>> dsd = dataflow("IMM").structure
    >>> dsd.ref, [d.id for d in dsd.dimensions][:3]
    ('COMESA:DSD_MIG(1.0)', ['FREQ', 'REF_AREA', 'COUNTERPART_AREA'])
    """

    id: str
    version: str
    name: str
    dimensions: tuple[Component, ...]
    attributes: tuple[Component, ...]
    measure: Component
    agency: str = "COMESA"

    @property
    def ref(self) -> str:
        """The SDMX reference ``AGENCY:ID(VERSION)``."""
        return f"{self.agency}:{self.id}({self.version})"

    @property
    def components(self) -> tuple[Component, ...]:
        """Dimensions, the measure and attributes in SDMX-CSV column order."""
        return (*self.dimensions, self.measure, *self.attributes)

    def component(self, component_id: str) -> Component:
        """The component with this id (``KeyError`` when absent)."""
        for comp in self.components:
            if comp.id == component_id:
                return comp
        raise KeyError(component_id)


@dataclass(frozen=True)
class Dataflow:
    """A dataflow: one measure of the harmonised table exchanged with a data structure.

    Examples
    --------
    >>> df = dataflow("COMESA:DF_MIG_IMM(1.0)")
    >>> df.measure, df.counterpart_types, df.unit
    ('IMM', ('CITIZENSHIP', 'PREV_RES'), 'PS')
    """

    id: str
    version: str
    name: str
    structure: DataStructure
    measure: str
    unit: str
    counterpart_types: tuple[str, ...]
    agency: str = "COMESA"

    @property
    def ref(self) -> str:
        """The SDMX reference ``AGENCY:ID(VERSION)``, the value of ``STRUCTURE_ID``."""
        return f"{self.agency}:{self.id}({self.version})"

    def codelist_versions(self) -> dict[str, str]:
        """Reference of every code list used by this dataflow, by component id."""
        return {c.id: c.codelist.ref for c in self.structure.components if c.codelist}

    def __repr__(self) -> str:
        dims = ", ".join(d.id for d in self.structure.dimensions)
        return f"Dataflow({self.agency}:{self.id}({self.version}), {self.measure}: {dims})"

    def _repr_html_(self) -> str:
        rows = "".join(
            f"<tr><td>{c.id}</td><td>{c.role}</td>"
            f"<td>{c.codelist.ref if c.codelist else c.type}</td></tr>"
            for c in self.structure.components
        )
        return (
            f"<b>{self.ref}</b> {self.name}<br>measure {self.measure}, unit {self.unit}, "
            f"breakdowns {', '.join(self.counterpart_types)}"
            f"<table><tr><th>component</th><th>role</th><th>representation</th></tr>{rows}</table>"
        )


def _harmonised_attr(name: str) -> Any:
    return getattr(harmonised, name.removeprefix("harmonised."))


def _codes_of(value: Any) -> dict[str, str]:
    if isinstance(value, dict):
        return {str(k): str(v) for k, v in value.items()}
    return {str(k): str(k) for k in value}


@cache
def _raw() -> dict[str, Any]:
    with data_path("exchange", "structures.yaml").open(encoding="utf-8") as fh:
        raw: dict[str, Any] = yaml.safe_load(fh)
    return raw


@cache
def codelists() -> dict[str, Codelist]:
    """Every code list of the exchange, by id.

    Returns
    -------
    dict
        ``{"CL_AREA": Codelist(...), ...}``; codes taken from :mod:`migdata.harmonised`
        where that module holds the canonical list.

    Examples
    --------
    >>> area = codelists()["CL_AREA"]
    >>> "KEN" in area.codes, "XKX" in area.codes, "_O" in area.codes
    (True, True, True)
    """
    raw = _raw()
    agency = raw["agency"]
    out: dict[str, Codelist] = {}
    for cl_id, spec in raw["codelists"].items():
        codes: dict[str, str] = {}
        pattern: str | None = None
        if spec.get("from") == "pycountry":
            codes = {
                c.alpha_3: c.name for c in sorted(pycountry.countries, key=lambda c: c.alpha_3)
            }
            codes.update(_codes_of(spec.get("extra", {})))
            codes.update(_codes_of(_harmonised_attr(spec["from_special"])))
        elif "from" in spec:
            codes = _codes_of(_harmonised_attr(spec["from"]))
        elif "codes" in spec:
            codes = _codes_of(spec["codes"])
            if "check_against" in spec:
                # The YAML adds labels; the codes themselves must stay those of harmonised.
                canonical = set(_harmonised_attr(spec["check_against"]))
                if canonical != set(codes):
                    raise ConfigurationError(
                        f"code list {cl_id} in structures.yaml has codes {sorted(codes)}, "
                        f"expected those of {spec['check_against']}: {sorted(canonical)}"
                    )
        if "pattern" in spec:
            text = spec["pattern"]
            pattern = _harmonised_attr(text) if text.startswith("harmonised.") else text
        out[cl_id] = Codelist(
            id=cl_id,
            version=str(spec["version"]),
            name=spec["name"],
            agency=agency,
            codes=codes,
            pattern=pattern,
        )
    return out


def _component(comp_id: str, role: str) -> Component:
    spec = _raw()["components"][comp_id]
    cl = codelists()[spec["codelist"]] if "codelist" in spec else None
    return Component(
        id=comp_id,
        role=role,
        codelist=cl,
        type="code" if cl is not None else spec["type"],
        mandatory=bool(spec.get("mandatory", False)),
    )


@cache
def _structures() -> dict[str, DataStructure]:
    raw = _raw()
    out: dict[str, DataStructure] = {}
    for dsd_id, spec in raw["structures"].items():
        out[dsd_id] = DataStructure(
            id=dsd_id,
            version=str(spec["version"]),
            name=spec["name"],
            dimensions=tuple(_component(c, "dimension") for c in spec["dimensions"]),
            attributes=tuple(_component(c, "attribute") for c in spec["attributes"]),
            measure=_component("OBS_VALUE", "measure"),
            agency=raw["agency"],
        )
    return out


@cache
def dataflows() -> dict[str, Dataflow]:
    """Every dataflow of the exchange, by id (``DF_MIG_IMM``, ...).

    Examples
    --------
    >>> sorted(df.measure for df in dataflows().values())
    ['EMI', 'IMM', 'NAB', 'RP_FIRST', 'RP_VALID', 'STK', 'VISA']
    """
    raw = _raw()
    structures = _structures()
    return {
        df_id: Dataflow(
            id=df_id,
            version=str(spec["version"]),
            name=spec["name"],
            structure=structures[spec["structure"]],
            measure=spec["measure"],
            unit=spec["unit"],
            counterpart_types=tuple(spec["counterpart_types"]),
            agency=raw["agency"],
        )
        for df_id, spec in raw["dataflows"].items()
    }


def dataflow(key: str | Dataflow) -> Dataflow:
    """Look a dataflow up by id, full reference or harmonised measure code.

    Parameters
    ----------
    key
        ``"DF_MIG_IMM"``, ``"COMESA:DF_MIG_IMM(1.0)"`` or the measure ``"IMM"``.

    Raises
    ------
    ConfigurationError
        When no dataflow matches (the message lists the known ones).

    Examples
    --------
    >>> dataflow("RP_FIRST").ref
    'COMESA:DF_MIG_RP_FIRST(1.0)'
    """
    if isinstance(key, Dataflow):
        return key
    flows = dataflows()
    text = str(key).strip()
    for flow in flows.values():
        if text in (flow.id, flow.ref, flow.measure):
            return flow
    match = _REF.match(text)
    if match and match["id"] in flows:
        flow = flows[match["id"]]
        agency_ok = match["agency"] in (None, flow.agency)
        version_ok = match["version"] in (None, flow.version)
        if agency_ok and version_ok:
            return flow
    known = ", ".join(f.ref for f in flows.values())
    raise ConfigurationError(f"unknown dataflow {text!r}; expected one of {known}")


@cache
def column_mapping() -> pd.DataFrame:
    """The one table mapping harmonised columns to SDMX ids (and Eurostat's names).

    Used in both directions by every reader and writer. ``harmonised`` is empty for
    components the harmonised table does not carry (``FREQ``, ``UNIT_MEASURE``), which take
    their ``default`` when written.

    Examples
    --------
    >>> m = column_mapping().set_index("sdmx")
    >>> m.loc["COMMENT", "harmonised"], m.loc["COUNTERPART_AREA", "eurostat"]
    ('provenance', 'partner | citizen | c_birth')
    """
    rows = [
        {
            "harmonised": r.get("harmonised", ""),
            "sdmx": r["sdmx"],
            "default": str(r.get("default", "")),
            "eurostat": r.get("eurostat", ""),
        }
        for r in _raw()["columns"]
    ]
    return pd.DataFrame(rows, dtype="string")


def sdmx_columns(flows: list[Dataflow]) -> list[str]:
    """Union of the component ids of several dataflows in a fixed SDMX-CSV order.

    Dimensions first (in the order of the first structure, extra dimensions of later
    structures inserted before ``TIME_PERIOD``), then ``OBS_VALUE``, then attributes.

    Examples
    --------
    >>> sdmx_columns([dataflow("IMM"), dataflow("RP_FIRST")])[4:9]
    ['SEX', 'AGE', 'REASON', 'VALIDITY', 'TIME_PERIOD']
    """
    # The widest structure fixes the order so that a file's columns never depend on which
    # dataflows it happens to contain beyond the set of its dimensions.
    ordered = sorted(_structures().values(), key=lambda s: -len(s.dimensions))
    present = {c.id for f in flows for c in f.structure.components}
    dims: list[str] = []
    attrs: list[str] = []
    for dsd in ordered:
        dims += [d.id for d in dsd.dimensions if d.id in present and d.id not in dims]
        attrs += [a.id for a in dsd.attributes if a.id in present and a.id not in attrs]
    return [*dims, "OBS_VALUE", *attrs]
