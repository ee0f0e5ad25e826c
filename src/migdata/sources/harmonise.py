"""Aggregate harmonisation: a national table of counts into the harmonised table.

Owns :func:`harmonise`: input validation (pandera, every problem collected), label mapping
(sex, age, countries), rejects with reasons, compliance and duration correction per row.
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import pandera.pandas as pa
from pandera.errors import SchemaErrors

from migdata._checks import check_frame, public
from migdata.countries import resolve
from migdata.errors import ConfigurationError, InputError, ValidationError
from migdata.harmonised import (
    AGE_PATTERN,
    COUNTERPART_TYPES,
    HARMONISED_COLUMNS,
    SEXES,
    harmonised_schema,
)
from migdata.sources import _parse
from migdata.sources.catalogue import source_type
from migdata.sources.compliance import Compliance, ComplianceClass, compliance
from migdata.sources.duration import correct_duration
from migdata.sources.profile import SourceProfile

__all__ = ["Harmonised", "harmonise", "input_schema"]

_CORRECTABLE = (
    ComplianceClass.APPROXIMATE,
    ComplianceClass.OVER_INCLUSIVE,
    ComplianceClass.UNDER_INCLUSIVE,
)


@dataclass
class Harmonised:
    """Result of :func:`harmonise`.

    Attributes
    ----------
    table
        The harmonised table (columns of :data:`migdata.harmonised.HARMONISED_COLUMNS`),
        validated with :func:`migdata.harmonised.harmonised_schema`.
    rejected
        Input rows that could not be used, with ``row`` (position in the input) and
        ``reason``.
    compliance
        Compliance of the source with the target for this measure.
    rows_in
        Number of input rows (= ``len(table) + len(rejected)``).
    cleaned
        Cells read after cleaning, by kind (e.g. ``{"value": 3}`` for '1 234').
    """

    table: pd.DataFrame
    rejected: pd.DataFrame
    compliance: Compliance
    rows_in: int
    cleaned: dict[str, int] = field(default_factory=dict)

    def __repr__(self) -> str:
        return (
            f"Harmonised({len(self.table):,} rows used, {len(self.rejected):,} rejected of "
            f"{self.rows_in:,}; {self.compliance.cls.value})"
        )

    def _repr_html_(self) -> str:
        t = self.table
        adjusted = int((t["adjustment"] != 1.0).sum()) if len(t) else 0
        reasons = (
            self.rejected["reason"]
            .str.split("; ")
            .explode()
            .str.replace(r" got .*$", "", regex=True)
            if len(self.rejected)
            else pd.Series(dtype="string")
        )
        top = reasons.value_counts().head(5)
        rej = (
            "".join(f"<li>{html.escape(str(k))} ({v})</li>" for k, v in top.items())
            or "<li>none</li>"
        )
        reported = t["reported_value"].sum() if len(t) else 0.0
        harmonised = t["obs_value"].sum() if len(t) else 0.0
        return (
            f"<div><b>Harmonised {html.escape(self.compliance.source_id)} → "
            f"{html.escape(self.compliance.target)}</b>: {len(t)} rows used, "
            f"{len(self.rejected)} rejected of {self.rows_in}; class "
            f"<b>{self.compliance.cls.value}</b>, {adjusted} rows adjusted; total reported "
            f"{reported:,.0f}, harmonised {harmonised:,.0f}."
            f"<br><i>{html.escape(self.compliance.reason)}</i>"
            f"<br>Rejections:<ul>{rej}</ul></div>"
        )


def input_schema() -> pa.DataFrameSchema:
    """Pandera schema of a national table after its labels are read (see :func:`harmonise`).

    Columns ``year`` (Int64 1900-2100), ``counterpart`` (alpha-3 or special code), ``sex``,
    ``age`` (SDMX band) and ``value`` (count >= 0), none missing.

    Examples
    --------
    >>> sorted(input_schema().columns)
    ['age', 'counterpart', 'sex', 'value', 'year']
    """
    return pa.DataFrameSchema(
        {
            "year": pa.Column("Int64", pa.Check.in_range(1900, 2100)),
            "counterpart": pa.Column("string", pa.Check.str_matches(r"^([A-Z]{3}|_[TUOZ])$")),
            "sex": pa.Column("string", pa.Check.isin(list(SEXES))),
            "age": pa.Column("string", pa.Check.str_matches(AGE_PATTERN)),
            "value": pa.Column("float64", pa.Check.ge(0)),
        },
        strict=False,
    )


def _column(
    table: pd.DataFrame, name: str | None, default: str, what: str, required: bool
) -> pd.Series | None:
    """The input column for ``what``; None means use the total code."""
    if name is None:
        if required:
            raise ConfigurationError(f"a column holding the {what} is required")
        return None
    if name == default and not required and name not in table.columns:
        return None  # optional breakdown absent from the table: the rows are totals
    return _parse.required_column(table, name, what)


def _quoted(raw: pd.Series) -> pd.Series:
    text = raw.astype("string")
    return ("'" + text + "'").fillna("nothing")


def _default_measure(profile: SourceProfile) -> str:
    flows = [m for m in profile.measures if m in ("IMM", "EMI", "STK", "NAB")]
    if len(flows) == 1:
        return flows[0]
    raise ConfigurationError(
        f"profile {profile.source_id!r} lists measures {profile.measures or 'none'}; "
        "say which one the table holds with measure='IMM' (or EMI, STK, NAB)"
    )


@public
def harmonise(
    table: pd.DataFrame,
    profile: SourceProfile,
    target: Any,
    *,
    measure: str | None = None,
    counterpart_type: str | None = None,
    year_column: str = "year",
    country_column: str | None = "country",
    sex_column: str | None = "sex",
    age_column: str | None = "age",
    value_column: str = "value",
    correct: bool = True,
    duration_table: str = "imem",
    country_kind: str = "name",
) -> Harmonised:
    """Harmonise a national table of counts to a target definition.

    Parameters
    ----------
    table
        One row per cell: year, partner country (any spelling: codes, names in
        en/fr/pt/ar, 'total', 'other', 'unknown'), sex (M/F/male/female/homme/femme/total/...),
        age group ('15-19', '65+', 'under 15', 'total', SDMX bands) and the count.
    profile
        Facts about the source; ``profile.country`` becomes ``ref_area``.
    target
        ``"UN1998"``, ``"UN2021_12M"``, ``"UN2021_6M1D"`` or ``"EU862"``.
    measure
        IMM, EMI, STK or NAB; by default the profile's only one of these.
    counterpart_type
        What the partner country is: CITIZENSHIP (default), BIRTH, PREV_RES, NEXT_RES,
        RESIDENCE (default for NAB).
    year_column, country_column, sex_column, age_column, value_column
        Input column names. ``country_column=None`` means national totals (``_T``); a
        missing ``sex``/``age`` column (default names) means totals (``_T``).
    correct
        Apply the duration correction (see Notes).
    duration_table
        Factor table of :func:`migdata.sources.duration.duration_factor`.
    country_kind
        What the country column holds: ``"name"`` (country names or codes, the default) or
        ``"nationality"`` (citizenship written as a nationality word: "Rwandaise",
        "Kenyan", "مصري"; see :func:`migdata.countries.resolve`).

    Returns
    -------
    Harmonised
        ``.table`` (harmonised, validated), ``.rejected`` (input rows with ``row`` and
        ``reason``), ``.compliance``; rows in = ``len(table) + len(rejected)``.

    Raises
    ------
    InputError
        A required column is missing.
    ConfigurationError
        Unknown target, measure or counterpart type.

    Notes
    -----
    Rejected, with a reason naming the column and the value: unreadable or missing years,
    counts that are not numbers or are negative, sex and age labels that cannot be read,
    partner countries that do not resolve, years outside the profile's validity, a
    previous or next residence equal to the reporting country, and duplicated cells (exact
    copies after the first; every row of a key given with different values). Text counts
    with thousands separators ('1 234', '12,500') are read and counted in ``cleaned``.

    The duration correction R(T)/R(T*) (T the source threshold, T* the target's) is
    applied when the class is APPROXIMATE, OVER_INCLUSIVE or UNDER_INCLUSIVE and the
    threshold is known; MATCH and PROXY rows keep adjustment 1 (a proxy's bias is not a
    duration bias), UNDETERMINED rows are left uncorrected. When nationals and foreigners
    have different thresholds and the partner is the citizenship, rows of the reporting
    country's citizens use the nationals' threshold and class, other countries the
    foreigners'; totals, unknown and other use the worse of the two.

    Examples
    --------
    >>> rwa = SourceProfile(source_id="RWA-REG", country="RWA",
    ...                     source_type="population_register", measures=["IMM"],
    ...                     threshold_months=6, threshold_basis="registration_rule")
    >>> raw = pd.DataFrame({
    ...     "year": [2015, 2015, 2015, "2015"],
    ...     "country": ["Ouganda", "Kenya", "Atlantis", "COD"],
    ...     "sex": ["Femme", "M", "F", "total"],
    ...     "age": ["15-19", "65+", "total", "total"],
    ...     "value": ["1 000", 200, 5, -3]})
    >>> h = harmonise(raw, rwa, "UN1998")
    >>> h.table[["counterpart_area", "sex", "age", "reported_value", "obs_value"]]
      counterpart_area sex     age  reported_value  obs_value
    0              KEN   M  Y_GE65           200.0      146.0
    1              UGA   F  Y15T19          1000.0      730.0
    >>> h.rejected[["row", "reason"]].to_dict("list")  # doctest: +NORMALIZE_WHITESPACE
    {'row': [2, 3], 'reason': ["column 'country': expected a country name or code,
    got 'Atlantis'", "column 'value': expected a count of 0 or more, got '-3'"]}
    >>> h.compliance.cls.value, h.rows_in
    ('APPROXIMATE', 4)
    """
    check_frame(table, "table")
    if not isinstance(table, pd.DataFrame):
        raise InputError(f"expected a pandas DataFrame, got {type(table).__name__}")
    measure = _default_measure(profile) if measure is None else str(measure).strip().upper()
    if measure not in ("IMM", "EMI", "STK", "NAB"):
        raise ConfigurationError(
            f"harmonise handles the measures IMM, EMI, STK and NAB, got {measure!r}"
        )
    ctype = (
        ("RESIDENCE" if measure == "NAB" else "CITIZENSHIP")
        if counterpart_type is None
        else str(counterpart_type).strip().upper()
    )
    if ctype not in COUNTERPART_TYPES:
        raise ConfigurationError(
            f"unknown counterpart type {counterpart_type!r}; expected one of "
            f"{', '.join(COUNTERPART_TYPES)}"
        )
    if country_kind not in ("name", "nationality"):
        raise ConfigurationError(
            f"country_kind={country_kind!r}: expected 'name' (country names or codes) or "
            "'nationality' (nationality words such as 'Rwandaise')"
        )
    comp = compliance(profile, target, measure)
    rows_in = len(table)
    source = table.reset_index(drop=True)
    index = source.index

    years_raw = _column(source, year_column, "year", "reference year", True)
    values_raw = _column(source, value_column, "value", "counts", True)
    country_raw = (
        None if country_column is None else _column(source, country_column, "", "country", True)
    )
    sex_raw = _column(source, sex_column, "sex", "sex", False)
    age_raw = _column(source, age_column, "age", "age group", False)
    assert years_raw is not None and values_raw is not None  # required columns

    years, _ = _parse.parse_year(years_raw)
    values, _, cleaned_values = _parse.parse_counts(values_raw)
    if sex_raw is None:
        sex = pd.Series("_T", index=index, dtype="string")
    else:
        sex, _ = _parse.parse_sex(sex_raw)
    if age_raw is None:
        age = pd.Series("_T", index=index, dtype="string")
    else:
        age, _ = _parse.parse_age(age_raw)
    if country_raw is None:
        counterpart = pd.Series("_T", index=index, dtype="string")
    else:
        special = _parse.parse_area_words(country_raw)
        text = country_raw.astype("string").str.strip()
        resolved = pd.Series(
            resolve(text.where(special.isna()), kind=country_kind), index=index
        ).astype("string")
        counterpart = special.fillna(resolved)

    work = pd.DataFrame(
        {"year": years, "counterpart": counterpart, "sex": sex, "age": age, "value": values},
        index=index,
    )
    problems = _schema_problems(
        work,
        {
            "year": (year_column, years_raw),
            "counterpart": (country_column or "", country_raw),
            "sex": (sex_column or "", sex_raw),
            "age": (age_column or "", age_raw),
            "value": (value_column, values_raw),
        },
    )
    ok = problems == ""
    if profile.valid_from is not None or profile.valid_to is not None:
        lo = profile.valid_from if profile.valid_from is not None else 0
        hi = profile.valid_to if profile.valid_to is not None else 9999
        outside = ok & ((work["year"] < lo) | (work["year"] > hi)).fillna(False)
        problems = problems.where(
            ~outside,
            f"column '{year_column}': the profile of {profile.source_id} describes "
            f"{profile.valid_from or '…'}-{profile.valid_to or '…'}, got "
            + work["year"].astype("string"),
        )
    if ctype in ("PREV_RES", "NEXT_RES"):
        own = (work["counterpart"] == profile.country).fillna(False)
        problems = problems.where(
            ~own,
            f"column '{country_column}': a {COUNTERPART_TYPES[ctype]} equal to the reporting "
            f"country ({profile.country}) is not a migration",
        )
    problems = problems.where(problems != "", _duplicates(work, problems == ""))
    ok = problems == ""

    used = work[ok.to_numpy()]
    rejected = _parse.rejected_frame(source, np.flatnonzero(~ok.to_numpy()), problems[~ok])
    out = _build(used, profile, comp, measure, ctype, correct, duration_table)
    cleaned = {"value": int((cleaned_values & ok).sum())}
    return Harmonised(out, rejected, comp, rows_in, {k: v for k, v in cleaned.items() if v})


def _schema_problems(work: pd.DataFrame, raw: dict[str, tuple[str, pd.Series | None]]) -> pd.Series:
    """Run the input schema lazily and turn every failure into a reason per row."""
    index = work.index
    failed: dict[str, pd.Series] = {}
    try:
        input_schema().validate(work, lazy=True)
    except SchemaErrors as exc:
        cases = exc.failure_cases
        cases = cases[cases["index"].notna() & cases["column"].notna()]
        for column, group in cases.groupby("column", sort=False):
            rows = pd.Index(group["index"].astype(int).unique())
            mask = pd.Series(index.isin(rows), index=index)
            failed[str(column)] = mask
            # Negative counts fail a different check than missing or non-numeric ones.
            if column == "value":
                failed["value_negative"] = mask & (work["value"] < 0).fillna(False)
    expected = {
        "year": "expected a year such as 2015",
        "counterpart": "expected a country name or code",
        "sex": "expected a sex (M, F, male, female, homme, femme, total, ...)",
        "age": "expected an age group such as 15-19, 65+, under 15 or total",
        "value": "expected a count",
    }
    reasons: dict[str, pd.Series] = {}
    for key in ("year", "counterpart", "sex", "age", "value"):
        if key not in failed:
            continue
        name, raw_values = raw[key]
        shown = (
            _quoted(raw_values)
            if raw_values is not None
            else pd.Series("nothing", index=index, dtype="string")
        )
        message = f"column '{name}': {expected[key]}, got " + shown
        if key == "value":
            negative = failed["value_negative"]
            message = message.where(
                ~negative, f"column '{name}': expected a count of 0 or more, got " + shown
            )
        reasons[key] = message.where(failed[key], "")
    return _parse.combine_reasons(reasons, index)


def _duplicates(work: pd.DataFrame, ok: pd.Series) -> pd.Series:
    """Reasons for duplicated cells among the usable rows ('' when not duplicated)."""
    key = ["year", "counterpart", "sex", "age"]
    usable = work[ok.to_numpy()]
    reason = pd.Series("", index=work.index, dtype="string")
    if usable.empty:
        return reason
    dup_key = usable.duplicated(key, keep=False)
    if not dup_key.any():
        return reason
    groups = usable[dup_key]
    first = groups.groupby(key, sort=False, dropna=False).ngroup()
    first_row = pd.Series(groups.index, index=groups.index).groupby(first).transform("min")
    n_values = groups.groupby(key, sort=False, dropna=False)["value"].transform("nunique")
    conflict = n_values > 1
    exact_copy = ~conflict & (groups.index != first_row)
    reason.loc[groups.index[exact_copy.to_numpy()]] = (
        "duplicate of row " + first_row[exact_copy].astype("string") + " (same cell, same count)"
    )
    reason.loc[groups.index[conflict.to_numpy()]] = (
        "the same cell is given more than once with different counts (first at row "
        + first_row[conflict].astype("string")
        + ")"
    )
    return reason


def _build(
    used: pd.DataFrame,
    profile: SourceProfile,
    comp: Compliance,
    measure: str,
    ctype: str,
    correct: bool,
    duration_table: str,
) -> pd.DataFrame:
    n = len(used)
    out = pd.DataFrame(
        {
            "measure": pd.Series([measure] * n, dtype="string"),
            "ref_area": pd.Series([profile.country] * n, dtype="string"),
            "counterpart_area": used["counterpart"].astype("string").to_numpy(),
            "counterpart_type": pd.Series([ctype] * n, dtype="string"),
            "sex": used["sex"].astype("string").to_numpy(),
            "age": used["age"].astype("string").to_numpy(),
            "time_period": used["year"].astype("string").to_numpy(),
            "obs_value": used["value"].astype("float64").to_numpy(),
            "reported_value": used["value"].astype("float64").to_numpy(),
            "adjustment": np.ones(n),
            "target": pd.Series([comp.target] * n, dtype="string"),
            "compliance": pd.Series([comp.cls.value] * n, dtype="string"),
            "source_id": pd.Series([profile.source_id] * n, dtype="string"),
            "obs_status": pd.Series(["A"] * n, dtype="string"),
        }
    )
    threshold = pd.Series(comp.threshold_months, index=out.index, dtype="float64")
    if comp.groups and ctype == "CITIZENSHIP":
        nationals = (out["counterpart_area"] == profile.country).to_numpy()
        foreign = ~nationals & ~out["counterpart_area"].str.startswith("_").to_numpy()
        for mask, group in ((nationals, "nationals"), (foreign, "foreigners")):
            out.loc[mask, "compliance"] = comp.groups[group].value
            threshold[mask] = profile.threshold_for(group)
    st = source_type(profile.source_type)
    basis = profile.threshold_basis.replace("_", " ")
    months = threshold.map(
        {t: ("permanent" if t >= 60 else f"{t:g} months") for t in threshold.dropna().unique()}
    ).fillna("unknown threshold")
    out["provenance"] = (
        f"{profile.source_id} ({st.label.lower()}, "
        + months.astype("string")
        + f", {basis}) -> {comp.target} "
        + out["compliance"]
    )
    if correct:
        classes = out["compliance"].isin([c.value for c in _CORRECTABLE])
        fix = (classes & threshold.notna()).to_numpy()
        if fix.any():
            target_months = _target_months(comp.target)
            corrected = correct_duration(
                out[fix],
                threshold[fix].to_numpy(),
                table_name=duration_table,
                target_months=target_months,
            )
            out.loc[fix, ["obs_value", "adjustment", "provenance", "obs_status"]] = corrected[
                ["obs_value", "adjustment", "provenance", "obs_status"]
            ]
    out = out.sort_values(
        ["time_period", "counterpart_area", "sex", "age"], kind="stable"
    ).reset_index(drop=True)
    out = out.astype(HARMONISED_COLUMNS)
    try:
        harmonised_schema().validate(out, lazy=True)
    except SchemaErrors as exc:  # a bug here, not bad input: say what broke
        raise ValidationError(
            "the harmonised table breaks its schema", report=exc.failure_cases
        ) from exc
    return out


def _target_months(target: str) -> float:
    from migdata.sources.compliance import target_facts

    return target_facts(target).threshold_months
