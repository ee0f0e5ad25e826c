"""The Sphinx documentation in docs/ builds without a single warning."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

DOCS = Path(__file__).resolve().parents[1] / "docs"


def test_docs_build_without_warnings(tmp_path: Path) -> None:
    """sphinx-build -W --keep-going on docs/ exits 0: no warning, no broken docstring."""
    out = tmp_path / "html"
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
            str(tmp_path / "doctrees"),
            str(DOCS),
            str(out),
        ],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, f"sphinx-build failed:\n{result.stderr[-6000:]}"
    assert (out / "index.html").is_file()
    assert (out / "api.html").is_file()
