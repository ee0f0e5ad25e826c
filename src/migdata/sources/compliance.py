"""Compliance of a source's statistics with a target definition (UN 1998, UN 2021, EU 862).

Owns the rules of DOMAIN.md section 3: the class from the source's duration threshold and its
basis, the flags that feed accuracy (coverage, administrative basis, register undercount) and
the sentence that explains them. Words live in ``data/sources/compliance.yaml``.
"""

from __future__ import annotations

import html
import importlib
from dataclasses import dataclass, field
from enum import StrEnum
from functools import cache
from typing import Any

import pandas as pd
import yaml

from migdata._resources import data_path
from migdata.errors import ConfigurationError
from migdata.sources.catalogue import source_type
from migdata.sources.profile import SourceProfile

__all__ = [
    "Compliance",
    "ComplianceClass",
    "TargetFacts",
    "compliance",
    "compliance_table",
    "register_undercount",
    "target_facts",
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


def register_undercount(profile: SourceProfile) -> dict[str, float | None]:
    """QuantMig register undercount sub-scores from the profile's (de)registration rules.

    ``immigration`` = [no registration obligation] + 0.5 [no time limit] + 0.5 [no
    sanctions], capped at 1; ``emigration`` = 1 - sum(w [yes]) / sum(w [known]) with weights
    0.5 obligation, 0.1 obligation for third-country nationals, 0.1 monitoring, 0.3
    administrative corrections (DOMAIN.md section 4). None when nothing is known.

    Examples
    --------
    >>> p = SourceProfile(source_id="X", country="SWE", source_type="population_register",
    ...                   registration={"obligation": "yes", "time_limit": "no"},
    ...                   deregistration={"obligation": "yes", "monitoring": "no"})
    >>> register_undercount(p)
    {'immigration': 0.5, 'emigration': 0.1666...}
    """
    reg = profile.registration
    known_reg = [
        k for k in ("obligation", "time_limit", "sanctions") if reg.get(k) in ("yes", "no")
    ]
    immigration: float | None = None
    if known_reg:
        weights = {"obligation": 1.0, "time_limit": 0.5, "sanctions": 0.5}
        immigration = min(1.0, sum(weights[k] for k in known_reg if reg[k] == "no"))
    dereg = profile.deregistration
    weights_e = {
        "obligation": 0.5,
        "obligation_third_country": 0.1,
        "monitoring": 0.1,
        "administrative_corrections": 0.3,
    }
    known = {k: w for k, w in weights_e.items() if dereg.get(k) in ("yes", "no")}
    emigration: float | None = None
    if known:
        emigration = 1.0 - sum(w for k, w in known.items() if dereg[k] == "yes") / sum(
            known.values()
        )
    return {"immigration": immigration, "emigration": emigration}


def _level(score: float) -> str:
    return "low" if score < 0.25 else "medium" if score < 0.75 else "high"


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
        flag("emigration_undercount", score=s, level=_level(s))
    if measure_code in (None, "IMM") and (scores["immigration"] or 0) >= 0.25:
        s = float(scores["immigration"] or 0)
        flag("immigration_undercount", score=s, level=_level(s))

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
