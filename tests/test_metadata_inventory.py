"""Source inventory and who-produces-what, from workbooks filled as an office would."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import openpyxl
import pandas as pd
import pytest

import migdata
from migdata.errors import InputError
from migdata.metadata.inventory import institution_of
from migdata.questionnaire import bank
from migdata.questionnaire._layout import KEY_RE
from tests._questionnaire_fill import meta_rows


def fill_answers(path: Path, lang: str, answers: dict[tuple[str, str, str], Any]) -> dict[str, str]:
    """Type answers as an office would: (module, source type or "", item) -> value.

    Values are option codes (written as the option's label in the workbook's language), a
    list of codes for multiple-choice items, or a number/text. Returns source type -> id.
    """
    wb = openpyxl.load_workbook(path)
    rows = meta_rows(wb)
    yes, no = (o[lang] for o in bank.labels()["option_sets"]["yes_no"])
    ids: dict[str, str] = {}
    sources_of = {}
    for sheet, r, key in rows:
        m = KEY_RE.match(key)
        if m and m["item"] == "COM.010" and not m["option"]:
            sources_of[(m["module"], m["source"])] = sheet, r
    for sheet, r, key in rows:
        m = KEY_RE.match(key)
        assert m, key
        if m["item"] == "#source" or m["option"]:
            continue
        source_id = m["source"]
        # The template names a source block "<country>-<source type>".
        stype = source_id.split("-", 1)[1] if source_id else ""
        wanted = answers.get((m["module"], stype if source_id else "", m["item"]))
        if wanted is None:
            continue
        if source_id:
            ids[stype] = source_id
        it = bank.get_item(m["item"])
        ws = wb[sheet]
        if it.type == "multiple":
            for opt in it.options:
                for s2, r2, k2 in rows:
                    if k2 == f"{key}#{opt.code}":
                        wb[s2].cell(r2, 4).value = yes if opt.code in wanted else no
        elif it.type == "choice":
            ws.cell(r, 4).value = it.option(wanted).labels[lang]  # type: ignore[union-attr]
        else:
            ws.cell(r, 4).value = wanted
    wb.save(path)
    return ids


def _workbook(
    tmp_path: Path,
    country: str,
    lang: str,
    sources: list[str],
    answers: dict[tuple[str, str, str], Any],
) -> Path:
    path = tmp_path / f"{country}_{lang}.xlsx"
    migdata.write_template(path, lang=lang, country=country, sources=sources)
    fill_answers(path, lang, answers)
    return path


CENSUS_ANSWERS: dict[tuple[str, str, str], Any] = {
    **{
        (m, "census", "COM.020"): "Recensement 2022, Institut national de la statistique"
        for m in ("STK", "IMM", "EMI", "NAB")
    },
    **{(m, "census", "COM.040"): "person" for m in ("STK", "IMM", "EMI", "NAB")},
    **{(m, "census", "COM.060"): 12 for m in ("STK", "IMM", "EMI", "NAB")},
    ("STK", "census", "COM.120"): "yes",
    ("IMM", "census", "COM.120"): "yes",
    ("EMI", "census", "COM.120"): "partly",
    ("STK", "census", "COM.130"): ["sex", "age", "citizenship", "country_of_birth"],
    ("STK", "", "STK.020"): "multi_year",
}


@pytest.fixture(scope="module")
def rwa(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A French workbook of Rwanda describing its census, partly answered."""
    return _workbook(tmp_path_factory.mktemp("rwa"), "RWA", "fr", ["census"], CENSUS_ANSWERS)


def test_coverage_follows_the_modules_and_the_completeness_answer(rwa: Path) -> None:
    """A census answered complete in STK/IMM is +, partly in EMI is +/-, and says why."""
    inv = migdata.source_inventory(rwa)
    row = inv.table.iloc[0]
    assert (row["country"], row["source_type"]) == ("RWA", "census")
    assert row["stock_in"] == "+" and row["flows_in"] == "+"
    assert row["flows_out"] == "+/-"
    assert "flows_out:incomplete:EMI" in row["coverage_note"]
    # NAB block exists but the MIEUX matrix gives a census only +/- for nationals abroad.
    assert row["stock_out"] == "+/-"
    assert row["institution"] == "Institut national de la statistique"
    assert row["variables"] == "sex;age;citizenship;country_of_birth"
    assert row["periodicity"] == "STK.020=multi_year"


def test_missing_answers_are_listed_never_invented(rwa: Path) -> None:
    """An unanswered fact stays empty, is listed, and reads "sans réponse" in French."""
    inv = migdata.source_inventory(rwa, lang="fr")
    row = inv.table.iloc[0]
    assert row["dissemination"] == "" and "COM.220" in row["not_answered"]
    people = inv.labelled().iloc[0]
    assert people["Diffusion"] == "sans réponse"
    assert "COM.220 Comment les chiffres sont-ils diffusés" in people["Questions sans réponse"]
    assert people["Base juridique"] == "non demandé dans le questionnaire"


def test_free_text_keeps_its_language(rwa: Path) -> None:
    """The French name of the source, shown in an English document, is marked [fr]."""
    people = migdata.source_inventory(rwa, lang="en").labelled().iloc[0]
    assert people["Name of the source"].endswith("[fr]")
    assert people["Type of source"] == "Population census"


def test_producers_flag_overlaps_and_gaps(tmp_path: Path) -> None:
    """Two institutions covering immigration from two sources is an overlap; none is a gap."""
    answers = {
        **CENSUS_ANSWERS,
        ("IMM", "residence_permits", "COM.020"): "Permis de résidence (Direction des migrations)",
    }
    path = _workbook(tmp_path, "RWA", "fr", ["census", "residence_permits"], answers)
    inv = migdata.source_inventory(path)
    prod = inv.producers()
    imm = prod[prod["statistic"] == "flows_in"]
    assert set(imm["finding"]) == {"overlap"}
    assert set(imm["institution"]) == {
        "Institut national de la statistique",
        "Direction des migrations",
    }
    assert len(prod) >= 4 and set(prod["finding"]) <= {"overlap", "gap", "single"}


def test_secretariat_sees_gaps_across_countries(rwa: Path, tmp_path: Path) -> None:
    """A country whose only source is a permit register has no emigration: a gap."""
    ken = _workbook(tmp_path, "KEN", "en", ["residence_permits"], {})
    inv = migdata.source_inventory([rwa, ken])
    gaps = inv.gaps()
    assert gaps.loc["KEN", "flows_out"] == "-" and gaps.loc["RWA", "flows_in"] == "+"
    page = inv.to_html(lang="en")
    assert "Gaps across member countries" in page and 'class="gap"' in page


def test_outputs_excel_csv_html_figure(rwa: Path, tmp_path: Path) -> None:
    """The inventory is written as Excel (filter, coloured coverage), CSV, HTML and a figure."""
    inv = migdata.source_inventory(rwa, lang="ar")
    xlsx = inv.to_excel(tmp_path / "inv.xlsx")
    wb = openpyxl.load_workbook(xlsx)
    ws = wb["inventory"]
    assert ws.sheet_view.rightToLeft and ws.auto_filter.ref
    assert set(wb.sheetnames) == {"inventory", "producers", "gaps"}
    csv = pd.read_csv(inv.to_csv(tmp_path / "inv.csv"), keep_default_na=False)
    assert list(csv.columns) == list(inv.table.columns) and len(csv) == len(inv.table)
    page = inv.to_html()
    assert 'dir="rtl"' in page and '<bdi dir="ltr">+/-</bdi>' in page
    fig = inv.figure()
    assert len(fig.axes[0].get_yticklabels()) == len(inv.table)


def test_institution_is_read_from_the_answer() -> None:
    """The producer comes from a final parenthesis or the part after the last comma."""
    assert institution_of("Registre de la population (NIDA)") == "NIDA"
    assert institution_of("2022 Census, National Institute of Statistics") == (
        "National Institute of Statistics"
    )
    assert institution_of("Immigration department") == "Immigration department"
    assert institution_of("") == ""


def test_bad_input_is_named() -> None:
    """Something that is not answers, or a missing file, is an InputError."""
    with pytest.raises(InputError, match="expected questionnaire answers"):
        migdata.source_inventory(42)
    with pytest.raises(InputError, match="no such file"):
        migdata.source_inventory("/nonexistent/answers.xlsx")
    with pytest.raises(InputError, match="language 'de'"):
        migdata.source_inventory([], lang="de")
