"""Census, register and permit microdata given as Dask DataFrames: the pandas results."""

from __future__ import annotations

import contextlib
import dataclasses
import itertools
from collections.abc import Iterator

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_census import PROFILE as CENSUS
from test_census import _people
from test_permits import PROFILE as PERMITS
from test_permits import _permits
from test_registers import _profile

from migdata.errors import InputError
from migdata.sources import _engines
from migdata.sources.census import census_stocks
from migdata.sources.permits import first_permits, valid_permits
from migdata.sources.registers import register_flows

dd = pytest.importorskip("dask.dataframe")


def to_dask(frame: pd.DataFrame, npartitions: int = 3) -> object:
    import dask

    with dask.config.set({"dataframe.convert-string": False}):
        return dd.from_pandas(frame, npartitions=npartitions, sort=False)


def split(frame: pd.DataFrame, cuts: list[int]) -> object:
    """``frame`` as a Dask DataFrame cut at the row positions ``cuts`` (repeated or end
    positions give empty partitions)."""
    import dask

    bounds = [0, *sorted(min(c, len(frame)) for c in cuts), len(frame)]
    pieces = [frame.iloc[a:b] for a, b in itertools.pairwise(bounds)]
    with dask.config.set({"dataframe.convert-string": False}):
        return dd.from_delayed(
            [dask.delayed(p) for p in pieces], meta=frame.iloc[:0], verify_meta=False
        )


@contextlib.contextmanager
def no_gathering() -> Iterator[None]:
    """Inside: gathering a whole Dask DataFrame into the client is an error."""

    def refuse(*args: object, **kwargs: object) -> object:
        raise AssertionError("a whole Dask DataFrame was gathered into memory")

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(_engines, "in_memory", refuse)
        patch.setattr(dd.DataFrame, "compute", refuse)
        yield


def assert_same_result(left: object, right: object) -> None:
    """Every table and count of two results is equal."""
    for f in dataclasses.fields(left):  # type: ignore[arg-type]
        a, b = getattr(left, f.name), getattr(right, f.name)
        if isinstance(a, pd.DataFrame):
            pd.testing.assert_frame_equal(a, b)
        elif isinstance(a, pd.Series):
            pd.testing.assert_series_equal(a, b)
        else:
            assert a == b, f.name


def test_census_stocks_on_dask_equal_pandas() -> None:
    """Census microdata in Dask partitions give the pandas stocks, rejects and lists."""
    people = pd.concat([_people()] * 4, ignore_index=True)
    kw = {"weight_column": "weight", "arrival_column": "arrived"}
    assert_same_result(
        census_stocks(to_dask(people), CENSUS, 2022, **kw),
        census_stocks(people, CENSUS, 2022, **kw),
    )


def _events() -> pd.DataFrame:
    ev = pd.DataFrame(
        {
            "person_id": ["a", "a", "a", "b", "c", None, "b", "c", "c"],
            "event": ["registration", "deregistration", "registration", "sortie", "entrée",
                      "in", "sortie", "in", "out"],
            "date": ["2010-01-01", "2012-01-01", "2012-03-01", "2013-01-01", "2015-06-01",
                     "2014-01-01", "2013-01-01", "2015-06-01", "2015-09-01"],
            "citizenship": ["NOR", "x", "DNK", "FIN", "SWE", "SWE", "FIN", "GER", "GER"],
            "declared": [12, 3, None, "1 an", "permanent", 1, 1, 2, 40],
        }
    )  # fmt: skip
    return pd.concat([ev, ev.assign(person_id=ev["person_id"] + "2")], ignore_index=True)


REGISTER_OPTIONS = [
    {"obs_end": "2016-01-01"},
    {"counterpart_column": "citizenship"},
    {"duration_column": "declared", "counterpart_column": "citizenship", "target": "UN2021_12M"},
]


def test_register_flows_on_dask_equal_pandas() -> None:
    """Register events in Dask partitions (a person's events split across them) give the
    pandas flows, events and rejected rows."""
    ev = _events()
    for options in REGISTER_OPTIONS:
        result = register_flows(to_dask(ev), _profile(), **options)
        assert_same_result(result.to_pandas(), register_flows(ev, _profile(), **options))


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    order=st.randoms(use_true_random=False),
    cuts=st.lists(st.integers(0, 18), max_size=5),
    options=st.sampled_from(REGISTER_OPTIONS),
)
def test_register_flows_any_split_and_order_equal_pandas(
    order: object, cuts: list[int], options: dict
) -> None:
    """Any row order and any cut into partitions give the pandas result: the default end
    of the data is the whole data's, durations run over a person's events in any partition,
    duplicates name the first row of the whole input."""
    ev = _events()
    rows = list(range(len(ev)))
    order.shuffle(rows)  # type: ignore[attr-defined]
    ev = ev.iloc[rows].reset_index(drop=True)
    result = register_flows(split(ev, cuts), _profile(), **options)
    assert_same_result(result.to_pandas(), register_flows(ev, _profile(), **options))


def test_register_flows_on_dask_keep_events_lazy() -> None:
    """The Dask register never gathers the events: the table and rejected rows come back,
    the events stay a lazy Dask DataFrame with their input rows; rows in = used + rejected."""
    ev = _events()
    with no_gathering():
        result = register_flows(split(ev, [4, 4, 11]), _profile(), obs_end="2016-01-01")
    assert _engines.is_dask(result.events)
    assert result.rows_in == len(ev) == int(result.outcomes.sum()) + len(result.rejected)
    events = result.events.compute().sort_values("row")
    assert events["row"].tolist() == sorted(set(range(len(ev))) - set(result.rejected["row"]))
    assert "lazy" in repr(result)
    assert "counted" in result._repr_html_()


def _permit_records() -> pd.DataFrame:
    permits = _permits()
    other = permits.assign(
        person_id=permits["person_id"] + 100,
        reason=permits["reason"].where(permits.index % 3 > 0, "zzz"),
    )
    both = pd.concat([permits, other], ignore_index=True)
    both["flag"] = ["yes", "no", None, "oui", "no"] * 4
    both["sex"] = ["F", "M"] * 10
    return both


PERMIT_CALLS = [
    (first_permits, (), {}),
    (first_permits, (), {"first_column": "flag", "sex_column": "sex"}),
    (first_permits, (), {"gap_months": 0, "citizenship_column": None}),
    (valid_permits, ("2020-06-30",), {}),
    (valid_permits, ("2019-09-30",), {"sex_column": "sex"}),
]


def test_permits_on_dask_equal_pandas() -> None:
    """First and valid permits from Dask partitions equal the pandas results."""
    permits = _permits()
    assert_same_result(
        first_permits(to_dask(permits), PERMITS).to_pandas(), first_permits(permits, PERMITS)
    )
    assert_same_result(
        valid_permits(to_dask(permits), PERMITS, "2020-06-30").to_pandas(),
        valid_permits(permits, PERMITS, "2020-06-30"),
    )


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    order=st.randoms(use_true_random=False),
    cuts=st.lists(st.integers(0, 20), max_size=5),
    call=st.sampled_from(PERMIT_CALLS),
)
def test_permits_any_split_and_order_equal_pandas(
    order: object, cuts: list[int], call: tuple
) -> None:
    """Any row order and any cut into partitions give the pandas permits: renewals seen
    across partitions, one person counted once, duplicates and unmapped labels (ties in
    order of first appearance) as pandas gives them."""
    function, args, options = call
    permits = _permit_records()
    rows = list(range(len(permits)))
    order.shuffle(rows)  # type: ignore[attr-defined]
    permits = permits.iloc[rows].reset_index(drop=True)
    result = function(split(permits, cuts), PERMITS, *args, **options)
    assert_same_result(result.to_pandas(), function(permits, PERMITS, *args, **options))


def test_permits_on_dask_keep_records_lazy() -> None:
    """The Dask permits never gather the records: rows in = used + rejected + too short,
    and the usable permits stay a lazy Dask DataFrame with their input rows."""
    permits = _permit_records()
    for function, args, options in PERMIT_CALLS:
        with no_gathering():
            result = function(split(permits, [3, 3, 12, 20]), PERMITS, *args, **options)
        assert _engines.is_dask(result.permits)
        used = result.permits.compute()
        short = result.excluded["reason"].str.startswith("valid less").sum()
        assert result.rows_in == len(permits) == len(used) + len(result.rejected) + short
        assert "lazy" in repr(result)


def test_error_in_a_partition_names_it() -> None:
    """An error raised while a partition is processed says which partition."""
    with pytest.raises(InputError, match=r"shuffled partition \d+: .*'no_such_flag'"):
        first_permits(split(_permit_records(), [5]), PERMITS, first_column="no_such_flag")


def test_person_ids_of_another_type_in_a_partition() -> None:
    """Person ids read as floats in one partition and integers in the others would split
    persons across partitions: an error names the partition and the column."""
    import dask

    permits = _permit_records().dropna(subset=["person_id"])
    permits["person_id"] = permits["person_id"].astype("int64")
    second = permits.iloc[8:].astype({"person_id": "float64"})
    frame = dd.from_delayed(
        [dask.delayed(permits.iloc[:8]), dask.delayed(second)],
        meta=permits.iloc[:0],
        verify_meta=False,
    )
    with pytest.raises(
        InputError, match="input partition 1: expected the person ids as int"
    ) as err:
        first_permits(frame, PERMITS)
    assert err.value.column == "person_id"


def test_empty_permits_and_events_on_dask() -> None:
    """Dask frames without rows give the empty pandas permits and register results."""
    permits = _permit_records().iloc[:0]
    for function, args, options in PERMIT_CALLS:
        assert_same_result(
            function(split(permits, [0]), PERMITS, *args, **options).to_pandas(),
            function(permits, PERMITS, *args, **options),
        )
    events = _events().iloc[:0]
    assert_same_result(
        register_flows(split(events, [0]), _profile(), obs_end="2016-01-01").to_pandas(),
        register_flows(events, _profile(), obs_end="2016-01-01"),
    )


def _census_input() -> pd.DataFrame:
    people = pd.concat([_people()] * 5, ignore_index=True)
    people["months"] = [400, 2, 30, "x", 3, None] * 5
    people["intends"] = ["yes", "no", None, "maybe", "2", "oui"] * 5
    return people


CENSUS_OPTIONS = [
    {
        "weight_column": "weight",
        "arrival_column": "arrived",
        "residence_1y_column": "res1",
        "residence_5y_column": "res5",
        "months_present_column": "months",
        "intends_to_stay_column": "intends",
    },
    {},
    {"sex_column": None, "age_column": None, "residence_1y_column": "res1"},
]


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    order=st.randoms(use_true_random=False),
    cuts=st.lists(st.integers(0, 30), max_size=6),
    options=st.sampled_from(CENSUS_OPTIONS),
)
def test_census_any_split_and_order_equal_pandas(
    order: object, cuts: list[int], options: dict
) -> None:
    """Any row order and any cut into partitions (empty ones too) give the pandas census:
    stocks, arrivals, recent immigrants, rejected and excluded rows with their input rows."""
    people = _census_input()
    rows = list(range(len(people)))
    order.shuffle(rows)  # type: ignore[attr-defined]
    people = people.iloc[rows].reset_index(drop=True)
    assert_same_result(
        census_stocks(split(people, cuts), CENSUS, 2022, **options),
        census_stocks(people, CENSUS, 2022, **options),
    )


def test_census_on_dask_aggregates_by_partition() -> None:
    """The Dask census never gathers the records; rows in = counted + excluded + rejected,
    and only partial sums and left-out rows come back."""
    people = _census_input()
    with no_gathering():
        c = census_stocks(split(people, [7, 7, 19]), CENSUS, 2022, **CENSUS_OPTIONS[0])
    assert c.rows_in == len(people) == c.counted + len(c.excluded) + len(c.rejected)
    assert c.rejected["row"].is_monotonic_increasing
    assert (people.loc[c.rejected["row"].to_numpy(), "weight"].to_numpy() == "-1").any()


def test_census_empty_dask_frame() -> None:
    """A Dask census with no rows at all gives the empty pandas census."""
    empty = _census_input().iloc[:0]
    for options in CENSUS_OPTIONS:
        assert_same_result(
            census_stocks(split(empty, [0, 0]), CENSUS, 2022, **options),
            census_stocks(empty, CENSUS, 2022, **options),
        )


def test_census_fractional_weights_equal_pandas_to_rounding() -> None:
    """Fractional weights summed by partition equal the one-pass sums to rounding."""
    rng = np.random.default_rng(3)
    people = pd.concat([_people().iloc[:5]] * 40, ignore_index=True)
    people["weight"] = rng.uniform(0.5, 300.0, len(people))
    left = census_stocks(split(people, [50, 120, 121]), CENSUS, 2022, weight_column="weight")
    right = census_stocks(people, CENSUS, 2022, weight_column="weight")
    pd.testing.assert_frame_equal(left.stocks, right.stocks, check_exact=False, rtol=1e-12)


def test_no_gathering_catches_a_gathering_engine() -> None:
    """The check of the tests above fails on an engine that gathers the rows (as the Dask
    path did before: every record into the client)."""
    frame = split(_census_input(), [5])
    with no_gathering(), pytest.raises(AssertionError, match="gathered"):
        frame.compute()  # type: ignore[attr-defined]
    with no_gathering(), pytest.raises(AssertionError, match="gathered"):
        _engines.in_memory(frame)


def test_census_missing_column_on_dask() -> None:
    """A missing column is named before any partition is read."""
    with pytest.raises(InputError, match="arrived_in"):
        census_stocks(split(_people(), [3]), CENSUS, 2022, arrival_column="arrived_in")


def test_on_a_local_cluster() -> None:
    """On a dask.distributed cluster (the shuffle moves raw columns of mixed types, such as
    declared durations 12 and '1 an') the results equal pandas."""
    distributed = pytest.importorskip("distributed")
    with (
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=False, dashboard_address=None
        ) as cluster,
        distributed.Client(cluster),
    ):
        ev = _events()
        options = REGISTER_OPTIONS[2]
        assert_same_result(
            register_flows(split(ev, [5]), _profile(), **options).to_pandas(),
            register_flows(ev, _profile(), **options),
        )
        permits = _permit_records()
        assert_same_result(
            first_permits(split(permits, [7, 9]), PERMITS).to_pandas(),
            first_permits(permits, PERMITS),
        )
        people = _census_input()
        assert_same_result(
            census_stocks(split(people, [4, 20]), CENSUS, 2022, **CENSUS_OPTIONS[0]),
            census_stocks(people, CENSUS, 2022, **CENSUS_OPTIONS[0]),
        )
