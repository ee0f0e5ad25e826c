"""The one reader of durations and numbers written as text, in English, French, Portuguese
and Arabic (questionnaire answers, arrival cards, census and register microdata).

Owns :func:`read_duration` and :func:`read_number`. A duration is read only when a person
would read it one way: ranges ("6 à 12 mois") and parts that disagree ("1 an (6 mois)") are
refused with the reason, and two numbers are never added. Words live in
``data/duration/words.yaml``.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from itertools import pairwise
from typing import Any

import yaml

from migdata._resources import data_path

__all__ = ["Duration", "read_duration", "read_number"]

_ARABIC_DIGITS = str.maketrans("٠١٢٣٤٥٦٧٨٩۰۱۲۳۴۵۶۷۸۹٫٬", "01234567890123456789.,")
# Digit groups Excel and French/Portuguese locales write with a (narrow) no-break space or
# a thin space: "2 015", "12 500".
_GROUPED = re.compile(r"(?<=\d)[\u00a0\u202f\u2009\u2007'](?=\d{3}(?!\d))")
_GROUPED_OR_SPACE = re.compile(r"(?<=\d)[ \u00a0\u202f\u2009\u2007'](?=\d{3}(?!\d))")
_NUMBER = re.compile(r"^[+-]?\d+(?:[.,]\d+)?$")
_TOKEN = re.compile(r"\d+(?:[.,]\d+)?|[^\W\d_]+|[-–—~/&,()=<>≥≤\[\]]")
_HYPHENATED = re.compile(r"(?<=[^\W\d_])-(?=[^\W\d_])")  # dix-huit, twenty-four
_AGREE = 0.25  # months: two readings of the same answer closer than this agree
UPPER_BOUND_SHORT = 12.0 / 365.25  # "less than 3 months": one day short of 3 months


@dataclass(frozen=True)
class Duration:
    """A duration read from text.

    ``months`` is None when the text is not read; ``problem`` then says why: ``"range"``
    (two ends or alternatives), ``"contradiction"`` (parts that disagree or are out of
    order), ``"unreadable"``. Blank text gives neither.
    """

    months: float | None
    problem: str | None = None

    @property
    def message(self) -> str:
        """The reason in English, for rejection reports."""
        return {
            "range": "a range or alternatives, not one duration",
            "contradiction": "parts that disagree",
            "unreadable": "not a duration",
            None: "",
        }[self.problem]


def fold(text: Any) -> str:
    """Text folded for matching: digits to ASCII, digit groups joined, case, accents and
    Arabic diacritics removed, spaces collapsed."""
    s = _GROUPED.sub("", str(text).translate(_ARABIC_DIGITS))
    s = unicodedata.normalize("NFKD", s.casefold())
    s = "".join(ch for ch in s if not unicodedata.combining(ch)).replace("\u0640", "")
    s = _HYPHENATED.sub(" ", s)
    return " ".join(s.split())


def read_number(text: Any) -> float | None:
    """A number written as text: decimal comma or point, Arabic digits, digit groups with a
    (narrow) no-break or thin space; None when the text is not exactly one number.

    Examples
    --------
    >>> read_number("2\\u202f015"), read_number("6,5"), read_number("١٢"), read_number("6 12")
    (2015.0, 6.5, 12.0, None)
    >>> read_number("12 500"), read_number("1 2")
    (12500.0, None)
    """
    if isinstance(text, bool):
        return None
    if isinstance(text, int | float):
        return float(text)
    s = _GROUPED_OR_SPACE.sub("", str(text).translate(_ARABIC_DIGITS)).strip()
    if not _NUMBER.match(s):
        return None
    return float(s.replace(",", "."))


@dataclass(frozen=True)
class _Words:
    units: dict[str, float]
    duals: dict[str, float]
    numbers: dict[str, float]
    phrases: tuple[tuple[str, float], ...]  # multi-word numbers, longest first
    halves: frozenset[str]
    articles: frozenset[str]
    joins: frozenset[str]
    ranges: frozenset[str]
    fillers: frozenset[str]
    more: tuple[str, ...]
    less: tuple[str, ...]
    whole: dict[str, float]


def _by_value(section: dict[Any, Sequence[str]]) -> dict[str, float]:
    return {fold(w): float(k) for k, words in section.items() for w in words}


@cache
def _words() -> _Words:
    raw = yaml.safe_load(data_path("duration", "words.yaml").read_text("utf-8"))
    numbers = _by_value(raw["number_words"])
    phrases = tuple(
        sorted(((w, v) for w, v in numbers.items() if " " in w), key=lambda p: -len(p[0]))
    )

    def words(name: str) -> frozenset[str]:
        return frozenset(fold(w) for w in raw[name])

    def by_length(name: str) -> tuple[str, ...]:
        return tuple(sorted((fold(w) for w in raw[name]), key=len, reverse=True))

    return _Words(
        units=_by_value(raw["units"]),
        duals=_by_value(raw["duals"]),
        numbers={w: v for w, v in numbers.items() if " " not in w},
        phrases=phrases,
        halves=words("halves"),
        articles=words("articles"),
        joins=words("joins"),
        ranges=words("range_words"),
        fillers=words("fillers"),
        more=by_length("more_than"),
        less=by_length("less_than"),
        whole=_by_value(raw["whole"]),
    )


# Token kinds: number, unit, dual (a whole quantity), half, join, range, article, filler.
_Token = tuple[str, float]


def _classify(tokens: list[str], w: _Words) -> list[_Token] | None:
    out: list[_Token] = []
    for i, tok in enumerate(tokens):
        if tok[0].isdigit():
            out.append(("number", float(tok.replace(",", "."))))
            continue
        nxt = tokens[i + 1] if i + 1 < len(tokens) else ""
        prev = out[-1][0] if out else ""
        nxt_is_amount = bool(nxt) and (nxt[0].isdigit() or nxt in w.numbers)
        if tok in w.ranges and prev in ("number", "unit", "dual") and nxt_is_amount:
            out.append(("range", 0.0))  # "6 à 12", "6 a 12 meses", "6 mois - 1 an"
        elif tok in w.units and tok in w.numbers:  # "an": French year or English "an"
            out.append(("number", w.numbers[tok]) if nxt in w.units else ("unit", w.units[tok]))
        elif tok in w.articles and prev == "half":
            out.append(("article", 0.0))  # "half a year"
        elif tok in w.articles and (nxt in w.halves or nxt in w.units) and prev != "number":
            out.append(("article", 0.0) if nxt in w.halves else ("number", 1.0))
        elif tok in w.numbers:
            out.append(("number", w.numbers[tok]))
        elif tok in w.units:
            out.append(("unit", w.units[tok]))
        elif tok in w.duals:
            out.append(("dual", w.duals[tok]))
        elif tok in w.halves:
            out.append(("half", 0.5))
        elif tok in w.joins:
            out.append(("join", 0.0))
        elif tok in w.ranges:
            out.append(("range", 0.0))
        elif tok in w.fillers or tok in w.more:
            continue
        elif tok.startswith("و") and len(tok) > 1:  # Arabic "and" written onto the next word
            rest = _classify([tok[1:], *tokens[i + 1 : i + 2]], w)
            if not rest:
                return None
            out.extend([("join", 0.0), rest[0]])
        else:
            return None
    return out


def _quantities(tokens: list[_Token], bare_unit: float) -> Duration:
    """Months of one reading: quantities joined by "and", each with a smaller unit."""
    parts: list[tuple[float, float | None]] = []  # (months, unit or None for a bare number)
    i, n = 0, len(tokens)
    while i < n:
        kind, value = tokens[i]
        if kind == "range":
            return Duration(None, "range")
        if kind in ("join", "article"):
            i += 1
            continue
        amount: float | None = None
        if kind == "number":
            amount, i = value, i + 1
            # "one and a half years"
            j = i + (1 if i < n and tokens[i][0] == "join" else 0)
            j += 1 if j < n and tokens[j][0] == "article" else 0
            if j < n and tokens[j][0] == "half" and j + 1 < n and tokens[j + 1][0] == "unit":
                amount, i = amount + 0.5, j + 1
        elif kind == "half":
            amount, i = 0.5, i + 1
            i += 1 if i < n and tokens[i][0] == "article" else 0
            if i >= n or tokens[i][0] != "unit":
                return Duration(None, "unreadable")
        elif kind == "dual":
            parts.append((value, value))
            i += 1
            continue
        if kind == "unit":
            amount = 1.0  # "year", "سنة": one of the unit
        if amount is None:
            return Duration(None, "unreadable")
        if i < n and tokens[i][0] == "unit":
            unit: float | None = tokens[i][1]
            i += 1
        elif kind == "unit":
            unit, i = value, i + 1
        else:
            unit = None
        # "un an et demi", "1 year and a half", "سنة ونصف"
        j = i + (1 if i < n and tokens[i][0] == "join" else 0)
        j += 1 if j < n and tokens[j][0] == "article" else 0
        if unit is not None and j < n and tokens[j][0] == "half":
            amount, i = amount + 0.5, j + 1
        parts.append((amount * (unit if unit is not None else bare_unit), unit))
    if not parts:
        return Duration(None, "unreadable")
    if len(parts) > 1:
        units = [u for _, u in parts if u is not None]
        if len(units) < len(parts):
            return Duration(None, "unreadable")  # two numbers are never added
        if any(a <= b for a, b in pairwise(units)):
            return Duration(None, "contradiction")  # "6 months 1 year", "1 year 1 year"
    return Duration(sum(m for m, _ in parts))


def _strip_bound(text: str, w: _Words) -> tuple[str, float]:
    for phrases, shift in ((w.more, 0.0), (w.less, -UPPER_BOUND_SHORT)):
        for phrase in phrases:
            rest = text[len(phrase) :]
            if text.startswith(phrase) and not rest[:1].isalpha():
                return rest.strip(), shift
    return text, 0.0


def read_duration(text: Any, *, bare_unit: float = 1.0) -> Duration:
    """Months from a duration written as text, or the reason it is not read.

    Numbers as digits or words, units, halves and compound durations in English, French,
    Portuguese and Arabic; readings in brackets or after "=" must agree; bare numbers are in
    ``bare_unit`` months; "permanent" is 60 months (as in the duration-factor tables) and "no
    minimum" 0; "more than 12 months" is 12, "less than 3 months" one day short of 3.

    Examples
    --------
    >>> [read_duration(t).months for t in ["1 an (12 mois)", "un an et demi", "half a year",
    ...                                    "سنة", "1 year and a half", "2 ans et 6 mois"]]
    [12.0, 18.0, 6.0, 12.0, 18.0, 30.0]
    >>> read_duration("6 à 12 mois")
    Duration(months=None, problem='range')
    >>> read_duration("1 an (6 mois)").problem
    'contradiction'
    """
    if isinstance(text, bool):
        return Duration(None, "unreadable")
    if isinstance(text, int | float):
        if text != text or text in (float("inf"), float("-inf")):
            return Duration(None, "unreadable")
        return Duration(float(text) * bare_unit)
    if not str(text).strip():
        return Duration(None)
    number = read_number(text)
    if number is not None:
        return Duration(number * bare_unit)
    w = _words()
    folded = fold(text)
    if folded in w.whole:
        return Duration(w.whole[folded])
    body, shift = _strip_bound(folded, w)
    for phrase, value in w.phrases:  # multi-word numbers: "dix huit", "اثنا عشر"
        if phrase in body:
            body = re.sub(rf"(?<!\w){re.escape(phrase)}(?!\w)", f" {value:g} ", body)
    readings: list[float] = []
    for alt in re.split(r"[()\[\]=]", body):
        if not alt.strip():
            continue
        alt_body, alt_shift = _strip_bound(alt.strip(), w)
        tokens = _classify(_TOKEN.findall(alt_body), w)
        if tokens is None:
            if fold(alt_body) in w.whole:
                readings.append(w.whole[fold(alt_body)])
                continue
            return Duration(None, "unreadable")
        got = _quantities(tokens, bare_unit)
        if got.months is None:
            return got
        readings.append(got.months + alt_shift)
    if not readings:
        return Duration(None, "unreadable")
    if max(readings) - min(readings) > _AGREE:
        return Duration(None, "contradiction")
    return Duration(readings[0] + shift)
