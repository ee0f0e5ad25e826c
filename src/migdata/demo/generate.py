"""Seeded generator of the demo's input files. ALL FIGURES ARE SYNTHETIC.

From the truth in ``data/demo/countries.yaml`` it writes what national offices would send:
questionnaire workbooks filled in the office's language, national flow tables in national
formats (local column names and country names, a few defective rows), and Uganda's linked
border-crossing records. The same seed gives the same files.
"""

from __future__ import annotations

import gettext
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import openpyxl
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pycountry

from migdata._xlsx_bytes import save_workbook
from migdata.countries import convert
from migdata.demo.synthetic import SYNTHETIC_NOTE, DemoSpec, crossings, demo_spec, reported_flows
from migdata.questionnaire import bank, write_template
from migdata.questionnaire._layout import KEY_RE, META_SHEET
from migdata.sources.profile import SourceProfile

__all__ = ["DemoInputs", "fill_questionnaire", "national_tables", "write_inputs"]

_COLUMNS = {
    "en": {
        "year": "Year",
        "IMM": "Country of previous residence",
        "EMI": "Country of next residence",
        "sex": "Sex",
        "value": "Number",
    },
    "fr": {
        "year": "Année",
        "IMM": "Pays de provenance",
        "EMI": "Pays de destination",
        "sex": "Sexe",
        "value": "Effectif",
    },
    "ar": {
        "year": "السنة",
        "IMM": "بلد الإقامة السابقة",
        "EMI": "بلد الإقامة التالية",
        "sex": "الجنس",
        "value": "العدد",
    },
}
_SEX = {
    "en": {"M": "Male", "F": "Female", "_T": "Total"},
    "fr": {"M": "Hommes", "F": "Femmes", "_T": "Ensemble"},
    "ar": {"M": "ذكور", "F": "إناث", "_T": "المجموع"},
}
# Spellings a national table really contains that no resolver should guess.
_BAD_NAMES = {"en": "Northern Zambesia", "fr": "Zambie du Nord", "ar": "زامبيا الشمالية"}


@dataclass(frozen=True)
class DemoInputs:
    """Paths of the generated inputs."""

    questionnaires: list[Path]
    tables: dict[tuple[str, str], Path]
    crossings: Path


def _names(codes: pd.Series, lang: str) -> pd.Series:
    if lang in ("en", "fr"):
        return pd.Series(convert(codes, to=f"name_{lang}"), index=codes.index, dtype="string")
    tr = gettext.translation("iso3166-1", pycountry.LOCALES_DIR, languages=[lang])
    mapping = {c: tr.gettext(pycountry.countries.lookup(c).name) for c in codes.unique()}
    return codes.map(mapping).astype("string")


def national_tables(spec: DemoSpec | None = None) -> dict[tuple[str, str], pd.DataFrame]:
    """The flow tables each country sends, keyed by (country, measure).

    Uganda's flows come from its border records instead (see :func:`crossings`). Each
    table uses the office's language for column names, partner countries and sex, adds a
    total row per partner and year, and carries three defective rows (an unknown country
    name, a negative count, a repeated row) that harmonisation must reject.

    Examples
    --------
    >>> tables = national_tables()
    >>> sorted(tables)[:3]
    [('COD', 'IMM'), ('EGY', 'EMI'), ('EGY', 'IMM')]
    >>> list(tables[("RWA", "IMM")].columns)
    ['Année', 'Pays de provenance', 'Sexe', 'Effectif']
    """
    spec = spec or demo_spec()
    flows = reported_flows(spec)
    out: dict[tuple[str, str], pd.DataFrame] = {}
    for code in spec.codes:
        country = spec.countries[code]
        lang = country["language"]
        cols = _COLUMNS[lang]
        for source in country["sources"]:
            if source["source_type"] == "linked_entry_exit":
                continue
            for measure in ("IMM", "EMI"):
                if measure not in source["measures"]:
                    continue
                reporter, partner, side = (
                    ("destination", "origin", "immigration")
                    if measure == "IMM"
                    else ("origin", "destination", "emigration")
                )
                part = flows.loc[flows[reporter] == code, [partner, "year", "sex", side]]
                totals = part.groupby([partner, "year"], as_index=False)[side].sum()
                totals["sex"] = "_T"
                part = pd.concat([part, totals], ignore_index=True).sort_values(
                    ["year", partner, "sex"], kind="stable", ignore_index=True
                )
                table = pd.DataFrame(
                    {
                        cols["year"]: part["year"].astype("int64"),
                        cols[measure]: _names(part[partner].astype("string"), lang),
                        cols["sex"]: part["sex"].map(_SEX[lang]).astype("string"),
                        cols["value"]: part[side].astype("Int64"),
                    }
                )
                bad = table.iloc[[0, 1, 2]].copy()
                bad.iloc[0, 1] = _BAD_NAMES[lang]
                bad.iloc[1, 3] = -int(bad.iloc[1, 3])
                table = pd.concat([table, bad.iloc[:2], table.iloc[[5]]], ignore_index=True)
                out[(code, measure)] = table
    return out


def _pick_level(options: Sequence[Any], quality: float, rng: np.random.Generator) -> Any:
    levelled = [o for o in options if o.level is not None]
    if not levelled:
        return options[int(rng.integers(len(options)))]
    want = float(np.clip(rng.normal(3 * quality, 0.9), 0, 3))
    return min(levelled, key=lambda o: (abs(o.level - want), o.code))


def fill_questionnaire(
    path: Path, country: dict[str, Any], lang: str, rng: np.random.Generator
) -> None:
    """Answer a template as the office of ``country`` would (facts true, practice random).

    Items that write a source fact get the truth of ``countries.yaml``; other scored items
    get an option whose level is drawn around the country's ``quality`` propensity, with
    some "don't know" answers; the labels are written in the workbook's language.
    """
    wb = openpyxl.load_workbook(path)
    labels = bank.labels()
    yes, no = (o[lang] for o in labels["option_sets"]["yes_no"])
    dont_know = labels["special"]["dk"][lang]
    not_applicable = labels["special"]["na"][lang]
    sources = {s["source_id"]: s for s in country["sources"]}
    quality = float(country["quality"])
    meta = [
        (str(r[0]), int(r[1]), str(r[2]))
        for r in wb[META_SHEET].iter_rows(values_only=True)
        if len(r) >= 3 and isinstance(r[1], int) and r[2]
    ]
    option_rows = {key: (sheet, row) for sheet, row, key in meta if "#" in key.split("|")[2][1:]}
    given: dict[tuple[str, str, str], Any] = {}
    for sheet, row, key in meta:
        match = KEY_RE.match(key)
        if match is None or match["item"] == "#source" or match["option"]:
            continue
        item = bank.get_item(match["item"])
        source = sources.get(match["source"])
        if match["source"] and source is None:
            continue  # an unused generic block stays empty
        cell = wb[sheet].cell(row, 4)
        block = (match["module"], match["source"])

        def lookup(name: str, block: tuple[str, str] = block, source: Any = source) -> Any:
            if source is not None and name in source:
                return source[name]
            return given.get((*block, name))

        if item.applies_if is not None and item.applies_if.evaluate(lookup) is False:
            cell.value = not_applicable
            continue
        fact = _fact(item.writes, source) if source is not None else None
        if fact is not None and item.type == "choice":
            code = {True: "yes", False: "no"}.get(fact, fact) if isinstance(fact, bool) else fact
            given[(*block, item.id)] = code
        elif item.id in ("COM.080", "COM.180"):
            given[(*block, item.id)] = "yes" if item.id == "COM.080" else "no"
        if item.type == "multiple":
            truth = set(fact) if isinstance(fact, list) else None
            if truth is None and item.writes is None and match["item"].endswith(".010"):
                truth = {
                    s["source_type"]
                    for s in country["sources"]
                    if any(m.startswith(match["module"]) for m in s["measures"])
                }
            for option in item.options:
                _, r = option_rows[f"{key}#{option.code}"]
                ticked = (option.code in truth) if truth is not None else rng.random() < quality
                wb[sheet].cell(r, 4).value = yes if ticked else no
            continue
        if fact is not None:
            if item.type in ("months", "number"):
                cell.value = fact
            else:
                code = (
                    {True: "yes", False: "no"}.get(fact, fact) if isinstance(fact, bool) else fact
                )
                chosen = next((o for o in item.options if o.code == code), None)
                cell.value = chosen.labels[lang] if chosen else str(fact)
            continue
        if item.id == "COM.080":
            cell.value = next(o.labels[lang] for o in item.options if o.code == "yes")
        elif item.id == "COM.180":
            cell.value = next(o.labels[lang] for o in item.options if o.code == "no")
        elif item.type == "choice" and item.options:
            if rng.random() < 0.06 + 0.12 * (1 - quality):
                cell.value = dont_know
            else:
                cell.value = _pick_level(item.options, quality, rng).labels[lang]
        elif item.type == "number":
            cell.value = int(rng.integers(2008, 2020))
        elif item.type == "months":
            cell.value = int(rng.choice([3, 6, 12, 18]))
    wb.properties.title = SYNTHETIC_NOTE
    save_workbook(wb, path)


def _fact(writes: str | None, source: dict[str, Any]) -> Any:
    if not writes:
        return None
    if writes == "valid_from":
        return 2010
    if "." in writes:
        group, key = writes.split(".", 1)
        value = (source.get(group) or {}).get(key)
        return None if value is None else str(value)
    return source.get(writes)


def write_inputs(folder: str | Path, spec: DemoSpec | None = None) -> DemoInputs:
    """Write all demo inputs under ``folder`` (questionnaires/, tables/, crossings/).

    Examples
    --------
    >>> import tempfile
    >>> inputs = write_inputs(tempfile.mkdtemp())  # doctest: +SKIP
    """
    spec = spec or demo_spec()
    root = Path(folder)
    rng = np.random.default_rng(spec.seed + 3)
    questionnaires = []
    for code in spec.codes:
        country = spec.countries[code]
        lang = country["language"]
        profiles = [
            SourceProfile.from_dict(
                {"country": code, **{k: v for k, v in s.items() if k in _PROFILE_KEYS}}
            )
            for s in country["sources"]
        ]
        path = root / "questionnaires" / f"{code}_{lang}.xlsx"
        write_template(path, lang=lang, country=code, sources=profiles, overwrite=True)
        fill_questionnaire(path, country, lang, rng)
        questionnaires.append(path)
    tables = {}
    for (code, measure), table in national_tables(spec).items():
        path = root / "tables" / f"{code}_{measure}.csv"
        path.parent.mkdir(parents=True, exist_ok=True)
        # Plain CSV that pd.read_csv and Excel open as they are: the synthetic note is in the
        # README beside the files, not in a comment line.
        with path.open("w", encoding="utf-8", newline="") as handle:
            table.to_csv(handle, index=False, lineterminator="\n")
        tables[(code, measure)] = path
    if tables:
        (root / "tables" / "README.txt").write_text(INPUTS_README, encoding="utf-8")
    moves = root / "crossings" / "UGA_border_crossings.parquet"
    moves.parent.mkdir(parents=True, exist_ok=True)
    table = pa.Table.from_pandas(crossings(spec, "UGA"), preserve_index=False)
    note = {b"migdata_note": SYNTHETIC_NOTE.encode("utf-8")}
    pq.write_table(
        table.replace_schema_metadata({**(table.schema.metadata or {}), **note}),
        moves,
        compression="zstd",
    )
    return DemoInputs(questionnaires, tables, moves)


_PROFILE_KEYS = {f for f in SourceProfile.__dataclass_fields__}

INPUTS_README = (
    f"{SYNTHETIC_NOTE}.\n\n"
    "These national tables were generated by migdata's demo (seeded, reproducible) in the\n"
    "formats national offices use: local column names, partner countries named in the\n"
    "local language, and three defective rows each (an unknown country name, a negative\n"
    "count, a repeated row) that the run rejects with a reason. They are not real figures.\n"
)
