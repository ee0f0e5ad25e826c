"""Feedback files for the members of a secretariat project, in the member's language.

``feedback/<ISO3>.csv`` lists every problem row by row (file, row or cell, column, value,
problem) with column names in the member's questionnaire language; ``feedback/<ISO3>.txt`` is
a short letter saying which files were merged and which were not. The problem messages come
from the validators and are in English; the headers and the letter are translated.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

__all__ = ["write_feedback"]

_TEXT: dict[str, dict[str, str]] = {
    "file": {"en": "file", "fr": "fichier", "pt": "ficheiro", "ar": "الملف"},
    "row": {
        "en": "row or cell",
        "fr": "ligne ou cellule",
        "pt": "linha ou célula",
        "ar": "السطر أو الخلية",
    },
    "column": {
        "en": "column or item",
        "fr": "colonne ou question",
        "pt": "coluna ou pergunta",
        "ar": "العمود أو البند",
    },
    "value": {"en": "value", "fr": "valeur", "pt": "valor", "ar": "القيمة"},
    "message": {"en": "problem", "fr": "problème", "pt": "problema", "ar": "المشكلة"},
    "title": {
        "en": "Feedback on the files received from {member}",
        "fr": "Retour sur les fichiers reçus de {member}",
        "pt": "Comentários sobre os ficheiros recebidos de {member}",
        "ar": "ملاحظات حول الملفات الواردة من {member}",
    },
    "merged": {
        "en": "accepted and merged into the regional bundle",
        "fr": "accepté et intégré au jeu de données régional",
        "pt": "aceite e integrado no conjunto de dados regional",
        "ar": "مقبول ومدمج في الحزمة الإقليمية",
    },
    "rejected": {
        "en": "NOT merged: please correct the problems listed and send the file again",
        "fr": "NON intégré : veuillez corriger les problèmes signalés et renvoyer le fichier",
        "pt": "NÃO integrado: corrija os problemas indicados e envie o ficheiro de novo",
        "ar": "لم يُدمج: يرجى تصحيح المشكلات المذكورة وإعادة إرسال الملف",
    },
    "workbook": {
        "en": "questionnaire read",
        "fr": "questionnaire lu",
        "pt": "questionário lido",
        "ar": "تمت قراءة الاستبيان",
    },
    "problems": {
        "en": "{n} problem(s), row by row in {csv} (messages in English)",
        "fr": "{n} problème(s), ligne par ligne dans {csv} (messages en anglais)",
        "pt": "{n} problema(s), linha a linha em {csv} (mensagens em inglês)",
        "ar": "{n} مشكلة، سطرًا بسطر في {csv} (الرسائل بالإنجليزية)",
    },
    "none": {
        "en": "No problem found.",
        "fr": "Aucun problème constaté.",
        "pt": "Nenhum problema encontrado.",
        "ar": "لم يتم العثور على أي مشكلة.",
    },
}


def _t(key: str, lang: str) -> str:
    return _TEXT[key].get(lang, _TEXT[key]["en"])


def write_feedback(checks: list[Any], folder: Path, default_language: str = "en") -> list[Path]:
    """Write ``<ISO3>.csv`` and ``<ISO3>.txt`` for every member with a submitted file."""
    folder.mkdir(parents=True, exist_ok=True)
    by_member: dict[str, list[Any]] = {}
    for c in checks:
        by_member.setdefault(c.member or "unknown", []).append(c)
    written = []
    for member, items in sorted(by_member.items()):
        lang = next((c.language for c in items if c.language), default_language)
        problems = pd.concat([c.problems for c in items] or [pd.DataFrame()], ignore_index=True)
        columns = ["file", "row", "column", "value", "message"]
        problems = problems.reindex(columns=columns)
        csv = folder / f"{member}.csv"
        problems.rename(columns={c: _t(c, lang) for c in columns}).to_csv(
            csv, index=False, lineterminator="\n"
        )
        lines = [_t("title", lang).format(member=member), ""]
        for c in items:
            if c.kind == "workbook":
                status = _t("workbook", lang)
            else:
                status = _t("merged", lang) if c.ok else _t("rejected", lang)
            lines.append(f"- {c.file}: {status}")
            if len(c.problems):
                lines.append("  " + _t("problems", lang).format(n=len(c.problems), csv=csv.name))
        if not len(problems):
            lines += ["", _t("none", lang)]
        txt = folder / f"{member}.txt"
        txt.write_text("\n".join(lines) + "\n", encoding="utf-8")
        written += [csv, txt]
    return written
