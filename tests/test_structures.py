"""Tests of the COMESA data structures loaded from data."""

from __future__ import annotations

import pytest

from migdata import harmonised
from migdata.errors import ConfigurationError
from migdata.exchange import structures


def test_every_measure_has_one_dataflow() -> None:
    """Each harmonised measure maps to exactly one COMESA dataflow."""
    flows = structures.dataflows()
    assert sorted(f.measure for f in flows.values()) == sorted(harmonised.MEASURES)
    assert all(f.agency == "COMESA" for f in flows.values())


def test_lookup_by_id_reference_and_measure() -> None:
    """A dataflow is found by id, full reference or measure; unknown ones fail clearly."""
    assert structures.dataflow("DF_MIG_EMI") is structures.dataflow("COMESA:DF_MIG_EMI(1.0)")
    assert structures.dataflow("EMI").ref == "COMESA:DF_MIG_EMI(1.0)"
    with pytest.raises(ConfigurationError, match="DF_MIG_IMM"):
        structures.dataflow("COMESA:DF_MIG_IMM(2.0)")


def test_codelists_reuse_harmonised_codes() -> None:
    """Code lists held by migdata.harmonised are reused, not copied."""
    cls = structures.codelists()
    assert set(cls["CL_OBS_STATUS"].codes) == set(harmonised.OBS_STATUS)
    assert set(cls["CL_COMPLIANCE"].codes) == set(harmonised.COMPLIANCE_CLASSES)
    assert set(cls["CL_TARGET"].codes) == set(harmonised.TARGETS)
    assert cls["CL_AGE"].pattern == harmonised.AGE_PATTERN
    area = cls["CL_AREA"].codes
    assert {"KEN", "XKX", "_T", "_U", "_O", "_Z"} <= set(area) and "KE" not in area


def test_dimensions_use_sdmx_global_concepts() -> None:
    """Dimensions carry SDMX concept ids; permits add REASON and VALIDITY."""
    imm = [d.id for d in structures.dataflow("IMM").structure.dimensions]
    assert imm == [
        "FREQ",
        "REF_AREA",
        "COUNTERPART_AREA",
        "COUNTERPART_TYPE",
        "SEX",
        "AGE",
        "TIME_PERIOD",
    ]
    rp = [d.id for d in structures.dataflow("RP_FIRST").structure.dimensions]
    assert {"REASON", "VALIDITY"} <= set(rp)
    attrs = {a.id for a in structures.dataflow("IMM").structure.attributes}
    assert {
        "OBS_STATUS",
        "CONF_STATUS",
        "COMPLIANCE",
        "TARGET",
        "SOURCE_ID",
        "COMMENT",
        "UNIT_MEASURE",
    } <= attrs


def test_column_mapping_covers_every_harmonised_column() -> None:
    """The one mapping table names an SDMX column for every harmonised column."""
    mapping = structures.column_mapping()
    mapped = set(mapping["harmonised"].dropna()) - {""}
    assert set(harmonised.HARMONISED_COLUMNS) <= mapped
    assert mapping["sdmx"].is_unique


def test_codelist_versions_listed_per_component() -> None:
    """A dataflow reports the reference of each code list it uses."""
    versions = structures.dataflow("IMM").codelist_versions()
    assert versions["SEX"] == "COMESA:CL_SEX(1.0)"
    assert "<b>COMESA:DF_MIG_IMM(1.0)</b>" in structures.dataflow("IMM")._repr_html_()
