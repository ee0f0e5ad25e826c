"""The lookup index of the country resolver, built once from pycountry and the data files.

It owns the code list (one row per current or historical country) and three dictionaries
(codes, numeric codes, normalised names) that map a value to one alpha-3 code or to a tuple
of candidates when the value is ambiguous.
"""

from __future__ import annotations

import gettext
import re
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import cache
from typing import Any

import pandas as pd
import pycountry

from migdata._resources import data_path
from migdata.countries._normalise import normalise
from migdata.errors import InputError

__all__ = ["LANGUAGES", "Index", "Target", "index"]

# Translations searched for names (pycountry ships gettext catalogues for each).
LANGUAGES = ("fr", "pt", "ar", "sw")

# A lookup result: one alpha-3 code, or the sorted candidates of an ambiguous value.
Target = str | tuple[str, ...]

_PAREN = re.compile(r"\s*\([^)]*\)")


@dataclass(frozen=True)
class Index:
    """Everything the resolver looks values up in (built once, read-only)."""

    # DataFrame indexed by alpha3: alpha2, numeric, eurostat, name_en, name_fr, historical
    records: Any
    codes: dict[str, Target]  # upper-case alpha-2 / alpha-3 / Eurostat code
    numerics: dict[str, Target]  # zero-padded three-digit ISO 3166 / UN M49 code
    names: dict[str, Target]  # normalised name
    notes: dict[str, str]  # normalised ambiguous name -> why it is ambiguous
    successors: dict[str, tuple[str, str]]  # historical alpha3 -> (successors, note)
    regions: dict[str, str]  # M49 region code or normalised region name -> description


def _read(name: str) -> Any:
    path = data_path("countries", name)
    return pd.read_csv(path, comment="#", dtype=str, keep_default_na=False, encoding="utf-8")


def _translators() -> dict[str, tuple[gettext.NullTranslations, gettext.NullTranslations]]:
    out: dict[str, tuple[gettext.NullTranslations, gettext.NullTranslations]] = {}
    for lang in LANGUAGES:
        out[lang] = (
            gettext.translation("iso3166-1", pycountry.LOCALES_DIR, languages=[lang]),
            gettext.translation("iso3166-3", pycountry.LOCALES_DIR, languages=[lang]),
        )
    return out


def _variants(text: str) -> Iterator[str]:
    """The name, the name without a parenthetical, and the head before a comma."""
    yield text
    bare = _PAREN.sub("", text).strip()
    if bare and bare != text:
        yield bare
    head = re.split(r"[,\u060c]", bare, maxsplit=1)[0].strip()
    if head and head != bare:
        yield head


def _names(country: Any, catalogue: Iterable[gettext.NullTranslations]) -> set[str]:
    english = [getattr(country, attr, None) for attr in ("name", "official_name", "common_name")]
    texts = {t for t in english if t}
    for translator in catalogue:
        texts |= {translator.gettext(t) for t in english if t}
    keys = set()
    for text in texts:
        for variant in _variants(text):
            key = normalise(variant)
            if key:
                keys.add(key)
    return keys


def _collapse(found: dict[str, set[str]]) -> dict[str, Target]:
    return {k: next(iter(v)) if len(v) == 1 else tuple(sorted(v)) for k, v in found.items()}


@cache
def index() -> Index:
    """Build (once) and return the resolver's index."""
    translators = _translators()
    current = list(pycountry.countries)
    current_a3 = {c.alpha_3 for c in current}
    extra = _read("extra_countries.csv")
    # A withdrawn code that ISO has since reassigned (ATF) belongs to the current country.
    historic = [
        h
        for h in pycountry.historic_countries
        if h.alpha_3 not in current_a3 and h.alpha_3 not in set(extra["alpha3"])
    ]
    eurostat = _read("eurostat.csv")
    euro_of = dict(zip(eurostat["alpha3"], eurostat["eurostat"], strict=True))
    fr1, fr3 = translators["fr"]

    rows: list[tuple[str, str, str | None, str, str, bool]] = []
    for c in current:
        rows.append((c.alpha_3, c.alpha_2, c.numeric, c.name, fr1.gettext(c.name), False))
    for e in extra.itertuples(index=False):
        rows.append((e.alpha3, e.alpha2, e.numeric or None, e.name_en, e.name_fr, False))
    for h in historic:
        numeric = getattr(h, "numeric", None)
        rows.append((h.alpha_3, h.alpha_2, numeric, h.name, fr3.gettext(h.name), True))
    records = pd.DataFrame(
        rows, columns=["alpha3", "alpha2", "numeric", "name_en", "name_fr", "historical"]
    ).set_index("alpha3")
    records["eurostat"] = [euro_of.get(a3, a2) for a3, a2 in records["alpha2"].items()]
    records = records[["alpha2", "numeric", "eurostat", "name_en", "name_fr", "historical"]]

    # Codes: current ISO codes first; historical ones only where no current country holds
    # the same code (BY, GE, SK and numeric 104, 112, 180, 626 were reassigned).
    codes: dict[str, set[str]] = defaultdict(set)
    numerics: dict[str, set[str]] = defaultdict(set)
    for a3, rec in records[~records["historical"]].iterrows():
        codes[a3].add(a3)
        codes[rec["alpha2"]].add(a3)
        if rec["numeric"]:
            numerics[rec["numeric"]].add(a3)
    for code, a3 in zip(eurostat["eurostat"], eurostat["alpha3"], strict=True):
        codes[code].add(a3)
    hist_codes: dict[str, set[str]] = defaultdict(set)
    hist_numerics: dict[str, set[str]] = defaultdict(set)
    for a3, rec in records[records["historical"]].iterrows():
        hist_codes[a3].add(a3)
        hist_codes[rec["alpha2"]].add(a3)
        if rec["numeric"]:
            hist_numerics[rec["numeric"]].add(a3)
    code_map = _collapse(hist_codes) | _collapse(codes)
    numeric_map = _collapse(hist_numerics) | _collapse(numerics)

    # Names: historical < current (pycountry, all languages) < curated aliases < curated
    # ambiguities. Two countries deriving the same key make it ambiguous.
    catalogue1 = [t[0] for t in translators.values()]
    catalogue3 = [t[1] for t in translators.values()]
    hist_names: dict[str, set[str]] = defaultdict(set)
    for h in historic:
        for key in _names(h, catalogue3):
            hist_names[key].add(h.alpha_3)
    cur_names: dict[str, set[str]] = defaultdict(set)
    for c in current:
        for key in _names(c, catalogue1):
            cur_names[key].add(c.alpha_3)
    for e in extra.itertuples(index=False):
        for text in (e.name_en, e.name_fr):
            cur_names[normalise(text)].add(e.alpha3)
    names = _collapse(hist_names) | _collapse(cur_names)

    aliases = _read("aliases.csv")
    seen: dict[str, tuple[str, str]] = {}
    for line, (alias, code) in enumerate(zip(aliases["alias"], aliases["code"], strict=True)):
        key = normalise(alias)
        if code not in records.index:
            raise InputError(
                f"alias {alias!r} points to {code!r}, which is not a known alpha-3 code",
                file="aliases.csv",
                row=line + 1,
            )
        if key in seen and seen[key][1] != code:
            raise InputError(
                f"alias {alias!r} (key {key!r}) maps to {code}, but alias "
                f"{seen[key][0]!r} maps the same key to {seen[key][1]}",
                file="aliases.csv",
                row=line + 1,
            )
        seen[key] = (alias, code)
        names[key] = code

    ambiguous = _read("ambiguous.csv")
    notes = {}
    for name, candidates, note in ambiguous.itertuples(index=False):
        key = normalise(name)
        names[key] = tuple(sorted(candidates.split("|")))
        notes[key] = note

    # M49 regions are aggregates: their codes and names are never countries, even where a
    # country's short name is the same word (the region Micronesia, 057).
    regions: dict[str, str] = {}
    for m49, name in _read("m49_regions.csv").itertuples(index=False):
        label = f"UN M49 region {name} ({m49}): an aggregate, not a country"
        regions[m49] = label
        regions[normalise(name)] = label
        names.pop(normalise(name), None)

    hist = _read("historical.csv")
    successors = {
        a3: (succ.replace("|", ", "), note) for a3, succ, note in hist.itertuples(index=False)
    }
    return Index(
        records=records,
        codes=code_map,
        numerics=numeric_map,
        names=names,
        notes=notes,
        successors=successors,
        regions=regions,
    )
