"""Projects: one folder described by ``migdata.toml``, created by ``migdata init`` and run by
``migdata run`` (or :meth:`Project.run`), for a national office or a regional secretariat.

Public names are loaded on first use (PEP 562), so importing the package stays light.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

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


def __getattr__(name: str) -> Any:
    try:
        module, attribute = _EXPORTS[name]
    except KeyError:
        # A submodule used as an attribute (package.module.function) is imported too.
        try:
            value = importlib.import_module(f"{__name__}.{name}")
        except ModuleNotFoundError:
            raise AttributeError(f"module {__name__!r} has no attribute {name!r}") from None
        globals()[name] = value
        return value
    value = getattr(importlib.import_module(module), attribute)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))


__all__ = [
    "Project",
    "RunResult",
    "StepRecord",
    "init_project",
]
