"""Census and survey microdata: migrant stocks and recent immigrants.

Owns :func:`census_stocks`: the residence rule, survey weights, stocks by country of birth
and by citizenship (both, as UN 2021 asks), by period of arrival, and recent immigrants from
the residence one or five years before.
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from migdata._checks import check_frame, check_year, public
from migdata.countries import resolve
from migdata.errors import ConfigurationError, InputError
from migdata.harmonised import HARMONISED_COLUMNS
from migdata.sources import _engines, _parse
from migdata.sources.compliance import compliance
from migdata.sources.profile import SourceProfile

__all__ = ["Census", "census_stocks"]


@dataclass
class Census:
    """Result of :func:`census_stocks`.

    Attributes
    ----------
    stocks
        Harmonised STK rows by country of birth (``BIRTH``) and by citizenship
        (``CITIZENSHIP``), sex and age group; weighted.
    by_arrival
        Foreign-born residents by country of birth, period of arrival and sex.
    recent
        Recent immigrants (residence abroad one or five years before), by previous
        residence, sex and age group: columns ``window`` (1 or 5 years), ...
    immigrants
        Harmonised IMM rows of the one-year window (previous residence).
    rejected
        Rows that could not be used (bad weights, unreadable rule columns), with ``row`` and
        ``reason``.
    excluded
        Rows left out by the residence rule, with ``row`` and ``reason``.
    unresolved
        Country spellings that did not resolve (counted as unknown ``_U``): column, spelling,
        persons.
    rows_in
        Input rows: ``rows_in = counted + len(excluded) + len(rejected)``.
    counted
        Rows counted.
    """

    stocks: pd.DataFrame
    by_arrival: pd.DataFrame
    recent: pd.DataFrame
    immigrants: pd.DataFrame
    rejected: pd.DataFrame
    excluded: pd.DataFrame
    unresolved: pd.DataFrame
    rows_in: int
    counted: int
    cleaned: dict[str, int] = field(default_factory=dict)

    def __repr__(self) -> str:
        return (
            f"Census({self.rows_in:,} rows in: {len(self.stocks):,} stock rows, "
            f"{len(self.rejected):,} rejected, {len(self.excluded):,} excluded, "
            f"{len(self.unresolved):,} unresolved)"
        )

    def _repr_html_(self) -> str:
        birth = self.stocks[self.stocks["counterpart_type"] == "BIRTH"]
        ref = self.stocks["ref_area"].iloc[0] if len(self.stocks) else ""
        foreign_born = birth[
            (birth["counterpart_area"] != ref) & (birth["sex"] == "_T") & (birth["age"] == "_T")
        ]["obs_value"].sum()
        total = birth[(birth["sex"] == "_T") & (birth["age"] == "_T")]["obs_value"].sum()
        return (
            f"<div><b>Census/survey stocks of {html.escape(str(ref))}</b>: {self.counted} "
            f"persons counted, {len(self.excluded)} excluded by the residence rule, "
            f"{len(self.rejected)} rejected, of {self.rows_in} rows. Weighted population "
            f"{total:,.0f}, of whom foreign-born or birthplace not the reporting country "
            f"{foreign_born:,.0f}. Unresolved country spellings: {len(self.unresolved)}.</div>"
        )


def _countries(values: pd.Series) -> pd.Series:
    special = _parse.parse_area_words(values)
    text = values.astype("string").str.strip()
    resolved = pd.Series(resolve(text.where(special.isna())), index=values.index)
    return special.fillna(resolved.astype("string"))


@public
def census_stocks(
    microdata: pd.DataFrame,
    profile: SourceProfile,
    year: int,
    target: Any = "UN2021_12M",
    *,
    birth_column: str = "country_of_birth",
    citizenship_column: str = "citizenship",
    sex_column: str | None = "sex",
    age_column: str | None = "age",
    weight_column: str | None = None,
    arrival_column: str | None = None,
    months_present_column: str | None = None,
    intends_to_stay_column: str | None = None,
    residence_1y_column: str | None = None,
    residence_5y_column: str | None = None,
    rule_months: float | None = None,
) -> Census:
    """Migrant stocks and recent immigrants from census or survey microdata.

    Parameters
    ----------
    microdata
        One row per enumerated person: a pandas DataFrame, or a Dask DataFrame (each
        partition is read on the workers and only partial sums, rejected and excluded rows
        come back; the result is the pandas one).
    profile
        The census or survey profile (country, source id, residence rule).
    year
        Reference year of the census or survey.
    target
        Target definition recorded in the ``target`` and ``compliance`` columns.
    birth_column, citizenship_column
        Country of birth and country of citizenship (any spelling; unresolved spellings
        count as unknown ``_U`` and are listed in ``unresolved``).
    sex_column, age_column
        Sex labels and ages (exact years or group labels); None -> totals only.
    weight_column
        Survey weights (None: each row counts 1). Missing or negative weights are rejected.
    arrival_column
        Year of arrival in the country (foreign-born); gives ``by_arrival``.
    months_present_column, intends_to_stay_column
        Months present in the country and whether the person intends to stay (yes/no,
        oui/non, sim/não, or an intended number of months): a person present for less
        than the rule's months who does not intend to stay at least that long is not a
        usual resident and is excluded (listed in ``excluded``). Missing answers keep the
        person (the census counted them as resident).
    residence_1y_column, residence_5y_column
        Country of residence one and five years before (gives ``recent``).
    rule_months
        Residence rule in months (default: the profile's threshold, else 12).

    Returns
    -------
    Census

    Examples
    --------
    >>> p = SourceProfile(source_id="RWA-CEN-2022", country="RWA", source_type="census",
    ...                   threshold_months=6, threshold_basis="observed")
    >>> people = pd.DataFrame({
    ...     "country_of_birth": ["Rwanda", "Kenya", "Ouganda", "RWA"],
    ...     "citizenship": ["RWA", "KEN", "RWA", "RWA"],
    ...     "sex": ["F", "M", "homme", "F"], "age": [34, 27, 61, 3],
    ...     "weight": [100.0, 50.0, 25.0, 80.0],
    ...     "months_present": [400, 2, 30, 36], "intends_to_stay": ["yes", "no", None, "yes"]})
    >>> c = census_stocks(people, p, 2022, weight_column="weight",
    ...                   months_present_column="months_present",
    ...                   intends_to_stay_column="intends_to_stay")
    >>> s = c.stocks[(c.stocks.sex == "_T") & (c.stocks.age == "_T")]
    >>> print(s[["counterpart_type", "counterpart_area", "obs_value"]].to_string(index=False))
    counterpart_type counterpart_area  obs_value
               BIRTH              RWA      180.0
               BIRTH              UGA       25.0
               BIRTH               _T      205.0
         CITIZENSHIP              RWA      205.0
         CITIZENSHIP               _T      205.0
    >>> c.excluded["reason"].item()
    'excluded by the 6-month residence rule: present 2 months and not intending to stay'
    """
    year = check_year(year)
    rule = rule_months if rule_months is not None else profile.threshold_months
    rule = 12.0 if rule is None else float(rule)
    if rule < 0:
        raise ConfigurationError(f"expected a residence rule of 0 months or more, got {rule}")
    columns = {
        "birth_column": birth_column,
        "citizenship_column": citizenship_column,
        "sex_column": sex_column,
        "age_column": age_column,
        "weight_column": weight_column,
        "arrival_column": arrival_column,
        "months_present_column": months_present_column,
        "intends_to_stay_column": intends_to_stay_column,
        "residence_1y_column": residence_1y_column,
        "residence_5y_column": residence_5y_column,
    }
    if _engines.is_dask(microdata):
        from migdata.sources import _microdata_dask

        return _microdata_dask.census_stocks(microdata, profile, year, target, rule, columns)
    check_frame(microdata, "microdata")
    if not isinstance(microdata, pd.DataFrame):
        raise InputError(f"expected a pandas DataFrame, got {type(microdata).__name__}")
    source = microdata.reset_index(drop=True)
    records = _census_records(source, profile.country, year, rule, columns)
    return _census_result(
        _tabulation_inputs(records.people, profile.country),
        records,
        profile,
        year,
        target,
        rule,
        columns,
    )


@dataclass
class _CensusRecords:
    """Census records read: the persons counted and the rows left out, row by row."""

    people: pd.DataFrame  # birth, citizenship, sex, age, w [, period] [, prev1] [, prev5]
    rejected: pd.DataFrame
    excluded: pd.DataFrame
    unresolved: pd.DataFrame  # column, spelling, rows
    rows_in: int
    counted: int


def _census_records(
    source: pd.DataFrame, country: str, year: int, rule: float, columns: dict[str, Any]
) -> _CensusRecords:
    """The residence rule, weights and codes of every record (row-local: any split of the
    records into parts gives the same records)."""
    index = source.index
    birth_column = columns["birth_column"]
    citizenship_column = columns["citizenship_column"]
    weight_column = columns["weight_column"]
    months_present_column = columns["months_present_column"]
    intends_to_stay_column = columns["intends_to_stay_column"]
    sex_column = columns["sex_column"]

    birth_raw = _parse.required_column(source, birth_column, "country of birth")
    cit_raw = _parse.required_column(source, citizenship_column, "citizenship")
    birth = _countries(birth_raw)
    citizenship = _countries(cit_raw)
    unresolved = pd.concat(
        [
            pd.DataFrame({"column": birth_column, "spelling": birth_raw[birth.isna()]}),
            pd.DataFrame({"column": citizenship_column, "spelling": cit_raw[citizenship.isna()]}),
        ]
    )
    unresolved = unresolved[unresolved["spelling"].notna()]
    birth = birth.fillna("_U")
    citizenship = citizenship.fillna("_U")

    problems: dict[str, pd.Series] = {}
    if weight_column is not None:
        w_raw = _parse.required_column(source, weight_column, "survey weight")
        weight, bad_w, _ = _parse.parse_counts(w_raw)
        bad_w = bad_w | (weight < 0).fillna(False)
        problems["weight"] = (
            f"column '{weight_column}': expected a weight of 0 or more, got "
            + ("'" + w_raw.astype("string") + "'").fillna("nothing")
        ).where(bad_w, "")
    else:
        weight = pd.Series(1.0, index=index)

    stays = pd.Series(True, index=index)
    present = pd.Series(np.nan, index=index, dtype="float64")
    if months_present_column is not None:
        raw_present = _parse.required_column(source, months_present_column, "months present")
        present, bad_present = _parse.parse_duration(raw_present, "months")
        problems["present"] = (
            f"column '{months_present_column}': expected a number of months present, got "
            + ("'" + raw_present.astype("string") + "'")
        ).where(bad_present, "")
        intends = pd.Series(pd.NA, index=index, dtype="boolean")
        if intends_to_stay_column is not None:
            raw_int = _parse.required_column(source, intends_to_stay_column, "intention to stay")
            answer = raw_int.astype("string").str.strip().str.lower()
            yes = answer.isin(["yes", "y", "true", "1", "oui", "sim", "نعم"])
            no = answer.isin(["no", "n", "false", "0", "non", "não", "nao", "لا"])
            months_int, _ = _parse.parse_duration(raw_int.where(~(yes | no)), "months")
            intends = pd.Series(pd.NA, index=index, dtype="boolean")
            intends = intends.mask(yes, True).mask(no, False)
            intends = intends.mask(months_int.notna(), months_int >= rule)
            unreadable = raw_int.notna() & intends.isna()
            problems["intends"] = (
                f"column '{intends_to_stay_column}': expected yes/no or intended months, got "
                + ("'" + raw_int.astype("string") + "'")
            ).where(unreadable, "")
        short = (present < rule).fillna(False)
        stays = ~(short & (intends.fillna(False) == False))  # noqa: E712 (nullable boolean)
    why = _parse.combine_reasons(problems, index)
    ok = why == ""
    excluded_mask = ok & ~stays
    count = ok & stays

    excluded = _parse.rejected_frame(
        source,
        np.flatnonzero(excluded_mask.to_numpy()),
        f"excluded by the {rule:g}-month residence rule: present "
        + present[excluded_mask].round(1).astype("string").str.replace(r"\.0$", "", regex=True)
        + " months and not intending to stay",
    )
    rejected = _parse.rejected_frame(source, np.flatnonzero((~ok).to_numpy()), why[~ok])

    sex = _parse.sex_codes(source, sex_column)
    if sex_column is not None:
        # A person has no "total" sex: unreadable and total labels are unknown (_U).
        sex = sex.replace("_T", "_U")
    age = _parse.age_codes(source, columns["age_column"])
    people = pd.DataFrame(
        {"birth": birth, "citizenship": citizenship, "sex": sex, "age": age, "w": weight}
    )
    arrival_column = columns["arrival_column"]
    if arrival_column is not None:
        arr_raw = _parse.required_column(source, arrival_column, "year of arrival")
        arrival, _ = _parse.parse_year(arr_raw)
        k = (year - arrival) // 5
        label = ((year - 5 * k - 4).astype("string") + "-" + (year - 5 * k).astype("string")).where(
            arrival <= year, "after census date"
        )
        people["period"] = label.fillna("unknown")
    for window in (1, 5):
        column = columns[f"residence_{window}y_column"]
        if column is None:
            continue
        raw_prev = _parse.required_column(source, column, f"residence {window} year(s) before")
        people[f"prev{window}"] = _countries(raw_prev).fillna("_U")
    return _CensusRecords(
        people=people[count.to_numpy()],
        rejected=rejected,
        excluded=excluded,
        unresolved=unresolved.groupby(["column", "spelling"]).size().rename("rows").reset_index(),
        rows_in=len(source),
        counted=int(count.sum()),
    )


def _tabulation_inputs(people: pd.DataFrame, country: str) -> dict[str, pd.DataFrame]:
    """The weighted persons behind each table (columns: the table's keys and ``w``).

    Each table only sums ``w`` by its keys, so the same inputs aggregated by part
    (:mod:`~migdata.sources._microdata_dask`) give the same tables.
    """
    out = {
        "birth": people[["birth", "sex", "age", "w"]],
        "citizenship": people[["citizenship", "sex", "age", "w"]],
    }
    if "period" in people.columns:
        arrivals = people[people["birth"] != country]
        out["arrival"] = arrivals[["birth", "period", "sex", "w"]]
    for window in (1, 5):
        if f"prev{window}" not in people.columns:
            continue
        movers = people[["sex", "age", "w"]].assign(prev=people[f"prev{window}"])
        movers = movers[(movers["prev"] != country) & (movers["prev"] != "_U")]
        out[f"prev{window}"] = movers[["prev", "sex", "age", "w"]]
    return out


def _census_result(
    inputs: dict[str, pd.DataFrame],
    records: _CensusRecords,
    profile: SourceProfile,
    year: int,
    target: Any,
    rule: float,
    columns: dict[str, Any],
) -> Census:
    """The tables of :class:`Census` from the weighted persons (or their partial sums)."""
    comp = compliance(
        profile.replace(threshold_months=rule, threshold_nationals=None, threshold_foreigners=None),
        target,
        "STK",
    )
    frames = [
        _tabulate(inputs["birth"], "birth", "BIRTH"),
        _tabulate(inputs["citizenship"], "citizenship", "CITIZENSHIP"),
    ]
    stocks = _harmonised(pd.concat(frames), "STK", profile, year, comp.target, comp.cls.value)
    stocks["provenance"] = (
        f"{profile.source_id}: weighted count of usual residents ({rule:g}-month rule) at the "
        f"census date of {year}"
    )

    by_arrival = pd.DataFrame(columns=["counterpart_area", "arrival_period", "sex", "obs_value"])
    if "arrival" in inputs:
        by_arrival = (
            inputs["arrival"]
            .groupby(["birth", "period", "sex"], observed=True)["w"]
            .sum()
            .reset_index()
            .rename(
                columns={"birth": "counterpart_area", "period": "arrival_period", "w": "obs_value"}
            )
        )

    recent_frames = [
        _tabulate(inputs[f"prev{window}"], "prev", "PREV_RES").assign(window=window)
        for window in (1, 5)
        if f"prev{window}" in inputs
    ]
    recent = (
        pd.concat(recent_frames, ignore_index=True)
        if recent_frames
        else pd.DataFrame(
            columns=["counterpart_area", "counterpart_type", "sex", "age", "obs_value", "window"]
        )
    )
    immigrants = (
        _harmonised(
            recent[recent["window"] == 1].drop(columns="window"),
            "IMM",
            profile,
            year,
            comp.target,
            compliance(profile.replace(threshold_months=rule), target, "IMM").cls.value,
        )
        if columns["residence_1y_column"] is not None
        else pd.DataFrame({c: pd.Series(dtype=t) for c, t in HARMONISED_COLUMNS.items()})
    )
    if len(immigrants):
        immigrants["provenance"] = (
            f"{profile.source_id}: residents of {year} whose residence one year before was "
            "abroad (survivors only: emigrants and deaths since are missing)"
        )
    return Census(
        stocks=stocks,
        by_arrival=by_arrival,
        recent=recent,
        immigrants=immigrants,
        rejected=records.rejected,
        excluded=records.excluded,
        unresolved=records.unresolved,
        rows_in=records.rows_in,
        counted=records.counted,
    )


def _tabulate(people: pd.DataFrame, column: str, ctype: str) -> pd.DataFrame:
    """Weighted counts by (country, sex, age) with every margin (_T) added once."""
    base = people.rename(columns={column: "counterpart_area"})[
        ["counterpart_area", "sex", "age", "w"]
    ]
    # A breakdown that is already a total (no sex or age column) gets no second margin.
    sexes = (False,) if base["sex"].eq("_T").all() else (False, True)
    ages = (False,) if base["age"].eq("_T").all() else (False, True)
    parts = [
        base.assign(
            counterpart_area="_T" if c else base["counterpart_area"],
            sex="_T" if s else base["sex"],
            age="_T" if a else base["age"],
        )
        for c in (False, True)
        for s in sexes
        for a in ages
    ]
    out = (
        pd.concat(parts, ignore_index=True)
        .groupby(["counterpart_area", "sex", "age"], observed=True)["w"]
        .sum()
        .reset_index()
    )
    return out.rename(columns={"w": "obs_value"}).assign(counterpart_type=ctype)


def _harmonised(
    counts: pd.DataFrame, measure: str, profile: SourceProfile, year: int, target: str, cls: str
) -> pd.DataFrame:
    out = counts.copy()
    out["measure"] = measure
    out["ref_area"] = profile.country
    out["time_period"] = str(year)
    out["reported_value"] = out["obs_value"].astype("float64")
    out["adjustment"] = 1.0
    out["target"] = target
    out["compliance"] = cls
    out["source_id"] = profile.source_id
    out["obs_status"] = "A"
    out["provenance"] = ""
    out = out[list(HARMONISED_COLUMNS)].astype(HARMONISED_COLUMNS)
    return out.sort_values(
        ["counterpart_type", "counterpart_area", "sex", "age"], kind="stable"
    ).reset_index(drop=True)
