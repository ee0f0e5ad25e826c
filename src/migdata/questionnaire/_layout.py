"""Row layout shared by the workbook writer and reader: which item sits on which row.

A row key travels with its row (hidden column G and the hidden ``_meta`` sheet), so answers
are found again after rows are moved: ``MODULE|SOURCE_ID|ITEM_ID`` with an empty source for
module-level items, ``...|ITEM_ID#CODE`` for one option of a multiple-choice item and
``MODULE|SOURCE_ID|#source`` for a source header.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from migdata.errors import InputError
from migdata.questionnaire import bank

META_SHEET = "_meta"
LISTS_SHEET = "_lists"
KEY_HEADER = "_key"
HEADER_ROW = 3  # title, intro, then the column headers
COLUMNS = ("id", "question", "help", "answer", "expected", "comment", "key")
KEY_RE = re.compile(
    r"^(?P<module>STK|IMM|EMI|NAB|RP)\|(?P<source>[^|]*)\|(?P<item>#source|[A-Z]{2,3}\.\d{3})"
    r"(?:#(?P<option>[A-Za-z0-9_]+))?$"
)


@dataclass(frozen=True)
class Slot:
    """One source block of a module sheet."""

    source_id: str
    source_type: str | None = None
    name: str | None = None


@dataclass(frozen=True)
class Row:
    """One row of a module sheet."""

    kind: str  # "section", "source", "item", "option"
    key: str
    item: bank.Item | None = None
    source_id: str = ""
    option: str | None = None
    slot: Slot | None = None


def make_key(module: str, source_id: str, item_id: str, option: str | None = None) -> str:
    """Row key of an item (or one option of it) in a module sheet."""
    key = f"{module}|{source_id}|{item_id}"
    return f"{key}#{option}" if option else key


def plan(module: str, slots: Sequence[Slot]) -> list[Row]:
    """Rows of a module sheet: module items, then one block of common items per source."""
    module_items, common = bank.module_items(module)
    rows = [Row("section", make_key(module, "", "#source"))]
    for it in module_items:
        rows.extend(_item_rows(module, "", it))
    for slot in slots:
        rows.append(
            Row(
                "source",
                make_key(module, slot.source_id, "#source"),
                slot=slot,
                source_id=slot.source_id,
            )
        )
        for it in common:
            rows.extend(_item_rows(module, slot.source_id, it))
    return rows


def _item_rows(module: str, source_id: str, it: bank.Item) -> list[Row]:
    rows = [Row("item", make_key(module, source_id, it.id), it, source_id)]
    if it.type == "multiple":
        rows.extend(
            Row("option", make_key(module, source_id, it.id, o.code), it, source_id, o.code)
            for o in it.options
        )
    return rows


def default_slots(module: str, country: str) -> list[Slot]:
    """Generic source blocks (``RWA-IMM-S1`` ...) when the office names no sources."""
    return [Slot(f"{country}-{module}-S{n}") for n in range(1, bank.default_slots(module) + 1)]


def slots_from_sources(sources: Iterable[Any] | None, country: str) -> dict[str, list[Slot]]:
    """Source blocks per module from named sources.

    A source is a source-type code (``"census"``), ``"type:name"``, a mapping or an object
    with ``source_type`` and optionally ``source_id``, ``name`` and ``measures``.
    """
    catalogue = bank.source_types()
    out: dict[str, list[Slot]] = {m: [] for m in bank.MODULES}
    if sources is None:
        return {m: default_slots(m, country) for m in bank.MODULES}
    used: set[str] = set()
    for src in sources:
        sid: str | None
        name: str | None
        stype: Any
        if isinstance(src, str):
            stype, _, name = src.partition(":")
            sid = None
            measures: Sequence[str] = ()
        else:
            get = src.get if isinstance(src, Mapping) else lambda k, s=src: getattr(s, k, None)
            stype, name, sid = get("source_type"), get("name"), get("source_id")
            measures = get("measures") or ()
        stype = str(stype or "").strip()
        if stype not in catalogue:
            raise InputError(
                f"unknown source type {stype!r}; expected one of {sorted(catalogue)}", value=src
            )
        if not sid:
            sid = f"{country}-{stype}"
            n = 2
            while sid in used:
                sid = f"{country}-{stype}-{n}"
                n += 1
        used.add(sid)
        modules = [m for m in bank.MODULES if m in catalogue[stype]]
        if measures:
            wanted = {m for m in bank.MODULES for meas in measures if meas.startswith(m)}
            modules = [m for m in modules if m in wanted] or modules
        for m in modules:
            out[m].append(Slot(sid, stype, (name or None)))
    return {m: (v or default_slots(m, country)) for m, v in out.items()}


_PUNCT = re.compile(r"[\s\u00a0'’`´\"«»“”.,;:!?()\[\]/\\_-]+")
# Arabic diacritics and tatweel, and the bidirectional marks a right-to-left workbook carries.
_ARABIC_MARKS = re.compile(
    r"[\u064b-\u065f\u0670\u0640\u200e\u200f\u061c\u202a-\u202e\u2066-\u2069]"
)


def normalise(text: Any) -> str:
    """Text folded for matching: lower case, no accents or Arabic diacritics, no punctuation.

    Examples
    --------
    >>> normalise("  Ne sait PAS ! ")
    'ne sait pas'
    >>> normalise("Não se aplica") == normalise("nao se aplica")
    True
    """
    s = unicodedata.normalize("NFKD", str(text))
    s = "".join(ch for ch in s if not unicodedata.combining(ch))
    s = _ARABIC_MARKS.sub("", s)
    s = s.replace("أ", "ا").replace("إ", "ا").replace("آ", "ا")
    return _PUNCT.sub(" ", s.casefold()).strip()


def sheet_name(module: str, lang: str) -> str:
    """The tab of a module sheet in the workbook's language.

    Examples
    --------
    >>> sheet_name("NAB", "fr")
    "Nationaux à l'étranger"
    """
    return str(bank.labels()["tabs"][module][lang])[:31]


def module_of_sheet(name: str) -> str | None:
    """The module a sheet holds, from its tab: the code or its name in any language.

    Examples
    --------
    >>> module_of_sheet("Imigração"), module_of_sheet(" stk "), module_of_sheet("Notes")
    ('IMM', 'STK', None)
    """
    code = str(name).strip().upper()
    if code in bank.MODULES:
        return code
    wanted = normalise(name)
    for module, names in bank.labels()["tabs"].items():
        if any(normalise(str(t)[:31]) == wanted for t in names.values()):
            return str(module)
    return None
