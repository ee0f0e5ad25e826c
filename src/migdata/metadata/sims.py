"""Reference metadata in the ESS structure (SIMS 2.0, with the ESMS and ESQRS selections).

Each concept of a source's report is filled from the questionnaire answers that hold it
(and from facts migdata derives from them: grades, compliance with the UN definition);
every filled concept names its answers, every empty one says what to ask. Written as HTML
(printable on A4) and as an SDMX-ML 2.1 generic metadata message.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd

from migdata.errors import InputError
from migdata.metadata import _text as T
from migdata.metadata.inventory import (
    MODULE_ORDER,
    answer_rows,
    dimension_label,
    institution_of,
    load_answers,
)
from migdata.questionnaire.answers import ANSWER_COLUMNS

SELECTIONS = ("sims", "esms", "esqrs")
COLUMNS = [
    "country",
    "module",
    "source_id",
    "code",
    "concept_id",
    "parent_id",
    "concept",
    "status",
    "value",
    "from_answers",
    "to_ask",
]
_NS = {
    "mes": "http://www.sdmx.org/resources/sdmxml/schemas/v2_1/message",
    "com": "http://www.sdmx.org/resources/sdmxml/schemas/v2_1/common",
    "gen": "http://www.sdmx.org/resources/sdmxml/schemas/v2_1/metadata/generic",
}
# The metadata structure the report follows: Eurostat's ESMS/SIMS MSD as referenced by
# national metadata handlers (urn of the structure, unverified version).
MSD_URN = "urn:sdmx:org.sdmx.infomodel.metadatastructure.MetadataStructure=ESTAT:SIMSv2_MSD(1.0)"
_ID_UNSAFE = re.compile(r"[^A-Za-z0-9_@$\-]")


@dataclass
class SimsReport:
    """SIMS 2.0 reference metadata of every source and module of the answers.

    Attributes
    ----------
    table
        One row per country x module x source x concept: SIMS code, concept id (ESMS MSD),
        label in the report's language, ``status`` (``filled`` or ``not_answered``),
        ``value`` (the content), ``from_answers`` (item ids and cells it came from) and
        ``to_ask`` (the questions to put to the office when the concept is empty); heading
        concepts (filled through their children) have status ``heading``.
    language
        Language of the labels and coded answers.
    selection
        ``sims`` (all concepts), ``esms`` (dissemination) or ``esqrs`` (quality report).
    """

    table: pd.DataFrame
    language: str = "en"
    selection: str = "sims"

    def select(self, selection: str) -> SimsReport:
        """The same report restricted to the ESMS or ESQRS selection (no new reading)."""
        if selection not in SELECTIONS:
            raise InputError(
                f"selection {selection!r} is not one of {', '.join(SELECTIONS)}", value=selection
            )
        keep = {
            c["id"] for c in T.data("sims")["concepts"] if selection == "sims" or c.get(selection)
        }
        table = self.table[self.table["concept_id"].isin(keep)].reset_index(drop=True)
        return SimsReport(table=table, language=self.language, selection=selection)

    def coverage(self) -> pd.DataFrame:
        """Filled and empty concepts per country x module x source."""
        counts = (
            self.table.groupby(["country", "module", "source_id", "status"], sort=True)
            .size()
            .unstack(fill_value=0)
            .reindex(columns=["filled", "not_answered"], fill_value=0)
        )
        return counts.astype("int64")

    def to_html(self, path: str | Path | None = None) -> str:
        """The report as a printable HTML page (A4), one section per source and module."""
        lang = self.language
        parts = []
        head = [
            T.label("columns", "concept", lang),
            T.label("columns", "value", lang),
            T.label("columns", "from_items", lang),
        ]
        blocks: dict[tuple[str, str, str], list[dict[str, Any]]] = {}
        for rec in self.table.to_dict("records"):
            blocks.setdefault((rec["country"], rec["module"], rec["source_id"]), []).append(rec)
        for (country, module, sid), group in blocks.items():
            title = f"{country} · {T.label('modules', module, lang)} · {sid}"
            rows, classes = [], []
            for r in group:
                concept = (
                    f'<span class="concept-code">{T.esc(r["code"])}</span> {T.esc(r["concept"])}'
                )
                if r["status"] == "heading":
                    rows.append([f"<b>{concept}</b>", "", ""])
                    classes.append(["", "", ""])
                    continue
                if r["status"] == "filled":
                    value = T.esc(r["value"]).replace("\n", "<br>")
                    cls = ""
                else:
                    missing = T.esc(T.label("words", "not_answered", lang))
                    ask = T.esc(r["to_ask"]).replace("\n", "<br>")
                    value = (
                        f"<span class='missing'>{missing}</span><br>"
                        f"<i>{T.esc(T.label('words', 'to_ask', lang))}:</i> {ask}"
                    )
                    cls = "missing"
                rows.append([concept, value, T.esc(r["from_answers"])])
                classes.append(["", cls, ""])
            parts.append(
                f"<h2>{T.esc(title)}</h2>"
                + T.table_html(rows, [T.esc(h) for h in head], classes=classes)
            )
        title = T.label("titles", "sims", lang) + (
            f" - {self.selection.upper()}" if self.selection != "sims" else ""
        )
        text = T.page(title, "\n".join(parts), lang)
        if path is not None:
            T.write_text(path, text)
        return text

    def to_sdmx_ml(
        self,
        path: str | Path | None = None,
        *,
        prepared: datetime | None = None,
        sender: str = "MIGDATA",
    ) -> bytes:
        """An SDMX-ML 2.1 generic metadata message (one report per source and module).

        Filled concepts carry their text as the ``value`` of their ``ReportedAttribute``, in
        the report's language (a ``value`` has no language tag; ``Text`` elements, which
        have one, and names or annotations are not read by sdmx1, so they are left out); empty
        concepts are left out, as SDMX reference metadata reports only what is known. Which
        answers fill a concept is in :attr:`table` (``from_answers``) and the HTML page, not
        in the message: annotations on reported attributes are not read by common readers
        (sdmx1 refuses them). The message validates against the official SDMX 2.1 schemas
        (``SDMXMessage.xsd``) and reads back with sdmx1.
        """
        for prefix, uri in _NS.items():
            ET.register_namespace(prefix, uri)
        when = (prepared or datetime.now(UTC)).replace(microsecond=0)
        root = ET.Element(f"{{{_NS['mes']}}}GenericMetadata")
        header = ET.SubElement(root, f"{{{_NS['mes']}}}Header")
        countries = "_".join(sorted(set(self.table["country"]))) or "EMPTY"
        _sub(header, "mes", "ID", _safe_id(f"SIMS_{countries}")[:200])
        _sub(header, "mes", "Test", "false")
        _sub(header, "mes", "Prepared", when.strftime("%Y-%m-%dT%H:%M:%S"))
        ET.SubElement(header, f"{{{_NS['mes']}}}Sender", {"id": _safe_id(sender)})
        structure = ET.SubElement(header, f"{{{_NS['mes']}}}Structure", {"structureID": "SIMS_MSD"})
        ref = ET.SubElement(structure, f"{{{_NS['com']}}}Structure")
        _sub(ref, "", "URN", MSD_URN)
        by_country: dict[str, dict[tuple[str, str], list[dict[str, Any]]]] = {}
        for rec in self.table.to_dict("records"):
            blocks = by_country.setdefault(rec["country"], {})
            blocks.setdefault((rec["module"], rec["source_id"]), []).append(rec)
        for country in sorted(by_country):
            mset = ET.SubElement(
                root,
                f"{{{_NS['mes']}}}MetadataSet",
                {"structureRef": "SIMS_MSD", "setID": _safe_id(f"SIMS_{country}")},
            )
            for (module, sid), group in by_country[country].items():
                if not any(r["status"] == "filled" for r in group):
                    continue
                report = ET.SubElement(
                    mset, f"{{{_NS['gen']}}}Report", {"id": _safe_id(f"{module}_{sid}")}
                )
                # As in Eurostat's ESMS files, a report targets a category (here: one per
                # country, dataflow and source in a COMESA category scheme of migration
                # sources) rather than a dataflow.
                target = ET.SubElement(report, f"{{{_NS['gen']}}}Target", {"id": "CATEGORY_TARGET"})
                value = ET.SubElement(target, f"{{{_NS['gen']}}}ReferenceValue", {"id": "CATEGORY"})
                obj = ET.SubElement(value, f"{{{_NS['gen']}}}ObjectReference")
                _sub(
                    obj,
                    "",
                    "URN",
                    "urn:sdmx:org.sdmx.infomodel.categoryscheme.Category="
                    "COMESA:CS_MIGRATION_SOURCES(1.0)."
                    + _safe_id(f"{country}_{_dataflow_of(module)}_{sid}"),
                )
                self._attributes(report, group)
        data = ET.tostring(root, encoding="utf-8", xml_declaration=True)
        if path is not None:
            out = Path(path)
            out.parent.mkdir(parents=True, exist_ok=True)
            out.write_bytes(data)
        return data

    def _attributes(self, report: ET.Element, group: list[dict[str, Any]]) -> None:
        """Nested ReportedAttribute elements for the filled concepts (parents kept)."""
        keep = {r["concept_id"] for r in group if r["status"] == "filled"}
        parents = {r["concept_id"]: r["parent_id"] for r in group}
        for cid in list(keep):
            parent = parents.get(cid)
            while parent:
                keep.add(parent)
                parent = parents.get(parent)
        attr_set = ET.SubElement(report, f"{{{_NS['gen']}}}AttributeSet")
        sets: dict[str, ET.Element] = {"": attr_set}
        nodes: dict[str, ET.Element] = {}
        for r in group:
            if r["concept_id"] not in keep:
                continue
            parent_id = r["parent_id"] or ""
            if parent_id and parent_id not in sets:
                sets[parent_id] = ET.SubElement(nodes[parent_id], f"{{{_NS['gen']}}}AttributeSet")
            attrs = {"id": r["concept_id"]}
            if r["status"] == "filled" and r["value"]:
                attrs["value"] = str(r["value"])
            node = ET.SubElement(sets[parent_id], f"{{{_NS['gen']}}}ReportedAttribute", attrs)
            nodes[r["concept_id"]] = node

    def _repr_html_(self) -> str:
        return self.coverage().to_html()

    def __repr__(self) -> str:
        counts = self.table["status"].value_counts()
        return (
            f"SimsReport(countries={sorted(set(self.table['country']))}, "
            f"reports={self.table.groupby(['country', 'module', 'source_id']).ngroups}, "
            f"filled={int(counts.get('filled', 0))}, "
            f"not_answered={int(counts.get('not_answered', 0))}, "
            f"language={self.language!r}, selection={self.selection!r})"
        )


def _sub(parent: ET.Element, prefix: str, tag: str, text: str) -> ET.Element:
    # Local elements of the SDMX 2.1 reference types (URN, Ref) are unqualified.
    name = f"{{{_NS[prefix]}}}{tag}" if prefix else tag
    el = ET.SubElement(parent, name)
    el.text = text
    return el


def _safe_id(text: str) -> str:
    return _ID_UNSAFE.sub("_", text) or "_"


def _dataflow_of(module: str) -> str:
    return {"RP": "DF_MIG_RP_FIRST"}.get(module, f"DF_MIG_{module}")


def _items_for(concept: dict[str, Any], module: str) -> list[str]:
    """Item ids of a concept in a module (``M.020`` -> ``IMM.020``; other modules' items out)."""
    out = []
    for item in concept.get("items", []) or []:
        if item.startswith("M."):
            item = f"{module}.{item[2:]}"
        elif not item.startswith("COM.") and not item.startswith(f"{module}."):
            continue
        out.append(item)
    return out


def sims_report(
    answers: Any,
    lang: str = "en",
    *,
    selection: str = "sims",
    target: str = "UN1998",
    updated: str | None = None,
) -> SimsReport:
    """SIMS 2.0 reference metadata for each source and module of returned questionnaires.

    Parameters
    ----------
    answers
        ``Answers``, workbook paths, a folder, or a list of them.
    lang
        Language of labels and coded answers (``en``, ``fr``, ``pt``, ``ar``); free text keeps
        the respondent's words, marked ``[xx]`` when typed in another language.
    selection
        ``sims`` (every concept), ``esms`` (the dissemination selection) or ``esqrs``
        (the quality-report selection).
    target
        Target definition whose compliance fills "Comparability - geographical".
    updated
        Date of the last metadata update (ISO date) for concept S.2.3; without it the concept
        is left empty with what to ask.

    Returns
    -------
    SimsReport

    Examples
    --------
    >>> import pathlib, tempfile
    >>> from migdata.questionnaire import write_template
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> book = write_template(folder / "RWA.xlsx", lang="fr", country="RWA", sources=["census"])
    >>> report = sims_report(book, lang="fr")
    >>> row = report.table.query("module == 'STK' and concept_id == 'SOURCE_TYPE'").iloc[0]
    >>> row.status, row.value
    ('filled', 'Recensement de la population')
    """
    lang = T.check_language(lang)
    if selection not in SELECTIONS:
        raise InputError(
            f"selection {selection!r} is not one of {', '.join(SELECTIONS)}", value=selection
        )
    loaded = load_answers(answers)
    rows = answer_rows(loaded)
    concepts = [c for c in T.data("sims")["concepts"] if selection == "sims" or c.get(selection)]
    profiles = _profiles(loaded)
    grades = _block_grades(rows)
    answer_lang = {a.country: a.language for a in loaded}
    records: list[dict[str, Any]] = []
    blocks = rows[rows["source_id"] != ""][["country", "module", "source_id"]].drop_duplicates()
    blocks = blocks.assign(
        order=blocks["module"].map(lambda m: MODULE_ORDER.index(m) if m in MODULE_ORDER else 99)
    ).sort_values(["country", "order", "source_id"])
    index: dict[tuple[str, str, str], dict[str, dict[str, Any]]] = {}
    for rec in rows.to_dict("records"):
        key = (rec["country"], rec["module"], rec["source_id"])
        index.setdefault(key, {}).setdefault(str(rec["item_id"]), rec)
    for country, module, sid in blocks[["country", "module", "source_id"]].itertuples(index=False):
        context = _Context(
            country=country,
            module=module,
            source_id=sid,
            lang=lang,
            answer_lang=answer_lang.get(country, lang),
            source=index.get((country, module, sid)),
            module_level=index.get((country, module, "")),
            profile=profiles.get((country, sid)),
            target=target,
            updated=updated,
            grades=grades.get((country, module, sid), {}),
        )
        for concept in concepts:
            records.append(context.fill(concept))
    table = pd.DataFrame(records, columns=COLUMNS)
    for col in table.columns:
        table[col] = table[col].astype("string").fillna("")
    return SimsReport(table=table, language=lang, selection=selection)


def _block_grades(rows: pd.DataFrame) -> dict[tuple[str, str, str], dict[str, Any]]:
    """ESS scores of each source's block in each module (its items and the module's own).

    One scoring pass over every block: each block is scored as if it were a country of its
    own, so a grade speaks of that source in that module.
    """
    from migdata.quality import score

    src = rows[rows["source_id"] != ""]
    if src.empty:
        return {}
    module_rows = rows[rows["source_id"] == ""].drop(columns=["source_id"])
    blocks = src[["country", "module", "source_id"]].drop_duplicates()
    # Each block gets a copy of its module's own items (one join, not a loop over blocks).
    own = blocks.merge(module_rows, on=["country", "module"], how="inner")
    both = pd.concat(
        [
            src.assign(country=src["country"] + "\x1f" + src["source_id"]),
            own.assign(country=own["country"] + "\x1f" + own["source_id"], source_id=""),
        ],
        ignore_index=True,
    )
    table = both[list(ANSWER_COLUMNS)]
    wide = score(table).to_frame()
    wide = wide[wide["module"] != "ALL"]
    parts = wide["country"].astype(str).str.split("\x1f", n=1, expand=True)
    wide = wide.assign(country=parts[0].to_numpy(), source_id=parts[1].to_numpy())
    return {(r["country"], r["module"], r["source_id"]): r for r in wide.to_dict("records")}


def _profiles(answers: list[Any]) -> dict[tuple[str, str], Any]:
    out: dict[tuple[str, str], Any] = {}
    for a in answers:
        try:
            for p in a.profiles():
                out[(a.country, p.source_id)] = p
        except InputError:
            # A source whose facts do not form a valid profile: its compliance concept stays
            # empty (and says what to ask) rather than the whole report failing.
            continue
    return out


@dataclass
class _Context:
    country: str
    module: str
    source_id: str
    lang: str
    answer_lang: str
    source: dict[str, dict[str, Any]] | None
    module_level: dict[str, dict[str, Any]] | None
    profile: Any
    target: str
    updated: str | None
    grades: dict[str, Any]

    def _row(self, item: str) -> dict[str, Any] | None:
        frame = self.module_level if not item.startswith("COM.") else self.source
        return None if frame is None else frame.get(item)

    def fill(self, concept: dict[str, Any]) -> dict[str, Any]:
        lang = self.lang
        lines: list[str] = []
        used: list[str] = []
        asked: list[str] = []
        items = _items_for(concept, self.module)
        for item in items:
            row = self._row(item)
            text = (
                None
                if row is None
                else T.render_answer(item, row["value"], str(row["status"]), lang, self.answer_lang)
            )
            if row is None or text is None:
                asked.append(f"{item}: {T.item_text(item, lang)}")
                continue
            lines.append(f"{T.item_text(item, lang)} {text}" if len(items) > 1 else text)
            used.append(f"{item} ({row['sheet']}!{row['cell']})" if row["cell"] else item)
        for derived in concept.get("derived", []) or []:
            value, origin = self._derived(derived)
            if value:
                lines.append(value)
                used.append(origin)
        label = T.pick(concept["label"], lang)
        has_children = "items" not in concept and "derived" not in concept and "ask" not in concept
        if lines:
            status, to_ask = "filled", ""
        elif has_children:
            # A heading concept: filled through its children.
            status, to_ask = "filled", ""
            lines = []
        else:
            status = "not_answered"
            to_ask = "\n".join(asked) if asked else T.pick(concept.get("ask"), lang)
        return {
            "country": self.country,
            "module": self.module,
            "source_id": self.source_id,
            "code": concept["code"],
            "concept_id": concept["id"],
            "parent_id": concept.get("parent") or "",
            "concept": label,
            "status": "heading" if has_children else status,
            "value": "\n".join(lines),
            "from_answers": "; ".join(used),
            "to_ask": to_ask,
        }

    def _derived(self, kind: str) -> tuple[str, str]:
        lang = self.lang
        if kind.startswith("grade:"):
            return self._grade(kind.split(":", 1)[1])
        if kind == "institution":
            row = self._row("COM.020")
            if row is None or row["status"] != "answered" or not str(row["value"]):
                return "", ""
            inst = institution_of(str(row["value"]))
            return (
                f"{inst} [{self.answer_lang}]" if self.answer_lang != lang else inst,
                "COM.020 (institution part)",
            )
        if kind == "description":
            type_row, name_row = self._row("COM.010"), self._row("COM.020")
            if type_row is None or type_row["status"] != "answered":
                return "", ""
            kind_text = T.render_answer("COM.010", type_row["value"], "answered", lang, "")
            name = "" if name_row is None else str(name_row["value"])
            marker = f" [{self.answer_lang}]" if name and self.answer_lang != lang else ""
            text = f"{T.label('modules', self.module, lang)}: {kind_text}"
            return (f"{text} - {name}{marker}" if name else text), "COM.010, COM.020"
        if kind == "ref_area":
            return self.country, "questionnaire country"
        if kind == "unit":
            row = self._row("COM.040")
            if row is None or row["status"] != "answered":
                return "", ""
            return T.render_answer("COM.040", row["value"], "answered", lang, "") or "", "COM.040"
        if kind == "compliance":
            return self._compliance()
        if kind == "comments":
            frames = [f for f in (self.source, self.module_level) if f is not None]
            notes = [
                f"{item}: {rec['comment']}"
                for f in frames
                for item, rec in f.items()
                if str(rec.get("comment") or "")
            ]
            return "\n".join(notes), "comments in the workbook"
        if kind == "updated":
            return (self.updated or ""), "parameter 'updated'"
        return "", ""

    def _grade(self, dimension: str) -> tuple[str, str]:
        grade, value = self.grades.get(f"{dimension}_grade"), self.grades.get(dimension)
        if grade is None or pd.isna(grade):
            return "", ""
        share = "" if value is None or pd.isna(value) else f" ({float(value):.2f})"
        return (
            f"{dimension_label(dimension, self.lang)}: {grade}{share}",
            f"ESS rubric over the answers of {self.module}/{self.source_id}",
        )

    def _compliance(self) -> tuple[str, str]:
        if self.profile is None:
            return "", ""
        from migdata.sources import compliance

        measure = self.module if self.module in ("IMM", "EMI") else None
        try:
            result = compliance(self.profile, self.target, measure=measure) if measure else None
        except InputError:
            return "", ""
        if result is None:
            return "", ""
        # The reason sentence is written by migdata in English.
        marker = " [en]" if self.lang != "en" else ""
        return (
            f"{self.target}: {result.cls.value} - {result.reason}{marker}",
            "COM.050, COM.060, COM.070 (compliance)",
        )
