"""The inventory of national migration data sources, from returned questionnaires.

One row per country and source: producer, type, coverage of the four statistics in the
+, +/-, - notation of the programme's availability matrix, definitions, variables,
periodicity, timeliness, dissemination and quality grades; and the inter-agency view of who
produces which statistic from which source, with overlaps and gaps.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from migdata.errors import InputError
from migdata.metadata import _text as T
from migdata.questionnaire.answers import ANSWER_COLUMNS

STATISTICS = ("flows_in", "flows_out", "stock_in", "stock_out")
MODULE_ORDER = ("STK", "IMM", "EMI", "NAB", "RP")
# Which questionnaire module documents which statistic of the availability matrix. Residence
# permits document immigration and the immigrant stock only as a proxy (documents, not
# persons; no emigration), so a source reported only there covers them "+/-".
_MODULES_OF = {
    "flows_in": ("IMM",),
    "flows_out": ("EMI",),
    "stock_in": ("STK",),
    "stock_out": ("NAB",),
}
_PROXY_MODULES_OF = {"flows_in": ("RP",), "stock_in": ("RP",)}
_RANK = {"+": 2, "+/-": 1, "-": 0}
DIMENSIONS = (
    "relevance",
    "accuracy",
    "timeliness_punctuality",
    "accessibility_clarity",
    "comparability",
    "coherence",
)
# Facts of the inventory: column -> the common item that holds it.
_FACT_ITEMS = {
    "source_type": "COM.010",
    "name": "COM.020",
    "statistical_unit": "COM.040",
    "residence_concept": "COM.050",
    "threshold_months": "COM.060",
    "threshold_basis": "COM.070",
    "coverage_groups": "COM.110",
    "coverage_complete": "COM.120",
    "variables": "COM.130",
    "timeliness_months": "COM.160",
    "dissemination": "COM.220",
    "microdata_access": "COM.230",
}
COLUMNS = [
    "country",
    "source_id",
    "source_type",
    "name",
    "institution",
    "legal_basis",
    "modules",
    *STATISTICS,
    "coverage_note",
    "statistical_unit",
    "residence_concept",
    "threshold_months",
    "threshold_basis",
    "coverage_groups",
    "coverage_complete",
    "variables",
    "periodicity",
    "timeliness_months",
    "dissemination",
    "microdata_access",
    *(f"grade_{d}" for d in DIMENSIONS),
    "not_answered",
]


def load_answers(answers: Any) -> list[Any]:
    """Answers objects from Answers, workbook paths or a folder, or a list of them."""
    from migdata.questionnaire import read_answers

    items: Iterable[Any]
    if isinstance(answers, str | Path) or hasattr(answers, "table"):
        items = [answers]
    elif isinstance(answers, Iterable):
        items = list(answers)
    else:
        raise InputError(
            "expected questionnaire answers (Answers, a workbook path or a folder), "
            f"got {type(answers).__name__}"
        )
    out: list[Any] = []
    for obj in items:
        if hasattr(obj, "table") and hasattr(obj, "country"):
            out.append(obj)
            continue
        if not isinstance(obj, str | Path):
            raise InputError(
                f"expected Answers or a workbook path, got {type(obj).__name__}", value=obj
            )
        path = Path(obj)
        if path.is_dir():
            files = sorted(p for p in path.rglob("*") if p.suffix.lower() in (".xlsx", ".csv"))
            if not files:
                raise InputError(
                    "no returned workbooks (.xlsx, .csv) in the folder", file=str(path)
                )
            out.extend(read_answers(p) for p in files)
        elif path.is_file():
            out.append(read_answers(path))
        else:
            raise InputError("no such file or folder", file=str(path))
    if not out:
        raise InputError("no questionnaire answers given")
    return out


def answer_rows(answers: Sequence[Any]) -> pd.DataFrame:
    """All answer rows of several countries with the workbook language on every row."""
    frames = []
    for a in answers:
        table = pd.DataFrame(a.table)
        if "comment" not in table.columns:
            table["comment"] = ""
        frames.append(table.assign(country=a.country, language=a.language))
    rows = pd.concat(frames, ignore_index=True)
    for col in ("value", "raw", "comment", "source_id"):
        rows[col] = rows[col].astype("string").fillna("")
    return rows


_PARENS = re.compile(r"\(([^()]+)\)\s*$")


def institution_of(name: str) -> str:
    """The institution named in the answer to COM.020 ("source and institution").

    The question asks for both in one answer; the institution is read from a final
    parenthesis ("Registre de la population (NIDA)") or from the part after the last comma
    ("2022 Census, National Institute of Statistics", the form the question's help shows).
    Otherwise the whole answer is returned: a person must split it.
    """
    text = " ".join(str(name).split())
    if not text:
        return ""
    m = _PARENS.search(text)
    if m:
        return m.group(1).strip()
    if ", " in text:
        return text.rsplit(", ", 1)[1].strip()
    return text


def _module_sort(modules: Iterable[str]) -> list[str]:
    return sorted(set(modules), key=lambda m: MODULE_ORDER.index(m) if m in MODULE_ORDER else 99)


def _catalogue() -> dict[str, Any]:
    from migdata.sources.catalogue import source_types

    frame = source_types()
    return {str(key): row for key, row in frame.to_dict("index").items()}


def _coverage(
    source_type: str, modules: set[str], complete: dict[str, str], catalogue: dict[str, Any]
) -> tuple[dict[str, str], list[str]]:
    """Coverage of the four statistics and the notes that explain any departure."""
    entry = catalogue.get(source_type, {})
    out: dict[str, str] = {}
    notes: list[str] = []
    for stat in STATISTICS:
        main = [m for m in _MODULES_OF[stat] if m in modules]
        proxy = [m for m in _PROXY_MODULES_OF.get(stat, ()) if m in modules]
        if not main and not proxy:
            out[stat] = "-"
            continue
        listed = str(entry.get(stat, "") or "")
        if not main:
            out[stat] = "+/-"
            notes.append(f"{stat}:permits_only")
            continue
        partial = [m for m in main if complete.get(m) in ("partly", "no")]
        out[stat] = "+" if listed in ("+", "") and not partial else "+/-"
        if listed == "-":
            notes.append(f"{stat}:not_in_catalogue")
        elif listed == "+/-":
            notes.append(f"{stat}:conditional")
        if partial:
            notes.append(f"{stat}:incomplete:{','.join(partial)}")
    return out, notes


def _grades(rows: pd.DataFrame) -> pd.DataFrame:
    """ESS grades per country x source, pooled over the source's answers in every module."""
    from migdata.quality import score

    src = rows[rows["source_id"] != ""]
    if src.empty:
        return pd.DataFrame(columns=["country", "source_id", *DIMENSIONS])
    key = src["country"].astype(str) + "\x1f" + src["source_id"].astype(str)
    table = src.assign(country=key)[list(ANSWER_COLUMNS)]
    wide = score(table).to_frame()
    wide = wide[wide["module"] == "ALL"]
    parts = wide["country"].astype(str).str.split("\x1f", n=1, expand=True)
    out = pd.DataFrame({"country": parts[0], "source_id": parts[1]})
    for dim in DIMENSIONS:
        grade_col = f"{dim}_grade"
        out[dim] = (
            wide[grade_col].astype("string").fillna("").to_numpy() if grade_col in wide else ""
        )
    return out.reset_index(drop=True)


@dataclass
class Inventory:
    """Inventory of national migration data sources (one row per country and source).

    Attributes
    ----------
    table
        One row per country x source with the columns of :data:`COLUMNS`: coverage of the
        four statistics (``flows_in``, ``flows_out``, ``stock_in``, ``stock_out``) as
        ``+``, ``+/-`` or ``-``, facts as option codes, ESS grades of the source's answers
        pooled over modules (``grade_<dimension>``, ``I`` for insufficient information), and
        ``not_answered`` (the questions left blank).
    facts
        One row per country x source x module x item behind the table (raw answer, cell).
    language
        Language of the documents written from it.
    """

    table: pd.DataFrame
    facts: pd.DataFrame
    language: str = "en"
    answer_languages: dict[str, str] = field(default_factory=dict)

    # -- views ---------------------------------------------------------------------------
    def matrix(self) -> pd.DataFrame:
        """Sources x statistics availability matrix (``+``, ``+/-``, ``-``)."""
        return self.table.set_index(["country", "source_id"])[list(STATISTICS)]

    def gaps(self) -> pd.DataFrame:
        """Best coverage per country x statistic over all its sources ('-' is a gap)."""
        ranks = self.table[["country", *STATISTICS]].copy()
        for stat in STATISTICS:
            ranks[stat] = ranks[stat].map(_RANK)
        best = ranks.groupby("country", sort=True).max()
        inverse = {v: k for k, v in _RANK.items()}
        return best.apply(lambda col: col.map(inverse))

    def producers(self) -> pd.DataFrame:
        """Who produces what: institution x statistic x source, with overlaps and gaps.

        Returns one row per country x statistic x source that covers it (``+`` or ``+/-``)
        and one row with an empty source for a statistic no source covers; ``finding`` is
        ``overlap`` when two or more institutions publish the statistic from different
        sources, ``gap`` when no one produces it, ``single`` otherwise.
        """
        rows = []
        for country, group in self.table.groupby("country", sort=True):
            for stat in STATISTICS:
                covering = group[group[stat].isin(["+", "+/-"])]
                institutions = {i for i in covering["institution"] if i}
                if covering.empty:
                    finding = "gap"
                elif len(institutions) > 1 and covering["source_id"].nunique() > 1:
                    finding = "overlap"
                else:
                    finding = "single"
                if covering.empty:
                    rows.append((country, stat, "", "", "", "-", finding))
                for r in covering.itertuples(index=False):
                    rows.append(
                        (
                            country,
                            stat,
                            r.institution,
                            r.source_id,
                            r.source_type,
                            getattr(r, stat),
                            finding,
                        )
                    )
        return pd.DataFrame(
            rows,
            columns=[
                "country",
                "statistic",
                "institution",
                "source_id",
                "source_type",
                "coverage",
                "finding",
            ],
        )

    # -- outputs -------------------------------------------------------------------------
    def labelled(self, lang: str | None = None) -> pd.DataFrame:
        """The table for people: option labels, headers in ``lang``, gaps said in words."""
        lang = T.check_language(lang or self.language)
        out = self.table.copy()
        not_answered = T.label("words", "not_answered", lang)
        for col, item in _FACT_ITEMS.items():
            rendered = []
            for country, value, missing in zip(
                out["country"], out[col], out["not_answered"], strict=True
            ):
                if not value:
                    rendered.append(not_answered if item in str(missing) else "")
                elif col == "name":
                    answer_lang = self.answer_languages.get(country, lang)
                    rendered.append(value if answer_lang == lang else f"{value} [{answer_lang}]")
                elif col in ("threshold_months", "timeliness_months") or " | " in value:
                    rendered.append(value)
                else:
                    rendered.append(T.render_answer(item, value, "answered", lang, "") or value)
            out[col] = rendered
        out["legal_basis"] = T.label("words", "not_asked", lang)
        out["coverage_note"] = [_render_notes(n, lang) for n in out["coverage_note"]]
        out["periodicity"] = [
            ", ".join(
                T.render_answer(item, v, "answered", lang, "") or v
                for item, v in (part.split("=", 1) for part in str(p).split("|") if "=" in part)
            )
            or not_answered
            for p in out["periodicity"]
        ]
        out["not_answered"] = [
            "; ".join(f"{i} {T.item_text(i, lang)}" for i in str(m).split("; ") if i)
            for m in out["not_answered"]
        ]
        names = {c: T.label("columns", c, lang) for c in out.columns if c in _header_keys()}
        for stat in STATISTICS:
            names[stat] = T.label("statistics", stat, lang)
        grade = T.label("columns", "grade", lang)
        for dim in DIMENSIONS:
            names[f"grade_{dim}"] = f"{dimension_label(dim, lang)} ({grade})"
        return out.rename(columns=names)

    def to_csv(self, path: str | Path) -> Path:
        """The table as UTF-8 CSV (codes, not labels: for programs)."""
        out = Path(path)
        out.parent.mkdir(parents=True, exist_ok=True)
        self.table.to_csv(out, index=False, lineterminator="\n")
        return out

    def to_excel(self, path: str | Path, lang: str | None = None) -> Path:
        """A workbook: the labelled inventory, the matrix, who produces what, the gaps."""
        import openpyxl
        from openpyxl.styles import Font, PatternFill

        from migdata._xlsx_bytes import save_workbook

        lang = T.check_language(lang or self.language)
        wb = openpyxl.Workbook()
        ws = wb.active
        ws.title = "inventory"
        sheets = [
            (ws, self.labelled(lang)),
            (wb.create_sheet("producers"), self.producers()),
            (wb.create_sheet("gaps"), self.gaps().reset_index()),
        ]
        fills = {
            "+": PatternFill("solid", fgColor="B7E1B0"),
            "+/-": PatternFill("solid", fgColor="FBE3A4"),
            "-": PatternFill("solid", fgColor="EEEEEE"),
        }
        for sheet, frame in sheets:
            if lang == "ar":
                sheet.sheet_view.rightToLeft = True
            sheet.append([str(c) for c in frame.columns])
            for cell in sheet[1]:
                cell.font = Font(bold=True)
            for row in frame.itertuples(index=False):
                sheet.append([_safe_cell(v) for v in row])
            for row in sheet.iter_rows(min_row=2):
                for cell in row:
                    if isinstance(cell.value, str) and cell.value in fills:
                        cell.fill = fills[cell.value]
            sheet.auto_filter.ref = sheet.dimensions
            sheet.freeze_panes = "A2"
            for col in sheet.columns:
                width = max(len(str(c.value or "")) for c in col[:200])
                sheet.column_dimensions[col[0].column_letter].width = min(max(width + 2, 8), 60)
        out = Path(path)
        out.parent.mkdir(parents=True, exist_ok=True)
        save_workbook(wb, out)
        return out

    def figure(self, lang: str | None = None) -> Any:
        """Matrix figure: sources x statistics, coloured by coverage, with accuracy grades.

        Labels are in the inventory's language, except Arabic: matplotlib does not shape
        Arabic script, so an Arabic inventory's figure is labelled in English.
        """
        import matplotlib.pyplot as plt
        from matplotlib.colors import ListedColormap

        lang = T.check_language(lang or self.language)
        if lang == "ar":
            lang = "en"
        t = self.table
        values = t[list(STATISTICS)].apply(lambda col: col.map(_RANK)).to_numpy(dtype=float)
        fig, ax = plt.subplots(figsize=(7.5, 2.4 + 0.42 * max(len(t), 1)))
        cmap = ListedColormap(["#eeeeee", "#fbe3a4", "#7cc46f"])
        ax.imshow(values, cmap=cmap, vmin=0, vmax=2, aspect="auto")
        for i, r in enumerate(t.itertuples(index=False)):
            for j, stat in enumerate(STATISTICS):
                mark = getattr(r, stat)
                grade = r.grade_accuracy if mark != "-" else ""
                ax.text(j, i, f"{mark}\n{grade}".strip(), ha="center", va="center", fontsize=8)
        ax.set_xticks(range(len(STATISTICS)))
        ax.set_xticklabels(
            [T.label("statistics", s, lang) for s in STATISTICS],
            rotation=20,
            ha="right",
            fontsize=8,
        )
        ax.set_yticks(range(len(t)))
        ax.set_yticklabels(
            [f"{c} {s}" for c, s in zip(t["country"], t["source_id"], strict=True)], fontsize=8
        )
        ax.set_title(
            T.label("titles", "matrix", lang)
            + "\n"
            + T.label("words", "legend", lang)
            + f" ({dimension_label('accuracy', lang)})",
            fontsize=9,
        )
        fig.tight_layout()
        return fig

    def to_html(self, path: str | Path | None = None, lang: str | None = None) -> str:
        """The inventory as a self-contained HTML page (matrix, table, producers, gaps)."""
        lang = T.check_language(lang or self.language)
        body = [self._matrix_html(lang), self._table_html(lang), self._producers_html(lang)]
        if self.table["country"].nunique() > 1:
            body.append(self._gaps_html(lang))
        text = T.page(T.label("titles", "inventory", lang), "\n".join(body), lang)
        if path is not None:
            T.write_text(path, text)
        return text

    def _matrix_html(self, lang: str) -> str:
        cls = {"+": "cov-plus", "+/-": "cov-part", "-": "cov-none"}
        header = [
            T.label("columns", "country", lang),
            T.label("columns", "source_id", lang),
            T.label("columns", "source_type", lang),
            *(T.label("statistics", s, lang) for s in STATISTICS),
        ]
        rows, classes = [], []
        labelled = self.labelled(lang)
        type_col = T.label("columns", "source_type", lang)
        for (_, r), lr in zip(self.table.iterrows(), labelled[type_col], strict=True):
            rows.append(
                [
                    T.esc(r["country"]),
                    T.esc(r["source_id"]),
                    T.esc(lr),
                    *(T.cell(r[s]) for s in STATISTICS),
                ]
            )
            classes.append(["", "", "", *(cls.get(r[s], "") for s in STATISTICS)])
        return (
            f"<h2>{T.esc(T.label('titles', 'matrix', lang))}</h2>"
            f"<p class='note'>{T.esc(T.label('words', 'legend', lang))}</p>"
            + T.table_html(rows, [T.esc(h) for h in header], classes=classes)
        )

    def _table_html(self, lang: str) -> str:
        """One card per source (field, answer): a wide table does not fit a page."""
        frame = self.labelled(lang)
        parts = [f"<h2>{T.esc(T.label('titles', 'inventory', lang))}</h2>"]
        for row in frame.itertuples(index=False):
            values = dict(zip(frame.columns, row, strict=True))
            head = f"{values[frame.columns[0]]} · {values[frame.columns[1]]}"
            rows = [[f"<b>{T.esc(k)}</b>", T.cell(v)] for k, v in list(values.items())[2:]]
            parts.append(f"<h3>{T.esc(head)}</h3>" + T.table_html(rows, ["", ""]))
        return "\n".join(parts)

    def _producers_html(self, lang: str) -> str:
        frame = self.producers()
        words = {k: T.label("words", k, lang) for k in ("overlap", "gap", "single")}
        rows, classes = [], []
        for r in frame.itertuples(index=False):
            rows.append(
                [
                    T.esc(r.country),
                    T.esc(T.label("statistics", r.statistic, lang)),
                    T.esc(r.institution),
                    T.esc(r.source_id),
                    T.cell(r.coverage),
                    T.esc(words[r.finding]),
                ]
            )
            cls = {"gap": "gap", "overlap": "overlap"}.get(r.finding, "")
            classes.append(["", "", "", "", "", cls])
        header = [
            T.label("columns", k, lang)
            for k in ("country", "statistic", "institution", "source_id", "coverage", "flag")
        ]
        return f"<h2>{T.esc(T.label('titles', 'producers', lang))}</h2>" + T.table_html(
            rows, [T.esc(h) for h in header], classes=classes
        )

    def _gaps_html(self, lang: str) -> str:
        gaps = self.gaps()
        cls = {"+": "cov-plus", "+/-": "cov-part", "-": "gap"}
        rows = [[T.esc(c), *(T.cell(v) for v in r)] for c, r in gaps.iterrows()]
        classes = [["", *(cls[v] for v in r)] for _, r in gaps.iterrows()]
        header = [
            T.label("columns", "country", lang),
            *(T.label("statistics", s, lang) for s in STATISTICS),
        ]
        return f"<h2>{T.esc(T.label('titles', 'gaps', lang))}</h2>" + T.table_html(
            rows, [T.esc(h) for h in header], classes=classes
        )

    def _repr_html_(self) -> str:
        return self._matrix_html(self.language)

    def __repr__(self) -> str:
        return (
            f"Inventory(countries={sorted(set(self.table['country']))}, "
            f"sources={len(self.table)}, language={self.language!r})"
        )


def _render_notes(notes: str, lang: str) -> str:
    """Coverage notes (``stat:reason[:modules]``) as a sentence in ``lang``."""
    out = []
    for note in filter(None, str(notes).split("; ")):
        stat, reason, *modules = note.split(":")
        where = f" ({modules[0]})" if modules and modules[0] else ""
        out.append(f"{T.label('statistics', stat, lang)}: {T.label('words', reason, lang)}{where}")
    return "; ".join(out)


def dimension_label(dimension: str, lang: str) -> str:
    """Name of an ESS quality dimension in ``lang`` (the glossary's term)."""
    for entry in T.data("glossary")["terms"]:
        if entry["id"] == dimension:
            return T.pick(entry["term"], lang)
    return dimension


def _header_keys() -> set[str]:
    return set(T.data("labels")["columns"])


def _safe_cell(value: Any) -> Any:
    """A cell value that a spreadsheet cannot execute (text starting like a formula)."""
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return None
    if (
        isinstance(value, str)
        and value[:1] in ("=", "+", "-", "@")
        and value not in ("+", "-", "+/-")
    ):
        return "'" + value
    return value


def source_inventory(answers: Any, lang: str = "en") -> Inventory:
    """Inventory of national migration data sources from returned questionnaires.

    Parameters
    ----------
    answers
        ``Answers`` (from :func:`migdata.read_answers`), workbook paths, a folder of
        returned workbooks, or a list of them (one inventory across countries: the
        secretariat's view, with :meth:`Inventory.gaps`).
    lang
        Language of the documents (``en``, ``fr``, ``pt``, ``ar``).

    Returns
    -------
    Inventory
        How coverage is decided: a statistic is ``-`` when the source has no block in the
        module that documents it (IMM immigration flows, EMI emigration flows, STK immigrant
        stock, NAB emigrant stock); ``+/-`` when it appears only in the residence-permit
        module (documents, not persons), when the source-type catalogue marks the statistic
        ``+/-`` or ``-`` (MIEUX matrix), or when the office answered that coverage is
        incomplete (COM.120); ``+`` otherwise. ``coverage_note`` says which rule applied.
        Missing answers are listed in ``not_answered``, never filled in.

    Examples
    --------
    >>> import pathlib, tempfile
    >>> from migdata.questionnaire import write_template
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> book = write_template(folder / "RWA.xlsx", lang="fr", country="RWA", sources=["census"])
    >>> inv = source_inventory(book)
    >>> inv.table[["country", "source_type", "flows_in", "flows_out"]].values.tolist()
    [['RWA', 'census', '+', '+/-']]
    """
    lang = T.check_language(lang)
    loaded = load_answers(answers)
    rows = answer_rows(loaded)
    catalogue = _catalogue()
    grades = {(r["country"], r["source_id"]): r for r in _grades(rows).to_dict("records")}
    src = rows[rows["source_id"] != ""]
    by_source: dict[tuple[str, str], dict[str, list[dict[str, Any]]]] = {}
    for answer in src.to_dict("records"):
        key = (answer["country"], answer["source_id"])
        by_source.setdefault(key, {}).setdefault(str(answer["item_id"]), []).append(answer)
    module_answers = {
        (answer["country"], answer["item_id"]): str(answer["value"])
        for answer in rows[(rows["source_id"] == "") & (rows["status"] == "answered")].to_dict(
            "records"
        )
    }
    records = []
    for (country, sid), by_item in sorted(by_source.items()):
        modules = {r["module"] for recs in by_item.values() for r in recs}
        rec: dict[str, Any] = {"country": country, "source_id": sid}
        missing: list[str] = []
        for col, item in _FACT_ITEMS.items():
            rec[col] = _fact_value(by_item.get(item), item, missing)
        complete = {r["module"]: str(r["value"]) for r in by_item.get("COM.120", [])}
        coverage, notes = _coverage(rec["source_type"], modules, complete, catalogue)
        rec.update(coverage)
        rec["coverage_note"] = "; ".join(notes)
        rec["institution"] = institution_of(rec["name"])
        rec["legal_basis"] = ""  # not asked in questionnaire version 1.0 (see the SIMS document)
        rec["modules"] = ", ".join(_module_sort(modules))
        rec["periodicity"] = _periodicity(country, modules, module_answers)
        for dim in DIMENSIONS:
            rec[f"grade_{dim}"] = grades.get((country, sid), {}).get(dim, "")
        rec["not_answered"] = "; ".join(sorted(set(missing)))
        records.append(rec)
    table = pd.DataFrame(records, columns=COLUMNS)
    for col in table.columns:
        table[col] = table[col].astype("string").fillna("")
    facts = src[
        [
            "country",
            "source_id",
            "module",
            "item_id",
            "raw",
            "value",
            "status",
            "sheet",
            "cell",
            "language",
        ]
    ].reset_index(drop=True)
    return Inventory(
        table=table.reset_index(drop=True),
        facts=facts,
        language=lang,
        answer_languages={a.country: a.language for a in loaded},
    )


def _fact_value(recs: list[dict[str, Any]] | None, item: str, missing: list[str]) -> str:
    """The answer to ``item`` across the source's modules ('' and noted when unanswered)."""
    answered = [r for r in recs or [] if r["status"] == "answered" and str(r["value"])]
    if not answered:
        missing.append(item)
        return ""
    answered.sort(
        key=lambda r: MODULE_ORDER.index(r["module"]) if r["module"] in MODULE_ORDER else 99
    )
    distinct = list(dict.fromkeys(str(r["value"]) for r in answered))
    if len(distinct) == 1:
        return distinct[0]
    # Answered differently in different modules: keep each, with its module.
    return " | ".join(f"{r['module']}: {r['value']}" for r in answered)


def _periodicity(country: str, modules: set[str], answers: dict[tuple[str, str], str]) -> str:
    """Frequency answers (item M.020 where it asks the frequency) of the source's modules."""
    from migdata.questionnaire import bank

    parts = []
    for module in _module_sort(modules):
        item = f"{module}.020"
        try:
            it = bank.get_item(item)
        except KeyError:
            continue
        if it.options_set == "frequency" and (country, item) in answers:
            parts.append(f"{item}={answers[(country, item)]}")
    return "|".join(parts)
