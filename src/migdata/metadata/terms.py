"""The glossary of harmonised migration definitions and the indicator catalogue.

Both are data in the package (``migdata/data/metadata/glossary.yaml`` and
``indicators.yaml``) in English, French, Portuguese and Arabic, each entry with its
authoritative source; a country's catalogue marks which indicators its sources can produce.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from migdata.metadata import _text as T
from migdata.metadata.inventory import STATISTICS, Inventory


@dataclass
class Document:
    """A glossary or catalogue table with its language and writers (HTML, Excel, CSV)."""

    table: pd.DataFrame
    language: str
    kind: str  # "glossary" | "catalogue"

    def to_html(self, path: str | Path | None = None) -> str:
        """A filterable HTML page (a search box that hides rows that do not match)."""
        lang = self.language
        frame = self.labelled()
        rows = [[T.cell(v) for v in r] for r in frame.itertuples(index=False)]
        search = {"en": "Filter", "fr": "Filtrer", "pt": "Filtrar", "ar": "تصفية"}[lang]
        body = (
            f'<p><label>{search}: <input id="q" type="search" oninput="f()"></label></p>'
            + T.table_html(rows, [T.esc(c) for c in frame.columns])
            + "<script>function f(){var q=document.getElementById('q').value.toLowerCase();"
            "document.querySelectorAll('tbody tr').forEach(function(r){"
            "r.style.display=r.textContent.toLowerCase().indexOf(q)<0?'none':'';});}</script>"
        )
        text = T.page(T.label("titles", self.kind, lang), body, lang)
        if path is not None:
            T.write_text(path, text)
        return text

    def labelled(self) -> pd.DataFrame:
        """The table with headers in the document's language."""
        names = {c: T.label("columns", c, self.language) for c in self.table.columns}
        return self.table.rename(columns=names)

    def to_excel(self, path: str | Path) -> Path:
        """A workbook with a filter on every column (right to left in Arabic)."""
        import openpyxl
        from openpyxl.styles import Alignment, Font

        from migdata._xlsx_bytes import save_workbook

        frame = self.labelled()
        wb = openpyxl.Workbook()
        ws = wb.active
        ws.title = self.kind
        ws.sheet_view.rightToLeft = self.language == "ar"
        ws.append([str(c) for c in frame.columns])
        for cell in ws[1]:
            cell.font = Font(bold=True)
        for row in frame.itertuples(index=False):
            ws.append([None if v == "" else str(v) for v in row])
        for row in ws.iter_rows(min_row=2):
            for cell in row:
                cell.alignment = Alignment(wrap_text=True, vertical="top")
                if isinstance(cell.value, str) and cell.value[:1] in ("=", "@"):
                    cell.value = "'" + cell.value
        ws.auto_filter.ref = ws.dimensions
        ws.freeze_panes = "A2"
        for col in ws.columns:
            width = max(len(str(c.value or "")) for c in col)
            ws.column_dimensions[col[0].column_letter].width = min(max(width + 2, 8), 70)
        out = Path(path)
        out.parent.mkdir(parents=True, exist_ok=True)
        save_workbook(wb, out)
        return out

    def to_csv(self, path: str | Path) -> Path:
        """The table as UTF-8 CSV."""
        out = Path(path)
        out.parent.mkdir(parents=True, exist_ok=True)
        self.table.to_csv(out, index=False, lineterminator="\n")
        return out

    def _repr_html_(self) -> str:
        return self.labelled().to_html(index=False)

    def __repr__(self) -> str:
        return f"Document(kind={self.kind!r}, rows={len(self.table)}, language={self.language!r})"


def glossary(lang: str = "en", *, all_languages: bool = False) -> Document:
    """The glossary of harmonised migration definitions.

    Parameters
    ----------
    lang
        Language of the terms and definitions (``en``, ``fr``, ``pt``, ``ar``).
    all_languages
        Add the term in the four languages as columns ``term_en`` ... ``term_ar``.

    Returns
    -------
    Document
        Columns ``id``, ``group``, ``term``, ``definition``, ``source`` (and the terms in
        every language on request).

    Examples
    --------
    >>> g = glossary("fr")
    >>> g.table.set_index("id").loc["long_term_migrant", "term"]
    'Migrant de longue durée'
    """
    lang = T.check_language(lang)
    rows = []
    for entry in T.data("glossary")["terms"]:
        row: dict[str, Any] = {
            "id": entry["id"],
            "group": entry["group"],
            "term": T.pick(entry["term"], lang),
            "definition": T.pick(entry["definition"], lang),
            "source": entry["source"],
        }
        if all_languages:
            for code in T.LANGUAGES:
                row[f"term_{code}"] = T.pick(entry["term"], code)
        rows.append(row)
    return Document(table=pd.DataFrame(rows).astype("string"), language=lang, kind="glossary")


def indicator_catalogue(lang: str = "en", inventory: Inventory | None = None) -> Document:
    """The catalogue of harmonised migration indicators.

    Parameters
    ----------
    lang
        Language of names, definitions and reasons.
    inventory
        A country's (or several countries') :func:`source_inventory`: adds, per country, a
        column saying whether its sources can produce each indicator: ``yes`` when every
        statistic it needs is covered (``+`` or ``+/-``) by a source that records the
        variables it needs (permit indicators: a source answered in the residence-permit
        module; mirror indicators: the country's own side, the partner's data come from the
        exchange), ``partly`` when the statistics are covered but not the variables, ``no``
        otherwise (and always ``no`` for indicators migdata cannot
        compute; ``why`` says why).

    Returns
    -------
    Document
        Columns ``id``, ``indicator``, ``definition``, ``formula``, ``unit``, ``sources``
        (source types whose coverage allows it), ``disaggregations``, ``periodicity``,
        ``function``, ``computable``, ``why`` and one ``producible_<ISO3>`` column per country.

    Examples
    --------
    >>> cat = indicator_catalogue("en")
    >>> cat.table.set_index("id").loc["NET_MIGRATION", "formula"]
    'N = I - E'
    """
    from migdata.sources.catalogue import source_types

    lang = T.check_language(lang)
    types = source_types()
    rows = []
    for entry in T.data("indicators")["indicators"]:
        needs = [n for n in entry.get("needs", []) if n in STATISTICS]
        permits = "permits" in entry.get("needs", [])
        feeding = [
            code
            for code, r in types.iterrows()
            if (needs and all(str(r[n]) in ("+", "+/-") for n in needs))
            or (permits and any(m.startswith("RP") for m in str(r["measures"]).split()))
        ]
        row: dict[str, Any] = {
            "id": entry["id"],
            "indicator": T.pick(entry["name"], lang),
            "definition": T.pick(entry["definition"], lang),
            "formula": entry["formula"],
            "unit": entry["unit"],
            "sources": ", ".join(feeding),
            "disaggregations": ", ".join(entry.get("disaggregations", [])),
            "periodicity": entry.get("periodicity", ""),
            "function": entry.get("function", ""),
            "computable": "yes" if entry.get("computable") else "no",
            "why": T.pick(entry.get("why"), lang),
        }
        if inventory is not None:
            for country, group in inventory.table.groupby("country", sort=True):
                row[f"producible_{country}"] = _producible(entry, needs, group)
        rows.append(row)
    return Document(table=pd.DataFrame(rows).astype("string"), language=lang, kind="catalogue")


def _producible(entry: dict[str, Any], needs: list[str], sources: pd.DataFrame) -> str:
    """Can a country's sources produce the indicator: yes, partly or no."""
    if not entry.get("computable"):
        return "no"
    if "permits" in entry.get("needs", []):
        return "yes" if sources["modules"].str.contains("RP").any() else "no"
    if not needs:
        return "yes" if len(sources) else "no"
    wanted = set(entry.get("variables", []))
    covered_all = True
    with_variables = True
    for stat in needs:
        covering = sources[sources[stat].isin(["+", "+/-"])]
        if covering.empty:
            covered_all = False
            break
        if wanted and not any(wanted <= set(str(v).split(";")) for v in covering["variables"]):
            with_variables = False
    if not covered_all:
        return "no"
    return "yes" if with_variables else "partly"
