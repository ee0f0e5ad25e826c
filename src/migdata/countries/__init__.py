"""Country names and codes: multilingual resolution, code lists and country groups.

Every country column that enters migdata passes through :func:`resolve`; ISO 3166-1
alpha-3 is the internal code list, others (alpha-2, numeric/M49, Eurostat, names) are
produced at the edges with ``to=`` or :func:`convert`.
"""

from __future__ import annotations

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
