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
from migdata.sources.profile import SourceProfile

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
