"""The Sphinx documentation in docs/ builds without a single warning and covers the API."""

from __future__ import annotations

import importlib
import re
import subprocess
import sys
from pathlib import Path

import pytest

import migdata

DOCS = Path(__file__).resolve().parents[1] / "docs"
Built = tuple[subprocess.CompletedProcess[str], Path]

# The subpackages whose every public name must appear in the API reference.
SUBPACKAGES = (
    "migdata.countries",
    "migdata.standards",
    "migdata.sources",
    "migdata.questionnaire",
    "migdata.quality",
    "migdata.mirror",
    "migdata.estimate",
    "migdata.exchange",
    "migdata.metadata",
)


@pytest.fixture(scope="module")
def built(
    tmp_path_factory: pytest.TempPathFactory,
) -> Built:
    """One build for the whole module (it is the slow part: about 15-25 s)."""
    tmp = tmp_path_factory.mktemp("docs")
    out = tmp / "html"
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "sphinx",
            "-W",
            "--keep-going",
            "-q",
            "-b",
            "html",
            "-d",
            str(tmp / "doctrees"),
            str(DOCS),
            str(out),
        ],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    return result, out


def test_docs_build_without_warnings(built: Built) -> None:
    """sphinx-build -W --keep-going on docs/ exits 0: no warning, no broken docstring."""
    result, out = built
    assert result.returncode == 0, f"sphinx-build failed:\n{result.stderr[-6000:]}"
    assert "WARNING" not in result.stderr and "ERROR" not in result.stderr, result.stderr
    for page in ("index", "api", "cli", "demo", "guide/jupyter", "guide/secretariat",
                 "guide/portal"):
        assert (out / f"{page}.html").is_file(), page


@pytest.mark.parametrize("name", SUBPACKAGES)
def test_api_reference_documents_every_public_name(built: Built, name: str) -> None:
    """Every name in a subpackage's __all__ has an entry (anchor) in the API reference."""
    result, out = built
    assert result.returncode == 0, result.stderr[-2000:]
    html = (out / "api.html").read_text(encoding="utf-8")
    module = importlib.import_module(name)
    missing = [n for n in module.__all__ if f'id="{name}.{n}"' not in html]
    assert not missing, f"{name}: not in the API reference: {missing}"


def test_flat_api_table_lists_every_top_level_name(
    built: Built,
) -> None:
    """The flat-API table has one row per name of migdata.__all__, linked to its entry."""
    result, out = built
    assert result.returncode == 0, result.stderr[-2000:]
    html = (out / "api.html").read_text(encoding="utf-8")
    section = html[html.index('id="migdata-the-flat-api"') : html.index('id="errors"')]
    rows = re.findall(r"<tr[^>]*>(.*?)</tr>", section, re.S)[1:]
    names = [re.sub(r"<[^>]+>", "", r.split("</td>", 1)[0]).strip() for r in rows]
    assert names == list(migdata.__all__)
    unlinked = [n for n, r in zip(names, rows, strict=True) if "reference internal" not in r]
    assert unlinked == ["__version__"]


def test_cli_page_shows_the_real_help(built: Built) -> None:
    """The CLI page carries the parser's own usage line of every documented sub-command."""
    result, out = built
    assert result.returncode == 0, result.stderr[-2000:]
    text = (out / "cli.html").read_text(encoding="utf-8")
    for command in (
        "demo",
        "questionnaire template",
        "questionnaire xlsform",
        "questionnaire score",
        "quality score",
        "exchange build",
        "exchange validate",
        "exchange merge",
        "metadata inventory",
        "metadata sims",
        "metadata glossary",
        "metadata catalogue",
        "crossings classify",
        "serve",
        "serve users add",
    ):
        assert f"usage: migdata {command} [-h]" in text, command


def test_formulas_render_offline(built: Built) -> None:
    """Pages with formulas load MathJax from the built site, never from a CDN."""
    result, out = built
    assert result.returncode == 0, result.stderr[-3000:]
    page = (out / "concepts" / "mirror.html").read_text(encoding="utf-8")
    assert "\\(" in page or "\\[" in page, "the page should carry formulas"
    scripts = re.findall(r"<script[^>]*src=\"([^\"]*mathjax[^\"]*)\"", page, flags=re.I)
    assert scripts, "MathJax is not loaded"
    for src in scripts:
        assert not src.startswith(("http:", "https:", "//")), src
        assert (out / "concepts" / src).resolve().is_file(), src
    for html in out.rglob("*.html"):
        text = html.read_text(encoding="utf-8")
        assert "cdn.jsdelivr.net" not in text and "mathjax@" not in text, html
    assert (out / "_static" / "mathjax" / "output" / "chtml" / "fonts" / "woff-v2").is_dir()
