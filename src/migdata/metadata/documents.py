"""Write the metadata documents of a set of returned questionnaires to a folder.

The entry point of ``migdata metadata`` and of a project run that asks for the documents:
one call, every document from the same answers.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from migdata.errors import InputError
from migdata.metadata import _text as T

DOCUMENTS = ("inventory", "sims", "glossary", "catalogue")
_FILES = {
    "inventory": ("inventory.html", "inventory.xlsx", "inventory.csv", "inventory_matrix.png"),
    "sims": ("sims.html", "sims_esms.html", "sims_esqrs.html", "sims.csv", "sims.xml"),
    "glossary": ("glossary.html", "glossary.xlsx", "glossary.csv"),
    "catalogue": ("catalogue.html", "catalogue.xlsx", "catalogue.csv"),
}


def write_documents(
    answers: Any,
    out: str | Path,
    *,
    documents: Sequence[str] = DOCUMENTS,
    lang: str = "en",
    prepared: datetime | None = None,
    force: bool = False,
) -> list[Path]:
    """Write the requested documents of the answers into ``out``; returns the files.

    Parameters
    ----------
    answers
        ``Answers``, workbook paths or folders (not needed for the glossary alone: pass
        ``None``).
    out
        Folder to write into (created).
    documents
        Any of ``inventory``, ``sims``, ``glossary``, ``catalogue``.
    lang
        Language of the documents.
    prepared
        Time stamp of the SDMX-ML message (default: now); a project run passes a fixed one
        so identical inputs give identical files.
    force
        Replace files that already exist (otherwise an ``InputError`` lists them).

    Examples
    --------
    >>> import tempfile
    >>> files = write_documents(None, tempfile.mkdtemp(), documents=["glossary"], lang="pt")
    >>> sorted(f.name for f in files)
    ['glossary.csv', 'glossary.html', 'glossary.xlsx']
    """
    from migdata.metadata.inventory import load_answers, source_inventory
    from migdata.metadata.sims import sims_report
    from migdata.metadata.terms import glossary, indicator_catalogue

    lang = T.check_language(lang)
    unknown = [d for d in documents if d not in DOCUMENTS]
    if unknown:
        raise InputError(
            f"unknown document(s) {', '.join(unknown)}: expected {', '.join(DOCUMENTS)}"
        )
    folder = Path(out)
    planned = [folder / name for d in documents for name in _FILES[d]]
    existing = [p for p in planned if p.exists()]
    if existing and not force:
        raise InputError(
            "would overwrite "
            + ", ".join(str(p) for p in existing)
            + " (use force=True / --force to replace them)",
            file=str(folder),
        )
    needs_answers = {"inventory", "sims"} & set(documents)
    loaded = load_answers(answers) if answers is not None else []
    if needs_answers and not loaded:
        raise InputError(f"the {', '.join(sorted(needs_answers))} document(s) need answers")
    folder.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    inventory = source_inventory(loaded, lang=lang) if loaded else None
    if "inventory" in documents and inventory is not None:
        inventory.to_html(folder / "inventory.html")
        inventory.to_excel(folder / "inventory.xlsx")
        inventory.to_csv(folder / "inventory.csv")
        fig = inventory.figure()
        fig.savefig(folder / "inventory_matrix.png", dpi=100, metadata={"Software": None})
        import matplotlib.pyplot as plt

        plt.close(fig)
        written += [folder / n for n in _FILES["inventory"]]
    if "sims" in documents:
        report = sims_report(loaded, lang=lang)
        report.to_html(folder / "sims.html")
        for selection in ("esms", "esqrs"):
            report.select(selection).to_html(folder / f"sims_{selection}.html")
        report.table.to_csv(folder / "sims.csv", index=False, lineterminator="\n")
        report.to_sdmx_ml(folder / "sims.xml", prepared=prepared)
        written += [folder / n for n in _FILES["sims"]]
    if "glossary" in documents:
        g = glossary(lang, all_languages=True)
        g.to_html(folder / "glossary.html")
        g.to_excel(folder / "glossary.xlsx")
        g.to_csv(folder / "glossary.csv")
        written += [folder / n for n in _FILES["glossary"]]
    if "catalogue" in documents:
        c = indicator_catalogue(lang, inventory)
        c.to_html(folder / "catalogue.html")
        c.to_excel(folder / "catalogue.xlsx")
        c.to_csv(folder / "catalogue.csv")
        written += [folder / n for n in _FILES["catalogue"]]
    return written
