"""Tests of validation: every problem is collected, with its row and rule."""

from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from exchange_tables import sample, tables
from hypothesis import given, settings
from hypothesis import strategies as st

from migdata.errors import ValidationError
from migdata.exchange import registry, validate


def test_valid_sample_is_ok() -> None:
    """A correct table gives an empty report."""
    report = validate(sample())
    assert report.ok and len(report) == 0
    assert "valid" in report._repr_html_()


def test_collects_every_problem() -> None:
    """Several problems in one table are all reported with their rows."""
    t = sample()
    t.loc[0, "sex"] = "X"
    t.loc[1, "time_period"] = "15/2020"
    t.loc[3, "obs_value"] = -5.0
    t.loc[2, "counterpart_area"] = "UG"
    report = validate(t)
    got = set(zip(report["row"], report["rule"], strict=True))
    assert {(0, "code"), (1, "time_period"), (3, "value"), (2, "code")} <= got
    assert set(report.to_frame().columns) == {"row", "column", "value", "rule", "message"}
    assert "problem" in report._repr_html_()
    with pytest.raises(ValidationError) as err:
        report.raise_if_invalid()
    assert err.value.report is report


def test_duplicate_key_names_first_row() -> None:
    """A repeated key is reported on the repeat, naming the first row."""
    t = pd.concat([sample(), sample().iloc[[3]]], ignore_index=True)
    report = validate(t)
    dup = report.to_frame().query("rule == 'duplicate_key'")
    assert dup["row"].tolist() == [4] and "row 3" in dup["message"].iloc[0]


def test_totals_must_add_up_within_tolerance() -> None:
    """M + F must equal _T (rounding tolerance 0.5); a wrong total is reported."""
    t = sample()
    assert validate(t.assign(obs_value=[10.0, 12.5, 22.9, 1520.0])).ok
    bad = validate(t.assign(obs_value=[10.0, 12.5, 30.0, 1520.0]))
    assert bad["rule"].tolist() == ["totals"] and bad["row"].tolist() == [2]


def test_status_allows_missing_or_odd_values() -> None:
    """An empty value needs a status other than A (normal); with M, the row is fine."""
    t = sample().assign(obs_value=[10.0, 12.5, np.nan, 1520.0])
    assert validate(t)["rule"].tolist() == ["missing_value"]
    assert validate(t.assign(obs_status=["A", "A", "M", "A"])).ok


def test_file_problems_have_line_numbers(tmp_path: Path) -> None:
    """In a file, rows are line numbers; unknown and missing columns are reported."""
    text = registry.write(sample(), tmp_path / "a.csv").read_text()
    lines = text.splitlines()
    lines[0] = lines[0].replace("COMMENT", "NOTE")
    lines[2] = lines[2].replace(",M,", ",Q,")
    lines[3] = lines[3].replace(",22.5,", ",lots,")
    bad = tmp_path / "b.csv"
    bad.write_text("\n".join(lines) + "\n")
    report = validate(bad)
    rules = set(zip(report["row"].astype("object"), report["rule"], strict=True))
    assert (3, "code") in rules and (4, "value") in rules
    assert (pd.NA, "unknown_column") in rules or any(r == "unknown_column" for _, r in rules)
    assert report.file == str(bad)


def test_wrong_counterpart_type_for_dataflow() -> None:
    """A breakdown a dataflow does not admit (EMI by BIRTH) is a constraint problem."""
    t = sample().assign(measure=["IMM", "IMM", "IMM", "EMI"])
    report = validate(t)
    assert report["rule"].tolist() == ["constraint"] and report["row"].tolist() == [3]


def test_unreadable_file_becomes_a_report(tmp_path: Path) -> None:
    """A file that cannot be read gives a report with rule 'readable', not an exception."""
    p = tmp_path / "x.csv"
    p.write_text("hello,world\n1,2\n")
    report = validate(p)
    assert report["rule"].tolist() == ["readable"]


@settings(max_examples=20)
@given(tables(max_rows=8), st.data())
def test_accepts_written_tables_and_rejects_single_corruptions(
    table: pd.DataFrame, data: st.DataObject
) -> None:
    """Every written file validates; one bad code or one duplicated key is always caught."""
    folder = Path(tempfile.mkdtemp())
    for name in ("t.csv", "t.parquet"):
        path = registry.write(table, folder / name)
        assert validate(path).ok, str(validate(path))
    if len(table) == 0:
        return
    i = data.draw(st.integers(0, len(table) - 1))
    col = data.draw(st.sampled_from(["ref_area", "sex", "counterpart_type", "target"]))
    bad = table.copy()
    bad.loc[i, col] = "ZZZ"
    path = (
        registry.write(bad, folder / "bad.csv", format="sdmx-csv")
        if col != "counterpart_type"
        else None
    )
    report = validate(bad)
    assert not report.ok and (report["row"] == i).any()
    if path is not None:
        assert not validate(path).ok
    dup = pd.concat([table, table.iloc[[i]]], ignore_index=True)
    report = validate(dup)
    assert report["rule"].tolist() == ["duplicate_key"]


def test_garbage_file_gives_a_capped_report(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A file of errors lists at most MAX_PROBLEMS_PER_RULE problems per rule, counts all."""
    from migdata._limits import MAX_PROBLEMS_PER_RULE
    from migdata.exchange import _triage

    monkeypatch.setattr(_triage, "SCREEN_FROM_CELLS", 1_000)
    header = (
        "STRUCTURE,STRUCTURE_ID,ACTION,FREQ,REF_AREA,COUNTERPART_AREA,COUNTERPART_TYPE,SEX,"
        "AGE,TIME_PERIOD,OBS_VALUE\n"
    )
    n = 3 * MAX_PROBLEMS_PER_RULE
    body = "".join(
        f"dataflow,COMESA:DF_MIG_IMM(1.0),I,Z,K{i},U{i},CITIZ,X,Q{i},20X{i},abc\n" for i in range(n)
    )
    path = tmp_path / "garbage.csv"
    path.write_text(header + body)
    report = validate(path)
    assert report.rows_checked == n
    assert report.frame["rule"].value_counts().max() <= MAX_PROBLEMS_PER_RULE
    summary = report.summary()
    assert summary["code"] == 6 * n and summary["time_period"] == n
    assert len(report) == summary.sum() and not report.ok
    assert "counted, not listed" in str(report)


def test_formula_looking_text_is_kept_and_noted(tmp_path: Path) -> None:
    """'=cmd|...' in COMMENT stays exact in SDMX-CSV, is noted by validation and is text in
    the Excel copy."""
    import openpyxl

    from migdata.exchange import registry

    t = pd.DataFrame(
        {
            "measure": ["IMM"],
            "ref_area": ["KEN"],
            "counterpart_area": ["UGA"],
            "counterpart_type": ["CITIZENSHIP"],
            "sex": ["_T"],
            "age": ["_T"],
            "time_period": ["2020"],
            "obs_value": [3.0],
            "provenance": ["=cmd|' /C calc'!A0"],
        }
    )
    csv_path = registry.write(t, tmp_path / "t.csv")
    assert "=cmd|' /C calc'!A0" in csv_path.read_text()
    report = validate(csv_path)
    assert report.ok and any("COMMENT" in n and "kept exactly" in n for n in report.notes)
    xlsx = registry.write(t, tmp_path / "t.xlsx")
    ws = openpyxl.load_workbook(xlsx)["data"]
    cells = [c for row in ws.iter_rows() for c in row if c.value == "=cmd|' /C calc'!A0"]
    assert cells and all(c.data_type == "s" for c in cells)


def test_missing_key_column_is_one_problem_and_file_lines_are_lines(tmp_path: Path) -> None:
    """A file without SEX gets one missing-column problem (no follow-on duplicate keys), its
    report places problems by line, and a missing UNIT_MEASURE is assumed with a note."""
    path = tmp_path / "data.csv"
    registry.write(sample(), path)
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    frame.drop(columns=["SEX"]).to_csv(tmp_path / "nosex.csv", index=False)
    report = validate(tmp_path / "nosex.csv")
    assert report.to_frame()["rule"].tolist() == ["missing_column"]
    assert any("checks skipped" in n for n in report.notes)
    assert "\n  line " in str(report)
    frame.drop(columns=["UNIT_MEASURE"]).to_csv(tmp_path / "nounit.csv", index=False)
    unitless = validate(tmp_path / "nounit.csv")
    assert unitless.ok and any("UNIT_MEASURE" in n for n in unitless.notes)
