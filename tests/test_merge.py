"""Tests of merging members' submissions into the regional bundle."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from exchange_tables import sample

from migdata.exchange import merge_submissions, read, write


def _members(folder: Path) -> None:
    ken = sample()
    uga = sample().assign(ref_area="UGA", counterpart_area="KEN")
    write(ken, folder / "ken.csv")
    write(uga, folder / "uga.parquet")


def test_merge_coverage_and_accounting(tmp_path: Path) -> None:
    """Two clean files merge; coverage counts member x dataflow x year."""
    _members(tmp_path)
    bundle = merge_submissions(tmp_path)
    assert len(bundle.table) == 8 and len(bundle.conflicts) == 0
    cov = bundle.coverage.set_index(["ref_area", "dataflow", "time_period"])["observations"]
    assert cov[("KEN", "DF_MIG_IMM", "2020")] == 3 and cov[("UGA", "DF_MIG_STK", "2021")] == 1
    assert bundle.coverage_matrix().loc["KEN"].sum() == 4
    assert "Regional bundle" in bundle._repr_html_()


def test_conflicts_are_left_out_and_listed(tmp_path: Path) -> None:
    """Same key with different values in two files: listed, excluded, rejected with reason."""
    _members(tmp_path)
    write(sample().assign(obs_value=[10.0, 12.5, 22.5, 1600.0]), tmp_path / "ken_v2.csv")
    bundle = merge_submissions(tmp_path)
    assert bundle.conflicts["obs_value"].tolist() == [1520.0, 1600.0]
    assert set(bundle.conflicts["file"]) == {"ken.csv", "ken_v2.csv"}
    stk_ken = bundle.table.query("ref_area == 'KEN' and measure == 'STK'")
    assert stk_ken.empty
    # rows in = rows kept + identical duplicates + rejected
    n_in = 4 + 4 + 4
    identical = 3
    assert len(bundle.table) + identical + len(bundle.rejected) == n_in
    assert bundle.rejected["reason"].str.startswith("conflict").sum() == 2


def test_invalid_rows_rejected_per_file(tmp_path: Path) -> None:
    """A row with a bad code is rejected with its file, line and reason; the rest is kept."""
    _members(tmp_path)
    text = (tmp_path / "ken.csv").read_text().replace(",F,_T,2020,", ",W,_T,2020,")
    (tmp_path / "ken.csv").write_text(text)
    bundle = merge_submissions(tmp_path)
    rej = bundle.rejected
    assert rej[["file", "row"]].values.tolist() == [["ken.csv", 2]]
    assert "SEX code 'W'" in rej["reason"].iloc[0]
    assert len(bundle.table) == 7
    assert not bundle.reports["ken.csv"].ok and bundle.reports["uga.parquet"].ok


def test_revisions_against_previous_bundle(tmp_path: Path) -> None:
    """Changed values against the previous bundle are listed with old and new values."""
    _members(tmp_path)
    first = merge_submissions(tmp_path)
    first.write(tmp_path / "bundle_v1")
    write(sample().assign(obs_value=[10.0, 12.5, 22.5, 1530.0]), tmp_path / "ken.csv")
    second = merge_submissions(tmp_path, previous=tmp_path / "bundle_v1")
    rev = second.revisions
    assert rev[["ref_area", "measure", "old_value", "new_value"]].values.tolist() == [
        ["KEN", "STK", 1520.0, 1530.0]
    ]


def test_written_bundle_reads_back(tmp_path: Path) -> None:
    """The bundle folder holds SDMX-CSV, Parquet, datapackage.json and the reports."""
    _members(tmp_path)
    bundle = merge_submissions(tmp_path)
    target = bundle.write(tmp_path / "out")
    names = {p.name for p in (tmp_path / "out").iterdir()}
    assert {
        "data.csv",
        "data.parquet",
        "datapackage.json",
        "conflicts.csv",
        "coverage.csv",
        "revisions.csv",
        "rejected.csv",
    } <= names
    back = read(target).table
    pd.testing.assert_series_equal(
        back["obs_value"].reset_index(drop=True), bundle.table["obs_value"].reset_index(drop=True)
    )
