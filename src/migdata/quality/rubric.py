"""The scoring rubric: questionnaire answers -> dimension scores, grades and coverage.

D_k = sum(w_i l_ik level_i) / (3 sum(w_i l_ik)) over answered items (DOMAIN.md section 4);
"not applicable" is dropped, "don't know" lowers coverage and AC3 only. Columnar throughout.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from migdata.errors import InputError
from migdata.quality.dimensions import GRADES, INSUFFICIENT, Dimension
from migdata.questionnaire.answers import ANSWER_COLUMNS  # the contract, defined once

__all__ = [
    "ALL_MODULES",
    "ANSWER_COLUMNS",
    "MODULE_ORDER",
    "STATUSES",
    "RubricResult",
    "apply_rubric",
    "grade_scores",
]

REQUIRED_COLUMNS = ("country", "module", "item_id", "level", "status")
STATUSES = ("answered", "not_applicable", "dont_know", "missing")
MODULE_ORDER = ("STK", "IMM", "EMI", "NAB", "RP")
"""Modules of the COMESA survey in the questionnaire's order."""
ALL_MODULES = "ALL"
"""Pseudo-module pooling the answers of every module of a country."""

_DIMENSIONS = [d.value for d in Dimension]


@dataclass(frozen=True)
class RubricResult:
    """What the rubric produces (each a DataFrame, rows sorted deterministically).

    Attributes
    ----------
    scores
        One row per country x module x dimension: ``score`` (NaN when nothing was
        answered), ``grade`` (A-D, ``I`` for insufficient information, NA when no item
        applies), ``grade_label``, ``answered_weight``, ``applicable_weight``,
        ``coverage`` (answered / applicable weight), ``n_applicable``, ``n_answered``,
        ``n_dont_know``, ``n_missing``.
    coverage
        One row per country x module: item counts by status, ``information_coverage``
        (answered share of the applicable weight of scored items) and ``ac3`` (answered
        share of applicable items, scored or not).
    explanation
        One row per scored applicable answer x dimension loading: the answer, its level,
        effective weight, loading, ``contribution`` to the dimension score (they add up to
        the score) and ``shortfall`` (what the answer kept from the maximum).
    rejected
        Input rows that could not be used, with ``row`` (position in the input) and
        ``reason``.
    """

    scores: pd.DataFrame
    coverage: pd.DataFrame
    explanation: pd.DataFrame
    rejected: pd.DataFrame


def grade_scores(score: Any, coverage: Any, min_coverage: float = 0.5) -> pd.Series:
    """Grades of dimension scores given the share of applicable weight answered.

    Parameters
    ----------
    score, coverage
        Scores in [0, 1] and coverage shares (array-likes of the same length).
    min_coverage
        Below this share the grade is ``I`` ("insufficient information").

    Returns
    -------
    Series
        ``A`` (>= 0.75), ``B`` (>= 0.50), ``C`` (>= 0.25), ``D``, ``I``; NA where nothing
        applies (coverage NaN).

    Examples
    --------
    >>> grade_scores([0.9, 0.5, 0.2, 0.9], [1.0, 1.0, 1.0, 0.4]).tolist()
    ['A', 'B', 'D', 'I']
    """
    s = np.asarray(score, dtype=float)
    c = np.asarray(coverage, dtype=float)
    letters = np.full(s.shape, "D", dtype=object)
    # GRADES is ordered from the best grade down: assign from the lowest cut upwards so the
    # highest satisfied cut wins.
    for grade, cut in reversed(GRADES):
        letters[s >= cut] = grade.value
    letters[(c < min_coverage) | np.isnan(s)] = "I"
    letters[np.isnan(c)] = None
    return pd.Series(letters, dtype="string")


def _empty_rejected(columns: list[str]) -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype="object") for c in [*columns, "row", "reason"]})


def _prepare(answers: pd.DataFrame, items: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Normalised answer rows joined with their items, and the rejected rows."""
    missing = [c for c in REQUIRED_COLUMNS if c not in answers.columns]
    if missing:
        raise InputError(
            f"expected an answers table with columns {', '.join(REQUIRED_COLUMNS)}; "
            f"missing {', '.join(missing)}"
        )
    frame = answers.reset_index(drop=True).copy()
    frame["row"] = np.arange(len(frame))
    if "source_id" not in frame.columns:
        frame["source_id"] = ""
    for column in ("raw", "value", "sheet", "cell"):
        if column not in frame.columns:
            frame[column] = pd.NA
    frame["source_id"] = frame["source_id"].astype("string").fillna("")
    frame["country"] = frame["country"].astype("string")
    frame["module"] = frame["module"].astype("string").str.upper()
    frame["item_id"] = frame["item_id"].astype("string")
    frame["status"] = frame["status"].astype("string").str.strip().str.lower()
    level = pd.to_numeric(frame["level"], errors="coerce")
    reasons = pd.Series(pd.NA, index=frame.index, dtype="string")

    bad_level = (level.notna() & ~level.isin([0, 1, 2, 3])) | (
        frame["level"].notna() & level.isna()
    )
    reasons[bad_level] = (
        "expected a level 0, 1, 2 or 3, got " + frame["level"].astype("string")[bad_level]
    )
    bad_status = ~frame["status"].isin(STATUSES)
    reasons[bad_status & reasons.isna()] = (
        f"expected a status among {', '.join(STATUSES)}, got "
        + frame["status"].fillna("nothing")[bad_status & reasons.isna()]
    )
    known = frame["item_id"].isin(items["id"].astype("string"))
    reasons[~known & reasons.isna()] = (
        "item " + frame["item_id"].fillna("?")[~known & reasons.isna()] + " is not in the item bank"
    )
    no_key = frame["country"].isna() | frame["module"].isna()
    reasons[no_key & reasons.isna()] = "expected a country and a module, got an empty cell"
    key = ["country", "module", "source_id", "item_id"]
    dup = frame.duplicated(key, keep="first") & reasons.isna()
    reasons[dup] = "duplicate answer for the same country, module, source and item"

    bad = reasons.notna()
    rejected = answers.reset_index(drop=True)[bad.to_numpy()].copy()
    rejected["row"] = frame.loc[bad, "row"].to_numpy()
    rejected["reason"] = reasons[bad].astype(str).to_numpy()

    used = frame[~bad].copy()
    used["level"] = level[~bad].astype("Float64")
    bank = items.rename(columns={"id": "item_id"})
    bank = bank.assign(item_id=bank["item_id"].astype("string"))
    keep = ["item_id", "weight", "scored"] + [c for c in ("text_en",) if c in bank.columns]
    used = used.merge(bank[keep], on="item_id", how="left", validate="many_to_one")
    used["weight"] = pd.to_numeric(used["weight"], errors="coerce").fillna(1.0).astype(float)
    used["scored"] = used["scored"].fillna(False).astype(bool)
    # An answered scored item without a level cannot be scored; it counts like a missing
    # answer (lowers coverage) rather than silently vanishing.
    unscorable = used["scored"] & (used["status"] == "answered") & used["level"].isna()
    used["effective_status"] = used["status"].where(~unscorable, "missing")
    applicable = used["effective_status"] != "not_applicable"
    # Per-source items are asked once per source: the item's weight is shared among the
    # sources it applies to, so a module with five sources is not dominated by per-source
    # items and a "not applicable" on one source moves nothing but that source's share.
    n_app = (
        applicable.groupby([used["country"], used["module"], used["item_id"]])
        .transform("sum")
        .astype(float)
    )
    used["effective_weight"] = np.where(applicable, used["weight"] / n_app.clip(lower=1), 0.0)
    return used, rejected


def _order_frame(frame: pd.DataFrame, extra: list[str]) -> pd.DataFrame:
    modules = [*MODULE_ORDER, ALL_MODULES]
    mod_rank = frame["module"].map({m: i for i, m in enumerate(modules)}).fillna(len(modules))
    keys: dict[str, Any] = {"_c": frame["country"], "_m": mod_rank, "_mn": frame["module"]}
    if "dimension" in frame.columns:
        keys["_d"] = frame["dimension"].map({d: i for i, d in enumerate(_DIMENSIONS)})
    for i, column in enumerate(extra):
        keys[f"_x{i}"] = frame[column]
    order = pd.DataFrame(keys).sort_values(list(keys), kind="stable").index
    return frame.loc[order].reset_index(drop=True)


def apply_rubric(
    answers: pd.DataFrame,
    items: pd.DataFrame,
    loadings: pd.DataFrame,
    *,
    min_coverage: float = 0.5,
    pooled: bool = True,
) -> RubricResult:
    """Score answers with the rubric of DOMAIN.md section 4.

    Parameters
    ----------
    answers
        Answers table (columns of :data:`ANSWER_COLUMNS`; ``country``, ``module``,
        ``item_id``, ``level`` and ``status`` are required), any number of countries.
    items
        Item bank: ``id``, ``weight`` (1-3), ``scored`` (bool); optional ``text_en``.
    loadings
        Long table ``item_id``, ``dimension``, ``loading`` (an item's loadings sum to 1).
    min_coverage
        Share of applicable weight that must be answered for a grade.
    pooled
        Also score each country over all modules together (module ``ALL``).

    Returns
    -------
    RubricResult
        Scores, coverage, explanation and rejected rows.

    Raises
    ------
    InputError
        Required columns missing, or a dimension in ``loadings`` that is not an ESS one.

    Examples
    --------
    >>> items = pd.DataFrame({"id": ["q1", "q2"], "weight": [3, 1], "scored": [True, True]})
    >>> loadings = pd.DataFrame({"item_id": ["q1", "q2"], "dimension": ["accuracy"] * 2,
    ...                          "loading": [1.0, 1.0]})
    >>> answers = pd.DataFrame({"country": "RWA", "module": "IMM", "item_id": ["q1", "q2"],
    ...                         "level": [3, 0], "status": "answered"})
    >>> res = apply_rubric(answers, items, loadings, pooled=False)
    >>> res.scores.loc[res.scores.dimension == "accuracy", ["score", "grade"]]
       score grade
    1   0.75     A
    """
    used, rejected = _prepare(answers, items)
    load = loadings.assign(
        item_id=loadings["item_id"].astype("string"),
        dimension=loadings["dimension"].astype("string"),
        loading=pd.to_numeric(loadings["loading"], errors="coerce").astype(float),
    )
    unknown_dims = sorted(set(load["dimension"]) - set(_DIMENSIONS))
    if unknown_dims:
        raise InputError(
            f"expected ESS dimensions {', '.join(_DIMENSIONS)} in the loadings, "
            f"got {unknown_dims[0]!r}"
        )
    if pooled and len(used):
        used = pd.concat([used, used.assign(module=ALL_MODULES)], ignore_index=True)

    scored = used[used["scored"] & (used["effective_status"] != "not_applicable")]
    long = scored.merge(load[["item_id", "dimension", "loading"]], on="item_id", how="inner")
    long = long[long["loading"] > 0].copy()
    answered = long["effective_status"] == "answered"
    long["wl"] = long["effective_weight"] * long["loading"]
    long["wl_answered"] = long["wl"].where(answered, 0.0)
    long["points"] = (long["wl"] * long["level"].astype(float)).where(answered, 0.0)
    long["is_answered"] = answered.astype(int)
    long["is_dont_know"] = (long["effective_status"] == "dont_know").astype(int)
    long["is_missing"] = (long["effective_status"] == "missing").astype(int)

    key = ["country", "module", "dimension"]
    sums = long.groupby(key, sort=False).agg(
        points=("points", "sum"),
        answered_weight=("wl_answered", "sum"),
        applicable_weight=("wl", "sum"),
        n_applicable=("wl", "size"),
        n_answered=("is_answered", "sum"),
        n_dont_know=("is_dont_know", "sum"),
        n_missing=("is_missing", "sum"),
    )
    # Every country x module present in the answers gets all six dimensions, so a dimension
    # with no applicable item shows as such instead of disappearing.
    pairs = used[["country", "module"]].drop_duplicates()
    grid = pairs.merge(
        pd.DataFrame({"dimension": pd.Series(_DIMENSIONS, dtype="string")}), how="cross"
    )
    scores = grid.merge(sums.reset_index(), on=key, how="left")
    for column in ("answered_weight", "applicable_weight", "points"):
        scores[column] = scores[column].fillna(0.0).astype(float)
    for column in ("n_applicable", "n_answered", "n_dont_know", "n_missing"):
        scores[column] = scores[column].fillna(0).astype(int)
    with np.errstate(divide="ignore", invalid="ignore"):
        scores["score"] = np.where(
            scores["answered_weight"] > 0,
            scores["points"] / (3.0 * scores["answered_weight"]),
            np.nan,
        )
        scores["coverage"] = np.where(
            scores["applicable_weight"] > 0,
            scores["answered_weight"] / scores["applicable_weight"],
            np.nan,
        )
    # Floating sums may land a hair outside [0, 1]; the formula cannot.
    scores["score"] = scores["score"].clip(0.0, 1.0)
    scores["grade"] = grade_scores(scores["score"], scores["coverage"], min_coverage).to_numpy()
    scores["grade_label"] = (
        scores["grade"].replace({"I": INSUFFICIENT}).fillna("not applicable").astype("string")
    )
    scores = _order_frame(
        scores[
            [
                "country",
                "module",
                "dimension",
                "score",
                "grade",
                "grade_label",
                "coverage",
                "answered_weight",
                "applicable_weight",
                "n_applicable",
                "n_answered",
                "n_dont_know",
                "n_missing",
            ]
        ],
        [],
    )

    # Explanation: each answer's share of its dimension score.
    denominators = sums["answered_weight"].rename("den").reset_index()
    long = long.merge(denominators, on=key, how="left")
    with np.errstate(divide="ignore", invalid="ignore"):
        long["contribution"] = np.where(long["den"] > 0, long["points"] / (3.0 * long["den"]), 0.0)
        long["shortfall"] = np.where(
            answered.to_numpy() & (long["den"] > 0).to_numpy(),
            long["wl"] * (3.0 - long["level"].astype(float)) / (3.0 * long["den"]),
            np.nan,
        )
    notes = {
        "answered": "",
        "dont_know": "don't know: left out of the score, lowers coverage",
        "missing": "no usable answer: left out of the score, lowers coverage",
    }
    long["note"] = long["effective_status"].map(notes).astype("string")
    long.loc[(long["status"] == "answered") & (long["effective_status"] == "missing"), "note"] = (
        "answer has no level in the item bank: left out of the score, lowers coverage"
    )
    long["answer"] = long["raw"].astype("string").fillna(long["value"].astype("string"))
    columns = [
        "country",
        "module",
        "dimension",
        "item_id",
        "source_id",
        "status",
        "answer",
        "level",
        "weight",
        "effective_weight",
        "loading",
        "contribution",
        "shortfall",
        "note",
        "sheet",
        "cell",
    ]
    if "text_en" in long.columns:
        columns.insert(4, "text_en")
    explanation = _order_frame(
        long[columns].rename(columns={"text_en": "question"}), ["item_id", "source_id"]
    )

    # Coverage per country x module: over scored items (weighted) and all items (AC3).
    base = used.copy()
    base["is_scored_app"] = base["scored"] & (base["effective_status"] != "not_applicable")
    base["w_app"] = base["effective_weight"].where(base["is_scored_app"], 0.0)
    base["w_ans"] = base["w_app"].where(base["effective_status"] == "answered", 0.0)
    for status in STATUSES:
        base[f"n_{status}"] = (base["effective_status"] == status).astype(int)
    cov = (
        base.groupby(["country", "module"], sort=False)
        .agg(
            n_items=("item_id", "size"),
            n_answered=("n_answered", "sum"),
            n_dont_know=("n_dont_know", "sum"),
            n_missing=("n_missing", "sum"),
            n_not_applicable=("n_not_applicable", "sum"),
            w_app=("w_app", "sum"),
            w_ans=("w_ans", "sum"),
        )
        .reset_index()
    )
    n_app = cov["n_items"] - cov["n_not_applicable"]
    with np.errstate(divide="ignore", invalid="ignore"):
        cov["information_coverage"] = np.where(
            cov["w_app"] > 0, cov["w_ans"] / cov["w_app"], np.nan
        )
        cov["ac3"] = np.where(n_app > 0, cov["n_answered"] / n_app, np.nan)
    cov = _order_frame(cov.drop(columns=["w_app", "w_ans"]), [])

    if rejected.empty:
        rejected = _empty_rejected(list(answers.columns))
    return RubricResult(scores=scores, coverage=cov, explanation=explanation, rejected=rejected)
