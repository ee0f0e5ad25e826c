"""Benchmark: every metadata document for 21 countries x 5 modules (issue 15, target < 10 s).

Writes 21 COMESA workbooks (four languages in rotation; each describes a census, a
population register and a residence-permit register, so all five modules have source
blocks), fills them with the seeded random answers of ``bench_quality.fill``, then times
``write_documents`` (inventory, SIMS with its ESMS/ESQRS selections and SDMX-ML message,
glossary, catalogue) in French. Baseline measured in the same run: reading and scoring the
same workbooks (``read_answers`` + ``score``), the work any use of the answers pays. Run:
``python benchmarks/bench_metadata.py [FOLDER]``.
"""

from __future__ import annotations

import random
import sys
import tempfile
import warnings
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_quality import LANGUAGES, _Timer, fill

import migdata
from migdata.metadata.documents import write_documents

TARGET_SECONDS = 10.0
SOURCES = ["census", "population_register", "residence_permits"]


def main() -> None:
    warnings.simplefilter("ignore")
    rng = random.Random(20261206)
    folder = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(tempfile.mkdtemp(prefix="bmd_"))
    countries = migdata.members("COMESA", year=2024)
    if not any(folder.glob("*.xlsx")):
        folder.mkdir(parents=True, exist_ok=True)
        for k, country in enumerate(countries):
            language = LANGUAGES[k % len(LANGUAGES)]
            path = migdata.write_template(
                folder / f"{country}.xlsx", lang=language, country=country, sources=SOURCES
            )
            fill(path, language, rng)
    files = sorted(folder.glob("*.xlsx"))
    with _Timer() as base:
        answers = [migdata.read_answers(p) for p in files]
        migdata.score(answers)
    out = Path(tempfile.mkdtemp(prefix="bmd_out_"))
    with _Timer() as docs:
        written = write_documents(answers, out, lang="fr")
    with _Timer() as whole:
        write_documents(files, out, lang="fr", force=True)
    modules = {m for a in answers for m in a.table["module"].unique()}
    print(f"{len(files)} countries, modules {sorted(modules)}, {len(written)} files in {out}")
    print(f"baseline: read + score the workbooks      {base}")
    print(f"documents from read answers               {docs}  ({docs.wall / base.wall:.2f}x)")
    print(
        f"documents from the files (read included)  {whole}  target {TARGET_SECONDS:.0f} s: "
        f"{'met' if whole.wall < TARGET_SECONDS else 'NOT met'}"
    )


if __name__ == "__main__":
    main()
