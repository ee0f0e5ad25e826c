"""A national statistical office's round of the metadata questionnaire, end to end.

Writes the French questionnaire workbook for Rwanda with two sources (the 2022 census and
the linked entry/exit records of the border posts), fills some answers as an office would
(here programmatically, through the hidden row keys of the workbook), reads the answers
back, turns them into source profiles, scores them against the ESS quality dimensions and
writes the report pages.

Usage::

    python examples/national_office_questionnaire.py OUTDIR

The answers are ILLUSTRATIVE: they describe no real office's practice. The questions
left blank show up as "missing" and lower the coverage of the scores.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

import openpyxl

import migdata
from migdata.questionnaire import bank

LANG = "fr"
COUNTRY = "RWA"
ANSWER_COLUMN = 4  # column D, "Réponse"
KEY_COLUMN = 7  # hidden column G: MODULE|SOURCE_ID|ITEM_ID[#OPTION]

SOURCES = [
    migdata.SourceProfile(
        source_id="RWA-CEN-2022",
        country=COUNTRY,
        source_type="census",
        name="Recensement général de la population et de l'habitat 2022",
        measures=["STK", "IMM"],
    ),
    migdata.SourceProfile(
        source_id="RWA-BORDER",
        country=COUNTRY,
        source_type="linked_entry_exit",
        name="Fichiers d'entrées et de sorties aux postes frontières",
        measures=["IMM", "EMI"],
    ),
]

# Answers to the questions about a whole module: (module, item) -> option code.
MODULE_ANSWERS: dict[tuple[str, str], Any] = {
    ("STK", "STK.020"): "decennial",
    ("STK", "STK.040"): "no",
    ("STK", "STK.050"): "all",
    ("STK", "STK.060"): "main",
    ("STK", "STK.070"): "main",
    ("STK", "STK.080"): "yes",
    ("IMM", "IMM.020"): "annual",
    ("IMM", "IMM.040"): "main",
    ("IMM", "IMM.050"): "main",
    ("IMM", "IMM.060"): "total",
    ("IMM", "IMM.080"): "no",
    ("EMI", "EMI.020"): "annual",
    ("EMI", "EMI.040"): "main",
    ("EMI", "EMI.050"): "total",
    ("EMI", "EMI.070"): "occasional",
}

# Answers about each source, written in every module block of that source: item -> an
# option code, a number, or a list of option codes for a multiple-choice question.
SOURCE_ANSWERS: dict[str, dict[str, Any]] = {
    "RWA-CEN-2022": {
        "COM.030": 2022,
        "COM.040": "person",
        "COM.050": "usual",
        "COM.060": 6,
        "COM.070": "intended",
        "COM.080": "yes",
        "COM.090": "no",
        "COM.110": ["nationals", "foreigners", "refugees", "institutional"],
        "COM.120": "yes",
        "COM.130": ["sex", "age", "citizenship", "country_of_birth", "previous_residence"],
        "COM.140": "iso_m49",
        "COM.150": "five_year",
        "COM.160": 18,
        "COM.170": "published",
        "COM.220": "publication",
        "COM.230": "researchers",
    },
    "RWA-BORDER": {
        "COM.030": 2016,
        "COM.040": "crossing",
        "COM.050": "de_facto",
        "COM.060": 12,
        "COM.070": "observed",
        "COM.080": "yes",
        "COM.090": "yes",
        "COM.110": ["nationals", "foreigners", "students", "workers"],
        "COM.120": "partly",
        "COM.130": ["sex", "age", "citizenship", "previous_residence", "next_residence"],
        "COM.160": 9,
        "COM.170": "internal",
        "COM.220": "on_request",
    },
}


def _label(item_id: str, code: str) -> str:
    """The French label of an option, as the dropdown of the workbook shows it."""
    item = bank.get_item(item_id)
    option = item.option(code)
    if option is None:
        known = ", ".join(o.code for o in item.options)
        raise SystemExit(f"{item_id}: no option {code!r}; the options are {known}")
    return str(option.labels[LANG])


def _rows(wb: Any) -> dict[str, tuple[str, int]]:
    """(sheet, row) of every keyed row of the module sheets."""
    rows: dict[str, tuple[str, int]] = {}
    for sheet in wb.worksheets:
        for row in range(1, sheet.max_row + 1):
            key = sheet.cell(row, KEY_COLUMN).value
            if isinstance(key, str) and key.count("|") == 2:
                rows[key] = (sheet.title, row)
    return rows


def fill(path: Path) -> int:
    """Write the answers into the workbook, finding each row by its hidden key."""
    wb = openpyxl.load_workbook(path)
    yes, no = (o[LANG] for o in bank.labels()["option_sets"]["yes_no"])
    rows = _rows(wb)
    answers = {f"{m}||{item}": v for (m, item), v in MODULE_ANSWERS.items()}
    for key in rows:
        _module, source, item = key.split("|")
        if source in SOURCE_ANSWERS and item in SOURCE_ANSWERS[source]:
            answers[key] = SOURCE_ANSWERS[source][item]
    for key, answer in answers.items():
        item_id = key.rsplit("|", 1)[1]
        if isinstance(answer, list):  # a multiple choice: Oui or Non on each option's row
            for option in bank.get_item(item_id).options:
                sheet, row = rows[f"{key}#{option.code}"]
                wb[sheet].cell(row, ANSWER_COLUMN).value = yes if option.code in answer else no
            continue
        if key not in rows:
            raise SystemExit(f"no row {key} in {path.name}")
        sheet, row = rows[key]
        coded = isinstance(answer, str) and bank.get_item(item_id).options
        wb[sheet].cell(row, ANSWER_COLUMN).value = _label(item_id, answer) if coded else answer
    wb.save(path)
    return len(answers)


def main(argv: list[str] | None = None) -> int:
    """Run the office's round into the folder given on the command line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("outdir", type=Path, help="folder for the workbook and the reports")
    out = parser.parse_args(argv).outdir
    out.mkdir(parents=True, exist_ok=True)

    workbook = migdata.write_template(
        out / f"{COUNTRY}_questionnaire_{LANG}.xlsx",
        lang=LANG,
        country=COUNTRY,
        sources=SOURCES,
        modules=["STK", "IMM", "EMI"],
    )
    print(f"template written: {workbook}")

    print(f"answers written: {fill(workbook)}")

    answers = migdata.read_answers(workbook)
    status = answers.table["status"].value_counts()
    print(
        f"read back: country {answers.country}, language {answers.language}; "
        + ", ".join(f"{k} {v}" for k, v in status.items())
    )
    if len(answers.problems):
        print(f"{len(answers.problems)} answer(s) could not be read:")
        print(answers.problems.to_string(index=False))

    for profile in answers.profiles():
        print(
            f"source profile {profile.source_id}: {profile.source_type}, measures "
            f"{profile.measures}, threshold {profile.threshold_months} months "
            f"({profile.threshold_basis})"
        )
        profile.to_yaml(out / f"{profile.source_id}.yaml")

    quality = migdata.score(answers)
    table = quality.scores[["module", "dimension", "score", "coverage", "grade"]]
    print(table.round(2).to_string(index=False))
    pages = migdata.write_reports(quality, out / "rapport", language=LANG)
    for page in pages:
        print(f"report page: {page}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
