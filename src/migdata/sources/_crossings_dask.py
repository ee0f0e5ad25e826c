"""Dask engine of the 12/16 rule: crossings past one machine's memory.

Imported only when :func:`~migdata.sources.crossings.classify_crossings` gets a Dask
DataFrame, a Parquet file or dataset folder, or ``write=``. One pass reads the data
once for the global parameters (data start and end, rows per partition); the rows are
then shuffled by a hash of the person id so that a person's crossings meet in one
partition, and the pandas classifier runs on each partition (DOMAIN.md: any split at
person boundaries gives identical results).
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from migdata.errors import ConfigurationError, InputError, ValidationError
from migdata.sources import _engines
from migdata.sources._crossings_kernel import OUTCOMES
from migdata.sources.crossings import (
    _KIND_LABELS,
    _KINDS,
    Crossings,
    TieRule,
    _check_rule,
    _classify_frame,
    _day_to_date,
    _prepare,
    _reject_kinds,
    _to_day,
    tabulate_crossings,
)

_REQUIRED = ("person_id", "time", "direction")
# Rows of one input partition read from a Parquet dataset (row groups are packed up to it).
ROWS_PER_PARTITION = 2_000_000
_ROW = "_row"
_BUCKET = "_bucket"


@dataclass(frozen=True)
class _Piece:
    """One input partition of a Parquet dataset: row groups of one file."""

    file: str
    row_groups: tuple[int, ...]
    rows: int
    keys: tuple[tuple[str, Any], ...]  # hive partition values of the file's folders


@dataclass
class DaskCrossings(Crossings):
    """:class:`~migdata.sources.crossings.Crossings` of the Dask engine.

    ``table`` and ``rejected`` are lazy Dask DataFrames (read back from the written
    Parquet dataset when ``write=`` was given) with a ``row`` column, the position of the
    crossing in the input, in place of the pandas index. The counts were computed when
    the crossings were classified; ``inputs`` lists the input partitions and their rows.
    """

    counts: dict[str, int] = field(default_factory=dict)
    inputs: pd.DataFrame = field(default_factory=pd.DataFrame)
    path: Path | None = None

    def __len__(self) -> int:
        return int(self.counts.get("rows classified", 0))

    def summary(self) -> pd.DataFrame:
        """Counts of rows, rejects by reason, cleaning and outcomes (as for pandas)."""
        return pd.DataFrame(
            {
                "item": list(self.counts),
                "count": np.array(list(self.counts.values()), dtype=np.int64),
            }
        )

    def to_pandas(self) -> Crossings:
        """The whole result in memory: the pandas :class:`Crossings` (index: ``row``)."""
        import dask

        table, rejected = dask.compute(self.table, self.rejected)  # one pass when lazy
        table = table.set_index("row").sort_index()
        table.index.name = None
        rejected = rejected.sort_values("row", kind="stable")
        rejected.index = pd.Index(rejected["row"].to_numpy())
        return Crossings(
            table=table,
            rejected=rejected,
            threshold_days=self.threshold_days,
            window_days=self.window_days,
            data_start=self.data_start,
            obs_end=self.obs_end,
            cleaned_directions=self.cleaned_directions,
            ambiguous_ties=self.ambiguous_ties,
            reject_counts=dict(self.reject_counts),
        )

    def _repr_html_(self) -> str:
        where = f" written to {self.path}" if self.path is not None else " (lazy)"
        return (
            f"<div><b>Border crossings on Dask{where}, {len(self.inputs)} input partitions"
            f"</b>{self.summary().to_html(index=False)}</div>"
        )

    def __repr__(self) -> str:
        rejected = self.counts.get("rows rejected", 0)
        return (
            f"DaskCrossings({len(self)} classified, {rejected} rejected, "
            f"rule {self.threshold_days}/{self.window_days} days, "
            f"data {self.data_start} to {self.obs_end}, "
            f"{'written to ' + str(self.path) if self.path else 'lazy'})"
        )


# --------------------------------------------------------------------------------------
# Reading a Parquet dataset: one schema for all files, errors that name the file
# --------------------------------------------------------------------------------------


def _type_kind(t: pa.DataType) -> str | None:
    """What a column holds, for comparing files (None: all null, fits anything)."""
    if pa.types.is_null(t):
        return None
    if pa.types.is_dictionary(t):
        return _type_kind(t.value_type)
    if pa.types.is_integer(t):
        return "integer"
    if pa.types.is_floating(t):
        return "float"
    if pa.types.is_string(t) or pa.types.is_large_string(t) or pa.types.is_string_view(t):
        return "text"
    if pa.types.is_boolean(t):
        return "boolean"
    if pa.types.is_timestamp(t):
        tz = t.tz
        return f"timestamp with time zone {tz}" if tz else "timestamp without time zone"
    if pa.types.is_date(t):
        return "date"
    return str(t)


def _target_type(t: pa.DataType) -> pa.DataType:
    """The type every file's column is cast to (one pandas dtype per column)."""
    if pa.types.is_dictionary(t):
        return _target_type(t.value_type)
    if pa.types.is_integer(t):
        return pa.int64()
    if pa.types.is_floating(t):
        return pa.float64()
    if pa.types.is_large_string(t) or pa.types.is_string_view(t):
        return pa.string()
    if pa.types.is_timestamp(t):
        return pa.timestamp("ns", tz=t.tz)
    if pa.types.is_date(t):
        return pa.timestamp("ns")
    return t


def _discover(
    path: str | os.PathLike[str], rows_per_partition: int
) -> tuple[list[_Piece], pa.Schema]:
    """Pieces of a Parquet file or dataset folder and the schema they are read with."""
    import pyarrow.dataset as ds

    root = Path(path)
    if not root.exists():
        raise InputError("expected a Parquet file or dataset folder, no such path", file=str(root))
    try:
        dataset = ds.dataset(str(root), format="parquet", partitioning="hive")
        fragments = sorted(dataset.get_fragments(), key=lambda f: f.path)
    except (OSError, pa.ArrowException) as exc:
        raise InputError(f"could not read the Parquet dataset: {exc}", file=str(root)) from exc
    if not fragments:
        raise InputError("expected Parquet files in the dataset folder, found none", file=str(root))
    seen: dict[str, tuple[str, pa.DataType, str]] = {}  # column -> (kind, type, first file)
    order: list[str] = []
    pieces: list[_Piece] = []
    for frag in fragments:
        try:
            meta = pq.ParquetFile(frag.path).metadata
            schema = meta.schema.to_arrow_schema()
        except (OSError, pa.ArrowException) as exc:
            raise InputError(f"could not read the Parquet file: {exc}", file=frag.path) from exc
        keys = tuple(ds.get_partition_keys(frag.partition_expression).items())
        missing = [c for c in _REQUIRED if c not in schema.names and c not in dict(keys)]
        if missing:
            raise InputError(
                "expected columns person_id, time and direction (plus optional seq) in every "
                f"file, missing {', '.join(missing)}; got {', '.join(schema.names)}",
                file=frag.path,
                column=missing[0],
            )
        fields = [(f.name, f.type) for f in schema] + [
            (k, pa.scalar(v).type if v is not None else pa.null()) for k, v in keys
        ]
        for name, typ in fields:
            kind = _type_kind(typ)
            if name not in seen:
                order.append(name)
                seen[name] = (kind or "", typ, frag.path)
                continue
            first_kind, _, first_file = seen[name]
            if kind is None:
                continue
            if not first_kind:
                seen[name] = (kind, typ, frag.path)
            elif kind != first_kind:
                raise InputError(
                    f"expected the same type in every file of the dataset, got {kind} here "
                    f"but {first_kind} in '{first_file}'; write the column with one type "
                    "(e.g. nullable int64 ids, timestamps all with or all without a time zone)",
                    file=frag.path,
                    column=name,
                )
        groups: list[tuple[tuple[int, ...], int]] = []
        batch: list[int] = []
        rows = 0
        for g in range(meta.num_row_groups):
            n = meta.row_group(g).num_rows
            if batch and rows + n > rows_per_partition:
                groups.append((tuple(batch), rows))
                batch, rows = [], 0
            batch.append(g)
            rows += n
        groups.append((tuple(batch), rows))  # a file with no rows stays a partition
        pieces += [_Piece(frag.path, rg, n, keys) for rg, n in groups]
    schema = pa.schema(
        [
            pa.field(
                name,
                pa.string() if seen[name][0] == "" else _target_type(seen[name][1]),
            )
            for name in order
        ]
    )
    return pieces, schema


def _to_frame(table: pa.Table) -> pd.DataFrame:
    """Arrow to pandas with one dtype per arrow type whatever the nulls (Int64, boolean)."""
    mapping = {pa.int64(): pd.Int64Dtype(), pa.bool_(): pd.BooleanDtype()}
    return table.to_pandas(types_mapper=mapping.get)


def _read_piece(piece: _Piece, schema: pa.Schema, columns: Sequence[str] | None) -> pd.DataFrame:
    """One input partition, cast to the dataset's schema."""
    wanted = [f for f in schema if columns is None or f.name in columns]
    keys = dict(piece.keys)
    in_file = [f.name for f in wanted if f.name not in keys]
    try:
        pf = pq.ParquetFile(piece.file)
        present = set(pf.schema_arrow.names)
        table = pf.read_row_groups(
            list(piece.row_groups), columns=[c for c in in_file if c in present]
        )
        arrays = []
        for f in wanted:
            if f.name in keys:
                arrays.append(pa.array([keys[f.name]] * table.num_rows).cast(f.type))
            elif f.name in present:
                arrays.append(table.column(f.name).cast(f.type))
            else:
                arrays.append(pa.nulls(table.num_rows, f.type))
        table = pa.Table.from_arrays(arrays, schema=pa.schema(wanted))
    except (OSError, pa.ArrowException) as exc:
        raise InputError(f"could not read the Parquet file: {exc}", file=piece.file) from exc
    return _to_frame(table)


def _from_dataset(
    path: str | os.PathLike[str], columns: Sequence[str] | None = None
) -> tuple[Any, pd.DataFrame]:
    """A Dask DataFrame over a Parquet dataset (one partition per piece) and its inputs."""
    import dask.dataframe as dd

    pieces, schema = _discover(path, ROWS_PER_PARTITION)
    meta = _to_frame(schema.empty_table())
    if columns is not None:
        meta = meta[[c for c in meta.columns if c in columns]]
    import dask

    with dask.config.set({"dataframe.convert-string": False}):  # keep pandas dtypes
        frame = dd.from_map(
            _read_piece,
            pieces,
            schema=schema,
            columns=None if columns is None else list(columns),
            meta=meta,
            enforce_metadata=False,
        )
    inputs = pd.DataFrame(
        {
            "partition": np.arange(len(pieces), dtype=np.int64),
            "source": [
                f"{p.file} (row groups {p.row_groups[0]}-{p.row_groups[-1]})"
                if len(p.row_groups) > 1
                else p.file
                for p in pieces
            ],
            "rows": np.array([p.rows for p in pieces], dtype=np.int64),
        }
    )
    return frame, inputs


# --------------------------------------------------------------------------------------
# The passes
# --------------------------------------------------------------------------------------


def _where(partition_info: dict[str, Any] | None, sources: Sequence[str] | None) -> str:
    number = -1 if partition_info is None else int(partition_info["number"])
    if sources is not None and 0 <= number < len(sources):
        return f"input partition {number} ({sources[number]})"
    return f"input partition {number}"


def _stats(
    part: pd.DataFrame,
    options: dict[str, Any],
    sources: Sequence[str] | None,
    partition_info: dict[str, Any] | None = None,
) -> pd.DataFrame:
    """Rows, first and last valid day of one input partition."""
    try:
        prep = _prepare(part, options["initial_status"])
        _, start, end = _reject_kinds(
            prep, len(part), options["today"], options["data_start"], options["obs_end"]
        )
    except (InputError, ConfigurationError) as exc:
        raise type(exc)(f"{_where(partition_info, sources)}: {exc}") from exc
    number = -1 if partition_info is None else int(partition_info["number"])
    return pd.DataFrame(
        {
            "partition": [number],
            "rows": [len(part)],
            "start": pd.array([start], dtype="Int64"),
            "end": pd.array([end], dtype="Int64"),
        }
    )


def _bucket_of(person: pd.Series, buckets: int) -> np.ndarray:
    """A bucket per row from the person id alone: equal ids, equal buckets, in any partition."""
    if pd.api.types.is_integer_dtype(person.dtype):
        values = person.to_numpy(dtype=np.int64, na_value=0)
        hashed = pd.util.hash_array(values)
    else:
        hashed = pd.util.hash_pandas_object(person.astype("string"), index=False).to_numpy()
    return (hashed % np.uint64(buckets)).astype(np.int64)


def _add_keys(
    part: pd.DataFrame,
    offsets: Sequence[int],
    buckets: int,
    partition_info: dict[str, Any] | None = None,
) -> pd.DataFrame:
    """The input position of every row and the bucket of its person."""
    number = 0 if partition_info is None else int(partition_info["number"])
    out = part.reset_index(drop=True)
    out[_ROW] = np.arange(offsets[number], offsets[number] + len(part), dtype=np.int64)
    out[_BUCKET] = _bucket_of(part["person_id"], buckets)
    return out


def _classify_part(
    part: pd.DataFrame, options: dict[str, Any], number: int
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """The pandas classifier on one shuffled partition (whole persons, input row order)."""
    part = part.sort_values(_ROW, kind="stable")
    rows = part[_ROW].to_numpy()
    frame = part.drop(columns=[_ROW, _BUCKET]).reset_index(drop=True)
    try:
        res = _classify_frame(frame, rows=rows, **options)
    except (InputError, ConfigurationError) as exc:
        raise type(exc)(f"shuffled partition {number}: {exc}") from exc
    table = res.table
    table.insert(0, "row", rows[table.index.to_numpy()])
    table = table.reset_index(drop=True)
    rejected = res.rejected.reset_index(drop=True)
    summary = res.summary()
    extra = {"_cleaned": res.cleaned_directions, "_ambiguous": res.ambiguous_ties}
    extra.update({f"_kind {kind}": n for kind, n in res.reject_counts.items()})
    counts = pd.DataFrame(
        {
            "item": [*summary["item"], *extra],
            "count": np.array([*summary["count"], *extra.values()], dtype=np.int64),
        }
    )
    return table, rejected, counts


def _summary_items(total: dict[str, int]) -> dict[str, int]:
    """Summed counts in the order of :meth:`Crossings.summary`."""
    items = ["rows in", "rows classified", "rows rejected"]
    items += [f"rejected: {_KIND_LABELS[k]}" for k in _KINDS if total.get(f"_kind {k}", 0)]
    items += ["directions cleaned", "same-time crossings ordered by input position"]
    items += [f"outcome {o}" for o in OUTCOMES]
    items += ["long-term arrivals", "long-term departures", "long-term status unknown"]
    return {item: int(total.get(item, 0)) for item in items}


def classify(
    movements: Any,
    *,
    write: str | os.PathLike[str] | None,
    partitions: int | None,
    threshold_days: int,
    window_days: int,
    obs_end: Any,
    data_start: Any,
    initial_status: Any,
    chunk_rows: int,
    ties: TieRule | str,
    today: Any,
    threads: int | None = None,
) -> DaskCrossings:
    """:func:`classify_crossings` on Dask (see its docstring)."""
    _engines.require_dask()
    import dask
    import dask.dataframe as dd

    _check_rule(threshold_days, window_days, chunk_rows)
    try:
        TieRule(ties)
    except ValueError as exc:
        raise ConfigurationError(f"ties: expected 'input_order' or 'reject', got {ties!r}") from exc
    if initial_status is not None and not isinstance(initial_status, str):
        raise ConfigurationError(
            "initial_status: on Dask, expected the name of a column of the movements, got "
            f"{type(initial_status).__name__}"
        )
    if partitions is not None and int(partitions) < 1:
        raise ConfigurationError(f"partitions: expected a positive number, got {partitions}")
    if write is not None and Path(write).exists() and any(Path(write).iterdir()):
        # Files of an earlier run would be read back with the new ones.
        raise ConfigurationError(
            f"write: expected a new or empty folder, got {str(write)!r}, which holds files"
        )
    today = dt.date.today() if today is None else today
    _to_day(today, "today")
    sources: list[str] | None = None
    if isinstance(movements, pd.DataFrame):
        with dask.config.set({"dataframe.convert-string": False}):  # keep pandas dtypes
            frame = dd.from_pandas(
                movements.reset_index(drop=True),
                npartitions=max(1, len(movements) // ROWS_PER_PARTITION),
                sort=False,
            )
    elif _engines.is_dask(movements):
        if not isinstance(movements, dd.DataFrame):
            raise InputError(f"expected a Dask DataFrame of movements, got {type(movements)}")
        frame = movements
    else:
        frame, inputs = _from_dataset(movements)
        sources = inputs["source"].tolist()
    missing = [c for c in _REQUIRED if c not in frame.columns]
    if missing:
        raise InputError(
            "expected columns person_id, time and direction (plus optional seq), "
            f"missing {', '.join(missing)}; got {', '.join(map(str, frame.columns))}",
            column=missing[0],
        )
    if initial_status is not None and initial_status not in frame.columns:
        raise ConfigurationError(
            f"initial_status: expected a column of the movements, got {initial_status!r}; "
            f"columns are {', '.join(map(str, frame.columns))}"
        )
    for reserved in (_ROW, _BUCKET, "row", "reason"):
        if reserved in frame.columns:
            raise InputError(
                f"expected no column named {reserved!r} in the movements (the result adds it)",
                column=reserved,
            )
    options = {
        "threshold_days": int(threshold_days),
        "window_days": int(window_days),
        "obs_end": obs_end,
        "data_start": data_start,
        "initial_status": initial_status,
        "chunk_rows": int(chunk_rows),
        "ties": ties,
        "today": today,
        # The workers run partitions side by side: one thread each unless asked.
        "threads": 1 if threads is None else int(threads),
    }

    # Pass 1: rows per partition and the global data start and end (valid rows only).
    needed = [c for c in (*_REQUIRED, "seq", initial_status) if c and c in frame.columns]
    stats_meta = pd.DataFrame(
        {
            "partition": pd.Series([], dtype=np.int64),
            "rows": pd.Series([], dtype=np.int64),
            "start": pd.Series([], dtype="Int64"),
            "end": pd.Series([], dtype="Int64"),
        }
    )
    stats = (
        frame[needed]
        .map_partitions(_stats, options, sources, meta=stats_meta, enforce_metadata=False)
        .compute()
        .sort_values("partition")
    )
    if len(stats) != frame.npartitions or stats["partition"].tolist() != list(
        range(frame.npartitions)
    ):
        raise ValidationError(
            f"expected one count per input partition ({frame.npartitions}), got "
            f"{len(stats)}: an input partition was lost"
        )
    rows_in = stats["rows"].to_numpy(dtype=np.int64)
    starts, ends = stats["start"].dropna(), stats["end"].dropna()
    start_day = int(starts.min()) if len(starts) else None
    end_day = int(ends.max()) if len(ends) else None
    if start_day is not None and end_day is not None and start_day >= end_day:
        raise ConfigurationError(
            f"expected data_start before obs_end, got data_start={_day_to_date(start_day)} "
            f"and obs_end={_day_to_date(end_day)}"
        )
    options["data_start"] = None if start_day is None else _day_to_date(start_day)
    options["obs_end"] = None if end_day is None else _day_to_date(end_day)
    inputs = pd.DataFrame(
        {
            "partition": np.arange(frame.npartitions, dtype=np.int64),
            "source": sources if sources is not None else [None] * frame.npartitions,
            "rows": rows_in,
        }
    )

    # Pass 2: shuffle whole persons together, classify each shuffled partition.
    k = int(partitions) if partitions is not None else frame.npartitions
    offsets = np.concatenate([[0], np.cumsum(rows_in)]).tolist()
    keyed = frame.map_partitions(_add_keys, offsets, k, enforce_metadata=False)
    shuffled = keyed.shuffle(on=_BUCKET, npartitions=k)
    tasks = [
        dask.delayed(_classify_part, nout=3, pure=True)(p, options, i)
        for i, p in enumerate(shuffled.to_delayed())
    ]
    empty = keyed._meta.iloc[:0]
    metas = _classify_part(empty, options, -1)
    table, rejected, counts_frame = (
        dd.from_delayed([t[i] for t in tasks], meta=metas[i], verify_meta=False) for i in range(3)
    )
    if write is not None:
        out = Path(write)
        writes = [
            table.to_parquet(out / "classified", write_index=False, compute=False),
            rejected.to_parquet(out / "rejected", write_index=False, compute=False),
        ]
        _, _, counted = dask.compute(*writes, counts_frame)
        table = _read_back(out / "classified")
        rejected = _read_back(out / "rejected")
    else:
        out = None
        (counted,) = dask.compute(counts_frame)
    total = {str(k): int(v) for k, v in counted.groupby("item", sort=False)["count"].sum().items()}
    counts = _summary_items(total)
    if counts["rows in"] != int(rows_in.sum()):
        raise ValidationError(
            f"expected {int(rows_in.sum())} rows out of the classification (rows in), got "
            f"{counts['rows in']}: a partition was lost"
        )
    reject_counts = {k: total[f"_kind {k}"] for k in _KINDS if total.get(f"_kind {k}", 0)}
    return DaskCrossings(
        table=table,
        rejected=rejected,
        threshold_days=int(threshold_days),
        window_days=int(window_days),
        data_start=None if start_day is None else _day_to_date(start_day),
        obs_end=None if end_day is None else _day_to_date(end_day),
        cleaned_directions=total.get("_cleaned", 0),
        ambiguous_ties=total.get("_ambiguous", 0),
        reject_counts=reject_counts,
        counts=counts,
        inputs=inputs,
        path=out,
    )


def _read_back(path: Path) -> Any:
    """A written dataset as a lazy Dask DataFrame, with the dtypes pandas would give."""
    import dask
    import dask.dataframe as dd

    with dask.config.set({"dataframe.convert-string": False}):
        return dd.read_parquet(path)


def read_table(source: Any) -> Any:
    """A classified table as a Dask DataFrame: a Dask DataFrame, or a written dataset."""
    _engines.require_dask()

    if _engines.is_dask(source):
        return source
    path = Path(source)
    if (path / "classified").is_dir():
        path = path / "classified"
    return _read_back(path)


def tabulate(table: Any, by: Sequence[str]) -> pd.DataFrame:
    """:func:`tabulate_crossings` as a Dask aggregation: partial sums per partition."""
    import dask

    frame = read_table(table)
    # Only the columns the cells need are read from the Parquet files.
    needed = ["time", "direction", "long_term", *by]
    frame = frame[[c for c in frame.columns if c in needed]]
    partials = dask.compute(
        *[dask.delayed(tabulate_crossings)(p, by=tuple(by)) for p in frame.to_delayed()]
    )
    template = tabulate_crossings(frame._meta, by=tuple(by))
    keys = [c for c in template.columns if c not in ("measure", "value", "unknown", "obs_status")]
    combined = pd.concat([template, *partials], ignore_index=True)
    from migdata.sources.crossings import _sum_counts

    return _sum_counts(combined, keys)


def client(scheduler: str | None = None, *, workers: int | None = None, timeout: float = 10) -> Any:
    """A ``dask.distributed.Client``: connected to ``scheduler`` (an address such as
    ``tcp://10.0.0.5:8786``), or to a new local cluster of ``workers`` processes.

    An unreachable scheduler raises :class:`~migdata.errors.ConfigurationError` after
    ``timeout`` seconds instead of waiting.
    """
    _engines.require_dask()
    from distributed import Client

    if scheduler is not None:
        try:
            return Client(scheduler, timeout=f"{float(timeout)}s")
        except (OSError, TimeoutError, ValueError) as exc:
            raise ConfigurationError(
                f"scheduler: could not reach the Dask scheduler at {scheduler!r} within "
                f"{float(timeout):g} s (expected an address such as tcp://HOST:8786 of a "
                f"running `dask scheduler`): {exc}"
            ) from exc
    if workers is not None and int(workers) < 1:
        raise ConfigurationError(f"workers: expected a positive number, got {workers}")
    # The client owns the local cluster it starts: closing it stops the workers.
    return Client(
        n_workers=int(workers) if workers else None, threads_per_worker=1, dashboard_address=None
    )
