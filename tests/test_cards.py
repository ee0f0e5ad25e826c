"""Tests of migdata.sources.cards: intended-duration rule on arrival/departure cards."""

from __future__ import annotations

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from migdata.errors import ConfigurationError, InputError
from migdata.harmonised import harmonised_schema
from migdata.sources.cards import CardClass, classify_cards, tabulate_cards


def _cards(**cols: list[object]) -> pd.DataFrame:
    n = len(next(iter(cols.values())))
    base: dict[str, list[object]] = {
        "direction": ["A"] * n,
        "residence": ["KEN"] * n,
        "intended_duration": [24] * n,
        "purpose": ["work"] * n,
    }
    base.update(cols)
    return pd.DataFrame(base)


@pytest.mark.parametrize(
    ("text", "months"),
    [
        ("1 an", 12),
        ("6 mois", 6),
        ("12 months", 12),
        ("permanent", 60),
        ("2 anos", 24),
        ("سنة", 12),
        ("un an et 6 mois", 18),
        ("3 semaines", 21 * 12 / 365.25),  # one definition of a week for every reader
        ("٣ أشهر", 3),
    ],
)
def test_duration_text(text: str, months: float) -> None:
    """Intended durations written in en/fr/pt/ar are read as months."""
    c = classify_cards(_cards(intended_duration=[text]), "RWA")
    assert c.table["months"].item() == pytest.approx(months)
    assert c.cleaned == {"duration_text": 1}


@pytest.mark.parametrize(
    ("months", "purpose", "target", "expected"),
    [
        (12, "holiday", "UN1998", "long_term_migrant"),
        (11, "work", "UN1998", "short_term_migrant"),
        (3, "étude", "UN1998", "short_term_migrant"),
        (6, "vacances", "UN1998", "non_migrant"),
        (6, "negocios", "UN1998", "non_migrant"),
        (6, "work", "UN2021_12M", "temporary_mover"),
        (6, "work", "UN2021_6M1D", "long_term_migrant"),
        (4, "work", "UN2021_6M1D", "temporary_mover"),
        (2.9, "work", "UN1998", "non_migrant"),
        (6, "work", "EU862", "short_term_migrant"),
    ],
)
def test_classes(months: float, purpose: str, target: str, expected: str) -> None:
    """Duration bands, the six excluded purposes and the target's threshold decide the class."""
    c = classify_cards(_cards(intended_duration=[months], purpose=[purpose]), "RWA", target)
    assert c.table["card_class"].item() == expected


def test_points_of_view() -> None:
    """Non-residents arriving immigrate, residents leaving emigrate, the others end trips."""
    c = classify_cards(
        _cards(
            direction=["A", "D", "A", "D"],
            residence=["KEN", "RWA", "RWA", "KEN"],
            intended_duration=[24, 24, 24, 24],
        ),
        "Rwanda",
    )
    assert c.table["flow"].fillna("none").tolist() == ["IMM", "EMI", "none", "none"]
    assert c.table["card_class"].tolist() == [
        "long_term_migrant",
        "long_term_migrant",
        "non_migrant",
        "non_migrant",
    ]


def test_returning_citizens_flagged() -> None:
    """A citizen arriving from a residence abroad for a long stay is a returning migrant."""
    c = classify_cards(
        _cards(residence=["KEN", "KEN"], citizenship=["RWA", "KEN"]),
        "RWA",
        citizenship_column="citizenship",
    )
    assert c.table["returning"].tolist() == [True, False]


def test_bad_input_rejected_with_reasons() -> None:
    """Unknown directions, unresolved residences, unreadable durations, missing purposes."""
    c = classify_cards(
        _cards(
            direction=["sideways", "A", "A", "A", "D", "A"],
            residence=["KEN", "Atlantis", "KEN", "KEN", "KEN", "KEN"],
            intended_duration=[24, 24, "quelque temps", 6, "???", None],
            purpose=["work", "work", "work", None, None, "work"],
        ),
        "RWA",
    )
    assert c.rows_in == len(c.table) + len(c.rejected) == 6
    reasons = dict(zip(c.rejected["row"], c.rejected["reason"], strict=True))
    assert "expected arrival or departure, got 'sideways'" in reasons[0]
    assert "got 'Atlantis'" in reasons[1]
    assert "got 'quelque temps'" in reasons[2]
    assert "needs a readable purpose" in reasons[3]
    assert "got nothing" in reasons[5]
    # A non-resident leaving ends a visit: the duration does not matter, not rejected.
    assert 4 not in reasons


def test_tabulate_flows() -> None:
    """Long-term cards become IMM/EMI flows by year, partner, sex and age, weights summed."""
    cards = _cards(
        date=["2019-01-05", "2019-02-01", "2019-03-01", "2020-01-01", "2020-06-01"],
        direction=["A", "A", "A", "D", "A"],
        residence=["KEN", "Kenya", "UGA", "RWA", "KEN"],
        intended_duration=[24, "2 ans", 24, "permanent", 1],
        sex=["F", "femme", "M", "F", "F"],
        age=[23, 24, 40, 70, 30],
        w=[10.0, 5.0, 1.0, 2.0, 100.0],
        destination=["KEN", "KEN", "KEN", "Uganda", "KEN"],
    )
    c = classify_cards(cards, "RWA", date_column="date")
    t = tabulate_cards(
        c,
        sex_column="sex",
        age_column="age",
        weight_column="w",
        next_residence_column="destination",
    )
    harmonised_schema().validate(t)
    ken = t[(t["counterpart_area"] == "KEN") & (t["measure"] == "IMM")]
    assert ken[["sex", "age", "obs_value"]].values.tolist() == [["F", "Y20T24", 15.0]]
    emi = t[t["measure"] == "EMI"]
    assert emi[["counterpart_area", "counterpart_type", "age"]].values.tolist() == [
        ["UGA", "NEXT_RES", "Y_GE65"]
    ]
    assert t["obs_value"].sum() == 18.0  # the 1-month visitor is not a migrant
    assert (t["compliance"] == "MATCH").all()  # UN 1998 accepts intended durations


def test_tabulate_needs_dates_and_options() -> None:
    """Tabulating without a date, or with an unknown counterpart, is refused."""
    c = classify_cards(_cards(direction=["A"]), "RWA")
    with pytest.raises(ConfigurationError, match="date_column"):
        tabulate_cards(c)
    with pytest.raises(InputError, match="residence"):
        classify_cards(pd.DataFrame({"direction": ["A"]}), "RWA")
    assert CardClass("Temporary mover") is CardClass.TEMPORARY_MOVER
    assert "classified" in c._repr_html_()


@settings(max_examples=25)
@given(
    rows=st.lists(
        st.tuples(
            st.sampled_from(["A", "D", "x"]),
            st.sampled_from(["KEN", "RWA", "Atlantis"]),
            st.one_of(st.floats(0, 100), st.sampled_from(["1 an", "bof", "6 mois"]), st.none()),
            st.sampled_from(["work", "holiday", None, "??"]),
        ),
        min_size=1,
        max_size=40,
    )
)
def test_rows_conserved(rows: list[tuple[object, ...]]) -> None:
    """Any cards: classified + rejected = rows in; each class is one of the four."""
    frame = pd.DataFrame(rows, columns=["direction", "residence", "intended_duration", "purpose"])
    frame["intended_duration"] = frame["intended_duration"].astype(object)
    c = classify_cards(frame, "RWA")
    assert len(c.table) + len(c.rejected) == len(frame)
    assert set(c.table["card_class"]) <= {k.value for k in CardClass}
