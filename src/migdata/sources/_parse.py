"""Reading the cells of national tables and microdata: sex, age, counts, years, durations.

Each parser takes a Series and returns parsed values plus a mask of cells it could not read;
distinct values are parsed once and broadcast back. Labels live in
``data/sources/labels.yaml``. Also the column look-up and the per-person breakdowns
(counterpart, sex, age) shared by the microdata readers.
"""

from __future__ import annotations

import re
import unicodedata
from functools import cache
from typing import Any

import numpy as np
import pandas as pd
import yaml

from migdata._durations import read_duration
from migdata._resources import data_path
from migdata.countries import resolve
from migdata.errors import InputError

_ARABIC_DIGITS = str.maketrans("٠١٢٣٤٥٦٧٨٩۰۱۲۳۴۵۶۷۸۹", "01234567890123456789")


@cache
def labels() -> dict[str, Any]:
    """The label tables of ``labels.yaml``."""
    raw: dict[str, Any] = yaml.safe_load(data_path("sources", "labels.yaml").read_text("utf-8"))
    return raw


def normalise_text(value: Any) -> str:
    """Lower case, accents and Arabic diacritics removed, digits to ASCII, spaces collapsed."""
    text = unicodedata.normalize("NFKD", str(value).translate(_ARABIC_DIGITS).lower())
    text = "".join(c for c in text if not unicodedata.combining(c))
    text = text.replace("\u0640", "")  # Arabic tatweel
    text = re.sub(r"[\s_]+", " ", text.replace("\u00a0", " ")).strip()
    return text


def _norm(text: Any) -> str:
    # Labels in the data file are written already normalised, except Arabic (diacritics).
    return normalise_text(text)


@cache
def _lookup(section: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for code, words in labels()[section].items():
        for w in words:
            out[_norm(w)] = str(code)
    return out


def _map_distinct(values: pd.Series, parse: Any) -> tuple[pd.Series, Any]:
    """Apply ``parse`` (value -> result or None) once per distinct value; NA stays NA."""
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    parsed = [parse(u) for u in uniques]
    return pd.Series(parsed, dtype=object), codes


def _broadcast(parsed: list[Any], codes: Any, index: Any, dtype: str) -> pd.Series:
    table = pd.array([*parsed, None], dtype=dtype)
    return pd.Series(table.take(np.where(codes < 0, len(parsed), codes)), index=index)


def parse_sex(values: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Sex labels to M/F/_T/_U. Returns (codes, unreadable mask); missing cells unreadable."""
    table = _lookup("sex")
    codes, uniques = pd.factorize(values.astype("string"), use_na_sentinel=True)
    parsed = [table.get(_norm(u)) for u in uniques]
    out = _broadcast(parsed, codes, values.index, "string")
    return out, out.isna()


def parse_area_words(values: pd.Series) -> pd.Series:
    """Special area labels ('total', 'other', 'unknown' ...) to _T/_O/_U/_Z, else NA."""
    table = _lookup("areas")
    codes, uniques = pd.factorize(values.astype("string"), use_na_sentinel=True)
    return _broadcast([table.get(_norm(u)) for u in uniques], codes, values.index, "string")


def _age_one(raw: Any) -> str | None:
    text = _norm(raw)
    if re.fullmatch(r"_t|_u|y\d{1,3}t\d{1,3}|y_lt\d{1,3}|y_ge\d{1,3}|y\d{1,3}", text):
        return text.upper().replace("Y_LT", "Y_LT").replace("Y_GE", "Y_GE")
    words = _lookup("age_words")
    if text in words:
        return words[text]
    text = re.sub(r"\b(years?|yrs?|ans?|anos?|ages?|sana|عاما|سنة)\b", " ", text)
    text = re.sub(r"\s+", " ", text).strip()
    m = re.fullmatch(r"(\d{1,3})\s*(?:-|–|—|to|a|à|ate|até|/|إلى|الى)\s*(\d{1,3})", text)
    if m:
        lo, hi = int(m.group(1)), int(m.group(2))
        return f"Y{lo}T{hi}" if lo <= hi else None
    upper = [re.escape(_norm(w)) for w in labels()["age_open_upper"]]
    m = re.fullmatch(rf"(\d{{1,3}})\s*(?:{'|'.join(upper)})", text)
    if m:
        return f"Y_GE{int(m.group(1))}"
    lower = [re.escape(_norm(w)) for w in labels()["age_open_lower"]]
    m = re.fullmatch(rf"(?:{'|'.join(lower)})\s*(\d{{1,3}})", text)
    if m:
        return f"Y_LT{int(m.group(1))}"
    if re.fullmatch(r"\d{1,3}", text):
        return f"Y{int(text)}"
    return None


def parse_age(values: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Age labels ('15-19', '65+', 'under 15', 'total', 'Y15T19') to SDMX bands."""
    codes, uniques = pd.factorize(values.astype("string"), use_na_sentinel=True)
    out = _broadcast([_age_one(u) for u in uniques], codes, values.index, "string")
    return out, out.isna()


def age_band(age: pd.Series, bands: str = "5y") -> pd.Series:
    """Exact ages (numbers) to SDMX five-year bands Y_LT15 ... Y_GE65 (NA -> _U).

    ``bands="5y"``: Y_LT15, Y15T19, ..., Y60T64, Y_GE65. ``bands="none"``: _T for all.
    """
    if bands == "none":
        return pd.Series("_T", index=age.index, dtype="string")
    years = pd.to_numeric(age, errors="coerce").to_numpy(dtype=float)
    lo = (np.floor(np.nan_to_num(years, nan=0) / 5) * 5).astype(int)
    labels_ = np.char.add(
        np.char.add("Y", lo.astype(str)), np.char.add("T", (lo + 4).astype(str))
    ).astype(object)
    labels_[years < 15] = "Y_LT15"
    labels_[years >= 65] = "Y_GE65"
    labels_[np.isnan(years) | (years < 0)] = "_U"
    return pd.Series(labels_, index=age.index, dtype="string")


def parse_counts(values: pd.Series) -> tuple[pd.Series, pd.Series, pd.Series]:
    """Counts: numbers, or text with spaces or comma thousands separators ('1 234', '12,500').

    Returns (values as float, unreadable mask, cleaned mask: text that needed cleaning).
    """
    if pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values):
        numbers = values.astype("float64")
        numbers = numbers.where(np.isfinite(numbers))  # inf, 1e400: not a count
        return numbers, numbers.isna(), pd.Series(False, index=values.index)
    text = values.astype("string").str.strip()
    direct = pd.to_numeric(text, errors="coerce")
    squeezed = text.str.replace(r"[\s\u00a0\u202f']", "", regex=True)
    grouped = squeezed.str.fullmatch(r"-?\d{1,3}(,\d{3})+(\.\d+)?", na=False)
    squeezed = squeezed.where(~grouped, squeezed.str.replace(",", "", regex=False))
    cleaned_values = pd.to_numeric(squeezed, errors="coerce")
    numbers = direct.astype("float64").fillna(cleaned_values.astype("float64"))
    numbers = numbers.where(np.isfinite(numbers.to_numpy(dtype="float64", na_value=np.nan)))
    cleaned = direct.isna() & cleaned_values.notna()
    return numbers, numbers.isna(), cleaned.fillna(False).astype(bool)


def parse_year(values: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Years from 2015, 2015.0, '2015', '2015-01-01' -> Int64; unreadable -> mask."""
    text = values.astype("string").str.strip()
    found = text.str.extract(r"^(\d{4})(?:\.0+|-\d{2}(?:-\d{2})?)?$")[0]
    years = pd.to_numeric(found, errors="coerce").astype("Int64")
    bad = years.isna() | (years < 1900) | (years > 2100)
    return years.where(~bad), bad.fillna(True).astype(bool)


def _duration_one(raw: Any, unit: float) -> float | None:
    # The one parser of durations as text (migdata._durations); a range or readings that
    # disagree are unreadable, like any text that is not one duration.
    return read_duration(raw, bare_unit=unit).months


def parse_duration(values: pd.Series, unit: str = "months") -> tuple[pd.Series, pd.Series]:
    """Durations in months from numbers or text in en/fr/pt/ar ('1 an', '6 mois', '2 anos',
    'permanent' = 60, 'سنة'); bare numbers are in ``unit`` (months, days, years, weeks).

    Returns (months as float, unreadable mask); missing cells are NaN and not unreadable.
    """
    factor = {"months": 1.0, "days": 12.0 / 365.0, "years": 12.0, "weeks": 12.0 / 52.0}[unit]
    if pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values):
        months = values.astype("float64") * factor
        return months, pd.Series(False, index=values.index) | (months < 0).fillna(False)
    codes, uniques = pd.factorize(values.astype("string"), use_na_sentinel=True)
    parsed = [_duration_one(u, factor) for u in uniques]
    months = _broadcast(parsed, codes, values.index, "Float64").astype("float64")
    bad = pd.Series(codes >= 0, index=values.index) & months.isna()
    bad = bad | (months < 0).fillna(False)
    return months.where(~bad), bad


def rejected_frame(
    source: pd.DataFrame, positions: Any, reasons: pd.Series | list[str]
) -> pd.DataFrame:
    """Rows of ``source`` at ``positions`` with columns ``row`` and ``reason`` appended."""
    pos = np.asarray(positions, dtype=int)
    out = source.iloc[pos].reset_index(drop=True)
    out["row"] = pd.array(pos, dtype="Int64")
    out["reason"] = pd.array(list(reasons), dtype="string")
    return out


def combine_reasons(problems: dict[str, pd.Series], index: Any) -> pd.Series:
    """Join per-row reasons (NA or '' = none) from several checks into one text per row."""
    out = pd.Series("", index=index, dtype="string")
    for reason in problems.values():
        r = reason.reindex(index).fillna("").astype("string")
        out = out.where(r == "", out.where(out == "", out + "; ") + r)
    return out


def parse_code(values: pd.Series, section: str) -> tuple[pd.Series, pd.Series]:
    """Labels to the codes of a ``labels.yaml`` section; (codes, unreadable mask).

    Missing cells give NA and are not counted as unreadable.
    """
    table = _lookup(section)
    codes, uniques = pd.factorize(values.astype("string"), use_na_sentinel=True)
    out = _broadcast([table.get(_norm(u)) for u in uniques], codes, values.index, "string")
    return out, pd.Series(codes >= 0, index=values.index) & out.isna()


@cache
def standards_data() -> dict[str, Any]:
    """The standards' definitions (module :mod:`migdata.standards` data file), or {}."""
    path = data_path("standards", "definitions.yaml")
    if not path.is_file():
        return {}
    raw: dict[str, Any] = yaml.safe_load(path.read_text(encoding="utf-8"))
    return raw


def excluded_purposes() -> tuple[str, ...]:
    """Codes of the six purposes excluded from short-term migration (UN 1998)."""
    data = standards_data().get("excluded_purposes")
    if data:
        return tuple(str(p["code"]) for p in data)
    return ("RECREATION", "HOLIDAY", "VISIT", "BUSINESS", "MEDICAL", "PILGRIMAGE")


def short_term_months() -> float:
    """Lower bound of short-term migration / temporary mobility (3 months)."""
    return float(standards_data().get("short_term", {}).get("months", 3))


def reason_where(mask: Any, message: str, raw: pd.Series | None) -> pd.Series:
    """``message + got '<raw>'`` on the masked rows, '' elsewhere (strings built only where
    needed: most rows of a large input have no problem)."""
    index = raw.index if raw is not None else None
    flags = np.asarray(mask, dtype=bool)
    out = pd.Series(
        "", index=index if index is not None else pd.RangeIndex(len(flags)), dtype="string"
    )
    if flags.any():
        if raw is None:
            shown = pd.Series("nothing", index=out.index[flags], dtype="string")
        else:
            shown = ("'" + raw[flags].astype("string") + "'").fillna("nothing")
        out[flags] = message + ", got " + shown
    return out


def is_plain_number(values: pd.Series) -> pd.Series:
    """True where a cell is a number or a text holding only a number (per distinct value)."""
    codes, uniques = pd.factorize(values.astype("string"), use_na_sentinel=True)
    plain = pd.Series(uniques, dtype="string").str.fullmatch(r"\s*\d+([.,]\d+)?\s*")
    table = np.append(plain.fillna(False).to_numpy(bool), False)
    return pd.Series(table[np.where(codes < 0, len(uniques), codes)], index=values.index)


def required_column(table: pd.DataFrame, name: str, what: str) -> pd.Series:
    """Column ``name`` of ``table``, which holds the ``what``; InputError naming it if absent."""
    if name not in table.columns:
        raise InputError(
            f"expected a column {name!r} holding the {what}, got columns "
            f"{', '.join(map(str, table.columns))}",
            column=name,
        )
    return table[name]


def _totals(rows: pd.DataFrame) -> pd.Series:
    return pd.Series("_T", index=rows.index, dtype="string")


def counterpart_codes(rows: pd.DataFrame, column: str | None, what: str) -> pd.Series:
    """Alpha-3 codes of the countries in ``column`` (unresolved -> _U); None -> totals (_T)."""
    if column is None:
        return _totals(rows)
    resolved = resolve(required_column(rows, column, what).astype("string"))
    return pd.Series(resolved, index=rows.index).astype("string").fillna("_U")


def sex_codes(rows: pd.DataFrame, column: str | None) -> pd.Series:
    """Sex codes of ``column`` (unreadable -> _U); None -> totals (_T)."""
    if column is None:
        return _totals(rows)
    return parse_sex(required_column(rows, column, "sex"))[0].fillna("_U")


def age_codes(rows: pd.DataFrame, column: str | None) -> pd.Series:
    """Five-year bands of the ages in ``column``: numbers banded, labels read (unreadable ->
    _U); None -> totals (_T)."""
    if column is None:
        return _totals(rows)
    raw = required_column(rows, column, "age")
    numeric = pd.to_numeric(raw, errors="coerce")
    return age_band(numeric).where(numeric.notna(), parse_age(raw)[0].fillna("_U"))
