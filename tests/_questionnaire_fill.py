"""Test helper: fill a questionnaire template with generated answers (not a test module)."""

from __future__ import annotations

import random
from datetime import date, datetime
from pathlib import Path
from typing import Any

import openpyxl

from migdata.questionnaire import bank
from migdata.questionnaire._layout import KEY_RE, META_SHEET


def meta_rows(wb: Any) -> list[tuple[str, int, str]]:
    """(sheet, row, key) of every row recorded in the hidden metadata sheet."""
    out = []
    for row in wb[META_SHEET].iter_rows(values_only=True):
        if len(row) >= 3 and isinstance(row[1], int) and row[2]:
            out.append((str(row[0]), int(row[1]), str(row[2])))
    return out


def fill(path: Path, lang: str, rng: random.Random) -> dict[tuple[str, str, str], tuple[str, str]]:
    """Write random valid answers; return (module, source, item) -> (status, value)."""
    wb = openpyxl.load_workbook(path)
    labels = bank.labels()
    yes, no = (o[lang] for o in labels["option_sets"]["yes_no"])
    special = {
        "not_applicable": labels["special"]["na"][lang],
        "dont_know": labels["special"]["dk"][lang],
    }
    expected: dict[tuple[str, str, str], tuple[str, str]] = {}
    rows = meta_rows(wb)
    option_rows = {key: (sheet, r) for sheet, r, key in rows if "#" in key.split("|")[2][1:]}
    for sheet, r, key in rows:
        m = KEY_RE.match(key)
        assert m
        if m["item"] == "#source" or m["option"]:
            continue
        it = bank.get_item(m["item"])
        ws = wb[sheet]
        cell = ws.cell(r, 4)
        k = (m["module"], m["source"], it.id)
        roll = rng.random()
        if roll < 0.12:
            cell.value = None
            expected[k] = ("blank", "")
            continue
        if roll < 0.22:
            status = rng.choice(list(special))
            cell.value = special[status]
            expected[k] = (status, "")
            continue
        if it.type == "choice":
            opt = rng.choice(it.options)
            cell.value = opt.labels[lang]
            expected[k] = ("answered", opt.code)
        elif it.type == "multiple":
            cell.value = None
            ticked = []
            for opt in it.options:
                _, rr = option_rows[f"{key}#{opt.code}"]
                pick = rng.random() < 0.5
                ws.cell(rr, 4).value = yes if pick else no
                if pick:
                    ticked.append(opt.code)
            expected[k] = ("answered", ";".join(ticked))
        elif it.type == "months":
            x = rng.choice([0, 3, 6, 12, 24, 60, 1.5, 9.5])
            cell.value = x
            expected[k] = ("answered", str(int(x)) if float(x).is_integer() else str(x))
        elif it.type == "number":
            x = rng.randint(0, 2030)
            cell.value = x
            expected[k] = ("answered", str(x))
        elif it.type == "date":
            d = date(rng.randint(1990, 2030), rng.randint(1, 12), rng.randint(1, 28))
            cell.value = datetime(d.year, d.month, d.day)
            expected[k] = ("answered", d.isoformat())
        else:
            text = rng.choice(["Recensement 2022", "سجل السكان", "Registo civil", "INS/NISR"])
            cell.value = text
            expected[k] = ("answered", text)
    wb.save(path)
    return expected
