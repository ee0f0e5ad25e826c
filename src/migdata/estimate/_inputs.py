"""Reading the inputs of :func:`migdata.flows_from_stocks`: stock tables (tidy, harmonised
census rows, :class:`~migdata.sources.census.Census` objects or square matrices), births and
deaths, seeds; every cell checked, every row dropped on purpose written down as a note.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from migdata.errors import InputError

__all__ = ["read_regional", "read_seed", "read_stocks", "stock_matrix"]


def _shown(value: Any) -> str:
    return (
        "nothing"
        if value is None or (isinstance(value, float) and np.isnan(value))
        else (repr(value.item() if isinstance(value, np.generic) else value))
    )


def _numbers(
    values: pd.Series, what: str, name: str, frame: pd.DataFrame, where: pd.Series | None = None
) -> np.ndarray:
    """Counts >= 0 from ``values``; the first bad one is an InputError naming its row (and
    ``where[i]``, e.g. the birthplace and residence of a stock cell)."""
    number = pd.to_numeric(values, errors="coerce").astype("float64")
    out = number.to_numpy()
    missing = np.isnan(out) | ~np.isfinite(out)
    negative = ~missing & (out < 0)
    for bad, expected in ((missing, "a count"), (negative, "a count >= 0")):
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            place = "" if where is None else f"{where.iloc[i]}: "
            label = frame.index[i]
            raise InputError(
                f"{name}: {place}expected {expected}, got {_shown(values.iloc[i])}"
                f" ({int(bad.sum())} such row(s))",
                row=int(label) if isinstance(label, int | np.integer) else None,
                column=what,
            )
    return out


def _census_frame(value: Any) -> pd.DataFrame | None:
    """Harmonised STK rows from Census objects (or a list of them), else None."""
    from migdata.sources.census import Census

    if isinstance(value, Census):
        return value.stocks
    if (
        isinstance(value, Sequence)
        and not isinstance(value, str)
        and value
        and all(isinstance(v, Census) for v in value)
    ):
        return pd.concat([v.stocks for v in value], ignore_index=True)
    return None


def _from_harmonised(frame: pd.DataFrame, name: str, notes: list[str]) -> pd.DataFrame:
    rows = frame
    if "counterpart_type" in rows:
        rows = rows[rows["counterpart_type"].astype("string").str.upper() == "BIRTH"]
    if "measure" in rows:
        rows = rows[rows["measure"].astype("string").str.upper() == "STK"]
    for column in ("sex", "age"):
        if column in rows:
            rows = rows[rows[column].astype("string") == "_T"]
    if "time_period" in rows:
        periods = sorted(rows["time_period"].astype("string").dropna().unique())
        if len(periods) > 1:
            raise InputError(
                f"{name}: stocks of one date expected, got time periods {periods}; pass the "
                "rows of each census date as stock_start and stock_end",
                column="time_period",
            )
    birth = rows["counterpart_area"].astype("string")
    special = birth.str.startswith("_").fillna(True).to_numpy()
    unknown = rows.loc[special & (birth != "_T").to_numpy()]
    if len(unknown):
        persons = pd.to_numeric(unknown["obs_value"], errors="coerce").sum()
        notes.append(
            f"{name}: {persons:,.0f} persons with unknown or aggregate birthplace "
            f"({', '.join(sorted(unknown['counterpart_area'].astype(str).unique()))}) left out"
        )
    rows = rows.loc[~special]
    return pd.DataFrame(
        {
            "birth": rows["counterpart_area"].to_numpy(),
            "residence": rows["ref_area"].to_numpy(),
            "stock": rows["obs_value"].to_numpy(),
        }
    )


def read_stocks(value: Any, name: str, notes: list[str]) -> pd.DataFrame:
    """A tidy (birth, residence, stock) frame from any accepted stock input."""
    census = _census_frame(value)
    if census is not None:
        value = census
    if isinstance(value, np.ndarray):
        value = pd.DataFrame(value)
    if not isinstance(value, pd.DataFrame):
        raise InputError(
            f"{name}: expected a DataFrame with columns birth, residence, stock (or census "
            f"stocks), got {type(value).__name__}"
        )
    if {"ref_area", "counterpart_area", "obs_value"} <= set(value.columns):
        value = _from_harmonised(value, name, notes)
    elif not {"birth", "residence", "stock"} <= set(value.columns):
        if value.shape[0] == value.shape[1] and list(map(str, value.index)) == list(
            map(str, value.columns)
        ):
            long = value.rename_axis(index="birth", columns="residence").stack()
            value = long.rename("stock").reset_index()
        else:
            missing = sorted({"birth", "residence", "stock"} - set(value.columns))
            raise InputError(
                f"{name}: expected columns birth, residence and stock; missing {missing} "
                f"(got {list(value.columns)})"
            )
    frame = value.reset_index(drop=True)
    for column in ("birth", "residence"):
        if frame[column].isna().any():
            i = int(np.flatnonzero(frame[column].isna().to_numpy())[0])
            raise InputError(f"{name}: a region label is missing", row=i, column=column)
    out = pd.DataFrame(
        {
            "birth": frame["birth"].astype(str).str.strip().to_numpy(),
            "residence": frame["residence"].astype(str).str.strip().to_numpy(),
            "stock": _numbers(
                frame["stock"],
                "stock",
                name,
                frame,
                "birthplace "
                + frame["birth"].astype(str)
                + ", residence "
                + frame["residence"].astype(str),
            ),
        }
    )
    dup = out.duplicated(["birth", "residence"], keep=False)
    if dup.any():
        first = out.loc[dup].iloc[0]
        raise InputError(
            f"{name}: birthplace {first['birth']!r} in residence {first['residence']!r} "
            "appears on more than one row; give one stock per cell",
            row=int(np.flatnonzero(dup.to_numpy())[0]),
        )
    return out


def stock_matrix(
    stocks: pd.DataFrame, regions: list[str], name: str, notes: list[str]
) -> np.ndarray:
    """Birthplace x residence matrix over ``regions``; birthplaces outside are left out."""
    outside = ~stocks["birth"].isin(regions)
    if outside.any():
        dropped = stocks.loc[outside]
        notes.append(
            f"{name}: {dropped['stock'].sum():,.0f} persons born outside the regions of "
            f"residence ({', '.join(sorted(dropped['birth'].unique())[:8])}"
            f"{', ...' if dropped['birth'].nunique() > 8 else ''}) left out: the accounts "
            "cover movements between the regions only"
        )
    inside = stocks.loc[~outside]
    index = pd.Index(regions)
    b = index.get_indexer(inside["birth"])
    r = index.get_indexer(inside["residence"])
    out = np.zeros((len(regions), len(regions)))
    out[b, r] = inside["stock"].to_numpy()
    return out


def read_regional(
    value: Any, column: str, regions: list[str], name: str, notes: list[str]
) -> np.ndarray:
    """Births or deaths per region (frame with ``region`` and ``column``, or a Series)."""
    n = len(regions)
    if value is None:
        return np.zeros(n)
    if isinstance(value, pd.Series):
        value = pd.DataFrame({"region": value.index, column: value.to_numpy()})
    if isinstance(value, dict):
        value = pd.DataFrame({"region": list(value), column: list(value.values())})
    if not isinstance(value, pd.DataFrame) or not {"region", column} <= set(value.columns):
        got = list(value.columns) if isinstance(value, pd.DataFrame) else type(value).__name__
        raise InputError(
            f"{name}: expected a DataFrame with columns region and {column}, got {got}"
        )
    frame = value.reset_index(drop=True)
    labels = frame["region"].astype(str).str.strip()
    counts = _numbers(frame[column], column, name, frame)
    unknown = sorted(set(labels) - set(regions))
    if unknown:
        raise InputError(
            f"{name}: regions {unknown} are not regions of residence in the stock tables "
            f"(expected some of {regions[:10]}{' ...' if n > 10 else ''})",
            column="region",
        )
    if labels.duplicated().any():
        raise InputError(
            f"{name}: region {labels[labels.duplicated()].iloc[0]!r} appears on more than one row",
            column="region",
        )
    missing = sorted(set(regions) - set(labels))
    if missing:
        notes.append(f"{name}: no figure for {missing}; counted as 0")
    out = np.zeros(n)
    out[pd.Index(regions).get_indexer(labels)] = counts
    return out


def read_seed(value: Any, regions: list[str]) -> np.ndarray | None:
    """Origin x destination seed (tidy ``orig``/``dest``/``seed``, square frame or array)."""
    if value is None:
        return None
    n = len(regions)
    if isinstance(value, pd.DataFrame) and {"orig", "dest"} <= set(value.columns):
        col = next((c for c in ("seed", "weight", "flow") if c in value.columns), None)
        if col is None:
            raise InputError("seed: expected a column seed next to orig and dest")
        index = pd.Index(regions)
        o = index.get_indexer(value["orig"].astype(str))
        d = index.get_indexer(value["dest"].astype(str))
        if (o < 0).any() or (d < 0).any():
            bad = value.loc[(o < 0) | (d < 0), ["orig", "dest"]].iloc[0].tolist()
            raise InputError(f"seed: pair {bad} is not between regions of the stock tables")
        seed = np.zeros((n, n))
        seed[o, d] = _numbers(value[col], col, "seed", value)
        return seed
    if isinstance(value, pd.DataFrame):
        value = value.reindex(index=regions, columns=regions).to_numpy(dtype=float)
    seed = np.asarray(value, dtype=float)
    if seed.shape != (n, n):
        raise InputError(
            f"seed: expected a {n} x {n} origin x destination table, got shape {seed.shape}"
        )
    if np.isnan(seed).any() or (seed < 0).any() or not np.isfinite(seed).all():
        raise InputError("seed: expected finite weights >= 0 in every origin-destination cell")
    return seed
