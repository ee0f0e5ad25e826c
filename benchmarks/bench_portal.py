"""Benchmark of the portal against a live server (``migdata serve`` in its own process).

Targets (issue 16): 21 offices uploading 10 files each concurrently, no upload lost or
duplicated; 95th-percentile time to the validation report under 3 s for a 100,000-row file.
Baseline measured in the same run: ``migdata.validate_exchange`` of the same 100,000-row file
called directly (what the portal adds is HTTP, storage, hashing and the database).

Run: ``python benchmarks/bench_portal.py [--rows 100000] [--uploads 10] [--big 20]``.
Accounts use the production Argon2id parameters; signing in is done before the clock starts.
"""

from __future__ import annotations

import argparse
import asyncio
import re
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
import sqlalchemy as sa

import migdata
from migdata.portal import auth, db, uploads

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
AGES = ["_T", "Y_LT5"] + [f"Y{a}T{a + 4}" for a in range(5, 85, 5)] + ["Y_GE85"]


def member_file(folder: Path, country: str, rows: int, seed: int) -> Path:
    """A valid SDMX-CSV file of about ``rows`` observations reported by ``country``."""
    rng = np.random.default_rng(seed)
    codes = migdata.codelists()["CL_AREA"].codes
    partners = [c for c in codes if len(c) == 3 and not c.startswith("_") and c != country][:60]
    measures = [("IMM", "PREV_RES"), ("IMM", "CITIZENSHIP"), ("EMI", "NEXT_RES")]
    per_year = len(partners) * len(measures) * len(AGES)
    n_years = max(1, -(-rows // (per_year * 3)))  # ceiling: at least ``rows`` observations
    years = [str(y) for y in range(2024 - n_years, 2024)]
    grid = pd.MultiIndex.from_product(
        [range(len(measures)), partners, AGES, years], names=["m", "partner", "age", "year"]
    ).to_frame(index=False)
    male = rng.integers(0, 5000, len(grid)).astype(float)
    female = rng.integers(0, 5000, len(grid)).astype(float)
    mc = np.array(measures)[grid["m"].to_numpy()]
    base = pd.DataFrame({
        "measure": mc[:, 0], "ref_area": country, "counterpart_area": grid["partner"],
        "counterpart_type": mc[:, 1], "age": grid["age"], "time_period": grid["year"],
    })
    table = pd.concat([
        base.assign(sex="M", obs_value=male),
        base.assign(sex="F", obs_value=female),
        base.assign(sex="_T", obs_value=male + female),
    ], ignore_index=True).head(rows)
    return migdata.write_exchange(table, folder / f"{country}-{seed}.csv")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def sign_in(client, name: str, password: str) -> str:
    page = await client.get("/login")
    r = await client.post("/login", data={"username": name, "password": password,
                                         "csrf_token": CSRF.search(page.text).group(1)})
    assert r.url.path == "/home", f"{name} could not sign in"
    return CSRF.search(r.text).group(1)


async def upload(client, csrf: str, path: Path) -> tuple[float, str]:
    start = time.perf_counter()
    with path.open("rb") as fh:
        r = await client.post("/upload", data={"csrf_token": csrf, "kind": "exchange"},
                              files={"file": (path.name, fh, "text/csv")})
    elapsed = time.perf_counter() - start
    assert r.status_code == 200 and "/submissions/" in str(r.url), r.status_code
    return elapsed, str(r.url).rsplit("/", 1)[-1]


async def office(base: str, name: str, password: str, files: list[Path]) -> list[tuple]:
    import httpx

    async with httpx.AsyncClient(base_url=base, follow_redirects=True, timeout=600) as client:
        csrf = await sign_in(client, name, password)
        return [await upload(client, csrf, f) for f in files]  # one office: one after another


def pct(values: list[float], q: float) -> float:
    return float(np.percentile(values, q))


async def main_async(args: argparse.Namespace) -> None:
    import httpx

    work = Path(tempfile.mkdtemp(prefix="bench-portal-"))
    project = work / "project"
    (project / "portal").mkdir(parents=True)
    engine = db.connect(db.default_url(project))
    db.upgrade(engine)
    members = migdata.members("COMESA", year=2024)[:21]
    print(f"{len(members)} offices x {args.uploads} uploads of {args.small:,} rows; "
          f"{args.big} uploads of {args.rows:,} rows; project {project}")
    t0 = time.perf_counter()
    for c in members:
        auth.add_user(engine, c.lower(), f"{c.lower()}-bench-pw", role="office", country=c)
    print(f"accounts (production Argon2id): {time.perf_counter() - t0:.1f} s for {len(members)}")
    files = {c: [member_file(work, c, args.small, seed=i) for i in range(args.uploads)]
             for c in members}
    big = member_file(work, members[0], args.rows, seed=999)
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-c", "import sys; from migdata.cli import main; sys.exit(main())",
         "serve", str(project), "--port", str(port), "--insecure-cookies"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(600):
            try:
                if httpx.get(f"{base}/healthz").text == "ok":
                    break
            except httpx.TransportError:
                time.sleep(0.1)
        # 1. concurrency: every office uploads its files, all offices at once
        t0 = time.perf_counter()
        results = await asyncio.gather(*(
            office(base, c.lower(), f"{c.lower()}-bench-pw", files[c]) for c in members
        ))
        wall = time.perf_counter() - t0
        times = [t for r in results for t, _ in r]
        uids = [u for r in results for _, u in r]
        with engine.connect() as conn:
            subs = conn.execute(sa.select(db.submissions)).all()
        sent = {uploads.sha256_file(f) for fs in files.values() for f in fs}
        stored = [s.sha256 for s in subs]
        lost = sent - set(stored)
        duplicated = len(stored) - len(set(stored))
        on_disk = sum((project / s.path).is_file() for s in subs)
        current = [s for s in subs if s.status == "valid"]
        print(f"concurrent: {len(uids)} uploads in {wall:.1f} s (includes sign-in); "
              f"per upload p50 {pct(times, 50):.2f} s, p95 {pct(times, 95):.2f} s, "
              f"max {max(times):.2f} s")
        print(f"  stored {len(subs)} rows, {len(set(uids))} distinct ids, lost {len(lost)}, "
              f"duplicated {duplicated}, files on disk {on_disk}/{len(subs)}, "
              f"current valid per office {len(current)} (expected {len(members)})")
        # 2. time to the validation report of a 100,000-row file
        async with httpx.AsyncClient(base_url=base, follow_redirects=True, timeout=600) as c:
            csrf = await sign_in(c, members[0].lower(), f"{members[0].lower()}-bench-pw")
            big_times = [(await upload(c, csrf, big))[0] for _ in range(args.big)]
        direct_times = []
        for _ in range(3):  # median of three, the first call also builds the schemas
            t0 = time.perf_counter()
            report = migdata.validate_exchange(big)
            direct_times.append(time.perf_counter() - t0)
        direct = float(np.median(direct_times))
        print(f"{args.rows:,}-row file ({big.stat().st_size / 1e6:.1f} MB), {args.big} uploads "
              f"one after another: p50 {pct(big_times, 50):.2f} s, "
              f"p95 {pct(big_times, 95):.2f} s (target < 3 s); baseline validate_exchange "
              f"alone (median of 3) {direct:.2f} s ({len(report)} problems); ratio p95/baseline "
              f"{pct(big_times, 95) / direct:.2f}")
    finally:
        server.terminate()
        server.wait(timeout=30)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--small", type=int, default=2_000)
    parser.add_argument("--uploads", type=int, default=10)
    parser.add_argument("--big", type=int, default=20)
    asyncio.run(main_async(parser.parse_args()))


if __name__ == "__main__":
    main()
