"""Population and foreigners' registers: events to immigration and emigration flows.

Owns :func:`register_flows`: registrations and deregistrations with a declared or observed
duration become flows under a duration threshold, then are classified and corrected
against the target like any other source.
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from migdata._checks import check_date, check_frame, public
from migdata.errors import ConfigurationError, InputError
from migdata.harmonised import HARMONISED_COLUMNS
from migdata.sources import _engines, _parse
from migdata.sources.compliance import _CLASS_NEEDS_CORRECTION, compliance, target_facts
from migdata.sources.duration import correct_duration
from migdata.sources.profile import SourceProfile

__all__ = ["RegisterFlows", "register_flows"]

_DAYS_PER_MONTH = 365.0 / 12.0


@dataclass
class RegisterFlows:
    """Result of :func:`register_flows`.

    Attributes
    ----------
    table
        Harmonised IMM (registrations) and EMI (deregistrations) rows.
    events
        The usable events with ``flow``, ``months`` (declared or observed stay/absence),
        ``outcome`` (counted / too_short / unknown) and ``year``.
    rejected
        Events that could not be used, with ``row`` and ``reason``.
    rows_in
        Input rows (= ``len(events) + len(rejected)``).
    threshold_months
        The threshold the events were counted under.
    """

    table: pd.DataFrame
    events: pd.DataFrame
    rejected: pd.DataFrame
    rows_in: int
    threshold_months: float

    def __repr__(self) -> str:
        return (
            f"RegisterFlows({self.rows_in:,} rows in: {len(self.table):,} flow rows from "
            f"{len(self.events):,} events, {len(self.rejected):,} rejected; "
            f"threshold {self.threshold_months:g} months)"
        )

    def _repr_html_(self) -> str:
        counts = self.events.groupby(["flow", "outcome"]).size()
        rows = "".join(
            f"<tr><td>{f}</td><td>{o}</td><td style='text-align:right'>{n:,}</td></tr>"
            for (f, o), n in counts.items()
        )
        return (
            f"<div><b>Register flows</b> under a {self.threshold_months:g}-month threshold: "
            f"{len(self.events)} events used, {len(self.rejected)} rejected of "
            f"{self.rows_in}.<table><tr><th>flow</th><th>outcome</th><th>events</th></tr>"
            f"{rows}</table>{html.escape(' ')}</div>"
        )


@public
def register_flows(
    events: pd.DataFrame,
    profile: SourceProfile,
    target: Any = "UN1998",
    *,
    person_column: str = "person_id",
    event_column: str = "event",
    date_column: str = "date",
    duration_column: str | None = None,
    counterpart_column: str | None = None,
    counterpart_type: str = "CITIZENSHIP",
    sex_column: str | None = None,
    age_column: str | None = None,
    threshold_months: float | None = None,
    obs_end: Any = None,
    correct: bool = True,
    duration_table: str = "imem",
) -> RegisterFlows:
    """Immigration and emigration flows from register events.

    Parameters
    ----------
    events
        One row per event: person, event type (registration / deregistration in
        en/fr/pt/ar), date; other columns carried through. A Dask DataFrame runs on the
        workers (events shuffled by person): the result's ``events`` is then a lazy Dask
        DataFrame with the input ``row`` (``result.to_pandas()`` gathers it), the rest is
        the pandas result.
    profile
        The register's profile (country, source id, threshold).
    target
        Target definition of the ``compliance`` column and the duration correction.
    person_column, event_column, date_column
        Input columns.
    duration_column
        Declared duration of stay (registrations) or absence (deregistrations), numbers in
        months or text ("1 an", "permanent"). Without it the duration is observed: the time
        to the person's next deregistration (for a registration) or next registration (for
        a deregistration), or to ``obs_end`` when there is none.
    counterpart_column
        Citizenship, or previous/next residence (say which with ``counterpart_type``);
        None -> ``_T``. Unresolved spellings become ``_U``.
    sex_column, age_column
        Sex labels and ages; None -> totals.
    threshold_months
        Count an event as a flow when its duration reaches this (default: the profile's
        threshold; 0 counts every event).
    obs_end
        First day not covered by the data (default: the day after the last event). Events
        after it are rejected as future dates.
    correct
        Apply the duration correction when the class against the target calls for it.
    duration_table
        Factor table of the duration correction.

    Returns
    -------
    RegisterFlows

    Notes
    -----
    The threshold's basis is ``intended`` with a declared duration and ``observed``
    otherwise; compliance is computed on that basis. An observed duration cut by the end
    of the data before reaching the threshold is ``unknown``: the event is not counted and
    its cell gets ``obs_status`` P (provisional). Exact duplicate events (same person, type
    and date) are rejected as duplicates of the first.

    Examples
    --------
    >>> p = SourceProfile(source_id="SWE-REG", country="SWE",
    ...                   source_type="population_register", threshold_months=12,
    ...                   threshold_basis="registration_rule")
    >>> ev = pd.DataFrame({
    ...     "person_id": [1, 1, 2, 3, 3, None],
    ...     "event": ["registration", "deregistration", "inscription", "in", "in", "in"],
    ...     "date": ["2015-01-10", "2015-05-01", "2015-03-01", "2015-02-01", "2015-02-01",
    ...              "2015-01-01"],
    ...     "citizenship": ["NOR", "NOR", "Finlande", "DNK", "DNK", "DNK"]})
    >>> r = register_flows(ev, p, counterpart_column="citizenship", obs_end="2017-01-01")
    >>> r.events[["flow", "outcome"]].to_dict("list")  # doctest: +NORMALIZE_WHITESPACE
    {'flow': ['IMM', 'EMI', 'IMM', 'IMM'],
     'outcome': ['too_short', 'counted', 'counted', 'counted']}
    >>> r.table[["measure", "counterpart_area", "obs_value", "compliance"]].to_dict("list")
    ... # doctest: +NORMALIZE_WHITESPACE
    {'measure': ['EMI', 'IMM', 'IMM'], 'counterpart_area': ['NOR', 'DNK', 'FIN'],
     'obs_value': [1.0, 1.0, 1.0], 'compliance': ['MATCH', 'MATCH', 'MATCH']}
    >>> r.rejected["reason"].tolist()  # doctest: +NORMALIZE_WHITESPACE
    ['duplicate of row 3 (same person, event and date)',
     "column 'person_id': expected a person identifier, got nothing"]
    """
    check_date(obs_end, "obs_end")
    if counterpart_type not in ("CITIZENSHIP", "PREV_RES", "NEXT_RES", "BIRTH"):
        raise ConfigurationError(
            f"unknown counterpart type {counterpart_type!r}; expected CITIZENSHIP, BIRTH, "
            "PREV_RES or NEXT_RES"
        )
    threshold = profile.threshold_months if threshold_months is None else float(threshold_months)
    if threshold is None:
        raise ConfigurationError(
            f"profile {profile.source_id!r} has no duration threshold: pass threshold_months"
        )
    columns = {
        "person_column": person_column,
        "event_column": event_column,
        "date_column": date_column,
        "duration_column": duration_column,
        "counterpart_column": counterpart_column,
        "sex_column": sex_column,
        "age_column": age_column,
    }
    options = {
        "target": target,
        "counterpart_type": counterpart_type,
        "threshold": threshold,
        "correct": correct,
        "duration_table": duration_table,
    }
    if _engines.is_dask(events):
        from migdata.sources import _microdata_dask

        return _microdata_dask.register_flows(events, profile, obs_end, columns, options)
    check_frame(events, "events")
    if not isinstance(events, pd.DataFrame):
        raise InputError(f"expected a pandas DataFrame of events, got {type(events).__name__}")
    source = events.reset_index(drop=True)
    _required_columns(source, columns)
    end = _observation_end(obs_end, _event_dates(source, date_column).max())
    used, rejected = _register_events(source, end, threshold, columns)
    cells, pending = _register_cells(used, columns)
    return RegisterFlows(
        table=_register_table(cells, pending, profile, columns, options),
        events=used.drop(columns=["_date", "_person"]).reset_index(drop=True),
        rejected=rejected,
        rows_in=len(source),
        threshold_months=threshold,
    )


_COLUMN_MEANINGS = {
    "person_column": "person identifier",
    "event_column": "event type",
    "date_column": "event date",
    "duration_column": "declared duration",
    "counterpart_column": "counterpart",
    "sex_column": "sex",
    "age_column": "age",
}


def _required_columns(source: pd.DataFrame, columns: dict[str, Any]) -> None:
    """Raise :class:`InputError` naming the first column asked for that is missing."""
    for key, what in _COLUMN_MEANINGS.items():
        if columns[key] is not None:
            _parse.required_column(source, columns[key], what)


def _event_dates(source: pd.DataFrame, date_column: str) -> pd.Series:
    return pd.to_datetime(source[date_column], errors="coerce", format="mixed")


def _observation_end(obs_end: Any, last: Any) -> pd.Timestamp:
    """``obs_end``, else the day after the last readable event date (of the whole data)."""
    if obs_end is not None:
        return pd.Timestamp(obs_end)
    return last + pd.Timedelta(days=1) if pd.notna(last) else pd.Timestamp.now()


def _register_events(
    source: pd.DataFrame, end: pd.Timestamp, threshold: float, columns: dict[str, Any]
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(usable events with flow, months, outcome and year; rejected rows).

    Runs on whole persons: ``source`` holds every event of its persons, its index the
    events' input positions (the ``row`` of the rejected rows and duplicates).
    """
    person_column = columns["person_column"]
    event_column = columns["event_column"]
    date_column = columns["date_column"]
    duration_column = columns["duration_column"]
    index = source.index
    person = _parse.required_column(source, person_column, "person identifier")
    kind, bad_kind = _parse.parse_code(
        _parse.required_column(source, event_column, "event type"), "register_event"
    )
    bad_kind = bad_kind | kind.isna()
    raw_date = _parse.required_column(source, date_column, "event date")
    date = _event_dates(source, date_column)

    def shown(raw: pd.Series) -> pd.Series:
        return ("'" + raw.astype("string") + "'").fillna("nothing")

    problems = {
        "person": (
            f"column '{person_column}': expected a person identifier, got " + shown(person)
        ).where(person.isna(), ""),
        "event": (
            f"column '{event_column}': expected registration or deregistration, got "
            + shown(source[event_column])
        ).where(bad_kind, ""),
        "date": (
            f"column '{date_column}': expected a date such as 2015-03-01, got " + shown(raw_date)
        ).where(date.isna(), ""),
        "future": (
            f"column '{date_column}': a date on or after the end of the data "
            f"({end.date()}), got " + shown(raw_date)
        ).where((date >= end).fillna(False), ""),
    }
    declared = None
    if duration_column is not None:
        raw_duration = _parse.required_column(source, duration_column, "declared duration")
        declared, bad_duration = _parse.parse_duration(raw_duration)
        problems["duration"] = (
            f"column '{duration_column}': expected a duration such as 12, '1 an' or "
            "'permanent', got " + shown(raw_duration)
        ).where(bad_duration | declared.isna(), "")
    why = _parse.combine_reasons(problems, index)
    ok = why == ""
    # Exact duplicates among otherwise usable events: keep the first, reject the rest.
    key = pd.DataFrame({"p": person.astype("string"), "k": kind, "d": date})
    dup = ok & key.where(ok).duplicated(keep="first") & ok
    first = key[ok].rename_axis("index").reset_index().groupby(["p", "k", "d"])["index"]
    first_row = pd.Series(first.transform("min").to_numpy(), index=key[ok].index).reindex(index)
    why = why.where(
        ~dup,
        "duplicate of row "
        + first_row.astype("Int64").astype("string")
        + " (same person, event and date)",
    )
    ok = why == ""
    bad = np.flatnonzero((~ok).to_numpy())
    rejected = _parse.rejected_frame(source, bad, why[~ok])
    rejected["row"] = pd.array(index.to_numpy()[bad], dtype="Int64")

    used = source[ok.to_numpy()].copy()
    used["flow"] = kind[ok].map({"registration": "IMM", "deregistration": "EMI"}).to_numpy()
    used["_date"] = date[ok].to_numpy()
    used["_person"] = person[ok].astype("string").to_numpy()
    used = used.sort_values(["_person", "_date"], kind="stable")
    if declared is not None:
        months = declared[used.index]
        unknown = pd.Series(False, index=used.index)
    else:
        # Observed: days to the person's next event of the opposite type, else to obs_end.
        nxt = {}
        for flow, other in (("IMM", "EMI"), ("EMI", "IMM")):
            other_date = used["_date"].where(used["flow"] == other)
            nxt[flow] = other_date.groupby(used["_person"]).shift(-1)
            nxt[flow] = nxt[flow].groupby(used["_person"]).bfill()
        next_date = nxt["IMM"].where(used["flow"] == "IMM", nxt["EMI"])
        stop = next_date.fillna(end)
        months = (stop - used["_date"]).dt.days / _DAYS_PER_MONTH
        unknown = next_date.isna() & (months < threshold)
    used["months"] = months.to_numpy()
    outcome = np.where(unknown, "unknown", np.where(months >= threshold, "counted", "too_short"))
    used["outcome"] = outcome
    used["year"] = used["_date"].dt.year.astype("Int64")
    return used.sort_index(), rejected


_CELL_KEYS = ["measure", "counterpart_area", "sex", "age", "time_period"]


def _register_cells(
    used: pd.DataFrame, columns: dict[str, Any]
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(counted events per cell in ``obs_value``; the flows and years with unknown outcomes)."""
    counted = used[used["outcome"] == "counted"]
    cells = pd.DataFrame(
        {
            "measure": counted["flow"].astype("string"),
            "counterpart_area": _parse.counterpart_codes(
                counted, columns["counterpart_column"], "counterpart"
            ),
            "sex": _parse.sex_codes(counted, columns["sex_column"]),
            "age": _parse.age_codes(counted, columns["age_column"]),
            "time_period": counted["year"].astype("string"),
        }
    )
    table = cells.groupby(_CELL_KEYS, observed=True).size().rename("obs_value").reset_index()
    pending = used.loc[used["outcome"] == "unknown", ["flow", "year"]].drop_duplicates()
    return table, pending


def _register_table(
    table: pd.DataFrame,
    pending: pd.DataFrame,
    profile: SourceProfile,
    columns: dict[str, Any],
    options: dict[str, Any],
) -> pd.DataFrame:
    """The harmonised flows from the counts per cell (of all events, or summed by part)."""
    target, threshold = options["target"], options["threshold"]
    basis = "intended" if columns["duration_column"] is not None else "observed"
    table = table.copy()
    table["obs_value"] = table["obs_value"].astype("float64")
    # Cells of years with unknown outcomes are provisional.
    pending_keys = set(pending["flow"] + ":" + pending["year"].astype("string"))
    provisional = (table["measure"] + ":" + table["time_period"]).isin(pending_keys)

    effective = profile.replace(
        threshold_months=threshold,
        threshold_nationals=None,
        threshold_foreigners=None,
        threshold_basis=basis,
    )
    classes = {m: compliance(effective, target, m) for m in ("IMM", "EMI")}
    table["ref_area"] = profile.country
    table["counterpart_type"] = (
        options["counterpart_type"] if columns["counterpart_column"] is not None else "NONE"
    )
    table["reported_value"] = table["obs_value"]
    table["adjustment"] = 1.0
    table["target"] = target_facts(target).name
    table["compliance"] = table["measure"].map({m: c.cls.value for m, c in classes.items()})
    table["source_id"] = profile.source_id
    table["obs_status"] = np.where(provisional, "P", "A")
    table["provenance"] = (
        f"{profile.source_id}: register events with {basis} durations of {threshold:g} months "
        "or more"
    )
    table = table[list(HARMONISED_COLUMNS)].astype(HARMONISED_COLUMNS)
    if options["correct"] and len(table):
        fix = table["compliance"].isin(_CLASS_NEEDS_CORRECTION).to_numpy()
        if fix.any():
            done = correct_duration(
                table[fix],
                threshold,
                table_name=options["duration_table"],
                target_months=target_facts(target).threshold_months,
            )
            cols = ["obs_value", "adjustment", "provenance", "obs_status"]
            status = done["obs_status"].where(table.loc[fix, "obs_status"] != "P", "P")
            table.loc[fix, cols] = done[cols].assign(obs_status=status)
    return table.reset_index(drop=True)
