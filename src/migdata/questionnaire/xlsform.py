"""XLSForm export of the item bank, for ODK Collect and KoboToolbox.

One group per module; the per-source items in a repeat (``STK_sources``) so an office adds
as many sources as it has. Names: ``STK_010`` for module items, ``STK_COM_010`` inside the
repeat; :func:`read_answers` reads the CSV export by these names.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from openpyxl import Workbook

from migdata._checks import public
from migdata._xlsx_bytes import save_workbook
from migdata.errors import ConfigurationError
from migdata.questionnaire import bank

__all__ = ["to_xlsform"]

_TYPES = {"number": "integer", "months": "decimal", "date": "date", "text": "text"}


def _name(module: str, item: bank.Item) -> str:
    if item.per_source:
        return f"{module}_COM_{item.id.split('.')[1]}"
    return item.id.replace(".", "_")


def _relevant(module: str, item: bank.Item) -> str:
    if item.applies_if is None:
        return ""

    def one(name: str, op: str, values: tuple[bank.Value, ...]) -> str:
        target = bank.get_item(name)
        ref = "${" + _name(module, target) + "}"

        def lit(v: bank.Value) -> str:
            return str(v) if isinstance(v, float) else f"'{v}'"

        if target.type == "multiple":
            parts = " or ".join(f"selected({ref}, '{v}')" for v in values)
            return f"not({parts})" if op in ("!=", "not in") else f"({parts})"
        if op in ("in", "not in"):
            parts = " or ".join(f"{ref} = {lit(v)}" for v in values)
            return f"not({parts})" if op == "not in" else f"({parts})"
        xop = {"==": "=", "!=": "!="}.get(op, op)
        return f"{ref} {xop} {lit(values[0])}"

    return item.applies_if.render(one)


@public
def to_xlsform(path: str | Path, lang: str = "en") -> Path:
    """Write the item bank as an XLSForm (survey, choices and settings sheets).

    Labels and hints are given in the four languages (``label::English (en)`` ...);
    ``lang`` is the form's default language. Choice lists carry "not applicable" and "don't
    know"; number, date and text questions are optional (left empty when unknown).

    Examples
    --------
    >>> import tempfile
    >>> from pyxform.xls2xform import convert
    >>> out = to_xlsform(tempfile.mkdtemp() + "/form.xlsx", lang="fr")
    >>> "<h:title>" in convert(xlsform=str(out)).xform
    True
    """
    if lang not in bank.LANGUAGES:
        raise ConfigurationError(f"language {lang!r}; expected one of {bank.LANGUAGES}")
    labels = bank.labels()
    names = {code: f"{name} ({code})" for code, name in labels["languages"].items()}
    label_cols = [f"label::{names[code]}" for code in bank.LANGUAGES]
    hint_cols = [f"hint::{names[code]}" for code in bank.LANGUAGES]
    survey: list[list[Any]] = []
    choices: list[list[Any]] = []
    special = labels["special"]

    def row(
        typ: str,
        name: str,
        label: dict[str, str] | None = None,
        hint: Any = None,
        relevant: str = "",
        calculation: str = "",
        required: str = "",
    ) -> None:
        survey.append(
            [typ, name]
            + [(label or {}).get(code, "") for code in bank.LANGUAGES]
            + [(hint or {}).get(code, "") for code in bank.LANGUAGES]
            + [relevant, calculation, required]
        )

    country_label = labels["ui"]["country"]
    row(
        "text",
        "country",
        country_label,
        {c: "ISO 3166 alpha-3 (RWA, KEN, ...)" for c in bank.LANGUAGES},
        required="yes",
    )
    row("calculate", "bank_version", calculation=f"'{bank.bank_version()}'")
    row("calculate", "language", calculation=f"'{lang}'")
    lists_done: set[str] = set()

    def add_item(module: str, it: bank.Item) -> None:
        name = _name(module, it)
        if it.type in ("choice", "multiple"):
            list_name = f"l_{it.id.replace('.', '_')}"
            if list_name not in lists_done:
                lists_done.add(list_name)
                for opt in it.options:
                    choices.append([list_name, opt.code] + [opt.labels[c] for c in bank.LANGUAGES])
                for code in ("na", "dk"):
                    choices.append([list_name, code] + [special[code][c] for c in bank.LANGUAGES])
            typ = f"{'select_one' if it.type == 'choice' else 'select_multiple'} {list_name}"
        else:
            typ = _TYPES[it.type]
        row(typ, name, dict(it.text), dict(it.help), relevant=_relevant(module, it))

    for module in bank.MODULES:
        mod_items, common = bank.module_items(module)
        row(
            "begin_group",
            module,
            {c: f"{module}: {labels['modules'][module][c]}" for c in bank.LANGUAGES},
        )
        for it in mod_items:
            add_item(module, it)
        row(
            "begin_repeat",
            f"{module}_sources",
            {c: f"{module}: {labels['ui']['source_header'][c].split()[0]}" for c in bank.LANGUAGES},
        )
        for it in common:
            add_item(module, it)
        row("end_repeat", "")
        row("end_group", "")

    wb = Workbook()
    ws = wb.active
    ws.title = "survey"
    ws.append(["type", "name", *label_cols, *hint_cols, "relevant", "calculation", "required"])
    for r in survey:
        ws.append(r)
    wc = wb.create_sheet("choices")
    wc.append(["list_name", "name", *label_cols])
    for r in choices:
        wc.append(r)
    st = wb.create_sheet("settings")
    st.append(["form_title", "form_id", "version", "default_language"])
    st.append(
        [labels["ui"]["title"][lang], "comesa_migration_metadata", bank.bank_version(), names[lang]]
    )
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    save_workbook(wb, out)
    return out
