"""Benchmark of the sources microdata rules (run on demand, prints figures; no assertions).

    /tmp/venv/bin/python benchmarks/bench_sources.py [n_rows]

Measures classify_cards and harmonise on synthetic inputs with messy labels, and compares
the card rule with a per-row Python loop of the same rule on a sample (the baseline).
Target: classify at least 1 million cards per second-scale run (vectorised; distinct labels
parsed once), and at least 20 times faster per row than the per-row loop.
"""

from __future__ import annotations

import sys
import time

import numpy as np
import pandas as pd

from migdata.sources import SourceProfile, classify_cards, harmonise
from migdata.sources._parse import _duration_one, excluded_purposes


def _cards(n: int, rng: np.random.Generator) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "direction": rng.choice(["A", "D", "arrivée", "sortie", "chegada"], n),
            "residence": rng.choice(["KEN", "Kenya", "RWA", "Ouganda", "Tanzania", "COD"], n),
            "intended_duration": rng.choice(
                ["1 an", "6 mois", "2 anos", "permanent", "3 weeks", "12", "4 months"], n
            ),
            "purpose": rng.choice(["work", "vacances", "negócios", "étude", "visit"], n),
        }
    )


def _per_row(cards: pd.DataFrame) -> list[str]:
    """The same rule, one card at a time (the baseline a naive implementation would be)."""
    excluded = set(excluded_purposes())
    purpose = {"work": "WORK", "vacances": "HOLIDAY", "negócios": "BUSINESS", "étude": "STUDY",
               "visit": "VISIT"}  # fmt: skip
    out = []
    for row in cards.itertuples(index=False):
        arrival = row.direction in ("A", "arrivée", "chegada")
        resident = row.residence == "RWA"
        months = _duration_one(row.intended_duration, 1.0) or 0.0
        if arrival == resident:
            out.append("non_migrant")
        elif months >= 12:
            out.append("long_term_migrant")
        elif months >= 3 and purpose[row.purpose] not in excluded:
            out.append("short_term_migrant")
        else:
            out.append("non_migrant")
    return out


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
    rng = np.random.default_rng(1)
    cards = _cards(n, rng)
    t0 = time.perf_counter()
    result = classify_cards(cards, "RWA", "UN1998")
    t_vec = time.perf_counter() - t0
    sample = cards.iloc[:50_000]
    t0 = time.perf_counter()
    _per_row(sample)
    t_loop = (time.perf_counter() - t0) * n / len(sample)
    print(
        f"classify_cards: {n:,} cards in {t_vec:.2f} s ({n / t_vec / 1e6:.2f} M cards/s); "
        f"{len(result.rejected):,} rejected"
    )
    print(
        f"per-row loop (50,000-row sample, scaled to {n:,}): {t_loop:.2f} s; "
        f"ratio {t_loop / t_vec:.1f}x (target >= 20x)"
    )

    # A national table with every key once: 30 years x ~250 partners x 3 sexes x 10 ages,
    # partners spelt as codes and English names, sexes in French.
    import pycountry

    names = [c.alpha_3 for c in pycountry.countries] + [c.name for c in pycountry.countries]
    countries = pd.Series(names[::2], dtype="string")  # one spelling per country
    grid = pd.MultiIndex.from_product(
        [
            range(1990, 2020),
            countries,
            ["homme", "femme", "ensemble"],
            [f"{a}-{a + 4}" for a in range(15, 65, 5)],
        ],
        names=["year", "country", "sex", "age"],
    ).to_frame(index=False)
    table = grid.assign(value=rng.integers(0, 1000, len(grid)))
    profile = SourceProfile(source_id="B", country="RWA", source_type="population_register",
                            measures=["IMM"], threshold_months=6,
                            threshold_basis="registration_rule")  # fmt: skip
    t0 = time.perf_counter()
    h = harmonise(table, profile, "UN1998")
    t_h = time.perf_counter() - t0
    print(f"harmonise: {len(table):,} rows in {t_h:.2f} s; {len(h.rejected):,} rejected")
    # "Congo" alone is ambiguous: the resolver never guesses, so its rows are rejected.
    for reason, count in h.rejected["reason"].value_counts().head(3).items():
        print(f"  rejected {count:,}: {reason}")


if __name__ == "__main__":
    main()
