"""Benchmark: score 50 filled questionnaire workbooks (issue 4, target under 10 s).

Writes 50 workbooks with ``write_template`` (languages in rotation), fills them with seeded
random answers through openpyxl, then times ``score_folder`` over the folder. Baseline: the
time openpyxl alone needs to open the same 50 files and read every cell value, measured in
the same run. Run: ``/tmp/venv/bin/python benchmarks/bench_quality.py``.
"""

from __future__ import annotations

import random
import sys
import tempfile
import time
import warnings
from pathlib import Path

import openpyxl

from migdata.quality import score, score_folder
from migdata.questionnaire import bank
from migdata.questionnaire.answers import read_answers
from migdata.questionnaire.template import write_template

TARGET_SECONDS = 10.0
COUNTRIES = [
    "BDI",
    "COM",
    "COD",
    "DJI",
    "EGY",
    "ERI",
    "SWZ",
    "ETH",
    "KEN",
    "LBY",
    "MDG",
    "MWI",
    "MUS",
    "RWA",
    "SYC",
    "SOM",
    "SDN",
    "TUN",
    "UGA",
    "ZMB",
    "ZWE",
    "AGO",
    "BEN",
    "BWA",
    "BFA",
    "CMR",
    "CPV",
    "CAF",
    "TCD",
    "COG",
    "CIV",
    "GNQ",
    "GAB",
    "GMB",
    "GHA",
    "GIN",
    "GNB",
    "LSO",
    "LBR",
    "MLI",
    "MRT",
    "MAR",
    "MOZ",
    "NAM",
    "NER",
    "NGA",
    "STP",
    "SEN",
    "SLE",
    "ZAF",
]
LANGUAGES = ("en", "fr", "pt", "ar")
KEY_COLUMN, ANSWER_COLUMN = 7, 4


def fill(path: Path, language: str, rng: random.Random) -> None:
    """Answer every item of a written template: labels for choices, numbers, text, dates."""
    items = bank.items().set_index("id")
    options = bank.options()
    labels = options.groupby("item_id")[f"label_{language}"].agg(list).to_dict()
    yes_no = {"en": ("Yes", "No"), "fr": ("Oui", "Non"), "pt": ("Sim", "Não"), "ar": ("نعم", "لا")}
    wb = openpyxl.load_workbook(path)
    for module in ("STK", "IMM", "EMI", "NAB", "RP"):
        ws = wb[module] if module in wb.sheetnames else None
        if ws is None:
            continue
        for row in range(4, ws.max_row + 1):
            key = ws.cell(row, KEY_COLUMN).value
            if not key or key.endswith("#source") or rng.random() < 0.08:  # some left blank
                continue
            item_id = key.split("|")[2]
            if "#" in item_id:  # one option of a multiple-choice item
                ws.cell(row, ANSWER_COLUMN).value = rng.choice(yes_no[language])
                continue
            kind = items.loc[item_id, "type"]
            if kind == "choice" and item_id in labels:
                value: object = rng.choice(labels[item_id])
            elif kind == "months":
                value = rng.choice([0, 3, 6, 12, 12, 12])
            elif kind == "number":
                value = rng.randint(2005, 2023)
            elif kind == "date":
                value = f"2024-0{rng.randint(1, 9)}-15"
            elif kind == "text":
                value = "National Institute of Statistics"
            else:
                continue
            ws.cell(row, ANSWER_COLUMN).value = value
    wb.save(path)


def main() -> None:
    warnings.simplefilter("ignore")  # facts warnings are counted as problems by score()
    rng = random.Random(20240601)
    if len(sys.argv) > 1:  # reuse a folder written by an earlier run
        folder = Path(sys.argv[1])
    else:
        folder = Path(tempfile.mkdtemp(prefix="bench_quality_"))
        start = time.perf_counter()
        for k, country in enumerate(COUNTRIES):
            language = LANGUAGES[k % len(LANGUAGES)]
            path = write_template(folder / f"{country}.xlsx", lang=language, country=country)
            fill(path, language, rng)
        elapsed = time.perf_counter() - start
        print(f"wrote and filled {len(COUNTRIES)} workbooks in {folder} in {elapsed:.1f} s")

    files = sorted(folder.glob("*.xlsx"))
    start = time.perf_counter()
    for path in files:
        wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
        for ws in wb.worksheets:
            for _ in ws.iter_rows(values_only=True):
                pass
        wb.close()
    baseline = time.perf_counter() - start

    start = time.perf_counter()
    profile = score_folder(folder)
    elapsed = time.perf_counter() - start

    scored = int((profile.files["status"] == "scored").sum())
    print(f"countries scored: {scored} of {len(files)}; problems reported: {len(profile.problems)}")
    print(f"baseline (openpyxl reads the 50 files, read-only): {baseline:.2f} s")
    print(f"score_folder (read + score 50 workbooks):       {elapsed:.2f} s")
    print(f"target: < {TARGET_SECONDS:.0f} s -> {'met' if elapsed < TARGET_SECONDS else 'MISSED'}")
    print(f"ratio score_folder / openpyxl baseline: {elapsed / baseline:.2f}")
    # Breakdown: reading (the questionnaire's reader) versus scoring (this package).
    start = time.perf_counter()
    answers = [read_answers(path) for path in files]
    reading = time.perf_counter() - start
    start = time.perf_counter()
    score(answers)
    scoring = time.perf_counter() - start
    print(f"  of which read_answers x50: {reading:.2f} s, score() of the 50: {scoring:.2f} s")
    start = time.perf_counter()
    profile.to_frame()
    print(f"comparison table: {time.perf_counter() - start:.3f} s")


if __name__ == "__main__":
    main()
