"""A secretariat project written by hand: members' SDMX-CSV files from the real Eurostat mirror
flows, run with ``migdata run`` and through the Python API."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pandas as pd
import pytest
from conftest import shared_file

import migdata
from migdata.cli import main

MIRROR = "eurostat_mirror_flows_2010_2019.csv"
CONFIG = """\
[project]
role = "secretariat"
name = "Eurostat mirror flows 2015-2019"

[submissions]
folder = "submissions"
years = [2015, 2016, 2017, 2018, 2019]

[reconciliation]
method = "log-ls"
"""


def _member_files(root: Path) -> list[str]:
    """Each reporting country's immigration and emigration 2015-2019 as its own SDMX-CSV file."""
    real = pd.read_csv(shared_file(MIRROR), keep_default_na=False, na_values=[""])
    real = real[real["SEX"].eq("Total") & real["Year"].between(2015, 2019)]
    members = []
    for code in sorted(set(real["Receiving_iso3"]) | set(real["Sending_iso3"])):
        imm = real[real["Receiving_iso3"].eq(code) & real["Immi"].notna()]
        emi = real[real["Sending_iso3"].eq(code) & real["Emig"].notna()]
        common = {"sex": "_T", "age": "_T"}
        table = pd.concat(
            [
                pd.DataFrame(
                    {
                        "measure": "IMM",
                        "ref_area": code,
                        "counterpart_area": imm["Sending_iso3"],
                        "counterpart_type": "PREV_RES",
                        **common,
                        "time_period": imm["Year"].astype(str),
                        "obs_value": imm["Immi"].astype(float),
                    }
                ),
                pd.DataFrame(
                    {
                        "measure": "EMI",
                        "ref_area": code,
                        "counterpart_area": emi["Receiving_iso3"],
                        "counterpart_type": "NEXT_RES",
                        **common,
                        "time_period": emi["Year"].astype(str),
                        "obs_value": emi["Emig"].astype(float),
                    }
                ),
            ]
        )
        if len(table):
            migdata.write_exchange(table, root / "submissions" / code.lower() / f"{code}.csv")
            members.append(code)
    return members


@pytest.fixture(scope="module")
def eurostat(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, migdata.RunResult]:
    root = tmp_path_factory.mktemp("eurostat") / "regional"
    (root / "submissions").mkdir(parents=True)
    (root / "migdata.toml").write_text(CONFIG, encoding="utf-8")
    _member_files(root)
    result = migdata.Project.load(root).run(progress=False)
    return root, result


def test_mirror_table_has_italy_spain(eurostat: tuple[Path, migdata.RunResult]) -> None:
    """The run's mirror table gives Italy -> Spain 2015 I/E = 3.468 as Eurostat's file does."""
    root, _ = eurostat
    pairs = pd.read_csv(root / "output" / "mirror" / "pairs.csv")
    row = pairs[
        pairs["origin"].eq("ITA") & pairs["destination"].eq("ESP") & pairs["year"].eq(2015)
    ].iloc[0]
    assert (row["emigration"], row["immigration"]) == (5003, 17350)
    assert round(float(row["ratio"]), 3) == 3.468


def test_factors_equal_reconcile_on_the_same_data(
    eurostat: tuple[Path, migdata.RunResult],
) -> None:
    """The run's log-ls factors are those of migdata.reconcile on the Eurostat file itself."""
    root, result = eurostat
    rec = result.data["reconciliation"]
    real = pd.read_csv(shared_file(MIRROR), keep_default_na=False, na_values=[""])
    real = real[real["SEX"].eq("Total") & real["Year"].between(2015, 2019)]
    table = migdata.MirrorTable.from_eurostat(
        real[["Year", "Sending_iso3", "Receiving_iso3", "Emig", "Immi"]]
    )
    direct = migdata.reconcile(table, "log-ls", reference=rec.reference)
    key = ["year", "country", "side"]
    ours = pd.read_csv(root / "output" / "mirror" / "factors.csv")
    merged = ours.merge(
        direct.factors.assign(year=direct.factors["year"].astype(int)),
        on=key,
        suffixes=("", "_direct"),
    )
    estimated = merged[merged["status"].eq("estimated")]
    assert len(estimated) > 100
    assert (estimated["factor"] - estimated["factor_direct"]).abs().max() < 1e-9


def test_outputs_and_manifest(eurostat: tuple[Path, migdata.RunResult]) -> None:
    """report, manifest (inputs with size and SHA-256, steps with counts), bundle, feedback."""
    root, result = eurostat
    out = root / "output"
    assert (out / "report.html").is_file()
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert manifest == result.manifest
    paths = [i["path"] for i in manifest["inputs"]]
    assert "migdata.toml" in paths and "submissions/ita/ITA.csv" in paths
    assert all(len(i["sha256"]) == 64 and i["size"] > 0 for i in manifest["inputs"])
    for step in manifest["steps"]:
        assert step["rows_in"] == step["rows_used"] + step["rows_rejected"], step["name"]
        assert "seconds" not in step
    assert {"merge", "mirror", "reconcile"} <= {s["name"] for s in manifest["steps"]}
    assert (out / "bundle" / "regional_IMM.csv").is_file()
    assert migdata.validate_exchange(out / "bundle" / "regional_EMI.parquet").ok
    assert (out / "feedback" / "ITA.csv").is_file()
    page = (out / "report.html").read_text(encoding="utf-8")
    assert "Mirror statistics" in page and "Eurostat mirror flows 2015-2019" in page
    assert "ITA" in repr(result) or "secretariat" in repr(result)
    assert "<table" in result._repr_html_()


def test_rerun_reuses_and_one_changed_file_redoes_dependants(
    eurostat: tuple[Path, migdata.RunResult], tmp_path: Path
) -> None:
    """Nothing changed: every step reused, output untouched; one member changed: its check,
    the merge, mirror and reconciliation rerun, every other check is reused."""
    source, _ = eurostat
    root = tmp_path / "copy"
    shutil.copytree(source, root)
    first = migdata.Project.load(root).run(progress=False)
    assert first.ran == [] and not first.written
    path = root / "submissions" / "ita" / "ITA.csv"
    table = migdata.read_exchange(path).table
    table.loc[0, "obs_value"] = table.loc[0, "obs_value"] + 1
    migdata.write_exchange(table, path)
    second = migdata.Project.load(root).run(progress=False)
    ran = set(second.ran)
    assert {"check:submissions/ita/ITA.csv", "merge", "mirror", "reconcile"} <= ran
    assert "check:submissions/esp/ESP.csv" in second.reused


def test_identical_inputs_give_identical_outputs(
    eurostat: tuple[Path, migdata.RunResult], tmp_path: Path
) -> None:
    """A second project with the same files, run from scratch, writes the same bytes
    (run-log.json, which holds the timings, apart)."""
    source, _ = eurostat
    root = tmp_path / "again"
    shutil.copytree(source, root, ignore=shutil.ignore_patterns("output", ".migdata-cache"))
    migdata.Project.load(root).run(progress=False)
    a, b = source / "output", root / "output"
    files = sorted(p.relative_to(a) for p in a.rglob("*") if p.is_file())
    assert files == sorted(p.relative_to(b) for p in b.rglob("*") if p.is_file())
    differ = [p for p in files if (a / p).read_bytes() != (b / p).read_bytes()]
    assert differ == [Path("run-log.json")]


def test_failing_submission_is_listed_and_not_merged(tmp_path: Path) -> None:
    """A member file that breaks the data structure is not merged; the run completes for the
    others and the member gets its feedback row by row."""
    root = tmp_path / "regional"
    migdata.init_project(root, role="secretariat")
    rows = {
        "measure": ["IMM", "EMI"],
        "ref_area": ["KEN", "UGA"],
        "counterpart_area": ["UGA", "KEN"],
        "counterpart_type": ["PREV_RES", "NEXT_RES"],
        "sex": ["_T", "_T"],
        "age": ["_T", "_T"],
        "time_period": ["2020", "2020"],
        "obs_value": [100.0, 80.0],
    }
    table = pd.DataFrame(rows)
    migdata.write_exchange(table[table["ref_area"].eq("KEN")], root / "submissions" / "ken.csv")
    migdata.write_exchange(table[table["ref_area"].eq("UGA")], root / "submissions" / "uga.csv")
    bad = (root / "submissions" / "uga.csv").read_text(encoding="utf-8").replace(",_T,", ",X,", 1)
    (root / "submissions" / "uga_bad.csv").write_text(
        bad.replace("UGA", "RWA").replace(",KEN,", ",UGA,"), encoding="utf-8"
    )
    result = migdata.Project.load(root).run(progress=False)
    sub = result.data["submissions"].set_index("file")
    assert sub.loc["submissions/uga_bad.csv", "status"].startswith("not merged")
    assert sub.loc["submissions/ken.csv", "status"] == "merged"
    assert len(result.problems) and set(result.problems["member"]) == {"RWA"}
    feedback = pd.read_csv(root / "output" / "feedback" / "RWA.csv")
    assert len(feedback) == len(result.problems)
    assert "NOT merged" in (root / "output" / "feedback" / "RWA.txt").read_text(encoding="utf-8")


def test_cli_init_and_run(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`migdata init --role secretariat` then `migdata run` on the members' files."""
    root = tmp_path / "sec"
    assert main(["init", str(root), "--role", "secretariat", "--lang", "fr"]) == 0
    text = (root / "migdata.toml").read_text(encoding="utf-8")
    assert 'role = "secretariat"' in text and "Langue" in text
    codes = ("KEN", "RWA", "UGA")
    pairs = [(a, b) for a in codes for b in codes if a != b]
    table = pd.DataFrame(
        {
            "measure": ["IMM"] * 6 + ["EMI"] * 6,
            "ref_area": [b for a, b in pairs] + [a for a, b in pairs],
            "counterpart_area": [a for a, b in pairs] + [b for a, b in pairs],
            "counterpart_type": ["PREV_RES"] * 6 + ["NEXT_RES"] * 6,
            "sex": "_T",
            "age": "_T",
            "time_period": "2020",
            "obs_value": [100.0, 70.0, 80.0, 90.0, 60.0, 50.0, 40.0, 75.0, 85.0, 65.0, 55.0, 45.0],
        }
    )
    for code in codes:
        migdata.write_exchange(
            table[table["ref_area"].eq(code)], root / "submissions" / f"{code}.parquet"
        )
    capsys.readouterr()
    assert main(["run", str(root)]) == 0
    printed = capsys.readouterr().out
    assert "merge: ran" in printed and "report.html" in printed
    assert main(["run", str(root)]) == 0
    assert "reused" in capsys.readouterr().out
