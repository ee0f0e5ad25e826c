"""Tests of score and score_folder (migdata.quality.score) on the real item bank."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from quality_helpers import synthetic_answers

from migdata.errors import ConfigurationError, InputError
from migdata.quality.score import score, score_folder
from migdata.questionnaire import bank
from migdata.questionnaire._layout import sheet_name
from migdata.sources.profile import SourceProfile


@dataclass
class FakeAnswers:
    """Stands in for questionnaire.Answers: the attributes the contract names."""

    country: str
    table: pd.DataFrame
    problems: pd.DataFrame = field(default_factory=pd.DataFrame)
    language: str = "en"

    def profiles(self) -> list[SourceProfile]:
        return [
            SourceProfile(
                source_id=f"{self.country}-REG",
                country=self.country,
                source_type="population_register",
                measures=["IMM", "EMI"],
                registration={"obligation": "no"},
                deregistration={"obligation": "yes", "administrative_corrections": "no"},
            )
        ]


def test_score_real_bank_every_country_module_dimension() -> None:
    """Scoring a table over the real bank gives 6 dimensions per country x module, all in [0, 1]."""
    table = synthetic_answers(bank.items(), ("RWA", "KEN"), seed=1)
    p = score(table)
    assert p.countries == ["KEN", "RWA"]
    assert p.modules == ["STK", "IMM", "EMI", "NAB", "RP", "ALL"]
    assert len(p.scores) == 2 * 6 * 6
    finite = p.scores["score"].dropna()
    assert ((finite >= 0) & (finite <= 1)).all()
    assert set(p.scores["grade"].dropna()) <= {"A", "B", "C", "D", "I"}
    assert p.problems.empty and len(p.explanation) > 0
    # Register items answered yes/no give undercount sub-scores for each source.
    assert set(p.undercount["source_id"]) <= set(table["source_id"])


def test_score_answers_objects_use_source_facts() -> None:
    """Answers objects are scored together; undercount comes from their SourceProfiles."""
    items = bank.items()
    a = FakeAnswers("RWA", synthetic_answers(items, ("RWA",), seed=2))
    b = FakeAnswers(
        "KEN",
        synthetic_answers(items, ("KEN",), seed=3),
        problems=pd.DataFrame(
            {
                "sheet": ["IMM"],
                "cell": ["D9"],
                "item_id": ["IMM.010"],
                "value": ["x"],
                "message": ["expected a choice"],
            }
        ),
    )
    p = score([a, b])
    assert p.countries == ["KEN", "RWA"]
    assert p.undercount["source_id"].tolist() == ["KEN-REG", "RWA-REG"]
    assert p.undercount["u_I"].tolist() == [1.0, 1.0]
    assert p.undercount["u_E"].tolist() == pytest.approx([1 - 0.5 / 0.8] * 2)
    assert p.problems["country"].tolist() == ["KEN"]
    with pytest.raises(InputError, match="expected Answers"):
        score([a, 42])


def test_score_folder_reports_unreadable_files(tmp_path: Path) -> None:
    """A broken file is listed as failed with its message; the others are still scored."""
    items = bank.items()
    tables = {
        "a_rwa.xlsx": synthetic_answers(items, ("RWA",), seed=4),
        "b_ken.xlsx": synthetic_answers(items, ("KEN",), seed=5),
        "c_rwa_again.xlsx": synthetic_answers(items, ("RWA",), seed=6),
    }
    for name in (*tables, "d_broken.xlsx"):
        (tmp_path / name).write_text("placeholder")
    (tmp_path / "~$a_rwa.xlsx").write_text("Excel lock file")
    (tmp_path / "notes.txt").write_text("ignored")

    def reader(path: Path) -> FakeAnswers:
        if path.name not in tables:
            raise InputError("not an Excel workbook (zip archive expected)", file=str(path))
        t = tables[path.name]
        return FakeAnswers(str(t["country"].iloc[0]), t)

    p = score_folder(tmp_path, reader=reader)
    files = p.files.assign(file=p.files["file"].map(lambda f: Path(f).name))
    assert files["status"].tolist() == ["scored", "scored", "skipped", "failed"]
    assert "not an Excel workbook" in files["message"].iloc[3]
    assert "already scored" in files["message"].iloc[2]
    assert p.countries == ["KEN", "RWA"]
    assert p.problems["message"].str.contains("file not read").sum() == 1
    with pytest.raises(ConfigurationError):
        score_folder(tmp_path / "nowhere")


@settings(max_examples=10)  # each example scores two countries over the whole bank
@given(st.integers(0, 10_000), st.integers(0, 10_000))
def test_property_real_bank_bounds_and_monotone(seed: int, pick: int) -> None:
    """Over the real bank: scores stay in [0, 1] and raising one level never lowers a score."""
    table = synthetic_answers(bank.items(), ("RWA", "KEN"), seed=seed, sources=1)
    before = score(table).scores
    finite = before["score"].dropna()
    assert ((finite >= 0) & (finite <= 1)).all()
    candidates = np.flatnonzero(table["level"].fillna(3).to_numpy() < 3)
    k = candidates[pick % candidates.size]
    raised = table.copy()
    raised.loc[k, "level"] = table.loc[k, "level"] + 1
    after = score(raised).scores
    assert (after["score"].fillna(-1) >= before["score"].fillna(-1) - 1e-12).all()


def test_score_folder_end_to_end_with_real_workbooks(tmp_path: Path) -> None:
    """Workbooks written by write_template and filled are read and scored; a fake one fails."""
    import openpyxl

    from migdata.questionnaire.template import write_template

    for country, lang in (("RWA", "fr"), ("KEN", "en")):
        path = write_template(tmp_path / f"{country}.xlsx", lang=lang, country=country)
        wb = openpyxl.load_workbook(path)
        ws = wb[sheet_name("IMM", lang)]
        for row in range(4, ws.max_row + 1):
            key = ws.cell(row, 7).value or ""
            if key.endswith("|IMM.020"):  # frequency of immigration figures
                first = bank.options().query("item_id == 'IMM.020'").iloc[0]
                ws.cell(row, 4).value = first[f"label_{lang}"]
        wb.save(path)
    (tmp_path / "broken.xlsx").write_bytes(b"PK\x03\x04 not really a zip")
    p = score_folder(tmp_path)
    status = dict(zip(p.files["file"].map(lambda f: Path(f).name), p.files["status"], strict=True))
    assert status == {"KEN.xlsx": "scored", "RWA.xlsx": "scored", "broken.xlsx": "failed"}
    assert p.countries == ["KEN", "RWA"]
    level = bank.options().query("item_id == 'IMM.020'")["level"].iloc[0]
    explained = p.explain("RWA", "IMM").query("item_id == 'IMM.020'")
    assert (explained["level"] == level).all() and len(explained) > 0
