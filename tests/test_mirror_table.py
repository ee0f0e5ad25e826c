"""Tests of migdata.mirror.table (MirrorTable) and the shared-file readers."""

from __future__ import annotations

from typing import Any

import pandas as pd
import pytest

from migdata.errors import InputError
from migdata.mirror.eurostat import read_duration_thresholds, read_imem_classes
from migdata.mirror.table import MIRROR_COLUMNS, MirrorTable

MIRROR = "eurostat_mirror_flows_2010_2019.csv"


@pytest.fixture
def real(shared_data: Any) -> MirrorTable:
    return MirrorTable.from_eurostat(shared_data.path(MIRROR))


def test_real_file_reads_every_row(real: MirrorTable) -> None:
    """All 7,020 rows of the shared mirror file are used, none rejected, Greece is GRC."""
    assert len(real.data) + len(real.rejected) == 7020
    assert real.rejected.empty
    assert list(real.data.columns) == list(MIRROR_COLUMNS)
    assert "GRC" in real.countries


def test_real_known_pairs(real: MirrorTable) -> None:
    """2015 IT->ES, ES->FR and BE->FR carry the published Eurostat figures."""
    d = real.data.set_index(["origin", "destination", "year"])
    assert d.loc[("ITA", "ESP", 2015), ["emigration", "immigration"]].tolist() == [5003, 17350]
    assert d.loc[("ESP", "FRA", 2015), ["emigration", "immigration"]].tolist() == [24004, 18377]
    assert d.loc[("BEL", "FRA", 2015), ["emigration", "immigration"]].tolist() == [16170, 16189]


def test_real_coverage(real: MirrorTable) -> None:
    """16 countries report both sides and 2015-2019 each have 200 mirrored corridors."""
    both = real.both_sides()
    assert len(set(both.origin) | set(both.destination)) == 16
    assert real.coverage().loc[2015:2019, "both"].tolist() == [200] * 5
    assert len(both) == 1792


def test_real_classes_carried(real: MirrorTable) -> None:
    """UI/UE classes of the shared file are on every row, lower case."""
    assert set(real.data.undercount_imm.unique()) == {"low", "medium", "high"}
    assert real.data.undercount_emi.notna().all()


def test_bad_rows_rejected_with_reasons() -> None:
    """Negative, non-numeric, self-pairs, duplicates and unknown names are rejected, counted."""
    raw = pd.DataFrame(
        {
            "Year": [2015] * 7,
            "Sending_iso2": ["IT", "IT", "FR", "Atlantis", "DE", "DE", "PT"],
            "Receiving_iso2": ["ES", "FR", "FR", "ES", "AT", "AT", "ES"],
            "Emig": ["5003", "-3", "1", "1", "2", "3", "many"],
            "Immi": ["17350", "4", "1", "1", "2", "2", "1"],
        }
    )
    t = MirrorTable.from_eurostat(raw)
    assert len(t.data) + len(t.rejected) == len(raw)
    reasons = dict(zip(t.rejected.row, t.rejected.reason, strict=True))
    assert "count >= 0" in reasons[1]
    assert "itself" in reasons[2]
    assert "Atlantis" in reasons[3]
    assert "duplicate" in reasons[4] and "duplicate" in reasons[5]
    assert "expected a count" in reasons[6] and "many" in reasons[6]


def test_years_without_overlap_raise() -> None:
    """Immigration and emigration from disjoint years is an error naming the years."""
    long = pd.DataFrame(
        {"geo": ["ES", "IT"], "partner": ["IT", "ES"], "TIME_PERIOD": [2014, 2016],
         "OBS_VALUE": [1, 2], "measure": ["IMM", "EMI"]}
    )  # fmt: skip
    with pytest.raises(InputError, match=r"\[2014\].*\[2016\]"):
        MirrorTable.from_eurostat(long)


def test_eurostat_long_frame_both_sides() -> None:
    """A Eurostat long frame (DATAFLOW, geo, partner) becomes one pair row per corridor."""
    long = pd.DataFrame(
        {"DATAFLOW": ["ESTAT:MIGR_IMM5PRV(1.0)", "ESTAT:MIGR_EMI3NXT(1.0)"],
         "geo": ["ES", "EL"], "partner": ["EL", "ES"], "TIME_PERIOD": [2015, 2015],
         "OBS_VALUE": [10, 4], "sex": ["T", "T"]}
    )  # fmt: skip
    t = MirrorTable.from_eurostat(long)
    row = t.data.iloc[0]
    assert (row.origin, row.destination, row.sex, row.reported_by) == ("GRC", "ESP", "_T", "both")
    assert (row.emigration, row.immigration) == (4, 10)


def test_from_harmonised_rejects_aggregates() -> None:
    """Harmonised tables: aggregate counterparts are rejected, pairs are matched."""
    base = {"sex": "_T", "age": "_T", "time_period": "2015"}
    imm = pd.DataFrame(
        [{**base, "measure": "IMM", "ref_area": "ESP", "counterpart_area": c,
          "counterpart_type": "PREV_RES", "obs_value": v}
         for c, v in (("ITA", 17350.0), ("_T", 9e5))]
    )  # fmt: skip
    emi = pd.DataFrame(
        [{**base, "measure": "EMI", "ref_area": "ITA", "counterpart_area": "ESP",
          "counterpart_type": "NEXT_RES", "obs_value": 5003.0}]
    )  # fmt: skip
    t = MirrorTable.from_harmonised(imm, emi)
    assert len(t.data) == 1 and len(t.rejected) == 1
    assert "aggregate" in t.rejected.reason.item()
    assert t.rejected.input.item() == "immigration"


def test_durations_attached_per_pair_and_year(shared_data: Any, real: MirrorTable) -> None:
    """Thresholds come from the reporter's table for that pair and year; gaps stay NA."""
    t = real.with_durations(
        shared_data.path("duration_thresholds_immigration_2002_2021.csv"),
        shared_data.path("duration_thresholds_emigration_2002_2021.csv"),
    )
    raw = pd.read_csv(shared_data.path("duration_thresholds_emigration_2002_2021.csv"))
    want = raw.query("orig == 'CZ' and dest == 'AT' and year == 2010").min_duration_months.item()
    got = t.data.query("origin == 'CZE' and destination == 'AUT' and year == 2010")
    assert got.emi_threshold.item() == want
    assert t.duration_rejected.empty
    corrected = t.duration_corrected("imem")
    row = corrected.data.query("origin == 'CZE' and destination == 'AUT' and year == 2010")
    if row.emigration_reported.notna().item():
        assert row.emi_factor.item() == pytest.approx(
            float(pd.Series([want]).map({0: 0.53, 3: 0.63, 6: 0.73, 12: 1.0, 60: 2.26}).item())
        )


def test_missing_threshold_is_na_not_one() -> None:
    """A side without a threshold gets factor NA and is listed, never silently R = 1."""
    t = MirrorTable.from_eurostat(
        pd.DataFrame({"Year": [2015], "Sending_iso2": ["IT"], "Receiving_iso2": ["ES"],
                      "Emig": [5003], "Immi": [17350]})
    )  # fmt: skip
    thr = pd.DataFrame({"orig": ["IT"], "dest": ["ES"], "year": [2015], "min_duration_months": [3]})
    c = t.with_durations(thr, thr.iloc[:0]).duration_corrected()
    assert pd.isna(c.data.emi_factor.item()) and pd.isna(c.data.emigration.item())
    assert c.data.immigration.item() == pytest.approx(17350 * 0.63)
    assert c.data.reported_by.item() == "destination only"
    assert t.with_durations(thr, thr.iloc[:0]).duration_gaps().side.tolist() == ["emigration"]


def test_readers_of_shared_files(shared_data: Any) -> None:
    """Duration and IMEM class files read completely; EL and UK resolve."""
    d = read_duration_thresholds(shared_data.path("duration_thresholds_immigration_2002_2021.csv"))
    assert len(d.data) == 19840 and d.rejected.empty
    c = read_imem_classes(shared_data.path("imem_undercount_classes.csv"))
    assert len(c.data) == 32 and {"GRC", "GBR"} <= set(c.data.country)


def test_repr_html_summarises(real: MirrorTable) -> None:
    """The notebook view names the table and counts pairs reported by both sides."""
    text = real._repr_html_()
    assert "MirrorTable" in text and "1,792" in text


def test_from_eurostat_sdmx_csv_read_by_the_exchange_code(shared_data: type, tmp_path) -> None:
    """Eurostat SDMX-CSV files (imm5prv, emi3nxt) read by read_exchange feed the mirror table."""
    import migdata

    real = pd.read_csv(shared_data.path(MIRROR), keep_default_na=False, na_values=[""])
    part = real[
        (real["Year"] == 2015)
        & (real["SEX"] == "Total")
        & real["Sending_iso2"].isin(["IT", "ES", "BE"])
        & real["Receiving_iso2"].isin(["IT", "ES", "FR"])
    ]
    header = (
        "DATAFLOW,LAST UPDATE,freq,partner,agedef,age,unit,sex,geo,TIME_PERIOD,OBS_VALUE,"
        "OBS_FLAG,CONF_STATUS"
    )
    paths = {}
    for flow, value, geo, partner in (
        ("MIGR_IMM5PRV", "Immi", "Receiving_iso2", "Sending_iso2"),
        ("MIGR_EMI3NXT", "Emig", "Sending_iso2", "Receiving_iso2"),
    ):
        rows = [
            f"ESTAT:{flow}(1.0),25/03/24 23:00:00,A,{r[partner]},COMPLET,TOTAL,NR,T,{r[geo]},"
            f"2015,{r[value]:.0f},,"
            for _, r in part.iterrows()
            if pd.notna(r[value])
        ]
        paths[flow] = tmp_path / f"{flow.lower()}.csv"
        paths[flow].write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
    imm = migdata.read_exchange(paths["MIGR_IMM5PRV"]).table
    emi = migdata.read_exchange(paths["MIGR_EMI3NXT"]).table
    table = MirrorTable.from_harmonised(imm, emi)
    ind = migdata.pair_indicators(table).set_index(["origin", "destination"])
    assert ind.loc[("ITA", "ESP"), "emigration"] == 5003
    assert ind.loc[("ITA", "ESP"), "immigration"] == 17350
    assert round(float(ind.loc[("ITA", "ESP"), "ratio"]), 3) == 3.468
