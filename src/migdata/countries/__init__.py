"""Country names and codes: multilingual resolution, code lists and country groups.

Every country column that enters migdata passes through :func:`resolve`; ISO 3166-1
alpha-3 is the internal code list, others (alpha-2, numeric/M49, Eurostat, names) are
produced at the edges with ``to=`` or :func:`convert`.

Public names are loaded on first use (PEP 562), so importing the package stays light.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from migdata._lazy import attach

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

__getattr__, __dir__ = attach(
    __name__,
    _EXPORTS,
    __all__,
    clashes=(
        "crosswalk",
        "groups",
    ),
)
