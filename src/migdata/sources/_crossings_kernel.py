"""Vectorised kernel of the 12/16 outcome rule: sort crossings by person, then classify.

Pure numpy. One value sort of a packed 64-bit key (person, day, row, direction) puts the
crossings in person order; the rule then runs in that order on person-aligned slices
(cumulative sums of in-country days, window ends by stepping, status by forward-fill).
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field

import numpy as np

# Status codes inside the kernel (int8): -1 = unknown.
UNKNOWN = -1
# Outcome codes (int8): index into OUTCOMES.
OUTCOMES = ("reached", "failed", "unknown")
REACHED, FAILED, OUTCOME_UNKNOWN = 0, 1, 2
# Bits available in the sort key (an int64 sorted as values: the sign bit stays clear).
KEY_BITS = 63
# Window ends are found by stepping over a person's next crossings; a crossing still
# unresolved after this many steps (frequent travellers) falls back to a binary search.
MAX_STEPS = 8
# The result word of a crossing: days_in << PACK_SHIFT | packed flags (see classify_sorted).
PACK_SHIFT = 8


@dataclass(frozen=True)
class RuleParams:
    """Parameters of the rule, in days since 1970-01-01 (``obs_end`` excluded)."""

    threshold: int
    window: int
    obs_end: int
    data_start: int


# Rows per block of the element-wise passes over whole columns: block-sized temporaries
# are recycled by the allocator, column-sized ones cost a page fault per page.
BLOCK = 1 << 20


@dataclass
class TieRows:
    """Duplicates and ambiguous same-time crossings found, as row positions."""

    duplicate_rows: list[np.ndarray] = field(default_factory=list)
    duplicate_of: list[np.ndarray] = field(default_factory=list)  # the kept twin
    tie_rows: list[np.ndarray] = field(default_factory=list)  # ambiguous (kept or rejected)

    def add(self, other: TieRows, positions: np.ndarray) -> None:
        """Add rows found in a subset whose rows sit at ``positions``."""
        self.duplicate_rows += [positions[a] for a in other.duplicate_rows]
        self.duplicate_of += [positions[a] for a in other.duplicate_of]
        self.tie_rows += [positions[a] for a in other.tie_rows]

    def arrays(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Duplicate rows, their kept twins and ambiguous rows, each as one array."""

        def cat(a: list[np.ndarray]) -> np.ndarray:
            return np.concatenate(a) if a else np.empty(0, dtype=np.intp)

        return cat(self.duplicate_rows), cat(self.duplicate_of), cat(self.tie_rows)


def _bit_length(value: int) -> int:
    return max(int(value), 0).bit_length()


def key_bits(n: int, max_code: int, day_span: int) -> int:
    """Bits of the packed (person, day, row, direction) key of ``n`` crossings."""
    return _bit_length(max_code) + _bit_length(day_span) + _bit_length(max(n - 1, 0)) + 1


def classify_rows(
    code: np.ndarray,
    code_lo: int,
    day: np.ndarray,
    arrival: np.ndarray,
    tie_key: np.ndarray,
    init: np.ndarray | None,
    params: RuleParams,
    chunk_rows: int,
    reject_ties: bool,
    threads: int = 1,
) -> tuple[np.ndarray, TieRows]:
    """Classify crossings (all valid) given as aligned columns; result words in row order.

    ``code - code_lo`` is a dense non-negative person code, ``day`` int32 days,
    ``arrival`` int8 1/0, ``tie_key`` orders the crossings of one day (a timestamp or a
    ``seq``; equal means the same time), ``init`` the status known from outside
    information (int8, -1 unknown) or None. Returns one word per row (see
    :func:`classify_sorted`; rows dropped as duplicates or rejected ties hold 0) and the
    duplicates and ambiguous ties found.

    When (person, day, row) does not pack into one 64-bit key, the persons are split in
    two halves by code and each half is classified alone: rows only interact within a
    person, so the result is the same. Past ``2 * BUCKET_ROWS`` rows the persons are
    first split into buckets of about ``BUCKET_ROWS`` rows by code range, classified by
    ``threads`` threads (see :func:`_classify_buckets`).
    """
    n = code.size
    max_code = int(code.max()) - code_lo
    if n >= 2 * BUCKET_ROWS and max_code >= 1:
        return _classify_buckets(
            code, code_lo, max_code, day, arrival, tie_key, init, params, chunk_rows,
            reject_ties, threads,
        )  # fmt: skip
    if key_bits(n, max_code, int(day.max()) - int(day.min())) > KEY_BITS:
        if max_code == 0:
            raise ValueError(f"expected fewer crossings for one person, got {n}")
        word = np.zeros(n, dtype=word_dtype(params.window))
        ties = TieRows()
        lower = code <= code_lo + max_code // 2
        for mask, lo in ((lower, code_lo), (~lower, code_lo + max_code // 2 + 1)):
            pos = np.flatnonzero(mask)
            sub = None if init is None else init[pos]
            w, found = classify_rows(
                code[pos],
                lo,
                day[pos],
                arrival[pos],
                tie_key[pos],
                sub,
                params,
                chunk_rows,
                reject_ties,
            )
            word[pos] = w
            ties.add(found, pos)
        return word, ties
    key, layout = _sorted_key(code, code_lo, day, arrival)
    word = np.zeros(n, dtype=word_dtype(params.window))
    ties = TieRows()
    for a, b in _person_slices(key, layout.shift_person, chunk_rows):
        _classify_slice(key[a:b], layout, tie_key, init, params, reject_ties, word, ties)
    return word, ties


# Rows per bucket of persons: one bucket's sort keys and columns stay in the processor's
# cache, so the cost per row does not grow with the size of the input.
BUCKET_ROWS = 1 << 20


def _classify_buckets(
    code: np.ndarray,
    code_lo: int,
    max_code: int,
    day: np.ndarray,
    arrival: np.ndarray,
    tie_key: np.ndarray,
    init: np.ndarray | None,
    params: RuleParams,
    chunk_rows: int,
    reject_ties: bool,
    threads: int,
) -> tuple[np.ndarray, TieRows]:
    """Classify by buckets of persons (ranges of codes), on ``threads`` threads.

    A radix partition: one stable sort of the 16-bit bucket numbers (a counting sort in
    numpy) lists each bucket's rows in input order; each bucket is gathered, sorted and
    classified alone, and its words are scattered back in ascending row order. One sort
    of the whole input would instead make every later gather a random read from memory.
    numpy releases the GIL in the sorts, gathers and element-wise passes, so the threads
    run on separate cores. Rows only interact within a person: the result is the same.
    """
    n = code.size
    # Bucket = the top bits of the dense code: a shift, no division.
    want = min(n // BUCKET_ROWS, 1 << 16)
    shift = max(0, _bit_length(max_code) - max(1, (want - 1).bit_length()))
    buckets = (max_code >> shift) + 1
    bucket = np.empty(n, dtype=np.uint16)
    for a in range(0, n, BLOCK):
        b = min(a + BLOCK, n)
        part = code[a:b] - code_lo
        part >>= shift
        bucket[a:b] = part
    order = np.argsort(bucket, kind="stable")
    bounds = np.zeros(buckets + 1, dtype=np.int64)
    np.cumsum(np.bincount(bucket, minlength=buckets), out=bounds[1:])
    del bucket
    word = np.zeros(n, dtype=word_dtype(params.window))

    def one(i: int) -> tuple[TieRows, np.ndarray] | None:
        pos = order[bounds[i] : bounds[i + 1]]
        if not pos.size:
            return None
        sub = code[pos]
        w, found = classify_rows(
            sub,
            int(sub.min()),
            day[pos],
            arrival[pos],
            tie_key[pos],
            None if init is None else init[pos],
            params,
            chunk_rows,
            reject_ties,
        )
        word[pos] = w  # buckets hold disjoint rows: no two threads write one element
        return found, pos

    if threads > 1:
        from concurrent.futures import ThreadPoolExecutor

        with ThreadPoolExecutor(max_workers=threads) as pool:
            results = list(pool.map(one, range(buckets)))
    else:
        results = [one(i) for i in range(buckets)]
    ties = TieRows()
    for result in results:
        if result is not None:
            ties.add(*result)
    return word, ties


@dataclass(frozen=True)
class _Layout:
    """Bit layout of the sort key: person | day - day0 | row | direction."""

    day0: int
    day_bits: int
    row_bits: int

    @property
    def shift_day(self) -> int:
        return self.row_bits + 1

    @property
    def shift_person(self) -> int:
        return self.day_bits + self.row_bits + 1


def _sorted_key(
    code: np.ndarray, code_lo: int, day: np.ndarray, arrival: np.ndarray
) -> tuple[np.ndarray, _Layout]:
    """The packed keys of all rows, sorted.

    One in-place value sort of a packed int64 (several times faster than an argsort,
    ~25 times faster than ``lexsort``): the row position in the key makes the order total
    and is read back as the permutation, and the direction rides in the lowest bit, so
    nothing needs gathering into sorted order.
    """
    n = code.size
    d0 = int(day.min())
    layout = _Layout(d0, _bit_length(int(day.max()) - d0), _bit_length(n - 1))
    key = np.empty(n, dtype=np.int64)
    for a in range(0, n, BLOCK):
        b = min(a + BLOCK, n)
        k = key[a:b]
        np.subtract(code[a:b], code_lo, out=k)
        k <<= layout.shift_person
        part = day[a:b].astype(np.int64)
        part -= d0
        part <<= layout.shift_day
        k |= part
        k |= np.arange(2 * a, 2 * b, 2, dtype=np.int64)  # row << 1
        k |= arrival[a:b]
    key.sort()
    return key, layout


def _person_slices(key: np.ndarray, shift_person: int, chunk_rows: int) -> list[tuple[int, int]]:
    """Bounds of consecutive slices of the sorted keys, about ``chunk_rows`` rows each,
    cut where a person starts (found by one binary search per cut)."""
    n = key.size
    bounds = [0]
    t = chunk_rows
    while t < n:
        person = int(key[t]) >> shift_person
        if int(key[t - 1]) >> shift_person == person:
            t = int(np.searchsorted(key, (person + 1) << shift_person))
        if t >= n:
            break
        bounds.append(t)
        t += chunk_rows
    bounds.append(n)
    return list(itertools.pairwise(bounds))


def _classify_slice(
    key: np.ndarray,
    layout: _Layout,
    tie_key: np.ndarray,
    init: np.ndarray | None,
    params: RuleParams,
    reject_ties: bool,
    word: np.ndarray,
    ties: TieRows,
) -> None:
    """Decode one person-aligned slice of sorted keys, classify it, scatter the words."""
    rows = key >> 1
    rows &= (1 << layout.row_bits) - 1
    arrival = (key & 1).astype(np.int8)
    person_day = key >> layout.shift_day
    day = (person_day & ((1 << layout.day_bits) - 1)).astype(np.int32)
    day += layout.day0
    same_day = person_day[1:] == person_day[:-1]
    person = person_day >> layout.day_bits
    first = np.empty(rows.size, dtype=bool)
    first[0] = True
    np.not_equal(person[1:], person[:-1], out=first[1:])
    if same_day.any():
        keep, dup_pos, twin_pos, tie_pos = _same_day_runs(same_day, rows, arrival, tie_key)
        if dup_pos.size:
            ties.duplicate_rows.append(rows[dup_pos])
            ties.duplicate_of.append(rows[twin_pos])
        if tie_pos.size:
            ties.tie_rows.append(rows[tie_pos])
            if reject_ties:
                keep[tie_pos] = False
        if not keep.all():
            rows, day, arrival, person = rows[keep], day[keep], arrival[keep], person[keep]
            if not rows.size:
                return
            first = np.empty(rows.size, dtype=bool)
            first[0] = True
            np.not_equal(person[1:], person[:-1], out=first[1:])
    s0 = None
    if init is not None:
        # Outside information is only read on a person's first crossing.
        s0 = np.full(rows.size, UNKNOWN, dtype=np.int8)
        heads = np.flatnonzero(first)
        s0[heads] = init[rows[heads]]
    # The one scatter back to row order.
    word[rows] = classify_sorted(day, arrival, first, s0, params)


def _same_day_runs(
    same_day: np.ndarray, rows: np.ndarray, arr: np.ndarray, tie_key: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Order runs of same-person same-day crossings by time; find duplicates and ties.

    ``rows`` and ``arr`` (sorted by person, day, position) are reordered in place inside
    the runs. Returns a keep mask, the sorted positions of duplicates (same person, time
    and direction as an earlier row), of their kept twins, and of the rows of ambiguous
    groups (same person and time, both directions).
    """
    n = rows.size
    in_run = np.zeros(n, dtype=bool)
    in_run[1:] = same_day
    in_run[:-1] |= same_day
    pos = np.flatnonzero(in_run)
    starts = np.ones(pos.size, dtype=bool)  # a run starts where the previous day differs
    starts[1:] = ~same_day[pos[1:] - 1]
    run = np.cumsum(starts)
    tk = tie_key[rows[pos]]
    # Stable on (run, time): equal times stay in input order, as the position was sorted.
    order = np.lexsort((tk, run))
    rows[pos] = rows[pos][order]
    arr[pos] = arr[pos][order]
    tk = tk[order]
    # Tie groups: consecutive run members with the same time.
    same_prev = np.zeros(pos.size, dtype=bool)
    same_prev[1:] = (run[1:] == run[:-1]) & (tk[1:] == tk[:-1])
    keep = np.ones(n, dtype=bool)
    empty = np.empty(0, dtype=np.intp)
    if not same_prev.any():
        return keep, empty, empty, empty
    in_group = same_prev.copy()
    in_group[:-1] |= same_prev[1:]
    gpos = pos[in_group]
    group = np.cumsum(~same_prev[in_group])
    a = arr[gpos].astype(np.int64)
    # First occurrence of each (group, direction): the others are duplicates.
    gkey = group.astype(np.int64) * 2 + a
    order = np.argsort(gkey, kind="stable")
    sk = gkey[order]
    first_of_run = np.ones(sk.size, dtype=bool)
    first_of_run[1:] = sk[1:] != sk[:-1]
    run_start = np.maximum.accumulate(np.where(first_of_run, np.arange(sk.size), 0))
    dup_sorted = ~first_of_run
    dup_pos = gpos[order[dup_sorted]]
    twin_pos = gpos[order[run_start[dup_sorted]]]
    keep[dup_pos] = False
    # A group is ambiguous when both directions remain.
    has_a = np.zeros(int(group.max()) + 1, dtype=bool)
    has_d = np.zeros_like(has_a)
    has_a[group[a == 1]] = True
    has_d[group[a == 0]] = True
    ambiguous = (has_a & has_d)[group] & keep[gpos]
    return keep, dup_pos, twin_pos, gpos[ambiguous]


def _pack_table() -> np.ndarray:
    """Packed flags by (arrival, outcome, before + 1, after + 1), index
    ((arrival * 3 + outcome) * 3 + before + 1) * 3 + after + 1.

    Long-term arrival: 0 -> 1; departure: 1 -> 0. Three-valued: known False when the
    crossing cannot change the status (failed outcome, status already on the side the
    crossing leads to, or status after on the side it leaves), unknown otherwise.
    """
    table = np.zeros(54, dtype=np.uint8)
    for arrival in (0, 1):
        for outcome in (REACHED, FAILED, OUTCOME_UNKNOWN):
            for before in (-1, 0, 1):
                for after in (-1, 0, 1):
                    if before == 1 - arrival and after == arrival:
                        long_term = 1
                    elif outcome == FAILED or before == arrival or after == 1 - arrival:
                        long_term = 0
                    else:
                        long_term = UNKNOWN
                    code = ((arrival * 3 + outcome) * 3 + before + 1) * 3 + after + 1
                    table[code] = (
                        outcome | (before + 1) << 2 | (after + 1) << 4 | (long_term + 1) << 6
                    )
    return table


_PACK_TABLE = _pack_table()


def word_dtype(window: int) -> type[np.unsignedinteger] | type[np.signedinteger]:
    """Type of the result word: uint32 when ``days_in`` (at most ``window``) fits."""
    return np.uint32 if window < 2 ** (32 - PACK_SHIFT) else np.int64


def classify_sorted(
    day: np.ndarray,
    arrival: np.ndarray,
    first: np.ndarray,
    s0: np.ndarray | None,
    params: RuleParams,
) -> np.ndarray:
    """Classify whole persons' crossings in sorted order; one result word per crossing.

    ``day`` (int32), ``arrival`` (int8 1/0) and ``first`` (first crossing of its person)
    are in person, time order; ``s0`` is the status known from outside information
    before each crossing (int8, -1 unknown; only read on first crossings) or None.

    The word is ``days_in << PACK_SHIFT | outcome | (before + 1) << 2 | (after + 1) << 4
    | (long_term + 1) << 6`` with statuses 0/1 and -1 unknown: one array to scatter back
    to input order instead of five (uint32 when ``days_in`` fits, else int64).
    Running maxima and sums are the costly passes (no SIMD): there are three.
    """
    n = day.size
    threshold, window, obs_end = params.threshold, params.window, params.obs_end
    is_a = arrival.view(bool)
    last = np.empty(n, dtype=bool)
    last[-1] = True
    last[:-1] = first[1:]

    # In-country part of the interval that starts at each crossing: [in_start, in_end).
    # A->D in all along, D->A out, A->A in for the first half, D->D in for the second
    # half (split day m = t + gap // 2 belongs to the second half). A person's last
    # crossing is closed like an A->D pair departing at obs_end (an arrival stays in to
    # the end of any window) or a D->A pair (a departure is never in). No window reaches
    # past its own person's crossings, so sums never mix persons.
    shifted = np.empty_like(day)
    shifted[:-1] = day[1:]
    next_day = np.where(last, obs_end, shifted)
    next_a = np.empty(n, dtype=bool)
    next_a[:-1] = is_a[1:]
    next_a &= ~last
    next_a |= last & ~is_a
    mid = next_day - day
    mid >>= 1
    mid += day
    in_start = np.where(is_a | next_a, day, mid)
    in_end = np.where(next_a, np.where(is_a, mid, day), next_day)
    del mid, next_day, next_a, shifted
    # cum[i] = in-country days of the slice's intervals before crossing i. Persons'
    # intervals are disjoint and lie in [first day, obs_end]: that bounds the total.
    persons = int(np.count_nonzero(first))
    cum_type = np.int32 if persons * (obs_end - int(day.min()) + 1) < 2**31 else np.int64
    cum = np.empty(n + 1, dtype=cum_type)
    cum[0] = 0
    np.cumsum(in_end - in_start, out=cum[1:])

    x = np.minimum(day + window, obs_end)
    j = _window_ends(day, first, x)
    partial = np.minimum(x, in_end[j])
    partial -= in_start[j]
    np.maximum(partial, 0, out=partial)
    days_in = cum[j]
    days_in -= cum[:-1]
    days_in = days_in.astype(np.int32, copy=False)
    days_in += partial
    days_observed = x - day
    del j, partial, in_start, in_end, cum, x

    # Outcome: reached / failed / unknown (unknown only when the window is cut).
    # toward = days on the side the crossing leads to (in for arrivals, out for departures).
    # Reaching and failing exclude each other (O <= W).
    toward = np.where(is_a, days_in, days_observed - days_in)
    reached = toward >= threshold
    days_observed -= toward  # days away from the side the crossing leads to
    failed = days_observed > window - threshold
    del toward, days_observed
    outcome = np.full(n, OUTCOME_UNKNOWN, dtype=np.int8)
    outcome -= failed
    outcome -= reached
    outcome -= reached

    # Initial status: first crossing at least V days after the data start decides it.
    init = np.full(n, UNKNOWN, dtype=np.int8) if s0 is None else s0.astype(np.int8)
    known = first & (day >= params.data_start + threshold)
    init = np.where(known, 1 - arrival, init)

    # Status after each crossing: the last reset (a reaching crossing, or a person's
    # initial status) forward-filled within the person. One running maximum carries the
    # reset's position and value: code = rank << 2 | (status + 1), rank 2i + 1 for a
    # reaching crossing i and 2i for the initial status before a first crossing i.
    wide = np.int32 if n < 2**27 else np.int64
    rank: np.ndarray = np.arange(1, 2 * n + 1, 2, dtype=wide)  # 2i + 1
    value = np.where(reached, arrival + 1, init - 3)  # (status + 1) - 4 for rank 2i
    reset = rank << 2
    reset += value
    reset = np.where(reached | first, reset, -1)
    np.maximum.accumulate(reset, out=reset)
    base = (reset & 3).astype(np.int8)
    base -= 1
    reset >>= 2  # rank of the last reset
    # The status is made unknown by any later unknown-outcome crossing that could have
    # changed it: an unknown arrival of a non-resident, an unknown departure of a
    # resident (with an unknown status it stays unknown anyway).
    spoiling = np.where((outcome == OUTCOME_UNKNOWN) & (arrival != base), rank, -1)
    np.maximum.accumulate(spoiling, out=spoiling)
    after = np.where(spoiling > reset, np.int8(UNKNOWN), base)
    del rank, reset, spoiling, base
    before = np.empty_like(after)
    before[1:] = after[:-1]
    before = np.where(first, init, before)

    code = arrival * np.int8(3)
    code += outcome
    code *= 3
    code += before
    code *= 3
    code += after
    code += 4  # the + 1 of before (times 3) and of after
    word_type = word_dtype(window)
    word = days_in.astype(word_type)
    word <<= PACK_SHIFT
    word |= np.take(_PACK_TABLE, code)
    return word


def _window_ends(day: np.ndarray, first: np.ndarray, x: np.ndarray) -> np.ndarray:
    """For each crossing, the last crossing of the same person on or before day ``x``.

    Steps forward over the next crossings, keeping only the crossings whose window still
    reaches further: the work is the number of crossings inside windows, and all reads
    are near-sequential. Crossings still open after :data:`MAX_STEPS` steps (frequent
    travellers) are finished by a binary search within their person.
    """
    n = day.size
    j = np.arange(n, dtype=np.intp)
    # Padding: position n acts as the first crossing of another person.
    first_pad = np.empty(n + 1, dtype=bool)
    first_pad[:n] = first
    first_pad[n] = True
    day_pad = np.empty(n + 1, dtype=day.dtype)
    day_pad[:n] = day
    day_pad[n] = 0
    ok = ~first_pad[1:] & (day_pad[1:] <= x)
    active = np.flatnonzero(ok)
    step = 1
    while active.size:
        j[active] = active + step
        if step == MAX_STEPS:
            break
        step += 1
        nxt = active + step
        ok = ~first_pad[nxt] & (day_pad[nxt] <= x[active])
        active = active[ok]
    if active.size:
        starts = np.flatnonzero(first_pad)
        lo = j[active]
        hi = starts[np.searchsorted(starts, active, side="right")] - 1  # person's last
        limit = x[active]
        while True:
            open_ = lo < hi
            if not open_.any():
                break
            mid = (lo + hi + 1) >> 1
            inside = day[mid] <= limit
            lo = np.where(inside, mid, lo)
            hi = np.where(inside, hi, mid - 1)
        j[active] = lo
    return j
