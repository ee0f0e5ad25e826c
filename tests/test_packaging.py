"""Packaging: the installed package reports its version, finds its data, and the README's
two commands are the ones CI runs."""

from __future__ import annotations

import re
from importlib.metadata import version
from pathlib import Path

import migdata
from migdata._resources import data_path, questionnaire_dir

REPO = Path(__file__).resolve().parents[1]


def test_version_comes_from_package_metadata() -> None:
    """``migdata.__version__`` is the installed distribution's version."""
    assert migdata.__version__ == version("migdata")


def test_public_api_is_explicit() -> None:
    """Every name in ``__all__`` exists at the top level."""
    missing = [name for name in migdata.__all__ if not hasattr(migdata, name)]
    assert missing == []


def test_installed_package_finds_its_data_files() -> None:
    """Bundled data (duration factors, item bank) are found from the installed package."""
    assert data_path("duration", "factors.csv").is_file()
    bank = questionnaire_dir()
    assert any(bank.glob("*.yaml")), f"no item bank files in {bank}"


def test_py_typed_marker_is_shipped() -> None:
    """The package declares its type hints (PEP 561)."""
    assert (Path(migdata.__file__).parent / "py.typed").is_file()


def test_readme_opens_with_the_two_commands_ci_runs() -> None:
    """README.md starts with exactly two commands; .ci/run runs the second one verbatim."""
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    block = re.search(r"```(?:bash|sh)\n(.*?)```", readme, re.S)
    assert block is not None and readme.index(block.group(0)) < 40
    commands = [line for line in block.group(1).splitlines() if line.strip()]
    assert len(commands) == 2
    assert "migdata demo" in commands[0]
    ci = (REPO / ".ci" / "run").read_text(encoding="utf-8")
    assert commands[1] in ci.splitlines()
