"""Benchmark of the exchange writers and validation on 1,000,000 observations.

Targets (issue 6): SDMX-CSV write < 5 s, Parquet write < 1 s, validation < 2 s. Baselines
measured in the same run: plain ``DataFrame.to_csv`` / ``DataFrame.to_parquet`` of the same
harmonised table. Run: ``python benchmarks/bench_exchange.py [n]``.

Each step is run ``repeat`` times and the best wall time is kept, with the process CPU time
(``time.process_time``) of that run: on a shared machine the wall time includes waiting for
a core, the CPU time does not (the writers are single-threaded, so wall is about CPU when
the machine is quiet).
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

import migdata
from migdata.exchange import registry
from migdata.exchange.validate import validate


def synthetic(n: int, seed: int = 1) -> pd.DataFrame:
    """A harmonised IMM/EMI/STK table of n observations with unique keys."""
    rng = np.random.default_rng(seed)
    members = migdata.members("COMESA", year=2024)[:20]
    partners = [*members, "_T", "_O", "_U", "FRA", "GBR", "USA", "CHN", "IND", "ZAF"]
    ages = ["_T", "Y_LT5"] + [f"Y{a}T{a + 4}" for a in range(5, 85, 5)] + ["Y_GE85"]
    years = [str(y) for y in range(1990, 2024)]
    sexes = ["M", "F", "_T"]
    measures = [("IMM", "CITIZENSHIP"), ("IMM", "PREV_RES"), ("EMI", "NEXT_RES"), ("STK", "BIRTH")]
    dims = [len(measures), len(members), len(partners), len(sexes), len(ages), len(years)]
    total = int(np.prod(dims))
    if n > total:
        raise SystemExit(f"at most {total:,} unique keys")
    flat = np.sort(rng.choice(total, size=n, replace=False))
    idx = np.unravel_index(flat, dims)
    mc = np.array(measures)[idx[0]]
    reported = rng.integers(0, 50_000, n).astype("float64")
    factor = rng.choice([1.0, 1.0, 1.25, 0.8333], n)
    table = pd.DataFrame(
        {
            "measure": pd.Series(mc[:, 0], dtype="str"),
            "ref_area": pd.Series(np.array(members)[idx[1]], dtype="str"),
            "counterpart_area": pd.Series(np.array(partners)[idx[2]], dtype="str"),
            "counterpart_type": pd.Series(mc[:, 1], dtype="str"),
            "sex": pd.Series(np.array(sexes)[idx[3]], dtype="str"),
            "age": pd.Series(np.array(ages)[idx[4]], dtype="str"),
            "time_period": pd.Series(np.array(years)[idx[5]], dtype="str"),
            "obs_value": reported * factor,
            "reported_value": reported,
            "adjustment": factor,
            "target": "UN2021_12M",
            "compliance": rng.choice(["MATCH", "PROXY", "APPROXIMATE"], n),
            "source_id": "SRC-" + pd.Series(np.array(members)[idx[1]], dtype="str"),
            "obs_status": rng.choice(["A", "E", "P"], n),
            "provenance": "synthetic benchmark row",
        }
    )
    # Consistent totals (_T = M + F where all three exist), as in a clean submission.
    key = ["measure", "ref_area", "counterpart_area", "counterpart_type", "age", "time_period"]
    parts = table[table["sex"] != "_T"].groupby(key)["obs_value"].agg(["sum", "size"])
    both = parts[parts["size"] == 2]["sum"].rename("_sum")
    merged = table.join(both, on=key)
    fix = (merged["sex"] == "_T") & merged["_sum"].notna()
    table["obs_value"] = np.where(fix, merged["_sum"], table["obs_value"])
    table["reported_value"] = np.where(fix, table["obs_value"], table["reported_value"])
    table["adjustment"] = np.where(fix, 1.0, table["adjustment"])
    return table.sample(frac=1.0, random_state=seed)


CPU: dict[str, float] = {}


def timed(label: str, fn, repeat: int = 1) -> float:
    best, best_cpu = float("inf"), float("inf")
    for _ in range(repeat):
        start, start_cpu = time.perf_counter(), time.process_time()
        fn()
        wall = time.perf_counter() - start
        if wall < best:
            best, best_cpu = wall, time.process_time() - start_cpu
    CPU[label] = best_cpu
    print(f"{label:<44} {best:7.2f} s wall  {best_cpu:7.2f} s CPU")
    return best


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
    table = synthetic(n)
    # Totals need not add up in synthetic data; validation reports them, which is part of the work.
    out = Path(tempfile.mkdtemp())
    print(f"{n:,} observations")
    base_csv = timed(
        "baseline DataFrame.to_csv", lambda: table.to_csv(out / "base.csv", index=False)
    )
    sdmx_csv = timed(
        "SDMX-CSV 2.0.0 write (sorted, formatted)", lambda: registry.write(table, out / "x.csv")
    )
    base_pq = timed("baseline DataFrame.to_parquet", lambda: table.to_parquet(out / "base.parquet"))
    parquet = timed(
        "Parquet write (zstd, dictionary, metadata)",
        lambda: registry.write(table, out / "x.parquet"),
        repeat=3,
    )
    val = timed("validate DataFrame (1 call)", lambda: validate(table))
    val_file = timed("validate SDMX-CSV file (read + validate)", lambda: validate(out / "x.csv"))
    read_csv = timed("read SDMX-CSV -> harmonised", lambda: registry.read(out / "x.csv"))
    read_pq = timed("read Parquet -> harmonised", lambda: registry.read(out / "x.parquet"))
    print()
    print(
        f"SDMX-CSV write  {sdmx_csv:6.2f} s  target < 5 s  ({'met' if sdmx_csv < 5 else 'MISSED'});"
        " "
        f"ratio to to_csv {sdmx_csv / base_csv:.2f}"
    )
    pq_cpu = CPU["Parquet write (zstd, dictionary, metadata)"]
    print(
        f"Parquet write   {parquet:6.2f} s  target < 1 s  ({'met' if parquet < 1 else 'MISSED'}); "
        f"CPU {pq_cpu:.2f} s; ratio to to_parquet {parquet / base_pq:.2f}"
    )
    print(f"validation      {val:6.2f} s  target < 2 s  ({'met' if val < 2 else 'MISSED'})")
    print(
        f"validate file {val_file:.2f} s, read csv {read_csv:.2f} s, read parquet {read_pq:.2f} s"
    )


if __name__ == "__main__":
    main()
