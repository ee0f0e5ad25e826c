"""QuantMig register undercount sub-scores u_I and u_E, tabulated for quality assessment.

Scores sources from their SourceProfiles, the questionnaire's answers or the shared QuantMig
CSVs. The formulas, weights and classes are those of :mod:`migdata.sources.compliance`
(re-exported here); this module only gathers the facts into tables.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import IO, Any

import numpy as np
import pandas as pd

from migdata._checks import public
from migdata.countries import resolve
from migdata.errors import InputError

# One implementation of the QuantMig formulas, in the lower layer (compliance needs them);
# re-exported so that ``migdata.quality.undercount`` keeps its public names.
from migdata.sources.compliance import (
    DEREGISTRATION_KEYS,
    REGISTRATION_KEYS,
    UNDERCOUNT_CUTS,
    emigration_undercount,
    immigration_undercount,
    register_weights,
    undercount_class,
    yes_no,
)

__all__ = [
    "DEREGISTRATION_KEYS",
    "REGISTRATION_KEYS",
    "UNDERCOUNT_CUTS",
    "emigration_undercount",
    "immigration_undercount",
    "read_register_rules",
    "register_weights",
    "undercount_class",
    "undercount_from_answers",
    "undercount_from_profiles",
    "undercount_scores",
]


def undercount_scores(rules: pd.DataFrame) -> pd.DataFrame:
    """Add u_I, u_E and their classes to a table of registration/deregistration facts.

    Parameters
    ----------
    rules
        One row per source or country with columns ``registration.<key>`` and
        ``deregistration.<key>`` (keys of :data:`REGISTRATION_KEYS` and
        :data:`DEREGISTRATION_KEYS`; absent columns count as unknown).

    Returns
    -------
    DataFrame
        ``rules`` plus ``u_I``, ``u_E``, ``class_I``, ``class_E``.

    Examples
    --------
    >>> t = pd.DataFrame({"registration.obligation": ["no"], "deregistration.obligation": ["yes"]})
    >>> undercount_scores(t)[["u_I", "class_I", "u_E", "class_E"]]
       u_I class_I  u_E class_E
    0  1.0    high  0.0     low
    """
    out = rules.reset_index(drop=True).copy()
    n = len(out)

    def col(prefix: str, key: str) -> Any:
        name = f"{prefix}.{key}"
        return out[name].to_numpy(dtype=object) if name in out.columns else [None] * n

    if n == 0:
        return out.assign(
            u_I=pd.Series(dtype=float),
            u_E=pd.Series(dtype=float),
            class_I=pd.Series(dtype="string"),
            class_E=pd.Series(dtype="string"),
        )
    out["u_I"] = immigration_undercount(*(col("registration", k) for k in REGISTRATION_KEYS))
    out["u_E"] = emigration_undercount(*(col("deregistration", k) for k in DEREGISTRATION_KEYS))
    out["class_I"] = undercount_class(out["u_I"].to_numpy()).to_numpy()
    out["class_E"] = undercount_class(out["u_E"].to_numpy()).to_numpy()
    return out


def _time_limit(values: pd.Series) -> pd.Series:
    """QuantMig 'time limit' column: a delay ("3 days", "at arrival") means yes."""
    text = values.astype("string").str.strip().str.lower().fillna("")
    out = pd.Series("yes", index=values.index, dtype="string")
    out[text.isin(["no limit", "none", "no", "---", "-"])] = "no"
    out[text.isin(["", "unknown", "nan"])] = "unknown"
    return out


@public
def read_register_rules(
    registration: str | Path | IO[str], deregistration: str | Path | IO[str]
) -> pd.DataFrame:
    """Read the QuantMig registration and deregistration rules files and score them.

    The files (``registration_rules.csv``, ``deregistration_rules.csv``) have one row per
    country (``iso2`` with Eurostat's EL and UK) and Yes/No/Unknown answers; the time limit
    of registration is a delay ("3 days", "No limit", "---"). Sanctions are not in the
    files and count as unknown.

    Parameters
    ----------
    registration, deregistration
        Paths (or open text files) of the two CSV files.

    Returns
    -------
    DataFrame
        One row per country: ``country`` (alpha-3), ``iso2``, ``name``, the facts as
        ``registration.<key>`` / ``deregistration.<key>`` ("yes"/"no"/"unknown"),
        ``u_I``, ``u_E``, ``class_I``, ``class_E``. Rows whose country cannot be resolved
        are in ``.attrs["rejected"]`` with ``row`` (line number) and ``reason``.

    Raises
    ------
    InputError
        A file without the expected columns.

    Examples
    --------
    >>> import io
    >>> reg = io.StringIO("iso2,country,obligation,time limit\\nES,Spain,Yes,No limit\\n")
    >>> dereg = io.StringIO("iso2,country,obligation,obl. 3rdcn,monit. 3rdcn,SO corr.\\n"
    ...                     "ES,Spain,Yes,No,No,Unknown\\n")
    >>> read_register_rules(reg, dereg)[["country", "u_I", "class_I", "class_E"]]
      country  u_I class_I class_E
    0     ESP  0.5  medium  medium
    """
    weights = register_weights()
    frames = []
    for path, prefix, side in (
        (registration, "registration", "I"),
        (deregistration, "deregistration", "E"),
    ):
        table = pd.read_csv(path, dtype=str, keep_default_na=False)
        table.columns = [str(c).strip() for c in table.columns]
        wanted = weights[(weights["side"] == side) & (weights["column"] != "")]
        missing = [c for c in ["iso2", *wanted["column"]] if c not in table.columns]
        if missing:
            raise InputError(
                f"expected columns iso2, {', '.join(wanted['column'])}; missing "
                f"{', '.join(missing)}",
                file=str(path),
            )
        facts = pd.DataFrame({"iso2": table["iso2"].str.strip().str.upper()})
        if "country" in table.columns:
            facts["name"] = table["country"].str.strip()
        facts["line"] = np.arange(len(table)) + 2  # header is line 1
        for key, column in zip(wanted["key"], wanted["column"], strict=True):
            values = table[column]
            facts[f"{prefix}.{key}"] = (
                _time_limit(values) if key == "time_limit" else yes_no(values).to_numpy()
            )
        frames.append(facts)
    reg, dereg = frames
    merged = reg.merge(
        dereg.drop(columns=[c for c in ("name",) if c in dereg.columns]),
        on="iso2",
        how="outer",
        suffixes=("", "_dereg"),
    )
    merged["country"] = resolve(merged["iso2"].astype("string"), to="alpha3")
    bad = merged["country"].isna()
    rejected = merged[bad].assign(
        row=merged.loc[bad, "line"].fillna(merged.loc[bad, "line_dereg"]),
        reason="expected an ISO alpha-2 or Eurostat country code, got "
        + merged.loc[bad, "iso2"].astype(str),
    )
    good = merged[~bad].drop(columns=["line", "line_dereg"])
    fact_cols = [c for c in good.columns if c.startswith(("registration.", "deregistration."))]
    good[fact_cols] = good[fact_cols].fillna("unknown")
    first = ["country", "iso2"] + (["name"] if "name" in good.columns else [])
    good = good[first + fact_cols].sort_values("country", ignore_index=True)
    out = undercount_scores(good)
    out.attrs["rejected"] = rejected.reset_index(drop=True)
    return out


def undercount_from_profiles(profiles: Iterable[Any]) -> pd.DataFrame:
    """u_I and u_E of every source profile that holds registration or deregistration facts.

    Parameters
    ----------
    profiles
        ``SourceProfile`` objects (anything with ``country``, ``source_id``,
        ``source_type``, ``registration`` and ``deregistration``).

    Returns
    -------
    DataFrame
        One row per profile with facts: ``country``, ``source_id``, ``source_type``, the
        facts, ``u_I``, ``u_E``, ``class_I``, ``class_E``.

    Examples
    --------
    >>> from migdata.sources.profile import SourceProfile
    >>> p = SourceProfile(source_id="RWA-REG", country="RWA",
    ...                   source_type="population_register", measures=["IMM", "EMI"],
    ...                   registration={"obligation": "yes", "time_limit": "no"},
    ...                   deregistration={"obligation": "no"})
    >>> undercount_from_profiles([p])[["source_id", "u_I", "class_I", "u_E", "class_E"]]
      source_id  u_I class_I  u_E class_E
    0   RWA-REG  0.5  medium  1.0    high
    """
    rows = []
    for p in profiles:
        reg = dict(getattr(p, "registration", {}) or {})
        dereg = dict(getattr(p, "deregistration", {}) or {})
        if not reg and not dereg:
            continue
        row: dict[str, Any] = {
            "country": p.country,
            "source_id": p.source_id,
            "source_type": getattr(p, "source_type", ""),
        }
        row.update({f"registration.{k}": reg.get(k, "unknown") for k in REGISTRATION_KEYS})
        row.update({f"deregistration.{k}": dereg.get(k, "unknown") for k in DEREGISTRATION_KEYS})
        rows.append(row)
    columns = [
        "country",
        "source_id",
        "source_type",
        *(f"registration.{k}" for k in REGISTRATION_KEYS),
        *(f"deregistration.{k}" for k in DEREGISTRATION_KEYS),
    ]
    table = pd.DataFrame(rows, columns=columns)
    return undercount_scores(table.sort_values(["country", "source_id"], ignore_index=True))


def undercount_from_answers(answers: pd.DataFrame, items: pd.DataFrame) -> pd.DataFrame:
    """u_I and u_E per source from an answers table, through the items' ``writes`` field.

    Items writing ``registration.<key>`` or ``deregistration.<key>`` give the facts; a
    "don't know" is unknown; "not applicable" and unasked items are unknown too. A source
    with no such answer does not appear.

    Parameters
    ----------
    answers
        Answers table (country, source_id, item_id, value, status).
    items
        Item bank with ``id`` and ``writes``.

    Returns
    -------
    DataFrame
        As :func:`undercount_from_profiles` (``source_type`` empty).

    Examples
    --------
    >>> items = pd.DataFrame({"id": ["R1", "R2"],
    ...                       "writes": ["registration.obligation", "deregistration.obligation"]})
    >>> answers = pd.DataFrame({"country": "RWA", "source_id": "REG", "item_id": ["R1", "R2"],
    ...                         "value": ["yes", "no"], "status": "answered"})
    >>> undercount_from_answers(answers, items)[["u_I", "u_E", "class_E"]]
       u_I  u_E class_E
    0  0.0  1.0    high
    """
    writes = items[["id", "writes"]].dropna()
    writes = writes[writes["writes"].astype(str).str.match(r"^(de)?registration\.")]
    rows = answers.merge(writes, left_on="item_id", right_on="id", how="inner")
    columns = [
        "country",
        "source_id",
        "source_type",
        *(f"registration.{k}" for k in REGISTRATION_KEYS),
        *(f"deregistration.{k}" for k in DEREGISTRATION_KEYS),
    ]
    if rows.empty:
        return undercount_scores(pd.DataFrame(columns=columns))
    answered = rows["status"].astype("string") == "answered"
    rows["fact"] = yes_no(rows["value"].where(answered, None)).to_numpy()
    rows["source_id"] = rows["source_id"].astype("string").fillna("")
    wide = rows.pivot_table(
        index=["country", "source_id"], columns="writes", values="fact", aggfunc="first"
    ).reset_index()
    wide.columns.name = None
    wide["source_type"] = ""
    for column in columns:
        if column not in wide.columns:
            wide[column] = "unknown"
    table = wide[columns].fillna("unknown").sort_values(["country", "source_id"], ignore_index=True)
    return undercount_scores(table)
