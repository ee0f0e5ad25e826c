"""Tests of the Eurostat SDMX-CSV reader on a fixture built from real Eurostat figures."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from migdata.exchange import _eurostat, read, validate

HEADER = (
    "DATAFLOW,LAST UPDATE,freq,partner,agedef,age,unit,sex,geo,TIME_PERIOD,OBS_VALUE,"
    "OBS_FLAG,CONF_STATUS"
)


@pytest.fixture
def eurostat_file(shared_data: type, tmp_path: Path) -> tuple[Path, pd.DataFrame]:
    """A slice of the real migr_imm5prv extract converted to Eurostat's SDMX-CSV layout."""
    real = pd.read_csv(
        shared_data.path("eurostat_immigration_by_previous_residence_1998_2023.csv"),
        dtype={"partner": str, "geo": str},
    )
    # The extract writes Greece GR; Eurostat's own files say EL.
    real = real.assign(partner=real["partner"].replace({"GR": "EL"}))
    part = real[
        (real["year"] == 2015)
        & real["geo"].isin(["ES", "FR"])
        & real["partner"].isin(["IT", "UK", "OTHER", "BE", "EL"])
    ]
    part = part.sort_values(["geo", "partner"]).reset_index(drop=True)
    rows = []
    for i, r in part.iterrows():
        flag = "bep" if i == 0 else ""
        base = [
            "ESTAT:MIGR_IMM5PRV(1.0)",
            "25/03/24 23:00:00",
            "A",
            r["partner"],
            "COMPLET",
            "TOTAL",
            "NR",
            "T",
            r["geo"],
            "2015",
            f"{r['value']:.0f}",
            flag,
            "",
        ]
        rows.append(base)
        rows.append([*base[:4], "REACH", *base[5:]])  # the same people by age reached
    extra = [
        [
            "ESTAT:MIGR_IMM5PRV(1.0)",
            "25/03/24 23:00:00",
            "A",
            "EU27_2020",
            "COMPLET",
            "TOTAL",
            "NR",
            "T",
            "ES",
            "2015",
            "100",
            "",
            "",
        ],
        [
            "ESTAT:MIGR_IMM5PRV(1.0)",
            "25/03/24 23:00:00",
            "A",
            "TOTAL",
            "COMPLET",
            "Y5-9",
            "NR",
            "F",
            "XK",
            "2015",
            ":",
            "",
            "",
        ],
        [
            "ESTAT:MIGR_IMM5PRV(1.0)",
            "25/03/24 23:00:00",
            "A",
            "TOTAL",
            "COMPLET",
            "Y_GE85",
            "NR",
            "M",
            "ES",
            "2015",
            "12",
            "p",
            "",
        ],
    ]
    lines = [HEADER] + [",".join(r) for r in rows + extra]
    path = tmp_path / "migr_imm5prv.csv"
    path.write_text("\n".join(lines) + "\n")
    return path, part


def test_real_values_and_codes(eurostat_file: tuple[Path, pd.DataFrame]) -> None:
    """Spain's 2015 immigrants from Italy (17,350) arrive with alpha-3 codes."""
    path, _ = eurostat_file
    result = read(path)
    t = result.table
    assert result.format == "eurostat-sdmx-csv"
    hit = t[(t["ref_area"] == "ESP") & (t["counterpart_area"] == "ITA")]
    assert hit["obs_value"].tolist() == [17350.0]
    assert set(t["measure"]) == {"IMM"} and set(t["counterpart_type"]) == {"PREV_RES"}
    assert {"GRC", "GBR"} <= set(t["counterpart_area"])
    assert "_O" in set(t["counterpart_area"])  # OTHER: the residual partner
    assert "XKX" in set(t["ref_area"])


def test_rows_in_equal_used_plus_rejected(eurostat_file: tuple[Path, pd.DataFrame]) -> None:
    """REACH rows and the EU27 aggregate are rejected with reasons; nothing disappears."""
    path, part = eurostat_file
    result = read(path)
    n_in = 2 * len(part) + 3
    assert len(result.table) + len(result.rejected) == n_in
    reasons = result.rejected["reason"].tolist()
    assert sum("REACH" in r for r in reasons) == len(part)
    assert any("EU27_2020" in r for r in reasons)
    assert (result.rejected["row"] >= 2).all()


def test_flags_age_sex_and_missing(eurostat_file: tuple[Path, pd.DataFrame]) -> None:
    """Composite flags split into status + letters; ages, sexes and ':' are mapped."""
    result = read(eurostat_file[0])
    t = result.table
    first = t[t["flags"] == "bep"]
    assert first["obs_status"].tolist() == ["E"]
    kos = t[t["ref_area"] == "XKX"].iloc[0]
    assert (kos["age"], kos["sex"], kos["obs_status"]) == ("Y5T9", "F", "M")
    assert pd.isna(kos["obs_value"])
    old = t[t["age"] == "Y_GE85"].iloc[0]
    assert (old["sex"], old["obs_status"]) == ("M", "P")
    assert t["provenance"].str.contains("last update 25/03/24").all()


def test_reach_can_be_chosen(eurostat_file: tuple[Path, pd.DataFrame]) -> None:
    """agedef='REACH' keeps the other definition instead."""
    result = read(eurostat_file[0], agedef="REACH")
    assert sum("COMPLET" in r for r in result.rejected["reason"]) > 0


def test_converted_table_validates(eurostat_file: tuple[Path, pd.DataFrame]) -> None:
    """The harmonised table read from Eurostat passes validation."""
    table = read(eurostat_file[0]).table
    report = validate(table.drop(columns=["flags"]))
    assert report.ok, str(report)


def test_age_mapping_rules() -> None:
    """Eurostat ages map by rule; unknown codes become missing."""
    got = _eurostat.map_age(pd.Series(["Y15-64", "Y_LT15", "Y85-89", "YX"])).tolist()
    assert got[:3] == ["Y15T64", "Y_LT15", "Y85T89"] and pd.isna(got[3])
