"""Conversion between the harmonised table and SDMX-column frames, shared by every format.

One place holds the column mapping in both directions, the canonical row order, the fixed
number formatting and the content hash, so every writer produces the same table.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from migdata.errors import InputError
from migdata.exchange import structures
from migdata.harmonised import HARMONISED_COLUMNS

NUMBER_COLUMNS = ("OBS_VALUE", "REPORTED_VALUE", "ADJUSTMENT")
EXTRA_COLUMNS = {"reason": "string", "validity": "string", "conf_status": "string"}
# Values SDMX-CSV 2.1 uses for intentionally missing observations; read as missing.
_MISSING_TOKENS = ("NaN", "#N/A")
_THOUSANDS = re.compile(r"^[+-]?\d{1,3}(,\d{3})+(\.\d+)?$")


@dataclass
class ReadResult:
    """A table read from an exchange file, with what the reader had to decide.

    Attributes
    ----------
    table
        The harmonised table (columns of ``HARMONISED_COLUMNS`` plus ``reason``/``validity``
        for permits, ``conf_status`` when not all free, ``flags`` for Eurostat files).
    notes
        Sentences saying what the reader repaired or assumed (delimiter, encoding, BOM, ...).
    rejected
        Input rows not used, with ``row`` (line number) and ``reason``.
    format
        The detected format (``sdmx-csv-2.0``, ``sdmx-csv-1.0``, ``parquet``, ``xlsx``,
        ``eurostat-sdmx-csv``, ``harmonised-csv``, ``datapackage``).
    """

    table: pd.DataFrame
    notes: list[str] = field(default_factory=list)
    rejected: pd.DataFrame = field(default_factory=lambda: pd.DataFrame({"row": [], "reason": []}))
    format: str = ""
    metadata: dict[str, str] = field(default_factory=dict)

    def __repr__(self) -> str:
        return (
            f"ReadResult({self.format or 'table'}: {len(self.table):,} rows, "
            f"{len(self.rejected):,} rejected, {len(self.notes)} note(s))"
        )

    def _repr_html_(self) -> str:
        notes = "".join(f"<li>{n}</li>" for n in self.notes) or "<li>none</li>"
        return (
            f"<b>{self.format}</b>: {len(self.table):,} observations, "
            f"{len(self.rejected):,} rejected rows<br>notes:<ul>{notes}</ul>"
            + self.table.head(10).to_html()
        )


@dataclass
class RawFrame:
    """SDMX columns as read from a file (text), before conversion to the harmonised table."""

    frame: pd.DataFrame
    lines: np.ndarray
    notes: list[str] = field(default_factory=list)
    rejected: pd.DataFrame = field(default_factory=lambda: pd.DataFrame({"row": [], "reason": []}))
    format: str = ""
    metadata: dict[str, str] = field(default_factory=dict)
    file: str | None = None


def _mapping() -> dict[str, str]:
    """harmonised name -> SDMX id."""
    m = structures.column_mapping()
    return {h: s for h, s in zip(m["harmonised"], m["sdmx"], strict=True) if h}


def _defaults() -> dict[str, str]:
    m = structures.column_mapping()
    return {s: d for s, d in zip(m["sdmx"], m["default"], strict=True) if d and "(" not in d}


def dimension_ids(flows: list[structures.Dataflow]) -> list[str]:
    """Dimension columns (the key) of a set of dataflows, in column order."""
    dims = {d.id for f in flows for d in f.structure.dimensions}
    return [c for c in structures.sdmx_columns(flows) if c in dims]


def to_sdmx(
    table: pd.DataFrame,
    dataflow: Any = None,
    *,
    file: str | None = None,
    sort: bool = True,
    categorical: bool = False,
) -> pd.DataFrame:
    """Harmonised table -> SDMX-column frame (STRUCTURE_ID first), sorted by key.

    Text columns are ``str`` with NaN for empty; number columns float64. With
    ``categorical=True`` the columns that do not come from the table (structure id, unit,
    defaults) are pandas Categoricals instead (same values, no text per row), for
    :func:`to_arrow_table`.
    """
    missing = [
        c
        for c in ("ref_area", "counterpart_area", "counterpart_type", "sex", "age", "time_period")
        if c not in table.columns
    ]
    if "obs_value" not in table.columns:
        missing.append("obs_value")
    if dataflow is None and "measure" not in table.columns:
        missing.append("measure")
    if missing:
        raise InputError(
            f"the harmonised table lacks column(s) {', '.join(missing)}; "
            f"expected the columns of migdata.harmonised.HARMONISED_COLUMNS",
            file=file,
        )
    if dataflow is not None:
        flow = structures.dataflow(dataflow)
        if "measure" in table.columns:
            other = table["measure"].astype("str") != flow.measure
            if other.any():
                pos = int(np.flatnonzero(other.to_numpy())[0])
                raise InputError(
                    f"dataflow {flow.ref} holds measure {flow.measure}, "
                    f"got {table['measure'].iloc[pos]!r}",
                    file=file,
                    row=pos,
                    column="measure",
                )
        measure = pd.Series(flow.measure, index=table.index, dtype="str")
    else:
        measure = table["measure"].astype("str")
    by_measure = {f.measure: f for f in structures.dataflows().values()}
    # Columns that depend only on the measure are built from its codes (few distinct values)
    # rather than by mapping text row by row.
    m_codes, m_uniques = pd.factorize(measure, use_na_sentinel=False)
    distinct = [str(m) if isinstance(m, str) else m for m in m_uniques]
    unknown = [m for m in distinct if m not in by_measure]
    if unknown:
        pos = int(np.flatnonzero(m_codes == distinct.index(unknown[0]))[0])
        raise InputError(
            f"measure {unknown[0]!r} has no dataflow; expected one of {', '.join(by_measure)}",
            file=file,
            row=pos,
            column="measure",
        )
    # An empty table still gets the columns of every dataflow, so that its file validates.
    flows = [by_measure[m] for m in sorted(distinct)] or list(by_measure.values())
    columns = structures.sdmx_columns(flows)
    to_h = {s: h for h, s in _mapping().items()}
    defaults = _defaults()
    has_reason = {f.measure for f in flows if "REASON" in {d.id for d in f.structure.dimensions}}
    rp = pd.Series(np.array([m in has_reason for m in distinct], dtype=bool)[m_codes],
                   index=table.index)  # fmt: skip

    def coded(values: list[str], codes: np.ndarray) -> pd.Series:
        return _by_code(values, codes, table.index, categorical)

    out: dict[str, Any] = {"STRUCTURE_ID": coded([by_measure[m].ref for m in distinct], m_codes)}
    zeros = np.zeros(len(table), dtype=np.intp)
    for col in columns:
        h = to_h.get(col)
        if col in NUMBER_COLUMNS:
            src = table[h] if h in table.columns else pd.Series(np.nan, index=table.index)
            values = pd.to_numeric(src).to_numpy(dtype="float64")
            out[col] = pd.Series(clean_numbers(values), index=table.index)
        elif col == "DECIMALS":
            if "decimals" in table.columns:
                given = (
                    pd.to_numeric(table["decimals"])
                    .astype("Float64")
                    .to_numpy(dtype="float64", na_value=np.nan)
                )
                shown = np.where(np.isnan(given), -1, given).astype(np.int64)
            else:
                shown = decimals_shown(out["OBS_VALUE"].to_numpy(dtype="float64"))
            out[col] = coded([str(d) for d in range(MAX_DECIMALS + 1)], shown)
        elif col == "UNIT_MEASURE":
            if "unit_measure" in table.columns:
                out[col] = table["unit_measure"].astype("str")
            else:
                out[col] = coded([by_measure[m].unit for m in distinct], m_codes)
        elif h is not None and h in table.columns:
            values = table[h].astype("str")
            if col in ("REASON", "VALIDITY"):
                values = values.where(rp, np.nan)
            out[col] = values
        elif col in ("REASON", "VALIDITY"):
            # A permit table without the breakdown holds totals over reasons/validity.
            out[col] = coded(["_T"], np.where(rp.to_numpy(), 0, -1))
        elif col in defaults:
            out[col] = coded([defaults[col]], zeros)
        else:
            out[col] = coded([], zeros - 1)
    frame = pd.DataFrame(out).reset_index(drop=True)
    # Empty text needs no cleaning here: every writer renders it like a missing value and
    # every reader reads an empty field as missing.
    if not sort:
        return frame
    key = ["STRUCTURE_ID", *dimension_ids(flows)]
    return frame.take(sort_order(frame, key)).reset_index(drop=True)


MAX_DECIMALS = 15
_SIGNIFICANT = 15


def clean_numbers(values: np.ndarray) -> np.ndarray:
    """Round to 15 significant digits, removing the noise of float arithmetic.

    ``436.17999999999995`` (a sum of estimates) becomes ``436.18``; integers stay exact.

    Examples
    --------
    >>> clean_numbers(np.array([436.17999999999995, 0.1 + 0.2, 17350.0, np.nan])).tolist()
    [436.18, 0.3, 17350.0, nan]
    """
    values = np.asarray(values, dtype="float64")
    out = values.copy()
    finite = np.isfinite(values) & (values != 0)
    if not finite.any():
        return out
    x = values[finite]
    magnitude = np.floor(np.log10(np.abs(x))).astype(np.int64)
    digits = _SIGNIFICANT - 1 - magnitude
    ok = (digits >= 0) & (digits <= 22) & (np.abs(x) < 2.0**52)
    scale = 10.0 ** np.clip(digits, 0, 22)
    rounded = np.round(x * scale) / scale  # exact integer / power of ten: correctly rounded
    x = np.where(ok & (np.abs(x * scale) < 2.0**53), rounded, x)
    out[finite] = x
    return out


def decimals_shown(values: np.ndarray) -> np.ndarray:
    """Fewest decimals (0-15) that write each value exactly (-1 where missing).

    Examples
    --------
    >>> decimals_shown(np.array([17350.0, 12.5, 436.18, np.nan])).tolist()
    [0, 1, 2, -1]
    """
    values = np.asarray(values, dtype="float64")
    out = np.full(len(values), -1, dtype=np.int64)
    todo = np.isfinite(values)
    for d in range(MAX_DECIMALS + 1):
        if not todo.any():
            break
        scale = 10.0**d
        exact = todo & (np.round(values * scale) / scale == values)
        out[exact] = d
        todo &= ~exact
    out[todo] = MAX_DECIMALS
    return out


def _by_code(
    values: list[str], codes: np.ndarray, index: pd.Index, categorical: bool = False
) -> pd.Series:
    """``values[codes]`` (code -1: missing) as a ``str`` Series gathered in Arrow, or as a
    Categorical; no Python object per row either way."""
    if categorical:
        categories = sorted(set(values))
        position = np.array([categories.index(v) for v in values] + [-1], dtype=np.int64)
        return pd.Series(pd.Categorical.from_codes(position[codes], categories), index=index)
    table = pa.array([*values, None], type=pa.large_string())
    arr = table.take(pa.array(np.where(codes < 0, len(values), codes)))
    return pd.Series(pd.array(arr, dtype=pd.StringDtype("pyarrow", na_value=np.nan)), index=index)


def sort_order(frame: pd.DataFrame, key: list[str]) -> np.ndarray:
    """Positions that sort ``frame`` by the text columns ``key`` (missing first, stable).

    Each column is factorised once with sorted distinct values, then the integer codes are
    sorted: far faster than comparing strings row by row.
    """
    if not len(frame):
        return np.zeros(0, dtype=np.intp)
    codes = []
    sizes = []
    for col in key:
        c, uniques = pd.factorize(frame[col], sort=True, use_na_sentinel=True)
        codes.append(c.astype(np.int64) + 1)  # NA (-1) sorts first
        sizes.append(len(uniques) + 1)
    if float(np.prod(np.array(sizes, dtype=np.float64))) < 2.0**62:
        # One mixed-radix integer per row: a single stable argsort instead of a lexsort.
        combined = np.zeros(len(frame), dtype=np.int64)
        for c, size in zip(codes, sizes, strict=True):
            combined = combined * size + c
        return _stable_argsort(combined)
    # np.lexsort sorts by the last key first, and is stable.
    return np.lexsort(codes[::-1])


def parse_numbers(
    raw: pd.Series, column: str, lines: np.ndarray, notes: list[str], file: str | None = None
) -> pd.Series:
    """Text numbers -> float64; ``"1,234"`` read as 1234 (noted); other text -> InputError."""
    if raw.dtype.kind == "f":
        return raw.astype("float64")
    text = raw.astype("str").str.strip()
    empty = text.isna() | (text == "") | text.isin(_MISSING_TOKENS)
    values = pd.to_numeric(text.where(~empty, np.nan), errors="coerce").astype("float64")
    bad = (~empty & values.isna()).to_numpy(copy=True)
    if bad.any():
        thousands = text[bad].str.match(_THOUSANDS).fillna(False).to_numpy(dtype=bool)
        if thousands.any():
            idx = np.flatnonzero(bad)[thousands]
            fixed = pd.to_numeric(text.iloc[idx].str.replace(",", "", regex=False))
            values.iloc[idx] = fixed.to_numpy(dtype="float64")
            notes.append(
                f"{len(idx):,} value(s) in {column} were written with thousands separators "
                f"(e.g. {text.iloc[idx[0]]!r} on line {int(lines[idx[0]])}); read as "
                f"{fixed.iloc[0]:g}: groups of exactly three digits after each comma, and "
                "counts of persons have no decimals, so the meaning is unambiguous"
            )
            bad[idx] = False
        if bad.any():
            pos = int(np.flatnonzero(bad)[0])
            raise InputError(
                f"expected a number, got {text.iloc[pos]!r}",
                file=file,
                row=int(lines[pos]),
                column=column,
                value=text.iloc[pos],
            )
    return values


def from_sdmx(raw: RawFrame) -> pd.DataFrame:
    """SDMX-column frame (text or typed) -> harmonised table (unsorted, input order)."""
    frame = raw.frame
    lines = raw.lines
    if "STRUCTURE_ID" not in frame.columns:
        raise InputError("no STRUCTURE_ID/DATAFLOW column; not an SDMX-CSV file", file=raw.file)
    sid = frame["STRUCTURE_ID"].astype("str")
    refs = pd.unique(sid)
    flow_of: dict[str, structures.Dataflow] = {}
    for ref in refs:
        try:
            flow_of[ref] = structures.dataflow(ref)
        except Exception as err:
            pos = int(np.flatnonzero((sid == ref).to_numpy())[0])
            raise InputError(
                f"unknown structure {ref!r}: {err}",
                file=raw.file,
                row=int(lines[pos]),
                column="STRUCTURE_ID",
                value=ref,
            ) from None
    if "FREQ" in frame.columns:
        freq = frame["FREQ"].astype("str")
        not_annual = (freq != "A") & freq.notna()
        if not_annual.any():
            pos = int(np.flatnonzero(not_annual.to_numpy())[0])
            raise InputError(
                f"expected annual data (FREQ 'A'), got {freq.iloc[pos]!r}",
                file=raw.file,
                row=int(lines[pos]),
                column="FREQ",
            )
    out: dict[str, Any] = {
        "measure": sid.map({r: f.measure for r, f in flow_of.items()}).astype("string")
    }
    to_sdmx_name = _mapping()
    for h, dtype in HARMONISED_COLUMNS.items():
        if h == "measure":
            continue
        col = to_sdmx_name.get(h)
        if col in NUMBER_COLUMNS:
            if col in frame.columns:
                out[h] = parse_numbers(frame[col], col, lines, raw.notes, raw.file)
            else:
                out[h] = pd.Series(np.nan, index=frame.index, dtype="float64")
        elif col is not None and col in frame.columns:
            out[h] = _text(frame[col]).astype(dtype)
        else:
            out[h] = pd.Series(pd.NA, index=frame.index, dtype=dtype)
    rp = any("REASON" in {d.id for d in f.structure.dimensions} for f in flow_of.values())
    for h in ("reason", "validity"):
        col = to_sdmx_name[h]
        if rp and col in frame.columns:
            out[h] = _text(frame[col]).astype("string")
    if "CONF_STATUS" in frame.columns:
        conf = _text(frame["CONF_STATUS"])
        if ((conf != "F") & conf.notna()).any():
            out["conf_status"] = conf.astype("string")
    if "UNIT_MEASURE" in frame.columns:
        unit = _text(frame["UNIT_MEASURE"])
        expected = sid.map({r: f.unit for r, f in flow_of.items()})
        if ((unit != expected) & unit.notna()).any():
            out["unit_measure"] = unit.astype("string")
    for extra in ("flags",):
        if extra in frame.columns:
            out[extra] = _text(frame[extra]).astype("string")
    return pd.DataFrame(out, index=frame.index).reset_index(drop=True)


def _text(series: pd.Series) -> pd.Series:
    text = series.astype("str")
    return text.where(text.notna() & (text != ""), np.nan)


def format_numbers(values: pd.Series) -> pa.Array:
    """Fixed text form of floats (Arrow's shortest round-trip form; integers without ``.0``).

    Examples
    --------
    >>> format_numbers(pd.Series([17350.0, 0.1, float("nan"), 1e20])).to_pylist()
    ['17350', '0.1', None, '1e+20']
    """
    arr = pa.array(values.to_numpy(dtype="float64"), type=pa.float64(), from_pandas=True)
    return pc.cast(arr, pa.large_string())


def text_array(series: pd.Series) -> pa.Array:
    """A text column as an Arrow string array (missing -> null)."""
    arr = pa.array(series, from_pandas=True)
    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks()
    if not pa.types.is_large_string(arr.type):
        arr = pc.cast(arr, pa.large_string())
    return arr


def _sorted_codes(arr: pa.Array) -> tuple[np.ndarray, pa.Array]:
    """Sort codes of a text array (int32, -1 for missing) and its sorted distinct values."""
    if pa.types.is_dictionary(arr.type):
        arr = arr.cast(pa.large_string())
    encoded = pc.dictionary_encode(arr)
    perm = pc.sort_indices(encoded.dictionary).to_numpy()
    values = encoded.dictionary.take(pa.array(perm)).cast(pa.string())
    idx = encoded.indices
    raw = (pc.fill_null(idx, -1) if idx.null_count else idx).to_numpy(zero_copy_only=False)
    if np.array_equal(perm, np.arange(len(perm))):
        # Distinct values met in sorted order (e.g. a constant column): codes are ranks.
        return raw.astype(np.int32, copy=False), values
    rank = np.empty(len(perm) + 1, dtype=np.int32)
    rank[perm] = np.arange(len(perm), dtype=np.int32)
    rank[-1] = -1  # raw code -1 (missing) stays -1
    return rank[raw], values


def _category_codes(series: pd.Series) -> tuple[np.ndarray, pa.Array]:
    """:func:`_sorted_codes` of a Categorical, through its category codes (no text per row).

    Only categories present are kept, as ``dictionary_encode`` of the text would give.
    """
    codes = series.cat.codes.to_numpy()
    categories = list(series.cat.categories)
    present = np.bincount(codes[codes >= 0], minlength=len(categories)) > 0
    kept = [c for c, p in zip(categories, present, strict=True) if p]
    ranks, values = _sorted_codes(pa.array(kept, type=pa.large_string()))
    # category code -> rank among the present values; -1 (missing) stays -1.
    lookup = np.full(len(categories) + 1, -1, dtype=np.int32)
    lookup[np.flatnonzero(present)] = ranks
    return lookup[codes], values


def _dictionary(codes: np.ndarray, values: pa.Array) -> pa.DictionaryArray:
    missing = codes < 0
    indices = pa.array(codes, mask=missing if missing.any() else None, type=pa.int32())
    return pa.DictionaryArray.from_arrays(indices, values)


def sorted_dictionary(arr: pa.Array) -> pa.DictionaryArray:
    """Dictionary-encode text with the distinct values in sorted order.

    The encoding then depends only on the values, not on the row order, and the indices are
    the sort codes of the column.

    Examples
    --------
    >>> d = sorted_dictionary(pa.array(["b", None, "a", "b"]))
    >>> d.dictionary.to_pylist(), d.indices.to_pylist()
    (['a', 'b'], [1, None, 0, 1])
    """
    return _dictionary(*_sorted_codes(arr))


def _stable_argsort(key: np.ndarray) -> np.ndarray:
    """``np.argsort(key, kind="stable")`` for non-negative int64 keys, by 16-bit digits.

    numpy sorts 16-bit integers with a radix sort: a few linear passes beat a comparison
    sort of a million 64-bit keys about threefold.
    """
    order = np.argsort(key.astype(np.uint16), kind="stable")  # lowest 16 bits
    bits = int(key.max()).bit_length() if len(key) else 0
    for shift in range(16, bits, 16):
        order = order[np.argsort((key[order] >> shift).astype(np.uint16), kind="stable")]
    return order


def to_arrow_table(frame: pd.DataFrame) -> pa.Table:
    """SDMX frame -> Arrow table sorted by key, text as sorted dictionaries, numbers float64.

    Text is encoded once into sort codes; the key sort and the reordering work on those
    integers in numpy, and the dictionary arrays are built from the reordered codes.
    """
    numbers: dict[str, np.ndarray] = {}
    text: dict[str, tuple[np.ndarray, pa.Array]] = {}
    for col in frame.columns:
        if col in NUMBER_COLUMNS:
            numbers[col] = frame[col].to_numpy(dtype="float64")
        elif isinstance(frame[col].dtype, pd.CategoricalDtype):
            text[col] = _category_codes(frame[col])
        else:
            text[col] = _sorted_codes(text_array(frame[col]))
    all_dims = dimension_ids(list(structures.dataflows().values()))
    key = ["STRUCTURE_ID", *[d for d in all_dims if d in text]]
    n = len(frame)
    order: np.ndarray | None = None
    if n:
        combined = np.zeros(n, dtype=np.int64)
        span = 1.0
        for col in key:
            codes, values = text[col]
            width = len(values) + 1
            span *= width
            if span >= 2.0**62:
                combined = pd.factorize(combined, sort=True)[0].astype(np.int64)
                span = float(combined.max() + 1) * width
            combined = combined * width + (codes.astype(np.int64) + 1)
        order = _stable_argsort(combined)
    arrays: dict[str, pa.Array] = {}
    for col in frame.columns:
        if col in numbers:
            v = numbers[col] if order is None else numbers[col][order]
            arrays[col] = pa.array(v, type=pa.float64())
        else:
            codes, values = text[col]
            if order is not None and codes.min() != codes.max():  # a constant needs no gather
                codes = codes[order]
            arrays[col] = _dictionary(codes, values)
    return pa.table(arrays)


def _is_sorted_unique(values: pa.Array) -> bool:
    """True when a dictionary holds strictly increasing, non-null values."""
    if len(values) < 2:
        return values.null_count == 0
    if values.null_count:
        return False
    return bool(pc.all(pc.less(values[:-1], values[1:])).as_py())


def content_hash(table: pa.Table) -> str:
    """SHA-256 of an exchange table's content (column names, text values, number bits).

    Independent of how a file stores it: text is hashed as its sorted distinct values and
    each row's position among them, so a Parquet reader can check it.
    """
    digest = hashlib.sha256()
    for col in table.column_names:
        digest.update(col.encode() + b"\x00")
        column = table.column(col).combine_chunks()
        # Buffers go to the digest as they are (no copy where already little-endian).
        if col in NUMBER_COLUMNS:
            digest.update(column.to_numpy(zero_copy_only=False).astype("<f8", copy=False))
            continue
        if pa.types.is_dictionary(column.type) and _is_sorted_unique(column.dictionary):
            encoded = column  # already canonical (as the writer stores it)
        else:
            if not pa.types.is_dictionary(column.type):
                column = column.cast(pa.large_string())
            encoded = sorted_dictionary(column)
        for value in encoded.dictionary.to_pylist():
            digest.update(str(value).encode() + b"\x1f")
        indices = encoded.indices
        if indices.null_count:
            indices = pc.fill_null(indices, -1)
        digest.update(indices.to_numpy(zero_copy_only=False).astype("<i4", copy=False))
    return digest.hexdigest()
