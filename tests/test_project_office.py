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


@pytest.mark.parametrize("suffix", [".xlsx", ".parquet"])
def test_xlsx_and_parquet_national_files(tmp_path: Path, suffix: str) -> None:
    """The same table as an Excel sheet or a Parquet file gives the same harmonised rows."""
    root = _project(tmp_path / "rwa")
    frame = pd.DataFrame({"Année": ["2016", "2016"], "Pays de provenance": ["Ouganda", "Kenya"],
                          "Sexe": ["1", "2"], "Effectif": ["1100", "210"]})
    (root / "data" / "immigration_2016.csv").unlink()
    if suffix == ".xlsx":
        frame.to_excel(root / "data" / "immigration_2016.xlsx", sheet_name="IMM", index=False)
    else:
        frame.to_parquet(root / "data" / "immigration_2016.parquet")
    text = (root / "migdata.toml").read_text(encoding="utf-8")
    text = text.replace('files = "data/immigration_*.csv"',
                        f'files = ["data/immigration_2015.csv", "data/immigration_2016{suffix}"]')
    if suffix == ".xlsx":
        text = text.replace('measure = "IMM"', 'measure = "IMM"\nsheet = "IMM"')
    (root / "migdata.toml").write_text(text, encoding="utf-8")
    migdata.Project.load(root).run(progress=False)
    h = pd.read_csv(root / "output" / "harmonised" / "harmonised.csv", dtype={"time_period": str})
    got = h[h["time_period"].eq("2016")].set_index("counterpart_area")["reported_value"]
    assert got.to_dict() == {"KEN": 210.0, "UGA": 1100.0}


def test_empty_submissions_folder_is_a_clear_message(tmp_path: Path,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    """A new secretariat project without files says where to put them; nothing written."""
    root = tmp_path / "sec"
    migdata.init_project(root, role="secretariat")
    assert main(["run", str(root)]) == 2
    assert "no submission here yet" in capsys.readouterr().err
    assert list((root / "output").iterdir()) == []


REGISTER = """\
[project]
role = "office"
country = "RWA"

[[sources]]
id = "RWA-REG"
type = "population_register"
files = "data/events.csv"
profile = {{ threshold_months = 12, threshold_basis = "registration_rule" }}

[sources.microdata]
rule = "registers"
person_column = "personne"
counterpart_column = "nationalite"
{extra}obs_end = "2016-01-01"
"""


def test_register_events_rule(tmp_path: Path) -> None:
    """Register events classified by migdata.register_flows with the configured columns give
    the same flows as the library call; a misspelt argument is named with a suggestion."""
    root = tmp_path / "reg"
    (root / "questionnaire").mkdir(parents=True)
    (root / "data").mkdir()
    events = pd.DataFrame(
        {
            "personne": ["a", "a", "a", "b", "c"],
            "event": ["registration", "deregistration", "registration", "sortie", "entrée"],
            "date": ["2010-01-01", "2012-01-01", "2012-03-01", "2013-01-01", "2015-06-01"],
            "nationalite": ["KEN", "KEN", "KEN", "UGA", "COD"],
        }
    )
    events.to_csv(root / "data" / "events.csv", index=False)
    (root / "migdata.toml").write_text(REGISTER.format(extra=""), encoding="utf-8")
    result = migdata.Project.load(root).run(progress=False)
    profile = migdata.SourceProfile(
        source_id="RWA-REG", country="RWA", source_type="population_register",
        measures=["IMM", "EMI"], threshold_months=12, threshold_basis="registration_rule",
    )
    direct = migdata.register_flows(events, profile, "UN1998", person_column="personne",
                                    counterpart_column="nationalite", obs_end="2016-01-01")
    got = result.data["harmonised"]
    assert sorted(got["obs_value"].tolist()) == sorted(direct.table["obs_value"].tolist())
    assert migdata.validate_exchange(root / "output" / "bundle" / "RWA_IMM.csv").ok
    (root / "migdata.toml").write_text(REGISTER.format(extra='date_colum = "date"\n'),
                                       encoding="utf-8")
    with pytest.raises(migdata.ConfigurationError, match="did you mean 'date_column'"):
        migdata.Project.load(root)
