"""The mirror table: one row per (origin, destination, year, sex, age) holding emigration
E_ij as reported by the origin and immigration I_ij as reported by the destination, who
reported what, each reporter's duration threshold, and undercount/accuracy classes.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import pandas as pd

from migdata._checks import public
from migdata.errors import InputError
from migdata.mirror.eurostat import (
    read_csv,
    read_duration_thresholds,
    read_imem_classes,
    resolve_countries,
)
from migdata.sources.duration import duration_factor

__all__ = ["KEY", "MIRROR_COLUMNS", "REPORTED_BY", "MirrorTable"]

KEY = ["origin", "destination", "year", "sex", "age"]
"""Columns identifying one corridor-cell of the mirror table."""

MIRROR_COLUMNS: dict[str, str] = {
    "origin": "string",
    "destination": "string",
    "year": "int64",
    "sex": "string",
    "age": "string",
    "emigration": "float64",
    "immigration": "float64",
    "reported_by": "string",
    "emi_threshold": "float64",
    "imm_threshold": "float64",
    "undercount_emi": "string",
    "undercount_imm": "string",
    "accuracy_emi": "string",
    "accuracy_imm": "string",
}
"""Columns of :attr:`MirrorTable.data` in order. ``emi_threshold`` is the duration threshold
(months) of the origin's emigration definition for that pair and year, ``imm_threshold`` that
of the destination's immigration definition; ``undercount_*``/``accuracy_*`` are the classes of
the reporter of that side (low/medium/high)."""

REPORTED_BY = ("both", "origin only", "destination only", "none")

_CLASSES = {"low", "medium", "high"}
_SEX = {"total": "_T", "t": "_T", "_t": "_T", "m": "M", "male": "M", "males": "M",
        "f": "F", "female": "F", "females": "F", "_u": "_U", "unk": "_U"}  # fmt: skip
_AGE_TOTAL = {"total": "_T", "_t": "_T", "tot": "_T"}
_WIDE_ALIASES = {
    "origin": ("Sending_iso3", "Sending_iso2", "Sending", "origin", "orig"),
    "destination": ("Receiving_iso3", "Receiving_iso2", "Receiving", "destination", "dest"),
    "year": ("Year", "year", "TIME_PERIOD", "time_period"),
    "emigration": ("Emig", "emigration"),
    "immigration": ("Immi", "immigration"),
    "sex": ("SEX", "sex"),
    "age": ("AGE", "age"),
    "undercount_imm": ("UI", "undercount_imm"),
    "accuracy_imm": ("AI", "accuracy_imm"),
    "undercount_emi": ("UE", "undercount_emi"),
    "accuracy_emi": ("AE", "accuracy_emi"),
}


def _pick(frame: pd.DataFrame, names: tuple[str, ...]) -> str | None:
    lower = {str(c).lower(): c for c in frame.columns}
    for name in names:
        if name in frame.columns:
            return name
        if name.lower() in lower:
            return str(lower[name.lower()])
    return None


def _sex(values: pd.Series) -> pd.Series:
    text = values.astype("string").str.strip()
    mapped = text.str.lower().map(_SEX)
    return mapped.fillna(text).fillna("_T").astype("string")


def _age(values: pd.Series) -> pd.Series:
    text = values.astype("string").str.strip()
    mapped = text.str.lower().map(_AGE_TOTAL)
    return mapped.fillna(text).fillna("_T").astype("string")


def _number(values: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Parsed floats and a mask of cells that were given but are not numbers."""
    raw = values.astype("string").str.strip().str.replace(",", "", regex=False)
    raw = raw.mask(raw.isin(["", ":", "NA", "nan"]))
    number = pd.to_numeric(raw, errors="coerce").astype("float64")
    number = number.mask(np.isinf(number.to_numpy()))  # "inf", "1e400": not a flow
    unreadable = raw.notna() & number.isna()
    return number, unreadable.fillna(False)


def _empty_reasons(index: pd.Index) -> pd.Series:
    return pd.Series(pd.NA, index=index, dtype="object")


def _flag(reason: pd.Series, mask: Any, text: Any) -> None:
    """Record the first reason for each row (earlier checks win)."""
    hit = np.asarray(pd.Series(mask).fillna(False), dtype=bool) & reason.isna().to_numpy()
    if hit.any():
        reason.loc[hit] = text[hit] if isinstance(text, np.ndarray) else text


def _texts(template: str, values: pd.Series) -> np.ndarray:
    return np.array([template.format(v=v) for v in values.astype(object)], dtype=object)


def _validate_common(
    std: pd.DataFrame, raw_origin: pd.Series, raw_destination: pd.Series, raw_year: pd.Series
) -> pd.Series:
    """Reasons shared by every input shape: countries, self-pairs, years."""
    reason = _empty_reasons(std.index)
    _flag(reason, std["origin"].isna(), _texts("origin {v!r} is not a known country", raw_origin))
    _flag(
        reason,
        std["destination"].isna(),
        _texts("destination {v!r} is not a known country", raw_destination),
    )
    _flag(
        reason,
        std["origin"] == std["destination"],
        _texts("a country paired with itself ({v}): a flow needs two countries", std["origin"]),
    )
    _flag(reason, std["year"].isna(), _texts("expected a year such as 2015, got {v!r}", raw_year))
    return reason


def _check_classes(std: pd.DataFrame, reason: pd.Series) -> None:
    for column in ("undercount_imm", "undercount_emi", "accuracy_imm", "accuracy_emi"):
        values = std[column]
        bad = values.notna() & ~values.isin(_CLASSES)
        _flag(reason, bad, _texts(column + ": expected low, medium or high, got {v!r}", values))


def _rejected(source: pd.DataFrame, reason: pd.Series, offset: int, label: str) -> pd.DataFrame:
    bad = reason.notna().to_numpy()
    out = source.loc[bad].copy()
    out.insert(0, "row", np.flatnonzero(bad) + offset)
    out.insert(1, "input", label)
    out["reason"] = reason[bad].astype("string").to_numpy()
    return out


def _classes(values: pd.Series | None, index: pd.Index) -> pd.Series:
    if values is None:
        return pd.Series(pd.NA, index=index, dtype="string")
    return values.astype("string").str.strip().str.lower()


def _finish(wide: pd.DataFrame) -> pd.DataFrame:
    """Order, type and label a clean wide frame; check that the two sides share a year."""
    imm_years = sorted(set(wide.loc[wide["immigration"].notna(), "year"].astype(int)))
    emi_years = sorted(set(wide.loc[wide["emigration"].notna(), "year"].astype(int)))
    if imm_years and emi_years and not set(imm_years) & set(emi_years):
        raise InputError(
            f"immigration is reported for years {imm_years} and emigration for years "
            f"{emi_years}: no year in common, so no pair can be compared"
        )
    for column, dtype in MIRROR_COLUMNS.items():
        if column not in wide:
            wide[column] = pd.Series(np.nan if dtype == "float64" else pd.NA, index=wide.index)
    e, i = wide["emigration"].notna().to_numpy(), wide["immigration"].notna().to_numpy()
    wide["reported_by"] = np.select(
        [e & i, e, i], ["both", "origin only", "destination only"], default="none"
    )
    wide = wide[list(MIRROR_COLUMNS)].astype(MIRROR_COLUMNS)
    return wide.sort_values(KEY, kind="stable").reset_index(drop=True)


@dataclass(frozen=True)
class MirrorTable:
    """Bilateral flows reported by both ends of each corridor.

    Build it with :meth:`from_eurostat` or :meth:`from_harmonised`; ``data`` has the columns
    of :data:`MIRROR_COLUMNS`, one row per (origin, destination, year, sex, age);
    ``rejected`` holds every input row that could not be used with ``row``, ``input`` and
    ``reason`` (rows in = rows used + rows rejected).

    Examples
    --------
    >>> raw = pd.DataFrame({"Year": [2015, 2015], "Sending_iso2": ["IT", "ES"],
    ...                     "Receiving_iso2": ["ES", "ES"], "Emig": [5003, 1],
    ...                     "Immi": [17350, 2]})
    >>> t = MirrorTable.from_eurostat(raw)
    >>> t.data[["origin", "destination", "emigration", "immigration", "reported_by"]]
      origin destination  emigration  immigration reported_by
    0    ITA         ESP      5003.0      17350.0        both
    >>> t.rejected.reason.item()
    'a country paired with itself (ESP): a flow needs two countries'
    """

    data: pd.DataFrame
    rejected: pd.DataFrame = field(default_factory=pd.DataFrame)
    rows_in: int = 0
    duration_rejected: pd.DataFrame = field(default_factory=pd.DataFrame)
    estimates: pd.DataFrame = field(default_factory=pd.DataFrame)
    """Flows estimated from stocks (:meth:`with_estimates`): a third kind of source."""

    # ------------------------------------------------------------------ builders
    @classmethod
    @public
    def from_eurostat(cls, source: Any, *, side: str | None = None) -> MirrorTable:
        """Build from the shared mirror-flows file or a Eurostat-style long frame.

        Parameters
        ----------
        source
            Path or DataFrame. Two shapes are recognised from the columns: the wide mirror
            file (``Sending_iso2``/``Receiving_iso2`` or ``*_iso3``, ``Year``, ``Emig``,
            ``Immi``, optional ``SEX`` and classes ``UI``, ``AI``, ``UE``, ``AE``), and a
            Eurostat long frame (``geo`` = reporter, ``partner``, ``TIME_PERIOD``,
            ``OBS_VALUE``, optional ``sex``/``age``) whose side comes from a ``DATAFLOW``
            column (``MIGR_IMM*`` or ``MIGR_EMI*``), a ``measure`` column (IMM/EMI) or
            ``side``. A harmonised table (``measure``, ``ref_area``, ...) is passed on to
            :meth:`from_harmonised`.
        side
            ``"immigration"`` or ``"emigration"`` for a long frame that does not say.

        Raises
        ------
        InputError
            Missing columns, or no year in which both sides are reported.

        Examples
        --------
        >>> long = pd.DataFrame({"DATAFLOW": ["ESTAT:MIGR_IMM5PRV(1.0)", "ESTAT:MIGR_EMI3NXT(1.0)"],
        ...                      "geo": ["ES", "IT"], "partner": ["IT", "ES"],
        ...                      "TIME_PERIOD": [2015, 2015], "OBS_VALUE": [17350, 5003]})
        >>> t = MirrorTable.from_eurostat(long)
        >>> t.data[["origin", "destination", "emigration", "immigration"]].to_numpy().tolist()
        [['ITA', 'ESP', 5003.0, 17350.0]]
        """
        frame, file = read_csv(source, what="mirror flows")
        offset = 2 if file else 0
        if {"measure", "ref_area", "counterpart_area"} <= set(frame.columns):
            measure = frame["measure"].astype("string")
            return cls.from_harmonised(frame[measure == "IMM"], frame[measure != "IMM"])
        if _pick(frame, ("geo",)) and _pick(frame, ("partner",)):
            return cls._from_long(frame, offset=offset, side=side, label=file or "eurostat")
        return cls._from_wide(frame, offset=offset, label=file or "mirror")

    @classmethod
    def _from_wide(cls, frame: pd.DataFrame, *, offset: int, label: str) -> MirrorTable:
        cols = {k: _pick(frame, v) for k, v in _WIDE_ALIASES.items()}
        needed = ["origin", "destination", "year"]
        missing = [k for k in needed if cols[k] is None]
        if missing or (cols["emigration"] is None and cols["immigration"] is None):
            raise InputError(
                "expected a mirror-flows table with columns Sending_iso2, Receiving_iso2, "
                f"Year and Emig and/or Immi; got {list(frame.columns)}",
                file=None if label == "mirror" else label,
            )
        index = frame.index

        def col(name: str) -> pd.Series | None:
            c = cols[name]
            return None if c is None else frame[c]

        raw_o, raw_d, raw_y = frame[cols["origin"]], frame[cols["destination"]], frame[cols["year"]]
        year, _ = _number(raw_y)
        std = pd.DataFrame(
            {
                "origin": resolve_countries(raw_o),
                "destination": resolve_countries(raw_d),
                "year": year.where(year % 1 == 0),
                "sex": _sex(col("sex")) if cols["sex"] else "_T",
                "age": _age(col("age")) if cols["age"] else "_T",
            },
            index=index,
        )
        for name in ("undercount_imm", "accuracy_imm", "undercount_emi", "accuracy_emi"):
            std[name] = _classes(col(name), index)
        reason = _validate_common(std, raw_o, raw_d, raw_y)
        for name in ("emigration", "immigration"):
            values = col(name)
            if values is None:
                std[name] = np.nan
                continue
            number, unreadable = _number(values)
            std[name] = number
            _flag(
                reason, unreadable, _texts(f"{cols[name]}: expected a count, got {{v!r}}", values)
            )
            _flag(
                reason,
                number < 0,
                _texts(f"{cols[name]}: expected a count >= 0, got {{v}}", values),
            )
        _check_classes(std, reason)
        dup = std[KEY].duplicated(keep=False) & reason.isna()
        _flag(reason, dup, "duplicate pair: the same (origin, destination, year, sex, age) "
              "appears on more than one row, so neither can be chosen")  # fmt: skip
        clean = std.loc[reason.isna()].copy()
        return cls(_finish(clean), _rejected(frame, reason, offset, label), len(frame))

    @classmethod
    def _from_long(
        cls, frame: pd.DataFrame, *, offset: int, side: str | None, label: str
    ) -> MirrorTable:
        geo, partner = _pick(frame, ("geo",)), _pick(frame, ("partner",))
        time = _pick(frame, ("TIME_PERIOD", "time", "year"))
        value = _pick(frame, ("OBS_VALUE", "value", "obs_value"))
        if time is None or value is None or geo is None or partner is None:
            raise InputError(
                "expected a Eurostat long frame with columns geo, partner, TIME_PERIOD and "
                f"OBS_VALUE; got {list(frame.columns)}"
            )
        sides = _long_sides(frame, side)
        long = pd.DataFrame(
            {
                "reporter": frame[geo],
                "counterpart": frame[partner],
                "side": sides,
                "year": frame[time],
                "value": frame[value],
            },
            index=frame.index,
        )
        sex, age = _pick(frame, ("sex",)), _pick(frame, ("age",))
        long["sex"] = frame[sex] if sex else "_T"
        long["age"] = frame[age] if age else "_T"
        return cls._assemble_long(long, frame, offset=offset, label=label)

    @classmethod
    @public
    def from_harmonised(
        cls, imm: pd.DataFrame, emi: pd.DataFrame, *, imm_counterpart: str = "PREV_RES"
    ) -> MirrorTable:
        """Build from harmonised immigration and emigration tables.

        Parameters
        ----------
        imm
            Harmonised rows with measure IMM: ``ref_area`` = destination j,
            ``counterpart_area`` = origin i.
        emi
            Rows with measure EMI: ``ref_area`` = origin i, ``counterpart_area`` =
            destination j, counterpart type NEXT_RES.
        imm_counterpart
            Counterpart type used for immigration: ``"PREV_RES"`` (previous residence, the
            mirror of next residence; default) or ``"CITIZENSHIP"``. Rows of any other type,
            or with an aggregate counterpart (``_T``, ``_O``, ...), are rejected with a reason.

        Examples
        --------
        >>> base = {"sex": "_T", "age": "_T", "time_period": "2015"}
        >>> imm = pd.DataFrame([{**base, "measure": "IMM", "ref_area": "ESP",
        ...     "counterpart_area": "ITA", "counterpart_type": "PREV_RES", "obs_value": 17350.0}])
        >>> emi = pd.DataFrame([{**base, "measure": "EMI", "ref_area": "ITA",
        ...     "counterpart_area": "ESP", "counterpart_type": "NEXT_RES", "obs_value": 5003.0}])
        >>> t = MirrorTable.from_harmonised(imm, emi)
        >>> round(t.data.immigration.item() / t.data.emigration.item(), 3)
        3.468
        """
        parts = []
        frames = []
        for frame, name, ctype, measure in (
            (imm, "immigration", imm_counterpart.upper(), "IMM"),
            (emi, "emigration", "NEXT_RES", "EMI"),
        ):
            missing = [c for c in ("ref_area", "counterpart_area", "time_period") if c not in frame]
            value = "obs_value" if "obs_value" in frame else None
            if missing or value is None:
                raise InputError(
                    f"expected a harmonised {name} table with columns ref_area, "
                    f"counterpart_area, time_period, obs_value; missing {missing or ['obs_value']}"
                )
            frame = frame.reset_index(drop=True)
            long = pd.DataFrame(
                {
                    "reporter": frame["ref_area"],
                    "counterpart": frame["counterpart_area"],
                    "side": name,
                    "year": frame["time_period"].astype("string").str.slice(0, 4),
                    "value": frame[value],
                    "sex": frame.get("sex", "_T"),
                    "age": frame.get("age", "_T"),
                }
            )
            reason = _empty_reasons(frame.index)
            if "measure" in frame:
                _flag(reason, frame["measure"] != measure,
                      _texts(f"expected measure {measure} in the {name} table, got {{v!r}}",
                             frame["measure"]))  # fmt: skip
            if "counterpart_type" in frame:
                _flag(reason, frame["counterpart_type"].astype("string").str.upper() != ctype,
                      _texts(f"{name} pairs use counterpart_type {ctype}, got {{v!r}}",
                             frame["counterpart_type"]))  # fmt: skip
            special = frame["counterpart_area"].astype("string").str.startswith("_")
            _flag(reason, special, _texts("counterpart {v!r} is an aggregate, not a country; "
                  "a mirror table holds bilateral flows", frame["counterpart_area"]))  # fmt: skip
            long["pre_reason"] = reason
            long["input_label"] = name
            long["input_row"] = np.arange(len(frame))
            parts.append(long)
            frames.append(frame)
        both = pd.concat(parts, ignore_index=True)
        source = pd.concat(frames, ignore_index=True)
        return cls._assemble_long(both, source, offset=0, label="harmonised")

    @classmethod
    def _assemble_long(
        cls, long: pd.DataFrame, source: pd.DataFrame, *, offset: int, label: str
    ) -> MirrorTable:
        long = long.reset_index(drop=True)
        source = source.reset_index(drop=True)
        reporter = resolve_countries(long["reporter"])
        counterpart = resolve_countries(long["counterpart"])
        is_imm = (long["side"] == "immigration").to_numpy()
        year, _ = _number(long["year"])
        std = pd.DataFrame(
            {
                "origin": counterpart.where(is_imm, reporter),
                "destination": reporter.where(is_imm, counterpart),
                "year": year.where(year % 1 == 0),
                "sex": _sex(long["sex"]),
                "age": _age(long["age"]),
                "side": long["side"],
            }
        )
        raw_o = long["counterpart"].where(is_imm, long["reporter"])
        raw_d = long["reporter"].where(is_imm, long["counterpart"])
        reason = long["pre_reason"].copy() if "pre_reason" in long else _empty_reasons(long.index)
        common = _validate_common(std, raw_o, raw_d, long["year"])
        _flag(reason, common.notna(), common.to_numpy(dtype=object))
        number, unreadable = _number(long["value"])
        _flag(reason, unreadable, _texts("expected a count, got {v!r}", long["value"]))
        _flag(reason, number < 0, _texts("expected a count >= 0, got {v}", long["value"]))
        _flag(
            reason, std["side"].isna(), "cannot tell whether this row is immigration or emigration"
        )
        dup = std[[*KEY, "side"]].duplicated(keep=False) & reason.isna()
        _flag(reason, dup, "duplicate pair: the same (origin, destination, year, sex, age) and "
              "side appears on more than one row, so neither can be chosen")  # fmt: skip
        ok = reason.isna().to_numpy()
        clean = std.loc[ok].assign(value=number[ok])
        wide = clean.pivot_table(index=KEY, columns="side", values="value", aggfunc="first",
                                 dropna=False, observed=True)  # fmt: skip
        wide = wide.reindex(columns=["emigration", "immigration"])
        present = clean.groupby(KEY, observed=True).size().index
        wide = wide.reindex(present).reset_index()
        wide.columns.name = None
        if "input_row" in long:
            rows = long["input_row"].to_numpy()
            rejected = source.loc[~ok].copy()
            rejected.insert(0, "row", rows[~ok] + offset)
            rejected.insert(1, "input", long.loc[~ok, "input_label"].to_numpy())
            rejected["reason"] = reason[~ok].astype("string").to_numpy()
        else:
            rejected = _rejected(source, reason, offset, label)
        return cls(_finish(wide), rejected, len(long))

    # ------------------------------------------------------------------ enrichment
    def with_durations(self, imm_thresholds: Any, emi_thresholds: Any) -> MirrorTable:
        """Attach each reporter's duration threshold per pair and year.

        Parameters
        ----------
        imm_thresholds, emi_thresholds
            Paths or frames in the QuantMig format (``orig``, ``dest``, ``year``,
            ``min_duration_months``): the immigration table gives the threshold the
            destination used for arrivals from the origin, the emigration table the threshold
            the origin used for departures to the destination. Pairs without a row keep NA
            (never a silent 12 months); unreadable rows go to ``duration_rejected``.

        Examples
        --------
        >>> t = MirrorTable.from_eurostat(pd.DataFrame({"Year": [2015], "Sending_iso2": ["IT"],
        ...     "Receiving_iso2": ["ES"], "Emig": [5003], "Immi": [17350]}))
        >>> thr = pd.DataFrame({"orig": ["IT"], "dest": ["ES"], "year": [2015],
        ...                     "min_duration_months": [12]})
        >>> t.with_durations(thr, thr).data[["imm_threshold", "emi_threshold"]].iloc[0].tolist()
        [12.0, 12.0]
        """
        imm = read_duration_thresholds(imm_thresholds)
        emi = read_duration_thresholds(emi_thresholds)
        data = self.data.drop(columns=["imm_threshold", "emi_threshold"])
        keys = ["origin", "destination", "year"]
        data = data.merge(
            imm.data.rename(columns={"months": "imm_threshold"}), on=keys, how="left"
        ).merge(emi.data.rename(columns={"months": "emi_threshold"}), on=keys, how="left")
        rejected = pd.concat(
            [imm.rejected.assign(input="immigration thresholds"),
             emi.rejected.assign(input="emigration thresholds")],
            ignore_index=True,
        )  # fmt: skip
        return replace(self, data=data[list(MIRROR_COLUMNS)], duration_rejected=rejected)

    def with_classes(self, classes: Any) -> MirrorTable:
        """Attach undercount (and accuracy) classes per country.

        Parameters
        ----------
        classes
            The shared IMEM classes file (path or frame with ``Country``,
            ``Undercount.imm.IMEM``, ``Undercount.emi.IMEM``), or a frame with ``country`` and
            any of ``undercount_imm``, ``undercount_emi``, ``accuracy_imm``,
            ``accuracy_emi`` (e.g. QuantMig classes derived from source profiles). The
            destination's immigration classes and the origin's emigration classes are
            written on each pair; given classes replace those already in the table.

        Examples
        --------
        >>> t = MirrorTable.from_eurostat(pd.DataFrame({"Year": [2015], "Sending_iso2": ["IT"],
        ...     "Receiving_iso2": ["ES"], "Emig": [5003], "Immi": [17350]}))
        >>> c = pd.DataFrame({"country": ["ESP", "ITA"], "undercount_imm": ["low", "low"],
        ...                   "undercount_emi": ["high", "medium"]})
        >>> t.with_classes(c).data[["undercount_imm", "undercount_emi"]].iloc[0].tolist()
        ['low', 'medium']
        """
        frame, _ = read_csv(classes, what="undercount classes")
        if "Country" in frame.columns:
            frame = read_imem_classes(frame).data
        if "country" not in frame.columns:
            raise InputError(
                f"expected a column 'country' in the classes; got {list(frame.columns)}"
            )
        frame = frame.assign(country=resolve_countries(frame["country"]))
        data = self.data.copy()
        for column, role in (
            ("undercount_imm", "destination"),
            ("accuracy_imm", "destination"),
            ("undercount_emi", "origin"),
            ("accuracy_emi", "origin"),
        ):
            if column in frame.columns:
                lookup = pd.Series(
                    frame[column].astype("string").str.lower().to_numpy(), index=frame["country"]
                )
                data[column] = data[role].map(lookup).astype("string")
        return replace(self, data=data)

    def duration_corrected(self, table: str = "imem") -> MirrorTable:
        """Each side multiplied by R(d) of the threshold its reporter used (pair and year).

        Uses :func:`migdata.sources.duration.duration_factor`. A reported side whose threshold
        is unknown gets factor NA and becomes NA (it is not silently treated as 12 months);
        those cells are listed by :meth:`duration_gaps`. The reported values stay in columns
        ``emigration_reported``/``immigration_reported`` and the factors in
        ``emi_factor``/``imm_factor``.

        Examples
        --------
        >>> t = MirrorTable.from_eurostat(pd.DataFrame({"Year": [2015], "Sending_iso2": ["AT"],
        ...     "Receiving_iso2": ["ES"], "Emig": [962], "Immi": [1000]}))
        >>> thr_i = pd.DataFrame({"orig": ["AT"], "dest": ["ES"], "year": [2015],
        ...                       "min_duration_months": [12]})
        >>> thr_e = thr_i.assign(min_duration_months=3)
        >>> c = t.with_durations(thr_i, thr_e).duration_corrected()
        >>> round(c.data.emigration.item(), 2), c.data.immigration.item()
        (606.06, 1000.0)
        """
        data = self.data.copy()
        data["emi_factor"] = np.asarray(duration_factor(data["emi_threshold"], table), float)
        data["imm_factor"] = np.asarray(duration_factor(data["imm_threshold"], table), float)
        data["emigration_reported"] = data["emigration"]
        data["immigration_reported"] = data["immigration"]
        data["emigration"] = data["emigration"] * data["emi_factor"]
        data["immigration"] = data["immigration"] * data["imm_factor"]
        e, i = data["emigration"].notna().to_numpy(), data["immigration"].notna().to_numpy()
        data["reported_by"] = pd.array(
            np.select([e & i, e, i], ["both", "origin only", "destination only"], "none"),
            dtype="string",
        )
        return replace(self, data=data)

    def duration_gaps(self) -> pd.DataFrame:
        """Reported cells whose reporter's duration threshold is unknown (one row per side).

        Examples
        --------
        >>> t = MirrorTable.from_eurostat(pd.DataFrame({"Year": [2015], "Sending_iso2": ["IT"],
        ...     "Receiving_iso2": ["ES"], "Emig": [5003], "Immi": [17350]}))
        >>> t.duration_gaps()[["side", "reporter"]].to_numpy().tolist()
        [['emigration', 'ITA'], ['immigration', 'ESP']]
        """
        d = self.data
        emi = d.loc[d["emi_threshold"].isna() & d["emigration"].notna(), KEY].assign(
            side="emigration", reporter=lambda f: f["origin"]
        )
        imm = d.loc[d["imm_threshold"].isna() & d["immigration"].notna(), KEY].assign(
            side="immigration", reporter=lambda f: f["destination"]
        )
        return pd.concat([emi, imm], ignore_index=True)

    def with_estimates(
        self, results: Any, year: int | None = None, *, years: float = 1.0
    ) -> MirrorTable:
        """Add flows estimated from census stocks as a third kind of source.

        Parameters
        ----------
        results
            A :class:`~migdata.estimate.FlowsFromStocks` (regions must be countries) or a
            list of them; estimates already in the table for the same cells are replaced.
        year
            Year the estimates are filed under (default: the year the stock period ends).
        years
            Length of the period: the flows are divided by it (an annual average).

        Examples
        --------
        >>> from migdata.estimate import flows_from_stocks
        >>> s1 = pd.DataFrame({"birth": ["KEN", "UGA", "KEN"], "residence": ["KEN", "UGA", "UGA"],
        ...                    "stock": [100.0, 80.0, 0.0]})
        >>> s2 = s1.assign(stock=[90.0, 80.0, 10.0])
        >>> t = MirrorTable.from_eurostat(pd.DataFrame({"Year": [2015], "Sending_iso2": ["KE"],
        ...     "Receiving_iso2": ["UG"], "Emig": [7], "Immi": [12]}))
        >>> t = t.with_estimates(flows_from_stocks(s1, s2), year=2015)
        >>> t.sources()[["origin", "destination", "kind", "value"]].head(3)
          origin destination                     kind  value
        0    KEN         UGA       reported by origin    7.0
        1    KEN         UGA  reported by destination   12.0
        2    KEN         UGA     estimate from stocks   10.0
        """
        from migdata.estimate.join import ESTIMATE_COLUMNS, estimate_rows

        new = estimate_rows(results, year, years=years)
        old = self.estimates if len(self.estimates) else new.iloc[:0]
        keep = old.merge(new[KEY], on=KEY, how="left", indicator=True)["_merge"] == "left_only"
        both = pd.concat([old.loc[keep.to_numpy()], new], ignore_index=True)
        both = both[ESTIMATE_COLUMNS].sort_values(KEY, kind="stable").reset_index(drop=True)
        return replace(self, estimates=both)

    def sources(self) -> pd.DataFrame:
        """Every figure per corridor-cell with its ``kind`` (reported by origin, reported by
        destination, estimate from stocks), ``source``, ``method`` and ``value``."""
        from migdata.estimate.join import source_rows

        return source_rows(self.data, self.estimates)

    # ------------------------------------------------------------------ views
    @property
    def years(self) -> list[int]:
        """Years present in the table."""
        return sorted(int(y) for y in self.data["year"].unique())

    @property
    def countries(self) -> list[str]:
        """Alpha-3 codes of every country appearing as origin or destination."""
        return sorted(set(self.data["origin"]) | set(self.data["destination"]))

    def select(self, **equal: Any) -> MirrorTable:
        """Rows whose columns equal the given values (a scalar or a list of values).

        Examples
        --------
        >>> t = MirrorTable.from_eurostat(pd.DataFrame({"Year": [2014, 2015],
        ...     "Sending_iso2": ["IT", "IT"], "Receiving_iso2": ["ES", "ES"],
        ...     "Emig": [1, 2], "Immi": [3, 4]}))
        >>> t.select(year=2015).data.emigration.tolist()
        [2.0]
        """
        mask = np.ones(len(self.data), dtype=bool)
        for column, value in equal.items():
            values = value if isinstance(value, list | tuple | set) else [value]
            mask &= self.data[column].isin(list(values)).to_numpy()
        return replace(self, data=self.data.loc[mask].reset_index(drop=True))

    def both_sides(self) -> pd.DataFrame:
        """Rows of pairs reported by both the origin and the destination."""
        return self.data.loc[self.data["reported_by"] == "both"].reset_index(drop=True)

    def coverage(self) -> pd.DataFrame:
        """Count of pairs by year and who reported them.

        Examples
        --------
        >>> t = MirrorTable.from_eurostat(pd.DataFrame({"Year": [2015, 2015],
        ...     "Sending_iso2": ["IT", "FR"], "Receiving_iso2": ["ES", "ES"],
        ...     "Emig": [1, None], "Immi": [3, 4]}))
        >>> t.coverage().loc[2015].tolist()
        [1, 0, 1, 0]
        """
        counts = pd.crosstab(self.data["year"], self.data["reported_by"])
        return counts.reindex(columns=list(REPORTED_BY), fill_value=0)

    def _repr_html_(self) -> str:
        cov = self.coverage()
        both = self.data.loc[self.data["reported_by"] == "both"]
        reporters = sorted(set(both["origin"]) | set(both["destination"]))
        head = (
            f"<p><b>MirrorTable</b>: {len(self.data):,} corridor-cells, "
            f"{len(self.countries)} countries, years {self.years[0] if self.years else '-'}"
            f"&ndash;{self.years[-1] if self.years else '-'}; {len(both):,} reported by both "
            f"sides ({len(reporters)} countries report both sides); "
            f"{len(self.rejected):,} input rows rejected.</p>"
        )
        return (
            head
            + cov.to_html(border=0)
            + (
                ""
                if self.rejected.empty
                else "<p>First rejected rows:</p>"
                + self.rejected[["row", "reason"]].head(5).to_html(border=0, index=False)
            )
        )

    def __repr__(self) -> str:
        both = int((self.data["reported_by"] == "both").sum())
        years = f"{self.years[0]}-{self.years[-1]}" if self.years else "none"
        return (
            f"MirrorTable({len(self.data)} cells, {len(self.countries)} countries, "
            f"years {years}, {both} with both sides, "
            f"{len(self.rejected)} rejected)"
        )


def _long_sides(frame: pd.DataFrame, side: str | None) -> pd.Series:
    """Side of each row of a Eurostat long frame, from DATAFLOW, measure or ``side``."""
    if side is not None:
        key = str(side).strip().lower()
        if key not in ("immigration", "emigration"):
            raise InputError(f"side must be 'immigration' or 'emigration', got {side!r}")
        return pd.Series(key, index=frame.index, dtype="string")
    flow = _pick(frame, ("DATAFLOW", "dataflow"))
    measure = _pick(frame, ("measure",))
    if flow is not None:
        text = frame[flow].astype("string").str.upper()
    elif measure is not None:
        text = frame[measure].astype("string").str.upper()
    else:
        raise InputError(
            "cannot tell whether the Eurostat rows are immigration or emigration: expected a "
            "DATAFLOW column (MIGR_IMM*/MIGR_EMI*), a measure column (IMM/EMI) or side=..."
        )
    out = pd.Series(pd.NA, index=frame.index, dtype="string")
    out[text.str.contains("IMM", na=False).to_numpy()] = "immigration"
    out[text.str.contains("EMI", na=False).to_numpy()] = "emigration"
    return out
