"""Readers of the shared Eurostat-derived mirror files: bilateral flows, duration thresholds
and IMEM undercount classes, turned into tidy frames keyed by ISO alpha-3 countries.

Every reader returns a :class:`Read` (``data`` and ``rejected``; rows in = used + rejected).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, NamedTuple

import numpy as np
import pandas as pd

from migdata.countries import resolve
from migdata.errors import InputError

__all__ = [
    "Read",
    "read_csv",
    "read_duration_thresholds",
    "read_imem_classes",
    "resolve_countries",
]


class Read(NamedTuple):
    """Rows that could be used and rows that could not (with ``row`` and ``reason``)."""

    data: pd.DataFrame
    rejected: pd.DataFrame


def read_csv(source: Any, *, what: str) -> tuple[pd.DataFrame, str | None]:
    """A DataFrame as given, or read from a CSV path; returns (frame, file name or None).

    Examples
    --------
    >>> frame, name = read_csv(pd.DataFrame({"a": [1]}), what="flows")
    >>> name is None, len(frame)
    (True, 1)
    """
    if isinstance(source, pd.DataFrame):
        return source.copy(), None
    path = Path(source)
    if not path.is_file():
        raise InputError(
            f"expected a CSV file of {what}, but the file does not exist", file=str(path)
        )
    try:
        frame = pd.read_csv(path, dtype=str, keep_default_na=False, na_values=[""])
    except (pd.errors.ParserError, UnicodeDecodeError) as err:
        raise InputError(
            f"expected a CSV file of {what}, could not parse it: {err}", file=str(path)
        ) from err
    return frame, str(path)


def resolve_countries(values: pd.Series) -> pd.Series:
    """Alpha-3 codes for codes or names (Eurostat EL/UK accepted); unresolved -> NA.

    Distinct values are resolved once and broadcast back.

    Examples
    --------
    >>> resolve_countries(pd.Series(["EL", "SE", "Atlantis"])).tolist()
    ['GRC', 'SWE', <NA>]
    """
    text = values.astype("string").str.strip()
    uniques = pd.Series(text.dropna().unique(), dtype="string")
    mapped = pd.Series(resolve(uniques).to_numpy(), index=uniques.to_numpy(), dtype="string")
    return pd.Series(text.map(mapped).to_numpy(), index=values.index, dtype="string")


def _reject(frame: pd.DataFrame, mask: np.ndarray, reasons: pd.Series, offset: int) -> pd.DataFrame:
    out = frame.loc[mask].copy()
    out.insert(0, "row", np.flatnonzero(mask) + offset)
    out["reason"] = reasons.loc[mask].to_numpy()
    return out


def read_duration_thresholds(source: Any) -> Read:
    """Minimum duration of stay (months) per (origin, destination, year), QuantMig format.

    The shared tables ``duration_thresholds_{immigration,emigration}_2002_2021.csv`` have
    columns ``orig``, ``dest``, ``year``, ``min_duration_months`` (0 = no minimum, 60 =
    permanent). Which country's definition a row describes depends on the file: the
    immigration table gives the threshold of ``dest``, the emigration table that of ``orig``.

    Parameters
    ----------
    source
        Path of the CSV file, or a DataFrame with those columns (``origin``/``destination``/
        ``months`` are accepted as aliases).

    Returns
    -------
    Read
        ``data`` with columns origin, destination, year (int), months (float);
        ``rejected`` with the unusable input rows, ``row`` (file line, header = 1) and ``reason``.

    Examples
    --------
    >>> raw = pd.DataFrame({"orig": ["BE", "XX"], "dest": ["AT", "AT"], "year": [2002, 2002],
    ...                     "min_duration_months": [3, 3]})
    >>> got = read_duration_thresholds(raw)
    >>> got.data.to_dict("records")
    [{'origin': 'BEL', 'destination': 'AUT', 'year': 2002, 'months': 3.0}]
    >>> got.rejected.reason.item()
    "origin 'XX' is not a known country code or name"
    """
    frame, file = read_csv(source, what="duration thresholds")
    aliases = {"origin": "orig", "destination": "dest", "months": "min_duration_months"}
    frame = frame.rename(columns={k: v for k, v in aliases.items() if k in frame.columns})
    missing = [c for c in ("orig", "dest", "year", "min_duration_months") if c not in frame]
    if missing:
        raise InputError(
            f"expected columns orig, dest, year, min_duration_months; missing {missing}; "
            f"got {list(frame.columns)}",
            file=file,
        )
    origin = resolve_countries(frame["orig"])
    destination = resolve_countries(frame["dest"])
    year = pd.to_numeric(frame["year"], errors="coerce")
    months = pd.to_numeric(frame["min_duration_months"], errors="coerce")
    reason = pd.Series(pd.NA, index=frame.index, dtype="string")
    checks = [
        (months < 0, "expected a duration of 0 months or more, got {v}", "min_duration_months"),
        (months.isna(), "expected a duration in months, got {v!r}", "min_duration_months"),
        (year.isna() | (year % 1 != 0), "expected a year, got {v!r}", "year"),
        (destination.isna(), "destination {v!r} is not a known country code or name", "dest"),
        (origin.isna(), "origin {v!r} is not a known country code or name", "orig"),
    ]
    for mask, template, column in checks:
        hit = mask.fillna(False).to_numpy(dtype=bool)
        if hit.any():
            texts = frame.loc[hit, column].map(lambda v, t=template: t.format(v=v))
            reason.loc[hit] = texts.astype("string")
    key = pd.DataFrame({"o": origin, "d": destination, "y": year})
    dup = key.duplicated(keep=False).to_numpy() & reason.isna().to_numpy()
    reason.loc[dup] = "duplicate (orig, dest, year): the same threshold row appears twice"
    bad = reason.notna().to_numpy()
    data = pd.DataFrame(
        {
            "origin": origin[~bad].to_numpy(),
            "destination": destination[~bad].to_numpy(),
            "year": year[~bad].astype("int64").to_numpy(),
            "months": months[~bad].astype("float64").to_numpy(),
        }
    ).astype({"origin": "string", "destination": "string"})
    return Read(data, _reject(frame, bad, reason, 2 if file else 0))


def read_imem_classes(source: Any) -> Read:
    """IMEM expert undercount classes per country (shared ``imem_undercount_classes.csv``).

    Returns
    -------
    Read
        ``data`` with columns country (alpha-3), undercount_imm, undercount_emi (lower case).

    Examples
    --------
    >>> raw = pd.DataFrame({"Country": ["EL"], "Undercount.imm.IMEM": ["high"],
    ...                     "Undercount.emi.IMEM": ["High"]})
    >>> read_imem_classes(raw).data.to_dict("records")
    [{'country': 'GRC', 'undercount_imm': 'high', 'undercount_emi': 'high'}]
    """
    frame, file = read_csv(source, what="IMEM undercount classes")
    columns = {"Country": "country", "Undercount.imm.IMEM": "imm", "Undercount.emi.IMEM": "emi"}
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise InputError(
            f"expected columns {list(columns)}; missing {missing}; got {list(frame.columns)}",
            file=file,
        )
    country = resolve_countries(frame["Country"])
    valid = {"low", "medium", "high"}
    imm = frame["Undercount.imm.IMEM"].astype("string").str.strip().str.lower()
    emi = frame["Undercount.emi.IMEM"].astype("string").str.strip().str.lower()
    reason = pd.Series(pd.NA, index=frame.index, dtype="string")
    for series, name in ((imm, "Undercount.imm.IMEM"), (emi, "Undercount.emi.IMEM")):
        hit = (~series.isin(valid)).fillna(True).to_numpy(dtype=bool)
        reason.loc[hit] = [f"{name}: expected low, medium or high, got {v!r}" for v in series[hit]]
    hit = country.isna().to_numpy()
    reason.loc[hit] = [
        f"country {v!r} is not a known country code or name" for v in frame.loc[hit, "Country"]
    ]
    dup = (
        country.duplicated(keep=False).fillna(False).to_numpy(dtype=bool) & reason.isna().to_numpy()
    )
    reason.loc[dup] = "duplicate country: it appears on more than one row"
    bad = reason.notna().to_numpy()
    data = pd.DataFrame(
        {"country": country[~bad], "undercount_imm": imm[~bad], "undercount_emi": emi[~bad]}
    ).reset_index(drop=True)
    return Read(data, _reject(frame, bad, reason, 2 if file else 0))
