"""The definitions migdata harmonises to: targets, short-term threshold, excluded purposes.

Everything here is read from ``migdata/data/standards/*.yaml`` (with the source of each
definition); the UN 1998 / UN 2021 / EU 862 targets, the 3-month short-term threshold, the
six purposes that never make a migrant and the UN admission categories.
"""

from __future__ import annotations

import html
import re
from dataclasses import asdict, dataclass
from enum import StrEnum
from functools import cache
from typing import Any

import pandas as pd
import yaml

from migdata._resources import data_path
from migdata.errors import ConfigurationError

__all__ = [
    "EXCLUDED_PURPOSES",
    "SHORT_TERM_MONTHS",
    "Target",
    "TargetDefinition",
    "admission_categories",
    "excluded_purposes",
    "target",
    "targets",
]


@cache
def _definitions() -> dict[str, Any]:
    with data_path("standards", "definitions.yaml").open(encoding="utf-8") as handle:
        data: dict[str, Any] = yaml.safe_load(handle)
    return data


class Target(StrEnum):
    """Harmonisation targets (the definitions a statistic can be mapped to)."""

    UN1998 = "UN1998"
    UN2021_12M = "UN2021_12M"
    UN2021_6M1D = "UN2021_6M1D"
    EU862 = "EU862"

    @classmethod
    def coerce(cls, value: Target | str) -> Target:
        """The member for a member or a string, ignoring case, spaces, "-" and "_".

        Examples
        --------
        >>> Target.coerce("un2021-6m1d")
        <Target.UN2021_6M1D: 'UN2021_6M1D'>
        """
        if isinstance(value, cls):
            return value
        wanted = re.sub(r"[\s_\-.]", "", str(value)).upper()
        for member in cls:
            if member.value.replace("_", "") == wanted:
                return member
        choices = ", ".join(m.value for m in cls)
        raise ConfigurationError(f"unknown target {value!r}; expected one of {choices}")


@dataclass(frozen=True)
class TargetDefinition:
    """One harmonisation target, as read from the definitions file.

    Attributes
    ----------
    name
        The target code (UN1998, UN2021_12M, UN2021_6M1D, EU862).
    label
        A one-line human name.
    threshold_months
        Minimum stay (months) that makes a move long-term migration.
    alternative_months
        A second residence rule: more than this many months of the last 12 also establish
        residence (6 for "six months and one day"); None when there is none.
    residence_rule
        The residence rule in words.
    accepts_intended
        Whether an intended (expected) duration may stand for the actual one.
    accepts_registration
        Whether legal or registered residence is an accepted proxy for usual residence.
    short_term_months
        Lower bound of short-term migration (UN 1998) / temporary mobility (UN 2021).
    description, source
        The definition and where it comes from.
    """

    name: Target
    label: str
    threshold_months: float
    alternative_months: float | None
    residence_rule: str
    accepts_intended: bool
    accepts_registration: bool
    short_term_months: float
    description: str
    source: str

    def __repr__(self) -> str:
        return f"TargetDefinition({self.name.value}: {self.label})"

    def _repr_html_(self) -> str:
        rows = "".join(
            f"<tr><th style='text-align:left'>{html.escape(k)}</th>"
            f"<td style='text-align:left'>{html.escape(str(v))}</td></tr>"
            for k, v in asdict(self).items()
        )
        return f"<table>{rows}</table>"


def _build(name: Target) -> TargetDefinition:
    raw = _definitions()["targets"][name.value]
    alt = raw["alternative_months"]
    return TargetDefinition(
        name=name,
        label=str(raw["label"]),
        threshold_months=float(raw["threshold_months"]),
        alternative_months=None if alt is None else float(alt),
        residence_rule=str(raw["residence_rule"]),
        accepts_intended=bool(raw["accepts_intended"]),
        accepts_registration=bool(raw["accepts_registration"]),
        short_term_months=float(_definitions()["short_term"]["months"]),
        description=" ".join(str(raw["description"]).split()),
        source=" ".join(str(raw["source"]).split()),
    )


def target(name: Target | str) -> TargetDefinition:
    """The definition of one harmonisation target.

    Parameters
    ----------
    name
        A :class:`Target` or its name, case-insensitive ("eu862", "UN2021-6M1D").

    Returns
    -------
    TargetDefinition

    Raises
    ------
    ConfigurationError
        Unknown target.

    Examples
    --------
    >>> t = target("un2021_6m1d")
    >>> t.threshold_months, t.alternative_months, t.short_term_months
    (12.0, 6.0, 3.0)
    >>> target(Target.EU862).accepts_registration
    True
    """
    return _build(Target.coerce(name))


def targets() -> Any:
    """All harmonisation targets, one row each.

    Returns
    -------
    pandas.DataFrame
        Columns name, label, threshold_months, alternative_months, residence_rule,
        accepts_intended, accepts_registration, short_term_months, description, source.

    Examples
    --------
    >>> targets()["name"].tolist()
    ['UN1998', 'UN2021_12M', 'UN2021_6M1D', 'EU862']
    """
    rows = [asdict(target(t)) for t in Target]
    frame = pd.DataFrame(rows)
    frame["name"] = frame["name"].map(str)
    return frame


SHORT_TERM_MONTHS: float = float(_definitions()["short_term"]["months"])
"""Minimum stay (months) of a short-term migrant (UN 1998) / temporary mover (UN 2021)."""

EXCLUDED_PURPOSES: tuple[str, ...] = tuple(
    str(p["code"]) for p in _definitions()["excluded_purposes"]
)
"""Codes of the six purposes for which a 3-12 month stay is not migration (UN 1998)."""


def excluded_purposes() -> Any:
    """The six excluded purposes with labels in English, French, Portuguese and Arabic.

    Returns
    -------
    pandas.DataFrame
        Columns code, label_en, label_fr, label_pt, label_ar, source.

    Examples
    --------
    >>> excluded_purposes()["label_en"].tolist()[:2]
    ['recreation', 'holiday']
    >>> len(EXCLUDED_PURPOSES)
    6
    """
    frame = pd.DataFrame(_definitions()["excluded_purposes"])
    frame["source"] = _definitions()["excluded_purposes_source"]
    return frame[["code", "label_en", "label_fr", "label_pt", "label_ar", "source"]]


@cache
def _categories() -> dict[str, Any]:
    path = data_path("standards", "admission_categories.yaml")
    with path.open(encoding="utf-8") as handle:
        data: dict[str, Any] = yaml.safe_load(handle)
    return data


def admission_categories() -> Any:
    """The UN admission categories used to classify permits and visas.

    Returns
    -------
    pandas.DataFrame
        Columns code, parent (the group, NA for a group), migrant (bool), eurostat_reason
        (EDUC, REMUN, FAM, OTH or NA), label_en, label_fr, source; groups come before
        their members, in the order of the definitions file.

    Examples
    --------
    >>> cats = admission_categories()
    >>> cats.loc[cats["parent"] == "HUM", "code"].tolist()
    ['ASY', 'REF', 'TEMP_PROT', 'HUM_OTHER']
    >>> bool(cats.set_index("code").loc["NONMIG_TOURIST", "migrant"])
    False
    """
    data = _categories()
    frame = pd.DataFrame(data["categories"])
    frame = frame.astype(
        {
            "code": "string",
            "parent": "string",
            "eurostat_reason": "string",
            "label_en": "string",
            "label_fr": "string",
            "migrant": "bool",
        }
    )
    frame["source"] = " ".join(str(data["source"]).split())
    return frame[["code", "parent", "migrant", "eurostat_reason", "label_en", "label_fr", "source"]]
