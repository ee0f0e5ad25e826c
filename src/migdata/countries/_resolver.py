"""Resolution of country names and codes to ISO codes, with a report of what was not resolved.

Distinct values are classified once (code, numeric code or normalised name looked up in the
cached index) and the result is broadcast back to every cell with ``take``.
"""

from __future__ import annotations

import difflib
import html
import math
import numbers
import re
from collections.abc import Hashable
from dataclasses import dataclass
from enum import StrEnum
from functools import cache, lru_cache
from typing import Any

import numpy as np
import pandas as pd

from migdata.countries._index import Target, exact_key, index, nationality_index
from migdata.countries._normalise import normalise
from migdata.errors import ConfigurationError, InputError

__all__ = [
    "STATUSES",
    "CodeList",
    "Kind",
    "Resolution",
    "Status",
    "code_list",
    "convert",
    "explain",
    "resolution_report",
    "resolve",
    "resolve_detailed",
]


class CodeList(StrEnum):
    """Code lists a resolved country can be written in (``to=``)."""

    ALPHA2 = "alpha2"
    ALPHA3 = "alpha3"
    NUMERIC = "numeric"
    EUROSTAT = "eurostat"
    NAME_EN = "name_en"
    NAME_FR = "name_fr"

    @classmethod
    def coerce(cls, value: CodeList | str) -> CodeList:
        """The member for an Enum member or a plain string ("alpha-3", "ALPHA_3", ...)."""
        if isinstance(value, cls):
            return value
        text = re.sub(r"[\s_-]", "", str(value)).lower()
        text = {"namefr": "name_fr", "nameen": "name_en", "iso2": "alpha2", "iso3": "alpha3"}.get(
            text, text
        )
        try:
            return cls(text)
        except ValueError:
            choices = ", ".join(m.value for m in cls)
            raise ConfigurationError(
                f"unknown code list to={value!r}; expected one of {choices}"
            ) from None


class Status(StrEnum):
    """Outcome of resolving one value."""

    RESOLVED = "resolved"
    HISTORICAL = "historical"
    AMBIGUOUS = "ambiguous"
    UNKNOWN = "unknown"
    EMPTY = "empty"


STATUSES = tuple(s.value for s in Status)


class Kind(StrEnum):
    """What a column of countries holds (``kind=``): country names or nationality words."""

    NAME = "name"
    NATIONALITY = "nationality"

    @classmethod
    def coerce(cls, value: Kind | str) -> Kind:
        """The member for an Enum member or a plain string."""
        if isinstance(value, cls):
            return value
        try:
            return cls(str(value).strip().lower())
        except ValueError:
            choices = ", ".join(m.value for m in cls)
            raise ConfigurationError(f"unknown kind={value!r}; expected one of {choices}") from None


_REPORT_COLUMNS = [
    "value",
    "normalised",
    "cells",
    "status",
    "code",
    "historical",
    "suggestions",
    "note",
]


@dataclass(frozen=True)
class _Outcome:
    status: Status
    code: str | None
    candidates: tuple[str, ...]
    normalised: str


_EMPTY = _Outcome(Status.EMPTY, None, (), "")
_NUMERIC_TEXT = re.compile(r"[+]?0*(\d{1,3})(?:\.0*)?")
_CODE_TEXT = re.compile(r"[A-Za-z]{2,3}")


def _is_missing(value: Any) -> bool:
    if value is None or value is pd.NA or value is pd.NaT:
        return True
    return isinstance(value, float | np.floating) and math.isnan(value)


def _from_target(target: Target | None, key: str) -> _Outcome:
    if target is None:
        return _Outcome(Status.UNKNOWN, None, (), key)
    if isinstance(target, tuple):
        return _Outcome(Status.AMBIGUOUS, None, target, key)
    historical = bool(index().records.at[target, "historical"])
    return _Outcome(Status.HISTORICAL if historical else Status.RESOLVED, target, (), key)


def _numeric(number: int) -> _Outcome:
    key = f"{number:03d}"
    return _from_target(index().numerics.get(key), key)


@lru_cache(maxsize=65536, typed=True)
def _classify(value: Any) -> _Outcome:
    """Classify one distinct cell value (cached: values repeat across calls)."""
    if _is_missing(value):
        return _EMPTY
    if isinstance(value, bool | np.bool_):
        # True/False in a country column is a data error, not the numeric code 1/0.
        return _Outcome(Status.UNKNOWN, None, (), str(value))
    if isinstance(value, numbers.Integral):
        return _numeric(int(value))
    if isinstance(value, numbers.Real):
        number = float(value)
        if number.is_integer():
            return _numeric(int(number))
        return _Outcome(Status.UNKNOWN, None, (), str(value))
    if isinstance(value, bytes):
        value = value.decode("utf-8", errors="replace")
    text = str(value).strip()
    if not text:
        return _EMPTY
    match = _NUMERIC_TEXT.fullmatch(text)
    if match:
        return _numeric(int(match.group(1)))
    ix = index()
    key = normalise(text)
    if _CODE_TEXT.fullmatch(text):
        target = ix.codes.get(text.upper())
        named = ix.names.get(key)
        as_code = text.isupper() or text.islower()
        if target is not None and (as_code or named is None or named == target):
            return _from_target(target, text.upper())
        if isinstance(target, str) and isinstance(named, str):
            # "Nga": the ISO code of Nigeria and Vietnamese for Russia. Codes are typed in
            # one case ("NGA", "nga"); a capitalised word is read as a name too.
            return _Outcome(Status.AMBIGUOUS, None, tuple(sorted({target, named})), key)
    target = ix.names.get(key)
    if not isinstance(target, str) and key not in ix.notes and key not in ix.regions:
        # Folding merged names of several countries (Maori "Kāta" Chad, "Kata" Qatar) or
        # left nothing ("La'os"): the name exactly as written may still name one country.
        written = ix.exact.get(exact_key(text))
        if isinstance(written, str):
            target = written
    return _from_target(target, key)


_QUALIFIED = re.compile(r"(.*?\S)\s*\(([^()]*)\)\s*")


@lru_cache(maxsize=65536, typed=True)
def _classify_nationality(value: Any) -> _Outcome:
    """Classify a nationality word; values that are no nationality go to _classify."""
    if isinstance(value, str) and value.strip():
        words = nationality_index()
        text = value.strip()
        key = normalise(text)
        target = words.get(key)
        qualified = _QUALIFIED.fullmatch(text)
        if target is None and qualified:
            # "Congolaise (RDC)": the qualifier names the country among the candidates.
            target = words.get(normalise(qualified.group(1)))
            if isinstance(target, tuple):
                named = _classify(qualified.group(2)).code
                target = named if named in target else target
        if target is not None:
            return _from_target(target, key)
    return _classify(value)


def _classify_safe(value: Any, kind: Kind = Kind.NAME) -> _Outcome:
    classify = _classify_nationality if kind is Kind.NATIONALITY else _classify
    try:
        return classify(value)
    except TypeError:  # unhashable (a list in a cell): classify without the cache
        return _classify.__wrapped__(value)


@cache
def _output(to: CodeList) -> dict[str, str | None]:
    records = index().records
    if to is CodeList.ALPHA3:
        column = pd.Series(records.index, index=records.index)
    else:
        column = records[to.value]
    return {a3: (None if pd.isna(v) or v == "" else str(v)) for a3, v in column.items()}


def _as_series(values: Any, what: str = "values") -> Any:
    if isinstance(values, pd.DataFrame):
        raise InputError(
            f"expected one column of country names or codes, got a DataFrame with columns "
            f"{list(values.columns)}; pass one column, e.g. df[{str(values.columns[0])!r}]"
        )
    if isinstance(values, pd.Series):
        return values
    if isinstance(values, pd.Index | np.ndarray | list | tuple):
        return pd.Series(_object_array(list(values)), dtype=object)
    raise InputError(
        f"expected {what} as a scalar, list, tuple, numpy array or pandas Series, "
        f"got {type(values).__name__}"
    )


def _object_array(items: list[Any]) -> np.ndarray:
    # Filled slot by slot so that tuples or lists in cells stay single objects.
    array = np.empty(len(items), dtype=object)
    array[:] = items
    return array


def _factorize(series: Any) -> tuple[np.ndarray, list[Any]]:
    try:
        codes, uniques = pd.factorize(series, use_na_sentinel=True)
    except TypeError:
        # Unhashable cells (lists, dicts): factorize their text so they are reported as
        # unknown values; hashable cells keep their identity.
        safe = series.map(lambda v: v if isinstance(v, Hashable) else repr(v))
        codes, uniques = pd.factorize(safe, use_na_sentinel=True)
    return np.asarray(codes), list(uniques)


def _is_scalar(values: Any) -> bool:
    return not isinstance(values, pd.Series | pd.DataFrame | pd.Index | np.ndarray | list | tuple)


def resolve(values: Any, to: CodeList | str = "alpha3", kind: Kind | str = "name") -> Any:
    """Resolve country names or codes to one code list; unresolved values become missing.

    Accepts ISO 3166-1 alpha-2, alpha-3 and numeric codes (also as numbers or "404.0"),
    UN M49 country codes, Eurostat codes (EL, UK, XK), and names after normalisation (see
    :func:`normalise`): the CLDR names of every CLDR language (from Babel: "Kenia",
    "ኢትዮጵያ", "Itoobiya"), the UN official names in the six UN languages ("République-Unie
    de Tanzanie", "Estado Plurinacional de Bolivia"), pycountry's ISO names and their
    translations, and the curated aliases. A name that two languages give to two countries
    is ambiguous. Ambiguous names ("Congo") and unknown strings are never guessed: they
    come back missing; :func:`resolution_report` lists them with suggestions. Historical
    countries (Zaire, USSR, Yugoslavia) resolve to their own withdrawn ISO code.

    Parameters
    ----------
    values
        A scalar, a list/tuple, a numpy array or a pandas Series.
    to
        Output code list: ``alpha3`` (default), ``alpha2``, ``numeric`` (three digits),
        ``eurostat``, ``name_en`` or ``name_fr`` (a :class:`CodeList` or its string).
    kind
        ``"name"`` (default): country names and codes. ``"nationality"``: the column holds
        nationality words ("Rwandaise", "moçambicano", "مصري", "Kenyans", "Congolaise
        (RDC)") in English, French, Portuguese or Arabic; words shared by two countries
        ("Congolese", "Guinean", "Dominican") are ambiguous; country names and codes still
        resolve.

    Returns
    -------
    str, None, list, numpy array or Series
        The same shape as ``values``: a Series keeps its index and name and has the pandas
        ``"string"`` dtype with ``<NA>`` for unresolved cells; lists and arrays hold None.

    Raises
    ------
    ConfigurationError
        ``to`` is not a known code list, or ``kind`` is not name or nationality.
    InputError
        ``values`` is a DataFrame or another unsupported container.

    Examples
    --------
    >>> resolve("Inde")
    'IND'
    >>> resolve(["Côte d'Ivoire", "Ivory Coast", "Costa do Marfim", "ساحل العاج", 384])
    ['CIV', 'CIV', 'CIV', 'CIV', 'CIV']
    >>> resolve(["Congo", "Zaire", "EL", " 4 "], to="alpha2")
    [None, 'ZR', 'GR', 'AF']
    >>> resolve(pd.Series(["Kenya", "Narnia"], name="country")).tolist()
    ['KEN', <NA>]
    >>> resolve(["Rwandaise", "moçambicanos", "Congolese"], kind="nationality")
    ['RWA', 'MOZ', None]
    """
    target = CodeList.coerce(to)
    what = Kind.coerce(kind)
    if _is_scalar(values):
        outcome = _classify_safe(values, what)
        return None if outcome.code is None else _output(target)[outcome.code]
    series = _as_series(values)
    codes, uniques = _factorize(series)
    mapping = _output(target)
    mapped = [None if (c := _classify_safe(u, what).code) is None else mapping[c] for u in uniques]
    # The last slot is the missing value that cells with the NA sentinel (-1) point to.
    lookup = pd.array([*mapped, None], dtype="string")
    taken = lookup.take(np.where(codes < 0, len(mapped), codes))
    if isinstance(values, pd.Series):
        return pd.Series(taken, index=values.index, name=values.name, copy=False)
    if isinstance(values, pd.Index):
        return pd.Index(taken, name=values.name)
    out = [None if v is pd.NA else v for v in taken.tolist()]
    if isinstance(values, np.ndarray):
        return np.array(out, dtype=object)
    return out


def _suggest(outcome: _Outcome, limit: int = 3) -> str:
    ix = index()
    names = ix.records["name_en"]
    if outcome.status is Status.AMBIGUOUS:
        return "; ".join(f"{names[c]} ({c})" for c in outcome.candidates)
    if outcome.status is not Status.UNKNOWN or len(outcome.normalised) < 4:
        return ""
    found: list[str] = []
    for key in difflib.get_close_matches(outcome.normalised, _suggestion_keys(), n=12, cutoff=0.75):
        code = ix.names[key]
        if isinstance(code, str) and code not in found:
            found.append(code)
        if len(found) == limit:
            break
    return "; ".join(f"{names[c]} ({c})" for c in found)


@cache
def _suggestion_keys() -> list[str]:
    ix = index()
    # Keys of three letters or fewer ("rda") are too short to suggest from.
    return sorted(
        k for k, v in ix.names.items() if isinstance(v, str) and k in ix.common and len(k) > 3
    )


def _note(outcome: _Outcome) -> str:
    ix = index()
    if outcome.status is Status.HISTORICAL and outcome.code is not None:
        successors, note = ix.successors.get(outcome.code, ("", ""))
        withdrawn = f"withdrawn ISO code {outcome.code}"
        return f"{withdrawn}; successor(s): {successors}. {note}" if successors else withdrawn
    if outcome.status is Status.AMBIGUOUS:
        return ix.notes.get(outcome.normalised, "name shared by several countries")
    if outcome.status is Status.UNKNOWN and outcome.normalised in ix.regions:
        return ix.regions[outcome.normalised]
    if outcome.status is Status.UNKNOWN and outcome.normalised.isdigit():
        return f"{outcome.normalised} is not an ISO 3166 / UN M49 country code"
    return ""


_STATUS_ORDER = {
    s: i
    for i, s in enumerate(
        [Status.UNKNOWN, Status.AMBIGUOUS, Status.HISTORICAL, Status.RESOLVED, Status.EMPTY]
    )
}


class Resolution:
    """The result of resolving a column of countries: codes per cell and a report.

    Built by :func:`resolve_detailed`. Attributes: ``codes`` (Series, ``"string"``
    dtype, in the requested code list), ``status`` (Series of status names per cell),
    ``historical`` (boolean Series per cell), ``report`` (one row per distinct value, see
    :func:`resolution_report`), ``counts`` (cells per status).

    Examples
    --------
    >>> r = resolve_detailed(["Kenya", "Zaire", "Congo", "Narnia", None, "Kenya"])
    >>> r.counts
    {'resolved': 2, 'historical': 1, 'ambiguous': 1, 'unknown': 1, 'empty': 1}
    >>> r.codes.tolist()
    ['KEN', 'ZAR', <NA>, <NA>, <NA>, 'KEN']
    """

    def __init__(
        self, values: Any, to: CodeList | str = "alpha3", kind: Kind | str = "name"
    ) -> None:
        self.to = CodeList.coerce(to)
        self.kind = Kind.coerce(kind)
        series = _as_series(values)
        self.values = series
        codes, uniques = _factorize(series)
        outcomes = [_classify_safe(u, self.kind) for u in uniques]
        mapping = _output(self.to)
        n = len(outcomes)
        fill = np.where(codes < 0, n, codes)
        out = pd.array(
            [None if o.code is None else mapping[o.code] for o in outcomes] + [None],
            dtype="string",
        )
        self.codes = pd.Series(out.take(fill), index=series.index, name=series.name)
        status = np.array([o.status.value for o in outcomes] + [Status.EMPTY.value], dtype=object)
        self.status = pd.Series(
            pd.Categorical(status[fill], categories=list(STATUSES)),
            index=series.index,
            name="status",
        )
        self.historical = pd.Series(
            np.array([o.status is Status.HISTORICAL for o in outcomes] + [False])[fill],
            index=series.index,
            name="historical",
        )
        cells = np.bincount(fill, minlength=n + 1)
        rows = [
            (u, o, int(cells[i])) for i, (u, o) in enumerate(zip(uniques, outcomes, strict=True))
        ]
        if cells[n]:
            rows.append((None, _EMPTY, int(cells[n])))
        rows.sort(key=lambda r: (_STATUS_ORDER[r[1].status], -r[2], str(r[0])))
        report = pd.DataFrame(
            {
                "value": pd.Series(_object_array([r[0] for r in rows]), dtype=object),
                "normalised": pd.array([r[1].normalised for r in rows], dtype="string"),
                "cells": pd.array([r[2] for r in rows], dtype="int64"),
                "status": pd.Categorical(
                    [r[1].status.value for r in rows], categories=list(STATUSES)
                ),
                "code": pd.array([r[1].code for r in rows], dtype="string"),
                "historical": pd.array(
                    [r[1].status is Status.HISTORICAL for r in rows], dtype="bool"
                ),
                "suggestions": pd.array([_suggest(r[1]) for r in rows], dtype="string"),
                "note": pd.array([_note(r[1]) for r in rows], dtype="string"),
            },
            columns=_REPORT_COLUMNS,
        )
        self.report = report
        self.counts = {s: int(report.loc[report["status"] == s, "cells"].sum()) for s in STATUSES}

    @property
    def unresolved(self) -> Any:
        """Report rows of values that did not resolve (ambiguous or unknown)."""
        mask = self.report["status"].isin([Status.AMBIGUOUS.value, Status.UNKNOWN.value])
        return self.report[mask].reset_index(drop=True)

    def table(self) -> Any:
        """One row per cell: value, code, status, historical (the input order and index)."""
        return pd.DataFrame(
            {
                "value": self.values,
                "code": self.codes,
                "status": self.status,
                "historical": self.historical,
            }
        )

    def summary(self) -> str:
        """A few lines of text: cells per status and every unresolved value."""
        total = sum(self.counts.values())
        lines = [
            f"{total} cells: "
            + ", ".join(f"{self.counts[s]} {s}" for s in STATUSES if self.counts[s])
        ]
        for row in self.report.itertuples(index=False):
            if row.status in (Status.RESOLVED.value, Status.EMPTY.value):
                continue
            what = f"  {row.status:<10} {str(row.value)!r} ({row.cells} cells)"
            if row.status == Status.HISTORICAL.value:
                what += f" -> {row.code}: {row.note}"
            elif row.status == Status.AMBIGUOUS.value:
                what += f"; could be: {row.suggestions}"
            elif row.suggestions:
                what += f"; did you mean: {row.suggestions}"
            lines.append(what)
        return "\n".join(lines)

    def __repr__(self) -> str:
        return f"<Resolution to={self.to.value}>\n{self.summary()}"

    def _repr_html_(self) -> str:
        counts = "".join(
            f"<tr><td>{s}</td><td style='text-align:right'>{self.counts[s]}</td></tr>"
            for s in STATUSES
        )
        problems = self.report[self.report["status"] != Status.RESOLVED.value]
        detail = (
            problems.to_html(index=False, na_rep="", escape=True)
            if len(problems)
            else "<p>Every value resolved.</p>"
        )
        return (
            f"<div><strong>Country resolution</strong> (to {html.escape(self.to.value)})"
            f"<table><tr><th>status</th><th>cells</th></tr>{counts}</table>"
            f"{detail}</div>"
        )


def resolve_detailed(
    values: Any, to: CodeList | str = "alpha3", kind: Kind | str = "name"
) -> Resolution:
    """Resolve a column of countries and keep the per-cell status and the report.

    Parameters
    ----------
    values
        A list, tuple, numpy array or Series (a scalar is treated as a one-cell list).
    to
        Output code list, as in :func:`resolve`.
    kind
        ``"name"`` or ``"nationality"``, as in :func:`resolve`.

    Returns
    -------
    Resolution

    Examples
    --------
    >>> r = resolve_detailed(pd.Series(["RDC", "Zaïre", "Congo"]))
    >>> r.codes.tolist()
    ['COD', 'ZAR', <NA>]
    >>> r.historical.tolist()
    [False, True, False]
    """
    if _is_scalar(values):
        values = [values]
    return Resolution(values, to=to, kind=kind)


def explain(value: Any, kind: Kind | str = "name") -> str:
    """One sentence on a value that did not resolve: its candidates or suggestions.

    Meant for a person at a prompt or on the command line (``--country Congo``).

    Parameters
    ----------
    value
        The value as typed.
    kind
        ``"name"`` or ``"nationality"``, as in :func:`resolve`.

    Returns
    -------
    str
        "" when the value resolves to a current country.

    Examples
    --------
    >>> for part in explain("Congo").split("; "):
    ...     print(part)
    'Congo' is ambiguous: it could be Congo, The Democratic Republic of the (COD)
    Congo (COG)
    give the code
    >>> explain("Rwnda")
    "'Rwnda' is not a known country name or code; did you mean Rwanda (RWA)?"
    >>> explain("Kenya")
    ''
    """
    outcome = _classify_safe(value, Kind.coerce(kind))
    if outcome.status is Status.RESOLVED:
        return ""
    if outcome.status is Status.HISTORICAL and outcome.code is not None:
        return f"{value!r} is a country that no longer exists: {_note(outcome)}"
    if outcome.status is Status.AMBIGUOUS:
        return f"{value!r} is ambiguous: it could be {_suggest(outcome)}; give the code"
    if outcome.status is Status.EMPTY:
        return "no country given"
    hint = _suggest(outcome)
    known = f"{value!r} is not a known country name or code"
    note = _note(outcome)
    if note:
        known += f" ({note})"
    return f"{known}; did you mean {hint.replace('; ', ' or ')}?" if hint else known


def resolution_report(values: Any) -> Any:
    """One row per distinct value: how it resolved, how many cells, and suggestions.

    Columns: ``value`` (as given), ``normalised`` (the lookup key), ``cells``, ``status``
    (resolved, historical, ambiguous, unknown, empty), ``code`` (alpha-3 or missing),
    ``historical`` (withdrawn ISO code), ``suggestions`` (up to three close names for an
    unknown value, the candidates of an ambiguous one; fuzzy matches are only ever
    suggested), ``note``. Problems come first. The cells add up to the number of input
    cells: nothing is dropped.

    Parameters
    ----------
    values
        A scalar, list, tuple, numpy array or Series.

    Returns
    -------
    pandas.DataFrame

    Examples
    --------
    >>> rep = resolution_report(["Kenyia", "Kenya", "Congo", "Zaire", "", None])
    >>> rep[["value", "cells", "status", "code"]].values.tolist()  # doctest: +NORMALIZE_WHITESPACE
    [['Kenyia', 1, 'unknown', <NA>], ['Congo', 1, 'ambiguous', <NA>],
     ['Zaire', 1, 'historical', 'ZAR'], ['Kenya', 1, 'resolved', 'KEN'],
     ['', 1, 'empty', <NA>], [None, 1, 'empty', <NA>]]
    >>> rep.loc[0, "suggestions"]
    'Kenya (KEN)'
    """
    return resolve_detailed(values).report


def convert(codes: Any, to: CodeList | str) -> Any:
    """Convert ISO alpha-3 codes (migdata's internal code list) to another code list.

    Unlike :func:`resolve`, this is strict: every non-missing value must be a known
    alpha-3 code (current, historical or XKX), otherwise an error lists the offenders.

    Parameters
    ----------
    codes
        A scalar, list, tuple, numpy array or Series of alpha-3 codes.
    to
        Output code list (see :class:`CodeList`).

    Returns
    -------
    Same shape as ``codes`` (Series with ``"string"`` dtype).

    Raises
    ------
    InputError
        A value is not a known alpha-3 code.

    Examples
    --------
    >>> convert(["GRC", "GBR", "XKX", "KEN"], to="eurostat")
    ['EL', 'UK', 'XK', 'KE']
    >>> convert("CIV", to="name_fr")
    "Côte d'Ivoire"
    """
    target = CodeList.coerce(to)
    mapping = _output(target)
    if _is_scalar(codes):
        if _is_missing(codes):
            return None
        key = str(codes).strip().upper()
        if key not in mapping:
            raise InputError(f"expected an ISO alpha-3 country code, got {codes!r}", value=codes)
        return mapping[key]
    series = _as_series(codes, "codes")
    position, uniques = _factorize(series)
    keys = [None if _is_missing(u) else str(u).strip().upper() for u in uniques]
    bad = [
        (i, u)
        for i, (u, k) in enumerate(zip(uniques, keys, strict=True))
        if k is not None and k not in mapping
    ]
    if bad:
        first = int(np.flatnonzero(position == bad[0][0])[0])
        shown = ", ".join(repr(u) for _, u in bad[:5])
        raise InputError(
            f"expected ISO alpha-3 country codes, got {len(bad)} unknown value(s): {shown} "
            "(use resolve() for names and other code lists)",
            row=first,
            value=bad[0][1],
        )
    lookup = pd.array([None if k is None else mapping[k] for k in keys] + [None], dtype="string")
    taken = lookup.take(np.where(position < 0, len(keys), position))
    if isinstance(codes, pd.Series):
        return pd.Series(taken, index=codes.index, name=codes.name)
    out = [None if v is pd.NA else v for v in taken.tolist()]
    return np.array(out, dtype=object) if isinstance(codes, np.ndarray) else out


def code_list() -> Any:
    """The country code list: one row per current and historical country.

    Returns
    -------
    pandas.DataFrame
        Columns alpha3, alpha2, numeric, eurostat, name_en, name_fr, historical; sorted by
        alpha3.

    Examples
    --------
    >>> cl = code_list()
    >>> cl.set_index("alpha3").loc["GRC", ["alpha2", "eurostat", "numeric"]].tolist()
    ['GR', 'EL', '300']
    >>> bool(cl.set_index("alpha3").loc["YUG", "historical"])
    True
    """
    records = index().records.reset_index().sort_values("alpha3", ignore_index=True)
    return records.astype(
        {c: "string" for c in ["alpha3", "alpha2", "numeric", "eurostat", "name_en", "name_fr"]}
    )
