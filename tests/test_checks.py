"""Tests of the input-checking layer: careless and hostile input gives a MigdataError
naming the place, never an exception from pandas, openpyxl, csv or a builtin."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

import migdata
from migdata import _checks
from migdata.errors import ConfigurationError, InputError, MigdataError


def _profile(**kw: Any) -> migdata.SourceProfile:
    base: dict[str, Any] = {
        "source_id": "RWA-REG",
        "country": "RWA",
        "source_type": "population_register",
        "measures": ["IMM"],
        "threshold_months": 6,
        "threshold_basis": "registration_rule",
    }
    return migdata.SourceProfile(**{**base, **kw})


def _counts(**cols: Any) -> pd.DataFrame:
    base = {"year": [2015, 2015], "country": ["UGA", "KEN"], "sex": ["F", "M"]}
    base.update({"age": ["total", "total"], "value": [10, 20]})
    base.update(cols)
    return pd.DataFrame(base)


def _permits() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "person_id": [1, 2],
            "reason": ["work", "work"],
            "valid_from": ["2019-01-01", "2019-05-01"],
            "valid_to": ["2019-12-31", "2020-10-31"],
            "citizenship": ["UGA", "KEN"],
        }
    )


def _moves() -> pd.DataFrame:
    return pd.DataFrame(
        {"person_id": ["p1", "p1"], "time": ["2015-01-01", "2016-03-01"], "direction": ["A", "D"]}
    )


def _mirror() -> migdata.MirrorTable:
    raw = pd.DataFrame(
        {
            "Year": [2015],
            "Sending_iso2": ["IT"],
            "Receiving_iso2": ["ES"],
            "Emig": [5003],
            "Immi": [17350],
        }
    )
    return migdata.MirrorTable.from_eurostat(raw)


@pytest.mark.parametrize(
    "call",
    [
        lambda: migdata.harmonise(_counts()["value"], _profile(), "UN1998"),
        lambda: migdata.harmonise(_counts().set_axis(["year"] * 5, axis=1), _profile(), "UN1998"),
        lambda: migdata.harmonise(
            _counts().set_axis(pd.MultiIndex.from_product([["a"], list("abcde")]), axis=1),
            _profile(),
            "UN1998",
        ),
        lambda: migdata.first_permits(_permits(), _profile(), gap_months=float("nan")),
        lambda: migdata.first_permits(_permits(), _profile(), gap_months=-1),
        lambda: migdata.classify_crossings(_moves(), obs_end="later"),
        lambda: migdata.score([], min_coverage=float("nan")),
        lambda: migdata.score([], min_coverage=-1),
        lambda: migdata.reconcile(_mirror().data),
        lambda: migdata.pair_indicators(_mirror().data),
        lambda: migdata.undercount_index(_mirror().data),
        lambda: migdata.census_stocks(
            pd.DataFrame({"country_of_birth": ["UGA"], "citizenship": ["UGA"]}),
            _profile(source_type="census"),
            "twenty",  # type: ignore[arg-type]
        ),
    ],
)
def test_careless_calls_give_migdata_errors(call: Any) -> None:
    """Series for tables, duplicate or nested column names, NaN and negative parameters,
    unreadable dates and years, a DataFrame for a MirrorTable: a MigdataError each."""
    with pytest.raises(MigdataError) as info:
        call()
    assert "parameter" in str(info.value) or "column" in str(info.value)


def test_infinite_counts_are_rejected_rows() -> None:
    """inf and 1e400 are not counts: their rows are rejected and the accounting holds."""
    h = migdata.harmonise(_counts(value=[float("inf"), "1e400"]), _profile(), "UN1998")
    assert h.rows_in == 2 and len(h.rejected) == 2
    assert h.rejected["reason"].str.contains("count").all()


def test_timezone_mix_is_an_input_error() -> None:
    """Timestamps mixing time zones with naive ones give an InputError, not pandas' own."""
    moves = _moves()
    moves["time"] = [pd.Timestamp("2015-01-01", tz="UTC"), pd.Timestamp("2016-03-01")]
    try:
        migdata.classify_crossings(moves)
    except MigdataError:
        return
    # Accepted: then every row is accounted for.


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b"", "empty"),
        (b"Year,Sending_iso2\r2015,IT\r", ""),
        ("Year,Sending_iso2\n".encode("utf-16")[:-1], ""),
    ],
)
def test_bad_files_to_mirror_table(tmp_path: Path, content: bytes, expected: str) -> None:
    """An empty CSV, CR-only line ends or odd-length UTF-16: an InputError naming the file."""
    path = tmp_path / "flows.csv"
    path.write_bytes(content)
    with pytest.raises(MigdataError) as info:
        migdata.MirrorTable.from_eurostat(path)
    assert "flows.csv" in str(info.value)
    assert expected in str(info.value)


def test_unreadable_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A file without read permission: an InputError naming it, not a PermissionError."""
    import builtins
    import io

    path = tmp_path / "data.csv"
    path.write_text("a,b\n1,2\n")
    real = io.open

    def denied(file: Any, *args: Any, **kwargs: Any) -> Any:
        if str(file) == str(path):
            raise PermissionError(13, "Permission denied", str(file))
        return real(file, *args, **kwargs)

    monkeypatch.setattr(io, "open", denied)
    monkeypatch.setattr(builtins, "open", denied)
    with pytest.raises(InputError, match=r"data\.csv.*ermission"):
        migdata.read_exchange(path)


def test_public_translates_what_leaks() -> None:
    """The boundary decorator turns a builtin's exception into an InputError naming it."""

    @_checks.public
    def reader(path: str) -> None:
        raise UnicodeDecodeError("utf-16-le", b"\x00", 0, 1, "truncated data")

    with pytest.raises(InputError, match=r"x\.csv.*UTF-8") as info:
        reader("x.csv")
    assert isinstance(info.value.__cause__, UnicodeDecodeError)


def test_parameter_checks() -> None:
    """Numbers, years and dates given as parameters are checked with the parameter named."""
    assert _checks.check_year("2015") == 2015 and _checks.check_year(2015.0) == 2015
    for bad in ("twenty", 2015.5, True, None, float("nan")):
        with pytest.raises(ConfigurationError, match="'year'"):
            _checks.check_year(bad)
    with pytest.raises(ConfigurationError, match="obs_end"):
        _checks.check_date("later", "obs_end")
    with pytest.raises(ConfigurationError, match="gap_months"):
        _checks.check_number(np.inf, "gap_months", lo=0)
    with pytest.raises(InputError, match="infinite"):
        _checks.check_finite(pd.DataFrame({"x": [1.0, np.inf]}), "table")


def test_infinite_values_in_validation_and_mirror_flows() -> None:
    """inf is not a count: a validation problem, and a rejected row of a mirror table."""
    t = pd.DataFrame(
        {
            "measure": ["IMM"],
            "ref_area": ["KEN"],
            "counterpart_area": ["UGA"],
            "counterpart_type": ["CITIZENSHIP"],
            "sex": ["_T"],
            "age": ["_T"],
            "time_period": ["2020"],
            "obs_value": [np.inf],
        }
    )
    report = migdata.validate_exchange(t)
    assert not report.ok and list(report["rule"]) == ["value"]
    raw = pd.DataFrame(
        {"Year": [2015], "Sending_iso2": ["IT"], "Receiving_iso2": ["ES"], "Emig": ["1e400"]}
    )
    table = migdata.MirrorTable.from_eurostat(raw)
    assert len(table.data) == 0 and len(table.rejected) == 1


def test_parquet_with_text_values(tmp_path: Path) -> None:
    """A Parquet file whose OBS_VALUE is text: an InputError naming the column and value."""
    frame = pd.DataFrame(
        {"STRUCTURE_ID": ["COMESA:DF_MIG_IMM(1.0)"], "REF_AREA": ["RWA"], "OBS_VALUE": ["abc"]}
    )
    frame.to_parquet(tmp_path / "t.parquet")
    with pytest.raises(InputError, match=r"OBS_VALUE.*'abc'"):
        migdata.read_exchange(tmp_path / "t.parquet")
