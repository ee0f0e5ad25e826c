"""Benchmark of migdata.countries.resolve on a large messy column.

1,000,000 cells drawn from about 300 distinct spellings (codes, numbers, names in English,
French, Portuguese and Arabic, casing/accent/whitespace variants, aliases, unknowns).
Target (issue 2): under 0.3 s, and at least 50 times faster than calling
``pycountry.countries.lookup`` per cell (measured on a 20,000-cell sample, scaled).

Issue 14 adds, in the same run: the index build time (cold: normalising every name; warm:
read from the disk cache; both in a fresh interpreter), and the coverage of the CLDR names
of each language (right / ambiguous / unresolved / wrong) and of the UN official names.

Run: ``python benchmarks/bench_countries.py``
"""

from __future__ import annotations

import gettext
import os
import subprocess
import sys
import tempfile
import time
import unicodedata

import numpy as np
import pandas as pd
import pycountry

from migdata.countries import resolve, resolve_detailed

N_CELLS = 1_000_000
BASELINE_SAMPLE = 20_000
TARGET_SECONDS = 0.3
TARGET_RATIO = 50.0


def _strip_accents(text: str) -> str:
    return "".join(
        ch for ch in unicodedata.normalize("NFKD", text) if not unicodedata.combining(ch)
    )


def spellings(seed: int = 1) -> list[object]:
    """About 300 distinct messy spellings, deterministic for a seed."""
    rng = np.random.default_rng(seed)
    countries = list(pycountry.countries)
    tr = {
        lang: gettext.translation("iso3166-1", pycountry.LOCALES_DIR, languages=[lang])
        for lang in ("fr", "pt", "ar")
    }
    picks = rng.choice(len(countries), size=220, replace=False)
    out: list[object] = []
    for i, k in enumerate(picks):
        c = countries[int(k)]
        form = i % 11
        if form == 0:
            out.append(c.alpha_2.lower())
        elif form == 1:
            out.append(c.alpha_3)
        elif form == 2:
            out.append(int(c.numeric))
        elif form == 3:
            out.append(f"{int(c.numeric)}.0")
        elif form == 4:
            out.append(f"  {c.name.upper()} ")
        elif form == 5:
            out.append(_strip_accents(tr["fr"].gettext(c.name)).lower())
        elif form == 6:
            out.append(tr["pt"].gettext(c.name))
        elif form == 7:
            out.append(tr["ar"].gettext(c.name))
        elif form == 8:
            out.append(tr["fr"].gettext(c.name).upper())
        elif form == 9:
            out.append(c.name.replace(" ", "  "))
        else:
            out.append(c.name)
    out += [
        "Ivory Coast",
        "Cote d Ivoire",
        "Costa do Marfim",
        "ساحل العاج",
        "Zaire",
        "Zaïre",
        "Congo",
        "Congo-Brazzaville",
        "RDC",
        "DRC",
        "Swaziland",
        "Cape Verde",
        "Burma",
        "Kosovo",
        "XK",
        "EL",
        "UK",
        "Czech Republic",
        "Turkey",
        "USA",
        "Tanzania",
        "Inde",
        "USSR",
        "Yugoslavia",
        "Czechoslovakia",
        "Serbia and Montenegro",
        "Korea",
        "Guiné",
        "Congo, Democratic Republic of the",
        "Gambia, The",
        "St. Lucia",
        "Bosnia & Herzegovina",
        "Kenia",
        "Zimbabwee",
        "Tanzanai",
        "Narnia",
        "Unknown",
        "Other",
        "Stateless",
        "n/a",
        "??",
        "",
        "   ",
        None,
        999,
        404.0,
        "404",
        " 4 ",
        "Totale",
        "Autres pays",
    ]
    out += [f"Country {i}" for i in range(300 - len(out))]
    return out


COVERAGE_LANGUAGES = ["en", "fr", "pt", "ar", "sw", "am", "so", "es", "de", "it", "ru", "zh", "rw"]

_BUILD = (
    "import time; t0 = time.perf_counter(); import migdata.countries._index as m; "
    "t1 = time.perf_counter(); m.index(); print(t1 - t0, time.perf_counter() - t1)"
)


def build_times() -> None:
    """Index build time in a fresh interpreter: cold (no cache) and warm (disk cache)."""
    with tempfile.TemporaryDirectory() as folder:
        env = dict(os.environ, MIGDATA_CACHE_DIR=folder)
        for label in ("cold (normalise every name, write the cache)", "warm (read the cache)"):
            out = subprocess.run(
                [sys.executable, "-c", _BUILD], env=env, capture_output=True, text=True, check=True
            ).stdout.split()
            print(f"index build, {label}: {float(out[1]):.2f} s (import {float(out[0]):.2f} s)")


def coverage() -> None:
    """How the CLDR names of each language, and the UN names, resolve."""
    from migdata.countries._index import index, name_entries

    entries = pd.DataFrame(name_entries(), columns=["name", "code", "source"])
    entries = entries[entries["code"].isin(index().records.index)]
    result = resolve_detailed(entries["name"].tolist())
    entries["got"] = result.codes.fillna("").to_numpy()
    entries["status"] = result.status.astype(str).to_numpy()
    entries["outcome"] = np.select(
        [
            entries["got"] == entries["code"],
            entries["got"] != "",
            entries["status"] == "ambiguous",
        ],
        ["right", "wrong", "ambiguous"],
        "unresolved",
    )
    cldr = entries[entries["source"].str.startswith("cldr:")].copy()
    cldr["language"] = cldr["source"].str[5:].str.split()
    cldr = cldr.explode("language")
    table = pd.crosstab(cldr["language"], cldr["outcome"])
    table = table.reindex(columns=["right", "ambiguous", "unresolved", "wrong"], fill_value=0)
    print(f"CLDR names: {cldr['language'].nunique()} languages, {len(cldr):,} (language, name)")
    print("  language  names   right  ambiguous  unresolved  wrong")
    for lang in COVERAGE_LANGUAGES:
        if lang in table.index:
            row = table.loc[lang]
            n = int(row.sum())
            print(
                f"  {lang:<8} {n:>6} {row['right'] / n:>7.1%} {row['ambiguous'] / n:>10.1%} "
                f"{row['unresolved'] / n:>11.1%} {int(row['wrong']):>6}"
            )
    total = table.sum()
    n = int(total.sum())
    print(
        f"  {'all':<8} {n:>6} {total['right'] / n:>7.1%} {total['ambiguous'] / n:>10.1%} "
        f"{total['unresolved'] / n:>11.1%} {int(total['wrong']):>6}"
    )
    # The same names typed carelessly: capitals, no accents, no hamza (held-out spellings).
    messy = cldr[cldr["language"].isin(COVERAGE_LANGUAGES)].drop_duplicates(["name", "code"])
    typed = [_strip_accents(str(n)).upper() for n in messy["name"]]
    got = resolve_detailed(typed)
    codes = got.codes.fillna("").to_numpy()
    right = int((codes == messy["code"].to_numpy()).sum())
    wrong = int(((codes != "") & (codes != messy["code"].to_numpy())).sum())
    ambiguous = int((got.status.astype(str).to_numpy() == "ambiguous").sum())
    n = len(typed)
    print(
        f"  same names in capitals without accents ({n} distinct): right {right / n:.1%}, "
        f"ambiguous {ambiguous / n:.1%}, unresolved {(n - right - wrong - ambiguous) / n:.1%}, "
        f"wrong {wrong}"
    )
    un = entries[entries["source"].str.startswith("un:")].copy()
    un["language"] = un["source"].str.split(":").str[1]
    table = pd.crosstab(un["language"], un["outcome"]).reindex(
        columns=["right", "ambiguous", "unresolved", "wrong"], fill_value=0
    )
    print("UN official names (UNTERM short/formal, M49)")
    for lang, row in table.iterrows():
        n = int(row.sum())
        print(
            f"  {lang:<8} {n:>6} {row['right'] / n:>7.1%} {row['ambiguous'] / n:>10.1%} "
            f"{row['unresolved'] / n:>11.1%} {int(row['wrong']):>6}"
        )


def main() -> None:
    """Run the benchmark and print the figures."""
    build_times()
    coverage()
    values = spellings()
    rng = np.random.default_rng(2)
    draw = rng.integers(0, len(values), size=N_CELLS)
    pool = np.empty(len(values), dtype=object)
    pool[:] = values
    cells = pd.Series(pool[draw], dtype=object, name="country")
    print(f"{N_CELLS:,} cells, {len(set(map(repr, values)))} distinct spellings")

    resolve(cells.iloc[:1000])  # build the index once (cached), as in any session
    timings = []
    for _ in range(5):
        t0 = time.perf_counter()
        out = resolve(cells)
        timings.append(time.perf_counter() - t0)
    best = min(timings)
    resolved_share = float(out.notna().mean())
    print(
        f"resolve (object column): best {best:.3f} s, median {np.median(timings):.3f} s "
        f"of 5 runs; {resolved_share:.1%} of cells resolved"
    )

    text = cells.astype("string")  # what read_csv gives in pandas 3 (for text columns)
    t_text = []
    for _ in range(5):
        t0 = time.perf_counter()
        resolve(text)
        t_text.append(time.perf_counter() - t0)
    print(f"resolve (string column): best {min(t_text):.3f} s")

    t0 = time.perf_counter()
    report = resolve_detailed(cells).report
    t_report = time.perf_counter() - t0
    print(f"resolve_detailed with report ({len(report)} rows, suggestions): {t_report:.3f} s")

    sample = cells.iloc[:BASELINE_SAMPLE].tolist()
    t0 = time.perf_counter()
    hits = 0
    for value in sample:
        try:
            pycountry.countries.lookup(str(value).strip())
            hits += 1
        except LookupError:
            pass
    per_cell = (time.perf_counter() - t0) / BASELINE_SAMPLE
    baseline = per_cell * N_CELLS
    print(
        f"baseline pycountry.countries.lookup per cell: {per_cell * 1e6:.1f} us/cell on "
        f"{BASELINE_SAMPLE:,} cells ({hits / BASELINE_SAMPLE:.1%} found) -> "
        f"{baseline:.1f} s for {N_CELLS:,} cells"
    )
    ratio = baseline / best
    print(f"target: < {TARGET_SECONDS} s  -> {'met' if best < TARGET_SECONDS else 'NOT met'}")
    print(
        f"speed-up over per-cell lookup: {ratio:,.0f}x (target >= {TARGET_RATIO:.0f}x) -> "
        f"{'met' if ratio >= TARGET_RATIO else 'NOT met'}"
    )


if __name__ == "__main__":
    main()
