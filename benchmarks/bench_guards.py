"""Benchmark of the input-checking layer (run on demand, prints figures; no assertions).

    python benchmarks/bench_guards.py [n_rows] [garbage_rows]

In one run, times harmonise, classify_crossings and validate on 1 M rows with the checking
layer (``migdata._checks``: the @public boundary and the check_* calls) and without it
(the undecorated function with the checks replaced by no-ops), alternating the two and
keeping the best of each. Target: the layer costs under 5%. Then validates a file of
3 M garbage rows (about 11 problems each). Target: under 20 s with a capped report.
"""

from __future__ import annotations

import contextlib
import importlib
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))

import migdata
from migdata.exchange import _triage

# The modules, not the functions of the same name that the packages export.
validate_module = importlib.import_module("migdata.exchange.validate")
harmonise_module = importlib.import_module("migdata.sources.harmonise")
crossings_module = importlib.import_module("migdata.sources.crossings")
_CHECKED_MODULES = (harmonise_module, crossings_module)


@contextlib.contextmanager
def checks_off() -> Iterator[None]:
    """The check_* functions the public functions call, the screening of garbage and the
    formula note of validation, replaced by no-ops."""
    saved: list[tuple[Any, str, Any]] = []
    for module in _CHECKED_MODULES:
        for name in dir(module):
            if name.startswith("check_"):
                saved.append((module, name, getattr(module, name)))
                setattr(module, name, lambda value, *a, **k: value)
    saved.append((_triage, "screen", _triage.screen))
    _triage.screen = lambda frame, lines, flows: (frame, lines, _triage.Screened())
    saved.append((validate_module, "formula_cells", validate_module.formula_cells))
    validate_module.formula_cells = lambda frame: {}
    try:
        yield
    finally:
        for module, name, fn in saved:
            setattr(module, name, fn)


def best(fn: Callable[[], Any], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def compare(label: str, public: Callable[..., Any], args: tuple[Any, ...], kw: dict[str, Any],
            repeat: int = 3) -> None:  # fmt: skip
    raw = public.__wrapped__  # type: ignore[attr-defined]
    on, off = [], []
    for _ in range(repeat):  # alternate, so that load on the machine hits both alike
        on.append(best(lambda: public(*args, **kw), 1))
        with checks_off():
            off.append(best(lambda: raw(*args, **kw), 1))
    t_on, t_off = min(on), min(off)
    print(
        f"{label:<34} with checks {t_on:7.2f} s  without {t_off:7.2f} s  "
        f"cost {100 * (t_on / t_off - 1):+5.1f}% (target < 5%)"
    )


def national_table(n: int, rng: np.random.Generator) -> pd.DataFrame:
    countries = ["UGA", "KEN", "Tanzania", "COD", "Burundi", "ZMB", "Ouganda", "MWI"]
    return pd.DataFrame(
        {
            "year": rng.integers(1990, 2024, n),
            "country": rng.choice(countries, n),
            "sex": rng.choice(["homme", "femme", "ensemble"], n),
            "age": rng.choice([f"{a}-{a + 4}" for a in range(15, 65, 5)], n),
            "value": rng.integers(0, 1000, n).astype("float64"),
        }
    )


def garbage_file(path: Path, n: int) -> None:
    header = (
        "STRUCTURE,STRUCTURE_ID,ACTION,FREQ,REF_AREA,COUNTERPART_AREA,COUNTERPART_TYPE,SEX,"
        "AGE,TIME_PERIOD,OBS_VALUE,UNIT_MEASURE,OBS_STATUS,CONF_STATUS,TARGET,COMPLIANCE,"
        "SOURCE_ID,REPORTED_VALUE,ADJUSTMENT,COMMENT\n"
    )
    block = "".join(
        f"dataflow,COMESA:DF_MIG_IMM(1.0),I,Z,K{i},U{i},CITIZ,X,Q{i},20X{i},abc{i},PP,Q,Q,T,C,"
        f"S,x,y,=cmd|{i}\n"
        for i in range(1000)
    )
    with path.open("w", encoding="utf-8") as fh:
        fh.write(header)
        for _ in range(n // 1000):
            fh.write(block)


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
    n_garbage = int(sys.argv[2]) if len(sys.argv) > 2 else 3_000_000
    rng = np.random.default_rng(7)
    profile = migdata.SourceProfile(
        source_id="B", country="RWA", source_type="population_register", measures=["IMM"],
        threshold_months=6, threshold_basis="registration_rule",
    )  # fmt: skip
    compare("harmonise", migdata.harmonise, (national_table(n, rng), profile, "UN1998"), {})

    from bench_crossings import synthetic_movements
    from bench_exchange import synthetic

    moves = synthetic_movements(n)
    compare("classify_crossings", migdata.classify_crossings, (moves,), {"obs_end": "2024-01-01"},
            repeat=2)  # fmt: skip
    compare("validate (DataFrame)", migdata.validate_exchange, (synthetic(n),), {})

    folder = Path(tempfile.mkdtemp())
    path = folder / "garbage.csv"
    garbage_file(path, n_garbage)
    t0 = time.perf_counter()
    report = migdata.validate_exchange(path)
    t = time.perf_counter() - t0
    print(
        f"validate {n_garbage:,} garbage rows ({path.stat().st_size / 1e6:.0f} MB): {t:.1f} s "
        f"(target < 20 s); {len(report):,} problems, {len(report.frame):,} listed "
        f"(at most 1,000 per rule)"
    )
    print(report.summary().to_string())


if __name__ == "__main__":
    main()
