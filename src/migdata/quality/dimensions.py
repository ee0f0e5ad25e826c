"""The six ESS quality dimensions (Regulation 223/2009 Art. 12) and the grade scale.

Keys, order, short codes and labels in English, French, Portuguese and Arabic are data
(``data/quality/dimensions.csv``); this module makes them an Enum that also accepts labels.
"""

from __future__ import annotations

from enum import StrEnum
from functools import cache
from typing import Any

import pandas as pd

from migdata._resources import data_path
from migdata.errors import ConfigurationError

__all__ = [
    "GRADES",
    "INSUFFICIENT",
    "LANGUAGES",
    "Dimension",
    "Grade",
    "dimension_table",
]

LANGUAGES = ("en", "fr", "pt", "ar")
"""Languages of the dimension labels."""

INSUFFICIENT = "insufficient information"
"""Shown instead of a grade when under half of the applicable weight was answered."""


@cache
def _table() -> pd.DataFrame:
    table = pd.read_csv(data_path("quality", "dimensions.csv"), comment="#", dtype=str)
    table["order"] = table["order"].astype(int)
    return table.sort_values("order", ignore_index=True)


def dimension_table() -> pd.DataFrame:
    """The ESS dimensions with their order, short code and labels in four languages.

    Examples
    --------
    >>> dimension_table()[["key", "short", "label_fr"]].head(2)
             key short    label_fr
    0  relevance   REL  Pertinence
    1   accuracy   ACC  Exactitude
    """
    return _table().copy()


class Dimension(StrEnum):
    """An ESS quality dimension of statistical output.

    ``Dimension("accuracy")``, ``Dimension.parse("Exactitude")`` and
    ``Dimension.parse("ACC")`` give the same member.

    Examples
    --------
    >>> Dimension.parse("Actualité et ponctualité")
    <Dimension.TIMELINESS_PUNCTUALITY: 'timeliness_punctuality'>
    >>> Dimension.ACCURACY.label("pt")
    'Exatidão'
    >>> [d.short for d in Dimension]
    ['REL', 'ACC', 'TIM', 'ACS', 'COM', 'COH']
    """

    RELEVANCE = "relevance"
    ACCURACY = "accuracy"
    TIMELINESS_PUNCTUALITY = "timeliness_punctuality"
    ACCESSIBILITY_CLARITY = "accessibility_clarity"
    COMPARABILITY = "comparability"
    COHERENCE = "coherence"

    def _row(self) -> pd.Series:
        table = _table()
        return table.loc[table["key"] == self.value].iloc[0]

    def label(self, language: str = "en") -> str:
        """The dimension's name in ``language`` (en, fr, pt, ar)."""
        lang = str(language).lower()[:2]
        if lang not in LANGUAGES:
            raise ConfigurationError(
                f"unknown language {language!r}; expected one of {', '.join(LANGUAGES)}"
            )
        return str(self._row()[f"label_{lang}"])

    @property
    def short(self) -> str:
        """Three-letter code used in narrow table headers and figures."""
        return str(self._row()["short"])

    @property
    def order(self) -> int:
        """Position in the list of Regulation 223/2009 Art. 12 (1-6)."""
        return int(self._row()["order"])

    @classmethod
    def parse(cls, value: Any) -> Dimension:
        """The dimension named by a key, a short code or a label in any of the languages."""
        if isinstance(value, cls):
            return value
        text = " ".join(str(value).strip().casefold().replace("_", " ").split())
        table = _table()
        for column in ("key", "short", *(f"label_{lang}" for lang in LANGUAGES)):
            norm = table[column].str.casefold().str.replace("_", " ")
            hit = table.loc[norm == text, "key"]
            if len(hit):
                return cls(hit.iloc[0])
        raise ConfigurationError(
            f"unknown ESS dimension {value!r}; expected one of " + ", ".join(d.value for d in cls)
        )


class Grade(StrEnum):
    """Grade of a dimension score: A >= 0.75, B >= 0.50, C >= 0.25, D below.

    ``I`` stands for "insufficient information" (under half of the applicable weight
    answered) and is never derived from a score.

    Examples
    --------
    >>> Grade.from_score(0.5)
    <Grade.B: 'B'>
    >>> Grade.I.label
    'insufficient information'
    """

    A = "A"
    B = "B"
    C = "C"
    D = "D"
    I = "I"  # noqa: E741 - the letter is the grade's name

    @classmethod
    def from_score(cls, score: float) -> Grade:
        """The grade of one score in [0, 1]."""
        for grade, cut in GRADES:
            if score >= cut:
                return grade
        return cls.D

    @property
    def label(self) -> str:
        """The letter, or "insufficient information" for ``I``."""
        return INSUFFICIENT if self is Grade.I else self.value


GRADES: tuple[tuple[Grade, float], ...] = (
    (Grade.A, 0.75),
    (Grade.B, 0.50),
    (Grade.C, 0.25),
    (Grade.D, 0.0),
)
"""Lower bounds of the grades (DOMAIN.md section 4)."""
