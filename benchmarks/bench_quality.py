"""Benchmark: score 50 filled questionnaire workbooks (issue 4, target under 10 s).

Writes 50 workbooks with ``write_template`` (languages in rotation), fills them with seeded
random answers through openpyxl, then times ``score_folder`` over the folder. Baseline: the
time openpyxl alone needs to open the same 50 files and read every cell value, measured in
the same run; also the reader with its XML fast path switched off (openpyxl for every sheet).
Wall-clock and CPU times are printed (CPU time is steadier on a shared machine). Run:
``/tmp/venv/bin/python benchmarks/bench_quality.py [FOLDER]`` (FOLDER is reused when it holds
workbooks from an earlier run, else written).
"""

from __future__ import annotations

import random
import sys
import tempfile
import time
import warnings
from pathlib import Path
from typing import Any
from unittest import mock

import openpyxl

import migdata
from migdata.quality import score, score_folder
from migdata.questionnaire import _xlsx_reader, bank
from migdata.questionnaire._xlsx_reader import Unsupported
from migdata.questionnaire.answers import read_answers
from migdata.questionnaire.template import write_template

TARGET_SECONDS = 10.0
# 50 distinct countries: the African regional communities first, then the EU.
COUNTRIES = list(
    dict.fromkeys(
        c
        for group in ("COMESA", "EAC", "SADC", "ECOWAS", "IGAD", "EU27")
        for c in migdata.members(group, year=2024)
    )
)[:50]
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


class _Timer:
    """Wall-clock and CPU time of a block (the machine may be shared: CPU time is steadier)."""

    def __enter__(self) -> _Timer:
        self.wall, self.cpu = time.perf_counter(), time.process_time()
        return self

    def __exit__(self, *exc: object) -> None:
        self.wall = time.perf_counter() - self.wall
        self.cpu = time.process_time() - self.cpu

    def __str__(self) -> str:
        return f"{self.wall:6.2f} s wall, {self.cpu:6.2f} s CPU"


def _openpyxl_reader(path: Path) -> Any:
    """read_answers with the XML reader switched off: every sheet read through openpyxl."""

    def refuse(*args: object, **kwargs: object) -> None:
        raise Unsupported("switched off for the benchmark")

    with mock.patch.object(_xlsx_reader, "XlsxBook", refuse):
        return read_answers(path)


def main() -> None:
    warnings.simplefilter("ignore")  # facts warnings are counted as problems by score()
    rng = random.Random(20240601)
    # A folder given on the command line is reused when it holds workbooks, else filled.
    folder = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(tempfile.mkdtemp(prefix="bq_"))
    if not any(folder.glob("*.xlsx")):
        folder.mkdir(parents=True, exist_ok=True)
        start = time.perf_counter()
        for k, country in enumerate(COUNTRIES):
            language = LANGUAGES[k % len(LANGUAGES)]
            path = write_template(folder / f"{country}.xlsx", lang=language, country=country)
            fill(path, language, rng)
        elapsed = time.perf_counter() - start
        print(f"wrote and filled {len(COUNTRIES)} workbooks in {folder} in {elapsed:.1f} s")

    files = sorted(folder.glob("*.xlsx"))
    read_answers(files[0])  # imports and cached indexes, as in any session
    with _Timer() as baseline:
        for path in files:
            wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
            for ws in wb.worksheets:
                for _ in ws.iter_rows(values_only=True):
                    pass
            wb.close()

    with _Timer() as total:
        profile = score_folder(folder)

    scored = int((profile.files["status"] == "scored").sum())
    n = len(files)
    print(f"countries scored: {scored} of {n}; problems reported: {len(profile.problems)}")
    print(f"baseline, openpyxl alone reads the {n} files (read-only): {baseline}")
    print(f"score_folder (read + score {n} workbooks):              {total}")
    met = "met" if total.wall < TARGET_SECONDS else "MISSED"
    print(f"target: < {TARGET_SECONDS:.0f} s wall -> {met}")
    print(
        f"ratio score_folder / openpyxl baseline: {total.wall / baseline.wall:.2f} wall, "
        f"{total.cpu / baseline.cpu:.2f} CPU"
    )
    # Breakdown: reading (the questionnaire's reader) versus scoring (this package), and the
    # reader with its XML fast path switched off (openpyxl for every sheet), same files.
    with _Timer() as reading:
        answers = [read_answers(path) for path in files]
    with _Timer() as scoring:
        score(answers)
    with _Timer() as slow:
        slow_answers = [_openpyxl_reader(path) for path in files]
    same = all(
        a.table.equals(b.table) and a.problems.equals(b.problems)
        for a, b in zip(answers, slow_answers, strict=True)
    )
    print(f"  of which read_answers x{n}: {reading}")
    print(f"           score() of the {n}: {scoring}")
    print(f"read_answers x{n} through openpyxl only: {slow}")
    print(
        f"  speed-up of the XML reader: {slow.wall / reading.wall:.1f}x wall, "
        f"{slow.cpu / reading.cpu:.1f}x CPU; same answers from both: {'yes' if same else 'NO'}"
    )
    with _Timer() as table:
        profile.to_frame()
    print(f"comparison table: {table.wall:.3f} s")


if __name__ == "__main__":
    main()
