"""Compliance of a source's statistics with a target definition (UN 1998, UN 2021, EU 862).

Owns the rules of DOMAIN.md section 3: the class from the source's duration threshold and its
basis, the flags that feed accuracy (coverage, administrative basis, register undercount, with
the one implementation of the QuantMig sub-scores) and the sentence that explains them. Words
live in ``data/sources/compliance.yaml``, the QuantMig weights in ``register_undercount.csv``.
"""

from __future__ import annotations

import html
import importlib
from dataclasses import dataclass, field
from enum import StrEnum
from functools import cache
from typing import Any

import numpy as np
import pandas as pd
import yaml

from migdata._checks import public
from migdata._resources import data_path
from migdata.errors import ConfigurationError, InputError
from migdata.sources.catalogue import source_type
from migdata.sources.profile import SourceProfile

__all__ = [
    "DEREGISTRATION_KEYS",
    "REGISTRATION_KEYS",
    "UNDERCOUNT_CUTS",
    "Compliance",
    "ComplianceClass",
    "TargetFacts",
    "compliance",
    "compliance_table",
    "emigration_undercount",
    "immigration_undercount",
    "register_undercount",
    "register_weights",
    "target_facts",
    "undercount_class",
    "yes_no",
]

_PERMANENT = 60.0


class ComplianceClass(StrEnum):
    """How a statistic relates to the target definition (strings accepted, any case)."""

    MATCH = "MATCH"
    PROXY = "PROXY"
    APPROXIMATE = "APPROXIMATE"
    OVER_INCLUSIVE = "OVER_INCLUSIVE"
    UNDER_INCLUSIVE = "UNDER_INCLUSIVE"
    UNDETERMINED = "UNDETERMINED"

    @classmethod
    def _missing_(cls, value: object) -> ComplianceClass | None:
        key = str(value).strip().upper().replace("-", "_").replace(" ", "_")
        return cls.__members__.get(key)

    @property
    def severity(self) -> int:
        """Distance from the target: 0 match ... 4 undetermined (used to pick the worse)."""
        return _SEVERITY[self]

    @property
    def inclusiveness(self) -> int | None:
        """-2 over-inclusive, -1 approximate, 0 match/proxy, +1 under-inclusive, None
        undetermined: non-decreasing in the source's threshold."""
        return _INCLUSIVENESS[self]

    def __str__(self) -> str:
        return self.value


_CLASS_NEEDS_CORRECTION = ("APPROXIMATE", "OVER_INCLUSIVE", "UNDER_INCLUSIVE")
"""Classes whose figures a duration factor brings closer to the target."""

_SEVERITY = {
    ComplianceClass.MATCH: 0,
    ComplianceClass.PROXY: 1,
    ComplianceClass.APPROXIMATE: 2,
    ComplianceClass.OVER_INCLUSIVE: 3,
    ComplianceClass.UNDER_INCLUSIVE: 3,
    ComplianceClass.UNDETERMINED: 4,
}
_INCLUSIVENESS: dict[ComplianceClass, int | None] = {
    ComplianceClass.OVER_INCLUSIVE: -2,
    ComplianceClass.APPROXIMATE: -1,
    ComplianceClass.MATCH: 0,
    ComplianceClass.PROXY: 0,
    ComplianceClass.UNDER_INCLUSIVE: 1,
    ComplianceClass.UNDETERMINED: None,
}


@dataclass(frozen=True)
class TargetFacts:
    """What the compliance rules need to know about a target definition."""

    name: str
    label: str
    threshold_months: float
    accepts_intended: bool
    accepts_registration: bool


# Used only when neither ``migdata.standards`` nor its data file is installed; the facts
# follow DOMAIN.md section 2 and the standards data (definitions.yaml).
_FALLBACK_TARGETS = {
    "UN1998": TargetFacts("UN1998", "UN 1998", 12.0, True, False),
    "UN2021_12M": TargetFacts("UN2021_12M", "UN 2021", 12.0, True, False),
    "UN2021_6M1D": TargetFacts("UN2021_6M1D", "UN 2021", 6.0, True, False),
    "EU862": TargetFacts("EU862", "EU 862/2007", 12.0, True, True),
}


def _unknown(target: Any, names: Any) -> ConfigurationError:
    return ConfigurationError(
        f"unknown target definition {target!r}; expected one of {', '.join(names)}"
    )


def target_facts(target: Any) -> TargetFacts:
    """Threshold and accepted bases of a target definition.

    The facts come from :mod:`migdata.standards` (its ``target(name)``, or its data file
    ``data/standards/definitions.yaml``). A target with an alternative residence rule (UN
    2021 "six months and one day") is matched on the shorter rule: a source counting stays
    of six months or more measures what that target asks.

    Parameters
    ----------
    target
        A target name (``"UN1998"``, ``"UN2021_12M"``, ``"UN2021_6M1D"``, ``"EU862"``, any
        case), a target object of :mod:`migdata.standards`, or :class:`TargetFacts`.

    Raises
    ------
    ConfigurationError
        An unknown target.

    Examples
    --------
    >>> t = target_facts("eu862")
    >>> t.threshold_months, t.accepts_registration
    (12.0, True)
    >>> target_facts("UN2021_6M1D").threshold_months
    6.0
    """
    if isinstance(target, TargetFacts):
        return target
    if hasattr(target, "threshold_months") and not isinstance(target, str):
        return _from_standard(target)
    name = str(getattr(target, "value", target)).strip().upper().replace("-", "_")
    name = name.replace(" ", "_")
    try:  # ``migdata.standards`` owns the target definitions
        standards: Any = importlib.import_module("migdata.standards")
    except ImportError:
        standards = None
    if standards is not None and hasattr(standards, "target"):
        try:
            return _from_standard(standards.target(name))
        except (KeyError, ValueError, LookupError) as exc:
            raise _unknown(target, _FALLBACK_TARGETS) from exc
    defined = _defined_targets()
    if name not in defined:
        raise _unknown(target, defined)
    return defined[name]


@cache
def _defined_targets() -> dict[str, TargetFacts]:
    path = data_path("standards", "definitions.yaml")
    if not path.is_file():
        return dict(_FALLBACK_TARGETS)
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))["targets"]
    return {name: _from_standard({"name": name, **entry}) for name, entry in raw.items()}


def _from_standard(obj: Any) -> TargetFacts:
    def get(key: str, default: Any = None) -> Any:
        if isinstance(obj, dict):
            return obj.get(key, default)
        return getattr(obj, key, default)

    name = str(get("name", None) or get("code", None) or get("id", ""))
    threshold = get("threshold_months")
    alternative = get("alternative_months")
    goal = float(alternative if alternative is not None else threshold)
    short = _words()["target_names"].get(name, name)
    return TargetFacts(
        name=name,
        label=str(short),
        threshold_months=goal,
        accepts_intended=bool(get("accepts_intended", False)),
        accepts_registration=bool(get("accepts_registration", False)),
    )


@cache
def _words() -> dict[str, Any]:
    raw: dict[str, Any] = yaml.safe_load(
        data_path("sources", "compliance.yaml").read_text(encoding="utf-8")
    )
    return raw


@dataclass(frozen=True)
class Compliance:
    """The compliance of one source's statistic with one target definition.

    Attributes
    ----------
    cls
        The class (:class:`ComplianceClass`).
    flags
        Sorted flag names that do not change the class but feed accuracy
        (``partial_coverage``, ``administrative_basis``, ``intended_basis``,
        ``basis_unknown``, ``emigration_undercount``, ``immigration_undercount``,
        ``nationals_foreigners_differ``, ``not_persons``, ``measure_not_covered``).
    reason
        One sentence a statistician can read.
    target
        Target name.
    source_id
        Source of the profile.
    threshold_months
        The threshold the class was decided on (the worse group's when they differ).
    groups
        Class per group (``nationals``, ``foreigners``) when their thresholds differ.
    """

    cls: ComplianceClass
    flags: tuple[str, ...] = ()
    reason: str = ""
    target: str = ""
    source_id: str = ""
    threshold_months: float | None = None
    groups: dict[str, ComplianceClass] = field(default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "cls", ComplianceClass(self.cls))
        object.__setattr__(self, "flags", tuple(sorted(set(self.flags))))

    @property
    def needs_duration_correction(self) -> bool:
        """True when a duration factor R(threshold) brings the figure closer to the target."""
        return (
            self.cls
            in (
                ComplianceClass.APPROXIMATE,
                ComplianceClass.OVER_INCLUSIVE,
                ComplianceClass.UNDER_INCLUSIVE,
            )
            and self.threshold_months is not None
        )

    def to_dict(self) -> dict[str, Any]:
        """Plain dict (class as its string, flags joined by spaces)."""
        return {
            "source_id": self.source_id,
            "target": self.target,
            "compliance": self.cls.value,
            "threshold_months": self.threshold_months,
            "flags": " ".join(self.flags),
            "reason": self.reason,
        }

    def _repr_html_(self) -> str:
        colour = {0: "#1a7f37", 1: "#1a7f37", 2: "#9a6700", 3: "#cf222e", 4: "#57606a"}[
            self.cls.severity
        ]
        flags = ", ".join(self.flags) or "none"
        return (
            f"<div><b>{html.escape(self.source_id)}</b> against <b>{html.escape(self.target)}"
            f"</b>: <span style='color:{colour}'><b>{self.cls.value}</b></span>"
            f"<br>flags: {html.escape(flags)}<br><i>{html.escape(self.reason)}</i></div>"
        )


REGISTRATION_KEYS = ("obligation", "time_limit", "sanctions")
"""Keys of ``SourceProfile.registration`` scored by the immigration sub-score u_I."""
DEREGISTRATION_KEYS = (
    "obligation",
    "obligation_third_country",
    "monitoring",
    "administrative_corrections",
)
"""Keys of ``SourceProfile.deregistration`` scored by the emigration sub-score u_E."""
UNDERCOUNT_CUTS = (0.25, 0.75)
"""u < 0.25 low, 0.25 <= u < 0.75 medium, u >= 0.75 high undercount."""

# Answers as typed in any of the four languages (and the QuantMig files' Yes/No/Unknown).
_YES = {"yes", "y", "true", "1", "oui", "sim", "نعم"}
_NO = {"no", "n", "false", "0", "non", "não", "nao", "لا"}


@cache
def _register_weights() -> pd.DataFrame:
    table = pd.read_csv(
        data_path("sources", "register_undercount.csv"), comment="#", dtype=str
    ).fillna("")
    table["weight"] = table["weight"].astype(float)
    return table


@cache
def _weight_vector(side: str) -> tuple[float, ...]:
    """Weights of one side in the order of REGISTRATION_KEYS / DEREGISTRATION_KEYS."""
    table = _register_weights()
    side_rows = table[table["side"] == side]
    by_key = dict(zip(side_rows["key"], side_rows["weight"], strict=True))
    keys = REGISTRATION_KEYS if side == "I" else DEREGISTRATION_KEYS
    return tuple(by_key[k] for k in keys)


def register_weights() -> pd.DataFrame:
    """The weights of the QuantMig register sub-scores (data file ``register_undercount.csv``).

    Returns
    -------
    DataFrame
        Columns ``side`` (``I`` immigration, ``E`` emigration), ``key`` (the field of
        ``SourceProfile.registration`` / ``.deregistration``), ``weight``, ``column`` (its
        header in the shared QuantMig rules files, empty when absent) and ``meaning``.

    Examples
    --------
    >>> w = register_weights()
    >>> dict(zip(w.loc[w.side == "E", "key"], w.loc[w.side == "E", "weight"]))["obligation"]
    0.5
    """
    return _register_weights().copy()


def _one_yes_no(value: Any) -> str:
    if isinstance(value, bool | np.bool_):
        return "yes" if value else "no"
    if value is None or value is pd.NA or (isinstance(value, float) and np.isnan(value)):
        return "unknown"
    text = str(value).strip().lower()
    return "yes" if text in _YES else "no" if text in _NO else "unknown"


def yes_no(values: Any) -> pd.Series:
    """Normalise answers to ``"yes"``, ``"no"`` or ``"unknown"`` (anything else, missing too).

    Booleans and the answers in English, French, Portuguese and Arabic are understood
    (``Oui``, ``Não``, ``نعم``, ...), case and surrounding spaces ignored.

    Parameters
    ----------
    values
        A scalar or an array-like of answers.

    Returns
    -------
    Series of string
        One normalised answer per input value (a scalar gives a Series of one).

    Examples
    --------
    >>> yes_no(["Oui", " NO ", True, None, "maybe"]).tolist()
    ['yes', 'no', 'yes', 'unknown', 'unknown']
    """
    s = pd.Series(np.asarray(values, dtype=object).ravel(), dtype=object)
    # Few distinct spellings, many rows: normalise each distinct value once.
    codes, uniques = pd.factorize(s, use_na_sentinel=True)
    mapped = np.array([_one_yes_no(u) for u in uniques] + ["unknown"], dtype=object)
    return pd.Series(mapped[codes], dtype="string")


def _answer_matrix(values: tuple[Any, ...], names: tuple[str, ...]) -> tuple[np.ndarray, bool]:
    """Answers as a (facts x n) array of 'yes'/'no'/'unknown', and whether all were scalars."""
    scalar = all(v is None or np.ndim(v) == 0 for v in values)
    if scalar:  # one source: no pandas round trip (compliance() calls this per profile)
        return np.array([[_one_yes_no(v)] for v in values], dtype=object), True
    n = max(len(np.atleast_1d(np.asarray(v, dtype=object))) for v in values if v is not None)
    rows = []
    for key, v in zip(names, values, strict=True):
        s = np.full(n, "unknown", dtype=object) if v is None else yes_no(v).to_numpy(dtype=object)
        if len(s) == 1 and n > 1:
            s = np.full(n, s[0], dtype=object)
        if len(s) != n:
            raise InputError(
                f"expected {n} answers (one per source, as many as the longest fact), got {len(s)}",
                column=key,
            )
        rows.append(s)
    return np.vstack(rows), False


def _weighted_sum(weights: tuple[float, ...], hits: np.ndarray) -> np.ndarray:
    """sum_j w_j hits_j, added fact by fact in key order.

    Not a matrix product: BLAS may group the additions differently for one source and for
    many, and a source's score must not change by an ulp with the batch it is scored in.
    """
    total = np.zeros(hits.shape[1])
    for w, row in zip(weights, hits, strict=True):
        total = total + w * row
    return total


def immigration_undercount(obligation: Any, time_limit: Any = None, sanctions: Any = None) -> Any:
    """Immigration undercount sub-score u_I from the registration rules (QuantMig).

    u_I = [no registration obligation] + 0.5 [no time limit] + 0.5 [no sanctions], capped
    at 1 (DOMAIN.md section 4; weights in ``data/sources/register_undercount.csv``). Only a
    "no" counts; "unknown" adds nothing, and a source with every rule unknown gets NaN
    (nothing to score on).

    Parameters
    ----------
    obligation, time_limit, sanctions
        "yes"/"no"/"unknown" (also booleans and the answers in fr/pt/ar), scalars or
        array-likes of one length (a length-1 array-like is broadcast).

    Returns
    -------
    float or ndarray
        In [0, 1] or NaN; a float when every argument is a scalar.

    Raises
    ------
    InputError
        Array-likes of different lengths.

    Examples
    --------
    >>> immigration_undercount("yes", "no", "unknown")
    0.5
    >>> immigration_undercount(["no", "yes", "unknown"], ["no", "yes", "unknown"]).tolist()
    [1.0, 0.0, nan]
    """
    answers, scalar = _answer_matrix(
        (obligation, time_limit, sanctions), tuple(f"registration.{k}" for k in REGISTRATION_KEYS)
    )
    u = _weighted_sum(_weight_vector("I"), answers == "no")
    known = (answers != "unknown").any(axis=0)
    out = np.where(known, np.minimum(u, 1.0), np.nan)
    return float(out[0]) if scalar else out


def emigration_undercount(
    obligation: Any,
    obligation_third_country: Any = None,
    monitoring: Any = None,
    administrative_corrections: Any = None,
) -> Any:
    """Emigration undercount sub-score u_E from the deregistration rules (QuantMig).

    u_E = 1 - sum(w_j [yes]) / sum(w_j [known]) with weights 0.5 (deregistration
    obligation), 0.1 (obligation for third-country nationals), 0.1 (monitoring of
    foreigners), 0.3 (administrative corrections) (DOMAIN.md section 4; weights in
    ``data/sources/register_undercount.csv``); NaN when no rule is known.

    Parameters
    ----------
    obligation, obligation_third_country, monitoring, administrative_corrections
        "yes"/"no"/"unknown" answers (also booleans and fr/pt/ar), scalars or array-likes
        of one length (a length-1 array-like is broadcast).

    Returns
    -------
    float or ndarray
        In [0, 1] or NaN; a float when every argument is a scalar.

    Raises
    ------
    InputError
        Array-likes of different lengths.

    Examples
    --------
    >>> round(emigration_undercount("yes", "yes", "no", "unknown"), 4)  # Austria
    0.1429
    """
    answers, scalar = _answer_matrix(
        (obligation, obligation_third_country, monitoring, administrative_corrections),
        tuple(f"deregistration.{k}" for k in DEREGISTRATION_KEYS),
    )
    yes = _weighted_sum(_weight_vector("E"), answers == "yes")
    known = _weighted_sum(_weight_vector("E"), answers != "unknown")
    with np.errstate(divide="ignore", invalid="ignore"):
        out = np.where(known > 0, 1.0 - yes / known, np.nan)
    return float(out[0]) if scalar else out


def undercount_class(u: Any, cuts: tuple[float, float] = UNDERCOUNT_CUTS) -> Any:
    """Class of an undercount sub-score: low (< 0.25), medium (< 0.75) or high.

    A value exactly on a cut goes to the upper class (0.25 is medium, 0.75 high).

    Parameters
    ----------
    u
        Sub-score(s) in [0, 1]; NaN (or None) gives NA.
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


def register_undercount(profile: SourceProfile) -> dict[str, float | None]:
    """QuantMig register undercount sub-scores from the profile's (de)registration rules.

    ``immigration`` is :func:`immigration_undercount` of ``profile.registration`` and
    ``emigration`` is :func:`emigration_undercount` of ``profile.deregistration``
    (DOMAIN.md section 4); None when no rule of that side is known.

    Parameters
    ----------
    profile
        The source's facts.

    Returns
    -------
    dict
        ``{"immigration": u_I or None, "emigration": u_E or None}``.

    Examples
    --------
    >>> p = SourceProfile(source_id="X", country="SWE", source_type="population_register",
    ...                   registration={"obligation": "yes", "time_limit": "no"},
    ...                   deregistration={"obligation": "yes", "monitoring": "no"})
    >>> register_undercount(p)
    {'immigration': 0.5, 'emigration': 0.1666...}
    """
    reg, dereg = profile.registration, profile.deregistration
    u_i = immigration_undercount(*(reg.get(k) for k in REGISTRATION_KEYS))
    u_e = emigration_undercount(*(dereg.get(k) for k in DEREGISTRATION_KEYS))
    return {
        "immigration": None if np.isnan(u_i) else u_i,
        "emigration": None if np.isnan(u_e) else u_e,
    }


def _classify(threshold: float | None, target: TargetFacts, basis: str) -> ComplianceClass:
    """Class from one threshold (the rules of DOMAIN.md section 3, generalised to any target).

    Against a target of T* months: T unknown -> UNDETERMINED; T = T* -> MATCH, or PROXY when
    the basis is one the target does not accept; T*/2 <= T < T* -> APPROXIMATE (6-11 months
    against 12); T < T*/2 (including no minimum) -> OVER_INCLUSIVE; T > T* (including
    permanent only) -> UNDER_INCLUSIVE.
    """
    if threshold is None:
        return ComplianceClass.UNDETERMINED
    goal = target.threshold_months
    if threshold == goal:
        accepted = (
            basis in ("observed", "unknown")
            or (basis == "intended" and target.accepts_intended)
            or (basis in ("registration_rule", "permit_validity") and target.accepts_registration)
        )
        return ComplianceClass.MATCH if accepted else ComplianceClass.PROXY
    if threshold > goal:
        return ComplianceClass.UNDER_INCLUSIVE
    if threshold >= goal / 2:
        return ComplianceClass.APPROXIMATE
    return ComplianceClass.OVER_INCLUSIVE


def _months_text(months: float | None) -> str:
    if months is None:
        return "an unknown duration"
    if months >= _PERMANENT:
        return "permanently"
    if months == 0:
        return "for any length of time"
    unit = "month" if months == 1 else "months"
    return f"{months:g} {unit} or more"


def _country_name(code: str) -> str:
    import pycountry

    found = pycountry.countries.get(alpha_3=code)
    if not found:
        return code
    name = str(getattr(found, "common_name", None) or found.name)
    # ISO sorts names as "Congo, The Democratic Republic of the"; a sentence needs the
    # natural order ("the Democratic Republic of the Congo").
    head, sep, tail = name.partition(", ")
    if sep and tail:
        tail = tail[0].lower() + tail[1:] if tail.startswith("The ") else tail
        name = f"{tail} {head}"
    return name


@public
def compliance(profile: SourceProfile, target: Any, measure: str | None = None) -> Compliance:
    """Classify a source's statistic against a target definition.

    Parameters
    ----------
    profile
        Facts about the source.
    target
        ``"UN1998"``, ``"UN2021_12M"``, ``"UN2021_6M1D"`` or ``"EU862"`` (or a target object
        of :mod:`migdata.standards`).
    measure
        Harmonised measure (``"IMM"``, ``"EMI"``, ``"STK"``, ...); None speaks of the
        source's migration statistics in general. Undercount flags are specific:
        emigration undercount for EMI (or None), immigration undercount for IMM (or None).

    Returns
    -------
    Compliance
        Class, flags and a one-sentence reason.

    Notes
    -----
    Rules (DOMAIN.md section 3), for a source threshold T and a target threshold T*:

    - T unknown -> UNDETERMINED; so is a measure the source type does not cover.
    - T = T* -> MATCH when the basis is observed (or unknown, flagged ``basis_unknown``), or
      is one the target accepts: EU 862 accepts intended duration and registration/permit
      rules ("is, or is expected to be"; legal or registered residence "in default"); the
      UN 2021 targets accept intended duration; UN 1998 accepts neither. Otherwise PROXY.
      So a 12-month registration rule is MATCH for EU862 but PROXY for UN1998.
    - T*/2 <= T < T* -> APPROXIMATE (6-11 months against 12; 3-5 months against the
      six-month rule).
    - T < T*/2, including no minimum (0) -> OVER_INCLUSIVE.
    - T > T*, including permanent only (60) -> UNDER_INCLUSIVE.
    - When nationals and foreigners have different thresholds each group is classified and
      the worse class is the overall one (flag ``nationals_foreigners_differ``); between
      over- and under-inclusive the group whose threshold lies further from T* wins.

    Examples
    --------
    >>> rwa = SourceProfile(source_id="RWA-REG", country="RWA",
    ...                     source_type="population_register", threshold_months=6,
    ...                     threshold_basis="registration_rule",
    ...                     deregistration={"obligation": "no", "monitoring": "no"})
    >>> c = compliance(rwa, "UN1998", measure="EMI")
    >>> c.cls.value, c.flags
    ('APPROXIMATE', ('administrative_basis', 'emigration_undercount'))
    >>> print(c.reason)  # doctest: +NORMALIZE_WHITESPACE
    Population register of Rwanda counts emigrants registered for 6 months or more
    (registration rule) against the UN 1998 12-month definition: approximate (threshold
    shorter than the target's, short stays partly counted); the register's deregistration
    is not enforced (QuantMig emigration undercount 1.00, high), so emigration is
    undercounted; the duration rests on an administrative rule, not on the stay itself.
    >>> compliance(rwa.replace(threshold_months=12), "EU862").cls.value
    'MATCH'
    >>> compliance(rwa.replace(threshold_months=12), "UN1998").cls.value
    'PROXY'
    >>> compliance(rwa, "UN2021_6M1D").cls.value  # threshold matches, basis does not
    'PROXY'
    >>> compliance(rwa.replace(threshold_basis="observed"), "UN2021_6M1D").cls.value
    'MATCH'
    """
    facts = target_facts(target)
    words = _words()
    measure_code = None if measure is None else str(measure).strip().upper()
    if measure_code is not None and measure_code not in words["measure_kind"]:
        raise ConfigurationError(
            f"unknown measure {measure!r}; expected one of {', '.join(words['measure_kind'])}"
        )
    st = source_type(profile.source_type)
    basis = profile.threshold_basis
    flags: list[str] = []
    clauses: list[str] = []

    def flag(name: str, **fmt: Any) -> None:
        flags.append(name)
        clauses.append(str(words["flags"][name]).format(**fmt))

    # Class per group; groups only matter when their thresholds differ.
    groups: dict[str, ComplianceClass] = {}
    # Group thresholds override the general one; when they agree they are the threshold.
    threshold = profile.threshold_for("nationals")
    cls = _classify(threshold, facts, basis)
    if profile.thresholds_differ:
        tn, tf = profile.threshold_for("nationals"), profile.threshold_for("foreigners")
        groups = {
            "nationals": _classify(tn, facts, basis),
            "foreigners": _classify(tf, facts, basis),
        }

        def badness(item: tuple[str, ComplianceClass]) -> tuple[int, float]:
            t = profile.threshold_for(item[0])
            distance = abs((t if t is not None else 0) - facts.threshold_months)
            return (item[1].severity, distance)

        worst_group, cls = max(groups.items(), key=badness)
        threshold = profile.threshold_for(worst_group)
        flag(
            "nationals_foreigners_differ",
            nationals=_months_text(tn).replace(" or more", ""),
            foreigners=_months_text(tf).replace(" or more", ""),
        )

    why = "the duration threshold is unknown"
    if measure_code is not None:
        kind = words["measure_kind"][measure_code]
        mark = st.coverage[kind]
        if mark == "-":
            cls = ComplianceClass.UNDETERMINED
            why = f"a {st.label.lower()} does not cover {kind.replace('_', ' ')}"
            flag("measure_not_covered", detail=f"{kind.replace('_', ' ')}: not covered")
        elif mark == "+/-":
            flag("partial_coverage", detail=f"{kind.replace('_', ' ')} only under conditions")
    if profile.coverage_complete is False and "partial_coverage" not in flags:
        detail = ", ".join(profile.coverage) or "groups not listed"
        flag("partial_coverage", detail=f"covered: {detail}")

    # Register undercount (QuantMig sub-scores), medium or high.
    scores = register_undercount(profile)
    if measure_code in (None, "EMI") and (scores["emigration"] or 0) >= 0.25:
        s = float(scores["emigration"] or 0)
        flag("emigration_undercount", score=s, level=undercount_class(s))
    if measure_code in (None, "IMM") and (scores["immigration"] or 0) >= 0.25:
        s = float(scores["immigration"] or 0)
        flag("immigration_undercount", score=s, level=undercount_class(s))

    if basis in ("registration_rule", "permit_validity"):
        flag("administrative_basis")
    elif basis == "intended":
        flag("intended_basis")
    elif basis == "unknown" and threshold is not None:
        flag("basis_unknown")
    if profile.statistical_unit in ("crossing", "document", "event"):
        flag("not_persons", unit=profile.statistical_unit)

    phrase = str(words["classes"][cls.value]).format(
        basis=words["proxy_basis"].get(basis, basis), why=why
    )
    who = words["measures"][measure_code] if measure_code else words["measures"][None]
    if threshold is None:
        counted = "with no known duration threshold"
    else:
        counted = str(words["basis"][basis]).format(t=_months_text(threshold))
    goal = facts.threshold_months
    goal_text = "six-month-and-one-day" if goal == 6 else f"{goal:g}-month"
    sentence = (
        f"{st.label} of {_country_name(profile.country)} counts {who} {counted} against "
        f"the {facts.label} {goal_text} definition: {phrase}"
    )
    if clauses:
        sentence += "; " + "; ".join(clauses)
    return Compliance(
        cls=cls,
        flags=tuple(flags),
        reason=sentence + ".",
        target=facts.name,
        source_id=profile.source_id,
        threshold_months=threshold,
        groups=groups,
    )


def compliance_table(
    profiles: list[SourceProfile], targets: Any = None, measure: str | None = None
) -> pd.DataFrame:
    """Compliance of several sources with several targets, one row per (source, target).

    Parameters
    ----------
    profiles
        Source profiles.
    targets
        Target names (default: every target).
    measure
        Measure passed to :func:`compliance`.

    Examples
    --------
    >>> p = SourceProfile(source_id="KEN-CEN-2019", country="KEN", source_type="census",
    ...                   threshold_months=6, threshold_basis="observed")
    >>> print(compliance_table([p])[["target", "compliance"]].to_string(index=False))
         target  compliance
         UN1998 APPROXIMATE
     UN2021_12M APPROXIMATE
    UN2021_6M1D       MATCH
          EU862 APPROXIMATE
    """
    names = list(_defined_targets()) if targets is None else list(targets)
    rows = [compliance(p, t, measure).to_dict() for p in profiles for t in names]
    columns = ["source_id", "target", "compliance", "threshold_months", "flags", "reason"]
    return pd.DataFrame(rows, columns=columns).astype(
        {c: "string" for c in columns if c != "threshold_months"}
    )
