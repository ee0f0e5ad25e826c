"""``migdata init``: a new project folder with a commented ``migdata.toml``.

The configuration is TOML: Python reads it with the standard library (:mod:`tomllib`, no
extra dependency), it has one obvious way to write a text, a number, a list and a table
(YAML's implicit typing turns ``NO`` into false and ``1.10`` into 1.1, a real risk with
country codes and versions), and it keeps comments where the statistician reads them.
Comments are in the project's language where the item bank has the text (country, language,
source types, measures, the facts of a source profile), in English otherwise.
"""

from __future__ import annotations

import shutil
import textwrap
from pathlib import Path
from typing import Any

from migdata.errors import ConfigurationError, InputError
from migdata.project import config as cfg

__all__ = ["comment", "init_project", "render_config"]


def _bank_text(ref: str, lang: str) -> str | None:
    from migdata.questionnaire import bank

    if ref.startswith("ui."):
        entry = bank.labels()["ui"].get(ref[3:], {})
        return entry.get(lang) if isinstance(entry, dict) else None
    if ref == "modules":
        mods = bank.labels()["modules"]
        return "; ".join(
            f"{m} = {mods[m].get(lang, mods[m]['en'])}" for m in ("IMM", "EMI", "STK", "NAB")
        )
    items = bank.items().set_index("id")
    if ref in items.index:
        value = items.loc[ref, f"text_{lang}"]
        return str(value) if isinstance(value, str) and value else None
    return None


def comment(key: Any, lang: str) -> str:
    """The comment of a key: the item bank's text in ``lang`` when it has one, else English.

    Examples
    --------
    >>> comment(cfg.SPEC["project"]["country"], "fr").startswith("Pays")
    True
    """
    if lang != "en" and key.bank:
        text = _bank_text(key.bank, lang)
        if text:
            return f"{text} ({key.help})" if lang == "en" else f"{text}. [en] {key.help}"
    if key.bank:
        text = _bank_text(key.bank, "en")
        if text and key.bank in ("modules", "COM.010"):
            return f"{key.help}: {text}"
    return key.help


def _value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(value, list):
        return "[" + ", ".join(_value(v) for v in value) + "]"
    return str(value)


def _section(name: str, values: dict[str, Any], lang: str) -> list[str]:
    lines = [f"[{name}]"]
    for key, value in values.items():
        spec = cfg.SPEC[name][key]
        choices = f" ({' | '.join(spec.choices)})" if spec.choices else ""
        lines += [f"# {part}" for part in textwrap.wrap(f"{comment(spec, lang)}{choices}", 92)]
        lines.append(f"{key} = {_value(value)}")
    return [*lines, ""]


_HEAD = """\
# migdata project ({role}). Run it with:  migdata run {folder}
# This file is TOML: text in "quotes", numbers as they are, lists in [brackets],
# true/false; a line starting with # is a comment. Paths are relative to this folder.
"""

_OFFICE_SOURCES = """\
# One [[sources]] table per national file or group of files. Remove the # signs of this
# example and adapt it to your file (all the keys are explained in the project guide):
#
# [[sources]]
# # {id_help}
# id = "{country}-CENSUS"
# # {type_help}
# type = "census"
# # {files_help}
# files = "data/immigration_*.csv"
# # {measure_help}
# measure = "IMM"
# # {kind_help}
# country_kind = "name"
# # {profile_help}
# profile = "questionnaire"
# [sources.columns]
# year = "Year"
# country = "Country of previous residence"
# sex = "Sex"
# value = "Number"
# [sources.codes.sex]
# "1" = "M"
# "2" = "F"
#
# Inline facts instead of the questionnaire ([sources.profile] replaces profile = ...):
# [sources.profile]
# # {threshold_help}
# threshold_months = 12
# # {basis_help}
# threshold_basis = "intended"
#
# Record-level files: rule = "12/16" (border crossings, below), "cards" or "registers"
# (keys: the arguments of migdata.classify_cards/tabulate_cards or migdata.register_flows).
# Record-level border crossings classified by the 12/16 rule:
# [sources.microdata]
# rule = "12/16"
# threshold_days = 365
# window_days = 487
# data_start = "2015-01-01"
# obs_end = "2023-06-30"
"""

_OUTPUTS_EXTRA = """\
# Output folder: output/ (report.html, manifest.json, bundle/ and the tables of each step).
# documents: metadata documents written from the returned questionnaires to output/documents/
# ("inventory", "sims", "glossary", "catalogue"); unknown keys are refused.
"""


def render_config(role: str, country: str | None, lang: str, folder: str = "DIR") -> str:
    """The text of a new ``migdata.toml`` for ``role`` (comments in ``lang``)."""
    from migdata.questionnaire.bank import items

    texts = items().set_index("id")

    def item(ref: str) -> str:
        value = texts.loc[ref, f"text_{lang}"] if ref in texts.index else None
        return str(value) if isinstance(value, str) and value else str(texts.loc[ref, "text_en"])

    lines = [_HEAD.format(role=role, folder=folder)]
    lines += _section(
        "project",
        {
            "role": role,
            "name": "",
            "country": country or "",
            "language": lang,
            "target": "UN1998",
            "note": "",
        },
        lang,
    )
    if role == "office":
        lines += _section("questionnaire", {"folder": "questionnaire"}, lang)
    else:
        lines += _section(
            "submissions", {"folder": "submissions", "years": [], "previous_bundle": ""}, lang
        )
        lines += _section(
            "reconciliation",
            {
                "method": "log-ls",
                "reference": "",
                "weights": "count",
                "bootstrap": 0,
                "seed": 1,
                "exclude_outliers": 0.0,
            },
            lang,
        )
    lines.append(_OUTPUTS_EXTRA.rstrip("\n"))
    lines += _section(
        "outputs",
        {
            "bundle_formats": ["csv", "parquet"],
            "bundle_prefix": "",
            "feedback": True,
            "figures": True,
            "documents": [],
        }
        if role == "secretariat"
        else {
            "bundle_formats": ["csv", "parquet"],
            "bundle_prefix": "",
            "figures": True,
            "documents": [],
        },
        lang,
    )
    if role == "office":
        s = cfg.SOURCE_SPEC
        lines.append(
            _OFFICE_SOURCES.format(
                country=country or "XXX",
                id_help=comment(s["id"], lang),
                type_help=comment(s["type"], lang).replace("\n", " "),
                files_help=comment(s["files"], lang),
                measure_help=comment(s["measure"], lang),
                kind_help=comment(s["country_kind"], lang),
                profile_help=comment(s["profile"], lang),
                threshold_help=item("COM.060"),
                basis_help=item("COM.070"),
            )
        )
    return "\n".join(lines).rstrip("\n") + "\n"


def init_project(
    directory: str | Path,
    role: str,
    country: str | None = None,
    lang: str = "en",
    force: bool = False,
) -> Any:
    """Create a project folder: ``migdata.toml``, its folders and (office) the questionnaire.

    Parameters
    ----------
    directory
        The project folder (created when missing).
    role
        ``"office"`` (folders ``questionnaire/`` and ``data/``) or ``"secretariat"``
        (``submissions/``); both get ``output/``.
    country
        ISO alpha-3 code or name of the office's country (required for an office).
    lang
        ``"en"``, ``"fr"``, ``"pt"`` or ``"ar"``: language of the comments (where the item
        bank has the text) and of the office's questionnaire.
    force
        Overwrite an existing ``migdata.toml`` (and the blank questionnaire).

    Returns
    -------
    Project

    Raises
    ------
    ConfigurationError
        Unknown role, language or country; an office without a country.
    InputError
        ``directory`` already holds a ``migdata.toml`` (and ``force`` is false), or is a file.

    Examples
    --------
    >>> import tempfile
    >>> p = init_project(tempfile.mkdtemp() + "/kenya", role="office", country="KEN", lang="fr")
    >>> sorted(x.name for x in p.root.iterdir())
    ['data', 'migdata.toml', 'output', 'questionnaire']
    """
    from migdata.project.run import Project

    if role not in cfg.ROLES:
        raise ConfigurationError(f"role {role!r}; expected one of {', '.join(cfg.ROLES)}")
    if lang not in cfg.LANGUAGES:
        raise ConfigurationError(f"language {lang!r}; expected one of {', '.join(cfg.LANGUAGES)}")
    root = Path(directory)
    if root.exists() and not root.is_dir():
        raise InputError("expected a folder for the project, found a file", file=str(root))
    code = None
    if role == "office":
        if not country:
            raise ConfigurationError("an office project needs its country: --country ISO3")
        from migdata.questionnaire.template import resolve_country

        code = resolve_country(country)
    elif country:
        from migdata.questionnaire.template import resolve_country

        code = resolve_country(country)
    path = root / cfg.CONFIG_NAME
    if path.exists() and not force:
        raise InputError(
            "this folder already holds a project; use --force (force=True) to overwrite its "
            "configuration",
            file=str(path),
        )
    text = render_config(role, code, lang, folder=str(root))
    root.mkdir(parents=True, exist_ok=True)
    folders = ["questionnaire", "data"] if role == "office" else ["submissions"]
    for name in [*folders, "output"]:
        (root / name).mkdir(exist_ok=True)
    tmp = path.with_suffix(".toml.tmp")
    tmp.write_text(text, encoding="utf-8")
    shutil.move(tmp, path)
    if role == "office" and code is not None:
        from migdata.questionnaire import write_template

        blank = root / "questionnaire" / f"{code}_questionnaire_{lang}.xlsx"
        if force or not blank.exists():
            write_template(blank, lang=lang, country=code, overwrite=True)
    return Project.load(root)
