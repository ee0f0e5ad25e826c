"""Residence and work permits: first permits by reason and validity, valid permits as persons.

Owns :func:`first_permits` and :func:`valid_permits`. National reasons map to the UN
admission categories through ``data/sources/permit_reasons.yaml``; the categories and their
Eurostat reasons come from the standards (``data/standards/admission_categories.yaml``).
"""

from __future__ import annotations

import html
import importlib
from dataclasses import dataclass, field
from functools import cache
from typing import Any

import numpy as np
import pandas as pd
import pandera.pandas as pa
import yaml
from pandera.errors import SchemaErrors

from migdata._checks import check_date, check_frame, check_number, public
from migdata._resources import data_path
from migdata.errors import InputError, ValidationError
from migdata.harmonised import HARMONISED_COLUMNS, harmonised_schema
from migdata.sources import _engines, _parse
from migdata.sources.profile import SourceProfile

__all__ = ["Permits", "admission_categories", "first_permits", "valid_permits"]

_DAYS_PER_MONTH = 365.0 / 12.0
_EXTRA = ["admission_category", "reason", "validity"]


@dataclass
class Permits:
    """Result of :func:`first_permits` or :func:`valid_permits`.

    Attributes
    ----------
    table
        Harmonised rows (RP_FIRST or RP_VALID) with the extra columns
        ``admission_category`` (UN code), ``reason`` (Eurostat FAM/EDUC/REMUN/OTH) and
        ``validity`` (M3T5, M6T11, M_GE12).
    permits
        The usable permit records with ``admission_category``, ``validity``,
        ``validity_months`` and ``first`` (first permits) or ``counted`` (valid permits).
    rejected
        Records that could not be used, with ``row`` and ``reason``.
    excluded
        Records out of scope (validity under 3 months; permits not first), with ``row``
        and ``reason``.
    unmapped
        National reason labels with no admission category (counted as ``_U``).
    documents, persons
        Documents and persons behind the table (valid permits: persons <= documents).
    rows_in
        Input rows (= permits used + rejected).
    """

    table: pd.DataFrame
    permits: pd.DataFrame
    rejected: pd.DataFrame
    excluded: pd.DataFrame
    unmapped: pd.DataFrame
    rows_in: int
    documents: int = 0
    persons: int = 0
    notes: list[str] = field(default_factory=list)

    def __repr__(self) -> str:
        return (
            f"Permits({self.rows_in:,} rows in: {len(self.table):,} table rows from "
            f"{self.documents:,} documents of {self.persons:,} persons, "
            f"{len(self.rejected):,} rejected, {len(self.excluded):,} excluded)"
        )

    def _repr_html_(self) -> str:
        measure = self.table["measure"].iloc[0] if len(self.table) else "permits"
        by_reason = self.table.groupby("admission_category")["obs_value"].sum()
        rows = "".join(
            f"<tr><td>{html.escape(str(k))}</td><td style='text-align:right'>{v:,.0f}</td></tr>"
            for k, v in by_reason.items()
        )
        return (
            f"<div><b>{html.escape(str(measure))}</b>: {self.persons:,} persons from "
            f"{self.documents:,} documents; {len(self.rejected)} records rejected, "
            f"{len(self.excluded)} out of scope, of {self.rows_in}. Unmapped reasons: "
            f"{len(self.unmapped)}.<table><tr><th>UN admission category</th><th>count</th>"
            f"</tr>{rows}</table></div>"
        )


@cache
def admission_categories() -> pd.DataFrame:
    """The UN admission categories (from :mod:`migdata.standards`), with Eurostat reasons.

    Examples
    --------
    >>> a = admission_categories().set_index("code")
    >>> a.loc["FAM_REUNIF", "eurostat_reason"], a.loc["EDU", "eurostat_reason"]
    ('FAM', 'EDUC')
    """
    try:
        standards: Any = importlib.import_module("migdata.standards")
        table = pd.DataFrame(standards.admission_categories())
    except (ImportError, AttributeError):
        raw = yaml.safe_load(
            data_path("standards", "admission_categories.yaml").read_text(encoding="utf-8")
        )
        table = pd.DataFrame(raw["categories"])
    return table.astype({"code": "string"})


@cache
def _reason_lookup() -> dict[str, str]:
    raw = yaml.safe_load(data_path("sources", "permit_reasons.yaml").read_text("utf-8"))
    out = {_parse.normalise_text(w): code for code, words in raw.items() for w in words}
    for code in admission_categories()["code"]:
        out[_parse.normalise_text(code)] = str(code)
    return out


def _map_reasons(values: pd.Series) -> pd.Series:
    table = _reason_lookup()
    codes, uniques = pd.factorize(values.astype("string"), use_na_sentinel=True)
    mapped = [table.get(_parse.normalise_text(u)) for u in uniques]
    return pd.Series(
        pd.array([*mapped, None], dtype="string").take(np.where(codes < 0, len(mapped), codes)),
        index=values.index,
    )


def _prepare(
    permits: pd.DataFrame,
    *,
    person_column: str,
    reason_column: str,
    start_column: str,
    end_column: str,
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Read and check permit records: (usable, rejected, excluded_short, unmapped)."""
    if not isinstance(permits, pd.DataFrame):
        raise InputError(f"expected a pandas DataFrame of permits, got {type(permits).__name__}")
    source = permits.reset_index(drop=True)
    usable, rejected, excluded, unmapped = _prepare_rows(
        source,
        person_column=person_column,
        reason_column=reason_column,
        start_column=start_column,
        end_column=end_column,
    )
    return usable, rejected, excluded, _unmapped(unmapped)


def _unmapped(spellings: pd.Series) -> pd.DataFrame:
    """Records per national reason label without an admission category: the most
    frequent first, ties in order of first appearance."""
    return (
        pd.DataFrame({"spelling": spellings.astype("string")})
        .fillna("(missing)")
        .value_counts()
        .rename("records")
        .reset_index()
    )


def _prepare_rows(
    source: pd.DataFrame,
    *,
    person_column: str,
    reason_column: str,
    start_column: str,
    end_column: str,
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, pd.Series]:
    """(usable, rejected, excluded_short, unmapped reason labels) of whole persons'
    permits; the index of ``source`` holds the records' input positions (their ``row``)."""
    index = source.index
    person = _parse.required_column(source, person_column, "person identifier")
    reason_raw = _parse.required_column(source, reason_column, "reason for the permit")
    start_raw = _parse.required_column(source, start_column, "first day of validity")
    end_raw = _parse.required_column(source, end_column, "last day of validity")
    start = pd.to_datetime(start_raw, errors="coerce", format="mixed")
    end = pd.to_datetime(end_raw, errors="coerce", format="mixed")

    def shown(raw: pd.Series) -> pd.Series:
        return ("'" + raw.astype("string") + "'").fillna("nothing")

    end_given = end_raw.notna() & (end_raw.astype("string").str.strip() != "")
    problems = {
        "person": (
            f"column '{person_column}': expected a person identifier, got " + shown(person)
        ).where(person.isna(), ""),
        "start": (
            f"column '{start_column}': expected a date such as 2019-03-01, got " + shown(start_raw)
        ).where(start.isna(), ""),
        "end": (
            f"column '{end_column}': expected a date (or nothing for a permit without "
            "expiry), got " + shown(end_raw)
        ).where(end_given & end.isna(), ""),
        "order": (
            f"column '{end_column}': expected a date after the start ("
            + start.dt.strftime("%Y-%m-%d").astype("string")
            + "), got "
            + shown(end_raw)
        ).where((end < start).fillna(False), ""),
    }
    why = _parse.combine_reasons(problems, index)
    ok = why == ""
    category = _map_reasons(reason_raw)
    key = pd.DataFrame(
        {"p": person.astype("string"), "s": start, "e": end, "r": reason_raw.astype("string")}
    )
    dup = ok & key.duplicated(keep="first")
    first = key[ok].rename_axis("index").reset_index()
    first = first.groupby(["p", "s", "e", "r"], dropna=False)["index"]
    first_row = pd.Series(first.transform("min").to_numpy(), index=key[ok].index).reindex(index)
    why = why.where(
        ~dup,
        "duplicate of row " + first_row.astype("Int64").astype("string") + " (same permit)",
    )
    ok = why == ""
    bad = np.flatnonzero((~ok).to_numpy())
    rejected = _parse.rejected_frame(source, bad, why[~ok])
    rejected["row"] = pd.array(index.to_numpy()[bad], dtype="Int64")

    # The last day of validity is included: 1 January to 31 December is 12 months.
    months = ((end - start).dt.days + 1) / _DAYS_PER_MONTH
    months = months.where(end.notna(), np.inf)  # no expiry: permanent
    validity = pd.Series(
        np.select([months < 3, months < 6, months < 12], ["", "M3T5", "M6T11"], default="M_GE12"),
        index=index,
        dtype="string",
    )
    short = ok & (months < 3)
    out = np.flatnonzero(short.to_numpy())
    excluded = _parse.rejected_frame(
        source,
        out,
        pd.Series(
            "valid less than 3 months: not a residence permit in these statistics",
            index=index[short.to_numpy()],
        ),
    )
    excluded["row"] = pd.array(index.to_numpy()[out], dtype="Int64")
    cats = admission_categories().set_index("code")["eurostat_reason"]
    usable = source[(ok & ~short).to_numpy()].copy()
    keep = (ok & ~short).to_numpy()
    usable["_person"] = person[keep].astype("string").to_numpy()
    usable["_start"] = start[keep].to_numpy()
    usable["_end"] = end[keep].to_numpy()
    usable["admission_category"] = category[keep].fillna("_U").to_numpy()
    usable["reason"] = (
        usable["admission_category"].map(cats.to_dict()).fillna("OTH").astype("string")
    )
    usable.loc[usable["admission_category"] == "_U", "reason"] = "_U"
    usable["validity"] = validity[keep].to_numpy()
    usable["validity_months"] = months[keep].to_numpy()
    return usable, rejected, excluded, reason_raw[ok & category.isna()]


def _breakdowns(
    rows: pd.DataFrame,
    time_period: Any,
    citizenship_column: str | None,
    sex_column: str | None,
    age_column: str | None,
) -> pd.DataFrame:
    """The cells of each permit: counterpart, sex, age, ``time_period`` and the categories."""
    return pd.DataFrame(
        {
            "counterpart_area": _parse.counterpart_codes(rows, citizenship_column, "citizenship"),
            "counterpart_type": "CITIZENSHIP" if citizenship_column else "NONE",
            "sex": _parse.sex_codes(rows, sex_column),
            "age": _parse.age_codes(rows, age_column),
        },
        index=rows.index,
    ).assign(time_period=time_period, **{c: rows[c] for c in _EXTRA})


_CELL_KEYS = ["counterpart_area", "counterpart_type", "sex", "age", "time_period", *_EXTRA]


def _cell_counts(cells: pd.DataFrame) -> pd.DataFrame:
    """Permits (or persons) per cell, in ``obs_value``."""
    return cells.groupby(_CELL_KEYS, observed=True).size().rename("obs_value").reset_index()


def _finish(
    cells: pd.DataFrame, measure: str, profile: SourceProfile, provenance: str
) -> pd.DataFrame:
    return _finish_counts(_cell_counts(cells), measure, profile, provenance)


def _finish_counts(
    counts: pd.DataFrame, measure: str, profile: SourceProfile, provenance: str
) -> pd.DataFrame:
    """The harmonised table from the counts per cell (of all permits, or summed by part)."""
    keys = _CELL_KEYS
    out = counts.copy()
    out["obs_value"] = out["obs_value"].astype("float64")
    out["measure"] = measure
    out["ref_area"] = profile.country
    out["reported_value"] = out["obs_value"]
    out["adjustment"] = 1.0
    # Permits are counted by their own definition, not against a migration target.
    out["target"] = pd.NA
    out["compliance"] = pd.NA
    out["source_id"] = profile.source_id
    out["obs_status"] = "A"
    out["provenance"] = provenance
    out = out[[*HARMONISED_COLUMNS, *_EXTRA]].astype(
        {**HARMONISED_COLUMNS, **dict.fromkeys(_EXTRA, "string")}
    )
    base = harmonised_schema()
    schema = pa.DataFrameSchema(
        base.columns,
        strict=False,
        unique=[*base.unique, *_EXTRA],
    )
    try:
        schema.validate(out, lazy=True)
    except SchemaErrors as exc:  # a bug, not bad input
        raise ValidationError(
            "the permit table breaks its schema", report=exc.failure_cases
        ) from exc
    return out.sort_values(keys, kind="stable").reset_index(drop=True)


@public
def first_permits(
    permits: pd.DataFrame,
    profile: SourceProfile,
    *,
    person_column: str = "person_id",
    reason_column: str = "reason",
    start_column: str = "valid_from",
    end_column: str = "valid_to",
    first_column: str | None = None,
    citizenship_column: str | None = "citizenship",
    sex_column: str | None = None,
    age_column: str | None = None,
    gap_months: float = 6,
) -> Permits:
    """First residence permits by UN admission category and validity class, per year.

    Parameters
    ----------
    permits
        One row per permit (document): person, national reason (any language of
        ``permit_reasons.yaml`` or a UN category code), first and last day of validity (an
        empty end means no expiry). A Dask DataFrame runs on the workers (permits shuffled
        by person): the result's ``permits`` is then a lazy Dask DataFrame with the input
        ``row`` (``result.to_pandas()`` gathers it), the rest is the pandas result.
    profile
        The permit source's profile.
    first_column
        A yes/no column saying which permits are first permits. Without it a permit is
        first when the person held no earlier permit, or when the latest earlier permit
        expired at least ``gap_months`` before it (the Eurostat convention of six months).
    citizenship_column, sex_column, age_column
        Breakdowns (None -> totals).

    Returns
    -------
    Permits
        ``table`` of RP_FIRST rows by year of the start of validity; records valid less than
        3 months and renewals are in ``excluded``.

    Examples
    --------
    >>> p = SourceProfile(source_id="KEN-RP", country="KEN", source_type="residence_permits")
    >>> rp = pd.DataFrame({
    ...     "person_id": [1, 1, 2, 3, 4],
    ...     "reason": ["travail", "work", "regroupement familial", "étudiant", "tourism"],
    ...     "valid_from": ["2019-01-01", "2020-01-01", "2019-05-01", "2019-09-01",
    ...                    "2019-02-01"],
    ...     "valid_to": ["2019-12-31", "2021-12-31", "2019-10-31", "2020-06-30",
    ...                  "2019-03-01"],
    ...     "citizenship": ["UGA", "UGA", "Tanzanie", "RWA", "FRA"]})
    >>> f = first_permits(rp, p)
    >>> f.table[["counterpart_area", "time_period", "admission_category", "reason",
    ...          "validity", "obs_value"]]
      counterpart_area time_period admission_category reason validity  obs_value
    0              RWA        2019                EDU   EDUC    M6T11        1.0
    1              TZA        2019         FAM_REUNIF    FAM    M6T11        1.0
    2              UGA        2019               WORK  REMUN   M_GE12        1.0
    >>> f.excluded["reason"].tolist()  # doctest: +NORMALIZE_WHITESPACE
    ['valid less than 3 months: not a residence permit in these statistics',
     'renewal: the person held a permit until 2019-12-31']
    """
    check_number(gap_months, "gap_months", lo=0)
    columns = {
        "person_column": person_column,
        "reason_column": reason_column,
        "start_column": start_column,
        "end_column": end_column,
    }
    breakdowns = {
        "citizenship_column": citizenship_column,
        "sex_column": sex_column,
        "age_column": age_column,
    }
    if _engines.is_dask(permits):
        from migdata.sources import _microdata_dask

        return _microdata_dask.first_permits(
            permits, profile, columns, breakdowns, first_column, gap_months
        )
    check_frame(permits, "permits")
    usable, rejected, excluded, unmapped = _prepare(permits, **columns)
    usable, renewals = _first_or_renewal(usable, first_column, gap_months)
    excluded = pd.concat([excluded, renewals], ignore_index=True)
    firsts = usable[usable["first"]]
    return Permits(
        table=_finish(
            _first_cells(firsts, breakdowns),
            "RP_FIRST",
            profile,
            _first_provenance(profile, gap_months),
        ),
        permits=usable.drop(columns=["_person", "_start", "_end"]).reset_index(drop=True),
        rejected=rejected,
        excluded=excluded,
        unmapped=unmapped,
        rows_in=len(permits),
        documents=len(firsts),
        persons=int(firsts["_person"].nunique()),
    )


def _first_or_renewal(
    usable: pd.DataFrame, first_column: str | None, gap_months: float
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(usable permits with ``first``; renewals as excluded rows). Runs on whole persons;
    the index of ``usable`` holds the permits' input positions."""
    usable = usable.copy()
    if first_column is not None:
        answer = (
            _parse.required_column(usable, first_column, "first-permit flag")
            .astype("string")
            .str.lower()
        )
        first = answer.str.strip().isin(["yes", "y", "true", "1", "oui", "sim", "first"])
        usable["first"] = first.fillna(False).to_numpy()
        prev_end = pd.Series(pd.NaT, index=usable.index)
    else:
        order = usable.sort_values(["_person", "_start"], kind="stable")
        # Latest expiry among the person's earlier permits (no expiry counts as far future).
        end_filled = order["_end"].fillna(pd.Timestamp("2200-01-01"))
        running = end_filled.groupby(order["_person"]).cummax()
        prev_end = running.groupby(order["_person"]).shift(1)
        gap = (order["_start"] - prev_end).dt.days / _DAYS_PER_MONTH
        first_sorted = prev_end.isna() | (gap >= gap_months).fillna(False)
        usable["first"] = first_sorted.reindex(usable.index).to_numpy()
        prev_end = prev_end.reindex(usable.index)
    renewals = usable[~usable["first"]]
    renewal_reason = (
        "renewal: the person held a permit until "
        + prev_end[renewals.index].dt.strftime("%Y-%m-%d").astype("string").fillna("(flag)")
        if first_column is None
        else pd.Series("not a first permit (flag)", index=renewals.index, dtype="string")
    )
    original_rows = pd.Series(usable.index, index=usable.index)
    renewal_frame = renewals.drop(
        columns=[
            "_person",
            "_start",
            "_end",
            "admission_category",
            "reason",
            "validity",
            "validity_months",
            "first",
        ]
    ).assign(row=original_rows[renewals.index].astype("Int64"), reason=renewal_reason)
    return usable, renewal_frame.reset_index(drop=True)


def _first_cells(firsts: pd.DataFrame, breakdowns: dict[str, Any]) -> pd.DataFrame:
    return _breakdowns(
        firsts,
        firsts["_start"].dt.year.astype("string"),
        breakdowns["citizenship_column"],
        breakdowns["sex_column"],
        breakdowns["age_column"],
    )


def _first_provenance(profile: SourceProfile, gap_months: float) -> str:
    return (
        f"{profile.source_id}: first permits (no permit in the previous {gap_months:g} months"
        " or flagged first), by year of start of validity; documents"
    )


@public
def valid_permits(
    permits: pd.DataFrame,
    profile: SourceProfile,
    on_date: Any,
    *,
    person_column: str = "person_id",
    reason_column: str = "reason",
    start_column: str = "valid_from",
    end_column: str = "valid_to",
    citizenship_column: str | None = "citizenship",
    sex_column: str | None = None,
    age_column: str | None = None,
) -> Permits:
    """Persons holding a valid permit on a date (one person with several permits counts once).

    Parameters
    ----------
    permits
        One row per permit, as for :func:`first_permits` (pandas or Dask).
    profile
        The permit source's profile.
    on_date
        Reference date (e.g. ``"2019-12-31"``); a permit is valid when its start is on or
        before it and its end on or after it (or it has no end).
    citizenship_column, sex_column, age_column
        Breakdowns (None -> totals).

    Returns
    -------
    Permits
        ``table`` of RP_VALID rows, ``time_period`` the date; a person holding several
        valid permits is classified by the one that started last (ties: the longest).

    Examples
    --------
    >>> p = SourceProfile(source_id="KEN-RP", country="KEN", source_type="residence_permits")
    >>> rp = pd.DataFrame({
    ...     "person_id": [1, 1, 2, 3],
    ...     "reason": ["work", "family", "student", "work"],
    ...     "valid_from": ["2019-01-01", "2019-06-01", "2019-02-01", "2018-01-01"],
    ...     "valid_to": ["2020-12-31", "2020-05-31", None, "2019-06-30"],
    ...     "citizenship": ["UGA", "UGA", "RWA", "TZA"]})
    >>> v = valid_permits(rp, p, "2019-12-31")
    >>> v.documents, v.persons
    (3, 2)
    >>> v.table[["counterpart_area", "admission_category", "validity", "obs_value"]]
      counterpart_area admission_category validity  obs_value
    0              RWA                EDU   M_GE12        1.0
    1              UGA                FAM   M_GE12        1.0
    """
    check_date(on_date, "on_date")
    date = pd.Timestamp(on_date)
    columns = {
        "person_column": person_column,
        "reason_column": reason_column,
        "start_column": start_column,
        "end_column": end_column,
    }
    breakdowns = {
        "citizenship_column": citizenship_column,
        "sex_column": sex_column,
        "age_column": age_column,
    }
    if _engines.is_dask(permits):
        from migdata.sources import _microdata_dask

        return _microdata_dask.valid_permits(permits, profile, date, columns, breakdowns)
    check_frame(permits, "permits")
    usable, rejected, excluded, unmapped = _prepare(permits, **columns)
    valid, chosen = _valid_and_chosen(usable, date)
    table = _finish(
        _valid_cells(chosen, date, breakdowns),
        "RP_VALID",
        profile,
        _valid_provenance(profile, date, len(valid), len(chosen)),
    )
    usable["counted"] = usable.index.isin(chosen.index)
    return Permits(
        table=table,
        permits=usable.drop(columns=["_person", "_start", "_end"]).reset_index(drop=True),
        rejected=rejected,
        excluded=excluded,
        unmapped=unmapped,
        rows_in=len(permits),
        documents=len(valid),
        persons=len(chosen),
    )


def _valid_and_chosen(
    usable: pd.DataFrame, date: pd.Timestamp
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(permits valid on ``date``; one of them per person). Runs on whole persons."""
    valid = usable[(usable["_start"] <= date) & (usable["_end"].isna() | (usable["_end"] >= date))]
    # One row per person: the permit that started last, then the longest.
    chosen = valid.sort_values(
        ["_person", "_start", "validity_months"], kind="stable"
    ).drop_duplicates("_person", keep="last")
    return valid, chosen


def _valid_cells(
    chosen: pd.DataFrame, date: pd.Timestamp, breakdowns: dict[str, Any]
) -> pd.DataFrame:
    return _breakdowns(
        chosen,
        date.strftime("%Y-%m-%d"),
        breakdowns["citizenship_column"],
        breakdowns["sex_column"],
        breakdowns["age_column"],
    )


def _valid_provenance(
    profile: SourceProfile, date: pd.Timestamp, documents: int, persons: int
) -> str:
    return (
        f"{profile.source_id}: persons holding a valid permit on {date.date()} "
        f"({documents} documents, {persons} persons)"
    )
