"""``SourceProfile``: the facts about one national source that drive its harmonisation.

The questionnaire writes these facts, the compliance rules, the quality score and the
mirror reconciliation read them. Field code lists live in ``data/sources/profile_codes.yaml``.
"""

from __future__ import annotations

import dataclasses
import html
import json
import math
import re
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from migdata._checks import public
from migdata._resources import data_path
from migdata.errors import ConfigurationError, InputError
from migdata.sources.catalogue import source_type, source_type_keys

__all__ = ["SourceProfile", "profile_codes", "read_profiles", "write_profiles"]

_CODE = re.compile(r"^[a-z][a-z0-9_]*$")
_PERMANENT = 60.0
_YES_NO = {
    "yes": "yes",
    "y": "yes",
    "true": "yes",
    "oui": "yes",
    "sim": "yes",
    "1": "yes",
    "no": "no",
    "n": "no",
    "false": "no",
    "non": "no",
    "não": "no",
    "nao": "no",
    "0": "no",
    "unknown": "unknown",
    "dk": "unknown",
    "don't know": "unknown",
    "": "unknown",
}


@cache
def profile_codes() -> dict[str, tuple[str, ...]]:
    """Code lists of the profile fields (from ``data/sources/profile_codes.yaml``).

    Examples
    --------
    >>> profile_codes()["threshold_basis"]
    ('intended', 'observed', 'permit_validity', 'registration_rule', 'unknown')
    """
    raw = yaml.safe_load(data_path("sources", "profile_codes.yaml").read_text("utf-8"))
    return {k: tuple(str(v) for v in vs) for k, vs in raw.items()}


def _norm_code(value: Any) -> str:
    return str(value).strip().lower().replace("-", "_").replace(" ", "_")


def _choice(name: str, value: Any, allowed: tuple[str, ...]) -> str:
    code = _norm_code(value)
    if code not in allowed:
        raise InputError(
            f"field {name!r}: expected one of {', '.join(allowed)}, got {value!r}",
            column=name,
            value=value,
        )
    return code


def _months(name: str, value: Any) -> float | None:
    """A threshold in months: None, a number 0-60 or 'permanent' (60)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    if isinstance(value, str):
        text = value.strip().lower()
        if text in ("", "unknown", "none"):
            return None
        if text in ("permanent", "perm", "settlement"):
            return _PERMANENT
        try:
            value = float(text.replace(",", "."))
        except ValueError:
            raise InputError(
                f"field {name!r}: expected a number of months (0-60) or 'permanent', got {value!r}",
                column=name,
                value=value,
            ) from None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise InputError(
            f"field {name!r}: expected a number of months (0-60), got {value!r}",
            column=name,
            value=value,
        )
    months = float(value)
    if not 0 <= months <= _PERMANENT:
        raise InputError(
            f"field {name!r}: expected a number of months between 0 and 60 "
            f"(60 = permanent only), got {value!r}",
            column=name,
            value=value,
        )
    return months


def _optional_bool(name: str, value: Any) -> bool | None:
    if value is None or isinstance(value, bool):
        return value
    answer = _YES_NO.get(str(value).strip().lower())
    if answer is None:
        raise InputError(
            f"field {name!r}: expected yes/no (or nothing when unknown), got {value!r}",
            column=name,
            value=value,
        )
    return None if answer == "unknown" else answer == "yes"


def _code_list(name: str, value: Any, known: tuple[str, ...] | None) -> list[str]:
    """A list of codes; ``known`` None means any snake_case code is accepted."""
    if value is None:
        return []
    items = [value] if isinstance(value, str) else list(value)
    out: list[str] = []
    for item in items:
        code = str(item).strip().upper() if name == "measures" else _norm_code(item)
        if (known is not None and code not in known) or (known is None and not _CODE.match(code)):
            expected = ", ".join(known) if known is not None else "snake_case codes"
            raise InputError(
                f"field {name!r}: expected {expected}, got {item!r}", column=name, value=item
            )
        if code not in out:
            out.append(code)
    return out


def _rules(name: str, value: Any, keys: tuple[str, ...]) -> dict[str, str]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise InputError(
            f"field {name!r}: expected a mapping of {', '.join(keys)} to yes/no/unknown, "
            f"got {value!r}",
            column=name,
            value=value,
        )
    out: dict[str, str] = {}
    for key, answer in value.items():
        k = _norm_code(key)
        if k not in keys:
            raise InputError(
                f"field {name!r}: expected keys {', '.join(keys)}, got {key!r}",
                column=name,
                value=key,
            )
        text = "yes" if answer is True else "no" if answer is False else answer
        code = _YES_NO.get(str("" if text is None else text).strip().lower())
        if code is None:
            raise InputError(
                f"field '{name}.{k}': expected yes, no or unknown, got {answer!r}",
                column=f"{name}.{k}",
                value=answer,
            )
        out[k] = code
    return {k: out[k] for k in keys if k in out}


def _year(name: str, value: Any) -> int | None:
    if value is None or value == "":
        return None
    try:
        year = int(str(value).strip())
    except ValueError:
        raise InputError(
            f"field {name!r}: expected a year such as 2015, got {value!r}",
            column=name,
            value=value,
        ) from None
    if not 1800 <= year <= 2200:
        raise InputError(
            f"field {name!r}: expected a year between 1800 and 2200, got {value!r}",
            column=name,
            value=value,
        )
    return year


@dataclass
class SourceProfile:
    """Facts about one national data source (the contract between questionnaire and
    harmonisation).

    Values are checked and normalised when the profile is made (codes lower-cased,
    ``"permanent"`` -> 60 months, ``"Yes"`` -> ``"yes"``, a country name -> ISO alpha-3); a
    value that cannot be used raises :class:`~migdata.errors.InputError` naming the field.
    After changing an attribute, call :meth:`validate` (or use :meth:`replace`).

    Attributes
    ----------
    source_id
        Unique identifier, e.g. ``"RWA-CEN-2012"``.
    country
        ISO 3166-1 alpha-3 of the reporting country (names and other codes are resolved).
    source_type
        Key of the catalogue (:func:`migdata.sources.catalogue.source_types`).
    name
        Name of the source as the office calls it.
    measures
        Harmonised measures produced: IMM, EMI, STK, NAB, RP_FIRST, RP_VALID, VISA.
    statistical_unit
        person, event, crossing, document or household.
    residence_concept
        usual, legal, registered, de_facto or unknown.
    threshold_months
        Minimum duration of stay in months: None unknown, 0 no minimum, 60 permanent only.
    threshold_nationals, threshold_foreigners
        When the threshold differs for nationals and foreigners (None = same as
        ``threshold_months``).
    threshold_basis
        What the duration is measured on: intended, observed, permit_validity,
        registration_rule or unknown.
    records_purpose, records_continuous_duration
        Whether the purpose of stay / a continuous duration is recorded (None unknown).
    coverage
        Population groups covered (nationals, foreigners, refugees, asylum_seekers,
        irregular, students, workers, institutional, nomadic, diplomats).
    coverage_complete
        Whether the source covers the whole resident population of interest.
    registration
        Registers: ``obligation``, ``time_limit``, ``sanctions`` -> yes/no/unknown.
    deregistration
        Registers: ``obligation``, ``obligation_third_country``, ``monitoring``,
        ``administrative_corrections`` -> yes/no/unknown.
    variables
        Variables recorded (sex, age, citizenship, country_of_birth, ...).
    breaks
        Breaks in series: ``[{"year": 2012, "description": "..."}]``.
    valid_from, valid_to
        Years during which these facts hold.
    timeliness_months
        Lag from the end of the reference period to first release.
    notes
        Free text.

    Examples
    --------
    >>> p = SourceProfile(source_id="RWA-REG", country="Rwanda",
    ...                   source_type="population_register", measures=["IMM", "EMI"],
    ...                   threshold_months=6, threshold_basis="registration_rule",
    ...                   deregistration={"obligation": "No"})
    >>> p.country, p.deregistration
    ('RWA', {'obligation': 'no'})
    >>> SourceProfile.from_yaml(p.to_yaml()) == p
    True
    >>> SourceProfile(source_id="X", country="RWA", source_type="census",
    ...               threshold_months="a year")
    Traceback (most recent call last):
    ...
    migdata.errors.InputError: column 'threshold_months': field 'threshold_months': expected ...
    """

    source_id: str
    country: str
    source_type: str
    name: str = ""
    measures: list[str] = field(default_factory=list)
    statistical_unit: str = "person"
    residence_concept: str = "unknown"
    threshold_months: float | None = None
    threshold_nationals: float | None = None
    threshold_foreigners: float | None = None
    threshold_basis: str = "unknown"
    records_purpose: bool | None = None
    records_continuous_duration: bool | None = None
    coverage: list[str] = field(default_factory=list)
    coverage_complete: bool | None = None
    registration: dict[str, str] = field(default_factory=dict)
    deregistration: dict[str, str] = field(default_factory=dict)
    variables: list[str] = field(default_factory=list)
    breaks: list[dict[str, Any]] = field(default_factory=list)
    valid_from: int | None = None
    valid_to: int | None = None
    timeliness_months: float | None = None
    notes: str = ""

    def __post_init__(self) -> None:
        self.validate()

    # -- validation -------------------------------------------------------------------
    def validate(self) -> SourceProfile:
        """Check and normalise every field in place; return the profile.

        Raises
        ------
        InputError
            A field value that cannot be used; ``column`` names the field.

        Examples
        --------
        >>> p = SourceProfile(source_id="KEN-CEN-2019", country="KEN", source_type="census")
        >>> p.threshold_months = "permanent"
        >>> p.validate().threshold_months
        60.0
        """
        codes = profile_codes()
        sid = "" if self.source_id is None else str(self.source_id).strip()
        if not sid:
            raise InputError(
                "field 'source_id': expected a non-empty identifier such as 'RWA-CEN-2012', "
                f"got {self.source_id!r}",
                column="source_id",
                value=self.source_id,
            )
        self.source_id = sid
        self.country = self._country(self.country)
        try:
            self.source_type = source_type(str(self.source_type)).key
        except ConfigurationError:
            raise InputError(
                f"field 'source_type': expected one of {', '.join(source_type_keys())}, "
                f"got {self.source_type!r}",
                column="source_type",
                value=self.source_type,
            ) from None
        self.name = "" if self.name is None else str(self.name)
        self.measures = _code_list("measures", self.measures, codes["measures"])
        self.statistical_unit = _choice(
            "statistical_unit", self.statistical_unit, codes["statistical_unit"]
        )
        self.residence_concept = _choice(
            "residence_concept", self.residence_concept, codes["residence_concept"]
        )
        self.threshold_months = _months("threshold_months", self.threshold_months)
        self.threshold_nationals = _months("threshold_nationals", self.threshold_nationals)
        self.threshold_foreigners = _months("threshold_foreigners", self.threshold_foreigners)
        self.threshold_basis = _choice(
            "threshold_basis", self.threshold_basis, codes["threshold_basis"]
        )
        self.records_purpose = _optional_bool("records_purpose", self.records_purpose)
        self.records_continuous_duration = _optional_bool(
            "records_continuous_duration", self.records_continuous_duration
        )
        self.coverage = _code_list("coverage", self.coverage, None)
        self.coverage_complete = _optional_bool("coverage_complete", self.coverage_complete)
        self.registration = _rules("registration", self.registration, codes["registration_keys"])
        self.deregistration = _rules(
            "deregistration", self.deregistration, codes["deregistration_keys"]
        )
        self.variables = _code_list("variables", self.variables, None)
        self.breaks = self._breaks(self.breaks)
        self.valid_from = _year("valid_from", self.valid_from)
        self.valid_to = _year("valid_to", self.valid_to)
        if (
            self.valid_from is not None
            and self.valid_to is not None
            and self.valid_from > self.valid_to
        ):
            raise InputError(
                f"field 'valid_to': expected a year on or after valid_from ({self.valid_from}), "
                f"got {self.valid_to}",
                column="valid_to",
                value=self.valid_to,
            )
        self.timeliness_months = self._nonnegative("timeliness_months", self.timeliness_months)
        self.notes = "" if self.notes is None else str(self.notes)
        return self

    @staticmethod
    def _country(value: Any) -> str:
        text = "" if value is None else str(value).strip()
        if re.fullmatch(r"[A-Z]{3}", text):
            return text
        # Imported here: ``countries`` is a lower layer, but its rewrite is in progress and
        # only ``resolve`` is part of its contract.
        from migdata.countries import resolve

        code = resolve(text) if text else None
        if code is None or not re.fullmatch(r"[A-Z]{3}", str(code)):
            raise InputError(
                "field 'country': expected an ISO 3166-1 alpha-3 code or a country name, "
                f"got {value!r}",
                column="country",
                value=value,
            )
        return str(code)

    @staticmethod
    def _nonnegative(name: str, value: Any) -> float | None:
        if value is None:
            return None
        try:
            number = float(value)
        except (TypeError, ValueError):
            raise InputError(
                f"field {name!r}: expected a number of months, got {value!r}",
                column=name,
                value=value,
            ) from None
        if math.isnan(number):
            return None
        if number < 0:
            raise InputError(
                f"field {name!r}: expected 0 months or more, got {value!r}",
                column=name,
                value=value,
            )
        return number

    @staticmethod
    def _breaks(value: Any) -> list[dict[str, Any]]:
        if value is None:
            return []
        if isinstance(value, dict | str):
            value = [value]
        out: list[dict[str, Any]] = []
        for item in value:
            if not isinstance(item, dict) or "year" not in item:
                raise InputError(
                    "field 'breaks': expected entries like {'year': 2012, 'description': "
                    f"'...'}}, got {item!r}",
                    column="breaks",
                    value=item,
                )
            year = _year("breaks", item["year"])
            out.append({**item, "year": year, "description": str(item.get("description", ""))})
        return sorted(out, key=lambda b: (b["year"] is None, b["year"] or 0))

    # -- derived facts -------------------------------------------------------------------
    def threshold_for(self, group: str) -> float | None:
        """Duration threshold in months applying to ``"nationals"`` or ``"foreigners"``.

        Examples
        --------
        >>> p = SourceProfile(source_id="X", country="RWA", source_type="population_register",
        ...                   threshold_months=12, threshold_foreigners=3)
        >>> p.threshold_for("nationals"), p.threshold_for("foreigners")
        (12.0, 3.0)
        """
        if group == "nationals":
            specific = self.threshold_nationals
        elif group == "foreigners":
            specific = self.threshold_foreigners
        else:
            raise ConfigurationError(
                f"unknown group {group!r}; expected 'nationals' or 'foreigners'"
            )
        return self.threshold_months if specific is None else specific

    @property
    def thresholds_differ(self) -> bool:
        """True when nationals and foreigners are counted under different thresholds."""
        return self.threshold_for("nationals") != self.threshold_for("foreigners")

    def replace(self, **changes: Any) -> SourceProfile:
        """A copy with some fields changed (validated).

        Examples
        --------
        >>> p = SourceProfile(source_id="X", country="RWA", source_type="census")
        >>> p.replace(threshold_months=6).threshold_months
        6.0
        """
        return dataclasses.replace(self, **changes)

    # -- serialisation --------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        """Plain dict of the fields (JSON and YAML safe).

        Examples
        --------
        >>> SourceProfile(source_id="X", country="RWA", source_type="census").to_dict()["country"]
        'RWA'
        """
        return json.loads(json.dumps(dataclasses.asdict(self)))

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> SourceProfile:
        """A profile from a dict; unknown keys are an error naming the key.

        Examples
        --------
        >>> SourceProfile.from_dict({"source_id": "X", "country": "RWA",
        ...                          "source_type": "census", "treshold_months": 12})
        Traceback (most recent call last):
        ...
        migdata.errors.InputError: column 'treshold_months': unknown field 'treshold_months'; ...
        """
        if not isinstance(data, dict):
            raise InputError(f"expected a mapping of profile fields, got {type(data).__name__}")
        names = [f.name for f in dataclasses.fields(cls)]
        unknown = [k for k in data if k not in names]
        if unknown:
            raise InputError(
                f"unknown field {unknown[0]!r}; expected one of {', '.join(names)}",
                column=str(unknown[0]),
                value=data[unknown[0]],
            )
        missing = [k for k in ("source_id", "country", "source_type") if k not in data]
        if missing:
            raise InputError(
                f"missing field {missing[0]!r}: every profile needs source_id, country and "
                "source_type",
                column=missing[0],
            )
        return cls(**data)

    def to_json(self, path: str | Path | None = None) -> str:
        """The profile as JSON text (written to ``path`` when given).

        Examples
        --------
        >>> p = SourceProfile(source_id="X", country="RWA", source_type="census")
        >>> SourceProfile.from_json(p.to_json()) == p
        True
        """
        text = json.dumps(self.to_dict(), ensure_ascii=False, indent=2) + "\n"
        if path is not None:
            Path(path).write_text(text, encoding="utf-8")
        return text

    @classmethod
    def from_json(cls, text_or_path: str | Path) -> SourceProfile:
        """A profile from JSON text or a JSON file."""
        return cls.from_dict(_load(text_or_path, json.loads, "JSON"))

    def to_yaml(self, path: str | Path | None = None) -> str:
        """The profile as YAML text (written to ``path`` when given).

        Examples
        --------
        >>> p = SourceProfile(source_id="X", country="RWA", source_type="census")
        >>> print(p.to_yaml().splitlines()[0])
        source_id: X
        """
        text = yaml.safe_dump(self.to_dict(), allow_unicode=True, sort_keys=False)
        if path is not None:
            Path(path).write_text(text, encoding="utf-8")
        return str(text)

    @classmethod
    def from_yaml(cls, text_or_path: str | Path) -> SourceProfile:
        """A profile from YAML text or a YAML file."""
        return cls.from_dict(_load(text_or_path, yaml.safe_load, "YAML"))

    # -- display --------------------------------------------------------------------------
    def _repr_html_(self) -> str:
        st = source_type(self.source_type)

        def months(v: float | None) -> str:
            if v is None:
                return "unknown"
            return "permanent only" if v >= _PERMANENT else f"{v:g} months"

        threshold = months(self.threshold_months)
        if self.thresholds_differ:
            threshold += (
                f" (nationals {months(self.threshold_for('nationals'))}, "
                f"foreigners {months(self.threshold_for('foreigners'))})"
            )
        rows: list[tuple[str, str]] = [
            ("country", self.country),
            ("type", f"{st.label} ({self.source_type})"),
            ("measures", ", ".join(self.measures) or "-"),
            ("unit", self.statistical_unit),
            ("residence concept", self.residence_concept),
            ("duration threshold", f"{threshold}, basis {self.threshold_basis}"),
            ("coverage", ", ".join(self.coverage) or "-"),
            (
                "coverage complete",
                {True: "yes", False: "no", None: "unknown"}[self.coverage_complete],
            ),
            ("variables", ", ".join(self.variables) or "-"),
        ]
        if self.registration:
            rows.append(("registration", _rules_text(self.registration)))
        if self.deregistration:
            rows.append(("deregistration", _rules_text(self.deregistration)))
        if self.breaks:
            rows.append(
                ("breaks", "; ".join(f"{b['year']}: {b['description']}" for b in self.breaks))
            )
        if self.valid_from is not None or self.valid_to is not None:
            rows.append(("valid", f"{self.valid_from or '…'}–{self.valid_to or '…'}"))
        if self.timeliness_months is not None:
            rows.append(("timeliness", f"{self.timeliness_months:g} months"))
        if self.notes:
            rows.append(("notes", self.notes))
        body = "".join(
            f"<tr><th style='text-align:left'>{html.escape(k)}</th>"
            f"<td style='text-align:left'>{html.escape(v)}</td></tr>"
            for k, v in rows
        )
        title = html.escape(self.source_id + (f" — {self.name}" if self.name else ""))
        return f"<table><caption><b>{title}</b></caption>{body}</table>"


def _rules_text(rules: dict[str, str]) -> str:
    return ", ".join(f"{k.replace('_', ' ')}: {v}" for k, v in rules.items())


def _load(text_or_path: str | Path, parse: Any, kind: str) -> Any:
    path: Path | None = None
    if isinstance(text_or_path, Path):
        path = text_or_path
    elif "\n" not in text_or_path and len(text_or_path) < 1024:
        candidate = Path(text_or_path)
        if candidate.suffix.lower() in (".yaml", ".yml", ".json") or candidate.is_file():
            path = candidate
    if path is not None:
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as exc:
            raise InputError(f"cannot read the profile file: {exc}", file=str(path)) from None
    else:
        text = str(text_or_path)
    try:
        return parse(text)
    except (ValueError, yaml.YAMLError) as exc:
        raise InputError(
            f"expected {kind} describing a source profile; it does not parse: {exc}",
            file=None if path is None else str(path),
        ) from None


@public
def read_profiles(path: str | Path) -> list[SourceProfile]:
    """Profiles from a YAML or JSON file holding one profile or a list of them.

    Raises
    ------
    InputError
        The file does not parse, or a profile is invalid (the message names its position
        and field), or two profiles share a ``source_id``.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> ps = [SourceProfile(source_id=s, country="RWA", source_type="census") for s in "AB"]
    >>> _ = write_profiles(ps, d / "p.yaml")
    >>> [p.source_id for p in read_profiles(d / "p.yaml")]
    ['A', 'B']
    """
    path = Path(path)
    parse = json.loads if path.suffix.lower() == ".json" else yaml.safe_load
    data = _load(path, parse, "JSON" if parse is json.loads else "YAML")
    items = data if isinstance(data, list) else [data]
    out: list[SourceProfile] = []
    for i, item in enumerate(items, start=1):
        try:
            out.append(SourceProfile.from_dict(item))
        except InputError as exc:
            raise InputError(
                exc.reason, file=str(path), item=f"profile {i}", column=exc.column, value=exc.value
            ) from None
    ids = [p.source_id for p in out]
    dupes = sorted({i for i in ids if ids.count(i) > 1})
    if dupes:
        raise InputError(
            f"expected unique source_id values, got {', '.join(dupes)} more than once",
            file=str(path),
            column="source_id",
        )
    return out


def write_profiles(profiles: list[SourceProfile], path: str | Path) -> Path:
    """Write profiles as a YAML (or, by suffix, JSON) list; returns the path.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = SourceProfile(source_id="A", country="RWA", source_type="census")
    >>> write_profiles([p], pathlib.Path(tempfile.mkdtemp()) / "p.json").suffix
    '.json'
    """
    path = Path(path)
    data = [p.to_dict() for p in profiles]
    if path.suffix.lower() == ".json":
        text = json.dumps(data, ensure_ascii=False, indent=2) + "\n"
    else:
        text = yaml.safe_dump(data, allow_unicode=True, sort_keys=False)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path
