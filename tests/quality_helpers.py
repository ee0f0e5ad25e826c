"""Synthetic answer tables over the real item bank, shared by the quality tests."""

from __future__ import annotations

import numpy as np
import pandas as pd

MODULES = ("STK", "IMM", "EMI", "NAB", "RP")


def synthetic_answers(
    items: pd.DataFrame, countries: tuple[str, ...], seed: int = 0, sources: int = 2
) -> pd.DataFrame:
    """Answers in the contract format: module items once, common items once per source."""
    rng = np.random.default_rng(seed)
    module_items = items[items["module"] != "COM"]
    common = items[items["module"] == "COM"]
    frames = []
    for country in countries:
        for module in MODULES:
            own = module_items[module_items["module"] == module]
            frames.append(own.assign(country=country, module=module, source_id=""))
            for k in range(sources):
                frames.append(
                    common.assign(country=country, module=module, source_id=f"{country}-S{k}")
                )
    t = pd.concat(frames, ignore_index=True)
    n = len(t)
    status = rng.choice(
        ["answered"] * 6 + ["dont_know", "missing", "not_applicable"], size=n
    ).astype(object)
    answered = status == "answered"
    level = np.where(answered & t["scored"].to_numpy(), rng.integers(0, 4, n), -1)
    value = np.where(answered, rng.choice(["yes", "no"], n), None)
    return pd.DataFrame(
        {
            "country": t["country"],
            "module": t["module"],
            "source_id": t["source_id"],
            "item_id": t["id"],
            "raw": value,
            "value": value,
            "level": pd.array([int(v) if v >= 0 else None for v in level], dtype="Int64"),
            "status": status,
            "sheet": t["module"],
            "cell": "D" + pd.Series(np.arange(n) + 5).astype(str),
        }
    )
