"""Benchmark of ``migdata run`` on a secretariat project with 21 members.

Each COMESA member sends one SDMX-CSV file (immigration by previous residence and emigration
by next residence, 20 partners, sex M/F/_T, 18 age groups and _T, 10 years: 22,800 rows) and
one returned questionnaire workbook (filled by the demo's seeded answerer). Targets (issue
10): the whole run < 60 s, a re-run with nothing changed < 5 s, a re-run after one member's
file changed < 15 s. Baseline measured in the same run: ``migdata.merge_submissions`` of
the same 21 files alone (the largest single call of the flow).

Run: ``python benchmarks/bench_project.py``. Prints wall and CPU (process) time: on a
shared machine the wall time includes waiting for a core.
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

import migdata
from migdata.demo.generate import fill_questionnaire
from migdata.demo.synthetic import demo_spec
from migdata.sources.profile import SourceProfile

YEARS = [str(y) for y in range(2014, 2024)]
AGES = ["_T", "Y_LT5"] + [f"Y{a}T{a + 4}" for a in range(5, 85, 5)] + ["Y_GE85"]


def member_table(code: str, members: list[str], rng: np.random.Generator) -> pd.DataFrame:
    partners = [m for m in members if m != code]
    parts = []
    for measure, ctype in (("IMM", "PREV_RES"), ("EMI", "NEXT_RES")):
        grid = pd.MultiIndex.from_product(
            [partners, AGES, YEARS], names=["counterpart_area", "age", "time_period"]
        ).to_frame(index=False)
        m = rng.integers(0, 5_000, len(grid)).astype(float)
        f = rng.integers(0, 5_000, len(grid)).astype(float)
        for sex, value in (("M", m), ("F", f), ("_T", m + f)):
            parts.append(
                grid.assign(
                    measure=measure, ref_area=code, counterpart_type=ctype, sex=sex, obs_value=value
                )
            )
    return pd.concat(parts, ignore_index=True)


def build(root: Path) -> list[str]:
    members = list(migdata.members("COMESA", year=2024))[:21]
    spec = demo_spec()
    examples = [spec.countries[c] for c in spec.codes]
    rng = np.random.default_rng(10)
    migdata.init_project(root, role="secretariat")
    for i, code in enumerate(members):
        folder = root / "submissions" / code
        migdata.write_exchange(member_table(code, members, rng), folder / f"{code}.csv")
        example = examples[i % len(examples)]
        country = {
            **example,
            "sources": [
                {**s, "source_id": s["source_id"].replace(s["source_id"][:3], code)}
                for s in example["sources"]
            ],
        }
        lang = example["language"]
        profiles = [
            SourceProfile.from_dict(
                {
                    "country": code,
                    **{k: v for k, v in s.items() if k in SourceProfile.__dataclass_fields__},
                }
            )
            for s in country["sources"]
        ]
        path = folder / f"{code}_{lang}.xlsx"
        migdata.write_template(path, lang=lang, country=code, sources=profiles)
        fill_questionnaire(path, country, lang, rng)
    return members


def timed(label: str, fn) -> tuple[float, float]:
    wall, cpu = time.perf_counter(), time.process_time()
    fn()
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    print(f"{label:<44} wall {wall:7.2f} s   cpu {cpu:7.2f} s")
    return wall, cpu


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "comesa"
        t0 = time.perf_counter()
        members = build(root)
        print(f"built 21 submissions + 21 workbooks in {time.perf_counter() - t0:.1f} s")
        files = sorted((root / "submissions").rglob("*.csv"))
        base, _ = timed(
            "baseline: merge_submissions of 21 files", lambda: migdata.merge_submissions(files)
        )
        project = migdata.Project.load(root)
        full, _ = timed("whole run (target < 60 s)", lambda: project.run(progress=False))
        same, _ = timed(
            "re-run, nothing changed (target < 5 s)",
            lambda: migdata.Project.load(root).run(progress=False),
        )
        path = root / "submissions" / members[3] / f"{members[3]}.csv"
        table = migdata.read_exchange(path).table
        table.loc[table.index[0], "obs_value"] += 1
        migdata.write_exchange(table, path)
        result = {}
        one, _ = timed(
            "re-run, one member's file changed (< 15 s)",
            lambda: result.setdefault("r", migdata.Project.load(root).run(progress=False)),
        )
        print(f"  reran: {', '.join(result['r'].ran)}")
        print(
            f"ratios to the baseline: whole {full / base:.1f}x, unchanged {same / base:.2f}x, "
            f"one changed {one / base:.1f}x"
        )
        ok = full < 60 and same < 5 and one < 15
        print("targets met" if ok else "TARGETS MISSED")
        sys.exit(0)


if __name__ == "__main__":
    main()
