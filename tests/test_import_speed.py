"""`import migdata` and the command's parser stay light: heavy packages load on first use."""

from __future__ import annotations

import subprocess
import sys

HEAVY = ("pandas", "numpy", "matplotlib", "scipy", "pandera", "openpyxl", "pyarrow")


def _loaded(code: str) -> list[str]:
    out = subprocess.run(
        [sys.executable, "-c", f"{code}\nimport sys\nprint(' '.join(sorted(sys.modules)))"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    return [m for m in HEAVY if m in out]


def test_import_migdata_loads_no_heavy_package() -> None:
    """Plain `import migdata` imports none of pandas, matplotlib, scipy, pandera, ..."""
    assert _loaded("import migdata") == []


def test_cli_parser_loads_no_heavy_package() -> None:
    """`migdata --help` and argument errors build the parser without the heavy packages."""
    assert _loaded("import migdata.cli; migdata.cli.build_parser()") == []


def test_flat_api_names_load_on_first_use() -> None:
    """Every flat-API name resolves; only the parts a name needs are imported."""
    assert "matplotlib" not in _loaded("import migdata; migdata.resolve")
    assert "scipy" not in _loaded("import migdata; migdata.read_answers")
    code = "import migdata; missing = [n for n in migdata.__all__ if getattr(migdata, n) is None]"
    assert _loaded(code)  # everything loaded, and no name was missing (getattr would raise)
