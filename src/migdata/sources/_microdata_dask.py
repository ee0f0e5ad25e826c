"""Dask engine of the census, register and permit microdata: the pandas code per partition.

Imported only when :func:`~migdata.sources.census.census_stocks`,
:func:`~migdata.sources.registers.register_flows`,
:func:`~migdata.sources.permits.first_permits` or
:func:`~migdata.sources.permits.valid_permits` gets a Dask DataFrame. Census records are
read partition by partition and only their partial sums, rejected and excluded rows come
back; register events and permits are first shuffled by a hash of the person id (a
person's rows meet in one partition), keeping each row's input position.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from migdata._checks import check_frame
from migdata.errors import InputError, MigdataError, ValidationError
from migdata.sources import _engines, _parse
from migdata.sources.census import (
    Census,
    _census_records,
    _census_result,
    _CensusRecords,
    _tabulation_inputs,
)
from migdata.sources.permits import (
    Permits,
    _cell_counts,
    _finish_counts,
    _first_cells,
    _first_or_renewal,
    _first_provenance,
    _prepare_rows,
    _valid_and_chosen,
    _valid_cells,
    _valid_provenance,
)
from migdata.sources.profile import SourceProfile
from migdata.sources.registers import (
    RegisterFlows,
    _event_dates,
    _observation_end,
    _register_cells,
    _register_events,
    _register_table,
    _required_columns,
)

_ROW = "_row"
_BUCKET = "_bucket"


# --------------------------------------------------------------------------------------
# Shared: the input frame, where an error happened, combining partial results
# --------------------------------------------------------------------------------------


def _dask_frame(table: Any, param: str) -> Any:
    """``table`` as a Dask DataFrame with unique, flat column names (checked on its meta)."""
    _engines.require_dask()
    import dask.dataframe as dd

    if not isinstance(table, dd.DataFrame):
        raise InputError(
            f"parameter '{param}': expected a pandas or Dask DataFrame, got {type(table).__name__}"
        )
    check_frame(table._meta, param)
    return table


def _where(number: int) -> str:
    return f"input partition {number}"


def _in_partition(exc: MigdataError, where: str) -> MigdataError:
    """The same error with the partition it happened in at the front of its message."""
    out = type(exc)(f"{where}: {exc}")
    out.__dict__.update({k: v for k, v in exc.__dict__.items() if k != "reason"})
    return out


def _concat(frames: Sequence[pd.DataFrame]) -> pd.DataFrame:
    """Row lists of the partitions one after the other (the empty ones add nothing, not even
    their dtypes)."""
    full = [f for f in frames if len(f)]
    if not full:
        return frames[0].reset_index(drop=True)
    return pd.concat(full, ignore_index=True)


def _shift_rows(frame: pd.DataFrame, offset: int) -> pd.DataFrame:
    """A partition's row list with ``row`` counted from the start of the whole input."""
    out = frame.copy()
    out["row"] = out["row"] + offset
    return out


def _row_lists(frames: Sequence[pd.DataFrame], offsets: Sequence[int]) -> pd.DataFrame:
    """The partitions' row lists in input order, ``row`` counted from the whole input's start."""
    return _concat([_shift_rows(f, o) for f, o in zip(frames, offsets[: len(frames)], strict=True)])


def _offsets(rows: Sequence[int]) -> list[int]:
    return np.concatenate([[0], np.cumsum(np.asarray(rows, dtype=np.int64))]).tolist()


def _check_partitions(results: Sequence[Any], npartitions: int) -> None:
    if len(results) != npartitions:
        raise ValidationError(
            f"expected one result per input partition ({npartitions}), got {len(results)}: "
            "an input partition was lost"
        )


def _first_pass(part: pd.DataFrame, number: int, date_column: str | None) -> tuple[int, Any]:
    """Rows of one input partition and its last readable date (NaT: none, or not asked)."""
    if date_column is None:
        return len(part), pd.NaT
    try:
        return len(part), _event_dates(part, date_column).max()
    except (TypeError, ValueError) as exc:
        raise InputError(
            f"{_where(number)}: could not read the dates of column '{date_column}': {exc}",
            column=date_column,
        ) from exc


def _id_kind(dtype: Any) -> str:
    """What a person id column holds, for comparing partitions: ids 5, 5.0 and "5" hash
    to different buckets, so one kind must hold in every partition."""
    if pd.api.types.is_integer_dtype(dtype):
        return "integers"
    if pd.api.types.is_float_dtype(dtype):
        return "floats"
    return "text or mixed values"


def _add_keys(
    part: pd.DataFrame,
    offsets: Sequence[int],
    buckets: int,
    person_column: str,
    expected: Any,
    partition_info: dict[str, Any] | None = None,
) -> pd.DataFrame:
    """The input position of every row and the bucket of its person."""
    from migdata.sources._crossings_dask import _bucket_of

    number = 0 if partition_info is None else int(partition_info["number"])
    dtype = part[person_column].dtype
    if _id_kind(dtype) != _id_kind(expected):
        raise InputError(
            f"{_where(number)}: expected the person ids as {_id_kind(expected)} (dtype "
            f"{expected} of the Dask DataFrame), got {_id_kind(dtype)} (dtype {dtype}); "
            "give the column one dtype in every partition, e.g. with "
            f"ddf.astype({{{person_column!r}: 'Int64'}}) or 'string'",
            column=person_column,
        )
    out = part.reset_index(drop=True)
    out[_ROW] = np.arange(offsets[number], offsets[number] + len(part), dtype=np.int64)
    out[_BUCKET] = _bucket_of(part[person_column], buckets)
    return out


def _whole_persons(frame: Any, rows: Sequence[int], person_column: str) -> list[Any]:
    """Partitions (delayed) holding whole persons, each row with its input position."""
    import dask

    for reserved in (_ROW, _BUCKET, "row"):
        if reserved in frame.columns:
            raise InputError(
                f"expected no column named {reserved!r} (the Dask engine adds it)",
                column=reserved,
            )
    k = frame.npartitions
    expected = frame._meta[person_column].dtype
    keyed = frame.map_partitions(
        _add_keys, _offsets(rows), k, person_column, expected, enforce_metadata=False
    )
    empty = keyed._meta.iloc[:0]
    # The task shuffle moves pickled pandas frames: raw object columns of mixed types
    # (ages 34 and "15-19") do not fit the Arrow tables of the p2p shuffle.
    method = dask.config.get("dataframe.shuffle.method", None) or "tasks"
    shuffled = keyed.shuffle(on=_BUCKET, npartitions=k, shuffle_method=method)
    return [empty, *shuffled.to_delayed()]


def _persons_source(part: pd.DataFrame) -> pd.DataFrame:
    """A shuffled partition in input order, its index the input positions of its rows."""
    part = part.sort_values(_ROW, kind="stable")
    out = part.drop(columns=[_ROW, _BUCKET])
    out.index = pd.Index(part[_ROW].to_numpy(), name=None)
    return out


def _sorted_rows(frames: Sequence[pd.DataFrame]) -> pd.DataFrame:
    """Row lists of shuffled partitions merged back into input order."""
    return _concat(frames).sort_values("row", kind="stable").reset_index(drop=True)


def _sum_w(table: pd.DataFrame) -> pd.DataFrame:
    """Weights summed by every other column (missing keys kept as keys)."""
    keys = [c for c in table.columns if c != "w"]
    return table.groupby(keys, dropna=False, observed=True, sort=False)["w"].sum().reset_index()


# --------------------------------------------------------------------------------------
# Census: row-local, partial sums per partition
# --------------------------------------------------------------------------------------


def _census_part(
    part: pd.DataFrame, number: int, country: str, year: int, rule: float, columns: dict[str, Any]
) -> tuple[_CensusRecords, dict[str, pd.DataFrame]]:
    """One partition's records: its rows left out and its persons summed by table keys."""
    try:
        records = _census_records(part.reset_index(drop=True), country, year, rule, columns)
    except MigdataError as exc:
        raise _in_partition(exc, _where(number)) from exc
    sums = {k: _sum_w(v) for k, v in _tabulation_inputs(records.people, country).items()}
    records.people = records.people.iloc[:0]  # the sums stand for the persons
    return records, sums


def census_stocks(
    microdata: Any,
    profile: SourceProfile,
    year: int,
    target: Any,
    rule: float,
    columns: dict[str, Any],
) -> Census:
    """:func:`~migdata.sources.census.census_stocks` on Dask (see its docstring)."""
    import dask

    frame = _dask_frame(microdata, "microdata")
    what = {
        "birth_column": "country of birth",
        "citizenship_column": "citizenship",
        "sex_column": "sex",
        "age_column": "age",
        "weight_column": "survey weight",
        "arrival_column": "year of arrival",
        "months_present_column": "months present",
        "intends_to_stay_column": "intention to stay",
        "residence_1y_column": "residence 1 year(s) before",
        "residence_5y_column": "residence 5 year(s) before",
    }
    for key, label in what.items():
        if columns[key] is not None:
            _parse.required_column(frame._meta, columns[key], label)
    tasks = [
        dask.delayed(_census_part, pure=True)(p, i, profile.country, year, rule, columns)
        for i, p in enumerate(frame.to_delayed())
    ]
    results = dask.compute(*tasks)
    _check_partitions(results, frame.npartitions)
    offsets = _offsets([r.rows_in for r, _ in results])
    records = _CensusRecords(
        people=results[0][0].people,
        rejected=_row_lists([r.rejected for r, _ in results], offsets),
        excluded=_row_lists([r.excluded for r, _ in results], offsets),
        unresolved=_concat([r.unresolved for r, _ in results])
        .groupby(["column", "spelling"])["rows"]
        .sum()
        .reset_index(),
        rows_in=int(offsets[-1]),
        counted=sum(r.counted for r, _ in results),
    )
    inputs = {k: _concat([s[k] for _, s in results]) for k in results[0][1]}
    out = _census_result(inputs, records, profile, year, target, rule, columns)
    if out.rows_in != out.counted + len(out.excluded) + len(out.rejected):
        raise ValidationError(
            f"expected rows in ({out.rows_in}) = counted ({out.counted}) + excluded "
            f"({len(out.excluded)}) + rejected ({len(out.rejected)}): a partition was lost"
        )
    return out


# --------------------------------------------------------------------------------------
# Registers: whole persons per shuffled partition
# --------------------------------------------------------------------------------------


@dataclass
class DaskRegisterFlows(RegisterFlows):
    """:class:`~migdata.sources.registers.RegisterFlows` of the Dask engine.

    ``table`` and ``rejected`` are pandas (the same as the pandas engine gives);
    ``events`` is a lazy Dask DataFrame (one row per usable event, with a ``row`` column
    first: the event's position in the input, in place of the pandas order) that is
    computed again when used; ``outcomes`` holds its counts by flow and outcome.
    """

    outcomes: pd.Series = field(default_factory=lambda: pd.Series(dtype="int64"))

    def to_pandas(self) -> RegisterFlows:
        """The whole result in memory: the pandas :class:`RegisterFlows`."""
        events = self.events.compute().sort_values("row", kind="stable")
        return RegisterFlows(
            table=self.table,
            events=events.drop(columns="row").reset_index(drop=True),
            rejected=self.rejected,
            rows_in=self.rows_in,
            threshold_months=self.threshold_months,
        )

    def __repr__(self) -> str:
        return (
            f"DaskRegisterFlows({self.rows_in:,} rows in: {len(self.table):,} flow rows from "
            f"{int(self.outcomes.sum()):,} events (lazy), {len(self.rejected):,} rejected; "
            f"threshold {self.threshold_months:g} months)"
        )

    def _repr_html_(self) -> str:
        rows = "".join(
            f"<tr><td>{f}</td><td>{o}</td><td style='text-align:right'>{n:,}</td></tr>"
            for (f, o), n in self.outcomes.items()
        )
        return (
            f"<div><b>Register flows on Dask</b> under a {self.threshold_months:g}-month "
            f"threshold: {int(self.outcomes.sum())} events used, {len(self.rejected)} rejected "
            f"of {self.rows_in}.<table><tr><th>flow</th><th>outcome</th><th>events</th></tr>"
            f"{rows}</table></div>"
        )


def _register_part(
    part: pd.DataFrame, number: int, end: pd.Timestamp, threshold: float, columns: dict[str, Any]
) -> tuple[pd.DataFrame, tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, pd.Series]]:
    """The pandas register code on one shuffled partition: (events, small results)."""
    try:
        used, rejected = _register_events(_persons_source(part), end, threshold, columns)
        cells, pending = _register_cells(used, columns)
    except MigdataError as exc:
        raise _in_partition(exc, f"shuffled partition {number}") from exc
    outcomes = used.groupby(["flow", "outcome"]).size()
    events = used.drop(columns=["_date", "_person"])
    events.insert(0, "row", events.index.to_numpy())
    return events.reset_index(drop=True), (rejected, cells, pending, outcomes)


def register_flows(
    events: Any,
    profile: SourceProfile,
    obs_end: Any,
    columns: dict[str, Any],
    options: dict[str, Any],
) -> DaskRegisterFlows:
    """:func:`~migdata.sources.registers.register_flows` on Dask (see its docstring)."""
    import dask
    import dask.dataframe as dd

    frame = _dask_frame(events, "events")
    _required_columns(frame._meta, columns)
    date_column = columns["date_column"]
    # Pass 1: rows per partition and the last date of the whole data (the default end).
    firsts = dask.compute(
        *[
            dask.delayed(_first_pass, pure=True)(p, i, None if obs_end is not None else date_column)
            for i, p in enumerate(frame[[date_column]].to_delayed())
        ]
    )
    _check_partitions(firsts, frame.npartitions)
    rows = [n for n, _ in firsts]
    lasts = [d for _, d in firsts if pd.notna(d)]
    end = _observation_end(obs_end, max(lasts) if lasts else pd.NaT)
    # Pass 2: whole persons together, the pandas code on each shuffled partition.
    empty, *parts = _whole_persons(frame, rows, columns["person_column"])
    threshold = options["threshold"]
    tasks = [
        dask.delayed(_register_part, nout=2, pure=True)(p, i, end, threshold, columns)
        for i, p in enumerate(parts)
    ]
    small = dask.compute(*[t[1] for t in tasks])
    meta = _register_part(empty, -1, end, threshold, columns)[0]
    with dask.config.set({"dataframe.convert-string": False}):  # the pandas dtypes
        lazy = dd.from_delayed([t[0] for t in tasks], meta=meta, verify_meta=False)
    rejected = _sorted_rows([r for r, _, _, _ in small])
    cells = _concat([c for _, c, _, _ in small])
    cells = cells.groupby(list(cells.columns[:-1]), observed=True)["obs_value"].sum().reset_index()
    pending = _concat([p for _, _, p, _ in small]).drop_duplicates()
    outcomes = pd.concat([o for _, _, _, o in small]).groupby(level=[0, 1]).sum()
    rows_in = int(sum(rows))
    if rows_in != int(outcomes.sum()) + len(rejected):
        raise ValidationError(
            f"expected rows in ({rows_in}) = events used ({int(outcomes.sum())}) + rejected "
            f"({len(rejected)}): a partition was lost"
        )
    return DaskRegisterFlows(
        table=_register_table(cells, pending, profile, columns, options),
        events=lazy,
        rejected=rejected,
        rows_in=rows_in,
        threshold_months=threshold,
        outcomes=outcomes.astype("int64"),
    )


# --------------------------------------------------------------------------------------
# Permits: whole persons per shuffled partition
# --------------------------------------------------------------------------------------


@dataclass
class DaskPermits(Permits):
    """:class:`~migdata.sources.permits.Permits` of the Dask engine.

    ``table``, ``rejected``, ``excluded`` and ``unmapped`` are pandas (the same as the
    pandas engine gives); ``permits`` is a lazy Dask DataFrame (one row per usable
    permit, with a ``row`` column first: its position in the input) that is computed
    again when used.
    """

    def to_pandas(self) -> Permits:
        """The whole result in memory: the pandas :class:`Permits`."""
        permits = self.permits.compute().sort_values("row", kind="stable")
        return Permits(
            table=self.table,
            permits=permits.drop(columns="row").reset_index(drop=True),
            rejected=self.rejected,
            excluded=self.excluded,
            unmapped=self.unmapped,
            rows_in=self.rows_in,
            documents=self.documents,
            persons=self.persons,
            notes=list(self.notes),
        )

    def __repr__(self) -> str:
        return (
            f"DaskPermits({self.rows_in:,} rows in: {len(self.table):,} table rows from "
            f"{self.documents:,} documents of {self.persons:,} persons, "
            f"{len(self.rejected):,} rejected, {len(self.excluded):,} excluded; permits lazy)"
        )


_PermitPart = tuple[pd.DataFrame, dict[str, Any]]


def _permit_part(
    part: pd.DataFrame,
    number: int,
    columns: dict[str, Any],
    kernel: Any,
) -> _PermitPart:
    """The pandas permit code on one shuffled partition: (usable permits, small results)."""
    try:
        usable, rejected, excluded, unmapped = _prepare_rows(_persons_source(part), **columns)
        usable, small = kernel(usable)
    except MigdataError as exc:
        raise _in_partition(exc, f"shuffled partition {number}") from exc
    labels = pd.DataFrame(
        {"spelling": unmapped.astype("string").fillna("(missing)"), "first": unmapped.index}
    )
    small.update(
        rejected=rejected,
        excluded=excluded,
        used=len(usable),
        unmapped=labels.groupby("spelling", sort=False)["first"].agg(["size", "min"]),
    )
    out = usable.drop(columns=["_person", "_start", "_end"])
    out.insert(0, "row", out.index.to_numpy())
    return out.reset_index(drop=True), small


def _combined_unmapped(parts: Sequence[pd.DataFrame]) -> pd.DataFrame:
    """Label counts as ``value_counts`` gives them: most first, ties by first appearance."""
    both = pd.concat(parts)
    both = both.groupby(level=0, sort=False).agg({"size": "sum", "min": "min"})
    both = both.sort_values("min", kind="stable")
    records = both["size"].astype("int64").sort_values(ascending=False, kind="stable")
    return pd.DataFrame(
        {"spelling": pd.array(records.index, dtype="string"), "records": records.to_numpy()}
    )


def _permits_on_persons(
    permits: Any, columns: dict[str, Any], kernel: Any
) -> tuple[Any, list[dict[str, Any]], int]:
    """(lazy usable permits, the small results of each shuffled partition, rows in)."""
    import dask
    import dask.dataframe as dd

    frame = _dask_frame(permits, "permits")
    what = {
        "person_column": "person identifier",
        "reason_column": "reason for the permit",
        "start_column": "first day of validity",
        "end_column": "last day of validity",
    }
    for key, label in what.items():
        _parse.required_column(frame._meta, columns[key], label)
    ids = frame[[columns["person_column"]]].to_delayed()  # one column read to count rows
    rows = dask.compute(*[dask.delayed(len)(p) for p in ids])
    _check_partitions(rows, frame.npartitions)
    empty, *parts = _whole_persons(frame, rows, columns["person_column"])
    tasks = [
        dask.delayed(_permit_part, nout=2, pure=True)(p, i, columns, kernel)
        for i, p in enumerate(parts)
    ]
    small = list(dask.compute(*[t[1] for t in tasks]))
    meta = _permit_part(empty, -1, columns, kernel)[0]
    with dask.config.set({"dataframe.convert-string": False}):  # the pandas dtypes
        lazy = dd.from_delayed([t[0] for t in tasks], meta=meta, verify_meta=False)
    rows_in = int(sum(rows))
    used = sum(int(s["used"]) for s in small)
    rejected = sum(len(s["rejected"]) for s in small)
    if rows_in != used + rejected + sum(len(s["excluded"]) for s in small):
        raise ValidationError(
            f"expected rows in ({rows_in}) = permits used ({used}) + rejected ({rejected}) + "
            "valid less than 3 months: a partition was lost"
        )
    return lazy, small, rows_in


def _summed_cells(small: Sequence[dict[str, Any]]) -> pd.DataFrame:
    cells = _concat([s["cells"] for s in small])
    keys = [c for c in cells.columns if c != "obs_value"]
    return cells.groupby(keys, observed=True)["obs_value"].sum().reset_index()


class _FirstKernel:
    """First permits and renewals of the whole persons of one partition."""

    def __init__(self, first_column: str | None, gap_months: float, breakdowns: dict[str, Any]):
        self.first_column, self.gap_months, self.breakdowns = first_column, gap_months, breakdowns

    def __call__(self, usable: pd.DataFrame) -> tuple[pd.DataFrame, dict[str, Any]]:
        usable, renewals = _first_or_renewal(usable, self.first_column, self.gap_months)
        firsts = usable[usable["first"]]
        return usable, {
            "renewals": renewals,
            "cells": _cell_counts(_first_cells(firsts, self.breakdowns)),
            "documents": len(firsts),
            "persons": int(firsts["_person"].nunique()),
        }


class _ValidKernel:
    """Permits valid on a date and the persons holding them, of one partition."""

    def __init__(self, date: pd.Timestamp, breakdowns: dict[str, Any]):
        self.date, self.breakdowns = date, breakdowns

    def __call__(self, usable: pd.DataFrame) -> tuple[pd.DataFrame, dict[str, Any]]:
        valid, chosen = _valid_and_chosen(usable, self.date)
        usable = usable.assign(counted=usable.index.isin(chosen.index))
        return usable, {
            "cells": _cell_counts(_valid_cells(chosen, self.date, self.breakdowns)),
            "documents": len(valid),
            "persons": len(chosen),
        }


def _permits_result(
    measure: str,
    profile: SourceProfile,
    lazy: Any,
    small: Sequence[dict[str, Any]],
    rows_in: int,
    provenance: Any,
    excluded: pd.DataFrame,
) -> DaskPermits:
    documents = sum(int(s["documents"]) for s in small)
    persons = sum(int(s["persons"]) for s in small)
    return DaskPermits(
        table=_finish_counts(
            _summed_cells(small), measure, profile, provenance(documents, persons)
        ),
        permits=lazy,
        rejected=_sorted_rows([s["rejected"] for s in small]),
        excluded=excluded,
        unmapped=_combined_unmapped([s["unmapped"] for s in small]),
        rows_in=rows_in,
        documents=documents,
        persons=persons,
    )


def first_permits(
    permits: Any,
    profile: SourceProfile,
    columns: dict[str, Any],
    breakdowns: dict[str, Any],
    first_column: str | None,
    gap_months: float,
) -> DaskPermits:
    """:func:`~migdata.sources.permits.first_permits` on Dask (see its docstring)."""
    kernel = _FirstKernel(first_column, gap_months, breakdowns)
    lazy, small, rows_in = _permits_on_persons(permits, columns, kernel)
    excluded = pd.concat(
        [
            _sorted_rows([s["excluded"] for s in small]),
            _sorted_rows([s["renewals"] for s in small]),
        ],
        ignore_index=True,
    )
    return _permits_result(
        "RP_FIRST",
        profile,
        lazy,
        small,
        rows_in,
        lambda documents, persons: _first_provenance(profile, gap_months),
        excluded,
    )


def valid_permits(
    permits: Any,
    profile: SourceProfile,
    date: pd.Timestamp,
    columns: dict[str, Any],
    breakdowns: dict[str, Any],
) -> DaskPermits:
    """:func:`~migdata.sources.permits.valid_permits` on Dask (see its docstring)."""
    lazy, small, rows_in = _permits_on_persons(permits, columns, _ValidKernel(date, breakdowns))
    return _permits_result(
        "RP_VALID",
        profile,
        lazy,
        small,
        rows_in,
        lambda documents, persons: _valid_provenance(profile, date, documents, persons),
        _sorted_rows([s["excluded"] for s in small]),
    )
