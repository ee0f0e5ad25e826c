"""Outputs written to a staging folder and swapped in only when the whole run succeeded.

A failing step (or an interrupted run) removes the staging folder and leaves the previous
``output/`` exactly as it was.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

__all__ = ["Staging"]


class Staging:
    """``with Staging(output) as folder: ...`` writes into ``folder``; on success it becomes
    ``output`` (the previous one is removed), on failure it is deleted."""

    def __init__(self, output: Path) -> None:
        self.output = output
        self.folder = output.parent / f".{output.name}.staging-{os.getpid()}"

    def __enter__(self) -> Path:
        if self.folder.exists():
            shutil.rmtree(self.folder)
        self.folder.mkdir(parents=True)
        return self.folder

    def __exit__(self, kind: object, value: object, traceback: object) -> None:
        if kind is not None:
            shutil.rmtree(self.folder, ignore_errors=True)
            return
        old = self.output.parent / f".{self.output.name}.old-{os.getpid()}"
        if self.output.exists():
            self.output.rename(old)
        try:
            self.folder.rename(self.output)
        except BaseException:
            if old.exists():
                old.rename(self.output)
            raise
        shutil.rmtree(old, ignore_errors=True)
