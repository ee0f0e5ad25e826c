"""Numbers fit to publish: no float noise, counts as integers, DECIMALS, controlled rounding."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
from exchange_tables import sample
from hypothesis import given, settings
from hypothesis import strategies as st

import migdata


def _csv_rows(path: Path) -> list[dict[str, str]]:
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    return frame.to_dict("records")


def _xlsx_values(path: Path) -> list[float]:
    book = openpyxl.load_workbook(path)
    sheet = book[book.sheetnames[0]]
    header = [str(c.value) for c in sheet[1]]
    col = header.index("OBS_VALUE") + 1
    dec = header.index("DECIMALS") + 1
    values = []
    for r in range(2, sheet.max_row + 1):
        cell = sheet.cell(r, col)
        places = int(sheet.cell(r, dec).value)
        # Shown with the decimals it is published with.
        assert cell.number_format == ("0" if places == 0 else "0." + "0" * places)
        values.append(cell.value)
    return values


def test_no_float_noise_counts_as_integers_and_decimals(tmp_path: Path) -> None:
    """436.17999999999995 is written 436.18 (DECIMALS 2); 1520.0 is written 1520 (DECIMALS 0)."""
    table = sample().assign(obs_value=[436.17999999999995, 12.5, 0.1 + 0.2, 1520.0])
    rows = _csv_rows(migdata.write_exchange(table, tmp_path / "a.csv"))
    got = {(r["SEX"], r["STRUCTURE_ID"][-9:]): (r["OBS_VALUE"], r["DECIMALS"]) for r in rows}
    assert got[("M", "_IMM(1.0)")] == ("436.18", "2")
    assert got[("F", "_IMM(1.0)")] == ("12.5", "1")
    assert got[("_T", "_IMM(1.0)")] == ("0.3", "1")
    assert got[("_T", "_STK(1.0)")] == ("1520", "0")
    assert sorted(_xlsx_values(migdata.write_exchange(table, tmp_path / "a.xlsx"))) == [
        0.3, 12.5, 436.18, 1520
    ]  # fmt: skip
    xml = migdata.write_exchange(table, tmp_path / "a.xml").read_text(encoding="utf-8")
    assert 'OBS_VALUE="436.18"' in xml and "436.17999" not in xml


def test_decimals_round_estimates_in_every_format(tmp_path: Path) -> None:
    table = sample().assign(obs_value=[436.17999999999995, 12.46, 448.64, 1520.0])
    rows = _csv_rows(migdata.write_exchange(table, tmp_path / "a.csv", decimals=1))
    values = sorted((r["OBS_VALUE"], r["DECIMALS"]) for r in rows)
    assert values == [("12.5", "1"), ("1520", "0"), ("436.2", "1"), ("448.6", "1")]
    xlsx = migdata.write_exchange(table, tmp_path / "a.xlsx", decimals=1)
    assert sorted(_xlsx_values(xlsx)) == [12.5, 436.2, 448.6, 1520]
    back = migdata.read_exchange(migdata.write_exchange(table, tmp_path / "a.xml", decimals=0))
    assert sorted(back.table["obs_value"]) == [12.0, 436.0, 449.0, 1520.0]


def test_controlled_rounding_keeps_the_total(tmp_path: Path) -> None:
    """Standard rounding breaks M + F = _T; controlled rounding keeps it."""
    table = sample().assign(obs_value=[10.4, 10.4, 20.8, 1520.0])
    standard = migdata.round_for_publication(table, 0)
    assert sorted(standard["obs_value"][:3]) == [10.0, 10.0, 21.0]
    controlled = migdata.round_for_publication(table, 0, rounding="controlled")
    imm = controlled[controlled["measure"] == "IMM"]
    by_sex = dict(zip(imm["sex"], imm["obs_value"], strict=True))
    assert by_sex["M"] + by_sex["F"] == by_sex["_T"] == 21.0
    path = migdata.write_exchange(table, tmp_path / "c.csv", rounding="controlled")
    assert migdata.validate_exchange(path).ok


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.floats(0, 1e6, allow_nan=False), min_size=2, max_size=3),
    st.integers(0, 3),
)
def test_controlled_rounding_property(parts: list[float], decimals: int) -> None:
    """Rounded parts add up to the rounded total and each moves by less than one unit."""
    sexes = ["M", "F", "_U"][: len(parts)]
    total = float(np.sum(parts))
    table = pd.DataFrame(
        {
            "measure": "IMM", "ref_area": "KEN", "counterpart_area": "UGA",
            "counterpart_type": "CITIZENSHIP", "age": "_T", "time_period": "2020",
            "sex": [*sexes, "_T"], "obs_value": [*parts, total],
        }
    )  # fmt: skip
    out = migdata.round_for_publication(table, decimals, rounding="controlled")
    unit = 10.0**-decimals
    values = out["obs_value"].to_numpy()
    assert round(values[:-1].sum() / unit) == round(values[-1] / unit)
    whole = np.array([*parts, total]) == np.round([*parts, total])
    moved = np.abs(values - np.array([*parts, total]))
    assert (moved[~whole] < unit + 1e-6 * np.maximum(1, values[~whole])).all()


def test_bad_rounding_options_are_configuration_errors() -> None:
    import pytest

    with pytest.raises(migdata.ConfigurationError, match="rounding"):
        migdata.round_for_publication(sample(), 1, rounding="banker")
    with pytest.raises(migdata.ConfigurationError, match="decimals"):
        migdata.round_for_publication(sample(), -1)
