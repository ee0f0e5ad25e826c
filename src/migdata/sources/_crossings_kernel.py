"""Vectorised kernel of the 12/16 outcome rule over person-sorted crossings.

Pure numpy on one person-aligned chunk: sort on a packed 64-bit key, in-country days from
cumulative sums, window ends by one ``searchsorted``, status by segmented forward-fill.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

# Status codes inside the kernel (int8): -1 = unknown.
UNKNOWN = -1
# Outcome codes (int8): index into OUTCOMES.
OUTCOMES = ("reached", "failed", "unknown")
REACHED, FAILED, OUTCOME_UNKNOWN = 0, 1, 2


@dataclass(frozen=True)
class RuleParams:
    """Parameters of the rule, in days since 1970-01-01 (``obs_end`` excluded)."""

    threshold: int
    window: int
    obs_end: int
    data_start: int


@dataclass
class ChunkResult:
    """Kernel output for the kept rows of one chunk, in sorted order."""

    rows: np.ndarray  # input positions of the classified rows
    days_observed: np.ndarray
    days_in: np.ndarray
    outcome: np.ndarray  # int8 codes into OUTCOMES
    before: np.ndarray  # int8 0/1/-1
    after: np.ndarray  # int8 0/1/-1
    long_term: np.ndarray  # int8 0/1/-1
    duplicate_rows: np.ndarray  # input positions dropped as duplicates
    duplicate_of: np.ndarray  # input position of the kept twin
    tie_rows: np.ndarray  # input positions in ambiguous same-time groups (kept or rejected)


def _bit_length(value: int) -> int:
    return max(int(value), 0).bit_length()


def sort_order(code: np.ndarray, tval: np.ndarray) -> np.ndarray:
    """Stable order by (person code, time value), on one packed key when it fits 63 bits.

    Packing into one int64 and argsorting it is far faster than ``lexsort`` on two keys;
    the stable sort keeps input order among exact ties.
    """
    if code.size == 0:
        return np.empty(0, dtype=np.int64)
    cmin = int(code.min())
    local = code - cmin
    tbits = _bit_length(int(tval.max()))
    if _bit_length(int(local.max())) + tbits <= 63:
        key = (local.astype(np.int64) << tbits) | tval
        return np.argsort(key, kind="stable")
    return np.lexsort((tval, code))


def _tie_groups(
    rows: np.ndarray, code: np.ndarray, tval: np.ndarray, arr: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Among sorted rows, find duplicates (drop) and ambiguous same-time groups.

    Returns a keep mask, the positions (in ``rows``) of duplicates, of their kept twins,
    and of the rows of ambiguous groups (same person and time, both directions).
    """
    n = rows.size
    same_prev = np.zeros(n, dtype=bool)
    if n > 1:
        same_prev[1:] = (code[1:] == code[:-1]) & (tval[1:] == tval[:-1])
    keep = np.ones(n, dtype=bool)
    empty = np.empty(0, dtype=np.int64)
    if not same_prev.any():
        return keep, empty, empty, empty
    # Only the rare rows sharing a timestamp with a neighbour are examined further.
    in_group = same_prev.copy()
    in_group[:-1] |= same_prev[1:]
    pos = np.flatnonzero(in_group)
    group = np.cumsum(~same_prev[pos])  # group id within the tied rows
    # First occurrence of each (group, direction): the others are duplicates.
    gkey = group.astype(np.int64) * 2 + arr[pos]
    order = np.argsort(gkey, kind="stable")
    sk = gkey[order]
    first_of_run = np.ones(sk.size, dtype=bool)
    first_of_run[1:] = sk[1:] != sk[:-1]
    run_start = np.maximum.accumulate(np.where(first_of_run, np.arange(sk.size), 0))
    dup_sorted = ~first_of_run
    dup_pos = pos[order[dup_sorted]]
    twin_pos = pos[order[run_start[dup_sorted]]]
    keep[dup_pos] = False
    # A group is ambiguous when both directions remain.
    has_a = np.zeros(int(group.max()) + 1, dtype=bool)
    has_d = np.zeros_like(has_a)
    has_a[group[arr[pos] == 1]] = True
    has_d[group[arr[pos] == 0]] = True
    ambiguous = (has_a & has_d)[group] & keep[pos]
    return keep, dup_pos, twin_pos, pos[ambiguous]


def classify_chunk(
    rows: np.ndarray,
    code: np.ndarray,
    tval: np.ndarray,
    day: np.ndarray,
    arr: np.ndarray,
    init: np.ndarray | None,
    params: RuleParams,
    reject_ties: bool,
) -> ChunkResult:
    """Classify the crossings of whole persons.

    ``rows`` are input positions; ``code``, ``tval`` (time value, orders crossings),
    ``day`` (days since epoch), ``arr`` (1 arrival, 0 departure) and ``init`` (known
    status before the crossing, -1 unknown) are aligned with ``rows``.
    """
    order = sort_order(code, tval)
    rows, code, tval, day, arr = rows[order], code[order], tval[order], day[order], arr[order]
    init = None if init is None else init[order]
    keep, dup_pos, twin_pos, tie_pos = _tie_groups(rows, code, tval, arr)
    if reject_ties and tie_pos.size:
        keep[tie_pos] = False
    duplicate_rows, duplicate_of, tie_rows = rows[dup_pos], rows[twin_pos], rows[tie_pos]
    if not keep.all():
        rows, code, day, arr = rows[keep], code[keep], day[keep], arr[keep]
        init = None if init is None else init[keep]
    n = rows.size
    idx = np.arange(n, dtype=np.int64)
    threshold, window = params.threshold, params.window

    first = np.ones(n, dtype=bool)
    first[1:] = code[1:] != code[:-1]
    last = np.ones(n, dtype=bool)
    last[:-1] = first[1:]

    # In-country part of the interval that starts at each crossing: [in_start, in_end).
    # A->D in all along, D->A out, A->A in for the first half, D->D in for the second
    # half (split day m = t + gap // 2 belongs to the second half), last A in for ever.
    next_day = np.empty_like(day)
    next_day[:-1] = day[1:]
    next_arr = np.empty_like(arr)
    next_arr[:-1] = arr[1:]
    if n:
        next_day[-1] = day[-1]
        next_arr[-1] = 0
    mid = day + (next_day - day) // 2
    is_a = arr == 1
    in_start = np.where(is_a, day, np.where(next_arr == 1, day, mid))
    in_end = np.where(
        is_a, np.where(next_arr == 1, mid, next_day), np.where(next_arr == 1, day, next_day)
    )
    far = np.iinfo(np.int64).max // 4
    in_start = np.where(last, day, in_start)
    in_end = np.where(last, np.where(is_a, far, day), in_end)
    length = np.where(last, 0, in_end - in_start)
    # cum[i] = in-country days of this chunk's intervals before crossing i.
    cum = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(length, out=cum[1:])

    x = np.minimum(day + window, params.obs_end)
    days_observed = x - day
    # Last crossing of the same person on or before day x: one searchsorted on a packed
    # (person, day) key; the span leaves room for x beyond the last crossing day.
    if n:
        dmin = int(day.min())
        span = int(day.max()) - dmin + window + 2
        local = (code - code.min()).astype(np.int64)
        pkey = local * span + (day - dmin)
        j = np.searchsorted(pkey, local * span + (x - dmin), side="right") - 1
    else:
        j = idx
    partial = np.clip(np.minimum(x, in_end[j]) - in_start[j], 0, None)
    days_in = cum[j] - cum[idx] + partial
    days_out = days_observed - days_in

    # Outcome: reached / failed / unknown (unknown only when the window is cut).
    gap = window - threshold
    toward = np.where(is_a, days_in, days_out)  # days spent on the side the crossing leads to
    away = days_observed - toward
    outcome = np.full(n, OUTCOME_UNKNOWN, dtype=np.int8)
    outcome[away > gap] = FAILED
    outcome[toward >= threshold] = REACHED

    # Initial status: first crossing at least V days after the data start decides it.
    person_start = np.maximum.accumulate(np.where(first, idx, 0))
    s0 = np.full(n, UNKNOWN, dtype=np.int8)
    if init is not None:
        s0 = init.astype(np.int8, copy=True)
    known = first & (day - params.data_start >= threshold)
    s0[known] = np.where(is_a[known], 0, 1)
    s0_person = s0[person_start]

    # Status after each crossing: the last reset (reaching crossing, or the initial status)
    # forward-filled within the person, made unknown by any later unknown-outcome crossing
    # that could have changed it.
    reached = outcome == REACHED
    last_reset = np.maximum.accumulate(np.where(reached, idx, -1))
    has_reset = last_reset >= person_start
    base = np.where(has_reset, arr[np.maximum(last_reset, 0)], s0_person).astype(np.int8)
    base_pos = np.where(has_reset, last_reset, person_start - 1)
    unknown = outcome == OUTCOME_UNKNOWN
    last_ua = np.maximum.accumulate(np.where(unknown & is_a, idx, -1))
    last_ud = np.maximum.accumulate(np.where(unknown & ~is_a, idx, -1))
    spoilt = ((base == 1) & (last_ud > base_pos)) | ((base == 0) & (last_ua > base_pos))
    after = np.where(spoilt, UNKNOWN, base).astype(np.int8)
    before = np.empty_like(after)
    if n:
        before[1:] = after[:-1]
    before[first] = s0[first]

    # Long-term arrival: 0 -> 1; departure: 1 -> 0. Three-valued: known False when the
    # crossing cannot change the status (failed outcome, status already on the side the
    # crossing leads to, or status after on the side it leaves).
    target = arr  # status an arrival/departure leads to
    yes = (before == 1 - target) & (after == target)
    no = (outcome == FAILED) | (before == target) | (after == 1 - target)
    long_term = np.where(yes, 1, np.where(no, 0, UNKNOWN)).astype(np.int8)

    return ChunkResult(
        rows=rows,
        days_observed=days_observed,
        days_in=days_in,
        outcome=outcome,
        before=before,
        after=after,
        long_term=long_term,
        duplicate_rows=duplicate_rows,
        duplicate_of=duplicate_of,
        tie_rows=tie_rows,
    )
