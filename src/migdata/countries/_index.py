"""The lookup index of the country resolver, built once from pycountry and the data files.

It owns the code list (one row per current or historical country) and three dictionaries
(codes, numeric codes, normalised names) that map a value to one alpha-3 code or to a tuple
of candidates when the value is ambiguous.
"""

from __future__ import annotations

import gettext
import re
import unicodedata
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import cache
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

import pandas as pd
import pycountry

from migdata._resources import data_path
from migdata.countries import _cache
from migdata.countries._cldr import read_names
from migdata.countries._normalise import normalise
from migdata.errors import InputError

__all__ = [
    "LANGUAGES",
    "Index",
    "Target",
    "exact_key",
    "index",
    "name_entries",
    "nationality_index",
]

# Translations searched for names (pycountry ships gettext catalogues for each).
LANGUAGES = ("fr", "pt", "ar", "sw")

# CLDR languages whose names are offered as suggestions for a misspelt value (names in all
# languages resolve; suggesting from all of them would offer Nederland for "Qwertyland").
SUGGESTION_LANGUAGES = frozenset(["en", "fr", "pt", "ar", "sw", "es", "de", "it"])

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
    exact: dict[str, Target]  # a name as written (casefolded, NFC): decides where folding merged
    common: frozenset[str]  # keys of names in the main languages: the pool of suggestions
    notes: dict[str, str]  # normalised ambiguous name -> why it is ambiguous
    successors: dict[str, tuple[str, str]]  # historical alpha3 -> (successors, note)
    regions: dict[str, str]  # M49 region code or normalised region name -> description


def _read(name: str) -> Any:
    path = data_path("countries", name)
    return pd.read_csv(path, comment="#", dtype=str, keep_default_na=False, encoding="utf-8")


@cache
def _translators() -> dict[str, tuple[gettext.NullTranslations, gettext.NullTranslations]]:
    out: dict[str, tuple[gettext.NullTranslations, gettext.NullTranslations]] = {}
    for lang in LANGUAGES:
        out[lang] = (
            gettext.translation("iso3166-1", pycountry.LOCALES_DIR, languages=[lang]),
            gettext.translation("iso3166-3", pycountry.LOCALES_DIR, languages=[lang]),
        )
    return out


def _variants(text: str, head: bool = True) -> Iterator[str]:
    """The name, the name without a parenthetical, and the head before a comma.

    The head is taken from ISO names only ("Korea, Republic of"), where it is the short
    name; in UN and CLDR names the part before a comma is the larger entity ("China, Hong
    Kong Special Administrative Region").
    """
    yield text
    bare = _PAREN.sub("", text).strip()
    if bare and bare != text:
        yield bare
    if not head:
        return
    head_text = re.split(r"[,\u060c]", bare, maxsplit=1)[0].strip()
    if head_text and head_text != bare:
        yield head_text


def exact_key(text: str) -> str:
    """A name as written, only casefolded and with spaces collapsed (the exact tier's key)."""
    return " ".join(unicodedata.normalize("NFC", str(text)).casefold().split())


@cache
def _translation_errors() -> frozenset[tuple[str, str, str]]:
    errors = _read("translation_errors.csv")
    return frozenset(
        (f"{cat}:{lang}", msgid, wrong)
        for cat, lang, msgid, wrong in zip(
            errors["catalogue"],
            errors["language"],
            errors["msgid"],
            errors["translation"],
            strict=True,
        )
    )


def _texts(country: Any, catalogue: Iterable[tuple[str, gettext.NullTranslations]]) -> set[str]:
    english = [getattr(country, attr, None) for attr in ("name", "official_name", "common_name")]
    texts = {t for t in english if t}
    errors = _translation_errors()
    for tag, translator in catalogue:
        for text in english:
            if text:
                translated = translator.gettext(text)
                if (tag, text, translated) not in errors:
                    texts.add(translated)
    return texts


def name_entries() -> list[tuple[str, str, str]]:
    """Every (name, alpha-3 code, source) the index is built from, before normalisation.

    Sources: ``iso`` (pycountry's ISO 3166-1/-3 names and gettext translations),
    ``cldr:<languages>``, ``un:<language>:<kind>``, ``extra``.
    """
    return list(_entries())


@cache
def _entries() -> tuple[tuple[str, str, str], ...]:
    translators = _translators()
    current = list(pycountry.countries)
    current_a3 = {c.alpha_3 for c in current}
    extra = _read("extra_countries.csv")
    out: list[tuple[str, str, str]] = []
    cat1 = [(f"iso3166-1:{lang}", t[0]) for lang, t in translators.items()]
    cat3 = [(f"iso3166-3:{lang}", t[1]) for lang, t in translators.items()]
    for h in pycountry.historic_countries:
        if h.alpha_3 not in current_a3 and h.alpha_3 not in set(extra["alpha3"]):
            out += [(t, h.alpha_3, "iso") for t in sorted(_texts(h, cat3))]
    for c in current:
        out += [(t, c.alpha_3, "iso") for t in sorted(_texts(c, cat1))]
    for e in extra.itertuples(index=False):
        out += [(e.name_en, e.alpha3, "extra"), (e.name_fr, e.alpha3, "extra")]
    alpha3_of = {c.alpha_2: c.alpha_3 for c in current} | dict(
        zip(extra["alpha2"], extra["alpha3"], strict=True)
    )
    for alpha2, name, langs in read_names()[1]:
        if alpha2 in alpha3_of:
            out.append((name, alpha3_of[alpha2], f"cldr:{langs}"))
    un = _read("un_names.csv")
    for a3, lang, kind, name in zip(
        un["alpha3"], un["language"], un["kind"], un["name"], strict=True
    ):
        out.append((name, a3, f"un:{lang}:{kind}"))
    return tuple(out)


def _collapse(found: dict[str, set[str]]) -> dict[str, Target]:
    return {k: next(iter(v)) if len(v) == 1 else tuple(sorted(v)) for k, v in found.items()}


def _derived_names(records: Any) -> tuple[dict[str, Target], dict[str, Target], set[str]]:
    """Normalised names, names as written and suggestion keys (from the disk cache if fresh)."""
    files = [
        data_path("countries", name)
        for name in (
            "cldr_names.csv.gz",
            "un_names.csv",
            "translation_errors.csv",
            "extra_countries.csv",
        )
    ]
    here = Path(__file__).resolve().parent
    files += [here / "_normalise.py", here / "_index.py"]
    versions = [_version("migdata"), _version("pycountry"), *sorted(SUGGESTION_LANGUAGES)]
    stamp = _cache.fingerprint(versions, files)
    cached = _cache.load("country-names", stamp)
    if isinstance(cached, dict) and set(cached) == {"names", "exact", "common"}:
        return (
            {k: v if isinstance(v, str) else tuple(v) for k, v in cached["names"].items()},
            {k: v if isinstance(v, str) else tuple(v) for k, v in cached["exact"].items()},
            set(cached["common"]),
        )
    historical = set(records.index[records["historical"]])
    hist_names: dict[str, set[str]] = defaultdict(set)
    cur_names: dict[str, set[str]] = defaultdict(set)
    exact: dict[str, set[str]] = defaultdict(set)
    keys: dict[str, str] = {}
    common: set[str] = set()
    for text, a3, source in _entries():
        if a3 not in records.index:
            continue
        exact[exact_key(text)].add(a3)
        found = hist_names if a3 in historical else cur_names
        main = not source.startswith("cldr:") or bool(
            SUGGESTION_LANGUAGES.intersection(source[5:].split())
        )
        for variant in _variants(text, head=source == "iso"):
            key = keys.get(variant)
            if key is None:
                key = keys[variant] = normalise(variant)
            if key:
                found[key].add(a3)
                if main:
                    common.add(key)
    names = _collapse(hist_names) | _collapse(cur_names)
    written = _collapse(exact)
    _cache.store(
        "country-names",
        stamp,
        {"names": names, "exact": written, "common": sorted(common)},
    )
    return names, written, common


def _version(package: str) -> str:
    try:
        return version(package)
    except PackageNotFoundError:
        return "unknown"


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

    # Names: historical < current (pycountry in its languages, CLDR in every language, UN
    # official names) < curated aliases < curated ambiguities. Two countries deriving the same
    # key make it ambiguous, whatever the languages: a name is never guessed.
    names, exact, common = _derived_names(records)

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
        common.add(key)

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
        exact=exact,
        common=frozenset(common),
        notes=notes,
        successors=successors,
        regions=regions,
    )


@cache
def nationality_index() -> dict[str, Target]:
    """Normalised nationality word -> alpha-3 code, or the candidates of a shared word."""
    table = _read("nationalities.csv")
    known = index().records.index
    found: dict[str, set[str]] = defaultdict(set)
    for line, (a3, forms) in enumerate(zip(table["alpha3"], table["forms"], strict=True)):
        if a3 not in known:
            raise InputError(
                f"nationality row points to {a3!r}, which is not a known alpha-3 code",
                file="nationalities.csv",
                row=line + 1,
            )
        for form in forms.split("|"):
            key = normalise(form)
            if key:
                found[key].add(a3)
    # A nationality word that is another country's name in some language (Arabic نيجرية,
    # Nigerien, folds like Persian نیجریه, Nigeria) is ambiguous, never one of them.
    names = index().names
    for key, codes in found.items():
        named = names.get(key)
        if named is not None:
            codes.update([named] if isinstance(named, str) else named)
    return _collapse(found)
