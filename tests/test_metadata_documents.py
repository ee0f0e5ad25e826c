"""Glossary, indicator catalogue and the ``migdata metadata`` command."""

from __future__ import annotations

import importlib
from pathlib import Path

import openpyxl
import pytest

import migdata
from migdata.cli import main
from migdata.errors import InputError
from migdata.metadata import _text
from migdata.metadata.documents import write_documents
from tests.test_metadata_inventory import CENSUS_ANSWERS, _workbook

LANGS = ("en", "fr", "pt", "ar")


def test_every_glossary_term_is_complete_and_sourced() -> None:
    """Each term and definition exists in the four languages, with a source; ids are unique."""
    entries = _text.data("glossary")["terms"]
    assert len({e["id"] for e in entries}) == len(entries) >= 25
    for e in entries:
        assert e["source"].strip(), e["id"]
        for lang in LANGS:
            assert e["term"][lang].strip() and e["definition"][lang].strip(), (e["id"], lang)
    for lang in LANGS:
        terms = migdata.glossary(lang).table["term"]
        assert terms.is_unique, lang
    covered = {e["id"] for e in entries}
    assert {
        "usual_residence",
        "long_term_migrant",
        "short_term_migrant",
        "temporary_mobility",
        "excluded_purposes",
        "admission_categories",
        "rule_12_16",
        "mirror_statistics",
        "relevance",
        "coherence",
    } <= covered


def test_catalogue_functions_exist_and_gaps_say_why() -> None:
    """A computable indicator names a real migdata function; the others say why, in 4 languages."""
    for entry in _text.data("indicators")["indicators"]:
        if entry["computable"]:
            module, _, name = entry["function"].rpartition(".")
            assert hasattr(importlib.import_module(module), name), entry["function"]
        else:
            for lang in LANGS:
                assert entry["why"][lang].strip(), (entry["id"], lang)
    table = migdata.indicator_catalogue("fr").table.set_index("id")
    assert table.loc["SDG_10_7_3", "computable"] == "no"
    assert table.loc["IMMIGRATION", "indicator"] == "Immigration de longue durée"


def test_catalogue_marks_what_a_country_can_produce(tmp_path: Path) -> None:
    """A census answered in STK with country of birth can give the foreign-born stock; no
    permit source means no permit indicator."""
    inv = migdata.source_inventory(_workbook(tmp_path, "RWA", "en", ["census"], CENSUS_ANSWERS))
    cat = migdata.indicator_catalogue("en", inv).table.set_index("id")
    assert cat.loc["STOCK_FOREIGN_BORN", "producible_RWA"] == "yes"
    assert cat.loc["FIRST_PERMITS_BY_REASON", "producible_RWA"] == "no"
    assert cat.loc["SDG_10_7_1", "producible_RWA"] == "no"


def test_glossary_outputs_are_filterable(tmp_path: Path) -> None:
    """HTML has a filter box and right-to-left Arabic; Excel has a filter on every column."""
    doc = migdata.glossary("ar", all_languages=True)
    page = doc.to_html()
    assert 'dir="rtl"' in page and 'type="search"' in page
    ws = openpyxl.load_workbook(doc.to_excel(tmp_path / "g.xlsx")).active
    assert ws.auto_filter.ref and ws.sheet_view.rightToLeft
    assert ws.max_row == len(doc.table) + 1


def test_cli_writes_documents_and_never_overwrites(tmp_path: Path) -> None:
    """Each action writes its files; a second run refuses to overwrite without --force."""
    answers = _workbook(tmp_path, "RWA", "fr", ["census"], CENSUS_ANSWERS)
    out = tmp_path / "docs"
    assert main(["metadata", "inventory", str(answers), "--lang", "fr", "--out", str(out)]) == 0
    assert main(["metadata", "sims", str(answers), "--out", str(out)]) == 0
    assert main(["metadata", "glossary", "--lang", "pt", "--out", str(out)]) == 0
    assert main(["metadata", "catalogue", str(answers), "--out", str(out)]) == 0
    names = {p.name for p in out.iterdir()}
    assert {
        "inventory.html",
        "inventory.xlsx",
        "sims.xml",
        "sims_esms.html",
        "glossary.xlsx",
        "catalogue.html",
        "inventory_matrix.png",
    } <= names
    before = (out / "glossary.html").read_bytes()
    assert main(["metadata", "glossary", "--lang", "en", "--out", str(out)]) == 2
    assert (out / "glossary.html").read_bytes() == before
    assert main(["metadata", "glossary", "--lang", "en", "--out", str(out), "--force"]) == 0
    assert main(["metadata", "sims", str(tmp_path / "missing.xlsx"), "--out", str(out)]) == 2


def test_documents_refuse_bad_requests(tmp_path: Path) -> None:
    """Unknown documents and documents that need answers without answers are refused."""
    with pytest.raises(InputError, match="unknown document"):
        write_documents(None, tmp_path, documents=["report"])
    with pytest.raises(InputError, match="need answers"):
        write_documents(None, tmp_path, documents=["sims"])


def test_project_run_writes_the_documents_it_asks_for(tmp_path: Path) -> None:
    """An office project with [outputs] documents gets them in output/documents/."""
    root = tmp_path / "rwa"
    (root / "questionnaire").mkdir(parents=True)
    _workbook(root / "questionnaire", "RWA", "fr", ["census"], CENSUS_ANSWERS)
    (root / "migdata.toml").write_text(
        '[project]\nrole = "office"\ncountry = "RWA"\nlanguage = "fr"\n\n'
        '[outputs]\ndocuments = ["inventory", "sims", "glossary"]\n',
        encoding="utf-8",
    )
    migdata.Project.load(root).run()
    docs = root / "output" / "documents"
    assert {"inventory.html", "sims.xml", "glossary.xlsx"} <= {p.name for p in docs.iterdir()}
    assert "Cartographie des sources" in (docs / "inventory.html").read_text(encoding="utf-8")
    first = (docs / "sims.xml").read_bytes()
    migdata.Project.load(root).run(force=True)
    assert (docs / "sims.xml").read_bytes() == first  # same inputs, same bytes
