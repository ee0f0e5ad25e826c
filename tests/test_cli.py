"""The ``migdata`` command: version, help, and errors as messages rather than tracebacks."""

from __future__ import annotations

from pathlib import Path

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


@pytest.mark.parametrize(
    "argv",
    [
        ["exchange", "validate", "{missing}.csv"],
        ["exchange", "merge", "{missing}"],
        ["exchange", "build", "{missing}.csv", "--out", "{tmp}/b"],
        ["questionnaire", "score", "{missing}.xlsx"],
        ["quality", "score", "{missing}.xlsx"],
    ],
)
def test_missing_input_is_a_message_not_a_traceback(
    argv: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A file or folder that does not exist gives a non-zero status and names the path."""
    missing = str(tmp_path / "nowhere")
    args = [a.format(missing=missing, tmp=tmp_path) for a in argv]
    status = main(args)
    captured = capsys.readouterr()
    assert status != 0
    assert "nowhere" in captured.out + captured.err
    assert "Traceback" not in captured.out + captured.err
    assert not (tmp_path / "nowhere").exists()
