"""The 12/16 rule on Dask: the same results as pandas, Parquet datasets, bad input."""

from __future__ import annotations

import datetime as dt
import random
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from test_crossings import EPOCH, histories

from migdata.errors import ConfigurationError, InputError
from migdata.sources.crossings import classify_crossings, tabulate_crossings

dd = pytest.importorskip("dask.dataframe")
distributed = pytest.importorskip("distributed")


@pytest.fixture(scope="module", autouse=True)
def cluster() -> Iterator[object]:
    """A small local cluster (threads in this process: fast to start) for the module."""
    with (
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=False, dashboard_address=None
        ) as c,
        distributed.Client(c) as client,
    ):
        yield client


def to_dask(moves: pd.DataFrame, npartitions: int) -> object:
    """A Dask DataFrame with the pandas dtypes (no conversion of text to pyarrow strings)."""
    import dask

    with dask.config.set({"dataframe.convert-string": False}):
        return dd.from_pandas(moves, npartitions=min(npartitions, len(moves)), sort=False)


def options(case: dict) -> dict:
    return {
        "obs_end": EPOCH + dt.timedelta(days=case["obs_end"]),
        "data_start": EPOCH + dt.timedelta(days=case["data_start"]),
        "initial_status": "card_status" if case["use_init"] else None,
        "today": "2030-01-01",
    }


def assert_same(dask_result: object, pandas_result: object) -> None:
    """Same rows, values, dtypes, rejects and counts."""
    local = dask_result.to_pandas()  # type: ignore[attr-defined]
    pd.testing.assert_frame_equal(local.table, pandas_result.table)  # type: ignore[attr-defined]
    expected_rejected = pandas_result.rejected  # type: ignore[attr-defined]
    pd.testing.assert_frame_equal(
        local.rejected.reset_index(drop=True), expected_rejected.reset_index(drop=True)
    )
    pd.testing.assert_frame_equal(dask_result.summary(), pandas_result.summary())  # type: ignore[attr-defined]
    assert local.data_start == pandas_result.data_start  # type: ignore[attr-defined]
    assert local.obs_end == pandas_result.obs_end  # type: ignore[attr-defined]


@pytest.mark.slow
@settings(max_examples=10, deadline=None)
@given(
    histories(with_seq=True),
    st.integers(1, 3),
    st.integers(1, 4),
    st.randoms(use_true_random=False),
)
def test_dask_equals_pandas_for_any_partitions_and_order(
    case: dict, parts_in: int, parts_out: int, rnd: random.Random
) -> None:
    """Random histories (missing records, same-day crossings, cut windows, initial status):
    the Dask result equals the pandas one whatever the partitions and the row order."""
    moves = case["moves"]
    order = list(range(len(moves)))
    rnd.shuffle(order)
    moves = moves.iloc[order].reset_index(drop=True)
    expected = classify_crossings(moves, **options(case))
    frame = to_dask(moves, parts_in)
    result = classify_crossings(frame, partitions=parts_out, **options(case))
    assert_same(result, expected)


@pytest.mark.slow
@settings(max_examples=4, deadline=None)
@given(histories(with_seq=False))
def test_dask_equals_pandas_with_default_start_and_end(case: dict) -> None:
    """Data start and end computed once from all partitions equal the pandas defaults."""
    moves = case["moves"]
    expected = classify_crossings(moves, today="2030-01-01")
    result = classify_crossings(
        to_dask(moves, 3),
        partitions=3,
        today="2030-01-01",
    )
    assert_same(result, expected)


def movements(n_persons: int = 40, seed: int = 3) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    person = rng.integers(0, n_persons, 400)
    days = rng.integers(0, 3000, 400)
    return pd.DataFrame(
        {
            "person_id": person.astype(np.int64),
            "time": pd.Timestamp("2012-01-01") + pd.to_timedelta(days, unit="D"),
            "direction": rng.choice(["A", "D", "arrival", "departure"], 400),
            "citizenship": rng.choice(["KEN", "UGA", "Tanzania"], 400),
            "sex": rng.choice(["M", "F"], 400),
        }
    )


def test_bad_rows_are_rejected_and_counted_like_pandas() -> None:
    """Rejected rows (no person, bad direction, duplicates, ties) keep their input row
    numbers and reasons: rows in = classified + rejected."""
    moves = movements()
    moves["person_id"] = moves["person_id"].astype("Int64")
    moves.loc[3, "person_id"] = pd.NA
    moves.loc[7, "direction"] = "sideways"
    moves.loc[11] = moves.loc[10]  # a duplicate: the reason names row 10
    moves.loc[21, ["person_id", "time"]] = moves.loc[20, ["person_id", "time"]]
    moves.loc[21, "direction"] = "D" if moves.loc[20, "direction"] in ("A", "arrival") else "A"
    expected = classify_crossings(moves, today="2030-01-01")
    result = classify_crossings(to_dask(moves, 3), partitions=2, today="2030-01-01")
    assert_same(result, expected)
    counts = result.summary().set_index("item")["count"]
    assert counts["rows in"] == len(moves) == counts["rows classified"] + counts["rows rejected"]
    assert "as row 10" in " ".join(result.rejected.compute()["reason"])
    by = ("year", "citizenship")  # on the lazy (unwritten) result
    pd.testing.assert_frame_equal(
        tabulate_crossings(result, by=by), tabulate_crossings(expected, by=by)
    )


def test_empty_partitions_of_a_dask_frame_are_counted() -> None:
    """Input partitions left empty (by a filter) and more shuffled partitions than persons
    change nothing: every partition is counted, none dropped."""
    moves = movements(n_persons=3)
    frame = to_dask(moves, 4)
    frame = frame[frame["person_id"] != 99]  # type: ignore[index]
    frame = frame.map_partitions(  # type: ignore[attr-defined]
        lambda part, partition_info=None: (
            part.iloc[:0] if partition_info and partition_info["number"] == 1 else part
        ),
        meta=moves.iloc[:0],
    )
    kept = frame.compute()  # type: ignore[attr-defined]
    assert 0 < len(kept) < len(moves)
    expected = classify_crossings(kept.reset_index(drop=True), today="2030-01-01")
    result = classify_crossings(frame, partitions=8, today="2030-01-01")
    assert result.inputs["rows"].tolist()[1] == 0
    assert result.inputs["rows"].sum() == len(kept)
    pd.testing.assert_frame_equal(result.summary(), expected.summary())


def test_parquet_dataset_written_and_read_back_lazily(tmp_path: Path) -> None:
    """A hive-partitioned Parquet dataset in, a partitioned dataset out, read back lazily;
    tabulation and harmonised flows on Dask equal pandas."""
    moves = movements()
    moves["year"] = moves["time"].dt.year
    src = tmp_path / "in"
    moves.to_parquet(src, partition_cols=["year"], index=False)
    result = classify_crossings(src, write=tmp_path / "out", today="2030-01-01")
    assert (tmp_path / "out" / "classified").is_dir()
    assert isinstance(result.table, dd.DataFrame)
    assert result.inputs["rows"].sum() == len(moves)
    assert len(result.inputs) == moves["year"].nunique()
    # Input rows are numbered as the dataset lists them: files in path order (by year).
    local = result.to_pandas()
    expected = classify_crossings(
        moves.sort_values("year", kind="stable").reset_index(drop=True), today="2030-01-01"
    )
    for column in ("days_observed", "days_in", "outcome", "long_term"):
        assert local.table[column].tolist() == expected.table[column].tolist()
    by = ("year", "citizenship", "sex")
    pd.testing.assert_frame_equal(
        tabulate_crossings(result, by=by).astype({"year": "Int64"}),
        tabulate_crossings(expected, by=by).astype({"year": "Int64"}),
    )
    # A written result folder can be tabulated again later.
    again = tabulate_crossings(str(tmp_path / "out"), by=("citizenship",))
    assert again["value"].sum() == tabulate_crossings(expected, by=("citizenship",))["value"].sum()


def test_pandas_input_written_with_write(tmp_path: Path) -> None:
    """write= with a pandas DataFrame writes the same result as a dataset."""
    moves = movements()
    result = classify_crossings(moves, write=tmp_path / "out", today="2030-01-01")
    assert_same(result, classify_crossings(moves, today="2030-01-01"))
    assert list((tmp_path / "out" / "classified").glob("*.parquet"))
    with pytest.raises(ConfigurationError, match="new or empty folder"):
        classify_crossings(moves, write=tmp_path / "out")


def write_files(folder: Path, frames: list[pd.DataFrame]) -> list[Path]:
    folder.mkdir()
    paths = []
    for i, frame in enumerate(frames):
        path = folder / f"part-{i}.parquet"
        frame.to_parquet(path, index=False)
        paths.append(path)
    return paths


def test_mixed_id_types_across_files_name_the_file(tmp_path: Path) -> None:
    """Ids that are integers in one file and text or floats in another: an error naming
    the file and the column, before any work."""
    a = movements()
    b = movements(seed=4).assign(person_id=lambda f: "p" + f["person_id"].astype(str))
    write_files(tmp_path / "text", [a, b])
    with pytest.raises(InputError, match=r"part-1\.parquet.*person_id.*text here but integer"):
        classify_crossings(tmp_path / "text")
    c = movements(seed=5).assign(person_id=lambda f: f["person_id"].astype(float))
    write_files(tmp_path / "float", [a, c])
    with pytest.raises(InputError, match=r"part-1\.parquet.*float here but integer"):
        classify_crossings(tmp_path / "float")


def test_time_zones_mixed_across_files_name_the_file(tmp_path: Path) -> None:
    """Timestamps with a time zone in one file and without in another: an error."""
    a = movements()
    b = movements(seed=4).assign(time=lambda f: f["time"].dt.tz_localize("UTC"))
    write_files(tmp_path / "tz", [a, b])
    with pytest.raises(InputError, match=r"part-1\.parquet.*time zone UTC here but timestamp"):
        classify_crossings(tmp_path / "tz")


def test_null_ids_in_one_file_and_empty_file_are_accounted(tmp_path: Path) -> None:
    """Null person ids in one file are rejected rows; a file with no rows is an input
    partition with 0 rows, never dropped: rows in = classified + rejected."""
    a = movements()
    b = movements(seed=4).assign(person_id=lambda f: f["person_id"].astype("Int64"))
    b.loc[[0, 5], "person_id"] = pd.NA
    empty = a.iloc[:0]
    write_files(tmp_path / "ds", [a, empty, b])
    result = classify_crossings(tmp_path / "ds", today="2030-01-01", partitions=3)
    assert result.inputs["rows"].tolist() == [len(a), 0, len(b)]
    counts = result.summary().set_index("item")["count"]
    assert counts["rows in"] == len(a) + len(b)
    assert counts["rejected: no person id"] == 2
    expected = classify_crossings(
        pd.concat([a.astype({"person_id": "Int64"}), b], ignore_index=True), today="2030-01-01"
    )
    pd.testing.assert_frame_equal(result.summary(), expected.summary())


def test_unreadable_file_and_missing_column_name_the_file(tmp_path: Path) -> None:
    """A broken Parquet file, or a file without a required column: errors naming it."""
    folder = tmp_path / "ds"
    write_files(folder, [movements(), movements(seed=4).drop(columns="direction")])
    with pytest.raises(InputError, match=r"part-1\.parquet.*missing direction"):
        classify_crossings(folder)
    (folder / "part-1.parquet").write_bytes(b"not parquet")
    with pytest.raises(InputError, match=r"part-1\.parquet"):
        classify_crossings(folder)
    with pytest.raises(InputError, match="no such path"):
        classify_crossings(tmp_path / "nowhere.parquet")


def test_bad_initial_status_names_the_partition() -> None:
    """An unreadable value found on a worker names the input partition."""
    moves = movements().assign(card=["maybe"] + ["resident"] * 399)
    frame = to_dask(moves, 2)
    with pytest.raises(InputError, match=r"input partition 0.*residence status"):
        classify_crossings(frame, initial_status="card")
    with pytest.raises(ConfigurationError, match="name of a column"):
        classify_crossings(frame, initial_status=[1] * 400)


def test_unreachable_scheduler_is_a_quick_clear_error() -> None:
    """An address where no scheduler listens: an error within the timeout, no hang."""
    from migdata.sources._crossings_dask import client

    with pytest.raises(ConfigurationError, match="could not reach the Dask scheduler"):
        client("tcp://127.0.0.1:1", timeout=1)


def test_cli_classify_writes_dataset(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    cluster: object,
) -> None:
    """`migdata crossings classify INPUT OUTPUT --workers 1` writes the result and the summary;
    an unreachable --scheduler is a message and status 2."""
    from migdata.cli import main
    from migdata.sources import _crossings_dask

    started: list[tuple[object, object]] = []
    real_client = _crossings_dask.client

    def local_client(scheduler: object, *, workers: object = None, timeout: float = 10) -> object:
        # The module's in-process cluster stands in for new worker processes (slow to start).
        if scheduler is not None:
            return real_client(scheduler, workers=workers, timeout=timeout)  # type: ignore[arg-type]
        started.append((scheduler, workers))
        return distributed.Client(cluster.cluster)  # type: ignore[attr-defined]

    monkeypatch.setattr(_crossings_dask, "client", local_client)

    src = tmp_path / "in.parquet"
    movements().to_parquet(src, index=False)
    status = main(["crossings", "classify", str(src), str(tmp_path / "out"), "--workers", "1"])
    assert status == 0
    assert started == [(None, 1)]
    assert "rows classified" in capsys.readouterr().out
    assert list((tmp_path / "out" / "classified").glob("*.parquet"))
    status = main(
        ["crossings", "classify", str(src), str(tmp_path / "o2"), "--scheduler",
         "tcp://127.0.0.1:1", "--timeout", "1"]
    )  # fmt: skip
    assert status == 2
    assert "could not reach the Dask scheduler" in capsys.readouterr().err


def test_import_migdata_does_not_import_dask() -> None:
    """`import migdata` (and building the CLI) leaves dask unimported."""
    code = (
        "import sys, migdata, migdata.cli; migdata.cli.build_parser(); "
        "print(any(m.split('.')[0] in ('dask', 'distributed') for m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
