"""The item bank of the migration metadata questionnaire, loaded from ``metadata_questionnaire/``.

Owns the YAML files' reading and checking, the tables ``items()``, ``loadings()`` and
``options()``, the level of an answer, and the tiny ``applies_if`` condition language.

Condition grammar (``applies_if``), evaluated without ``eval``::

    expr       := term ("or" term)*
    term       := factor ("and" factor)*
    factor     := "not" factor | "(" expr ")" | comparison
    comparison := NAME ("==" | "!=" | "<" | "<=" | ">" | ">=") VALUE
                | NAME ["not"] "in" "[" VALUE ("," VALUE)* "]"
    NAME       := an item id (``COM.080``) or the SourceProfile field an item writes
                  (``source_type``, ``threshold_months``), looked up in the same source block
                  first, then among the module's items
    VALUE      := a number, an option code, or a quoted string

For a multiple-choice item ``==`` means "this option is ticked" and ``in`` means "one of these
is ticked". A comparison with an unanswered item (missing, "don't know", "not applicable") is
*unknown*; ``and``/``or``/``not`` follow three-valued logic and an unknown condition counts as
applying (the question is asked rather than skipped).
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from migdata._resources import questionnaire_dir
from migdata.errors import InputError

__all__ = [
    "DIMENSIONS",
    "ITEM_TYPES",
    "LANGUAGES",
    "MODULES",
    "Condition",
    "Item",
    "bank_version",
    "get_item",
    "item_level",
    "items",
    "labels",
    "loadings",
    "module_items",
    "options",
    "source_types",
]

LANGUAGES: tuple[str, ...] = ("en", "fr", "pt", "ar")
MODULES: tuple[str, ...] = ("STK", "IMM", "EMI", "NAB", "RP")
DIMENSIONS: tuple[str, ...] = (
    "relevance",
    "accuracy",
    "timeliness_punctuality",
    "accessibility_clarity",
    "comparability",
    "coherence",
)
ITEM_TYPES: tuple[str, ...] = ("choice", "multiple", "number", "months", "date", "text")

# SourceProfile fields an item may write (contract with migdata.sources.profile).
WRITABLE: frozenset[str] = frozenset(
    {
        "source_type",
        "name",
        "statistical_unit",
        "residence_concept",
        "threshold_months",
        "threshold_nationals",
        "threshold_foreigners",
        "threshold_basis",
        "records_purpose",
        "records_continuous_duration",
        "coverage",
        "coverage_complete",
        "variables",
        "valid_from",
        "valid_to",
        "timeliness_months",
        "notes",
        "breaks.year",
        "breaks.description",
        "registration.obligation",
        "registration.time_limit",
        "registration.sanctions",
        "deregistration.obligation",
        "deregistration.obligation_third_country",
        "deregistration.monitoring",
        "deregistration.administrative_corrections",
    }
)


# ---------------------------------------------------------------------------------------------
# Conditions


_TOKEN = re.compile(
    r"\s*(?:(?P<num>-?\d+(?:\.\d+)?)|(?P<str>'[^']*'|\"[^\"]*\")|(?P<op>==|!=|<=|>=|<|>)"
    r"|(?P<punct>[\[\](),])|(?P<name>[A-Za-z_][A-Za-z0-9_.]*))"
)

Value = float | str
Lookup = Callable[[str], "frozenset[str] | float | str | None"]


@dataclass(frozen=True)
class _Cmp:
    name: str
    op: str
    values: tuple[Value, ...]


@dataclass(frozen=True)
class _Not:
    arg: Any


@dataclass(frozen=True)
class _Bool:
    op: str  # "and" | "or"
    args: tuple[Any, ...]


def _tokenize(text: str) -> list[tuple[str, str]]:
    tokens: list[tuple[str, str]] = []
    pos = 0
    text = text.rstrip()
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if not m or m.end() == pos:
            raise ValueError(f"cannot read the condition at {text[pos:]!r}")
        kind = m.lastgroup or ""
        tokens.append((kind, m.group(kind)))
        pos = m.end()
    return tokens


class _Parser:
    def __init__(self, text: str) -> None:
        self.tokens = _tokenize(text)
        self.i = 0

    def peek(self) -> tuple[str, str] | None:
        return self.tokens[self.i] if self.i < len(self.tokens) else None

    def take(self) -> tuple[str, str]:
        tok = self.peek()
        if tok is None:
            raise ValueError("the condition ends too early")
        self.i += 1
        return tok

    def expect(self, value: str) -> None:
        tok = self.take()
        if tok[1] != value:
            raise ValueError(f"expected {value!r}, got {tok[1]!r}")

    def is_word(self, word: str) -> bool:
        tok = self.peek()
        return tok is not None and tok[0] == "name" and tok[1] == word

    def parse(self) -> Any:
        node = self.expr()
        if self.peek() is not None:
            raise ValueError(f"unexpected {self.peek()[1]!r}")  # type: ignore[index]
        return node

    def _chain(self, word: str, operand: Callable[[], Any]) -> Any:
        """Operands joined by ``word`` (``and``/``or``); a single operand stands alone."""
        args = [operand()]
        while self.is_word(word):
            self.take()
            args.append(operand())
        return args[0] if len(args) == 1 else _Bool(word, tuple(args))

    def expr(self) -> Any:
        return self._chain("or", self.term)

    def term(self) -> Any:
        return self._chain("and", self.factor)

    def factor(self) -> Any:
        if self.is_word("not"):
            self.take()
            return _Not(self.factor())
        tok = self.peek()
        if tok is not None and tok[1] == "(":
            self.take()
            node = self.expr()
            self.expect(")")
            return node
        return self.comparison()

    def value(self) -> Value:
        kind, text = self.take()
        if kind == "num":
            return float(text)
        if kind == "str":
            return text[1:-1]
        if kind == "name":
            return text
        raise ValueError(f"expected a value, got {text!r}")

    def comparison(self) -> _Cmp:
        kind, name = self.take()
        if kind != "name" or name in {"and", "or", "not", "in"}:
            raise ValueError(f"expected an item id or field name, got {name!r}")
        negate = False
        if self.is_word("not"):
            self.take()
            negate = True
            if not self.is_word("in"):
                raise ValueError("expected 'in' after 'not'")
        if self.is_word("in"):
            self.take()
            self.expect("[")
            values = [self.value()]
            while self.peek() is not None and self.peek()[1] == ",":  # type: ignore[index]
                self.take()
                values.append(self.value())
            self.expect("]")
            return _Cmp(name, "not in" if negate else "in", tuple(values))
        kind, op = self.take()
        if kind != "op":
            raise ValueError(f"expected a comparison operator, got {op!r}")
        return _Cmp(name, op, (self.value(),))


def _compare(actual: frozenset[str] | float | str, op: str, values: tuple[Value, ...]) -> bool:
    if isinstance(actual, frozenset):  # multiple choice: set membership
        wanted = {str(v) for v in values}
        hit = bool(actual & wanted)
        if op in ("==", "in"):
            return hit
        if op in ("!=", "not in"):
            return not hit
        raise ValueError(f"operator {op!r} does not apply to a multiple-choice answer")
    if op in ("in", "not in"):
        hit = any(_equal(actual, v) for v in values)
        return hit if op == "in" else not hit
    target = values[0]
    if op == "==":
        return _equal(actual, target)
    if op == "!=":
        return not _equal(actual, target)
    try:
        a, b = float(actual), float(target)
    except (TypeError, ValueError):
        return False
    return {"<": a < b, "<=": a <= b, ">": a > b, ">=": a >= b}[op]


def _equal(actual: float | str, target: Value) -> bool:
    if isinstance(target, float) or isinstance(actual, float):
        try:
            return math.isclose(float(actual), float(target))
        except (TypeError, ValueError):
            return False
    return str(actual) == str(target)


@dataclass(frozen=True)
class Condition:
    """A parsed ``applies_if`` condition.

    Examples
    --------
    >>> c = Condition.parse("source_type in [population_register, foreigners_register]")
    >>> c.names()
    ('source_type',)
    >>> c.evaluate({"source_type": "census"}.get)
    False
    >>> c.evaluate({}.get) is None      # unknown: the question is asked
    True
    """

    text: str
    tree: Any = field(repr=False, compare=False)

    @classmethod
    def parse(cls, text: str) -> Condition:
        """Parse a condition; raises ``ValueError`` with the reason when it is malformed."""
        return cls(text, _Parser(text).parse())

    def names(self) -> tuple[str, ...]:
        """Names (item ids or fields) the condition refers to, in order of appearance."""
        return tuple(dict.fromkeys(name for name, _, _ in self.comparisons()))

    def evaluate(self, lookup: Lookup) -> bool | None:
        """True, False, or None when it depends on an unanswered item.

        ``lookup(name)`` returns the answer (option code, number, or a frozenset of codes for
        multiple choice), or None when unanswered.
        """

        def ev(node: Any) -> bool | None:
            if isinstance(node, _Cmp):
                actual = lookup(node.name)
                if actual is None:
                    return None
                return _compare(actual, node.op, node.values)
            if isinstance(node, _Not):
                inner = ev(node.arg)
                return None if inner is None else not inner
            results = [ev(a) for a in node.args]
            if node.op == "and":
                if any(r is False for r in results):
                    return False
                return None if any(r is None for r in results) else True
            if any(r is True for r in results):
                return True
            return None if any(r is None for r in results) else False

        return ev(self.tree)

    def with_names(self, mapping: Mapping[str, str]) -> Condition:
        """The same condition with names replaced (used to resolve fields to item ids)."""

        def sub(node: Any) -> Any:
            if isinstance(node, _Cmp):
                return _Cmp(mapping.get(node.name, node.name), node.op, node.values)
            if isinstance(node, _Not):
                return _Not(sub(node.arg))
            return _Bool(node.op, tuple(sub(a) for a in node.args))

        return Condition(self.text, sub(self.tree))

    def comparisons(self) -> list[tuple[str, str, tuple[Value, ...]]]:
        """Flat list of (name, operator, values) with the connecting logic dropped."""
        out: list[tuple[str, str, tuple[Value, ...]]] = []

        def walk(node: Any) -> None:
            if isinstance(node, _Cmp):
                out.append((node.name, node.op, node.values))
            elif isinstance(node, _Not):
                walk(node.arg)
            else:
                for a in node.args:
                    walk(a)

        walk(self.tree)
        return out

    def render(self, render_cmp: Callable[[str, str, tuple[Value, ...]], str]) -> str:
        """Text of the condition with each comparison rendered by ``render_cmp``."""

        def r(node: Any, top: bool = True) -> str:
            if isinstance(node, _Cmp):
                return render_cmp(node.name, node.op, node.values)
            if isinstance(node, _Not):
                return f"not ({r(node.arg, False)})"
            joined = f" {node.op} ".join(r(a, False) for a in node.args)
            return joined if top else f"({joined})"

        return r(self.tree)


# ---------------------------------------------------------------------------------------------
# Items


@dataclass(frozen=True)
class Option:
    """One answer option of a choice or multiple-choice item."""

    code: str
    level: int | None
    labels: Mapping[str, str]


@dataclass(frozen=True)
class Item:
    """One question of the bank (see ``common.yaml`` for the meaning of each field)."""

    id: str
    module: str
    per_source: bool
    type: str
    text: Mapping[str, str]
    help: Mapping[str, str]
    options: tuple[Option, ...]
    options_set: str | None
    bands: tuple[tuple[float, float, int], ...]
    level_from: str | None
    loadings: Mapping[str, float]
    weight: int
    writes: str | None
    applies_if: Condition | None
    origin: str
    order: int
    file: str

    @property
    def scored(self) -> bool:
        """Whether the item carries a level into the quality score."""
        return bool(self.loadings)

    def option(self, code: str) -> Option | None:
        """The option with this code, or None."""
        for opt in self.options:
            if opt.code == code:
                return opt
        return None


@dataclass(frozen=True)
class _Bank:
    version: str
    labels: Mapping[str, Any]
    items: tuple[Item, ...]
    by_id: Mapping[str, Item]
    default_slots: Mapping[str, int]


def _fail(message: str, file: Path, item: str | None = None) -> InputError:
    return InputError(f"item bank: {message}", file=str(file), item=item)


def _langs(obj: Any, what: str, file: Path, item: str) -> dict[str, str]:
    if not isinstance(obj, Mapping):
        raise _fail(f"{what} must give the four languages {LANGUAGES}", file, item)
    out = {}
    for lang in LANGUAGES:
        text = obj.get(lang)
        if not isinstance(text, str) or not text.strip():
            raise _fail(f"{what} has no {lang!r} text", file, item)
        out[lang] = text.strip()
    return out


def _options(
    raw: Any, item: Mapping[str, Any], module: str, labels: Mapping[str, Any], file: Path
) -> tuple[tuple[Option, ...], str | None]:
    iid = str(item["id"])
    spec = raw
    set_name: str | None = None
    if isinstance(raw, str):
        set_name = raw
        if raw == "source_types":
            catalogue = labels["source_types"]
            spec = [
                {"code": code, "level": None, **{k: v for k, v in entry.items() if k != "modules"}}
                for code, entry in catalogue.items()
                if module == "COM" or module in entry["modules"]
            ]
        elif raw in labels["option_sets"]:
            spec = labels["option_sets"][raw]
        else:
            raise _fail(f"unknown option set {raw!r}", file, iid)
    if not isinstance(spec, list) or not spec:
        raise _fail("a choice item needs a non-empty list of options", file, iid)
    overrides = item.get("levels") or {}
    opts = []
    for entry in spec:
        code = str(entry["code"])
        level = overrides.get(code, entry.get("level"))
        if level is not None and (not isinstance(level, int) or not 0 <= level <= 3):
            raise _fail(f"option {code!r} has level {level!r}; expected 0-3", file, iid)
        opts.append(Option(code, level, _langs(entry, f"option {code!r}", file, iid)))
    codes = [o.code for o in opts]
    if len(set(codes)) != len(codes):
        raise _fail(f"duplicate option codes {codes}", file, iid)
    if set(overrides) - set(codes):
        raise _fail(
            f"levels given for unknown options {sorted(set(overrides) - set(codes))}", file, iid
        )
    return tuple(opts), set_name


def _item(
    raw: Mapping[str, Any],
    module: str,
    per_source: bool,
    order: int,
    labels: Mapping[str, Any],
    file: Path,
) -> Item:
    iid = str(raw.get("id", ""))
    if not re.fullmatch(r"(STK|IMM|EMI|NAB|RP|COM)\.\d{3}", iid) or not iid.startswith(module):
        raise _fail(f"item id {iid!r} must look like {module}.010", file, iid or None)
    typ = raw.get("type")
    if typ not in ITEM_TYPES:
        raise _fail(f"type {typ!r}; expected one of {ITEM_TYPES}", file, iid)
    options: tuple[Option, ...] = ()
    set_name = None
    if typ in ("choice", "multiple"):
        options, set_name = _options(raw.get("options"), raw, module, labels, file)
    elif "options" in raw:
        raise _fail(f"a {typ} item takes no options", file, iid)
    loads = {str(k): float(v) for k, v in (raw.get("loadings") or {}).items()}
    if set(loads) - set(DIMENSIONS):
        raise _fail(f"unknown dimensions {sorted(set(loads) - set(DIMENSIONS))}", file, iid)
    if loads and not math.isclose(sum(loads.values()), 1.0, abs_tol=1e-9):
        raise _fail(f"loadings sum to {sum(loads.values())}; expected 1", file, iid)
    if loads and any(v <= 0 for v in loads.values()):
        raise _fail("loadings must be positive", file, iid)
    weight = int(raw.get("weight", 1))
    if weight not in (1, 2, 3):
        raise _fail(f"weight {weight}; expected 1, 2 or 3", file, iid)
    bands = tuple((float(a), float(b), int(lv)) for a, b, lv in raw.get("bands") or ())
    level_from = raw.get("level_from")
    if loads:
        if typ in ("number", "months") and not bands:
            raise _fail("a scored number item needs bands", file, iid)
        if typ == "multiple" and level_from != "share":
            raise _fail("a scored multiple-choice item needs level_from: share", file, iid)
        if typ == "choice" and any(o.level is None for o in options):
            raise _fail("every option of a scored item needs a level", file, iid)
        if typ in ("date", "text"):
            raise _fail(f"a {typ} item cannot be scored", file, iid)
    writes = raw.get("writes")
    if writes is not None and writes not in WRITABLE:
        raise _fail(f"writes {writes!r}, which is not a SourceProfile field", file, iid)
    cond = None
    if raw.get("applies_if"):
        try:
            cond = Condition.parse(str(raw["applies_if"]))
        except ValueError as err:
            raise _fail(f"applies_if {raw['applies_if']!r}: {err}", file, iid) from None
    return Item(
        id=iid,
        module=module,
        per_source=per_source,
        type=str(typ),
        text=_langs(raw.get("text"), "text", file, iid),
        help=_langs(raw.get("help"), "help", file, iid),
        options=options,
        options_set=set_name,
        bands=bands,
        level_from=level_from,
        loadings=loads,
        weight=weight,
        writes=writes,
        applies_if=cond,
        origin=str(raw.get("origin") or ""),
        order=order,
        file=file.name,
    )


def _resolve_conditions(items: list[Item], file_of: Mapping[str, Path]) -> list[Item]:
    """Replace field names in conditions by the id of the item that writes them."""
    out = []
    by_id = {it.id: it for it in items}
    for it in items:
        if it.applies_if is None:
            out.append(it)
            continue
        scope = [o for o in items if o.module == it.module] + [
            o for o in items if o.module == "COM"
        ]
        mapping = {}
        for name in it.applies_if.names():
            if name in by_id:
                target = by_id[name]
            else:
                writers = [o for o in scope if o.writes == name]
                if not writers:
                    raise _fail(
                        f"applies_if names {name!r}: no such item or field", file_of[it.id], it.id
                    )
                target = writers[0]
            if target.module not in (it.module, "COM"):
                raise _fail(
                    f"applies_if refers to {target.id} of another module", file_of[it.id], it.id
                )
            if it.per_source is False and target.per_source:
                raise _fail(
                    f"a module item cannot depend on per-source item {target.id}",
                    file_of[it.id],
                    it.id,
                )
            mapping[name] = target.id
        cond = it.applies_if.with_names(mapping)
        for name, _op, values in cond.comparisons():
            target = by_id[name]
            if target.options:
                codes = {o.code for o in target.options}
                unknown = [v for v in values if str(v) not in codes]
                if unknown:
                    raise _fail(
                        f"applies_if compares {name} with unknown codes {unknown}",
                        file_of[it.id],
                        it.id,
                    )
        out.append(_replace(it, applies_if=cond))
    return out


def _replace(it: Item, **changes: Any) -> Item:
    from dataclasses import replace

    return replace(it, **changes)


@cache
def _bank() -> _Bank:
    folder = questionnaire_dir()
    labels_file = folder / "labels.yaml"
    try:
        labels_data = yaml.safe_load(labels_file.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as err:
        raise _fail(f"cannot read labels: {err}", labels_file) from None
    files = [folder / "common.yaml"] + [folder / f"{m}.yaml" for m in MODULES]
    all_items: list[Item] = []
    file_of: dict[str, Path] = {}
    slots: dict[str, int] = {}
    order = 0
    for file in files:
        try:
            data = yaml.safe_load(file.read_text(encoding="utf-8"))
        except (OSError, yaml.YAMLError) as err:
            raise _fail(f"cannot read the file: {err}", file) from None
        module = str(data["module"])
        per_source = bool(data.get("per_source", False))
        if module != "COM":
            slots[module] = int(data.get("default_slots", 1))
        for raw in data["items"]:
            it = _item(raw, module, per_source, order, labels_data, file)
            order += 1
            if it.id in file_of:
                raise _fail(f"duplicate item id {it.id}", file, it.id)
            file_of[it.id] = file
            all_items.append(it)
    all_items = _resolve_conditions(all_items, file_of)
    return _Bank(
        version=str(labels_data["version"]),
        labels=labels_data,
        items=tuple(all_items),
        by_id={it.id: it for it in all_items},
        default_slots=slots,
    )


def bank_version() -> str:
    """Version of the item bank (recorded in every workbook).

    Examples
    --------
    >>> bank_version()
    '1.0'
    """
    return _bank().version


def labels() -> Mapping[str, Any]:
    """Shared labels (``labels.yaml``): special answers, option sets, source types, UI texts.

    Examples
    --------
    >>> labels()["special"]["dk"]["fr"]
    'Ne sait pas'
    """
    return _bank().labels


def source_types() -> dict[str, list[str]]:
    """Source-type codes and the modules each can serve.

    Examples
    --------
    >>> source_types()["consular_register"]
    ['EMI', 'NAB']
    """
    return {k: list(v["modules"]) for k, v in _bank().labels["source_types"].items()}


def get_item(item_id: str) -> Item:
    """The item with this id; ``KeyError`` when the bank has none.

    Examples
    --------
    >>> get_item("COM.060").writes
    'threshold_months'
    """
    return _bank().by_id[item_id]


def all_items() -> tuple[Item, ...]:
    """Every item of the bank, in bank order (common items first)."""
    return _bank().items


def default_slots(module: str) -> int:
    """Number of source blocks a module's sheet offers when no sources are named.

    One generic block per module (``default_slots`` in the module's YAML file) keeps a
    module at 30-50 questions; an office with more sources names them
    (``write_template(..., sources=[...])``, ``migdata questionnaire template --sources``)
    and gets one block per named source.

    Parameters
    ----------
    module
        Module code (``STK``, ``IMM``, ``EMI``, ``NAB``, ``RP``).

    Returns
    -------
    int
        The number of generic source blocks.

    Raises
    ------
    KeyError
        An unknown module.

    Examples
    --------
    >>> [default_slots(m) for m in MODULES]
    [1, 1, 1, 1, 1]
    """
    if module not in MODULES:
        raise KeyError(f"unknown module {module!r}; expected one of {MODULES}")
    return _bank().default_slots[module]


def module_items(module: str) -> tuple[list[Item], list[Item]]:
    """The module-level items of a module and the per-source (common) items.

    Examples
    --------
    >>> mod, per_source = module_items("STK")
    >>> mod[0].id, per_source[0].id
    ('STK.010', 'COM.010')
    """
    if module not in MODULES:
        raise KeyError(f"unknown module {module!r}; expected one of {MODULES}")
    its = _bank().items
    return [i for i in its if i.module == module], [i for i in its if i.module == "COM"]


def items() -> pd.DataFrame:
    """One row per item: id, module, per_source, type, scored, weight, writes, applies_if, origin.

    Also ``options_set``, ``level_from``, the texts ``text_en`` ... ``text_ar`` and help
    ``help_en`` ... ``help_ar``. Common items have module ``"COM"`` and ``per_source`` True.

    Examples
    --------
    >>> t = items()
    >>> t.loc[t["id"] == "COM.300", ["writes", "applies_if"]].iloc[0].tolist()
    ['registration.obligation', 'source_type in [population_register, foreigners_register]']
    >>> sorted(t["module"].unique())
    ['COM', 'EMI', 'IMM', 'NAB', 'RP', 'STK']
    """
    rows = []
    for it in _bank().items:
        row: dict[str, Any] = {
            "id": it.id,
            "module": it.module,
            "per_source": it.per_source,
            "type": it.type,
            "scored": it.scored,
            "weight": it.weight,
            "writes": it.writes,
            "applies_if": it.applies_if.text if it.applies_if else None,
            "origin": it.origin,
            "options_set": it.options_set,
            "level_from": it.level_from,
        }
        for lang in LANGUAGES:
            row[f"text_{lang}"] = it.text[lang]
        for lang in LANGUAGES:
            row[f"help_{lang}"] = it.help[lang]
        rows.append(row)
    out = pd.DataFrame(rows)
    out["weight"] = out["weight"].astype("int64")
    return out


def loadings() -> pd.DataFrame:
    """Long table of ESS dimension loadings of scored items: item_id, dimension, loading.

    The loadings of one item sum to 1.

    Examples
    --------
    >>> ld = loadings()
    >>> round(float(ld.groupby("item_id")["loading"].sum().min()), 9)
    1.0
    >>> set(ld["dimension"]) <= set(DIMENSIONS)
    True
    """
    rows = [
        {"item_id": it.id, "dimension": dim, "loading": val}
        for it in _bank().items
        for dim, val in it.loadings.items()
    ]
    return pd.DataFrame(rows, columns=["item_id", "dimension", "loading"])


def options() -> pd.DataFrame:
    """Long table of answer options: item_id, code, level (Int64, 0-3), label_en ... label_ar.

    "Not applicable" and "don't know" are shared by all items (``labels()["special"]``) and
    are not repeated here.

    Examples
    --------
    >>> op = options()
    >>> op.loc[op["item_id"] == "COM.050", "code"].tolist()
    ['usual', 'registered', 'legal', 'de_facto']
    """
    rows = [
        {
            "item_id": it.id,
            "code": opt.code,
            "level": opt.level,
            **{f"label_{lang}": opt.labels[lang] for lang in LANGUAGES},
        }
        for it in _bank().items
        for opt in it.options
    ]
    out = pd.DataFrame(rows)
    out["level"] = out["level"].astype("Int64")
    return out


def item_level(item: Item, value: str) -> int | None:
    """Level 0-3 of an answer value (as stored in ``Answers.table.value``), None if unscored.

    Choice: the option's level. Multiple choice (``level_from: share``): 3 x the share of
    options ticked, rounded half up. Number and months: the first band ``[min, max)`` that
    holds the value.

    Examples
    --------
    >>> item_level(get_item("COM.060"), "12")
    3
    >>> item_level(get_item("COM.060"), "6")
    2
    >>> item_level(get_item("COM.110"), "nationals;foreigners")
    1
    """
    if not item.scored:
        return None
    if item.type == "multiple":  # an empty selection is an answer: nothing ticked
        ticked = {v for v in value.split(";") if v}
        share = len(ticked & {o.code for o in item.options}) / len(item.options)
        return math.floor(3 * share + 0.5)
    if value == "":
        return None
    if item.type == "choice":
        opt = item.option(value)
        return None if opt is None else opt.level
    if item.type in ("number", "months"):
        try:
            x = float(value)
        except ValueError:
            return None
        for lo, hi, level in item.bands:
            if lo <= x < hi:
                return level
        return None
    return None
