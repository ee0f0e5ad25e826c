"""QuantMig register undercount sub-scores u_I and u_E and their low/medium/high classes.

Computed from the registration and deregistration facts of a source (SourceProfile, the
questionnaire's answers, or the shared QuantMig CSVs). Weights are data
(``data/quality/register_undercount.csv``).
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from migdata._resources import data_path
from migdata.countries import resolve
from migdata.errors import InputError

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

REGISTRATION_KEYS = ("obligation", "time_limit", "sanctions")
DEREGISTRATION_KEYS = (
    "obligation",
    "obligation_third_country",
    "monitoring",
    "administrative_corrections",
)
UNDERCOUNT_CUTS = (0.25, 0.75)
"""u < 0.25 low, 0.25 <= u < 0.75 medium, u >= 0.75 high undercount."""

# Answers as typed in any of the four languages (and the QuantMig files' Yes/No/Unknown).
_YES = {"yes", "y", "true", "1", "oui", "sim", "نعم"}
_NO = {"no", "n", "false", "0", "non", "não", "nao", "لا"}


@cache
def _weights() -> pd.DataFrame:
    table = pd.read_csv(
        data_path("quality", "register_undercount.csv"), comment="#", dtype=str
    ).fillna("")
    table["weight"] = table["weight"].astype(float)
    return table


def register_weights() -> pd.DataFrame:
    """The weights of the QuantMig register sub-scores (side I or E, key, weight).

    Examples
    --------
    >>> w = register_weights()
    >>> dict(zip(w.loc[w.side == "E", "key"], w.loc[w.side == "E", "weight"]))["obligation"]
    0.5
    """
    return _weights().copy()


def _one_yes_no(value: Any) -> str:
    if isinstance(value, bool | np.bool_):
        return "yes" if value else "no"
    if value is None or (isinstance(value, float) and np.isnan(value)) or value is pd.NA:
        return "unknown"
    text = str(value).strip().lower()
    return "yes" if text in _YES else "no" if text in _NO else "unknown"


def _yes_no(values: Any) -> pd.Series:
    """Normalise answers to 'yes', 'no' or 'unknown' (anything else, missing included)."""
    s = pd.Series(np.asarray(values, dtype=object).ravel(), dtype=object)
    # Few distinct spellings, many rows: normalise each distinct value once.
    codes, uniques = pd.factorize(s, use_na_sentinel=True)
    mapped = np.array([_one_yes_no(u) for u in uniques] + ["unknown"], dtype=object)
    return pd.Series(mapped[codes], dtype="string")


def _series(values: Any, n: int) -> pd.Series:
    if values is None:
        return pd.Series(["unknown"] * n, dtype="string")
    s = _yes_no(values)
    if len(s) == 1 and n > 1:
        s = pd.Series([s.iloc[0]] * n, dtype="string")
    if len(s) != n:
        raise InputError(f"expected {n} answers per fact, got {len(s)}")
    return s.reset_index(drop=True)


def _length(*values: Any) -> int:
    return max(
        (len(np.atleast_1d(np.asarray(v, dtype=object))) for v in values if v is not None),
        default=1,
    )


def _scalar(*values: Any) -> bool:
    return all(v is None or np.ndim(v) == 0 for v in values)


def immigration_undercount(obligation: Any, time_limit: Any = None, sanctions: Any = None) -> Any:
    """Immigration undercount sub-score u_I from the registration rules.

    u_I = [no registration obligation] + 0.5 [no time limit] + 0.5 [no sanctions], capped
    at 1. Only a "no" counts; "unknown" adds nothing, and a source with every rule unknown
    gets NaN (nothing to score on).

    Parameters
    ----------
    obligation, time_limit, sanctions
        "yes"/"no"/"unknown" (also booleans and the answers in fr/pt/ar), scalars or
        array-likes of one length.

    Returns
    -------
    float or ndarray
        In [0, 1] or NaN.

    Examples
    --------
    >>> immigration_undercount("yes", "no", "unknown")
    0.5
    >>> immigration_undercount(["no", "yes", "unknown"], ["no", "yes", "unknown"]).tolist()
    [1.0, 0.0, nan]
    """
    n = _length(obligation, time_limit, sanctions)
    weights = _weights().set_index(["side", "key"])["weight"]
    answers = {
        "obligation": _series(obligation, n),
        "time_limit": _series(time_limit, n),
        "sanctions": _series(sanctions, n),
    }
    u = np.zeros(n)
    known = np.zeros(n, dtype=bool)
    for key, s in answers.items():
        u += weights[("I", key)] * (s == "no").to_numpy()
        known |= (s != "unknown").to_numpy()
    out = np.where(known, np.minimum(u, 1.0), np.nan)
    return float(out[0]) if _scalar(obligation, time_limit, sanctions) else out


def emigration_undercount(
    obligation: Any,
    obligation_third_country: Any = None,
    monitoring: Any = None,
    administrative_corrections: Any = None,
) -> Any:
    """Emigration undercount sub-score u_E from the deregistration rules.

    u_E = 1 - sum(w_j [yes]) / sum(w_j [known]) with weights 0.5 (deregistration
    obligation), 0.1 (obligation for third-country nationals), 0.1 (monitoring of
    foreigners), 0.3 (administrative corrections); NaN when no rule is known.

    Parameters
    ----------
    obligation, obligation_third_country, monitoring, administrative_corrections
        "yes"/"no"/"unknown" answers, scalars or array-likes of one length.

    Returns
    -------
    float or ndarray
        In [0, 1] or NaN.

    Examples
    --------
    >>> round(emigration_undercount("yes", "yes", "no", "unknown"), 4)  # Austria
    0.1429
    """
    n = _length(obligation, obligation_third_country, monitoring, administrative_corrections)
    weights = _weights().set_index(["side", "key"])["weight"]
    answers = dict(
        zip(
            DEREGISTRATION_KEYS,
            (obligation, obligation_third_country, monitoring, administrative_corrections),
            strict=True,
        )
    )
    yes = np.zeros(n)
    known = np.zeros(n)
    for key, values in answers.items():
        s = _series(values, n)
        w = weights[("E", key)]
        yes += w * (s == "yes").to_numpy()
        known += w * (s != "unknown").to_numpy()
    with np.errstate(divide="ignore", invalid="ignore"):
        out = np.where(known > 0, 1.0 - yes / known, np.nan)
    scalar = _scalar(obligation, obligation_third_country, monitoring, administrative_corrections)
    return float(out[0]) if scalar else out


def undercount_class(u: Any, cuts: tuple[float, float] = UNDERCOUNT_CUTS) -> Any:
    """Class of an undercount sub-score: low (< 0.25), medium (< 0.75) or high.

    Parameters
    ----------
    u
        Sub-score(s) in [0, 1]; NaN gives NA.
    cuts
        The two cut points.

    Returns
    -------
    str, None or Series of string
        ``"low"``, ``"medium"``, ``"high"`` (None / NA where u is NaN).

    Examples
    --------
    >>> undercount_class(0.5)
    'medium'
    >>> undercount_class([0.0, 0.25, 0.75, float("nan")]).tolist()
    ['low', 'medium', 'high', <NA>]
    """
    arr = np.atleast_1d(np.asarray(u, dtype=float))
    labels = np.select(
        [arr < cuts[0], arr < cuts[1], arr >= cuts[1]], ["low", "medium", "high"], default=""
    )
    out = pd.Series(labels, dtype="string").replace("", pd.NA)
    if np.ndim(u) == 0:
        value = out.iloc[0]
        return None if pd.isna(value) else str(value)
    return out


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


def read_register_rules(registration: str | Path, deregistration: str | Path) -> pd.DataFrame:
    """Read the QuantMig registration and deregistration rules files and score them.

    The files (``registration_rules.csv``, ``deregistration_rules.csv``) have one row per
    country (``iso2`` with Eurostat's EL and UK) and Yes/No/Unknown answers; the time limit
    of registration is a delay ("3 days", "No limit", "---"). Sanctions are not in the
    files and count as unknown.

    Parameters
    ----------
    registration, deregistration
        Paths of the two CSV files.

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
    weights = _weights()
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
                _time_limit(values) if key == "time_limit" else _yes_no(values).to_numpy()
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
    rows["fact"] = _yes_no(rows["value"].where(answered, None)).to_numpy()
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
