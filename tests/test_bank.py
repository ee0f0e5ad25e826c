"""Tests of the item bank and its condition language."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from migdata.questionnaire import bank


def test_contract_columns_and_languages() -> None:
    """items/loadings/options have the agreed columns and every text in four languages."""
    items = bank.items()
    for c in [
        "id",
        "module",
        "per_source",
        "type",
        "scored",
        "weight",
        "writes",
        "applies_if",
        "origin",
    ]:
        assert c in items.columns
    assert items["id"].is_unique
    for lang in bank.LANGUAGES:
        assert items[f"text_{lang}"].str.len().min() > 5
        assert items[f"help_{lang}"].str.len().min() > 5
    assert set(items["type"]) <= set(bank.ITEM_TYPES)
    assert items["weight"].between(1, 3).all()
    op = bank.options()
    assert op["level"].dropna().between(0, 3).all()
    for lang in bank.LANGUAGES:
        assert (op[f"label_{lang}"].str.len() > 0).all()
    assert (items["origin"].str.len() > 5).all()


def test_loadings_sum_to_one_for_scored_items() -> None:
    """Every scored item loads on known ESS dimensions with loadings summing to 1."""
    ld = bank.loadings()
    items = bank.items()
    sums = ld.groupby("item_id")["loading"].sum()
    assert set(sums.index) == set(items.loc[items["scored"], "id"])
    assert ((sums - 1).abs() < 1e-9).all()
    assert set(ld["dimension"]) == set(bank.DIMENSIONS)


def test_module_sizes_and_register_items() -> None:
    """Each module has 30-60 questions with one source block; register rules are present."""
    items = bank.items()
    n_common = int((items["module"] == "COM").sum())
    for m in bank.MODULES:
        n = int((items["module"] == m).sum()) + n_common
        assert 30 <= n <= 60, (m, n)
    writes = set(items["writes"].dropna())
    for f in [
        "registration.obligation",
        "registration.time_limit",
        "registration.sanctions",
        "deregistration.obligation",
        "deregistration.obligation_third_country",
        "deregistration.monitoring",
        "deregistration.administrative_corrections",
    ]:
        assert f in writes


def test_condition_logic() -> None:
    """Conditions follow three-valued logic; unknown answers make the question apply."""
    c = bank.Condition.parse("(a == yes or b > 3) and not c in [x, y]")
    env = {"a": "no", "b": 5.0, "c": "z"}
    assert c.evaluate(env.get) is True
    assert c.evaluate({**env, "c": "x"}.get) is False
    assert c.evaluate({"a": "no", "c": "z"}.get) is None
    assert bank.Condition.parse("m == k").evaluate({"m": frozenset({"k", "j"})}.get) is True


@pytest.mark.parametrize("bad", ["a ==", "a in [b", "a ~ b", "and a == b", "__import__('os')"])
def test_malformed_conditions_refused(bad: str) -> None:
    """Malformed conditions raise ValueError instead of being evaluated."""
    with pytest.raises(ValueError):
        bank.Condition.parse(bad)


@given(st.sampled_from([i for i in bank.all_items() if i.scored]), st.data())
def test_levels_within_range(item: bank.Item, data: st.DataObject) -> None:
    """Any valid answer to a scored item has a level between 0 and 3."""
    if item.type == "choice":
        value = data.draw(st.sampled_from([o.code for o in item.options]))
    elif item.type == "multiple":
        codes = data.draw(st.sets(st.sampled_from([o.code for o in item.options])))
        value = ";".join(codes)
    else:
        value = str(data.draw(st.integers(0, 60)))
    level = bank.item_level(item, value)
    assert level is not None and 0 <= level <= 3


def test_ticked_share_rounds_half_up_in_code_and_bank_comment() -> None:
    """Level of a multiple-choice item = 3 x share ticked, rounded half up, as common.yaml says."""
    from migdata._resources import questionnaire_dir

    multiple = [i for i in bank.all_items() if i.type == "multiple" and i.scored]
    item = next(i for i in multiple if len(i.options) % 2 == 0)
    half = ";".join(o.code for o in item.options[: len(item.options) // 2])
    assert bank.item_level(item, half) == 2  # 3 x 0.5 = 1.5 rounds up to 2
    common = questionnaire_dir() / "common.yaml"
    assert "rounded half up" in common.read_text(encoding="utf-8")
