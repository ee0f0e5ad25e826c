"""Benchmark of flows from stocks (issue 17).

Run: python benchmarks/bench_estimate.py

A 200 x 200 birthplace-by-residence stock table at two dates with births and deaths per
region (synthetic: native-born stocks of 10^5-10^8, foreign-born cells log-normal with 40%
empty, stocks at the end drawn independently so the accounts do not close and the global and
birthplace-total adjustments are exercised), estimated with the default method
(demographic accounting, stayer assumption, birthplace totals at the midpoint, native births,
proportional deaths). Target < 0.5 s; R migest's ffs_demo takes 3.3-4.5 s at this size here.

Baseline in the same run: the same estimate with the three-way IPF done one birthplace at a
time by the project's two-way ``migdata.mirror.ipf`` (a plain loop). A second case uses an
inverse-distance seed, where the IPF needs many iterations.

Wall and process CPU time are given; the machine is shared, so wall includes waiting.
"""

from __future__ import annotations

import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import time
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

import migdata.estimate.flows as flows_module
from migdata.estimate import flows_from_stocks
from migdata.estimate._kernel import ipf3, ipf3_reference

N = 200


def synthetic(n: int = N, seed: int = 17) -> dict[str, Any]:
    rng = np.random.default_rng(seed)
    labels = [f"R{i:03d}" for i in range(n)]
    native = np.exp(rng.uniform(np.log(1e5), np.log(1e8), n))

    def table() -> np.ndarray:
        m = rng.lognormal(6, 2.5, (n, n)) * (rng.random((n, n)) > 0.4)
        np.fill_diagonal(m, native * rng.uniform(0.97, 1.03, n))
        return np.round(m)

    s1, s2 = table(), table()
    pop = s1.sum(axis=0)
    births = np.round(pop * rng.uniform(0.1, 0.2, n))
    deaths = np.round(pop * rng.uniform(0.05, 0.1, n))

    def tidy(m: np.ndarray) -> pd.DataFrame:
        b, r = np.nonzero(m)
        return pd.DataFrame({"birth": np.array(labels)[b], "residence": np.array(labels)[r],
                             "stock": m[b, r]})  # fmt: skip

    xy = rng.uniform(0, 10_000, (n, 2))
    dist = np.sqrt(((xy[:, None] - xy[None]) ** 2).sum(-1)) + 1.0
    return {
        "stock_start": tidy(s1),
        "stock_end": tidy(s2),
        "births": pd.DataFrame({"region": labels, "births": births}),
        "deaths": pd.DataFrame({"region": labels, "deaths": deaths}),
        "seed": pd.DataFrame(1.0 / dist, index=labels, columns=labels),
    }


def timed(fn: Callable[[], Any], repeat: int = 3) -> tuple[float, float, Any]:
    best_wall, best_cpu, out = np.inf, np.inf, None
    for _ in range(repeat):
        w, c = time.perf_counter(), time.process_time()
        out = fn()
        best_wall = min(best_wall, time.perf_counter() - w)
        best_cpu = min(best_cpu, time.process_time() - c)
    return best_wall, best_cpu, out


def with_kernel(kernel: Callable[..., Any], **kwargs: Any) -> Any:
    flows_module.ipf3 = kernel  # type: ignore[assignment]
    try:
        return flows_from_stocks(**kwargs)
    finally:
        flows_module.ipf3 = ipf3  # type: ignore[assignment]


def main() -> None:
    data = synthetic()
    base = {k: data[k] for k in ("stock_start", "stock_end", "births", "deaths")}
    print(f"{N} x {N} stock table, {len(base['stock_start']):,} non-empty cells per date")
    cases = [("default (stayers, uniform seed)", {}),
             ("inverse-distance seed", {"seed": data["seed"]})]  # fmt: skip
    for name, extra in cases:
        w, c, est = timed(lambda extra=extra: flows_from_stocks(**base, **extra))
        bw, bc, ref = timed(lambda extra=extra: with_kernel(ipf3_reference, **base, **extra), 1)
        gap = np.max(np.abs(est.array - ref.array)) / est.array.sum()
        d = est.diagnostics
        print(
            f"\n{name}: {est.flows['flow'].sum():,.0f} movers, {d.iterations} IPF "
            f"iteration(s), converged={d.converged}, {len(d.adjustments)} adjustment(s)"
        )
        print(f"  vectorised : wall {w:6.3f} s  cpu {c:6.3f} s   (target < 0.5 s)")
        print(f"  loop (ipf) : wall {bw:6.3f} s  cpu {bc:6.3f} s   ratio {bw / w:5.1f}x")
        print(f"  largest difference between the two, relative to the total: {gap:.1e}")


if __name__ == "__main__":
    main()
