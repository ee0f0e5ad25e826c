"""The project configuration ``migdata.toml``: its keys, their checks and their explanations.

Owns the schema of the file (one :class:`Key` per setting, with its type, default, allowed
values and an English explanation), reading it with the standard library's :mod:`tomllib`,
the line of every key (so that an error names file, line and key) and the checks that run
before anything is written: unknown keys (with a suggestion), wrong types, files that do not
exist, column mappings naming a column the file does not have (listing the file's columns).
"""

from __future__ import annotations

import difflib
import glob
import re
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from migdata.errors import ConfigurationError

__all__ = [
    "CONFIG_NAME",
    "LANGUAGES",
    "ROLES",
    "SPEC",
    "Key",
    "Problem",
    "check",
    "expand_files",
    "key_lines",
    "load",
]

CONFIG_NAME = "migdata.toml"
ROLES = ("office", "secretariat")
LANGUAGES = ("en", "fr", "pt", "ar")
MEASURES = ("IMM", "EMI", "STK", "NAB")
FORMATS = ("auto", "csv", "xlsx", "parquet", "sdmx-csv")
COUNTRY_KINDS = ("name", "nationality")
RULES = ("12/16", "cards", "registers")
COLUMN_ROLES = ("year", "country", "sex", "age", "value")
METHODS = ("log-ls", "ls", "poulain", "prefer-immigration")
WEIGHTS = ("none", "relative", "count", "accuracy")
BUNDLE_FORMATS = ("csv", "parquet", "xlsx", "datapackage")

Path_ = tuple[str | int, ...]


@dataclass(frozen=True)
class Key:
    """One setting of ``migdata.toml``.

    ``kind`` is one of ``str``, ``int``, ``float``, ``bool``, ``list[str]``, ``list[int]``,
    ``str|list[str]``, ``table`` (free mapping), ``str|table``; ``bank`` names where the
    item bank holds the text of the key in the four languages (``ui.country``, an item id,
    ``modules``), so that ``migdata init`` writes the comment in the project's language.
    """

    kind: str
    default: Any = None
    choices: tuple[str, ...] | None = None
    required: bool = False
    help: str = ""
    bank: str | None = None


SPEC: dict[str, dict[str, Key]] = {
    "project": {
        "role": Key("str", None, ROLES, True, "who runs this project: office or secretariat"),
        "name": Key("str", "", None, False, "a title for the report"),
        "country": Key(
            "str",
            "",
            None,
            False,
            "ISO alpha-3 code of the country (office) or empty (secretariat)",
            "ui.country",
        ),
        "language": Key(
            "str",
            "en",
            LANGUAGES,
            False,
            "language of the questionnaire and the feedback",
            "ui.language",
        ),
        "target": Key(
            "str",
            "UN1998",
            ("UN1998", "UN2021_12M", "UN2021_6M1D", "EU862"),
            False,
            "target definition every figure is harmonised to",
        ),
        "note": Key(
            "str",
            "",
            None,
            False,
            "a sentence printed as a banner in the report and as the first comment line of "
            "every CSV file outside the bundle (e.g. 'provisional figures')",
        ),
    },
    "questionnaire": {
        "folder": Key("str", "questionnaire", None, False, "folder of the returned workbooks"),
    },
    "submissions": {
        "folder": Key(
            "str",
            "submissions",
            None,
            False,
            "folder of the members' exchange files and returned workbooks (sub-folders too)",
        ),
        "years": Key("list[int]", [], None, False, "years to use; empty = every year found"),
        "previous_bundle": Key(
            "str",
            "",
            None,
            False,
            "previous regional bundle to list revisions against",
        ),
    },
    "reconciliation": {
        "method": Key("str", "log-ls", METHODS, False, "how the mirror flows are reconciled"),
        "reference": Key(
            "str",
            "",
            None,
            False,
            "country whose immigration factor is fixed at 1; empty = best accuracy score "
            "for immigration in the returned workbooks, else the country reporting "
            "immigration on the most mirrored pairs",
        ),
        "weights": Key(
            "str",
            "count",
            WEIGHTS,
            False,
            "weights of the reported pairs (count: inverse variance under a count model, as "
            "migdata.reconcile by default)",
        ),
        "bootstrap": Key("int", 0, None, False, "bootstrap replicates for intervals (0: none)"),
        "seed": Key("int", 1, None, False, "seed of the bootstrap"),
        "exclude_outliers": Key(
            "float",
            0.0,
            None,
            False,
            "|CC1| above which a corridor is left out (0: none)",
        ),
    },
    "outputs": {
        "bundle_formats": Key(
            "list[str]",
            ["csv", "parquet"],
            BUNDLE_FORMATS,
            False,
            "formats of the exchange files written to output/bundle/",
        ),
        "bundle_prefix": Key("str", "", None, False, "file name prefix of the exchange files"),
        "feedback": Key(
            "bool",
            True,
            None,
            False,
            "write output/feedback/<ISO3>.csv per member (secretariat)",
        ),
        "figures": Key("bool", True, None, False, "embed figures in the report"),
        "documents": Key(
            "list[str]",
            [],
            ("inventory", "sims", "glossary", "catalogue"),
            False,
            "metadata documents written to output/documents/ from the returned questionnaires",
        ),
    },
}

SOURCE_SPEC: dict[str, Key] = {
    "id": Key("str", None, None, True, "identifier of the source (as in the questionnaire)"),
    "type": Key("str", None, None, True, "type of the source", "COM.010"),
    "files": Key("str|list[str]", None, None, True, "file(s), relative to the project; globs"),
    "format": Key("str", "auto", FORMATS, False, "file format; auto = from the extension"),
    "sheet": Key("str", "", None, False, "sheet of an xlsx file (default: the first)"),
    "comment": Key("str", "#", None, False, "lines starting with this are skipped (CSV)"),
    "measure": Key("str", "IMM", MEASURES, False, "what the table counts", "modules"),
    "counterpart_type": Key(
        "str",
        "",
        None,
        False,
        "what the partner country is: CITIZENSHIP, BIRTH, PREV_RES, NEXT_RES (default: "
        "PREV_RES for IMM, NEXT_RES for EMI, CITIZENSHIP otherwise)",
    ),
    "country_kind": Key(
        "str",
        "name",
        COUNTRY_KINDS,
        False,
        "the country column holds country names/codes or nationality adjectives",
    ),
    "profile": Key(
        "str|table",
        "questionnaire",
        None,
        False,
        "source profile: 'questionnaire' (the returned workbook), a profile file "
        "(.yaml/.json) or inline facts in [sources.profile]",
    ),
    "columns": Key("table", {}, None, False, "the file's column for each harmonised role"),
    "codes": Key("table", {}, None, False, 'code maps per role, e.g. sex = {H = "M"}'),
    "microdata": Key("table", {}, None, False, "rule and parameters for record-level files"),
    "years": Key("list[int]", [], None, False, "years to keep; empty = all"),
}

MICRODATA_SPEC: dict[str, Key] = {
    "rule": Key("str", "12/16", RULES, True, "classification rule of the records"),
    "threshold_days": Key("int", 365, None, False, "days in (out of) the country"),
    "window_days": Key("int", 487, None, False, "window of the rule in days"),
    "data_start": Key("str", "", None, False, "first day the records cover (YYYY-MM-DD)"),
    "obs_end": Key("str", "", None, False, "last day observed (YYYY-MM-DD)"),
    "by": Key("list[str]", ["year", "partner", "sex"], None, False, "tabulation"),
}

PROFILE_FACTS = {
    "source_type": "COM.010",
    "threshold_months": "COM.060",
    "threshold_basis": "COM.070",
    "valid_from": "COM.030",
    "coverage": "COM.110",
    "records_purpose": "COM.090",
}


@dataclass(frozen=True)
class Problem:
    """One problem of a configuration file."""

    path: Path_
    message: str

    def text(self, file: Path, lines: dict[Path_, int]) -> str:
        """The problem with the file, line and key."""
        line = _line_of(self.path, lines)
        where = f"{file}, line {line}" if line else str(file)
        key = _dotted(self.path)
        return f"{where}, key '{key}': {self.message}" if key else f"{where}: {self.message}"


def _dotted(path: Path_) -> str:
    parts: list[str] = []
    for p in path:
        if isinstance(p, int):
            parts[-1] = f"{parts[-1]}[{p + 1}]"
        else:
            parts.append(p)
    return ".".join(parts)


def _line_of(path: Path_, lines: dict[Path_, int]) -> int | None:
    probe = tuple(path)
    while probe:
        if probe in lines:
            return lines[probe]
        probe = probe[:-1]
    return None


_TABLE = re.compile(r"^\s*\[\s*([^\[\]]+?)\s*\]\s*(#.*)?$")
_ARRAY = re.compile(r"^\s*\[\[\s*([^\[\]]+?)\s*\]\]\s*(#.*)?$")
_KEY = re.compile(r"^\s*(\"[^\"]*\"|'[^']*'|[A-Za-z0-9_.\-\"' ]+?)\s*=")


def _split(name: str) -> list[str]:
    return [p.strip().strip("\"'") for p in re.findall(r"\"[^\"]*\"|'[^']*'|[^.]+", name)]


def key_lines(text: str) -> dict[Path_, int]:
    """Line number (1-based) of every table and key of a TOML text, by key path.

    Array-of-tables elements are numbered from 0: ``("sources", 1, "files")``.

    Examples
    --------
    >>> key_lines('[project]\\nrole = "office"\\n[[sources]]\\nid = "A"\\n')[("sources", 0, "id")]
    4
    """
    lines: dict[Path_, int] = {}
    current: Path_ = ()
    counts: dict[str, int] = {}
    in_multiline = False
    for n, raw in enumerate(text.splitlines(), 1):
        stripped = raw.strip()
        if in_multiline:
            if stripped.count('"""') % 2 == 1 or stripped.count("'''") % 2 == 1:
                in_multiline = False
            continue
        if not stripped or stripped.startswith("#"):
            continue
        array = _ARRAY.match(raw)
        table = None if array else _TABLE.match(raw)
        if array:
            name = _split(array.group(1))
            counts[name[0]] = counts.get(name[0], -1) + 1
            current = (name[0], counts[name[0]], *name[1:])
            lines[current] = n
        elif table:
            name = _split(table.group(1))
            if name[0] in counts and len(name) > 1:
                current = (name[0], counts[name[0]], *name[1:])
            else:
                current = tuple(name)
            lines.setdefault(current, n)
        else:
            m = _KEY.match(raw)
            if m:
                lines.setdefault((*current, *_split(m.group(1))), n)
                rest = raw[m.end() :]
                if rest.count('"""') == 1 or rest.count("'''") == 1:
                    in_multiline = True
    return lines


def load(path: Path) -> tuple[dict[str, Any], dict[Path_, int], str]:
    """Read ``migdata.toml``: the parsed mapping, the key lines and the text."""
    if not path.is_file():
        raise ConfigurationError(
            f"{path}: no configuration file here; create a project with "
            f"'migdata init {path.parent} --role office|secretariat'"
        )
    text = path.read_text(encoding="utf-8")
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        raise ConfigurationError(f"{path}: not a valid TOML file: {err}") from None
    return data, key_lines(text), text


def _suggest(word: str, known: Iterable[str]) -> str:
    close = difflib.get_close_matches(word, list(known), n=1, cutoff=0.6)
    return f"; did you mean '{close[0]}'?" if close else ""


def _type_ok(kind: str, value: Any) -> bool:
    if kind == "str":
        return isinstance(value, str)
    if kind == "int":
        return isinstance(value, int) and not isinstance(value, bool)
    if kind == "float":
        return isinstance(value, int | float) and not isinstance(value, bool)
    if kind == "bool":
        return isinstance(value, bool)
    if kind == "list[str]":
        return isinstance(value, list) and all(isinstance(v, str) for v in value)
    if kind == "list[int]":
        return isinstance(value, list) and all(
            isinstance(v, int) and not isinstance(v, bool) for v in value
        )
    if kind == "str|list[str]":
        return isinstance(value, str) or _type_ok("list[str]", value)
    if kind == "table":
        return isinstance(value, dict)
    if kind == "str|table":
        return isinstance(value, str | dict)
    raise AssertionError(kind)


_KIND_TEXT = {
    "str": "a text in quotes",
    "int": "a whole number",
    "float": "a number",
    "bool": "true or false",
    "list[str]": 'a list of texts, e.g. ["a", "b"]',
    "list[int]": "a list of whole numbers, e.g. [2015, 2016]",
    "str|list[str]": "a text or a list of texts",
    "table": "a table (key = value pairs)",
    "str|table": "a text or a table",
}


def _check_keys(
    data: dict[str, Any], spec: dict[str, Key], where: Path_, problems: list[Problem]
) -> dict[str, Any]:
    """Check one table against its keys; return it with defaults filled in."""
    out: dict[str, Any] = {}
    for key, value in data.items():
        if key not in spec:
            problems.append(
                Problem(
                    (*where, key),
                    f"unknown key{_suggest(key, spec)}; expected one of {', '.join(spec)}",
                )
            )
            continue
        k = spec[key]
        if not _type_ok(k.kind, value):
            problems.append(Problem((*where, key), f"expected {_KIND_TEXT[k.kind]}, got {value!r}"))
            continue
        if k.choices is not None:
            values = value if isinstance(value, list) else [value]
            for v in values:
                if isinstance(v, str) and v not in k.choices:
                    problems.append(
                        Problem(
                            (*where, key),
                            f"expected one of {', '.join(k.choices)}, got "
                            f"{v!r}{_suggest(v, k.choices)}",
                        )
                    )
        out[key] = value
    for key, k in spec.items():
        if key not in out and key not in data:
            if k.required:
                problems.append(Problem((*where, key), f"missing; {k.help}"))
            else:
                out[key] = k.default
    return out


def expand_files(root: Path, value: str | list[str]) -> list[Path]:
    """Files named by a path or glob (or a list of them), relative to ``root``, sorted."""
    patterns = [value] if isinstance(value, str) else list(value)
    found: list[Path] = []
    for pattern in patterns:
        full = root / pattern
        if glob.has_magic(pattern):
            found.extend(
                Path(p) for p in sorted(glob.glob(str(full), recursive=True)) if Path(p).is_file()
            )
        elif full.is_file():
            found.append(full)
    return sorted(dict.fromkeys(found))


def check(root: Path, data: dict[str, Any]) -> tuple[dict[str, Any], list[Problem]]:
    """Check a parsed configuration; return it with defaults filled in, and its problems."""
    problems: list[Problem] = []
    top_known = [*SPEC, "sources"]
    config: dict[str, Any] = {}
    for section, value in data.items():
        if section not in top_known:
            problems.append(
                Problem(
                    (section,),
                    f"unknown section{_suggest(section, top_known)}; expected "
                    f"one of {', '.join(top_known)}",
                )
            )
        elif section != "sources" and not isinstance(value, dict):
            problems.append(Problem((section,), "expected a table such as [" + section + "]"))
    for section, keys in SPEC.items():
        given = data.get(section, {})
        config[section] = _check_keys(
            given if isinstance(given, dict) else {}, keys, (section,), problems
        )
    if "project" not in data:
        problems.append(Problem(("project",), "missing section [project] with role = ..."))
    role = config["project"].get("role")
    sources = data.get("sources", [])
    if not isinstance(sources, list):
        problems.append(Problem(("sources",), "expected [[sources]] tables, one per source"))
        sources = []
    config["sources"] = []
    if role == "secretariat" and sources:
        problems.append(
            Problem(
                ("sources",),
                "a secretariat project reads its members' "
                "files from [submissions]; [[sources]] is for an office",
            )
        )
    for i, raw in enumerate(sources):
        config["sources"].append(_check_source(root, raw, i, problems))
    seen: set[tuple[Any, Any]] = set()
    for i, src in enumerate(config["sources"]):
        ident = (src.get("id"), src.get("measure"))
        if src.get("id") is not None and ident in seen:
            problems.append(
                Problem(
                    ("sources", i, "id"),
                    f"source {ident[0]!r} is given twice for measure {ident[1]}",
                )
            )
        seen.add(ident)
    if role == "office":
        country = config["project"]["country"]
        if not country:
            problems.append(
                Problem(
                    ("project", "country"),
                    'an office project names its country (ISO alpha-3 code, e.g. "KEN")',
                )
            )
        else:
            from migdata.questionnaire.template import resolve_country

            try:
                config["project"]["country"] = resolve_country(country)
            except Exception:
                problems.append(
                    Problem(
                        ("project", "country"), f"unknown country {country!r}; expected an ISO code"
                    )
                )
    folder_key = {"office": ("questionnaire", "folder"), "secretariat": ("submissions", "folder")}
    if role in folder_key:
        section, key = folder_key[role]
        folder = root / config[section][key]
        if not folder.is_dir():
            problems.append(Problem((section, key), f"folder {folder} does not exist"))
    previous = config["submissions"]["previous_bundle"]
    if previous and not (root / previous).exists():
        problems.append(
            Problem(("submissions", "previous_bundle"), f"{root / previous} does not exist")
        )
    return config, problems


def _check_source(root: Path, raw: Any, i: int, problems: list[Problem]) -> dict[str, Any]:
    where: Path_ = ("sources", i)
    if not isinstance(raw, dict):
        problems.append(Problem(where, "expected a [[sources]] table"))
        return {}
    src = _check_keys(raw, SOURCE_SPEC, where, problems)
    if "type" in src:
        from migdata.sources.catalogue import source_types

        known = [str(k) for k in source_types().index]
        if src["type"] not in known:
            problems.append(
                Problem(
                    (*where, "type"),
                    f"unknown source type {src['type']!r}"
                    f"{_suggest(src['type'], known)}; expected one of "
                    f"{', '.join(known)}",
                )
            )
    if "files" in src:
        files = expand_files(root, src["files"])
        if not files:
            problems.append(
                Problem((*where, "files"), f"no file matches {src['files']!r} under {root}")
            )
        src["_paths"] = files
    columns = src.get("columns", {})
    for role, name in columns.items():
        if role not in COLUMN_ROLES:
            problems.append(
                Problem(
                    (*where, "columns", role),
                    f"unknown column role{_suggest(role, COLUMN_ROLES)}; "
                    f"expected one of {', '.join(COLUMN_ROLES)}",
                )
            )
        elif not isinstance(name, str):
            problems.append(
                Problem(
                    (*where, "columns", role), f"expected the column name in quotes, got {name!r}"
                )
            )
    for role, mapping in src.get("codes", {}).items():
        if role not in COLUMN_ROLES:
            problems.append(
                Problem(
                    (*where, "codes", role), f"unknown column role{_suggest(role, COLUMN_ROLES)}"
                )
            )
        elif not isinstance(mapping, dict) or not all(
            isinstance(v, str | int) for v in mapping.values()
        ):
            problems.append(
                Problem(
                    (*where, "codes", role), 'expected a table of code = "harmonised code" pairs'
                )
            )
    micro = src.get("microdata")
    if micro and micro.get("rule", "12/16") != "12/16":
        src["microdata"] = _check_rule_arguments(micro, (*where, "microdata"), problems)
    elif micro:
        src["microdata"] = _check_keys(micro, MICRODATA_SPEC, (*where, "microdata"), problems)
    profile = src.get("profile")
    if isinstance(profile, str) and profile != "questionnaire" and not (root / profile).is_file():
        problems.append(
            Problem(
                (*where, "profile"),
                f"profile file {root / profile} does "
                "not exist; expected 'questionnaire', a .yaml/.json "
                "profile file or a [sources.profile] table",
            )
        )
    return src


def rule_functions(rule: str) -> list[Any]:
    """The library functions a microdata rule calls, in order (their keyword arguments are the
    rule's keys in ``[sources.microdata]``)."""
    import migdata

    functions: dict[str, list[Any]] = {
        "cards": [migdata.classify_cards, migdata.tabulate_cards],
        "registers": [migdata.register_flows],
    }
    return functions.get(rule, [])


# Arguments the project fills in itself (the records, the profile, the country, the target).
_FILLED = {"cards", "country", "target", "events", "profile"}


def _check_rule_arguments(
    micro: dict[str, Any], where: Path_, problems: list[Problem]
) -> dict[str, Any]:
    import inspect

    rule = micro.get("rule")
    if rule not in RULES:
        problems.append(
            Problem(
                (*where, "rule"),
                f"expected one of {', '.join(RULES)}, got {rule!r}{_suggest(str(rule), RULES)}",
            )
        )
        return micro
    allowed: list[str] = []
    for fn in rule_functions(rule):
        params = list(inspect.signature(fn).parameters.values())[1:]
        allowed += [p.name for p in params if p.name not in _FILLED]
    for key, value in micro.items():
        if key == "rule":
            continue
        if key not in allowed:
            problems.append(
                Problem(
                    (*where, key),
                    f"unknown key for rule {rule!r}{_suggest(key, allowed)}; "
                    f"expected one of {', '.join(allowed)}",
                )
            )
        elif isinstance(value, dict | list):
            problems.append(Problem((*where, key), f"expected a single value, got {value!r}"))
    return micro


def raise_problems(file: Path, problems: list[Problem], lines: dict[Path_, int]) -> None:
    """Raise one :class:`ConfigurationError` listing every problem (nothing else)."""
    if not problems:
        return
    texts = [p.text(file, lines) for p in problems]
    head = f"{len(texts)} problem(s) in the configuration; nothing was written"
    raise ConfigurationError(texts[0] if len(texts) == 1 else head + ":\n  " + "\n  ".join(texts))
