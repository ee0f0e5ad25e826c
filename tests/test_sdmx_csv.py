"""Tests of the SDMX-CSV 2.0.0 / 1.0 writer and reader, including bad input."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from exchange_tables import canonical, sample, tables
from hypothesis import given

from migdata.errors import InputError
from migdata.exchange import read, registry, write

HEADER_20 = (
    "STRUCTURE,STRUCTURE_ID,ACTION,FREQ,REF_AREA,COUNTERPART_AREA,COUNTERPART_TYPE,SEX,"
    "AGE,TIME_PERIOD,OBS_VALUE,UNIT_MEASURE,OBS_STATUS,CONF_STATUS,TARGET,COMPLIANCE,"
    "SOURCE_ID,REPORTED_VALUE,ADJUSTMENT,COMMENT,DECIMALS"
)


def test_header_and_row_order_of_version_2(tmp_path: Path) -> None:
    """SDMX-CSV 2.0.0 starts STRUCTURE,STRUCTURE_ID,ACTION and rows are sorted by key."""
    text = write(sample(), tmp_path / "a.csv").read_text()
    lines = text.splitlines()
    assert lines[0] == HEADER_20
    assert [ln.split(",")[1] for ln in lines[1:]] == ["COMESA:DF_MIG_IMM(1.0)"] * 3 + [
        "COMESA:DF_MIG_STK(1.0)"
    ]
    assert [ln.split(",")[7] for ln in lines[1:4]] == ["F", "M", "_T"]
    assert lines[1].split(",")[10] == "12.5" and lines[2].split(",")[10] == "10"


def test_version_1_has_dataflow_column(tmp_path: Path) -> None:
    """SDMX-CSV 1.0 starts with DATAFLOW holding AGENCY:ID(VERSION)."""
    path = registry.write(sample(), tmp_path / "a.csv", format="sdmx-csv-1.0")
    first = path.read_text().splitlines()[1]
    assert first.startswith("COMESA:DF_MIG_IMM(1.0),A,KEN,UGA,CITIZENSHIP,F,")
    assert read(path).format == "sdmx-csv-1.0"


def test_byte_identical_for_same_input(tmp_path: Path) -> None:
    """The same table, in any row order, gives the same bytes."""
    t = sample()
    a = write(t, tmp_path / "a.csv").read_bytes()
    b = write(t.iloc[::-1], tmp_path / "b.csv").read_bytes()
    assert a == b


@given(tables())
def test_round_trip_both_versions(table: pd.DataFrame) -> None:
    """Write then read returns the same harmonised table (2.0.0 and 1.0)."""
    import tempfile

    folder = Path(tempfile.mkdtemp())
    for fmt in ("sdmx-csv", "sdmx-csv-1.0"):
        path = registry.write(table, folder / "t.csv", format=fmt)
        back = read(path).table
        pd.testing.assert_frame_equal(canonical(back), canonical(table))


def test_sdmx1_reads_our_file(tmp_path: Path) -> None:
    """The independent reader sdmx1 reads our SDMX-CSV 2.0.0 with a DSD built in its model."""
    sdmx = pytest.importorskip("sdmx")
    from sdmx.model import common, v30

    from migdata.exchange import structures

    path = write(sample().iloc[:3], tmp_path / "imm.csv")
    ours = structures.dataflow("IMM").structure
    dsd = v30.DataStructureDefinition(
        id=ours.id, maintainer=common.Agency(id="COMESA"), version=ours.version
    )
    for d in ours.dimensions:
        dsd.dimensions.getdefault(d.id)
    dsd.measures.getdefault("OBS_VALUE")
    for a in ours.attributes:
        dsd.attributes.getdefault(a.id)
    with path.open("rb") as fh:
        msg = sdmx.read_sdmx(fh, format="csv", structure=dsd)
    obs = [o for ds in msg.data for o in ds.obs]
    assert len(obs) == 3
    values = sorted(float(o.value) for o in obs)
    assert values == [10.0, 12.5, 22.5]
    keys = {o.dimension.values["SEX"].value for o in obs}
    assert keys == {"M", "F", "_T"}


def _csv(tmp_path: Path, body: bytes, name: str = "m.csv") -> Path:
    path = tmp_path / name
    path.write_bytes(body)
    return path


def test_semicolon_tab_bom_and_latin1_are_read_with_notes(tmp_path: Path) -> None:
    """Wrong delimiter, BOM and Latin-1 are repaired and each repair is noted."""
    table = sample().assign(provenance=["café", None, None, None])
    good = write(table, tmp_path / "g.csv").read_text()
    expected = read(_csv(tmp_path, good.encode(), "ok.csv")).table
    # No field needs quoting here, so swapping the delimiter is exact.
    variants = {
        "semicolon": good.replace(",", ";").encode("utf-8"),
        "tab": good.replace(",", "\t").encode("utf-8"),
        "bom": b"\xef\xbb\xbf" + good.encode("utf-8"),
        "latin1": good.encode("latin-1"),
    }
    words = {"semicolon": "semicolon", "tab": "tab", "bom": "byte-order mark", "latin1": "Latin-1"}
    for name, data in variants.items():
        result = read(_csv(tmp_path, data, f"{name}.csv"))
        assert any(words[name] in n for n in result.notes), (name, result.notes)
        pd.testing.assert_frame_equal(canonical(result.table), canonical(expected))


def test_thousands_separator_in_quotes_is_read(tmp_path: Path) -> None:
    """A quoted "1,234" in a comma-delimited file is read as 1234, with a note."""
    text = write(sample(), tmp_path / "g.csv").read_text().replace(",1520,", ',"1,520",')
    result = read(_csv(tmp_path, text.encode()))
    assert 1520.0 in result.table["obs_value"].tolist()
    assert any("thousands" in n for n in result.notes)


def test_truncated_last_line_is_refused_with_line_number(tmp_path: Path) -> None:
    """A file cut in the middle of its last line is refused, naming that line."""
    text = write(sample(), tmp_path / "g.csv").read_text()
    cut = text[: text.rindex(",1520,") + 3]
    with pytest.raises(InputError) as err:
        read(_csv(tmp_path, cut.encode()))
    assert err.value.row == 5 and "truncated" in str(err.value)


def test_non_number_and_extra_field_refused_with_line(tmp_path: Path) -> None:
    """A value that is not a number, or a row with too many fields, names its line."""
    text = write(sample(), tmp_path / "g.csv").read_text()
    with pytest.raises(InputError) as err:
        read(_csv(tmp_path, text.replace(",1520,", ",1.520,5,").encode(), "x.csv"))
    assert err.value.row == 5
    with pytest.raises(InputError) as err2:
        read(_csv(tmp_path, text.replace(",12.5,", ",douze,").encode(), "y.csv"))
    assert err2.value.row == 2 and err2.value.column == "OBS_VALUE"


def test_missing_values_round_trip(tmp_path: Path) -> None:
    """A missing observation with status M is written empty and read back as NaN."""
    t = sample().assign(obs_value=[np.nan, 1.0, 2.0, 3.0], obs_status=["M", "A", "A", "A"])
    back = read(write(t, tmp_path / "m.csv")).table
    assert back["obs_value"].isna().sum() == 1
