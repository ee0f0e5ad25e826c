"""Tests of QualityProfile (migdata.quality.profile): tables, composite, explanation, HTML."""

from __future__ import annotations

import pandas as pd
import pytest

from migdata.errors import ConfigurationError
from migdata.quality.profile import QualityProfile
from migdata.quality.rubric import apply_rubric

ITEMS = pd.DataFrame({"id": ["q1", "q2", "q3"], "weight": [3, 1, 2], "scored": True})
LOADINGS = pd.DataFrame(
    {
        "item_id": ["q1", "q2", "q3", "q3"],
        "dimension": ["accuracy", "relevance", "accuracy", "coherence"],
        "loading": [1.0, 1.0, 0.5, 0.5],
    }
)


def profile() -> QualityProfile:
    answers = pd.DataFrame(
        {
            "country": ["RWA", "RWA", "RWA", "KEN", "KEN", "KEN"],
            "module": "IMM",
            "source_id": "",
            "item_id": ["q1", "q2", "q3", "q1", "q2", "q3"],
            "level": pd.array([3, 1, 2, 0, None, 3], dtype="Int64"),
            "status": ["answered"] * 4 + ["dont_know", "answered"],
        }
    )
    return QualityProfile.from_rubric(apply_rubric(answers, ITEMS, LOADINGS))


def test_lookups_and_wide_table() -> None:
    """score/grade look-ups agree with the wide comparison table (one row per country x module)."""
    p = profile()
    assert p.countries == ["KEN", "RWA"] and p.modules == ["IMM", "ALL"]
    # RWA accuracy: (3*1*3 + 2*.5*2) / (3*(3 + 1)) = 11/12
    assert p.score("RWA", "IMM", "accuracy") == pytest.approx(11 / 12)
    assert p.grade("RWA", "IMM", "Exactitude") == "A"
    assert p.grade("KEN", "IMM", "relevance") == "I"  # only item is don't know
    wide = p.to_frame()
    assert list(wide[["country", "module"]].itertuples(index=False, name=None)) == [
        ("KEN", "IMM"),
        ("KEN", "ALL"),
        ("RWA", "IMM"),
        ("RWA", "ALL"),
    ]
    row = wide[(wide.country == "RWA") & (wide.module == "IMM")].iloc[0]
    assert row["accuracy"] == pytest.approx(11 / 12) and row["accuracy_grade"] == "A"
    assert pd.isna(row["timeliness_punctuality_grade"])
    assert len(p.to_frame("long")) == 2 * 2 * 6
    with pytest.raises(ConfigurationError):
        p.score("XXX", "IMM", "accuracy")


def test_composite_shows_weights_and_equal_variant() -> None:
    """The composite uses graded dimensions only, states its weights and has an equal variant."""
    p = profile()
    c = p.composite({"accuracy": 3, "coherence": 1}).set_index(["country", "module"])
    rwa = c.loc[("RWA", "IMM")]
    acc, coh, rel = 11 / 12, 2 / 3, 1 / 3
    assert rwa["composite"] == pytest.approx((3 * acc + coh) / 4)
    assert rwa["composite_equal"] == pytest.approx((acc + coh + rel) / 3)
    assert rwa["weights"].startswith("REL 0, ACC 3")
    assert c.attrs["weights"]["accuracy"] == 3.0
    assert "REL" not in c.loc[("KEN", "IMM"), "dimensions_used"]  # insufficient information
    with pytest.raises(ConfigurationError):
        p.composite({"accuracy": -1})


def test_explain_orders_by_loss() -> None:
    """explain() lists the answers behind a score, largest loss first."""
    e = profile().explain("RWA", "IMM", "accuracy")
    assert e["item_id"].tolist() == ["q3", "q1"]  # q3 lost 1/12, q1 lost nothing
    assert e["contribution"].sum() == pytest.approx(11 / 12)


def test_repr_html_is_a_graded_table() -> None:
    """The Jupyter view is a table with grade colours, labels of every dimension and a legend."""
    text = profile()._repr_html_()
    assert text.count("<tr>") >= 4 and "Timeliness and punctuality" in text
    assert "#1a9850" in text and "insufficient information" in text
    assert "QualityProfile" in text and "2 countries" in text
    assert "RWA" in repr(profile())
