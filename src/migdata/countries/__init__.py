"""Country names and codes: multilingual resolution, code lists, country groups.

(Provisional first version: ISO codes, Eurostat codes and English names only; the full
multilingual resolver replaces it.)
"""

from __future__ import annotations

from typing import Any

import pandas as pd
import pycountry

__all__ = ["resolve"]

_EUROSTAT = {"EL": "GRC", "UK": "GBR", "XK": "XKX"}


def _one(value: Any) -> str | None:
    if value is None or (isinstance(value, float) and value != value):
        return None
    text = str(value).strip()
    if text.upper() in _EUROSTAT:
        return _EUROSTAT[text.upper()]
    try:
        return str(pycountry.countries.lookup(text).alpha_3)
    except LookupError:
        return None


def resolve(values: Any, to: str = "alpha3") -> Any:
    """Resolve country names or codes to ISO alpha-3 (unresolved -> NA)."""
    if isinstance(values, pd.Series):
        codes, uniques = pd.factorize(values, use_na_sentinel=True)
        mapped = [_one(u) for u in uniques]
        out = pd.array([mapped[c] if c >= 0 else None for c in codes], dtype="string")
        return pd.Series(out, index=values.index, name=values.name)
    if isinstance(values, list | tuple):
        return [_one(v) for v in values]
    return _one(values)
