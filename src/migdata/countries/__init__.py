"""Country names and codes: multilingual resolution, code lists and country groups.

Every country column that enters migdata passes through :func:`resolve`; ISO 3166-1
alpha-3 is the internal code list, others (alpha-2, numeric/M49, Eurostat, names) are
produced at the edges with ``to=`` or :func:`convert`.

Public names are loaded on first use (PEP 562), so importing the package stays light.
"""

from __future__ import annotations

import importlib
import sys
import types
from typing import TYPE_CHECKING, Any

# Public name -> (defining module, attribute), imported on first use and then kept.
_EXPORTS: dict[str, tuple[str, str]] = {
    "CodeList": ("migdata.countries._resolver", "CodeList"),
    "Kind": ("migdata.countries._resolver", "Kind"),
    "Resolution": ("migdata.countries._resolver", "Resolution"),
    "STATUSES": ("migdata.countries._resolver", "STATUSES"),
    "Status": ("migdata.countries._resolver", "Status"),
    "code_list": ("migdata.countries._resolver", "code_list"),
    "convert": ("migdata.countries._resolver", "convert"),
    "crosswalk": ("migdata.countries.crosswalk", "crosswalk"),
    "explain": ("migdata.countries._resolver", "explain"),
    "group_membership": ("migdata.countries.groups", "group_membership"),
    "groups": ("migdata.countries.groups", "groups"),
    "members": ("migdata.countries.groups", "members"),
    "normalise": ("migdata.countries._normalise", "normalise"),
    "outside_group": ("migdata.countries.groups", "outside_group"),
    "resolution_report": ("migdata.countries._resolver", "resolution_report"),
    "resolve": ("migdata.countries._resolver", "resolve"),
    "resolve_detailed": ("migdata.countries._resolver", "resolve_detailed"),
    "successions": ("migdata.countries.crosswalk", "successions"),
}

if TYPE_CHECKING:  # the same names for type checkers and editors
    from migdata.countries._normalise import normalise
    from migdata.countries._resolver import (
        STATUSES,
        CodeList,
        Kind,
        Resolution,
        Status,
        code_list,
        convert,
        explain,
        resolution_report,
        resolve,
        resolve_detailed,
    )
    from migdata.countries.crosswalk import crosswalk, successions
    from migdata.countries.groups import group_membership, groups, members, outside_group


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


# Names that are also submodules: importing the submodule must not replace the function
# (as with the eager imports this package had before, the name stays the function).
_CLASHES = frozenset({"crosswalk", "groups"})


class _Package(types.ModuleType):
    def __setattr__(self, name: str, value: Any) -> None:
        if name in _CLASHES and isinstance(value, types.ModuleType):
            return
        super().__setattr__(name, value)


sys.modules[__name__].__class__ = _Package


__all__ = [
    "STATUSES",
    "CodeList",
    "Kind",
    "Resolution",
    "Status",
    "code_list",
    "convert",
    "crosswalk",
    "explain",
    "group_membership",
    "groups",
    "members",
    "normalise",
    "outside_group",
    "resolution_report",
    "resolve",
    "resolve_detailed",
    "successions",
]
