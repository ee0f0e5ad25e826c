"""Benchmark of the Bayesian mirror model, ``reconcile(table, method="bayes")`` (issue 18).

Run: python benchmarks/bench_bayes.py [--cases four,laplace,ten,all,calibration]

Cases (shared Eurostat mirror file, 2010-2019, totals, gravity covariates from the same file):

four
    SE, FI, IT, PL with Sweden as reference, full NUTS (2 chains x 1,000 draws after 500
    warm-up): wall and CPU time, max R-hat, smallest ESS, divergences. Target < 15 s,
    R-hat < 1.01, no divergences. Reference point (not re-run here: rstan cannot be
    installed): MigMod, 2 chains x 1,000 iterations, took 29-47 s with max R-hat 1.07 and
    7-12 divergences on this machine (issue 18).
laplace
    The same four countries with ``inference="laplace"``: time (cold: including JAX
    compilation; warm: a second call in the same process) and the median relative
    difference of its posterior medians from the NUTS ones of case ``four``. Target < 2 s.
ten
    Ten two-sided reporters (Sweden and the first nine others in alphabetical order), NUTS.
    Target < 40 s
    (MigMod: 98-115 s).
all
    Every country of the file: the 16 two-sided reporters and every one-sided partner,
    every corridor-year including those no side reported, NUTS. Target < 5 minutes.
    ``--all-warmup`` sets its warm-up (default 500, as ``reconcile``).
calibration
    Data simulated from the model (8 countries x 10 years, seeded), NUTS: share of true
    flows inside their 90% intervals (target 85-95%), then the same with Laplace.

Wall time includes waiting for a core on a shared machine; CPU time (process, all threads)
does not. Chains run side by side, one per core (``sampler["chain_method"]``).

Compilation: JAX compiles the model for each table shape. migdata keeps compiled models in a
persistent cache (``MIGDATA_JAX_CACHE``, default ``~/.cache/migdata/jax``). This benchmark
starts from an EMPTY cache in a temporary folder, so every first figure includes
compilation ("cold"); case ``four`` and ``laplace`` are then re-run in a fresh process
with the filled cache ("cached": what a user sees on every run after the first on a
machine) and, for Laplace, a second time in the same process ("warm").
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np

from migdata.mirror import MirrorTable, reconcile
from migdata.mirror.bayes import _simulate
from migdata.mirror.eurostat import resolve_countries

DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
FILE = DATA / "eurostat_mirror_flows_2010_2019.csv"


def _run(table: MirrorTable, **kw: object) -> tuple[object, float, float]:
    w0, c0 = time.perf_counter(), time.process_time()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", RuntimeWarning)
        rec = reconcile(table, "bayes", covariates=FILE, **kw)  # type: ignore[arg-type]
    for w in caught:
        print(f"  warning: {w.message}")
    return rec, time.perf_counter() - w0, time.process_time() - c0


def _report(name: str, rec: object, wall: float, cpu: float) -> None:
    s = rec.sampler  # type: ignore[attr-defined]
    flows = rec.flows  # type: ignore[attr-defined]
    print(f"{name}: {len(flows):,} corridor-years ({flows['sides'].value_counts().to_dict()}); "
          f"wall {wall:.1f} s, CPU {cpu:.1f} s; max R-hat {s['max_rhat']:.4f}, "
          f"min ESS {s['min_ess']:.0f}, divergences {s['divergences']}, "
          f"{s.get('mean_leapfrog_steps', float('nan')):.0f} leapfrog steps per draw, "
          f"chains {s.get('chain_method')}", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--cases", default="four,laplace,ten,all,calibration")
    parser.add_argument("--all-warmup", type=int, default=500,
                        help="warm-up iterations of case all (default 500, as reconcile)")
    parser.add_argument("--cached", action="store_true",
                        help="(internal) a re-run with the cache filled by the parent")
    args = parser.parse_args()
    cases = args.cases.split(",")
    if not args.cached:
        os.environ["MIGDATA_JAX_CACHE"] = tempfile.mkdtemp(prefix="migdata-jax-")
    tag = " [cached compilation, fresh process]" if args.cached else ""
    table = MirrorTable.from_eurostat(FILE)
    print(repr(table), flush=True)
    nuts_four = None
    if "four" in cases or "laplace" in cases:
        c = ["SWE", "FIN", "ITA", "POL"]
        t4 = table.select(origin=c, destination=c)
        if "four" in cases:
            nuts_four, wall, cpu = _run(t4, reference="SE")
            _report(f"four countries, NUTS 2 x 1,000{tag}", nuts_four, wall, cpu)
        if "laplace" in cases:
            lap, wall, cpu = _run(t4, reference="SE", inference="laplace")
            first = "cached compilation, fresh process" if args.cached else "cold, compiling"
            print(f"four countries, Laplace ({first}): wall {wall:.1f} s, "
                  f"CPU {cpu:.1f} s", flush=True)
            lap, wall, cpu = _run(t4, reference="SE", inference="laplace")
            print(f"four countries, Laplace (warm): wall {wall:.1f} s, CPU {cpu:.1f} s",
                  flush=True)
            if nuts_four is not None:
                a = lap.flows["harmonised"].to_numpy()  # type: ignore[attr-defined]
                b = nuts_four.flows["harmonised"].to_numpy()  # type: ignore[attr-defined]
                rel = np.abs(a - b) / b
                print(f"  Laplace vs NUTS posterior medians of the flows: median relative "
                      f"difference {np.median(rel):.4f}, 90th percentile "
                      f"{np.quantile(rel, 0.9):.4f}", flush=True)
    if not args.cached and ("four" in cases or "laplace" in cases):
        again = ",".join(c for c in ("four", "laplace") if c in cases)
        subprocess.run([sys.executable, __file__, "--cases", again, "--cached"], check=True)
    if "ten" in cases:
        both = table.data.loc[table.data["reported_by"] == "both"]
        two_sided = sorted(set(both["origin"]) & set(both["destination"]))
        ten = sorted(["SWE", *[c for c in two_sided if c != "SWE"][:9]])
        t10 = table.select(origin=ten, destination=ten)
        rec, wall, cpu = _run(t10, reference="SE")
        _report(f"ten two-sided reporters {ten}, NUTS", rec, wall, cpu)
    if "all" in cases:
        both = table.data.loc[table.data["reported_by"] == "both"]
        n2 = len(set(both["origin"]) & set(both["destination"]))
        rec, wall, cpu = _run(table, reference="SE", warmup=args.all_warmup)
        _report(f"all {len(table.countries)} countries ({n2} two-sided reporters), NUTS "
                f"(warm-up {args.all_warmup})", rec, wall, cpu)  # fmt: skip
    if "calibration" in cases:
        codes = ["SE", "FI", "NO", "DK", "IT", "PL", "DE", "FR"]
        frame, truth = _simulate(codes, list(range(2010, 2020)), seed=11)
        truth = truth.assign(origin=resolve_countries(truth["Sending_iso2"]),
                             destination=resolve_countries(truth["Receiving_iso2"]),
                             year=truth["Year"])  # fmt: skip
        w0 = time.perf_counter()
        sim = MirrorTable.from_eurostat(frame)
        rec = reconcile(sim, "bayes", reference="SE", quality="table")
        m = rec.flows.merge(truth[["origin", "destination", "year", "true_flow"]])
        inside = (m["true_flow"] >= m["lower"]) & (m["true_flow"] <= m["upper"])
        by = inside.groupby(m["sides"]).mean().round(3).to_dict()
        print(f"calibration (8 countries x 10 years, simulated): {inside.mean():.3f} of "
              f"{len(m)} true flows inside their 90% intervals ({by}); "
              f"{time.perf_counter() - w0:.1f} s; R-hat {rec.sampler['max_rhat']:.4f}",
              flush=True)  # fmt: skip
        w0 = time.perf_counter()
        lap = reconcile(sim, "bayes", reference="SE", quality="table", inference="laplace")
        m = lap.flows.merge(truth[["origin", "destination", "year", "true_flow"]])
        inside = (m["true_flow"] >= m["lower"]) & (m["true_flow"] <= m["upper"])
        by = inside.groupby(m["sides"]).mean().round(3).to_dict()
        print(f"  the same with Laplace: {inside.mean():.3f} inside ({by}); "
              f"{time.perf_counter() - w0:.1f} s", flush=True)


if __name__ == "__main__":
    main()
