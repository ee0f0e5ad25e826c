"""Shared builders and hypothesis strategies of harmonised tables for the exchange tests."""

from __future__ import annotations

import pandas as pd
from hypothesis import strategies as st

from migdata.harmonised import HARMONISED_COLUMNS

KEY = ["measure", "ref_area", "counterpart_area", "counterpart_type", "sex", "age", "time_period"]
_FLOWS = [
    ("IMM", "CITIZENSHIP"),
    ("IMM", "PREV_RES"),
    ("EMI", "NEXT_RES"),
    ("STK", "BIRTH"),
    ("NAB", "RESIDENCE"),
    ("VISA", "CITIZENSHIP"),
]
_TEXT = st.text(
    alphabet=st.sampled_from(list("abcXYZ019 ,;\"'=+-@é\n")), min_size=1, max_size=12
).filter(lambda s: s.strip() == s)


def frame(rows: list[dict]) -> pd.DataFrame:
    """A harmonised table with the canonical dtypes from a list of row dicts."""
    data = {c: [r.get(c) for r in rows] for c in HARMONISED_COLUMNS}
    return pd.DataFrame({c: pd.Series(v, dtype=HARMONISED_COLUMNS[c]) for c, v in data.items()})


def sample() -> pd.DataFrame:
    """A small valid table: Kenya's immigrants from Uganda by sex, plus a stock row."""
    base = {
        "measure": "IMM",
        "ref_area": "KEN",
        "counterpart_area": "UGA",
        "counterpart_type": "CITIZENSHIP",
        "age": "_T",
        "time_period": "2020",
        "target": "UN2021_12M",
        "compliance": "MATCH",
        "source_id": "KEN-REG",
        "obs_status": "A",
        "adjustment": 1.0,
    }
    rows = [
        {**base, "sex": "M", "obs_value": 10.0, "reported_value": 10.0},
        {**base, "sex": "F", "obs_value": 12.5, "reported_value": 12.5},
        {
            **base,
            "sex": "_T",
            "obs_value": 22.5,
            "reported_value": 22.5,
            "provenance": '=HYPERLINK("http://x")',
        },
        {
            **base,
            "measure": "STK",
            "counterpart_type": "BIRTH",
            "sex": "_T",
            "obs_value": 1520.0,
            "reported_value": 1520.0,
            "time_period": "2021",
        },
    ]
    return frame(rows)


@st.composite
def tables(draw: st.DrawFn, max_rows: int = 12) -> pd.DataFrame:
    """Valid harmonised tables (unique keys, codes from the code lists, no totals to check)."""
    keys = draw(
        st.lists(
            st.tuples(
                st.sampled_from(_FLOWS),
                st.sampled_from(["KEN", "UGA", "RWA", "XKX"]),
                st.sampled_from(["ETH", "SSD", "_T", "_O", "_U"]),
                st.sampled_from(["M", "_U"]),  # no complete M/F/_T triple: totals never checked
                st.sampled_from(["_T", "Y15T19", "Y_LT5", "Y_GE85", "Y20"]),
                st.sampled_from(["1998", "2015", "2023"]),
            ),
            max_size=max_rows,
            unique=True,
        )
    )
    rows = []
    for (m, ct), ref, cp, sex, age, year in keys:
        value = draw(st.one_of(st.none(), st.floats(0, 1e12, allow_nan=False)))
        rows.append(
            {
                "measure": m,
                "ref_area": ref,
                "counterpart_area": cp,
                "counterpart_type": ct,
                "sex": sex,
                "age": age,
                "time_period": year,
                "obs_value": value,
                "reported_value": draw(st.one_of(st.none(), st.floats(0, 1e9, allow_nan=False))),
                "adjustment": draw(st.one_of(st.none(), st.floats(0.01, 100, allow_nan=False))),
                "target": draw(st.one_of(st.none(), st.sampled_from(["UN1998", "EU862"]))),
                "compliance": draw(st.one_of(st.none(), st.sampled_from(["MATCH", "PROXY"]))),
                "source_id": draw(st.one_of(st.none(), _TEXT)),
                "obs_status": "M" if value is None else draw(st.sampled_from([None, "A", "E"])),
                "provenance": draw(st.one_of(st.none(), _TEXT)),
            }
        )
    return frame(rows)


def canonical(table: pd.DataFrame) -> pd.DataFrame:
    """Rows sorted by key, harmonised columns only, fresh index (for comparisons)."""
    cols = [c for c in HARMONISED_COLUMNS if c in table.columns]
    return table[cols].sort_values(KEY).reset_index(drop=True)
