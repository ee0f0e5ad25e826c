"""Arrival/departure cards under the intended-duration rule.

Owns :func:`classify_cards` (each card into long-term migrant, short-term migrant, temporary
mover or non-migrant, from the point of view of residents and non-residents) and
:func:`tabulate_cards` (long-term flows in the harmonised table).
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

import numpy as np
import pandas as pd

from migdata._checks import check_frame, public
from migdata.countries import resolve
from migdata.errors import ConfigurationError, InputError
from migdata.harmonised import HARMONISED_COLUMNS
from migdata.sources import _parse
from migdata.sources.compliance import compliance, target_facts
from migdata.sources.profile import SourceProfile

__all__ = ["CardClass", "Cards", "classify_cards", "tabulate_cards"]


class CardClass(StrEnum):
    """Class of a card under the intended-duration rule (strings accepted)."""

    LONG_TERM_MIGRANT = "long_term_migrant"
    SHORT_TERM_MIGRANT = "short_term_migrant"
    TEMPORARY_MOVER = "temporary_mover"
    NON_MIGRANT = "non_migrant"

    @classmethod
    def _missing_(cls, value: object) -> CardClass | None:
        key = str(value).strip().lower().replace("-", "_").replace(" ", "_")
        return next((m for m in cls if m.value == key), None)


@dataclass
class Cards:
    """Classified cards (result of :func:`classify_cards`).

    Attributes
    ----------
    table
        The usable input rows with ``months`` (intended duration), ``resident`` (usual
        residence in the reporting country), ``arrival``, ``flow`` (IMM for non-residents
        arriving, EMI for residents departing, NA for the other crossings), ``card_class``,
        ``returning`` (citizens of the reporting country arriving from a residence abroad)
        and ``year`` when a date column was given.
    rejected
        Input rows that could not be classified, with ``row`` and ``reason``.
    country, target
        Reporting country (alpha-3) and target definition.
    long_term_months, short_term_months
        Thresholds used (from the target and the standards).
    cleaned
        Cells read after cleaning, by kind (durations written as text).
    """

    table: pd.DataFrame
    rejected: pd.DataFrame
    country: str
    target: str
    long_term_months: float
    short_term_months: float
    rows_in: int
    cleaned: dict[str, int] = field(default_factory=dict)

    def counts(self) -> pd.DataFrame:
        """Cards per class and flow (IMM, EMI, or none for returns and end of visits).

        Examples
        --------
        >>> cards = pd.DataFrame({"direction": ["A", "D"], "residence": ["KEN", "RWA"],
        ...                       "intended_duration": ["2 ans", "1 mois"]})
        >>> counts = classify_cards(cards, "RWA").counts()
        >>> counts.to_dict("records")  # doctest: +NORMALIZE_WHITESPACE
        [{'flow': 'EMI', 'card_class': 'non_migrant', 'cards': 1},
         {'flow': 'IMM', 'card_class': 'long_term_migrant', 'cards': 1}]
        """
        t = self.table.assign(flow=self.table["flow"].fillna("none"))
        return (
            t.groupby(["flow", "card_class"], observed=True)
            .size()
            .rename("cards")
            .reset_index()
            .astype({"flow": "string", "card_class": "string"})
        )

    def __repr__(self) -> str:
        return (
            f"Cards({self.country}: {len(self.table):,} rows used, {len(self.rejected):,} "
            f"rejected of {self.rows_in:,}; target {self.target})"
        )

    def _repr_html_(self) -> str:
        counts = self.counts()
        rows = "".join(
            f"<tr><td>{html.escape(str(r.flow))}</td><td>{html.escape(str(r.card_class))}"
            f"</td><td style='text-align:right'>{r.cards:,}</td></tr>"
            for r in counts.itertuples()
        )
        return (
            f"<div><b>Cards of {self.country} under {self.target}</b> (long-term from "
            f"{self.long_term_months:g} months, short-term from {self.short_term_months:g}): "
            f"{len(self.table)} classified, {len(self.rejected)} rejected of {self.rows_in}."
            f"<table><tr><th>flow</th><th>class</th><th>cards</th></tr>{rows}</table></div>"
        )


@public
def classify_cards(
    cards: pd.DataFrame,
    country: str,
    target: Any = "UN1998",
    *,
    direction_column: str = "direction",
    residence_column: str = "residence",
    duration_column: str = "intended_duration",
    purpose_column: str | None = "purpose",
    citizenship_column: str | None = None,
    date_column: str | None = None,
    duration_unit: str = "months",
) -> Cards:
    """Classify arrival/departure cards by intended duration and purpose.

    Parameters
    ----------
    cards
        One row per card (crossing). Other columns are carried through.
    country
        The reporting country (alpha-3 or a name).
    target
        Target definition: its threshold (12 months; 6 for UN 2021 six months and one day)
        separates long-term migrants from shorter stays.
    direction_column
        ``arrival``/``departure`` in en/fr/pt/ar (A, D, entrée, sortie, chegada, ...).
    residence_column
        Country of usual residence declared on the card (any spelling).
    duration_column
        Intended duration of stay (arrivals) or of absence (departures): numbers in
        ``duration_unit`` or text such as "1 an", "6 mois", "2 anos", "permanent", "سنة".
    purpose_column
        Purpose of the trip (holiday, visite, negócios, ...); None if not recorded.
    citizenship_column
        Citizenship, used to flag returning citizens; None if not recorded.
    date_column
        Date of the crossing; its year becomes ``year``.
    duration_unit
        Unit of bare numbers: months, days, weeks or years.

    Returns
    -------
    Cards
        Classified rows and rejected rows (rows in = classified + rejected).

    Notes
    -----
    The point of view is the reporting country's. A non-resident arriving and a resident
    departing are movers: with an intended stay (absence) of at least the target threshold
    they are long-term migrants (immigrant, emigrant); from 3 months up to the threshold they
    are short-term migrants (UN 1998 wording, also used for EU 862 which has no short-term
    class) or temporary movers (UN 2021 wording), unless the purpose is one of the six
    excluded purposes, which makes them non-migrants; under 3 months they are non-migrants.
    A resident returning and a non-resident leaving end a trip: non-migrants whatever the
    duration written. Rejected: unknown directions, residences that do not resolve, and, for
    movers only, missing or unreadable durations and, in the 3-month-to-threshold band where
    it decides the class, missing or unreadable purposes.

    Examples
    --------
    >>> cards = pd.DataFrame({
    ...     "direction": ["arrivée", "A", "departure", "A", "A", "A"],
    ...     "residence": ["Kenya", "UGA", "RWA", "Tanzanie", "KEN", "Atlantis"],
    ...     "intended_duration": ["2 ans", "6 mois", "permanent", "4 months", "bof", 3],
    ...     "purpose": ["travail", "vacances", None, "work", None, None]})
    >>> c = classify_cards(cards, "RWA", "UN1998")
    >>> c.table["card_class"].tolist()
    ['long_term_migrant', 'non_migrant', 'long_term_migrant', 'short_term_migrant']
    >>> c.table["flow"].tolist()
    ['IMM', 'IMM', 'EMI', 'IMM']
    >>> c.rejected["reason"].tolist()  # doctest: +NORMALIZE_WHITESPACE
    ["column 'intended_duration': expected a duration such as 6, '6 mois', '1 an' or
    'permanent', got 'bof'", "column 'residence': expected a country name or code,
    got 'Atlantis'"]
    >>> classify_cards(cards.iloc[[3]], "RWA", "UN2021_12M").table["card_class"].item()
    'temporary_mover'
    """
    check_frame(cards, "cards")
    if not isinstance(cards, pd.DataFrame):
        raise InputError(f"expected a pandas DataFrame of cards, got {type(cards).__name__}")
    reporting = resolve(str(country)) if country is not None else None
    if reporting is None:
        raise ConfigurationError(f"unknown reporting country {country!r}")
    if duration_unit not in ("months", "days", "weeks", "years"):
        raise ConfigurationError(
            f"unknown duration unit {duration_unit!r}; expected months, days, weeks or years"
        )
    facts = target_facts(target)
    long_months = facts.threshold_months
    short_months = _parse.short_term_months()
    un2021 = facts.name.startswith("UN2021")

    source = cards.reset_index(drop=True)
    index = source.index
    direction, bad_direction = _parse.parse_code(
        _parse.required_column(source, direction_column, "direction (arrival/departure)"),
        "direction",
    )
    bad_direction = bad_direction | direction.isna()
    residence_raw = _parse.required_column(source, residence_column, "country of usual residence")
    residence = pd.Series(resolve(residence_raw.astype("string").str.strip()), index=index).astype(
        "string"
    )
    bad_residence = residence.isna()
    duration_raw = _parse.required_column(source, duration_column, "intended duration")
    months, bad_duration = _parse.parse_duration(duration_raw, duration_unit)
    text_duration = months.notna() & ~_parse.is_plain_number(duration_raw)
    if purpose_column == "purpose" and purpose_column not in source.columns:
        purpose_column = None  # the default name, absent: purpose not recorded
    if purpose_column is not None:
        purpose, bad_purpose = _parse.parse_code(
            _parse.required_column(source, purpose_column, "purpose"), "purpose"
        )
    else:
        purpose = pd.Series(pd.NA, index=index, dtype="string")
        bad_purpose = pd.Series(False, index=index)

    arrival = (direction == "arrival").fillna(False).to_numpy(bool)
    resident = (residence == reporting).fillna(False).to_numpy(bool)
    mover_in = arrival & ~resident
    mover_out = ~arrival & resident
    mover = mover_in | mover_out
    m = months.to_numpy(dtype=float)
    band = mover & (m >= short_months) & (m < long_months)
    excluded = purpose.isin(_parse.excluded_purposes()).fillna(False).to_numpy(bool)
    purpose_known = purpose.notna().to_numpy(bool)

    klass = np.select(
        [
            ~mover,
            m >= long_months,
            band & excluded,
            band,
            m < short_months,
        ],
        [
            CardClass.NON_MIGRANT.value,
            CardClass.LONG_TERM_MIGRANT.value,
            CardClass.NON_MIGRANT.value,
            (CardClass.TEMPORARY_MOVER if un2021 else CardClass.SHORT_TERM_MIGRANT).value,
            CardClass.NON_MIGRANT.value,
        ],
        default="",
    )

    def reason(mask: Any, column: str, expected: str, raw: pd.Series | None) -> pd.Series:
        flags = np.asarray(mask, dtype=bool)
        return _parse.reason_where(flags, f"column '{column}': {expected}", raw).set_axis(index)

    problems = {
        "direction": reason(
            bad_direction.to_numpy(bool),
            direction_column,
            "expected arrival or departure",
            source[direction_column],
        ),
        "duration": reason(
            mover & (bad_duration | months.isna()).to_numpy(bool),
            duration_column,
            "expected a duration such as 6, '6 mois', '1 an' or 'permanent'",
            duration_raw,
        ),
        "residence": reason(
            bad_residence.to_numpy(bool),
            residence_column,
            "expected a country name or code",
            residence_raw,
        ),
        "purpose": reason(
            band & ~excluded & (bad_purpose.to_numpy(bool) | ~purpose_known),
            purpose_column or "purpose",
            f"a stay of {short_months:g} to {long_months:g} months needs a readable purpose "
            "(holiday, business, work, study, ...)",
            None if purpose_column is None else source[purpose_column],
        ),
    }
    # Duration and purpose only matter once direction and residence say it is a mover.
    known = (problems["direction"] == "") & (problems["residence"] == "")
    problems["duration"] = problems["duration"].where(known, "")
    problems["purpose"] = problems["purpose"].where(known & (problems["duration"] == ""), "")
    why = _parse.combine_reasons(problems, index)
    ok = (why == "").to_numpy(bool)

    out = source[ok].copy()
    out["months"] = months[ok].to_numpy()
    out["resident"] = resident[ok]
    out["arrival"] = arrival[ok]
    flow = np.select([mover_in, mover_out], ["IMM", "EMI"], default="")
    out["flow"] = pd.Series(flow[ok], index=out.index, dtype="string").replace("", pd.NA)
    out["card_class"] = pd.array(klass[ok], dtype="string")
    out["purpose_code"] = purpose[ok].to_numpy()
    out["residence_code"] = residence[ok].to_numpy()
    if citizenship_column is not None:
        citizen = pd.Series(
            resolve(
                _parse.required_column(source, citizenship_column, "citizenship").astype("string")
            ),
            index=index,
        ).astype("string")
        returning = (citizen == reporting).fillna(False).to_numpy(bool) & mover_in
        out["returning"] = returning[ok] & (klass[ok] == CardClass.LONG_TERM_MIGRANT.value)
    if date_column is not None:
        years, bad_year = _parse.parse_year(
            _parse.required_column(source, date_column, "date of crossing")
        )
        year_problem = reason(
            bad_year.to_numpy(bool) & ok,
            date_column,
            "expected a date or year such as 2015-03-01",
            source[date_column],
        )
        why = why.where(why != "", year_problem)
        keep = (year_problem[ok] == "").to_numpy(bool)
        out["year"] = years[ok].to_numpy()
        out = out[keep]
        ok = (why == "").to_numpy(bool)
    rejected = _parse.rejected_frame(source, np.flatnonzero(~ok), why[~ok])
    cleaned = int((text_duration & pd.Series(ok, index=index)).sum())
    return Cards(
        table=out.reset_index(drop=True),
        rejected=rejected,
        country=str(reporting),
        target=facts.name,
        long_term_months=long_months,
        short_term_months=short_months,
        rows_in=len(source),
        cleaned={"duration_text": cleaned} if cleaned else {},
    )


@public
def tabulate_cards(
    cards: Cards,
    profile: SourceProfile | None = None,
    *,
    counterpart: str = "residence",
    next_residence_column: str | None = None,
    citizenship_column: str | None = None,
    sex_column: str | None = None,
    age_column: str | None = None,
    weight_column: str | None = None,
) -> pd.DataFrame:
    """Long-term immigrant and emigrant flows from classified cards (harmonised table).

    Parameters
    ----------
    cards
        Result of :func:`classify_cards` made with a ``date_column`` (flows are by year).
    profile
        Facts about the card source (its ``source_id``); by default
        ``"<country>-CARDS"``. Its threshold is the target's and its basis intended.
    counterpart
        ``"residence"``: immigrants by previous residence (the residence on the card) and
        emigrants by next residence (``next_residence_column``, else unknown ``_U``);
        ``"citizenship"``: both by ``citizenship_column``.
    sex_column, age_column
        Sex labels and ages (exact years or age-group labels); absent -> totals ``_T``,
        unreadable or missing cells -> unknown ``_U``.
    weight_column
        Expansion weights of sampled cards (default 1 per card).

    Returns
    -------
    DataFrame
        Harmonised table (measures IMM and EMI), crossings counted, never persons.

    Examples
    --------
    >>> cards = pd.DataFrame({"date": ["2019-03-01", "2019-07-15", "2020-01-02"],
    ...                       "direction": ["A", "A", "D"],
    ...                       "residence": ["KEN", "KEN", "RWA"],
    ...                       "intended_duration": ["2 ans", "permanent", "1 an"],
    ...                       "sex": ["F", "M", "F"]})
    >>> c = classify_cards(cards, "RWA", "EU862", purpose_column=None, date_column="date")
    >>> tabulate_cards(c, sex_column="sex")[
    ...     ["measure", "counterpart_area", "sex", "time_period", "obs_value", "compliance"]]
      measure counterpart_area sex time_period  obs_value compliance
    0     EMI               _U   F        2020        1.0      MATCH
    1     IMM              KEN   F        2019        1.0      MATCH
    2     IMM              KEN   M        2019        1.0      MATCH
    """
    t = cards.table
    if "year" not in t.columns:
        raise ConfigurationError(
            "the cards were classified without a date: call classify_cards(..., "
            "date_column='date') to tabulate flows by year"
        )
    if counterpart not in ("residence", "citizenship"):
        raise ConfigurationError(
            f"unknown counterpart {counterpart!r}; expected 'residence' or 'citizenship'"
        )
    if profile is None:
        profile = SourceProfile(
            source_id=f"{cards.country}-CARDS",
            country=cards.country,
            source_type="arrival_departure_cards",
            statistical_unit="crossing",
        )
    profile = profile.replace(
        threshold_months=cards.long_term_months,
        threshold_nationals=None,
        threshold_foreigners=None,
        threshold_basis="intended",
    )
    lt = t[(t["card_class"] == CardClass.LONG_TERM_MIGRANT.value) & t["flow"].notna()]
    if counterpart == "residence":
        partner = lt["residence_code"].astype("string")
        if next_residence_column is not None:
            nxt = pd.Series(
                resolve(
                    _parse.required_column(lt, next_residence_column, "next residence").astype(
                        "string"
                    )
                ),
                index=lt.index,
            ).astype("string")
        else:
            nxt = pd.Series(pd.NA, index=lt.index, dtype="string")
        partner = partner.where(lt["flow"] == "IMM", nxt).fillna("_U")
        ctype = np.where(lt["flow"] == "IMM", "PREV_RES", "NEXT_RES")
    else:
        if citizenship_column is None:
            raise ConfigurationError("counterpart='citizenship' needs citizenship_column")
        partner = _parse.counterpart_codes(lt, citizenship_column, "citizenship")
        ctype = np.full(len(lt), "CITIZENSHIP")
    sex = _parse.sex_codes(lt, sex_column)
    if age_column is None:
        age = pd.Series("_T", index=lt.index, dtype="string")
    else:
        raw_age = _parse.required_column(lt, age_column, "age")
        age = (
            _parse.age_band(raw_age)
            if pd.api.types.is_numeric_dtype(raw_age)
            else _parse.parse_age(raw_age)[0].fillna("_U")
        )
    weight = (
        pd.Series(1.0, index=lt.index)
        if weight_column is None
        else pd.to_numeric(_parse.required_column(lt, weight_column, "weight"), errors="coerce")
    )
    if weight.isna().any() or (weight < 0).any():
        raise InputError(
            f"column '{weight_column}': expected weights of 0 or more on every card",
            column=weight_column,
        )
    frame = pd.DataFrame(
        {
            "measure": lt["flow"].astype("string"),
            "counterpart_area": partner,
            "counterpart_type": pd.array(ctype, dtype="string"),
            "sex": sex,
            "age": age,
            "time_period": lt["year"].astype("string"),
            "obs_value": weight.astype("float64"),
        }
    )
    keys = ["measure", "counterpart_area", "counterpart_type", "sex", "age", "time_period"]
    agg = frame.groupby(keys, observed=True, sort=True)["obs_value"].sum().reset_index()
    classes = {m: compliance(profile, cards.target, m) for m in ("IMM", "EMI")}
    agg["ref_area"] = cards.country
    agg["reported_value"] = agg["obs_value"]
    agg["adjustment"] = 1.0
    agg["target"] = cards.target
    agg["compliance"] = agg["measure"].map({m: c.cls.value for m, c in classes.items()})
    agg["source_id"] = profile.source_id
    agg["obs_status"] = "A"
    agg["provenance"] = (
        f"{profile.source_id}: arrival/departure cards, intended stay of "
        f"{cards.long_term_months:g} months or more ({cards.target}); crossings, not persons"
    )
    return agg[list(HARMONISED_COLUMNS)].astype(HARMONISED_COLUMNS)
