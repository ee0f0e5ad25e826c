"""Tests of the scoring rubric (migdata.quality.rubric) on a tiny hand-made bank."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from migdata.errors import InputError
from migdata.quality.dimensions import Dimension, Grade
from migdata.quality.rubric import ALL_MODULES, apply_rubric, grade_scores

ITEMS = pd.DataFrame(
    {
        "id": ["q1", "q2", "q3", "note"],
        "weight": [3, 1, 2, 1],
        "scored": [True, True, True, False],
        "text_en": ["Threshold?", "Coverage?", "Calendar?", "Comments"],
    }
)
LOADINGS = pd.DataFrame(
    {
        "item_id": ["q1", "q1", "q2", "q3", "q3"],
        "dimension": [
            "accuracy",
            "comparability",
            "accuracy",
            "timeliness_punctuality",
            "accuracy",
        ],
        "loading": [0.5, 0.5, 1.0, 0.75, 0.25],
    }
)


def answers(levels: dict[str, object], statuses: dict[str, str] | None = None) -> pd.DataFrame:
    """An answers table for country RWA, module IMM, from item -> level."""
    statuses = statuses or {}
    rows = []
    for item, level in levels.items():
        status = statuses.get(item, "answered")
        rows.append(
            {
                "country": "RWA",
                "module": "IMM",
                "source_id": "",
                "item_id": item,
                "raw": f"answer {item}",
                "value": "x",
                "level": level if status == "answered" else pd.NA,
                "status": status,
                "sheet": "IMM",
                "cell": "D5",
            }
        )
    return pd.DataFrame(rows).astype({"level": "Int64"})


def score_of(result: object, dimension: str, module: str = "IMM", country: str = "RWA") -> float:
    scores = result.scores  # type: ignore[attr-defined]
    row = scores[
        (scores.country == country) & (scores.module == module) & (scores.dimension == dimension)
    ]
    return float(row["score"].iloc[0])


def test_formula_by_hand() -> None:
    """D_k = sum(w l level) / (3 sum(w l)) over answered items, checked by hand."""
    res = apply_rubric(answers({"q1": 2, "q2": 3, "q3": 1}), ITEMS, LOADINGS)
    # accuracy: q1 3*0.5*2=3, q2 1*1*3=3, q3 2*0.25*1=0.5 -> 6.5 / (3*(1.5+1+0.5)) = 6.5/9
    assert score_of(res, "accuracy") == pytest.approx(6.5 / 9)
    assert score_of(res, "comparability") == pytest.approx(2 / 3)
    assert score_of(res, "timeliness_punctuality") == pytest.approx(1 / 3)
    grades = res.scores.set_index(["module", "dimension"])["grade"]
    assert grades[("IMM", "accuracy")] == "B"
    assert grades[("IMM", "timeliness_punctuality")] == "C"
    assert pd.isna(grades[("IMM", "relevance")])  # no item loads on relevance


def test_not_applicable_is_dropped_and_dont_know_lowers_coverage() -> None:
    """NA leaves score and coverage alone; don't know keeps the score but lowers coverage."""
    full = apply_rubric(answers({"q1": 2, "q2": 3}), ITEMS, LOADINGS)
    na = apply_rubric(
        answers({"q1": 2, "q2": 3, "q3": None}, {"q3": "not_applicable"}), ITEMS, LOADINGS
    )
    dk = apply_rubric(answers({"q1": 2, "q2": 3, "q3": None}, {"q3": "dont_know"}), ITEMS, LOADINGS)
    assert score_of(na, "accuracy") == score_of(full, "accuracy") == score_of(dk, "accuracy")
    cov = dk.scores.set_index(["module", "dimension"])
    assert cov.loc[("IMM", "accuracy"), "coverage"] == pytest.approx(2.5 / 3.0)
    assert cov.loc[("IMM", "timeliness_punctuality"), "grade"] == "I"
    assert cov.loc[("IMM", "timeliness_punctuality"), "grade_label"] == "insufficient information"
    assert dk.coverage.set_index("module").loc["IMM", "ac3"] == pytest.approx(2 / 3)
    assert na.coverage.set_index("module").loc["IMM", "ac3"] == 1.0


def test_insufficient_information_below_half_weight() -> None:
    """A dimension with under half of its applicable weight answered gets grade I."""
    res = apply_rubric(
        answers({"q1": None, "q2": 3, "q3": None}, {"q1": "missing", "q3": "dont_know"}),
        ITEMS,
        LOADINGS,
    )
    row = res.scores.set_index(["module", "dimension"]).loc[("IMM", "accuracy")]
    assert row["coverage"] == pytest.approx(1 / 3)
    assert row["score"] == 1.0 and row["grade"] == "I"


def test_unscored_item_counts_only_for_ac3() -> None:
    """An unscored (text) item changes AC3 but no dimension score."""
    base = apply_rubric(answers({"q1": 2}), ITEMS, LOADINGS)
    more = apply_rubric(answers({"q1": 2, "note": None}, {"note": "dont_know"}), ITEMS, LOADINGS)
    pd.testing.assert_series_equal(base.scores["score"], more.scores["score"])
    assert more.coverage["ac3"].iloc[0] == 0.5


def test_explanation_contributions_add_up() -> None:
    """Contributions of the explanation add up to each dimension score and name the answer."""
    res = apply_rubric(answers({"q1": 2, "q2": 3, "q3": 1}), ITEMS, LOADINGS)
    exp = res.explanation[res.explanation.module == "IMM"]
    total = exp.groupby("dimension")["contribution"].sum()
    scores = res.scores[res.scores.module == "IMM"].set_index("dimension")["score"]
    for dim, value in total.items():
        assert value == pytest.approx(scores[dim])
    row = exp[(exp.item_id == "q1") & (exp.dimension == "accuracy")].iloc[0]
    assert row["answer"] == "answer q1" and row["question"] == "Threshold?"
    assert row["contribution"] == pytest.approx(3 / 9)
    assert row["shortfall"] == pytest.approx(1.5 / 9)


def test_per_source_items_share_their_weight() -> None:
    """An item asked for two sources weighs w/2 per source, so it averages the sources."""
    two = pd.concat(
        [answers({"q2": 3}).assign(source_id="A"), answers({"q2": 0}).assign(source_id="B")],
        ignore_index=True,
    )
    res = apply_rubric(pd.concat([two, answers({"q1": 3})], ignore_index=True), ITEMS, LOADINGS)
    # accuracy: q1 w=3 l=.5 level 3 -> 4.5; q2 two halves of w=1: 0.5*3 + 0.5*0 = 1.5
    assert score_of(res, "accuracy") == pytest.approx(6.0 / (3 * 2.5))


def test_pooled_module_and_many_countries() -> None:
    """Module ALL pools a country's modules; countries are scored independently."""
    a = answers({"q1": 3, "q2": 3})
    b = answers({"q1": 0, "q2": 0}).assign(module="EMI")
    c = answers({"q1": 1}).assign(country="KEN")
    res = apply_rubric(pd.concat([a, b, c], ignore_index=True), ITEMS, LOADINGS)
    assert score_of(res, "accuracy", ALL_MODULES) == pytest.approx(0.5)
    ken = res.scores[(res.scores.country == "KEN") & (res.scores.dimension == "accuracy")]
    assert ken["score"].tolist() == pytest.approx([1 / 3, 1 / 3])
    assert list(res.scores.country.unique()) == ["KEN", "RWA"]
    assert list(res.scores[res.scores.country == "RWA"].module.unique()) == ["IMM", "EMI", "ALL"]


def test_bad_rows_are_rejected_with_reasons() -> None:
    """Unknown items, bad levels and statuses, duplicates: rejected with row and reason."""
    frame = answers({"q1": 2, "q2": 3})
    frame = pd.concat(
        [
            frame,
            frame.iloc[[0]],
            frame.iloc[[0]].assign(item_id="zz"),
            frame.iloc[[1]].assign(item_id="q3", level=7),
            frame.iloc[[1]].assign(item_id="q3", status="perhaps"),
        ],
        ignore_index=True,
    )
    res = apply_rubric(frame, ITEMS, LOADINGS, pooled=False)
    assert res.rejected["row"].tolist() == [2, 3, 4, 5]
    reasons = res.rejected["reason"].tolist()
    assert "duplicate" in reasons[0] and "not in the item bank" in reasons[1]
    assert "got 7" in reasons[2] and "got perhaps" in reasons[3]
    used = int(res.coverage["n_items"].sum())
    assert used + len(res.rejected) == len(frame)


def test_missing_columns_and_unknown_dimension_fail() -> None:
    """A table without the contract's columns or a loading on a made-up dimension is refused."""
    with pytest.raises(InputError, match="missing status"):
        apply_rubric(answers({"q1": 1}).drop(columns="status"), ITEMS, LOADINGS)
    bad = LOADINGS.assign(dimension="beauty")
    with pytest.raises(InputError, match="beauty"):
        apply_rubric(answers({"q1": 1}), ITEMS, bad)


def test_grade_cuts() -> None:
    """Grade cuts sit at 0.75, 0.50 and 0.25 inclusive."""
    assert grade_scores([0.75, 0.7499, 0.5, 0.25, 0.2499, 0.0], [1] * 6).tolist() == list("ABBCDD")
    assert Grade.from_score(0.25) is Grade.C
    assert Dimension.parse("Pertinence") is Dimension.RELEVANCE


# --- properties over a random bank -------------------------------------------------------

BANK_SIZE = 8


@st.composite
def bank_and_answers(draw: st.DrawFn) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """A random bank (weights 1-3, loadings summing to 1) and a valid answer set."""
    dims = [d.value for d in Dimension]
    ids = [f"i{k}" for k in range(BANK_SIZE)]
    weights = draw(st.lists(st.integers(1, 3), min_size=BANK_SIZE, max_size=BANK_SIZE))
    items = pd.DataFrame({"id": ids, "weight": weights, "scored": True})
    rows = []
    for item in ids:
        chosen = draw(st.lists(st.sampled_from(dims), min_size=1, max_size=3, unique=True))
        raw = draw(st.lists(st.integers(1, 5), min_size=len(chosen), max_size=len(chosen)))
        for dim, r in zip(chosen, raw, strict=True):
            rows.append({"item_id": item, "dimension": dim, "loading": r / sum(raw)})
    loadings = pd.DataFrame(rows)
    # Several countries per example: each is scored independently, so one rubric call
    # checks several answer sets (keeps the property tests fast).
    frames = []
    for country in ("AAA", "BBB", "CCC", "DDD"):
        statuses = draw(
            st.lists(
                st.sampled_from(["answered", "answered", "not_applicable", "dont_know", "missing"]),
                min_size=BANK_SIZE,
                max_size=BANK_SIZE,
            )
        )
        levels = draw(st.lists(st.integers(0, 3), min_size=BANK_SIZE, max_size=BANK_SIZE))
        frames.append(
            pd.DataFrame(
                {
                    "country": country,
                    "module": draw(st.sampled_from(["IMM", "EMI"])),
                    "source_id": "",
                    "item_id": ids,
                    "level": pd.array(
                        [
                            lv if s == "answered" else None
                            for lv, s in zip(levels, statuses, strict=True)
                        ],
                        dtype="Int64",
                    ),
                    "status": statuses,
                }
            )
        )
    table = pd.concat(frames, ignore_index=True)
    return items, loadings, table


@settings(max_examples=10)  # each example scores four countries at once
@given(bank_and_answers())
def test_property_scores_within_unit_interval(case: tuple[pd.DataFrame, ...]) -> None:
    """Any valid set of answers gives every dimension score in [0, 1] and coverage in [0, 1]."""
    items, loadings, table = case
    scores = apply_rubric(table, items, loadings).scores
    finite = scores["score"].dropna()
    assert ((finite >= 0) & (finite <= 1)).all()
    cov = scores["coverage"].dropna()
    assert ((cov >= 0) & (cov <= 1 + 1e-12)).all()


@settings(max_examples=10)  # each example scores four countries at once
@given(bank_and_answers(), st.integers(0, BANK_SIZE - 1))
def test_property_raising_a_level_never_lowers_a_score(
    case: tuple[pd.DataFrame, ...], pick: int
) -> None:
    """Raising one answered item's level never lowers any dimension score."""
    items, loadings, table = case
    answered = np.flatnonzero((table["status"] == "answered") & (table["level"] < 3))
    if answered.size == 0:
        return
    k = answered[pick % answered.size]
    raised = table.copy()
    raised.loc[k, "level"] = table.loc[k, "level"] + 1
    before = apply_rubric(table, items, loadings).scores["score"].fillna(-1).to_numpy()
    after = apply_rubric(raised, items, loadings).scores["score"].fillna(-1).to_numpy()
    assert (after >= before - 1e-12).all()


@settings(max_examples=10)  # each example scores four countries at once
@given(bank_and_answers())
def test_property_not_applicable_rows_change_nothing(case: tuple[pd.DataFrame, ...]) -> None:
    """Dropping the 'not applicable' rows leaves every score, grade and coverage unchanged."""
    items, loadings, table = case
    with_na = apply_rubric(table, items, loadings).scores
    without = apply_rubric(table[table.status != "not_applicable"], items, loadings).scores
    # A country whose every answer is "not applicable" leaves no row to score at all.
    with_na = with_na[with_na.country.isin(without.country)].reset_index(drop=True)
    cols = ["score", "coverage", "grade"]
    pd.testing.assert_frame_equal(with_na[cols], without[cols])


@settings(max_examples=10)  # each example scores four countries at once
@given(bank_and_answers(), st.randoms(use_true_random=False))
def test_property_row_order_does_not_matter(case: tuple[pd.DataFrame, ...], rnd: object) -> None:
    """Shuffling the answer rows gives identical scores and explanation."""
    items, loadings, table = case
    order = list(range(len(table)))
    rnd.shuffle(order)  # type: ignore[attr-defined]
    a = apply_rubric(table, items, loadings)
    b = apply_rubric(table.iloc[order], items, loadings)
    pd.testing.assert_frame_equal(a.scores, b.scores)
    pd.testing.assert_frame_equal(a.explanation, b.explanation)


def test_per_source_item_weight_is_split_among_its_sources() -> None:
    """docs/concepts/quality.rst: a per-source item keeps weight w in total, w / n per source.
    q1 (w 3) answered for two sources (levels 3 and 0), q2 (w 1) once, level 3: accuracy
    = (1.5*0.5*3 + 1.5*0.5*0 + 1*3) / (3 (1.5*0.5*2 + 1)) = 5.25 / 7.5."""
    a = answers({"q1": 3, "q2": 3})
    extra = a.iloc[[0]].assign(source_id="S2", level=0)
    a = pd.concat([a.assign(source_id=["S1", ""]), extra], ignore_index=True)
    a = a.astype({"level": "Int64"})
    res = apply_rubric(a, ITEMS, LOADINGS)
    assert score_of(res, "accuracy") == pytest.approx(5.25 / 7.5)
