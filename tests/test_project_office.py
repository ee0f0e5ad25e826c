"""An office project written by hand (not the demo's generator), and configuration errors."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

import migdata
from migdata.cli import main

CONFIG = """\
[project]
role = "office"
country = "RWA"
language = "fr"

[questionnaire]
folder = "questionnaire"

[[sources]]
id = "RWA-REG"
type = "population_register"
files = "data/immigration_*.csv"
measure = "IMM"
profile = {{ threshold_months = 6, threshold_basis = "registration_rule" }}
{extra}
[sources.columns]
year = "Année"
country = "Pays de provenance"
sex = "Sexe"
value = "Effectif"

[sources.codes.sex]
H = "M"
"1" = "M"
"2" = "F"
"""


def _project(root: Path, extra: str = "", config: str | None = None) -> Path:
    (root / "questionnaire").mkdir(parents=True)
    (root / "data").mkdir()
    (root / "data" / "immigration_2015.csv").write_text(
        "# Office national: immigration 2015\n"
        "Année,Pays de provenance,Sexe,Effectif\n"
        "2015,Ouganda,H,1000\n2015,Kenya,2,200\n2015,Atlantide,1,5\n2015,Burundi,H,-3\n",
        encoding="utf-8",
    )
    (root / "data" / "immigration_2016.csv").write_text(
        "Année,Pays de provenance,Sexe,Effectif\n2016,Ouganda,1,1100\n2016,Kenya,2,210\n",
        encoding="utf-8",
    )
    (root / "migdata.toml").write_text(config or CONFIG.format(extra=extra), encoding="utf-8")
    return root


def test_office_project_runs_end_to_end(tmp_path: Path) -> None:
    """French column names, code maps, a glob of two files and inline facts: harmonised rows,
    rejects with file and line, a validated bundle, report and manifest."""
    root = _project(tmp_path / "rwa")
    result = migdata.Project.load(root).run(progress=False)
    out = root / "output"
    h = pd.read_csv(out / "harmonised" / "harmonised.csv")
    assert sorted(h["counterpart_area"].unique()) == ["KEN", "UGA"]
    assert set(h["sex"]) == {"M", "F"}
    rejected = pd.read_csv(out / "harmonised" / "rejected.csv")
    assert rejected[["file", "line"]].values.tolist() == [
        ["data/immigration_2015.csv", 5],
        ["data/immigration_2015.csv", 6],
    ]
    step = next(s for s in result.steps if s.name == "harmonise:RWA-REG:IMM")
    assert (step.rows_in, step.rows_used, step.rows_rejected) == (6, 4, 2)
    assert migdata.validate_exchange(out / "bundle" / "RWA_IMM.csv").ok
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert [i["path"] for i in manifest["inputs"]] == [
        "data/immigration_2015.csv",
        "data/immigration_2016.csv",
        "migdata.toml",
    ]
    assert "APPROXIMATE" in (out / "report.html").read_text(encoding="utf-8")
    again = migdata.Project.load(root).run(progress=False)
    assert again.ran == [] and "harmonise:RWA-REG:IMM" in again.reused


def test_init_office_writes_folders_questionnaire_and_french_comments(tmp_path: Path) -> None:
    """`migdata init --role office --lang fr`: folders, the questionnaire in French, comments
    from the item bank in French."""
    assert (
        main(["init", str(tmp_path / "k"), "--role", "office", "--country", "KEN", "--lang", "fr"])
        == 0
    )
    root = tmp_path / "k"
    assert sorted(p.name for p in root.iterdir()) == [
        "data",
        "migdata.toml",
        "output",
        "questionnaire",
    ]
    assert [p.name for p in (root / "questionnaire").iterdir()] == ["KEN_questionnaire_fr.xlsx"]
    text = (root / "migdata.toml").read_text(encoding="utf-8")
    assert "# Pays" in text and "Durée minimale de séjour" in text
    assert main(["init", str(root), "--role", "office", "--country", "KEN"]) == 2
    project = migdata.Project.load(root)
    assert project.role == "office" and project.config["project"]["language"] == "fr"


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (
            ('measure = "IMM"', 'mesure = "IMM"'),
            ["line 13", "'sources[1].mesure'", "did you mean 'measure'"],
        ),
        (('measure = "IMM"', "measure = 12"), ["sources[1].measure", "expected a text"]),
        (("immigration_*.csv", "emigration_*.csv"), ["sources[1].files", "no file matches"]),
        (
            ('value = "Effectif"', 'value = "Nombre"'),
            ["sources[1].columns.value", "no column 'Nombre'", "'Année', 'Pays de provenance'"],
        ),
        (("[questionnaire]", "[questionaire]"), ["did you mean 'questionnaire'"]),
    ],
)
def test_bad_configuration_names_file_line_key_and_writes_nothing(
    tmp_path: Path, change: tuple[str, str], expected: list[str]
) -> None:
    """Unknown key with a suggestion, wrong type, missing file, missing column (with the
    file's columns): one ConfigurationError naming file, line and key; nothing written."""
    root = _project(tmp_path / "rwa", config=CONFIG.format(extra="").replace(*change))
    before = sorted(p for p in root.rglob("*"))
    with pytest.raises(migdata.ConfigurationError) as err:
        migdata.Project.load(root).run(progress=False)
    text = str(err.value)
    assert "migdata.toml" in text
    for part in expected:
        assert part in text
    assert sorted(p for p in root.rglob("*")) == before


def test_nationality_country_kind_is_passed_or_refused_clearly(tmp_path: Path) -> None:
    """country_kind = "nationality" goes to harmonise when it takes it, else a clear error."""
    import inspect

    root = _project(tmp_path / "rwa", extra='country_kind = "nationality"\n')
    project = migdata.Project.load(root)
    if "country_kind" in inspect.signature(migdata.harmonise).parameters:
        project.run(progress=False)
    else:
        with pytest.raises(migdata.ConfigurationError, match="country_kind"):
            project.run(progress=False)
        assert not (root / "output").exists()


def test_failing_step_leaves_previous_output(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A step that fails leaves the previous output exactly as it was."""
    root = _project(tmp_path / "rwa")
    migdata.Project.load(root).run(progress=False)
    before = {p: p.read_bytes() for p in (root / "output").rglob("*") if p.is_file()}
    (root / "data" / "immigration_2016.csv").write_text(
        "Année,Pays de provenance,Sexe,Effectif\n2016,Ouganda,1,1200\n", encoding="utf-8"
    )
    import migdata.project.steps as steps

    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("disk full")

    monkeypatch.setattr(steps, "harmonise_source", broken)
    with pytest.raises(RuntimeError):
        migdata.Project.load(root).run(progress=False)
    after = {p: p.read_bytes() for p in (root / "output").rglob("*") if p.is_file()}
    assert after == before
    assert not [p for p in root.iterdir() if "staging" in p.name]
