"""Projects: one folder described by ``migdata.toml``, created by ``migdata init`` and run by
``migdata run`` (or :meth:`Project.run`), for a national office or a regional secretariat.

Public names are loaded on first use (PEP 562), so importing the package stays light.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from migdata._lazy import attach

# Public name -> (defining module, attribute), imported on first use and then kept.
_EXPORTS: dict[str, tuple[str, str]] = {
    "Project": ("migdata.project.run", "Project"),
    "RunResult": ("migdata.project.run", "RunResult"),
    "StepRecord": ("migdata.project.run", "StepRecord"),
    "init_project": ("migdata.project.init", "init_project"),
}

if TYPE_CHECKING:  # the same names for type checkers and editors
    from migdata.project.init import init_project
    from migdata.project.run import Project, RunResult, StepRecord


__all__ = [
    "Project",
    "RunResult",
    "StepRecord",
    "init_project",
]

__getattr__, __dir__ = attach(__name__, _EXPORTS, __all__)
