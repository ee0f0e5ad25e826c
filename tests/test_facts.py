"""Tests of answers -> SourceProfile facts."""

from __future__ import annotations

from pathlib import Path

import openpyxl
from _questionnaire_fill import meta_rows

from migdata.questionnaire.answers import read_answers
from migdata.questionnaire.template import write_template


def test_profile_from_workbook(tmp_path: Path) -> None:
    """Answers with `writes` set the profile fields of their source."""
    path = write_template(
        tmp_path / "q.xlsx",
        lang="fr",
        country="RWA",
        sources=["population_register:Registre national"],
    )
    wb = openpyxl.load_workbook(path)
    keys = {k: (s, r) for s, r, k in meta_rows(wb)}
    sid = "RWA-population_register"
    answers = {
        f"IMM|{sid}|COM.060": "6 mois",
        f"IMM|{sid}|COM.070": "Règle d'inscription dans un registre",
        f"IMM|{sid}|COM.300": "Oui",
        f"IMM|{sid}|COM.330": "Ne sait pas",
        f"IMM|{sid}|COM.180": "Oui",
        f"IMM|{sid}|COM.181": 2012,
        f"EMI|{sid}|COM.110#nationals": "Oui",
        f"EMI|{sid}|COM.110#foreigners": "Non",
    }
    for key, value in answers.items():
        s, r = keys[key]
        wb[s].cell(r, 4).value = value
    wb.save(path)
    ans = read_answers(path)
    (p,) = [p for p in ans.profiles() if p.source_id == sid]
    assert p.source_type == "population_register" and p.name == "Registre national"
    assert p.threshold_months == 6.0 and p.threshold_basis == "registration_rule"
    assert p.registration["obligation"] == "yes"
    assert p.deregistration["obligation"] == "unknown"
    assert p.coverage == ["nationals"]
    assert p.breaks[0]["year"] == 2012
    assert {"IMM", "EMI", "STK"} <= set(p.measures)
    assert "RWA" in ans._repr_html_()


def test_faulty_answer_costs_only_that_answer() -> None:
    """A break described without its year drops that answer, not the source's profile."""
    import warnings

    import pandas as pd

    from migdata.questionnaire.facts import profiles

    t = pd.DataFrame(
        {
            "country": ["RWA"] * 4,
            "module": ["IMM"] * 4,
            "source_id": ["RWA-REG"] * 4,
            "item_id": ["COM.010", "COM.060", "COM.300", "COM.182"],
            "value": ["population_register", "6", "yes", "new method"],
            "status": ["answered"] * 4,
        }
    )
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        (p,) = profiles(t)
    assert p.threshold_months == 6.0 and p.registration == {"obligation": "yes"}
    assert p.breaks == []
    assert any("COM.182" in str(w.message) for w in caught)
