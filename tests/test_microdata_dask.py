"""Census, register and permit microdata given as Dask DataFrames: the pandas results."""

from __future__ import annotations

import dataclasses

import pandas as pd
import pytest
from test_census import PROFILE as CENSUS
from test_census import _people
from test_permits import PROFILE as PERMITS
from test_permits import _permits
from test_registers import _profile

from migdata.sources.census import census_stocks
from migdata.sources.permits import first_permits, valid_permits
from migdata.sources.registers import register_flows

dd = pytest.importorskip("dask.dataframe")


def to_dask(frame: pd.DataFrame, npartitions: int = 3) -> object:
    import dask

    with dask.config.set({"dataframe.convert-string": False}):
        return dd.from_pandas(frame, npartitions=npartitions, sort=False)


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


def test_register_flows_on_dask_equal_pandas() -> None:
    """Register events in Dask partitions (a person's events split across them) give the
    pandas flows."""
    ev = pd.DataFrame(
        {
            "person_id": ["a", "a", "a", "b", "c", None, "b"],
            "event": ["registration", "deregistration", "registration", "sortie", "entrée",
                      "in", "sortie"],
            "date": ["2010-01-01", "2012-01-01", "2012-03-01", "2013-01-01", "2015-06-01",
                     "2014-01-01", "2013-01-01"],
        }
    )  # fmt: skip
    assert_same_result(
        register_flows(to_dask(ev), _profile(), obs_end="2016-01-01"),
        register_flows(ev, _profile(), obs_end="2016-01-01"),
    )


def test_permits_on_dask_equal_pandas() -> None:
    """First and valid permits from Dask partitions equal the pandas results."""
    permits = _permits()
    assert_same_result(first_permits(to_dask(permits), PERMITS), first_permits(permits, PERMITS))
    assert_same_result(
        valid_permits(to_dask(permits), PERMITS, "2020-06-30"),
        valid_permits(permits, PERMITS, "2020-06-30"),
    )
