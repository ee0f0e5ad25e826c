"""Benchmark of the 12/16 rule past one machine's memory, and of both cores in memory (issue 19).

Part 1 (Dask): synthetic linked border movements over 10 years are written once to a
Parquet dataset (files of whole persons' movements in random row order), then classified
on a local ``dask.distributed`` cluster with ``write=`` (Parquet read and write included)
and tabulated by year and direction from the written result. Reports movements/s end to
end, the peak memory of all processes (this one and the workers, summed, sampled every
0.2 s) and how time grows with size.

Part 2 (memory): movements in random row order (10 million, or each of
``--memory-rows``) classified from a DataFrame, sort included, on one thread and on all
cores in the same run.

Part 3 (census, only with ``--census-rows``): a synthetic census of N weighted person
records written as a Parquet dataset, ``census_stocks`` on Dask (``dd.read_parquet`` on a
local cluster: partial sums per partition) and on pandas (``pd.read_parquet``, the whole
table in memory, only up to ``--census-pandas-rows``, default 5 million) for comparison:
wall time, records/s and peak memory of each.

Run: ``python benchmarks/bench_scale.py [--rows 30e6,100e6] [--memory-rows 1e6,10e6,30e6]
[--workers 2] [--memory-limit 4GB] [--dir /tmp/bench_scale] [--census-rows 2e6]``. The
data are deleted at the end (``--keep`` keeps them).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).parent))
from bench_crossings import ROWS_PER_PERSON, synthetic_movements

from migdata.sources.crossings import classify_crossings, tabulate_crossings

FILE_ROWS = 5_000_000
KW = {"data_start": "2010-01-01", "obs_end": "2019-12-30", "today": "2030-01-01"}


def write_dataset(rows: int, folder: Path) -> float:
    """Write ``rows`` movements as Parquet files of whole persons; returns seconds."""
    t0 = time.perf_counter()
    folder.mkdir(parents=True)
    rng = np.random.default_rng(7)
    done, k = 0, 0
    while done < rows:
        n = min(FILE_ROWS, rows - done)
        part = synthetic_movements(n, seed=1000 + k)
        part["person_id"] += int(done / ROWS_PER_PERSON) + 10 * k  # persons of this file only
        part = part.iloc[rng.permutation(n)]  # random row order within the file
        part.to_parquet(folder / f"part-{k:04d}.parquet", index=False, row_group_size=1_000_000)
        done += n
        k += 1
    return time.perf_counter() - t0


class PeakMemory:
    """Peak of the summed resident memory of this process and its children."""

    def __init__(self) -> None:
        import psutil

        self.proc = psutil.Process()
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            total = 0
            for p in [self.proc, *self.proc.children(recursive=True)]:
                with contextlib.suppress(Exception):  # a process that just ended
                    total += p.memory_info().rss
            self.peak = max(self.peak, total)
            time.sleep(0.2)

    def __enter__(self) -> PeakMemory:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def dask_part(sizes: list[int], root: Path, workers: int, memory_limit: str) -> None:
    from distributed import Client, LocalCluster

    results = []
    for rows in sizes:
        data = root / f"in_{rows}"
        out = root / f"out_{rows}"
        gen = write_dataset(rows, data)
        size = sum(f.stat().st_size for f in data.glob("*.parquet")) / 2**30
        print(f"{rows:,} movements written to {data} in {gen:.0f} s ({size:.2f} GB)", flush=True)
        with (
            LocalCluster(
                n_workers=workers,
                threads_per_worker=1,
                memory_limit=memory_limit,
                dashboard_address=None,
                local_directory=str(root / "dask-scratch"),
            ) as cluster,
            Client(cluster),
            PeakMemory() as mem,
        ):
            t0, c0 = time.perf_counter(), time.process_time()
            result = classify_crossings(data, write=out, **KW)
            t1 = time.perf_counter()
            flows = tabulate_crossings(result, by=("year",))
            t2 = time.perf_counter()
        counts = result.summary().set_index("item")["count"]
        wall = t2 - t0
        results.append((rows, wall))
        print(
            f"  classify (read, shuffle, classify, write) {t1 - t0:.0f} s, tabulate {t2 - t1:.0f}"
            f" s: {rows / wall / 1e6:.2f} million movements/s end to end; peak memory of all "
            f"processes {mem.peak / 2**30:.2f} GB (target < 10); "
            f"{int(counts['rows classified']):,} classified, {int(counts['rows rejected']):,} "
            f"rejected, {len(flows)} flow cells; client CPU {time.process_time() - c0:.0f} s",
            flush=True,
        )
        shutil.rmtree(out)
        shutil.rmtree(data)
    if len(results) > 1:
        (r0, w0), *rest = results
        for r, w in rest:
            print(
                f"  time grows {w / w0:.2f}x for {r / r0:.2f}x the rows "
                f"({r0:,} -> {r:,}; linear would be {r / r0:.2f}x)"
            )


def memory_part(sizes: list[int]) -> None:
    """Each size in random row order, sort included, on one thread and on every core; the
    cost per row (ns) shows whether it stays flat with size."""
    cores = len(os.sched_getaffinity(0))
    per_row: dict[int, list[float]] = {}
    for rows in sizes:
        moves = synthetic_movements(rows)
        moves = moves.iloc[np.random.default_rng(1).permutation(rows)].reset_index(drop=True)
        classify_crossings(moves.iloc[:200_000], **KW)  # warm up
        for threads in (1, cores):
            runs = []
            for _ in range(2):
                t0, c0 = time.perf_counter(), time.process_time()
                classify_crossings(moves, threads=threads, **KW)
                runs.append((time.perf_counter() - t0, time.process_time() - c0))
            wall, cpu = min(runs)
            per_row.setdefault(threads, []).append(wall / rows * 1e9)
            print(
                f"in memory, {rows:,} movements in random row order, sort included, "
                f"{threads} thread(s): {wall:.2f} s wall, {rows / wall / 1e6:.2f} million/s, "
                f"{wall / rows * 1e9:.0f} ns per row (CPU {cpu:.2f} s); runs: "
                + ", ".join(f"{w:.2f} s" for w, _ in runs),
                flush=True,
            )
        del moves
    if len(sizes) > 1:
        for threads, costs in per_row.items():
            print(
                f"  cost per row, {threads} thread(s), {sizes[0]:,} -> {sizes[-1]:,} rows: "
                + " -> ".join(f"{c:.0f}" for c in costs)
                + f" ns (largest / smallest size: {costs[-1] / costs[0]:.2f}x; flat = 1)"
            )


CENSUS_FILE_ROWS = 1_000_000
CENSUS_COUNTRIES = np.array(
    ["RWA", "RWA", "RWA", "RWA", "COD", "UGA", "Kenya", "Burundi", "TZA", "Tanzanie", "FRA", "?"]
)
CENSUS_KW = {
    "weight_column": "weight",
    "arrival_column": "arrived",
    "months_present_column": "months_present",
    "intends_to_stay_column": "intends_to_stay",
    "residence_1y_column": "residence_1y",
}


def synthetic_census(rows: int, seed: int = 0) -> pd.DataFrame:
    """``rows`` weighted person records of a census of Rwanda: mostly native-born, a few
    short-term visitors (excluded by the rule), unresolved spellings and bad weights."""
    rng = np.random.default_rng(seed)
    pick = CENSUS_COUNTRIES
    birth = pick[rng.integers(0, len(pick), rows)]
    weight = rng.gamma(4.0, 25.0, rows).round(3).astype(object)
    weight[rng.random(rows) < 0.001] = "n/a"  # rejected
    return pd.DataFrame(
        {
            "country_of_birth": birth,
            "citizenship": np.where(
                rng.random(rows) < 0.8, birth, pick[rng.integers(0, len(pick), rows)]
            ),
            "sex": np.array(["F", "M"])[rng.integers(0, 2, rows)],
            "age": rng.integers(0, 100, rows),
            "weight": weight.astype(str),
            "arrived": np.where(birth != "RWA", rng.integers(1960, 2023, rows), np.nan),
            "months_present": np.where(rng.random(rows) < 0.02, rng.integers(0, 12, rows), 24),
            "intends_to_stay": np.array(["yes", "no", None])[rng.integers(0, 3, rows)],
            "residence_1y": np.where(
                rng.random(rows) < 0.97, "RWA", pick[rng.integers(0, len(pick), rows)]
            ),
        }
    )


def census_part(rows: int, root: Path, workers: int, memory_limit: str, pandas_rows: int) -> None:
    import dask.dataframe as dd
    from distributed import Client, LocalCluster

    from migdata.sources import SourceProfile
    from migdata.sources.census import census_stocks

    profile = SourceProfile(
        source_id="RWA-CEN",
        country="RWA",
        source_type="census",
        threshold_months=6,
        threshold_basis="observed",
    )
    data = root / f"census_{rows}"
    t0 = time.perf_counter()
    data.mkdir(parents=True)
    for k, start in enumerate(range(0, rows, CENSUS_FILE_ROWS)):
        part = synthetic_census(min(CENSUS_FILE_ROWS, rows - start), seed=k)
        part.to_parquet(data / f"part-{k:04d}.parquet", index=False, row_group_size=250_000)
    size = sum(f.stat().st_size for f in data.glob("*.parquet")) / 2**30
    print(
        f"census: {rows:,} person records written to {data} in "
        f"{time.perf_counter() - t0:.0f} s ({size:.2f} GB)",
        flush=True,
    )
    with (
        LocalCluster(
            n_workers=workers,
            threads_per_worker=1,
            memory_limit=memory_limit,
            dashboard_address=None,
            local_directory=str(root / "dask-scratch"),
        ) as cluster,
        Client(cluster),
        PeakMemory() as mem,
    ):
        t0 = time.perf_counter()
        on_dask = census_stocks(dd.read_parquet(data), profile, 2022, **CENSUS_KW)
        wall = time.perf_counter() - t0
    print(
        f"  Dask ({workers} workers, read included): {wall:.1f} s, {rows / wall / 1e6:.2f} "
        f"million records/s; peak memory of all processes {mem.peak / 2**30:.2f} GB; "
        f"{on_dask}",
        flush=True,
    )
    if rows > pandas_rows:
        print(
            f"  pandas not run: {rows:,} records > --census-pandas-rows {pandas_rows:,} "
            "(the whole table in one process needs about 1 KB per record)",
            flush=True,
        )
        shutil.rmtree(data)
        return
    with PeakMemory() as mem:
        t0 = time.perf_counter()
        in_memory = census_stocks(pd.read_parquet(data), profile, 2022, **CENSUS_KW)
        wall_pd = time.perf_counter() - t0
    print(
        f"  pandas (one process, read included): {wall_pd:.1f} s, "
        f"{rows / wall_pd / 1e6:.2f} million records/s; peak memory {mem.peak / 2**30:.2f} GB; "
        f"Dask/pandas time {wall / wall_pd:.2f}",
        flush=True,
    )
    pd.testing.assert_frame_equal(on_dask.stocks, in_memory.stocks, check_exact=False, rtol=1e-9)
    assert on_dask.rows_in == in_memory.rows_in and on_dask.counted == in_memory.counted
    assert len(on_dask.excluded) == len(in_memory.excluded)
    print("  same stocks, counts, rejected and excluded rows on both engines", flush=True)
    shutil.rmtree(data)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", default="30e6,100e6", help="sizes of the Dask runs")
    parser.add_argument(
        "--memory-rows", default="10e6", help="sizes of the in-memory runs, e.g. 1e6,3e6,10e6,30e6"
    )
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--memory-limit", default="4GB", help="per worker")
    parser.add_argument("--dir", default="/tmp/bench_scale")
    parser.add_argument("--keep", action="store_true")
    parser.add_argument("--skip-dask", action="store_true")
    parser.add_argument("--skip-memory", action="store_true")
    parser.add_argument(
        "--census-rows", type=float, default=None, help="census records (default: no census)"
    )
    parser.add_argument(
        "--census-pandas-rows",
        type=float,
        default=5e6,
        help="largest census also run on pandas for comparison",
    )
    args = parser.parse_args()
    root = Path(args.dir)
    try:
        if not args.skip_memory:
            memory_part([int(float(x)) for x in args.memory_rows.split(",") if x])
        if not args.skip_dask:
            sizes = [int(float(x)) for x in args.rows.split(",") if x]
            dask_part(sizes, root, args.workers, args.memory_limit)
        if args.census_rows:
            census_part(
                int(args.census_rows),
                root,
                args.workers,
                args.memory_limit,
                int(args.census_pandas_rows),
            )
    finally:
        if not args.keep and root.exists():
            shutil.rmtree(root)
    pd.set_option("display.width", 120)


if __name__ == "__main__":
    main()
