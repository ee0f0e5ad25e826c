"""Keeping validation fast on files full of errors (private).

A file of garbage (millions of rows, ten problems each) would spend its time building a
report nobody reads. :func:`screen` counts the code and pattern problems of every cell
with vectorised look-ups of the distinct values, then passes on to the full rules only
the rows without such problems and the first rows that have them; :func:`cap` lists at
most :data:`~migdata._limits.MAX_PROBLEMS_PER_RULE` problems per rule and counts the rest.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from migdata._limits import MAX_PROBLEMS_PER_RULE

__all__ = ["Screened", "cap", "screen"]

SCREEN_FROM_CELLS = 200_000
"""Screening starts when the code and pattern problems exceed this number of cells."""
SAMPLE_ROWS = 10_000
"""Rows of the sample that tells whether a large file needs screening at all."""


@dataclass
class Screened:
    """What screening found: problems counted per rule, rows left out of the full rules."""

    counts: dict[str, int] = field(default_factory=dict)
    rows_left_out: int = 0
    notes: list[str] = field(default_factory=list)


def _bad_cells(values: pd.Series, codes: Any, pattern: str | None) -> np.ndarray:
    """Cells (not empty) whose value is not a code of the list or does not match the pattern."""
    import pyarrow as pa
    import pyarrow.compute as pc

    try:  # in Arrow's C kernels: no Python object per cell
        arr = (
            pa.array(values.astype("string[pyarrow]")) if len(values) else pa.array([], pa.string())
        )
        if pattern is not None:
            ok = pc.match_substring_regex(arr, f"^(?:{pattern})$")
        else:
            ok = pc.is_in(arr, value_set=pa.array(sorted(map(str, codes)), pa.string()))
        bad = pc.and_(pc.invert(ok), pc.not_equal(arr, ""))
        return np.asarray(pc.fill_null(bad, False).to_numpy(zero_copy_only=False), dtype=bool)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError, TypeError):
        pass  # a pattern RE2 does not take: the distinct values one by one
    positions, uniques = pd.factorize(values, use_na_sentinel=True)
    text = pd.Index(uniques).astype("str")
    if pattern is not None:
        rx = re.compile(pattern)
        bad_unique = np.array([rx.fullmatch(t) is None for t in text], dtype=bool)
    else:
        bad_unique = ~text.isin(list(codes))
    bad_unique &= text != ""
    out = np.zeros(len(values), dtype=bool)
    known = positions >= 0
    out[known] = bad_unique[positions[known]]
    return out


def screen(
    frame: pd.DataFrame, lines: np.ndarray, flows: list[Any]
) -> tuple[pd.DataFrame, np.ndarray, Screened]:
    """The rows the full rules check (all of them unless the file is mostly errors)."""
    found = Screened()
    if len(frame) * max(len(frame.columns), 1) < SCREEN_FROM_CELLS or not flows:
        return frame, lines, found
    comps = {c.id: c for f in flows for c in f.structure.components}
    if len(frame) > SAMPLE_ROWS:
        # A sample spread over the file decides first: a sound file costs a few ms here.
        sample = frame.iloc[:: len(frame) // SAMPLE_ROWS]
        bad_sample = sum(
            int(_bad_cells(sample[n], comps[n].codelist.codes, comps[n].codelist.pattern).sum())
            for n in sample.columns
            if getattr(comps.get(n), "codelist", None) is not None
        )
        if bad_sample * len(frame) / len(sample) <= SCREEN_FROM_CELLS:
            return frame, lines, found
    per_column: dict[str, np.ndarray] = {}
    for name in frame.columns:
        comp = comps.get(name)
        cl = getattr(comp, "codelist", None)
        if cl is None:
            continue
        per_column[name] = _bad_cells(frame[name], cl.codes, cl.pattern)
    total = sum(int(m.sum()) for m in per_column.values())
    if total <= SCREEN_FROM_CELLS:
        return frame, lines, found
    any_bad = np.zeros(len(frame), dtype=bool)
    keep = np.zeros(len(frame), dtype=bool)
    for name, bad in per_column.items():
        rule = "time_period" if name == "TIME_PERIOD" else "code"
        found.counts[rule] = found.counts.get(rule, 0) + int(bad.sum())
        any_bad |= bad
        keep[np.flatnonzero(bad)[:MAX_PROBLEMS_PER_RULE]] = True  # rows listed in the report
    keep |= ~any_bad
    found.rows_left_out = int((~keep).sum())
    found.notes.append(
        f"{total:,} code problems in {int(any_bad.sum()):,} rows: the first "
        f"{MAX_PROBLEMS_PER_RULE:,} per rule are listed and the others counted; value, "
        f"duplicate-key and totals rules were checked on the other rows only "
        f"({found.rows_left_out:,} rows with code problems were not checked for them)"
    )
    return frame[keep].reset_index(drop=True), lines[keep], found


def cap(report: pd.DataFrame, found: Screened) -> tuple[pd.DataFrame, dict[str, int]]:
    """At most :data:`MAX_PROBLEMS_PER_RULE` rows per rule; the number left out per rule."""
    if not len(report):
        return report, {}
    rank = report.groupby("rule", sort=False).cumcount().to_numpy()
    listed = report[rank < MAX_PROBLEMS_PER_RULE]
    shown = listed["rule"].value_counts().to_dict()
    counts = report["rule"].value_counts().to_dict()
    for rule, n in found.counts.items():
        counts[rule] = max(counts.get(rule, 0), n)  # screened rules: counted over every row
    omitted = {str(r): int(n - shown.get(r, 0)) for r, n in counts.items() if n > shown.get(r, 0)}
    return listed.reset_index(drop=True), omitted
