"""Reader of Eurostat's SDMX-CSV (migr_imm5prv, migr_emi3nxt, migr_pop1ctz, ...).

Maps Eurostat's lower-case ids, alpha-2/EL/UK/XK areas, age and sex codes, composite OBS_FLAG
letters and the COMPLET/REACH age definitions onto the harmonised table (rules in
``migdata/data/exchange/eurostat.yaml``); rows that cannot be mapped are rejected with a reason.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml

from migdata import countries
from migdata._resources import data_path
from migdata.errors import ConfigurationError, InputError
from migdata.exchange import _frame, _text

_REF = re.compile(r"^(?:[A-Za-z0-9_.]+:)?(?P<id>[A-Za-z0-9_]+)(?:\(.*\))?$")
_AGE_BAND = re.compile(r"^Y(\d{1,3})-(\d{1,3})$")
_AGE_OK = re.compile(r"^(Y_LT\d{1,3}|Y_GE\d{1,3}|Y\d{1,3})$")
_EXPECTED = (
    "STRUCTURE",
    "STRUCTURE_ID",
    "DATAFLOW",
    "LAST UPDATE",
    "freq",
    "partner",
    "citizen",
    "c_birth",
    "agedef",
    "age",
    "unit",
    "sex",
    "geo",
    "reason",
    "duration",
    "TIME_PERIOD",
    "OBS_VALUE",
    "OBS_FLAG",
    "CONF_STATUS",
)


@cache
def rules() -> dict[str, Any]:
    """The Eurostat mapping rules (``eurostat.yaml``).

    Examples
    --------
    >>> rules()["dataflows"]["MIGR_IMM5PRV"]["measure"], rules()["agedef_default"]
    ('IMM', 'COMPLET')
    """
    with data_path("exchange", "eurostat.yaml").open(encoding="utf-8") as fh:
        out: dict[str, Any] = yaml.safe_load(fh)
    return out


def map_age(codes: pd.Series) -> pd.Series:
    """Eurostat age codes -> ours (``Y5-9`` -> ``Y5T9``, ``TOTAL`` -> ``_T``); NA if unknown.

    Examples
    --------
    >>> map_age(pd.Series(["TOTAL", "Y_LT5", "Y5-9", "Y_GE85", "Y20", "UNK", "Y_X"])).tolist()
    ['_T', 'Y_LT5', 'Y5T9', 'Y_GE85', 'Y20', '_U', nan]
    """
    fixed = rules()["age"]
    uniques = pd.unique(codes.astype("str"))
    mapped: dict[Any, Any] = {}
    for code in uniques:
        if code in fixed:
            mapped[code] = fixed[code]
        elif isinstance(code, str) and (m := _AGE_BAND.match(code)):
            mapped[code] = f"Y{m.group(1)}T{m.group(2)}"
        elif isinstance(code, str) and _AGE_OK.match(code):
            mapped[code] = code
        else:
            mapped[code] = np.nan
    return codes.astype("str").map(mapped).astype("str")


def map_permit_codes(codes: pd.Series, dimension: str) -> tuple[pd.Series, pd.Series]:
    """Eurostat permit ``reason``/``duration`` codes -> CL_REASON/CL_VALIDITY, with rejections.

    Returns the mapped codes and, per row, why it is rejected (NaN when kept): the
    sub-categories (``OCC_HSKL``, ``EDUC_STUD``, ...) are parts of a group whose total the
    file also holds, so keeping them would count permits twice.

    Examples
    --------
    >>> codes, why = map_permit_codes(pd.Series(["TOTAL", "OCC", "FAM", "OCC_HSKL"]), "reason")
    >>> codes.tolist(), why.notna().tolist()
    (['_T', 'REMUN', 'FAM', nan], [False, False, False, True])
    >>> map_permit_codes(pd.Series(["M6-11", "M_GE12"]), "duration")[0].tolist()
    ['M6T11', 'M_GE12']
    """
    table = rules()["permits"][dimension]
    text = codes.astype("str")
    mapped = text.map(table["codes"]).astype("str")
    parts = table.get("parts", {})
    why = pd.Series(np.nan, index=codes.index, dtype="str")
    sub = text.str.extract(r"^([A-Z]+)_", expand=False).astype("str")
    is_part = mapped.isna() & sub.isin(list(parts))
    why = why.mask(
        is_part,
        f"{dimension} "
        + text
        + " is a sub-category of "
        + sub.map(parts).astype("str").fillna("")
        + "; only the groups of Regulation (EC) 862/2007 art. 6 are kept (the group total "
        "is in the file)",
    )
    unknown = mapped.isna() & ~is_part & text.notna()
    why = why.mask(
        unknown,
        f"{dimension} "
        + text
        + " is not a Eurostat code we map (known: "
        + ", ".join(table["codes"])
        + ")",
    )
    return mapped, why


def split_flags(flags: pd.Series) -> pd.Series:
    """Composite OBS_FLAG letters -> one OBS_STATUS by the priority in ``eurostat.yaml``.

    Examples
    --------
    >>> split_flags(pd.Series(["", "b", "ep", "bp", ":", "d"])).tolist()
    [nan, 'B', 'E', 'P', 'M', nan]
    """
    text = flags.astype("str").fillna("")
    status = pd.Series(np.nan, index=flags.index, dtype="str")
    for rule in reversed(rules()["flag_priority"]):
        hit = text.str.contains(rule["letter"], regex=False).fillna(False)
        status = status.mask(hit, rule["status"])
    return status


def read_raw(
    path: Path | str, *, agedef: str | None = None, text: str | None = None
) -> _frame.RawFrame:
    """Read a Eurostat SDMX-CSV file into an SDMX frame of our structures plus rejects."""
    file = str(path)
    notes: list[str] = []
    frame, lines = _text.read_table(path, _EXPECTED, notes, text=text)
    if frame.columns[0] == "STRUCTURE":
        # The SDMX-CSV 2.0 layout of Eurostat's newer API: STRUCTURE,STRUCTURE_ID,freq,...
        notes.append("Eurostat SDMX-CSV 2.0 layout (STRUCTURE, STRUCTURE_ID) read")
        frame = frame.drop(columns=[c for c in ("STRUCTURE", "ACTION") if c in frame.columns])
        frame = frame.rename(columns={"STRUCTURE_ID": "DATAFLOW"})
    return _convert(frame, lines, notes, file, agedef)


def from_frame(raw: _frame.RawFrame, *, agedef: str | None = None) -> _frame.RawFrame:
    """Eurostat data already read from SDMX-ML (``STRUCTURE_ID`` = ``ESTAT:FLOW(v)``)."""
    frame = raw.frame.rename(columns={"STRUCTURE_ID": "DATAFLOW"})
    out = _convert(frame, raw.lines, list(raw.notes), raw.file or "", agedef)
    out.format = "eurostat-sdmx-ml"
    return out


def _convert(
    frame: pd.DataFrame, lines: np.ndarray, notes: list[str], file: str, agedef: str | None
) -> _frame.RawFrame:
    """Eurostat columns (text) -> an SDMX frame of our structures plus rejects."""
    r = rules()
    missing = [c for c in ("DATAFLOW", "geo", "TIME_PERIOD", "OBS_VALUE") if c not in frame.columns]
    if missing:
        raise InputError(
            f"not a Eurostat SDMX-CSV file: missing column(s) {', '.join(missing)}",
            file=file,
            row=1,
        )
    n = len(frame)
    reason = pd.Series(np.nan, index=frame.index, dtype="str")

    def reject(mask: Any, why: Any) -> None:
        nonlocal reason
        mask = pd.Series(mask, index=frame.index).fillna(False).astype(bool) & reason.isna()
        reason = reason.mask(mask, why)

    flow_ids = frame["DATAFLOW"].astype("str").str.extract(_REF)["id"].str.upper()
    info = r["dataflows"]
    known = flow_ids.isin(list(info))
    reject(
        ~known,
        "Eurostat dataflow " + frame["DATAFLOW"].astype("str") + " is not mapped to a "
        "COMESA dataflow (known: " + ", ".join(sorted(info)) + ")",
    )
    measure = flow_ids.map({k: v["measure"] for k, v in info.items()})
    ctype = flow_ids.map({k: v["counterpart_type"] for k, v in info.items()})

    # Age definition: keep one, or every person is counted twice.
    chosen = (agedef or r["agedef_default"]).upper()
    if chosen not in ("COMPLET", "REACH"):
        raise ConfigurationError(f"unknown agedef {agedef!r}; expected 'COMPLET' or 'REACH'")
    if "agedef" in frame.columns:
        other = frame["agedef"].astype("str") != chosen
        reject(
            other,
            "age definition " + frame["agedef"].astype("str") + f" not selected: "
            f"{chosen} is kept (agedef={chosen}); the same people are counted under both",
        )
        if other.any():
            notes.append(
                f"agedef {chosen} kept; {int(other.sum()):,} rows of the other age "
                "definition rejected (the same people would be counted twice)"
            )

    # Counterpart area: the column named by the dataflow (partner, citizen or c_birth).
    counterpart = pd.Series(np.nan, index=frame.index, dtype="str")
    for flow, spec in info.items():
        col = spec["counterpart"]
        rows = flow_ids == flow
        if rows.any() and col in frame.columns:
            counterpart = counterpart.mask(rows, frame[col].astype("str"))
    geo_raw = frame["geo"].astype("str")
    geo = countries.resolve(geo_raw, to="alpha3").astype("str")
    reject(
        geo.isna(),
        "reporting area geo=" + geo_raw + " is not a country (aggregates such as "
        "EU27_2020 are not members' data)",
    )
    special = r["areas"]
    cp_upper = counterpart.str.upper()
    cp = cp_upper.map(special).astype("str")
    nat = cp_upper == "NAT"
    cp = cp.mask(nat, geo)
    todo = cp.isna() & counterpart.notna()
    if todo.any():
        resolved = countries.resolve(counterpart[todo], to="alpha3").astype("str")
        # Two-letter ids only: resolve() also knows names, but Eurostat sends codes.
        resolved = resolved.where(counterpart[todo].str.len() == 2, np.nan)
        cp = cp.mask(todo, resolved)
    reject(
        cp.isna(),
        "counterpart area " + counterpart.fillna("(empty)") + " is an aggregate or "
        "unknown code with no COMESA area code (only TOTAL, UNK, OTHER and NAT are kept)",
    )

    sex = (
        frame["sex"].astype("str").map(r["sex"]).astype("str")
        if "sex" in frame.columns
        else pd.Series("_T", index=frame.index, dtype="str")
    )
    if "sex" in frame.columns:
        reject(sex.isna(), "sex " + frame["sex"].astype("str") + " is not T, M, F or UNK")
    age = (
        map_age(frame["age"])
        if "age" in frame.columns
        else pd.Series("_T", index=frame.index, dtype="str")
    )
    if "age" in frame.columns:
        reject(
            age.isna(), "age " + frame["age"].astype("str") + " is not a Eurostat age code we read"
        )
    if "unit" in frame.columns:
        unit_ok = frame["unit"].astype("str").isin(list(r["unit"]))
        reject(~unit_ok, "unit " + frame["unit"].astype("str") + " is not a count of persons (NR)")
    if "freq" in frame.columns:
        reject(
            frame["freq"].astype("str") != "A",
            "frequency " + frame["freq"].astype("str") + " is not annual (A)",
        )

    flags = (
        frame["OBS_FLAG"].astype("str").str.strip()
        if "OBS_FLAG" in frame.columns
        else pd.Series("", index=frame.index, dtype="str")
    )
    flags = flags.where(flags != "", np.nan)
    status = split_flags(flags.fillna(""))
    value_text = frame["OBS_VALUE"].astype("str").str.strip()
    missing_value = value_text.isin(["", ":"]) | value_text.isna()
    status = status.mask(missing_value & status.isna(), "M")
    values = _frame.parse_numbers(
        value_text.where(~missing_value, ""), "OBS_VALUE", lines, notes, file
    )
    conf = frame["CONF_STATUS"].astype("str") if "CONF_STATUS" in frame.columns else None

    provenance = "Eurostat " + flow_ids.str.lower()
    if "LAST UPDATE" in frame.columns:
        provenance = provenance + ", last update " + frame["LAST UPDATE"].astype("str")

    table = pd.DataFrame(
        {
            "measure": measure,
            "ref_area": geo,
            "counterpart_area": cp,
            "counterpart_type": ctype,
            "sex": sex,
            "age": age,
            "time_period": frame["TIME_PERIOD"].astype("str").str.strip(),
            "obs_value": values,
            "obs_status": status,
            "source_id": "ESTAT:" + flow_ids.fillna(""),
            "provenance": provenance,
        }
    )
    if conf is not None:
        table["conf_status"] = conf.where(conf != "", np.nan)
    for ours, theirs in (("reason", "reason"), ("validity", "duration")):
        if theirs in frame.columns:
            codes = frame[theirs].astype("str")
            table[ours], why = map_permit_codes(codes, theirs)
            reject(why.notna(), why)
    used = reason.isna().to_numpy()
    rejected = frame.loc[~used].assign(row=lines[~used], reason=reason[~used].to_numpy())
    kept = table.loc[used].reset_index(drop=True)
    sdmx = (
        _frame.to_sdmx(kept, file=file, sort=False)
        if len(kept)
        else _frame.to_sdmx(
            kept.assign(measure=pd.Series([], dtype="str")), dataflow="IMM", file=file, sort=False
        )
    )
    # Eurostat flags are richer than OBS_STATUS: keep the letters beside it.
    sdmx["flags"] = flags[used].reset_index(drop=True).to_numpy()
    notes.append(
        f"Eurostat file read: {int(used.sum()):,} of {n:,} rows used, "
        f"{int((~used).sum()):,} rejected (see rejected)"
    )
    return _frame.RawFrame(
        sdmx, lines[used], notes, rejected.reset_index(drop=True), "eurostat-sdmx-csv", file=file
    )


def read(path: Path | str, *, agedef: str | None = None) -> _frame.ReadResult:
    """Read a Eurostat SDMX-CSV file into the harmonised table.

    Parameters
    ----------
    path
        A file as served by Eurostat's API (``format=SDMX-CSV``).
    agedef
        ``"COMPLET"`` (default: age completed, the UN recommendation) or ``"REACH"``; the rows
        of the other definition are rejected.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "estat.csv"
    >>> _ = p.write_text(
    ...     "DATAFLOW,LAST UPDATE,freq,partner,agedef,age,unit,sex,geo,TIME_PERIOD,"
    ...     "OBS_VALUE,OBS_FLAG,CONF_STATUS\\n"
    ...     "ESTAT:MIGR_IMM5PRV(1.0),20/03/24 23:00:00,A,IT,COMPLET,TOTAL,NR,T,ES,2015,17350,,\\n"
    ...     "ESTAT:MIGR_IMM5PRV(1.0),20/03/24 23:00:00,A,IT,REACH,TOTAL,NR,T,ES,2015,17350,,\\n"
    ...     "ESTAT:MIGR_IMM5PRV(1.0),20/03/24 23:00:00,A,EU27_2020,COMPLET,TOTAL,NR,T,EL,"
    ...     "2015,9,bep,\\n")
    >>> r = read(p)
    >>> r.table[["ref_area", "counterpart_area", "sex", "age", "obs_value"]].values.tolist()
    [['ESP', 'ITA', '_T', '_T', 17350.0]]
    >>> r.rejected["row"].tolist()
    [3, 4]
    """
    raw = read_raw(path, agedef=agedef)
    return _frame.ReadResult(_frame.from_sdmx(raw), raw.notes, raw.rejected, raw.format)
