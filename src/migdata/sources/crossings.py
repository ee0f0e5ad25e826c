"""Border crossings classified by the outcome-based 12/16 rule (DOMAIN.md section 3).

Owns :func:`classify_crossings` (linked entry/exit records -> long-term arrivals and
departures, with rejects), :class:`Crossings` (its result) and :func:`tabulate_crossings`
(long-term immigrant and emigrant flows, and their harmonised-table form).
"""

from __future__ import annotations

import datetime as dt
import html
import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from functools import cache
from typing import Any

import numpy as np
import pandas as pd

from migdata._checks import check_date, check_frame, public
from migdata._resources import data_path
from migdata.errors import ConfigurationError, InputError
from migdata.harmonised import AGE_PATTERN, COUNTERPART_TYPES, HARMONISED_COLUMNS, TARGETS
from migdata.sources import _engines
from migdata.sources._crossings_kernel import (
    BLOCK,
    OUTCOMES,
    PACK_SHIFT,
    UNKNOWN,
    RuleParams,
    TieRows,
    classify_rows,
    word_dtype,
)

__all__ = [
    "Crossings",
    "TieRule",
    "classify_crossings",
    "crossing_flows_to_harmonised",
    "tabulate_crossings",
]

_DAY_NS = 86_400 * 10**9
_NAT = np.iinfo(np.int64).min
_UNIT_NS = {
    "D": _DAY_NS,
    "h": 3_600 * 10**9,
    "m": 60 * 10**9,
    "s": 10**9,
    "ms": 10**6,
    "us": 10**3,
    "ns": 1,
}
_OUTPUT_COLUMNS = (
    "days_observed",
    "days_in",
    "outcome",
    "resident_before",
    "resident_after",
    "long_term",
)


class TieRule(StrEnum):
    """What to do with crossings of one person in both directions at the same time.

    Without a ``seq`` column (or with equal ``seq``) their order is not known.
    ``INPUT_ORDER`` keeps them in the order of the input rows (counted in the summary);
    ``REJECT`` rejects every crossing of such a group.
    """

    INPUT_ORDER = "input_order"
    REJECT = "reject"


@cache
def _direction_aliases() -> dict[str, int]:
    table = pd.read_csv(data_path("crossings", "directions.csv"), comment="#", dtype=str)
    return {
        str(a).strip().lower(): int(d == "arrival")
        for a, d in zip(table["alias"], table["direction"], strict=True)
    }


_STATUS_WORDS = {
    "1": 1,
    "true": 1,
    "yes": 1,
    "y": 1,
    "resident": 1,
    "r": 1,
    "0": 0,
    "false": 0,
    "no": 0,
    "n": 0,
    "non-resident": 0,
    "non resident": 0,
    "nonresident": 0,
    "non_resident": 0,
    "nr": 0,
}


def _to_day(value: Any, name: str) -> int:
    """A date-like parameter as days since 1970-01-01."""
    try:
        stamp = pd.Timestamp(value)
    except (ValueError, TypeError) as exc:
        raise ConfigurationError(f"{name}: expected a date, got {value!r}") from exc
    if pd.isna(stamp):
        raise ConfigurationError(f"{name}: expected a date, got {value!r}")
    return int(np.datetime64(stamp.date(), "D").astype(np.int64))


def _day_to_date(day: int) -> dt.date:
    return dt.date(1970, 1, 1) + dt.timedelta(days=int(day))


@dataclass
class _Prepared:
    """Columns read and checked, aligned with the input rows."""

    code: np.ndarray  # person code (int64): code - code_lo is dense, -1 missing
    code_lo: int
    arr: np.ndarray  # 1 arrival, 0 departure, -1 unreadable
    day: np.ndarray  # days since epoch (int32), 0 where not ok_time
    tie_key: np.ndarray  # order within the day (int64): the timestamp, or seq when given
    ok_time: np.ndarray | None  # None: every time read
    ok_seq: np.ndarray | None  # None: no seq, or every seq read
    cleaned: np.ndarray | None  # rows whose direction spelling was cleaned (None: none)
    init: np.ndarray | None


def _person_codes(column: pd.Series) -> tuple[np.ndarray, int]:
    """Integer code per row and its offset: ``code - lo`` is dense, ``code < lo`` missing.

    Integer ids with a compact range are used as they are (no hashing, no copy).
    """
    n = len(column)
    if pd.api.types.is_integer_dtype(column.dtype) and not isinstance(
        column.dtype, pd.api.extensions.ExtensionDtype
    ):
        values = column.to_numpy(dtype=np.int64)
        if n:
            lo, hi = int(values.min()), int(values.max())
            if hi - lo <= 4 * n + 1024:
                return values, lo
    codes, uniques = pd.factorize(column, use_na_sentinel=True)
    codes = codes.astype(np.int64, copy=False)
    if len(uniques) and (pd.api.types.is_string_dtype(uniques.dtype) or uniques.dtype == object):
        blank = np.array([isinstance(u, str) and not u.strip() for u in uniques], dtype=bool)
        if blank.any():
            codes = np.where(codes >= 0, np.where(blank[np.maximum(codes, 0)], -1, codes), -1)
    return codes, 0


def _direction_codes(column: pd.Series) -> tuple[np.ndarray, np.ndarray | None]:
    """1 arrival, 0 departure, -1 unreadable; and which rows had their spelling cleaned
    (None when no spelling needed cleaning)."""
    if pd.api.types.is_bool_dtype(column.dtype):
        values = column.astype("boolean")
        out = np.where(values.isna().to_numpy(), -1, values.fillna(False).to_numpy(bool))
        return out.astype(np.int8), out >= 0
    if isinstance(column.dtype, pd.CategoricalDtype):
        codes = column.cat.codes.to_numpy()  # small ints, indexed as they are
        uniques = pd.Index(column.cat.categories)
    else:
        codes, uniques = pd.factorize(column, use_na_sentinel=True)
    aliases = _direction_aliases()
    mapped = np.array(
        [aliases.get(str(u).strip().lower(), -1) for u in uniques] + [-1], dtype=np.int8
    )
    exact = np.array([str(u) in ("arrival", "departure") for u in uniques] + [True], dtype=bool)
    out = mapped[codes]  # code -1 picks the trailing -1 sentinel
    if exact.all():
        return out, None
    return out, (out >= 0) & ~exact[codes]


def _time_values(
    time: pd.Series, seq: pd.Series | None
) -> tuple[np.ndarray, np.ndarray, np.ndarray | None, np.ndarray | None]:
    """Day, order within the day, time-ok and seq-ok masks (None: all ok) for every row.

    The order within the day is the timestamp itself (same day: the time of day decides),
    or ``seq`` when given (it replaces the time of day). Equal values mean the same time.
    """
    if not pd.api.types.is_datetime64_any_dtype(time.dtype):
        # Only unambiguous ISO 8601 text is read: 03/04/2015 could be March or April.
        time = pd.to_datetime(time, errors="coerce", format="ISO8601")
    if getattr(time.dtype, "tz", None) is not None:
        time = time.dt.tz_localize(None)  # local wall-clock days
    raw = time.to_numpy()
    per_day = _DAY_NS // _UNIT_NS[np.datetime_data(raw.dtype)[0]]
    values = raw.view(np.int64)
    # NaT is the smallest int64: a reduction tells whether any is present.
    ok_time = None if not values.size or values.min() != _NAT else ~np.isnat(raw)
    day = np.empty(values.size, dtype=np.int32)  # days since 1970 fit int32
    np.floor_divide(values, per_day, out=day, casting="unsafe")
    if ok_time is not None:
        day[~ok_time] = 0
    if seq is None:
        return day, values, ok_time, None
    seq_num = pd.to_numeric(seq, errors="coerce").astype("float64").to_numpy()
    ok_seq = np.isfinite(seq_num) & (seq_num == np.round(seq_num))
    tie_key = np.where(ok_seq, seq_num, 0).astype(np.int64)
    return day, tie_key, ok_time, None if ok_seq.all() else ok_seq


def _initial_status(spec: Any, movements: pd.DataFrame) -> np.ndarray | None:
    """Known status before each row's crossing from outside information (1/0/-1)."""
    if spec is None:
        return None
    name = "initial_status"
    if isinstance(spec, str):
        if spec not in movements.columns:
            raise ConfigurationError(
                f"initial_status: expected a column of the movements, got {spec!r}; "
                f"columns are {', '.join(map(str, movements.columns))}"
            )
        name, values = spec, movements[spec]
    else:
        values = pd.Series(
            np.asarray(spec, dtype=object)
            if not isinstance(spec, pd.Series)
            else spec.to_numpy(dtype=object)
        )
        if len(values) != len(movements):
            raise ConfigurationError(
                f"initial_status: expected {len(movements)} values (one per row), got {len(values)}"
            )
    codes, uniques = pd.factorize(pd.Series(values).reset_index(drop=True), use_na_sentinel=True)
    mapped = []
    for u in uniques:
        if isinstance(u, bool | np.bool_):
            mapped.append(int(u))
            continue
        key = str(u).strip().lower()
        if key.endswith(".0"):
            key = key[:-2]
        if key not in _STATUS_WORDS:
            row = int(np.flatnonzero(codes == len(mapped))[0])
            raise InputError(
                "expected a residence status before the crossing (1/0, True/False, "
                f"resident/non-resident or empty), got {u!r}",
                row=row,
                column=name,
                value=u,
            )
        mapped.append(_STATUS_WORDS[key])
    table = np.array([*mapped, UNKNOWN], dtype=np.int8)
    return table[codes]


def _prepare(movements: pd.DataFrame, initial_status: Any) -> _Prepared:
    missing = [c for c in ("person_id", "time", "direction") if c not in movements.columns]
    if missing:
        raise InputError(
            "expected columns person_id, time and direction (plus optional seq), "
            f"missing {', '.join(missing)}; got {', '.join(map(str, movements.columns))}",
            column=missing[0],
        )
    code, code_lo = _person_codes(movements["person_id"])
    arr, cleaned = _direction_codes(movements["direction"])
    seq = movements["seq"] if "seq" in movements.columns else None
    day, tie_key, ok_time, ok_seq = _time_values(movements["time"], seq)
    init = _initial_status(initial_status, movements)
    return _Prepared(code, code_lo, arr, day, tie_key, ok_time, ok_seq, cleaned, init)


# Reject kinds, in the order they are checked; the sentence is built per row.
_KINDS = (
    "no_person",
    "bad_direction",
    "bad_time",
    "bad_seq",
    "before_start",
    "after_end",
    "future",
    "duplicate",
    "ambiguous",
)
_KIND_LABELS = {
    "no_person": "no person id",
    "bad_direction": "unknown direction",
    "bad_time": "missing or unreadable time",
    "bad_seq": "missing or non-integer seq",
    "before_start": "before data_start",
    "after_end": "on or after obs_end",
    "future": "in the future",
    "duplicate": "duplicate crossing",
    "ambiguous": "same-time crossings in both directions",
}


@dataclass
class Crossings:
    """Border crossings classified by the outcome rule, with the rows that were rejected.

    Attributes
    ----------
    table
        The classified input rows in input order (original index kept) with
        ``days_observed``, ``days_in``, ``outcome`` (categorical: reached, failed,
        unknown), ``resident_before``, ``resident_after`` and ``long_term`` (nullable
        booleans, NA when unknown).
    rejected
        The input rows that could not be classified, with ``row`` (position in the input)
        and ``reason``. ``len(table) + len(rejected)`` is the number of input rows.
    threshold_days, window_days
        V and W of the rule.
    data_start, obs_end
        First day covered and first day not covered by the data.
    cleaned_directions
        Rows whose direction was spelled otherwise than ``arrival``/``departure`` and was
        read (A/D, in/out, arr/dep, ...).
    ambiguous_ties
        Classified rows that shared person and time with a crossing in the other
        direction and were ordered by input position.
    """

    table: pd.DataFrame
    rejected: pd.DataFrame
    threshold_days: int
    window_days: int
    data_start: dt.date | None
    obs_end: dt.date | None
    cleaned_directions: int = 0
    ambiguous_ties: int = 0
    reject_counts: dict[str, int] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.table)

    def summary(self) -> pd.DataFrame:
        """Counts of rows, rejects by reason, cleaning and outcomes, as an (item, count) table.

        Examples
        --------
        >>> moves = pd.DataFrame({"person_id": [1, 1], "direction": ["A", "D"],
        ...                       "time": pd.to_datetime(["2015-01-01", "2016-03-01"])})
        >>> res = classify_crossings(moves, obs_end="2017-01-01", data_start="2013-01-01")
        >>> counts = res.summary().set_index("item")["count"]
        >>> counts[["rows in", "long-term arrivals", "long-term status unknown"]].tolist()
        [2, 1, 1]
        """
        t = self.table
        lt = t["long_term"]
        arrivals = self._arrival_mask()
        items: list[tuple[str, int]] = [
            ("rows in", len(t) + len(self.rejected)),
            ("rows classified", len(t)),
            ("rows rejected", len(self.rejected)),
        ]
        items += [
            (f"rejected: {_KIND_LABELS[k]}", self.reject_counts.get(k, 0))
            for k in _KINDS
            if self.reject_counts.get(k, 0)
        ]
        items += [
            ("directions cleaned", self.cleaned_directions),
            ("same-time crossings ordered by input position", self.ambiguous_ties),
        ]
        items += [(f"outcome {o}", int((t["outcome"] == o).sum())) for o in OUTCOMES]
        items += [
            ("long-term arrivals", int((lt.fillna(False) & arrivals).sum())),
            ("long-term departures", int((lt.fillna(False) & ~arrivals).sum())),
            ("long-term status unknown", int(lt.isna().sum())),
        ]
        return pd.DataFrame(
            {"item": [i for i, _ in items], "count": np.array([c for _, c in items], np.int64)}
        )

    def _arrival_mask(self) -> pd.Series:
        return pd.Series(_direction_codes(self.table["direction"])[0] == 1, index=self.table.index)

    def _repr_html_(self) -> str:
        title = html.escape(
            f"Border crossings, outcome rule {self.threshold_days}/{self.window_days} days; "
            f"data from {self.data_start} to {self.obs_end} (first day not covered)"
        )
        summary = self.summary().to_html(index=False)
        head = self.table.head(10).to_html(max_cols=20)
        rejected = (
            f"<p>Rejected rows (first 5):</p>{self.rejected.head(5).to_html(max_cols=20)}"
            if len(self.rejected)
            else ""
        )
        return f"<div><b>{title}</b>{summary}<p>First rows:</p>{head}{rejected}</div>"

    def __repr__(self) -> str:
        return (
            f"Crossings({len(self.table)} classified, {len(self.rejected)} rejected, "
            f"rule {self.threshold_days}/{self.window_days} days, "
            f"data {self.data_start} to {self.obs_end})"
        )


def _check_rule(threshold_days: int, window_days: int, chunk_rows: int) -> None:
    if not (0 < int(threshold_days) <= int(window_days)):
        raise ConfigurationError(
            "expected 0 < threshold_days <= window_days (e.g. 365 and 487 for 12/16 months), "
            f"got threshold_days={threshold_days}, window_days={window_days}"
        )
    if int(chunk_rows) < 1:
        raise ConfigurationError(f"chunk_rows: expected a positive number, got {chunk_rows}")


@public
def classify_crossings(
    movements: pd.DataFrame,
    *,
    threshold_days: int = 365,
    window_days: int = 487,
    obs_end: Any = None,
    data_start: Any = None,
    initial_status: Any = None,
    chunk_rows: int = 250_000,
    ties: TieRule | str = TieRule.INPUT_ORDER,
    today: Any = None,
    write: str | os.PathLike[str] | None = None,
    partitions: int | None = None,
    threads: int | None = None,
) -> Crossings:
    """Classify border crossings by the outcome-based rule (12 of the next 16 months).

    A crossing on day t is a long-term arrival (departure) when the traveller then spends
    at least ``threshold_days`` (V) of the ``window_days`` (W) days from t in (out of) the
    country; residence status changes only on such a crossing. Semantics are those of
    Stats NZ's migstat package as written in DOMAIN.md ("The 12/16 rule precisely"):

    - The arrival day counts as in the country, the departure day as out; only the total
      of days counts, not continuity.
    - Window [t, x) with x = min(t + W, obs_end); ``days_observed`` O = x - t,
      ``days_in`` H. An arrival reaches when H >= V and fails when O - H > W - V; a
      departure reaches when O - H >= V and fails when H > W - V; otherwise (only when
      the window is cut by ``obs_end``) the outcome is unknown.
    - Missing records: between two arrivals on days t1 < t2 the days [t1, m) count as in
      the country, between two departures the days [m, t2), with m = t1 + (t2 - t1) // 2
      (the split day belongs to the second half: an odd gap gives the floor of half to the
      first half).
    - Status after a crossing: reached arrival -> resident, reached departure ->
      non-resident; failed -> unchanged; unknown -> unchanged when it cannot matter
      (arrival of a resident, departure of a non-resident), unknown otherwise, until the
      next reaching crossing.
    - Status before the first crossing: when it is at least V days after ``data_start``,
      resident if it is a departure and non-resident if an arrival; otherwise the value of
      ``initial_status`` on that row, or unknown.
    - ``long_term``: arrival with status 0 before and 1 after, departure with 1 before and
      0 after; False when the status cannot have changed (failed outcome, or a known
      status on the wrong side), NA otherwise when a status is unknown.

    Parameters
    ----------
    movements
        One row per crossing: ``person_id``, ``time`` (timestamp, date or ISO 8601 text),
        ``direction`` (``arrival``/``departure``; ``A``/``D``, ``in``/``out``,
        ``arr``/``dep``, ``entry``/``exit`` and French, Portuguese and Arabic words are
        read case-insensitively and counted as cleaned) and optionally ``seq``, an integer
        that orders the crossings of one day (when given, it replaces the time of day).
        Any other column is carried through. Rows may come in any order. A Dask
        DataFrame, or the path of a Parquet file or dataset folder (hive partitions such
        as ``year=2015/`` become columns), runs on Dask (``pip install "migdata[dask]"``,
        see :doc:`/guide/scale`): the data start and end are found once for all the data,
        the rows are shuffled by a hash of the person id and each partition is classified
        as here, with identical results.
    threshold_days, window_days
        V and W (defaults 365 and 487 days: 12 of 16 months).
    obs_end
        First day not covered by the data (default: the day after the last crossing).
        Crossings on or after it are rejected.
    data_start
        First day covered by the data (default: the day of the first crossing).
        Crossings before it are rejected.
    initial_status
        Status before each row's crossing known from outside information (e.g. the
        country of residence on the card): a column name or a per-row array/Series of
        1/0, True/False, ``resident``/``non-resident`` or missing. Only the value on each
        person's first crossing is used, and only when the data do not reach back far
        enough to decide.
    chunk_rows
        After one sort of all crossings by person and time, the rule runs on
        person-aligned slices of about this many rows (one person is never split),
        which bounds the working memory of the rule; results do not depend on it. The
        default (250,000) keeps a slice's arrays in the processor cache.
    ties
        Crossings of one person in both directions with the same time (and the same
        ``seq``): ``"input_order"`` (default) orders them by input row and counts them,
        ``"reject"`` rejects them. Exact duplicates (same person, time, seq and
        direction) are always dropped, the first kept.
    today
        Date of the run; crossings after it are rejected as in the future (default: the
        current date).
    write
        Folder to write the result to as Parquet datasets, ``classified/`` and
        ``rejected/`` (one file per partition, rows by input position within a file); the
        result's tables are then read back lazily from them. Runs on Dask.
    partitions
        Number of partitions of the shuffle by person on Dask (default: as many as the
        input has). Results do not depend on it.
    threads
        Threads classifying buckets of persons side by side in memory (default: the
        cores this process may use; 1 on Dask, whose workers already run side by side).
        Results do not depend on it.

    Returns
    -------
    Crossings
        ``.table`` (classified rows in input order with the output columns),
        ``.rejected`` (rows with ``row`` and ``reason``), ``.summary()``. On Dask a
        :class:`~migdata.sources._crossings_dask.DaskCrossings`: the same counts, lazy
        Dask DataFrames with a ``row`` column (the input position) in place of the index,
        ``.inputs`` (rows of every input partition) and ``.to_pandas()``.

    Raises
    ------
    InputError
        A required column is missing or ``initial_status`` holds an unreadable value; on
        a Parquet dataset, a file that cannot be read, lacks a required column or holds a
        column with another type than the other files (ids as integers in one file and
        text or floats in another, timestamps with and without a time zone): the message
        names the file, or the partition.
    ConfigurationError
        Inconsistent parameters.

    Examples
    --------
    >>> moves = pd.DataFrame({
    ...     "person_id": ["p1", "p1", "p2", "p2"],
    ...     "time": ["2015-01-01", "2016-03-01", "2015-02-01", "2015-05-12"],
    ...     "direction": ["A", "D", "arrival", "departure"],
    ... })
    >>> res = classify_crossings(moves, obs_end="2017-06-01", data_start="2013-01-01")
    >>> res.table[["person_id", "days_in", "outcome", "long_term"]]
      person_id  days_in  outcome  long_term
    0        p1      425  reached       True
    1        p1        0  reached       True
    2        p2      100   failed      False
    3        p2        0  reached      False
    """
    check_date(obs_end, "obs_end")
    check_date(data_start, "data_start")
    options = {
        "threshold_days": threshold_days,
        "window_days": window_days,
        "obs_end": obs_end,
        "data_start": data_start,
        "initial_status": initial_status,
        "chunk_rows": chunk_rows,
        "ties": ties,
        "today": today,
        "threads": threads,
    }
    if write is not None or partitions is not None or not isinstance(movements, pd.DataFrame):
        if not (isinstance(movements, pd.DataFrame) or _engines.is_distributed(movements)):
            raise InputError(
                "expected a pandas or Dask DataFrame of movements, or the path of a Parquet "
                f"file or dataset folder, got {type(movements).__name__}"
            )
        # Dask, a Parquet dataset or a written result: the engine is imported only here.
        from migdata.sources import _crossings_dask

        return _crossings_dask.classify(movements, write=write, partitions=partitions, **options)
    return _classify_frame(movements, **options)


def _classify_frame(
    movements: pd.DataFrame,
    *,
    threshold_days: int,
    window_days: int,
    obs_end: Any,
    data_start: Any,
    initial_status: Any,
    chunk_rows: int,
    ties: TieRule | str,
    today: Any,
    threads: int | None = None,
    rows: np.ndarray | None = None,
) -> Crossings:
    """:func:`classify_crossings` on one DataFrame; ``rows`` numbers the rows in reasons
    and in ``rejected["row"]`` (default: their positions)."""
    check_frame(movements, "movements")
    _check_rule(threshold_days, window_days, chunk_rows)
    try:
        tie_rule = TieRule(ties)
    except ValueError as exc:
        raise ConfigurationError(f"ties: expected 'input_order' or 'reject', got {ties!r}") from exc
    prep = _prepare(movements, initial_status)
    n = len(movements)
    kind, start_day, end_day = _reject_kinds(prep, n, today, data_start, obs_end)
    all_valid = bool(n) and bool(kind.max() < 0)
    n_threads = _threads(threads)
    params = RuleParams(
        threshold=int(threshold_days),
        window=int(window_days),
        obs_end=end_day if end_day is not None else 0,
        data_start=start_day if start_day is not None else 0,
    )
    reject_ties = tie_rule is TieRule.REJECT
    if all_valid:
        # Clean input: the valid rows are the input rows, no index array needed.
        code, code_lo = _dense_codes(prep.code, prep.code_lo)
        word, ties_found = classify_rows(
            code,
            code_lo,
            prep.day,
            prep.arr,
            prep.tie_key,
            prep.init,
            params,
            int(chunk_rows),
            reject_ties,
            n_threads,
        )
    else:
        word = np.zeros(n, dtype=word_dtype(params.window))
        ties_found = TieRows()
        positions = np.flatnonzero(kind < 0)
        if positions.size:
            code, code_lo = _dense_codes(prep.code[positions], prep.code_lo)
            word_valid, found = classify_rows(
                code,
                code_lo,
                prep.day[positions],
                prep.arr[positions],
                prep.tie_key[positions],
                None if prep.init is None else prep.init[positions],
                params,
                int(chunk_rows),
                reject_ties,
                n_threads,
            )
            word[positions] = word_valid
            ties_found.add(found, positions)
    dup_rows, dup_of, tie_rows = ties_found.arrays()
    return _assemble(
        movements,
        prep,
        kind,
        word,
        dup_rows,
        dup_of,
        tie_rows,
        params,
        tie_rule,
        start_day,
        end_day,
        rows,
        n_threads,
    )


def _threads(threads: int | None) -> int:
    """Threads for the kernel: the cores this process may use, unless given."""
    if threads is None:
        try:
            return max(1, len(os.sched_getaffinity(0)))
        except AttributeError:  # not on Linux
            return max(1, os.cpu_count() or 1)
    if int(threads) < 1:
        raise ConfigurationError(f"threads: expected a positive number, got {threads}")
    return int(threads)


def _reject_kinds(
    prep: _Prepared, n: int, today: Any, data_start: Any, obs_end: Any
) -> tuple[np.ndarray, int | None, int | None]:
    """Reject kind of every row (-1 valid; duplicates and ties come later) and the data
    start and end days (given, or from the valid rows)."""
    kind = np.full(n, -1, dtype=np.int8)

    def flag(mask: np.ndarray, name: str) -> None:
        kind[(kind < 0) & mask] = _KINDS.index(name)

    # Clean data pays a reduction per check; masks are built only for failing checks.
    if n and int(prep.code.min()) < prep.code_lo:
        flag(prep.code < prep.code_lo, "no_person")
    if n and int(prep.arr.min()) < 0:
        flag(prep.arr < 0, "bad_direction")
    if prep.ok_time is not None:
        flag(~prep.ok_time, "bad_time")
    if prep.ok_seq is not None:
        flag(~prep.ok_seq, "bad_seq")
    # Bad times hold day 0, never flagged as after today or obs_end.
    day_lo, day_hi = (int(prep.day.min()), int(prep.day.max())) if n else (0, 0)
    today_day = _to_day(dt.date.today() if today is None else today, "today")
    if day_hi > today_day:
        flag(prep.day > today_day, "future")
    start_day = _to_day(data_start, "data_start") if data_start is not None else None
    end_day = _to_day(obs_end, "obs_end") if obs_end is not None else None
    if start_day is not None and day_lo < start_day:
        flag(prep.day < start_day, "before_start")
    if end_day is not None and day_hi >= end_day:
        flag(prep.day >= end_day, "after_end")
    all_valid = bool(n) and bool(kind.max() < 0)
    valid = None if all_valid else kind < 0
    if all_valid or (valid is not None and valid.any()):
        days_valid = prep.day if valid is None else prep.day[valid]
        if start_day is None:
            start_day = int(days_valid.min())
        if end_day is None:
            end_day = int(days_valid.max()) + 1
    if start_day is not None and end_day is not None and start_day >= end_day:
        raise ConfigurationError(
            f"expected data_start before obs_end, got data_start={_day_to_date(start_day)} "
            f"and obs_end={_day_to_date(end_day)}"
        )
    return kind, start_day, end_day


def _dense_codes(code: np.ndarray, code_lo: int) -> tuple[np.ndarray, int]:
    """Person codes made dense when the ids are sparse integers (fewer key bits)."""
    if code.size and int(code.max()) - code_lo > 4 * code.size + 1024:
        return pd.factorize(code)[0].astype(np.int64), 0
    return code, code_lo


def _assemble(
    movements: pd.DataFrame,
    prep: _Prepared,
    kind: np.ndarray,
    word: np.ndarray,
    dup_rows: np.ndarray,
    dup_of_rows: np.ndarray,
    tie_rows: np.ndarray,
    params: RuleParams,
    tie_rule: TieRule,
    start_day: int | None,
    end_day: int | None,
    rows: np.ndarray | None = None,
    threads: int = 1,
) -> Crossings:
    n = len(movements)
    dup_of = None
    if dup_rows.size:
        dup_of = np.full(n, -1, dtype=np.int64)
        dup_of[dup_rows] = dup_of_rows
        kind[dup_rows] = _KINDS.index("duplicate")
    if tie_rule is TieRule.REJECT and tie_rows.size:
        kind[tie_rows] = _KINDS.index("ambiguous")
    # Clean data (the common case at scale) skips every row mask.
    all_kept = not n or int(kind.max()) < 0
    keep = None if all_kept else kind < 0
    if keep is not None:
        word, day = word[keep], prep.day[keep]
    else:
        day = prep.day
    columns = _output_columns(word, day, params, threads)
    base = movements if keep is None else movements.iloc[np.flatnonzero(keep)]
    base = base.drop(columns=[c for c in _OUTPUT_COLUMNS if c in base.columns])
    # Series built without copying: pandas would otherwise copy every new column.
    table = base.assign(
        **{
            name: pd.Series(values, index=base.index, copy=False)
            for name, values in columns.items()
        }
    )
    if keep is None:
        counts: dict[str, int] = {}
        where = np.empty(0, dtype=np.intp)
    else:
        tally = np.bincount(kind[~keep], minlength=len(_KINDS)).tolist()
        counts = dict(zip(_KINDS, tally, strict=True))
        where = np.flatnonzero(~keep)
    rejected = _rejected_rows(movements, prep, kind, where, dup_of, start_day, end_day, rows)
    ambiguous = 0 if tie_rule is TieRule.REJECT else int(tie_rows.size)
    return Crossings(
        table=table,
        rejected=rejected,
        threshold_days=params.threshold,
        window_days=params.window,
        data_start=None if start_day is None else _day_to_date(start_day),
        obs_end=None if end_day is None else _day_to_date(end_day),
        cleaned_directions=_count_cleaned(prep.cleaned, keep),
        ambiguous_ties=ambiguous,
        reject_counts={k: v for k, v in counts.items() if v},
    )


def _count_cleaned(cleaned: np.ndarray | None, keep: np.ndarray | None) -> int:
    if cleaned is None:
        return 0
    return int(np.count_nonzero(cleaned if keep is None else cleaned & keep))


def _status_tables() -> tuple[np.ndarray, ...]:
    """Lookup tables from the low byte of a result word to the output codes."""
    flags = np.arange(256)
    tables = [(flags & 3).astype(np.int8)]  # outcome code
    for shift in (2, 4, 6):
        status = (flags >> shift) & 3  # 0 unknown, 1 no, 2 yes
        tables += [status == 2, status == 0]  # value, NA mask
    return tuple(tables)


def _output_columns(
    word: np.ndarray, day: np.ndarray, params: RuleParams, threads: int = 1
) -> dict[str, Any]:
    """The output columns from the result words, built block by block into their arrays."""
    m = word.size
    days_observed = np.empty(m, dtype=np.int32)
    days_in = np.empty(m, dtype=np.int32)
    tables = _status_tables()
    outs = [np.empty(m, dtype=t.dtype) for t in tables]

    def block(a: int) -> None:
        b = min(a + BLOCK, m)
        d = day[a:b]
        np.minimum(d + params.window, params.obs_end, out=days_observed[a:b])
        days_observed[a:b] -= d
        w = word[a:b]
        np.right_shift(w, PACK_SHIFT, out=days_in[a:b], casting="unsafe")
        low = (w & 0xFF).astype(np.intp)
        for table, out in zip(tables, outs, strict=True):
            np.take(table, low, out=out[a:b])

    starts = range(0, m, BLOCK)
    if threads > 1 and len(starts) > 1:
        from concurrent.futures import ThreadPoolExecutor

        with ThreadPoolExecutor(max_workers=threads) as pool:  # numpy releases the GIL
            list(pool.map(block, starts))
    else:
        for a in starts:
            block(a)
    outcome, *status = outs
    return {
        "days_observed": days_observed,
        "days_in": days_in,
        "outcome": pd.Categorical.from_codes(outcome, categories=list(OUTCOMES), validate=False),
        "resident_before": pd.arrays.BooleanArray(status[0], status[1]),
        "resident_after": pd.arrays.BooleanArray(status[2], status[3]),
        "long_term": pd.arrays.BooleanArray(status[4], status[5]),
    }


def _rejected_rows(
    movements: pd.DataFrame,
    prep: _Prepared,
    kind: np.ndarray,
    where: np.ndarray,
    dup_of: np.ndarray | None,
    start_day: int | None,
    end_day: int | None,
    rows: np.ndarray | None = None,
) -> pd.DataFrame:
    rejected = movements.iloc[where].copy()
    rejected["row"] = where if rows is None else rows[where]
    reasons: list[str] = []
    for pos in where:  # only rejected rows: reasons quote the offending value
        k = _KINDS[kind[pos]]
        if k == "no_person":
            reasons.append(f"expected a person id, got {movements['person_id'].iloc[pos]!r}")
        elif k == "bad_direction":
            reasons.append(
                "expected a direction (arrival/departure, A/D, in/out, arr/dep), got "
                f"{movements['direction'].iloc[pos]!r}"
            )
        elif k == "bad_time":
            reasons.append(
                "expected a time (timestamp, date or ISO 8601 text such as 2015-03-01), got "
                f"{movements['time'].iloc[pos]!r}"
            )
        elif k == "bad_seq":
            reasons.append(
                "expected an integer seq ordering same-day crossings, got "
                f"{movements['seq'].iloc[pos]!r}"
            )
        elif k == "before_start":
            reasons.append(
                f"expected a crossing on or after data_start {_day_to_date(start_day or 0)}, "
                f"got {_day_to_date(prep.day[pos])}"
            )
        elif k == "after_end":
            reasons.append(
                f"expected a crossing before obs_end {_day_to_date(end_day or 0)} (the first "
                f"day not covered), got {_day_to_date(prep.day[pos])}"
            )
        elif k == "future":
            reasons.append(
                f"expected a crossing on or before today, got {_day_to_date(prep.day[pos])}"
                " (in the future)"
            )
        elif k == "duplicate":
            reasons.append(
                "duplicate crossing: same person, time and direction as row "
                f"{-1 if dup_of is None else _row_number(int(dup_of[pos]), rows)}, which was kept"
            )
        else:
            reasons.append(
                "expected one crossing per person and time (or a seq to order them), got an "
                "arrival and a departure at the same time in an unknown order"
            )
    rejected["reason"] = pd.array(reasons, dtype="string")
    return rejected


def _row_number(position: int, rows: np.ndarray | None) -> int:
    return position if rows is None else int(rows[position])


_AGE_RANGE = re.compile(r"^\s*(\d{1,3})\s*[-–]\s*(\d{1,3})\s*$")
_AGE_PLUS = re.compile(r"^\s*(\d{1,3})\s*\+\s*$")
_AGE_UNDER = re.compile(r"^\s*<\s*(\d{1,3})\s*$")


def _age_code(value: Any) -> str:
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return "_U"
    text = str(value).strip()
    if re.match(AGE_PATTERN, text):
        return text
    for pattern, fmt in ((_AGE_RANGE, "Y{0}T{1}"), (_AGE_PLUS, "Y_GE{0}"), (_AGE_UNDER, "Y_LT{0}")):
        m = pattern.match(text)
        if m:
            return fmt.format(*m.groups())
    raise InputError(
        f"expected an age group such as 15-19, 65+, <15 or an SDMX code (Y15T19), got {value!r}",
        column="age_group",
        value=value,
    )


def _sex_code(value: Any) -> str:
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return "_U"
    key = str(value).strip().lower()
    return {"m": "M", "male": "M", "f": "F", "female": "F", "_t": "_T", "_u": "_U"}.get(key, "_U")


@public
def tabulate_crossings(
    classified: Crossings | pd.DataFrame | Any,
    *,
    by: Sequence[str] = ("year", "citizenship", "sex", "age_group"),
) -> pd.DataFrame:
    """Long-term immigrant and emigrant flows from classified crossings.

    A long-term arrival (status before 0, after 1) is an immigrant, a long-term departure
    (before 1, after 0) an emigrant. Cells are counted by the ``by`` columns; ``year`` is
    the calendar year of the crossing when the table has no ``year`` column. A ``by``
    column missing from the table is left out (the flows are totals over it); missing
    values in a present column form their own cell (NA).

    Parameters
    ----------
    classified
        The result of :func:`classify_crossings` (or its ``.table``).
    by
        Breakdown columns.

    Returns
    -------
    DataFrame
        Columns: the ``by`` columns present, ``measure`` (IMM or EMI), ``value`` (number of
        long-term crossings), ``unknown`` (crossings in the cell whose long-term status is
        unknown: windows cut by the end of the data or unknown status before), and
        ``obs_status`` (``P`` provisional when ``unknown`` > 0, else ``A``). Sorted by
        measure and the breakdown; cells with no long-term and no unknown crossing are
        left out.

    Examples
    --------
    >>> moves = pd.DataFrame({
    ...     "person_id": [1, 1, 2], "direction": ["A", "D", "A"],
    ...     "time": pd.to_datetime(["2015-01-01", "2016-03-01", "2016-06-01"]),
    ...     "citizenship": ["KEN", "KEN", "UGA"]})
    >>> # the departure's window is cut at obs_end after 306 days: not yet known
    >>> res = classify_crossings(moves, obs_end="2017-01-01", data_start="2013-01-01")
    >>> tabulate_crossings(res, by=("year", "citizenship"))
       year citizenship measure  value  unknown obs_status
    0  2016         KEN     EMI      0        1          P
    1  2015         KEN     IMM      1        0          A
    2  2016         UGA     IMM      0        1          P
    """
    table = classified.table if isinstance(classified, Crossings) else classified
    if _engines.is_distributed(table):
        from migdata.sources import _crossings_dask

        return _crossings_dask.tabulate(table, by)
    needed = [c for c in ("time", "direction", "long_term") if c not in table.columns]
    if needed:
        raise InputError(
            "expected a classified crossings table (from classify_crossings), missing "
            + ", ".join(needed),
            column=needed[0],
        )
    frame = pd.DataFrame(index=table.index)
    keys: list[str] = []
    for name in by:
        if name in table.columns:
            frame[name] = table[name]
        elif name == "year":
            times = table["time"]
            if not pd.api.types.is_datetime64_any_dtype(times.dtype):
                times = pd.to_datetime(times, errors="coerce", format="ISO8601")
            frame[name] = times.dt.year.astype("Int64")
        else:
            continue
        keys.append(name)
    arrival = _direction_codes(table["direction"])[0] == 1
    frame["measure"] = np.where(arrival, "IMM", "EMI")
    lt = table["long_term"].astype("boolean")
    frame["value"] = lt.fillna(False).to_numpy(dtype=np.int64)
    frame["unknown"] = lt.isna().to_numpy().astype(np.int64)
    return _sum_counts(frame, keys)


def _sum_counts(frame: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """Long-term and unknown counts summed by measure and ``keys``; a cell with any unknown
    outcome is provisional (P). Shared by the pandas and the Dask tabulations."""
    grouped = (
        frame.groupby(["measure", *keys], dropna=False, observed=True, sort=True)[
            ["value", "unknown"]
        ]
        .sum()
        .reset_index()
    )
    grouped = grouped[(grouped["value"] > 0) | (grouped["unknown"] > 0)]
    grouped = grouped[[*keys, "measure", "value", "unknown"]].reset_index(drop=True)
    grouped["obs_status"] = pd.array(
        np.where(grouped["unknown"].to_numpy() > 0, "P", "A"), dtype="string"
    )
    return grouped


def _counterpart_types(
    counterpart: str, counterpart_type: str | Mapping[str, str] | None, measure: pd.Series
) -> np.ndarray:
    """The ``counterpart_type`` of every row: one code, or one code per measure."""

    def code(value: Any, what: str) -> str:
        text = str(getattr(value, "value", value)).strip().upper()
        if text not in COUNTERPART_TYPES:
            raise ConfigurationError(
                f"{what}: expected one of {', '.join(COUNTERPART_TYPES)}, got {value!r}"
            )
        return text

    if counterpart_type is None:
        if counterpart != "citizenship":
            # Never guess what a column holds: a partner country is a previous residence
            # for immigrants but a next residence for emigrants.
            raise ConfigurationError(
                f"counterpart_type: say what the column {counterpart!r} holds, e.g. 'BIRTH' "
                "or {'IMM': 'PREV_RES', 'EMI': 'NEXT_RES'}; got None (only the "
                "'citizenship' column defaults to CITIZENSHIP)"
            )
        counterpart_type = "CITIZENSHIP"
    if not isinstance(counterpart_type, Mapping):
        return np.full(len(measure), code(counterpart_type, "counterpart_type"), dtype=object)
    by_measure = {
        str(k).strip().upper(): code(v, f"counterpart_type[{k!r}]")
        for k, v in counterpart_type.items()
    }
    measures = measure.astype("string").str.strip().str.upper().reset_index(drop=True)
    missing = sorted(set(measures.dropna().unique()) - set(by_measure))
    if missing:
        raise ConfigurationError(
            f"counterpart_type: expected a type for every measure in the flows; no type for "
            f"{', '.join(missing)} (the mapping gives {', '.join(by_measure) or 'none'})"
        )
    return measures.map(by_measure).to_numpy(dtype=object)


def crossing_flows_to_harmonised(
    flows: pd.DataFrame,
    *,
    ref_area: str,
    source_id: str | None = None,
    target: str = "UN1998",
    compliance: str | None = None,
    counterpart: str = "citizenship",
    counterpart_type: str | Mapping[str, str] | None = None,
) -> pd.DataFrame:
    """Flows from :func:`tabulate_crossings` in the harmonised table shape.

    ``measure`` IMM/EMI; ``counterpart_area`` the ``counterpart`` column (citizenship by
    default) resolved to ISO alpha-3 through :func:`migdata.countries.resolve`, ``_U`` when
    missing or unresolved, ``_T`` when the flows have no citizenship breakdown;
    ``counterpart_type`` what that column holds (CITIZENSHIP by default); ``sex`` M/F/_U
    (``_T`` without a sex breakdown), ``age`` an SDMX band (``15-19`` -> ``Y15T19``,
    ``65+`` -> ``Y_GE65``; ``_T`` without an age breakdown), ``time_period`` the year,
    ``obs_status`` P for provisional cells.

    Parameters
    ----------
    flows
        Output of :func:`tabulate_crossings` (needs ``year``).
    ref_area
        Reporting country (ISO alpha-3 or any spelling ``resolve`` reads).
    source_id
        Identifier of the source, written on every row.
    target
        Target definition the rule serves (default UN1998: 12 months of observed stay).
    compliance
        Compliance class to write, when known (see the compliance functions).
    counterpart
        Column of ``flows`` holding the counterpart country. The default ``"citizenship"``
        may be absent (no breakdown: ``_T``); any other named column must be present.
    counterpart_type
        What the counterpart column holds, a code of
        :data:`migdata.harmonised.COUNTERPART_TYPES` (any case): one code for every row
        (``"BIRTH"``), or a mapping by measure, e.g. ``{"IMM": "PREV_RES", "EMI":
        "NEXT_RES"}`` for the country a crossing came from or went to (a previous residence
        for immigrants, the next one for emigrants). Default: ``"CITIZENSHIP"`` for the
        ``citizenship`` column; required for any other column.

    Returns
    -------
    DataFrame with :data:`migdata.harmonised.HARMONISED_COLUMNS`.

    Raises
    ------
    InputError
        No ``year`` column, or the named ``counterpart`` column is missing.
    ConfigurationError
        Unknown target, ref_area or counterpart type; no type for a measure in the flows.

    Examples
    --------
    >>> flows = pd.DataFrame({"year": [2016], "citizenship": ["Kenya"], "sex": ["F"],
    ...                       "age_group": ["25-29"], "measure": ["IMM"], "value": [3],
    ...                       "unknown": [1], "obs_status": ["P"]})
    >>> h = crossing_flows_to_harmonised(flows, ref_area="UGA", source_id="UGA-BORDER")
    >>> h.loc[0, ["measure", "counterpart_area", "age", "obs_status"]].tolist()
    ['IMM', 'KEN', 'Y25T29', 'P']
    >>> float(h.loc[0, "obs_value"])
    3.0

    Flows by the country a crossing came from or went to (``tabulate_crossings(res,
    by=("year", "partner"))`` with a ``partner`` column in the movements):

    >>> by_partner = pd.DataFrame({"year": [2016, 2016], "partner": ["KEN", "Tanzania"],
    ...                            "measure": ["IMM", "EMI"], "value": [3, 2]})
    >>> h = crossing_flows_to_harmonised(
    ...     by_partner, ref_area="UGA", counterpart="partner",
    ...     counterpart_type={"IMM": "PREV_RES", "EMI": "NEXT_RES"})
    >>> h[["measure", "counterpart_area", "counterpart_type"]].values.tolist()
    [['IMM', 'KEN', 'PREV_RES'], ['EMI', 'TZA', 'NEXT_RES']]
    """
    from migdata.countries import resolve  # lazy: the resolver loads its tables on use

    if _engines.is_dask(flows):
        flows = flows.compute()  # flows are small: cells, not crossings
    if "year" not in flows.columns:
        raise InputError("expected flows with a year column (tabulate by year)", column="year")
    if target not in TARGETS:
        raise ConfigurationError(f"target: expected one of {', '.join(TARGETS)}, got {target!r}")
    area = resolve(ref_area)
    if area is None or pd.isna(area):
        raise ConfigurationError(f"ref_area: expected a country, got {ref_area!r}")
    if counterpart not in flows.columns and counterpart != "citizenship":
        raise InputError(
            f"expected the counterpart column {counterpart!r} in the flows (tabulate by it); "
            f"got columns {', '.join(map(str, flows.columns))}",
            column=counterpart,
        )
    types = _counterpart_types(counterpart, counterpart_type, flows["measure"])
    n = len(flows)
    if counterpart in flows.columns:
        cit = flows[counterpart]
        resolved = pd.Series(resolve(cit.astype("string").reset_index(drop=True)), dtype="string")
        areas = resolved.fillna("_U").to_numpy(dtype=object)
    else:
        areas = np.full(n, "_T", dtype=object)
    sex = (
        flows["sex"].map(_sex_code).to_numpy(dtype=object)
        if "sex" in flows.columns
        else np.full(n, "_T", dtype=object)
    )
    age = (
        flows["age_group"].map(_age_code).to_numpy(dtype=object)
        if "age_group" in flows.columns
        else np.full(n, "_T", dtype=object)
    )
    value = flows["value"].to_numpy(dtype=float)
    status = (
        flows["obs_status"].astype("string").fillna("A").to_numpy(dtype=object)
        if "obs_status" in flows.columns
        else np.full(n, "A", dtype=object)
    )
    out = pd.DataFrame(
        {
            "measure": flows["measure"].to_numpy(dtype=object),
            "ref_area": area,
            "counterpart_area": areas,
            "counterpart_type": types,
            "sex": sex,
            "age": age,
            "time_period": flows["year"].astype("Int64").astype("string").to_numpy(dtype=object),
            "obs_value": value,
            "reported_value": value,
            "adjustment": 1.0,
            "target": target,
            "compliance": compliance,
            "source_id": source_id,
            "obs_status": status,
            "provenance": "long-term border crossings by the outcome rule (observed stay), "
            "counted from linked entry/exit records",
        }
    )
    return out.astype(HARMONISED_COLUMNS)
