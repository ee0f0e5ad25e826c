"""Tests of migdata.sources.crossings: the 12/16 outcome rule for border crossings."""

from __future__ import annotations

import datetime as dt
import random
from unittest import mock

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from migdata.errors import ConfigurationError, InputError
from migdata.harmonised import HARMONISED_COLUMNS, harmonised_schema
from migdata.sources import _crossings_kernel as kernel
from migdata.sources.crossings import (
    Crossings,
    TieRule,
    classify_crossings,
    crossing_flows_to_harmonised,
    tabulate_crossings,
)

EPOCH = dt.date(1970, 1, 1)
BASE = dt.date(2010, 1, 1)
V, W = 365, 487


def day_of(value: object) -> int:
    return (pd.Timestamp(value).date() - EPOCH).days


# --------------------------------------------------------------------------------------
# Reference implementation: a plain loop over each person's sorted crossings, day by day,
# written from the rules in DOMAIN.md ("The 12/16 rule precisely") and nothing else.
# --------------------------------------------------------------------------------------


def reference_person(
    days: list[int],
    arrivals: list[bool],
    init: int | None,
    obs_end: int,
    data_start: int,
    v: int = V,
    w: int = W,
) -> list[tuple[int, int, str, int | None, int | None, bool | None]]:
    """Classify one person's crossings (already in order) the slow, obvious way."""
    n = len(days)

    def inside(d: int) -> bool:
        # Whether the person is in the country on day d (d >= first crossing day).
        k = max(i for i in range(n) if days[i] <= d)
        if k == n - 1:
            return arrivals[k]
        start, end = days[k], days[k + 1]
        half = start + (end - start) // 2
        if arrivals[k] and not arrivals[k + 1]:
            return True
        if not arrivals[k] and arrivals[k + 1]:
            return False
        if arrivals[k]:  # A A: first half in
            return d < half
        return d >= half  # D D: second half in

    out = []
    if days[0] - data_start >= v:
        status: int | None = 0 if arrivals[0] else 1
    else:
        status = init
    for i in range(n):
        t = days[i]
        x = min(t + w, obs_end)
        observed = x - t
        days_in = sum(1 for d in range(t, x) if inside(d))
        days_out = observed - days_in
        if arrivals[i]:
            if days_in >= v:
                outcome = "reached"
            elif days_out > w - v:
                outcome = "failed"
            else:
                outcome = "unknown"
        elif days_out >= v:
            outcome = "reached"
        elif days_in > w - v:
            outcome = "failed"
        else:
            outcome = "unknown"
        before = status
        side = 1 if arrivals[i] else 0
        if outcome == "reached":
            status = side
        elif outcome == "unknown" and status != side:
            status = None
        after = status
        if before == 1 - side and after == side:
            long_term: bool | None = True
        elif outcome == "failed" or before == side or after == 1 - side:
            long_term = False
        else:
            long_term = None
        out.append((observed, days_in, outcome, before, after, long_term))
    return out


def reference(
    moves: pd.DataFrame, obs_end: int, data_start: int, init_col: str | None = None
) -> pd.DataFrame:
    """Reference classification of a whole table (rows ordered by person, time, seq)."""
    frame = moves.assign(_day=[day_of(t) for t in moves["time"]])
    sort_cols = ["person_id", "_day", "seq"] if "seq" in moves else ["person_id", "time"]
    frame = frame.sort_values(sort_cols, kind="stable")
    rows = {}
    for _, person in frame.groupby("person_id", sort=False):
        arrivals = [str(d).lower() in ("arrival", "a", "in", "arr") for d in person["direction"]]
        init = None
        if init_col is not None:
            first = person[init_col].iloc[0]
            init = None if pd.isna(first) else int(bool(first))
        result = reference_person(list(person["_day"]), arrivals, init, obs_end, data_start)
        for index, values in zip(person.index, result, strict=True):
            rows[index] = values
    columns = ["days_observed", "days_in", "outcome", "resident_before", "resident_after"]
    columns.append("long_term")
    table = pd.DataFrame.from_dict(rows, orient="index", columns=columns).loc[moves.index]
    return table


def as_plain(table: pd.DataFrame) -> pd.DataFrame:
    """Output columns of a classified table as plain Python values (NA -> None)."""
    out = pd.DataFrame(index=table.index)
    out["days_observed"] = table["days_observed"].astype(int)
    out["days_in"] = table["days_in"].astype(int)
    out["outcome"] = table["outcome"].astype(str)
    for c in ("resident_before", "resident_after", "long_term"):
        out[c] = [None if pd.isna(v) else bool(v) for v in table[c]]
    return out


def as_plain_reference(ref: pd.DataFrame) -> pd.DataFrame:
    out = ref.copy()
    out["days_observed"] = out["days_observed"].astype(int)
    out["days_in"] = out["days_in"].astype(int)
    for c in ("resident_before", "resident_after", "long_term"):
        out[c] = [None if v is None or pd.isna(v) else bool(v) for v in ref[c]]
    return out


# --------------------------------------------------------------------------------------
# Random movement histories
# --------------------------------------------------------------------------------------


@st.composite
def histories(draw: st.DrawFn, with_seq: bool = True) -> dict:
    """Persons with random crossings: missing records (A A, D D), same-day crossings."""
    n_persons = draw(st.integers(1, 6))
    person, day, seq, direction, init = [], [], [], [], []
    for p in range(n_persons):
        k = draw(st.integers(1, 7))
        start = draw(st.integers(0, 900))
        gaps = draw(
            st.lists(
                st.sampled_from(
                    [
                        0,
                        0,
                        1,
                        2,
                        30,
                        100,
                        121,
                        122,
                        123,
                        200,
                        364,
                        365,
                        366,
                        400,
                        486,
                        487,
                        488,
                        700,
                    ]
                ),
                min_size=k,
                max_size=k,
            )
        )
        d = start
        for i in range(k):
            d += gaps[i] if i else 0
            person.append(f"p{p}")
            day.append(d)
            seq.append(i)
            direction.append(draw(st.sampled_from(["arrival", "departure", "A", "D"])))
            init.append(draw(st.sampled_from([True, False, None])))
    last = max(day)
    obs_end = last + draw(st.integers(1, 600))
    data_start = min(day) - draw(st.integers(0, 500))
    if with_seq:
        times = [pd.Timestamp(BASE + dt.timedelta(days=x)) for x in day]
        frame = pd.DataFrame({"person_id": person, "time": times, "seq": seq})
    else:
        # Timestamps with a time of day that orders the same-day crossings.
        times = [
            pd.Timestamp(BASE + dt.timedelta(days=x)) + pd.Timedelta(minutes=5 * s)
            for x, s in zip(day, seq, strict=True)
        ]
        frame = pd.DataFrame({"person_id": person, "time": times})
    frame["direction"] = direction
    frame["card_status"] = pd.array(init, dtype="boolean")
    order = draw(st.permutations(range(len(frame))))
    frame = frame.iloc[list(order)].reset_index(drop=True)
    return {
        "moves": frame,
        "obs_end": day_of(BASE) + obs_end,
        "data_start": day_of(BASE) + data_start,
        "use_init": draw(st.booleans()),
        "chunk": draw(st.integers(1, 12)),
    }


def run(case: dict, **kwargs: object) -> Crossings:
    return classify_crossings(
        case["moves"],
        obs_end=EPOCH + dt.timedelta(days=case["obs_end"]),
        data_start=EPOCH + dt.timedelta(days=case["data_start"]),
        initial_status="card_status" if case["use_init"] else None,
        **kwargs,  # type: ignore[arg-type]
    )


@settings(max_examples=150, deadline=None)
@given(histories(with_seq=True))
def test_vectorised_equals_reference_with_seq(case: dict) -> None:
    """The vectorised classifier equals the per-person loop (dates plus seq)."""
    result = run(case, chunk_rows=case["chunk"])
    assert len(result.rejected) == 0
    expected = reference(
        case["moves"],
        case["obs_end"],
        case["data_start"],
        "card_status" if case["use_init"] else None,
    )
    pd.testing.assert_frame_equal(as_plain(result.table), as_plain_reference(expected))


@settings(max_examples=80, deadline=None)
@given(histories(with_seq=False))
def test_vectorised_equals_reference_with_timestamps(case: dict) -> None:
    """The vectorised classifier equals the per-person loop (times of day order crossings)."""
    result = run(case)
    expected = reference(
        case["moves"],
        case["obs_end"],
        case["data_start"],
        "card_status" if case["use_init"] else None,
    )
    pd.testing.assert_frame_equal(as_plain(result.table), as_plain_reference(expected))


@settings(max_examples=60, deadline=None)
@given(histories(with_seq=True), st.randoms(use_true_random=False))
def test_split_at_person_boundaries_gives_identical_results(case: dict, rnd: random.Random) -> None:
    """Classifying any person-aligned split separately gives the same rows."""
    moves = case["moves"]
    persons = sorted(moves["person_id"].unique())
    part_of = {p: rnd.randint(0, 2) for p in persons}
    parts = [moves[moves["person_id"].map(part_of) == k] for k in range(3)]
    whole = as_plain(run(case).table)
    pieces = [as_plain(run({**case, "moves": part}).table) for part in parts if len(part)]
    pd.testing.assert_frame_equal(pd.concat(pieces).loc[whole.index], whole)


@settings(max_examples=60, deadline=None)
@given(histories(with_seq=True), st.randoms(use_true_random=False))
def test_shuffling_rows_does_not_change_result(case: dict, rnd: random.Random) -> None:
    """Shuffling the input rows changes only the row order of the output."""
    whole = as_plain(run(case).table)
    order = list(range(len(case["moves"])))
    rnd.shuffle(order)
    shuffled = as_plain(run({**case, "moves": case["moves"].iloc[order]}).table)
    pd.testing.assert_frame_equal(shuffled.loc[whole.index], whole)


@settings(max_examples=60, deadline=None)
@given(histories(with_seq=False))
def test_internal_fallbacks_equal_reference(case: dict) -> None:
    """Splitting persons when the sort key is too wide, and the binary search for
    window ends after the first step, give the reference result."""
    moves = case["moves"]
    days = [day_of(t) for t in moves["time"]]
    # The narrowest key that still holds one person: every person set is split down.
    narrow = kernel.key_bits(len(moves), 0, max(days) - min(days))
    with (
        mock.patch.object(kernel, "KEY_BITS", narrow),
        mock.patch.object(kernel, "MAX_STEPS", 1),
    ):
        result = run(case)
    expected = reference(
        moves, case["obs_end"], case["data_start"], "card_status" if case["use_init"] else None
    )
    pd.testing.assert_frame_equal(as_plain(result.table), as_plain_reference(expected))


@settings(max_examples=60, deadline=None)
@given(histories(with_seq=True), st.sampled_from([1, 2, 3]), st.sampled_from([1, 2, 3]))
def test_buckets_of_persons_on_threads_equal_reference(
    case: dict, bucket_rows: int, threads: int
) -> None:
    """Classifying buckets of persons (by code range) on several threads, as large inputs
    are, gives the reference result, duplicates and ties included."""
    with mock.patch.object(kernel, "BUCKET_ROWS", bucket_rows):
        result = run(case, threads=threads)
    expected = reference(
        case["moves"],
        case["obs_end"],
        case["data_start"],
        "card_status" if case["use_init"] else None,
    )
    pd.testing.assert_frame_equal(as_plain(result.table), as_plain_reference(expected))
    doubled = pd.concat([case["moves"]] * 2, ignore_index=True)  # every row twice
    with mock.patch.object(kernel, "BUCKET_ROWS", bucket_rows):
        twice = run({**case, "moves": doubled}, threads=threads)
    once = run({**case, "moves": doubled})
    pd.testing.assert_frame_equal(twice.table, once.table)
    pd.testing.assert_frame_equal(twice.rejected, once.rejected)


def test_frequent_travellers_equal_reference() -> None:
    """Dozens of crossings inside one window (beyond the stepping limit) are summed right."""
    rng = np.random.default_rng(11)
    rows = []
    for p in range(12):
        day = int(rng.integers(0, 200))
        for _ in range(int(rng.integers(20, 60))):
            day += int(rng.choice([1, 2, 3, 7, 30, 90]))
            rows.append((f"c{p}", BASE + dt.timedelta(days=day), rng.choice(["A", "D"])))
    moves = pd.DataFrame(rows, columns=["person_id", "time", "direction"])
    moves["time"] = pd.to_datetime(moves["time"])
    moves = moves.sample(frac=1, random_state=3)
    obs_end, data_start = day_of(BASE) + 2000, day_of(BASE)
    result = classify_crossings(
        moves,
        obs_end=EPOCH + dt.timedelta(days=obs_end),
        data_start=EPOCH + dt.timedelta(days=data_start),
        today="2030-01-01",
    )
    assert len(result.rejected) == 0
    expected = reference(moves, obs_end, data_start)
    pd.testing.assert_frame_equal(as_plain(result.table), as_plain_reference(expected))


# --------------------------------------------------------------------------------------
# Hand-worked examples
# --------------------------------------------------------------------------------------


def moves_of(*rows: tuple) -> pd.DataFrame:
    """Movements from (person, date, direction[, seq]) tuples."""
    cols = ["person_id", "time", "direction", "seq"][: len(rows[0])]
    frame = pd.DataFrame(rows, columns=cols)
    frame["time"] = pd.to_datetime(frame["time"])
    return frame


def classify(frame: pd.DataFrame, **kw: object) -> pd.DataFrame:
    kw.setdefault("data_start", "2010-01-01")
    kw.setdefault("obs_end", "2020-01-01")
    return classify_crossings(frame, **kw).table  # type: ignore[arg-type]


def test_arrival_staying_400_days_reaches() -> None:
    """An arrival followed by 400 days in the country is a long-term arrival."""
    t = classify(moves_of(("a", "2015-01-01", "A"), ("a", "2016-02-05", "D")))
    assert t["days_in"].tolist() == [400, 0]
    assert t["days_observed"].tolist() == [487, 487]
    assert t["outcome"].tolist() == ["reached", "reached"]
    assert t["resident_before"].tolist() == [False, True]
    assert t["resident_after"].tolist() == [True, False]
    assert t["long_term"].tolist() == [True, True]


def test_leaving_after_100_days_fails() -> None:
    """An arrival followed by a departure after 100 days fails and changes nothing."""
    t = classify(moves_of(("b", "2015-01-01", "A"), ("b", "2015-04-11", "D")))
    assert t["days_in"].tolist() == [100, 0]
    assert t["outcome"].tolist() == ["failed", "reached"]
    assert t["resident_after"].tolist() == [False, False]
    assert t["long_term"].tolist() == [False, False]


def test_exactly_365_days_reaches_and_364_is_cut() -> None:
    """V days in reach the threshold; a window cut before V days left is unknown."""
    t = classify(moves_of(("c", "2015-01-01", "A")), obs_end="2016-01-01")
    assert t["days_in"].tolist() == [365] and t["outcome"].tolist() == ["reached"]
    t = classify(moves_of(("c", "2015-01-01", "A")), obs_end="2015-12-31")
    assert t["days_observed"].tolist() == [364]
    assert t["outcome"].tolist() == ["unknown"]
    assert t["resident_after"].isna().all() and t["long_term"].isna().all()


def test_window_cut_at_obs_end_fails_early_when_out_enough() -> None:
    """A cut window still fails once more than W - V days were spent out."""
    t = classify(moves_of(("d", "2019-01-01", "A"), ("d", "2019-01-11", "D")), obs_end="2019-06-01")
    # 10 days in, 141 observed: 131 days out > 122 -> failed; departure: 141 out < 365.
    assert t["outcome"].tolist() == ["failed", "unknown"]
    # The departure of a non-resident cannot change anything: status stays known.
    assert t["resident_after"].tolist() == [False, False]
    assert t["long_term"].tolist() == [False, False]


def test_two_arrivals_count_first_half_of_gap() -> None:
    """A A: the first half of the gap (floor) counts as in the country."""
    t = classify(moves_of(("e", "2015-01-01", "A"), ("e", "2015-01-12", "A")))
    # Gap of 11 days: days 0..4 in (5 days), 5..10 out, then in from the second arrival.
    assert t["days_in"].iloc[0] == 5 + (487 - 11)
    t = classify(
        moves_of(("e", "2015-01-01", "A"), ("e", "2016-01-01", "A"), ("e", "2016-01-02", "D"))
    )
    # 365-day gap: 182 days in, then one day in before the departure.
    assert t["days_in"].tolist() == [183, 1, 0]
    assert t["outcome"].tolist()[0] == "failed"


def test_two_departures_count_second_half_of_gap() -> None:
    """D D: the second half of the gap (ceiling) counts as in the country."""
    t = classify(moves_of(("f", "2015-01-01", "D"), ("f", "2015-01-12", "D")))
    # Gap of 11 days: split day 5, days 5..10 in (6 days).
    assert t["days_in"].tolist() == [6, 0]
    assert t["outcome"].tolist() == ["reached", "reached"]
    # Resident before (first crossing 5 years after data start): the first departure is
    # the long-term one; the second leaves a non-resident.
    assert t["long_term"].tolist() == [True, False]


def test_same_day_departure_arrival_departure_with_seq() -> None:
    """Same-day D, A, D are ordered by seq, not by direction or input order."""
    frame = moves_of(
        ("g", "2015-06-01", "D", 3),
        ("g", "2015-06-01", "A", 2),
        ("g", "2015-06-01", "D", 1),
        ("g", "2014-01-01", "A", 1),
    )
    t = classify(frame)
    # Arrival 2014-01-01 in until the first departure on 2015-06-01: 516 days >= 487.
    assert t.loc[3, "days_in"] == 487 and t.loc[3, "outcome"] == "reached"
    # Within the day: D(seq1) -> A(seq2) -> D(seq3): no day is in the country.
    assert t.loc[[2, 1, 0], "days_in"].tolist() == [0, 0, 0]
    assert t.loc[[2, 1, 0], "outcome"].tolist() == ["reached", "failed", "reached"]
    assert t.loc[[3, 2, 1, 0], "long_term"].tolist() == [True, True, False, False]


def test_unknown_status_propagates_until_next_reaching_crossing() -> None:
    """An unknown outcome that matters makes the status unknown until a crossing reaches."""
    frame = moves_of(
        ("h", "2018-01-01", "A"),
        ("h", "2019-03-01", "D"),  # 306 days observed: unknown, resident -> unknown
        ("h", "2019-04-01", "A"),  # 275 days in: not yet reached, unknown
        ("h", "2019-04-05", "D"),  # out since: 4 days in only
    )
    t = classify(frame, obs_end="2020-01-01", data_start="2015-01-01")
    assert t["outcome"].tolist() == ["reached", "unknown", "failed", "unknown"]
    assert t["resident_after"].tolist()[0] is True
    assert t["resident_after"].isna().tolist() == [False, True, True, True]
    assert t["long_term"].isna().tolist() == [False, True, False, True]


def test_initial_status_rule_with_data_start() -> None:
    """Far from data_start the first crossing decides; near it initial_status is used."""
    frame = moves_of(("i", "2015-01-01", "D"), ("j", "2015-01-01", "D"))
    t = classify(frame, data_start="2014-06-01", obs_end="2017-01-01")
    assert t["resident_before"].isna().all()
    assert t["long_term"].isna().all()
    t = classify(frame, data_start="2014-06-01", obs_end="2017-01-01", initial_status=[True, "no"])
    assert t["resident_before"].tolist() == [True, False]
    assert t["long_term"].tolist() == [True, False]
    t = classify(frame, data_start="2014-01-01", obs_end="2017-01-01", initial_status=[0, 0])
    # 365 days after the data start: the data decide (resident before a departure).
    assert t["resident_before"].tolist() == [True, True]


def test_other_columns_carried_and_order_kept() -> None:
    """Extra columns pass through and rows keep input order and index."""
    frame = moves_of(("k", "2016-01-01", "D"), ("k", "2015-01-01", "A"))
    frame["citizenship"] = ["KEN", "KEN"]
    frame.index = [10, 20]
    t = classify(frame)
    assert list(t.index) == [10, 20]
    assert t["citizenship"].tolist() == ["KEN", "KEN"]
    assert str(t["long_term"].dtype) == "boolean"
    assert list(t["outcome"].cat.categories) == ["reached", "failed", "unknown"]


def test_chunk_size_does_not_change_result() -> None:
    """Person-aligned chunks of any size give identical results."""
    rng = np.random.default_rng(7)
    n = 3000
    frame = pd.DataFrame(
        {
            "person_id": rng.integers(0, 400, n),
            "time": pd.Timestamp("2012-01-01")
            + pd.to_timedelta(rng.integers(0, 3000 * 86400, n), unit="s"),
            "direction": rng.choice(["A", "D"], n),
        }
    ).drop_duplicates(["person_id", "time"])
    a = classify_crossings(frame, data_start="2012-01-01", today="2030-01-01")
    b = classify_crossings(frame, data_start="2012-01-01", chunk_rows=37, today="2030-01-01")
    pd.testing.assert_frame_equal(a.table, b.table)


# --------------------------------------------------------------------------------------
# Bad input
# --------------------------------------------------------------------------------------


def test_bad_rows_are_rejected_with_reasons() -> None:
    """No person id, unknown direction, bad/future times and duplicates are rejected."""
    frame = pd.DataFrame(
        {
            "person_id": ["a", None, "b", "c", "d", "e", "a", " ", "f"],
            "time": [
                "2015-01-01",
                "2015-01-01",
                "2015-01-01",
                "01/02/2015",
                "2099-01-01",
                "2015-02-01",
                "2015-01-01",
                "2015-01-01",
                "2019-12-31",
            ],
            "direction": ["A", "D", "sideways", "A", "D", "D", "a", "A", "OUT"],
        }
    )
    res = classify_crossings(
        frame, data_start="2014-01-01", obs_end="2019-12-31", today="2024-01-01"
    )
    assert len(res.table) + len(res.rejected) == len(frame)
    reasons = dict(zip(res.rejected["row"], res.rejected["reason"], strict=True))
    assert set(reasons) == {1, 2, 3, 4, 6, 7, 8}
    assert "person id" in reasons[1] and "person id" in reasons[7]
    assert "'sideways'" in reasons[2]
    assert "'01/02/2015'" in reasons[3]
    assert "future" in reasons[4]
    assert "duplicate" in reasons[6] and "row 0" in reasons[6]
    assert "obs_end" in reasons[8]
    assert res.table.index.tolist() == [0, 5]
    assert res.cleaned_directions == 2  # "A" (row 0) and "D" (row 5)
    counts = res.summary().set_index("item")["count"]
    assert counts["rows in"] == len(frame)
    assert counts["rejected: duplicate crossing"] == 1


def test_cleaned_directions_are_counted() -> None:
    """A/D, in/out, arr/dep (any case) and other-language words are read and counted."""
    frame = pd.DataFrame(
        {
            "person_id": [1, 1, 2, 2, 3, 3],
            "time": pd.to_datetime(
                ["2015-01-01", "2015-02-01", "2015-01-01", "2015-02-01", "2015-01-01", "2015-02-01"]
            ),
            "direction": ["In", "OUT", "arr", "Dep", "arrival", "Sortie"],
        }
    )
    res = classify_crossings(frame, today="2024-01-01")
    assert len(res.rejected) == 0
    assert res.cleaned_directions == 5


def test_same_time_both_directions_without_seq() -> None:
    """Same person and time in both directions: ordered by input row, or rejected."""
    frame = moves_of(("a", "2015-01-01", "A"), ("a", "2015-01-01", "D"))
    res = classify_crossings(frame, data_start="2013-01-01", obs_end="2017-01-01")
    assert res.ambiguous_ties == 2 and len(res.rejected) == 0
    assert res.table["days_in"].tolist() == [0, 0]
    res = classify_crossings(
        frame, data_start="2013-01-01", obs_end="2017-01-01", ties=TieRule.REJECT
    )
    assert len(res.table) == 0 and res.rejected["row"].tolist() == [0, 1]
    assert res.rejected["reason"].str.contains("same time").all()
    with pytest.raises(ConfigurationError):
        classify_crossings(frame, ties="random")


def test_times_out_of_order_are_sorted() -> None:
    """Input out of time order is classified as if sorted."""
    frame = moves_of(("a", "2016-02-05", "D"), ("a", "2015-01-01", "A"))
    t = classify(frame)
    assert t["days_in"].tolist() == [0, 400]


def test_missing_columns_and_bad_parameters() -> None:
    """Missing columns, inconsistent rule and unreadable initial status raise clearly."""
    with pytest.raises(InputError, match="direction"):
        classify_crossings(pd.DataFrame({"person_id": [1], "time": ["2015-01-01"]}))
    frame = moves_of(("a", "2015-01-01", "A"))
    with pytest.raises(ConfigurationError, match="threshold_days"):
        classify_crossings(frame, threshold_days=500, window_days=487)
    with pytest.raises(InputError, match="maybe"):
        classify_crossings(frame, initial_status=["maybe"])
    with pytest.raises(ConfigurationError, match="data_start"):
        classify_crossings(frame, data_start="2016-01-01", obs_end="2015-06-01")


def test_bad_seq_is_rejected() -> None:
    """A seq that is missing or not an integer rejects the row."""
    frame = moves_of(("a", "2015-01-01", "A", 1), ("a", "2015-01-01", "D", None))
    res = classify_crossings(frame, obs_end="2016-01-01")
    assert res.rejected["row"].tolist() == [1]
    assert "seq" in res.rejected["reason"].iloc[0]


# --------------------------------------------------------------------------------------
# Tabulation and the harmonised table
# --------------------------------------------------------------------------------------


def test_tabulation_counts_long_term_flows_and_flags_provisional_cells() -> None:
    """IMM/EMI by year and breakdowns; unknown outcomes make a cell provisional."""
    frame = moves_of(
        ("a", "2015-01-01", "A"),
        ("a", "2016-03-01", "D"),
        ("b", "2015-05-01", "A"),
        ("c", "2016-11-01", "A"),
    )
    frame["citizenship"] = ["KEN", "KEN", "KEN", "UGA"]
    frame["sex"] = ["F", "F", "F", "M"]
    res = classify_crossings(frame, data_start="2013-01-01", obs_end="2017-06-01")
    flows = tabulate_crossings(res)
    assert "age_group" not in flows.columns  # missing breakdown is left out
    imm = flows[flows["measure"] == "IMM"].set_index(["year", "citizenship"])
    assert imm.loc[(2015, "KEN"), "value"] == 2
    assert imm.loc[(2015, "KEN"), "obs_status"] == "A"
    assert imm.loc[(2016, "UGA"), "value"] == 0
    assert imm.loc[(2016, "UGA"), "unknown"] == 1
    assert imm.loc[(2016, "UGA"), "obs_status"] == "P"
    emi = flows[flows["measure"] == "EMI"]
    assert emi["value"].tolist() == [1]
    assert int(flows["value"].sum()) == int(res.table["long_term"].fillna(False).sum())


def test_harmonised_shape_validates() -> None:
    """The flows convert into a harmonised table that passes the shared schema."""
    frame = moves_of(("a", "2015-01-01", "A"), ("b", "2016-11-01", "A"))
    frame["citizenship"] = ["Kenya", None]
    frame["age_group"] = ["25-29", "65+"]
    res = classify_crossings(frame, data_start="2013-01-01", obs_end="2017-06-01")
    h = crossing_flows_to_harmonised(
        tabulate_crossings(res), ref_area="UGA", source_id="UGA-BORDER"
    )
    assert list(h.columns) == list(HARMONISED_COLUMNS)
    harmonised_schema().validate(h)
    assert h["counterpart_area"].tolist() == ["KEN", "_U"]
    assert h["age"].tolist() == ["Y25T29", "Y_GE65"]
    assert h["sex"].tolist() == ["_T", "_T"]
    assert h["obs_status"].tolist() == ["A", "P"]


def test_repr_html_shows_summary() -> None:
    """The notebook view names the rule, the period and the counts."""
    res = classify_crossings(moves_of(("a", "2015-01-01", "A")), obs_end="2017-01-01")
    page = res._repr_html_()
    assert "365/487" in page and "rows classified" in page and "2017-01-01" in page


def test_id_and_time_types_do_not_change_result() -> None:
    """Sparse integer ids, string ids, tz-aware times and ISO text classify alike."""
    frame = moves_of(
        ("a", "2015-01-01", "A"),
        ("a", "2016-02-05", "D"),
        ("b", "2015-03-01", "D"),
        ("b", "2015-03-20", "A"),
    )
    expected = as_plain(classify(frame))
    sparse = frame.assign(person_id=frame["person_id"].map({"a": 10**15, "b": 7}))
    pd.testing.assert_frame_equal(as_plain(classify(sparse, chunk_rows=1)), expected)
    aware = frame.assign(time=frame["time"].dt.tz_localize("Africa/Kampala"))
    pd.testing.assert_frame_equal(as_plain(classify(aware)), expected)
    text = frame.assign(time=frame["time"].dt.strftime("%Y-%m-%d"))
    pd.testing.assert_frame_equal(as_plain(classify(text)), expected)
    flags = frame.assign(direction=frame["direction"] == "A")
    pd.testing.assert_frame_equal(as_plain(classify(flags)), expected)


def test_configurable_threshold_and_window() -> None:
    """The rule's threshold and window are parameters (e.g. 6 of 12 months)."""
    frame = moves_of(("a", "2015-01-01", "A"), ("a", "2015-07-01", "D"))
    t = classify(frame, threshold_days=181, window_days=365)
    assert t["days_in"].tolist() == [181, 0]
    assert t["outcome"].tolist() == ["reached", "reached"]
    t = classify(frame)
    assert t["outcome"].tolist() == ["failed", "reached"]


def test_harmonised_by_partner_country_per_measure() -> None:
    """A partner column becomes PREV_RES for immigrants and NEXT_RES for emigrants."""
    frame = moves_of(("a", "2015-01-01", "A"), ("a", "2016-02-05", "D"))
    frame["partner"] = ["Kenya", "Tanzania"]
    res = classify_crossings(frame, data_start="2010-01-01", obs_end="2020-01-01")
    flows = tabulate_crossings(res, by=("year", "partner"))
    h = crossing_flows_to_harmonised(
        flows,
        ref_area="UGA",
        counterpart="partner",
        counterpart_type={"imm": "prev_res", "EMI": "NEXT_RES"},  # any case
    )
    harmonised_schema().validate(h)
    assert len(h) == len(flows)
    got = h[["measure", "time_period", "counterpart_area", "counterpart_type", "obs_value"]]
    assert sorted(got.values.tolist()) == [
        ["EMI", "2016", "TZA", "NEXT_RES", 1.0],
        ["IMM", "2015", "KEN", "PREV_RES", 1.0],
    ]


def test_harmonised_counterpart_single_type_and_default() -> None:
    """One code types every row; the citizenship column still defaults to CITIZENSHIP."""
    flows = pd.DataFrame(
        {
            "year": [2016, 2016],
            "citizenship": ["KEN", "RWA"],
            "birth": ["RWA", "Congo-Kinshasa"],
            "measure": ["IMM", "EMI"],
            "value": [3, 2],
        }
    )
    h = crossing_flows_to_harmonised(
        flows, ref_area="UGA", counterpart="birth", counterpart_type="birth"
    )
    assert h["counterpart_type"].tolist() == ["BIRTH", "BIRTH"]
    assert h["counterpart_area"].tolist() == ["RWA", "COD"]
    default = crossing_flows_to_harmonised(flows, ref_area="UGA")
    assert default["counterpart_type"].tolist() == ["CITIZENSHIP", "CITIZENSHIP"]
    assert default["counterpart_area"].tolist() == ["KEN", "RWA"]
    no_breakdown = crossing_flows_to_harmonised(flows.drop(columns="citizenship"), ref_area="UGA")
    assert no_breakdown["counterpart_area"].tolist() == ["_T", "_T"]


def test_harmonised_counterpart_errors() -> None:
    """Untyped, unknown or incomplete counterpart types and a missing column are refused."""
    flows = pd.DataFrame(
        {
            "year": [2016, 2016],
            "partner": ["KEN", "RWA"],
            "measure": ["IMM", "EMI"],
            "value": [1, 2],
        }
    )
    with pytest.raises(ConfigurationError, match="say what the column 'partner' holds"):
        crossing_flows_to_harmonised(flows, ref_area="UGA", counterpart="partner")
    with pytest.raises(ConfigurationError, match="no type for EMI"):
        crossing_flows_to_harmonised(
            flows, ref_area="UGA", counterpart="partner", counterpart_type={"IMM": "PREV_RES"}
        )
    with pytest.raises(ConfigurationError, match="got 'PARTNER'"):
        crossing_flows_to_harmonised(
            flows, ref_area="UGA", counterpart="partner", counterpart_type="PARTNER"
        )
    with pytest.raises(InputError, match="counterpart column 'next_country'") as info:
        crossing_flows_to_harmonised(
            flows, ref_area="UGA", counterpart="next_country", counterpart_type="NEXT_RES"
        )
    assert info.value.column == "next_country"
