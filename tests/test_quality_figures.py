"""Tests of the quality heatmap and report pages (migdata.quality.figures, .report, .cli)."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from matplotlib.figure import Figure
from quality_helpers import synthetic_answers

from migdata.errors import ConfigurationError
from migdata.quality.figures import heatmap
from migdata.quality.profile import QualityProfile
from migdata.quality.report import country_report, write_reports
from migdata.quality.score import score
from migdata.questionnaire import bank


@pytest.fixture(scope="module")
def profile() -> QualityProfile:
    """Two countries scored over the real bank."""
    return score(synthetic_answers(bank.items(), ("RWA", "KEN"), seed=7))


def cell_texts(fig: Figure, k: int = 0) -> list[str]:
    return [t.get_text() for t in fig.axes[k].texts]


def test_heatmap_one_module(profile: QualityProfile) -> None:
    """One module: countries x six dimensions, each cell holding its grade and score."""
    fig = heatmap(profile, "IMM")
    assert isinstance(fig, Figure) and len(fig.axes) == 1
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.get_yticklabels()] == ["KEN", "RWA"]
    assert len(ax.get_xticklabels()) == 6
    scores = profile.scores.query("module == 'IMM' and country == 'KEN'")
    first = scores.iloc[0]
    expected = first["grade"] if pd.notna(first["grade"]) else "–"
    assert cell_texts(fig)[0].startswith(str(expected))
    assert len(cell_texts(fig)) == 2 * 6


def test_heatmap_small_multiples_and_country(profile: QualityProfile) -> None:
    """All modules give one visible panel per module; a country gives its modules as rows."""
    fig = heatmap(profile)
    visible = [ax for ax in fig.axes if ax.get_visible()]
    assert [ax.get_title(loc="left").split(":")[0] for ax in visible] == profile.modules
    one = heatmap(profile, country="RWA", language="fr")
    labels = [t.get_text() for t in one.axes[0].get_yticklabels()]
    assert labels == profile.modules
    assert "Exactitude" in [t.get_text() for t in one.axes[0].get_xticklabels()]
    with pytest.raises(ConfigurationError, match="XYZ"):
        heatmap(profile, "XYZ")
    with pytest.raises(ConfigurationError, match="FRA"):
        heatmap(profile, country="FRA")


def test_country_report_is_self_contained(profile: QualityProfile, tmp_path: Path) -> None:
    """The country page embeds its figure and holds the profile, undercount and explanation."""
    page = country_report(profile, "KEN", tmp_path / "ken.html")
    assert (tmp_path / "ken.html").read_text(encoding="utf-8") == page
    assert "data:image/png;base64," in page and "<script" not in page
    assert "Which answers produced each score" in page and "QuantMig" in page
    assert "RWA-" not in page.split("Which answers")[1]  # only Kenya's sources are explained


def test_write_reports_files(profile: QualityProfile, tmp_path: Path) -> None:
    """write_reports writes the CSV tables, the heatmap, the overview and a page per country."""
    written = write_reports(profile, tmp_path / "out")
    names = [p.name for p in written]
    assert names[-3:] == ["index.html", "quality_KEN.html", "quality_RWA.html"]
    assert "heatmap.png" in names
    comparison = pd.read_csv(tmp_path / "out" / "comparison.csv")
    assert len(comparison) == 2 * 6


def test_cli_registers_quality_score() -> None:
    """The CLI module adds 'quality score FILES --out DIR'."""
    from migdata.quality.cli import register, run_score

    parser = argparse.ArgumentParser()
    register(parser.add_subparsers(dest="command"))
    args = parser.parse_args(["quality", "score", "a.xlsx", "b.xlsx", "--out", "o"])
    assert args.files == ["a.xlsx", "b.xlsx"] and args.out == "o"
    assert args.func is run_score


def test_one_scoring_command_and_a_readable_table(tmp_path: Path, capsys: Any) -> None:
    """'quality score' is an alias of 'questionnaire score'; the table has labels, no <NA>."""
    from migdata.cli import build_parser, main
    from migdata.questionnaire.template import write_template

    write_template(tmp_path / "KEN.xlsx", lang="en", country="KEN")
    outputs = []
    for command in (["questionnaire", "score"], ["quality", "score"]):
        main([*command, str(tmp_path / "KEN.xlsx")])
        outputs.append(capsys.readouterr().out)
    assert outputs[0] == outputs[1]
    out = outputs[0]
    assert "<NA>" not in out and "nan" not in out.lower().split()
    assert "Metadata completeness (AC3)" in out and "Information coverage" in out
    assert "Timeliness and punctuality" in out and "timeliness_punctuality" not in out
    assert " - " in out  # an empty workbook: nothing graded
    parser = build_parser()
    sub = next(a for a in parser._actions if a.dest == "command")
    quality_help = sub.choices["quality"].format_help()  # type: ignore[union-attr]
    assert "questionnaire score" in quality_help
