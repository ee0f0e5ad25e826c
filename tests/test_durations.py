"""Tests of the one reader of durations and numbers written as text (migdata._durations)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from migdata._durations import read_duration, read_number

UNITS = {"months": 1, "mois": 1, "meses": 1, "أشهر": 1, "years": 12, "ans": 12, "anos": 12}
JOINS = ["to", "à", "a", "-", "até", "إلى", "or", "ou"]


@pytest.mark.parametrize(
    ("text", "months"),
    [
        ("1 an (12 mois)", 12),
        ("un an et demi", 18),
        ("1 year and a half", 18),
        ("one and a half years", 18),
        ("half a year", 6),
        ("um ano e meio", 18),
        ("سنة", 12),
        ("سنة ونصف", 18),
        ("سنتين", 24),
        ("dix-huit mois", 18),
        ("1 an et 6 mois", 18),
        ("2\u202f015", 2015),
        ("more than 12 months", 12),
        ("permanent", 60),
    ],
)
def test_readings_a_person_agrees_with(text: str, months: float) -> None:
    """Numbers as words, halves, compound durations and readings in brackets."""
    assert read_duration(text).months == pytest.approx(months)


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("6 à 12 mois", "range"),
        ("6 to 12 months", "range"),
        ("من 6 إلى 12 شهرًا", "range"),
        ("6-12 months", "range"),
        ("1 an (6 mois)", "contradiction"),
        ("6 months 1 year", "contradiction"),
        ("6 12", "unreadable"),
        ("depends on the permit", "unreadable"),
    ],
)
def test_refused_with_a_reason(text: str, problem: str) -> None:
    """Ranges, contradictions and two bare numbers are refused, never summed."""
    got = read_duration(text)
    assert got.months is None and got.problem == problem


@settings(max_examples=60, deadline=None)
@given(st.integers(0, 120), st.sampled_from(sorted(UNITS)))
def test_number_and_unit(n: int, unit: str) -> None:
    """'<n> <unit>' is n times the unit, in every language."""
    assert read_duration(f"{n} {unit}").months == pytest.approx(n * UNITS[unit])


@settings(max_examples=60, deadline=None)
@given(
    st.integers(1, 60), st.integers(1, 60), st.sampled_from(JOINS), st.sampled_from(sorted(UNITS))
)
def test_ranges_are_never_summed(a: int, b: int, join: str, unit: str) -> None:
    """Two ends of a range or two alternatives never give a number of months."""
    got = read_duration(f"{a} {join} {b} {unit}")
    assert got.months is None and got.problem == "range"


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=40))
def test_any_text_gives_a_reading_or_a_reason(text: str) -> None:
    """Random text never raises: a number of months or a reason."""
    got = read_duration(text)
    assert (got.months is None) or got.problem is None


@settings(max_examples=60, deadline=None)
@given(st.integers(1000, 999_999), st.sampled_from(["\u202f", "\u00a0", " "]))
def test_grouped_digits(n: int, space: str) -> None:
    """Digit groups separated by (narrow) no-break spaces are one number."""
    text = f"{n:,}".replace(",", space)
    assert read_number(text) == n
