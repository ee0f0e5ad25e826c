"""The catalogue of national source types (census, registers, cards, permits, ...).

Owns the data file ``data/sources/source_types.yaml``: labels, default statistical unit and
threshold basis, the measures each type can produce and the MIEUX coverage matrix.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Any

import pandas as pd
import yaml

from migdata._resources import data_path
from migdata.errors import ConfigurationError

__all__ = [
    "COVERAGE_KINDS",
    "SourceType",
    "coverage_matrix",
    "source_type",
    "source_types",
]

COVERAGE_KINDS = ("flows_in", "flows_out", "stock_in", "stock_out")
"""The four kinds of statistic of the coverage matrix (immigration, emigration, foreign
population, nationals abroad)."""

_COVERAGE_MARKS = ("+", "+/-", "-", "")


@dataclass(frozen=True)
class SourceType:
    """One entry of the catalogue of source types.

    Attributes
    ----------
    key
        Catalogue key, e.g. ``"population_register"`` (the ``source_type`` of a profile).
    label, label_fr, label_pt
        Names in English, French and Portuguese.
    default_unit
        Statistical unit the source counts unless a profile says otherwise.
    default_basis
        What its duration threshold is usually measured on (``intended``, ``observed``,
        ``permit_validity``, ``registration_rule``).
    measures
        Harmonised measure codes the source can produce.
    coverage
        ``{"flows_in": "+", ...}``: ``"+"`` covered, ``"+/-"`` under conditions, ``"-"`` not
        covered, ``""`` not assessed.
    coverage_source
        ``"MIEUX"`` for the published matrix, ``"migdata"`` for the library's judgement.
    coverage_note
        Why, when the judgement is the library's.
    decides
        What decides the mapping of its statistics to the UN definitions.
    """

    key: str
    label: str
    label_fr: str
    label_pt: str
    default_unit: str
    default_basis: str
    measures: tuple[str, ...]
    coverage: dict[str, str]
    coverage_source: str
    coverage_note: str
    decides: str

    def covers(self, kind: str) -> str:
        """The coverage mark for ``kind`` (one of :data:`COVERAGE_KINDS`).

        Examples
        --------
        >>> source_type("consular_register").covers("stock_out")
        '+'
        """
        if kind not in COVERAGE_KINDS:
            raise ConfigurationError(
                f"unknown coverage kind {kind!r}; expected one of {', '.join(COVERAGE_KINDS)}"
            )
        return self.coverage[kind]

    def _repr_html_(self) -> str:
        rows = "".join(
            f"<tr><th style='text-align:left'>{k}</th><td>{v}</td></tr>"
            for k, v in [
                ("label", self.label),
                ("default unit", self.default_unit),
                ("threshold basis", self.default_basis),
                ("measures", ", ".join(self.measures)),
                (
                    "coverage",
                    ", ".join(f"{k} {v or 'n.a.'}" for k, v in self.coverage.items()),
                ),
                ("coverage from", self.coverage_source),
                ("decides", self.decides),
            ]
        )
        return f"<table><caption>source type <b>{self.key}</b></caption>{rows}</table>"


@cache
def _catalogue() -> dict[str, SourceType]:
    path = data_path("sources", "source_types.yaml")
    raw: dict[str, Any] = yaml.safe_load(path.read_text(encoding="utf-8"))
    out: dict[str, SourceType] = {}
    for key, entry in raw.items():
        coverage = {k: str(entry["coverage"].get(k, "")) for k in COVERAGE_KINDS}
        bad = [v for v in coverage.values() if v not in _COVERAGE_MARKS]
        if bad:  # a broken data file is a packaging bug; say where
            raise ConfigurationError(f"{path}: source type {key!r} has coverage marks {bad}")
        labels = entry["label"]
        out[key] = SourceType(
            key=key,
            label=labels["en"],
            label_fr=labels.get("fr", labels["en"]),
            label_pt=labels.get("pt", labels["en"]),
            default_unit=entry["default_unit"],
            default_basis=entry["default_basis"],
            measures=tuple(entry["measures"]),
            coverage=coverage,
            coverage_source=entry["coverage_source"],
            coverage_note=entry.get("coverage_note", ""),
            decides=" ".join(str(entry["decides"]).split()),
        )
    return out


def source_type_keys() -> tuple[str, ...]:
    """Keys of the catalogue, in catalogue order."""
    return tuple(_catalogue())


def source_type(key: str) -> SourceType:
    """One source type of the catalogue.

    Parameters
    ----------
    key
        Catalogue key (case, spaces and hyphens are forgiven: ``"Population register"``).

    Raises
    ------
    ConfigurationError
        The key is not in the catalogue; the message lists the keys.

    Examples
    --------
    >>> st = source_type("arrival_departure_cards")
    >>> st.default_unit, st.default_basis
    ('crossing', 'intended')
    >>> source_type("Population register").coverage["flows_out"]
    '+'
    """
    norm = str(key).strip().lower().replace("-", "_").replace(" ", "_").replace("/", "_")
    catalogue = _catalogue()
    if norm not in catalogue:
        raise ConfigurationError(
            f"unknown source type {key!r}; expected one of {', '.join(catalogue)}"
        )
    return catalogue[norm]


def source_types() -> pd.DataFrame:
    """The catalogue as a table, one row per source type.

    Examples
    --------
    >>> t = source_types()
    >>> t.loc["census", "measures"]
    'STK IMM EMI NAB'
    >>> len(t)
    13
    """
    rows = [
        {
            "key": s.key,
            "label": s.label,
            "label_fr": s.label_fr,
            "label_pt": s.label_pt,
            "default_unit": s.default_unit,
            "default_basis": s.default_basis,
            "measures": " ".join(s.measures),
            **s.coverage,
            "coverage_source": s.coverage_source,
            "coverage_note": s.coverage_note,
            "decides": s.decides,
        }
        for s in _catalogue().values()
    ]
    return pd.DataFrame(rows).set_index("key").astype("string")


def coverage_matrix(*, published_only: bool = False) -> pd.DataFrame:
    """The coverage matrix: source types x (flows_in, flows_out, stock_in, stock_out).

    Parameters
    ----------
    published_only
        Keep only the rows taken from the MIEUX publication.

    Examples
    --------
    >>> m = coverage_matrix(published_only=True)
    >>> m.loc["population_register", ["flows_in", "flows_out", "stock_in", "stock_out"]].tolist()
    ['+', '+', '+', '+/-']
    >>> "visas" in m.index
    False
    """
    table = source_types()
    if published_only:
        table = table[table["coverage_source"] == "MIEUX"]
    return table[[*COVERAGE_KINDS, "coverage_source"]]
