"""The ``migdata`` command: version, help, and errors as messages rather than tracebacks."""

from __future__ import annotations

import pytest

from migdata import __version__
from migdata.cli import main


def test_version_flag_prints_the_version(capsys: pytest.CaptureFixture[str]) -> None:
    """``migdata --version`` prints the package version."""
    with pytest.raises(SystemExit) as exit_info:
        main(["--version"])
    assert exit_info.value.code == 0
    assert __version__ in capsys.readouterr().out


def test_no_command_prints_help_and_fails(capsys: pytest.CaptureFixture[str]) -> None:
    """Without a command the help is shown and the exit status is 2."""
    assert main([]) == 2
    assert "demo" in capsys.readouterr().out
