"""Questionnaire answers turned into facts about each source (``SourceProfile``).

Every answered item with a ``writes`` field sets that field of its source's profile; the
questionnaire and the harmonisation share that one class.
"""

from __future__ import annotations

import warnings
from typing import TYPE_CHECKING, Any

import pandas as pd

from migdata.errors import InputError
from migdata.questionnaire import bank

if TYPE_CHECKING:
    from migdata.questionnaire.answers import Answers
    from migdata.sources.profile import SourceProfile

__all__ = ["profile_fields", "profiles"]

_BOOL = {"yes": True, "no": False, "partly": False}
_LISTS = {"coverage", "variables"}
_NUMBERS = {
    "threshold_months",
    "threshold_nationals",
    "threshold_foreigners",
    "timeliness_months",
}
_YEARS = {"valid_from", "valid_to"}


def _convert(field: str, value: str) -> Any:
    if field in _LISTS:
        return [v for v in value.split(";") if v]
    if field in _NUMBERS:
        return float(value)
    if field in _YEARS or field == "breaks.year":
        return int(float(value))
    if field in ("records_purpose", "records_continuous_duration", "coverage_complete"):
        return _BOOL.get(value)
    return value


def profile_fields(table: pd.DataFrame) -> dict[str, dict[str, Any]]:
    """Field values per source id, from an answers table (before making profiles).

    "Don't know" sets a register rule to ``"unknown"``; other unanswered items leave the
    field at its default. When a source is described in several modules the first answer
    (in module order) wins.

    Examples
    --------
    >>> t = pd.DataFrame({"country": ["RWA"] * 2, "module": ["IMM"] * 2,
    ...                   "source_id": ["RWA-REG"] * 2, "item_id": ["COM.010", "COM.330"],
    ...                   "value": ["population_register", ""],
    ...                   "status": ["answered", "dont_know"]})
    >>> profile_fields(t)["RWA-REG"]["deregistration"]
    {'obligation': 'unknown'}
    """
    writes = {it.id: it.writes for it in bank.all_items() if it.writes}
    measures = {m: list(v["measures"]) for m, v in bank.labels()["modules"].items()}
    rows = table[(table["source_id"] != "") & table["item_id"].isin(list(writes))]
    out: dict[str, dict[str, Any]] = {}
    for sid, group in rows.groupby("source_id", sort=False):
        facts: dict[str, Any] = {"source_id": sid, "country": group["country"].iloc[0]}
        facts["measures"] = sorted({x for m in group["module"].unique() for x in measures[m]})
        brk: dict[str, Any] = {}
        for rec in group.itertuples(index=False):
            field = writes[rec.item_id]
            if rec.status == "dont_know" and field.startswith(("registration.", "deregistration.")):
                value: Any = "unknown"
            elif rec.status != "answered":
                continue
            else:
                value = _convert(field, str(rec.value))
            if value is None:
                continue
            head, _, sub = field.partition(".")
            if head == "breaks":
                brk.setdefault(sub, value)
            elif sub:
                facts.setdefault(head, {}).setdefault(sub, value)
            else:
                facts.setdefault(field, value)
        if brk:
            facts["breaks"] = [brk]
        out[str(sid)] = facts
    return out


def profiles(answers: Answers | pd.DataFrame) -> list[SourceProfile]:
    """One :class:`~migdata.sources.profile.SourceProfile` per source described.

    A source whose type was not given, or whose facts the profile rejects, is left out
    with a warning naming it (its answers stay in the table and still count in scores).

    Examples
    --------
    >>> t = pd.DataFrame({"country": ["RWA"] * 3, "module": ["IMM"] * 3,
    ...                   "source_id": ["RWA-REG"] * 3,
    ...                   "item_id": ["COM.010", "COM.060", "COM.300"],
    ...                   "value": ["population_register", "6", "yes"],
    ...                   "status": ["answered"] * 3})
    >>> p = profiles(t)[0]
    >>> p.source_type, p.threshold_months, p.registration, p.measures
    ('population_register', 6.0, {'obligation': 'yes'}, ['IMM'])
    """
    from migdata.sources.profile import SourceProfile

    table = answers if isinstance(answers, pd.DataFrame) else answers.table
    out = []
    for sid, facts in profile_fields(table).items():
        if "source_type" not in facts:
            warnings.warn(
                f"source {sid}: no source type answered (item COM.010); no profile made",
                stacklevel=2,
            )
            continue
        profile = _profile(SourceProfile, str(sid), facts)
        if profile is not None:
            out.append(profile)
    return out


_REQUIRED = ("source_id", "country", "source_type")


def _profile(cls: Any, sid: str, facts: dict[str, Any]) -> Any:
    """The profile of one source; a fact the profile refuses is left out with a warning
    naming its item, and the other facts are kept (a faulty answer never costs the source)."""
    writes = {it.id: it.writes for it in bank.all_items() if it.writes}
    while True:
        try:
            return cls.from_dict(facts)
        except InputError as err:
            field = err.column
            if field is None or field not in facts or field in _REQUIRED:
                warnings.warn(f"source {sid}: {err}; no profile made", stacklevel=3)
                return None
            items = sorted(i for i, w in writes.items() if w.partition(".")[0] == field)
            warnings.warn(
                f"source {sid}, item {', '.join(items) or field}: {err}; this answer is left "
                "out of the profile, the other answers are kept",
                stacklevel=3,
            )
            del facts[field]
