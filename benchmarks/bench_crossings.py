"""Benchmark of the 12/16 border-crossing classifier (issue 3, item 5).

Generates synthetic linked border movements (seeded numpy: about 7 million persons over 10
years for 30 million movements), classifies them end to end from a DataFrame in memory
(sort included) and reports movements per second, extra peak memory and the speed ratio
against a pandas ``groupby(person).apply`` of the same rule on 1 million rows, measured in
the same run. Targets: >= 5 million movements/s, < 3 GB extra memory, >= 100x the baseline.

Run: ``python benchmarks/bench_crossings.py [--rows N] [--baseline-rows N] [--repeat N]``
(the best of the timed runs is reported, every run is printed).
"""

from __future__ import annotations

import argparse
import gc
import resource
import time
import tracemalloc

import numpy as np
import pandas as pd

from migdata.sources.crossings import classify_crossings

V, W = 365, 487
START = np.datetime64("2010-01-01", "s")
YEARS = 10
ROWS_PER_PERSON = 30 / 7  # 30 million movements for about 7 million persons


def synthetic_movements(rows: int, seed: int = 20240501) -> pd.DataFrame:
    """Movements in global time order: mostly alternating A/D per person, with 3% errors.

    Errors (a flipped direction) create the missing-record cases A A and D D.
    """
    rng = np.random.default_rng(seed)
    persons = max(1, round(rows / ROWS_PER_PERSON))
    person = rng.integers(0, persons, rows, dtype=np.int64)
    seconds = rng.integers(0, YEARS * 365 * 86_400, rows, dtype=np.int64)
    order = np.lexsort((seconds, person))
    p_sorted = person[order]
    first = np.ones(rows, dtype=bool)
    first[1:] = p_sorted[1:] != p_sorted[:-1]
    start_idx = np.maximum.accumulate(np.where(first, np.arange(rows), 0))
    rank = np.arange(rows) - start_idx
    starts_with_arrival = rng.random(persons) < 0.5
    arrival_sorted = (rank % 2 == 0) == starts_with_arrival[p_sorted]
    arrival_sorted ^= rng.random(rows) < 0.03
    arrival = np.empty(rows, dtype=bool)
    arrival[order] = arrival_sorted
    by_time = np.argsort(seconds, kind="stable")  # border feeds arrive in time order
    direction = pd.Categorical.from_codes(
        np.where(arrival[by_time], 0, 1).astype(np.int8), categories=["arrival", "departure"]
    )
    return pd.DataFrame(
        {
            "person_id": person[by_time],
            "time": (START + seconds[by_time]).astype("datetime64[ns]"),
            "direction": direction,
        }
    )


def _classify_one(group: pd.DataFrame, obs_end: int, data_start: int) -> pd.DataFrame:
    """The same rule for one person, in plain Python (the groupby.apply baseline)."""
    g = group.sort_values("time", kind="stable")
    days = (g["time"].to_numpy().astype("datetime64[D]").astype(np.int64)).tolist()
    arr = (g["direction"] == "arrival").tolist()
    n = len(days)
    status: int | None = (0 if arr[0] else 1) if days[0] - data_start >= V else None
    out_in, out_obs, out_outcome, out_lt = [], [], [], []
    for i in range(n):
        t = days[i]
        x = min(t + W, obs_end)
        h = 0
        for k in range(i, n):
            s = days[k]
            if s >= x:
                break
            if k == n - 1:
                e_in = (s, x) if arr[k] else (s, s)
            else:
                e = days[k + 1]
                m = s + (e - s) // 2
                if arr[k]:
                    e_in = (s, e) if not arr[k + 1] else (s, m)
                else:
                    e_in = (m, e) if not arr[k + 1] else (s, s)
            h += max(0, min(x, e_in[1]) - e_in[0])
        o = x - t
        toward = h if arr[i] else o - h
        if toward >= V:
            outcome = "reached"
        elif o - toward > W - V:
            outcome = "failed"
        else:
            outcome = "unknown"
        before = status
        side = 1 if arr[i] else 0
        if outcome == "reached":
            status = side
        elif outcome == "unknown" and status != side:
            status = None
        if before == 1 - side and status == side:
            lt: bool | None = True
        elif outcome == "failed" or before == side or status == 1 - side:
            lt = False
        else:
            lt = None
        out_in.append(h)
        out_obs.append(o)
        out_outcome.append(outcome)
        out_lt.append(lt)
    return pd.DataFrame(
        {"days_observed": out_obs, "days_in": out_in, "outcome": out_outcome, "long_term": out_lt},
        index=g.index,
    )


def baseline(moves: pd.DataFrame, obs_end: int, data_start: int) -> pd.DataFrame:
    return moves.groupby("person_id", sort=False, group_keys=False)[["time", "direction"]].apply(
        _classify_one, obs_end=obs_end, data_start=data_start
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=30_000_000)
    parser.add_argument("--baseline-rows", type=int, default=1_000_000)
    parser.add_argument("--chunk-rows", type=int, default=250_000)
    parser.add_argument("--repeat", type=int, default=3, help="timed runs (best is reported)")
    parser.add_argument("--skip-memory", action="store_true", help="skip the tracemalloc run")
    args = parser.parse_args()

    t0 = time.perf_counter()
    moves = synthetic_movements(args.rows)
    persons = moves["person_id"].nunique()
    print(
        f"synthetic data: {len(moves):,} movements, {persons:,} persons, {YEARS} years "
        f"(generated in {time.perf_counter() - t0:.1f} s)"
    )
    data_start = "2010-01-01"
    obs_end = str(np.datetime64("2010-01-01") + np.timedelta64(YEARS * 365, "D"))
    kwargs = {"data_start": data_start, "obs_end": obs_end, "chunk_rows": args.chunk_rows}

    gc.collect()
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    runs = []
    for _ in range(args.repeat):
        t0, c0 = time.perf_counter(), time.process_time()
        result = classify_crossings(moves, **kwargs)
        runs.append((time.perf_counter() - t0, time.process_time() - c0))
        if len(runs) < args.repeat:
            del result
            gc.collect()
    rss_after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    for k, (wall, cpu_k) in enumerate(runs, 1):
        print(
            f"  run {k}: {wall:.2f} s wall ({len(moves) / wall / 1e6:.2f} million/s), "
            f"{cpu_k:.2f} s CPU ({len(moves) / cpu_k / 1e6:.2f} million/s)"
        )
    elapsed, cpu = min(runs)  # the least disturbed run on a shared machine
    rate = len(moves) / elapsed
    print(
        f"vectorised (best of {len(runs)}): {elapsed:.2f} s wall, {rate / 1e6:.2f} million "
        f"movements/s (target >= 5); {cpu:.2f} s CPU, {len(moves) / cpu / 1e6:.2f} million/s "
        f"of CPU (the machine is shared: wall time includes waiting for a core)  "
        f"[{len(result.table):,} classified, {len(result.rejected):,} rejected]"
    )
    print("  outcomes:", result.table["outcome"].value_counts().to_dict())
    print(
        f"  max RSS grew by {(rss_after - rss_before) / 2**20:.2f} GB during the calls "
        "(ru_maxrss; a lower bound when earlier peaks were higher)"
    )
    del result
    gc.collect()

    if not args.skip_memory:
        tracemalloc.start()
        base_mem = tracemalloc.get_traced_memory()[0]
        result = classify_crossings(moves, **kwargs)
        peak = tracemalloc.get_traced_memory()[1] - base_mem
        tracemalloc.stop()
        print(
            f"  extra peak memory (tracemalloc, output included): {peak / 2**30:.2f} GB "
            "(target < 3)"
        )
        del result
        gc.collect()

    # Baseline: whole persons making up about --baseline-rows movements.
    cut = int(moves["person_id"].max() * min(1.0, args.baseline_rows / len(moves)))
    sample = moves[moves["person_id"] <= cut]
    t0 = time.perf_counter()
    vec_small = classify_crossings(sample, **kwargs).table
    small_elapsed = time.perf_counter() - t0
    t0, c0 = time.perf_counter(), time.process_time()
    slow = baseline(
        sample,
        int(np.datetime64(obs_end, "D").astype(np.int64)),
        int(np.datetime64(data_start, "D").astype(np.int64)),
    )
    slow_elapsed, slow_cpu = time.perf_counter() - t0, time.process_time() - c0
    slow_rate = len(sample) / slow_elapsed
    same = (
        slow.loc[vec_small.index, "days_in"].to_numpy() == vec_small["days_in"].to_numpy()
    ).all() and (
        slow.loc[vec_small.index, "outcome"].to_numpy()
        == vec_small["outcome"].astype(str).to_numpy()
    ).all()
    print(
        f"baseline groupby.apply on {len(sample):,} movements: {slow_elapsed:.1f} s, "
        f"{slow_rate:,.0f} movements/s; same days_in and outcomes as vectorised: {same}"
    )
    print(
        f"  vectorised on the same rows: {small_elapsed:.2f} s "
        f"({len(sample) / small_elapsed / 1e6:.2f} million/s)"
    )
    print(
        f"speed ratio (vectorised at full size / baseline): {rate / slow_rate:,.0f}x wall, "
        f"{(len(moves) / cpu) / (len(sample) / slow_cpu):,.0f}x CPU (target >= 100)"
    )


if __name__ == "__main__":
    main()
