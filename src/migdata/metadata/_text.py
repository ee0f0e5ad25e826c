"""Texts, answer rendering and the HTML page shared by the metadata documents.

The documents are written in one of the four working languages; coded answers are shown
with the item bank's option labels in that language, free text keeps the respondent's words
marked with the language they were typed in.
"""

from __future__ import annotations

import html
from collections.abc import Iterable, Mapping
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from migdata.errors import InputError

LANGUAGES = ("en", "fr", "pt", "ar")
_DATA = Path(__file__).resolve().parents[1] / "data" / "metadata"


@cache
def data(name: str) -> Any:
    """The bundled data file ``migdata/data/metadata/<name>.yaml``."""
    with open(_DATA / f"{name}.yaml", encoding="utf-8") as fh:
        return yaml.safe_load(fh)


def check_language(lang: str) -> str:
    """``lang`` if it is one of the four working languages, else an InputError."""
    if lang not in LANGUAGES:
        raise InputError(
            f"language {lang!r} is not one of the document languages {', '.join(LANGUAGES)}",
            value=lang,
        )
    return lang


def pick(mapping: Mapping[str, str] | None, lang: str) -> str:
    """The text of ``mapping`` in ``lang``, English when the language is missing."""
    if not mapping:
        return ""
    return str(mapping.get(lang) or mapping.get("en") or "")


def label(group: str, key: str, lang: str) -> str:
    """A document label (``labels.yaml``: group ``columns``, ``titles``, ``words``, ...)."""
    entry = data("labels").get(group, {}).get(key)
    return pick(entry, lang) if entry else key


def item_text(item_id: str, lang: str) -> str:
    """The question text of a bank item in ``lang``."""
    from migdata.questionnaire import bank

    return pick(bank.get_item(item_id).text, lang)


def render_answer(item_id: str, value: Any, status: str, lang: str, answer_lang: str) -> str | None:
    """An answer as a person reads it in ``lang``; None when the item was not answered.

    Coded answers (choice, multiple) take the option labels of the requested language; a
    "not applicable" or "don't know" answer is said so; free text keeps the respondent's
    words, followed by ``[xx]`` when typed in another language than ``lang``.
    """
    from migdata.questionnaire import bank

    if status == "not_applicable":
        return label("words", "not_applicable", lang)
    if status == "dont_know":
        return label("words", "dont_know", lang)
    if status != "answered" or value is None or str(value) == "":
        return None
    it = bank.get_item(item_id)
    text = str(value)
    if it.type in ("choice", "multiple") and it.options:
        by_code = {o.code: o for o in it.options}
        parts = []
        for code in text.split(";"):
            opt = by_code.get(code)
            parts.append(pick(opt.labels, lang) if opt is not None else code)
        return ", ".join(p for p in parts if p)
    if it.type == "text" and answer_lang and answer_lang != lang:
        return f"{text} [{answer_lang}]"
    return text


_CSS = """
body{font-family:"Noto Sans","DejaVu Sans",Arial,sans-serif;margin:1.5rem auto;max-width:75rem;
 padding:0 1rem;color:#1b1b1b;line-height:1.4}
h1{font-size:1.5rem}h2{font-size:1.2rem;margin-top:2rem;border-bottom:1px solid #ccc}
table{border-collapse:collapse;margin:.5rem 0 1rem;font-size:.9rem}
th,td{border:1px solid #bbb;padding:.25rem .45rem;vertical-align:top;text-align:start}
th{background:#eef2f6}
.scroll{overflow-x:auto;max-width:100%}
.cov-plus{background:#b7e1b0}.cov-part{background:#fbe3a4}.cov-none{background:#eeeeee;color:#666}
.gap{background:#f6b8b8;font-weight:bold}.overlap{background:#fbe3a4}
.missing{color:#8a1c1c}.note{color:#555;font-size:.85rem}
.concept-code{white-space:nowrap;color:#555}
@media print{@page{size:A4;margin:15mm}body{max-width:none;margin:0;font-size:10pt}
 .scroll{overflow:visible}h2{break-after:avoid}tr{break-inside:avoid}}
"""


def page(title: str, body: str, lang: str) -> str:
    """A self-contained HTML page (print stylesheet for A4; right to left in Arabic)."""
    direction = "rtl" if lang == "ar" else "ltr"
    return (
        f'<!DOCTYPE html>\n<html lang="{lang}" dir="{direction}">\n<head>\n'
        f'<meta charset="utf-8">\n<meta name="viewport" content="width=device-width, '
        f'initial-scale=1">\n<title>{html.escape(title)}</title>\n<style>{_CSS}</style>\n'
        f"</head>\n<body>\n<h1>{html.escape(title)}</h1>\n"
        f'<p class="note">{html.escape(label("words", "generated", lang))}</p>\n'
        f"{body}\n</body>\n</html>\n"
    )


def table_html(
    rows: Iterable[Iterable[str]],
    header: Iterable[str],
    *,
    classes: Iterable[Iterable[str]] | None = None,
) -> str:
    """An HTML table of already escaped cells (wrapped so wide tables scroll)."""
    header = list(header)
    head = "".join(f"<th>{h}</th>" for h in header)
    body = []
    class_rows = list(classes) if classes is not None else None
    for i, row in enumerate(rows):
        cells = []
        for j, cell in enumerate(row):
            cls = class_rows[i][j] if class_rows is not None else ""  # type: ignore[index]
            attr = f' class="{cls}"' if cls else ""
            cells.append(f"<td{attr}>{cell}</td>")
        body.append("<tr>" + "".join(cells) + "</tr>")
    thead = f"<thead><tr>{head}</tr></thead>" if any(header) else ""
    return f'<div class="scroll"><table>{thead}<tbody>{"".join(body)}</tbody></table></div>'


def esc(value: Any) -> str:
    """HTML-escaped text of a cell ('' for missing values)."""
    if isinstance(value, str):
        return html.escape(value)
    if value is None:
        return ""
    try:
        import pandas as pd

        if pd.isna(value):
            return ""
    except (TypeError, ValueError):
        pass
    return html.escape(str(value))


def cell(value: Any) -> str:
    """An escaped cell isolated from the page direction (``+/-`` stays ``+/-`` in Arabic)."""
    text = esc(value)
    if not text:
        return ""
    if not any(ch.isalpha() for ch in text):
        return f'<bdi dir="ltr">{text}</bdi>'
    return f"<bdi>{text}</bdi>"


def write_text(path: str | Path, text: str) -> Path:
    """Write ``text`` (UTF-8) to ``path``, creating its folder; returns the path."""
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text, encoding="utf-8")
    return out
