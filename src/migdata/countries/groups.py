"""Regional groups of countries (COMESA, EAC, SADC, ECOWAS, IGAD, EU) with membership periods.

Membership is data (``migdata/data/countries/group_members.csv``, one row per period with
the year joined and the first year no longer a member), so a group can be asked for its
members in any year.
"""

from __future__ import annotations

from functools import cache
from typing import Any

import pandas as pd

from migdata._resources import data_path
from migdata.errors import ConfigurationError

__all__ = ["group_membership", "groups", "members", "outside_group"]

# Names that users write for a group and the group they mean. "EU27"/"EU28" are read as
# the European Union of the year asked; Eurostat's fixed aggregate is EU27_2020.
_GROUP_ALIASES = {"EU27": "EU", "EU28": "EU", "EEC": "EU"}


def _read(name: str) -> Any:
    return pd.read_csv(data_path("countries", name), comment="#", dtype=str, keep_default_na=False)


@cache
def _tables() -> tuple[Any, Any]:
    meta = _read("groups.csv")
    meta["founded"] = meta["founded"].astype("int64")
    periods = _read("group_members.csv")
    periods["joined"] = periods["joined"].astype("int64")
    periods["left"] = pd.to_numeric(periods["left"].replace("", None)).astype("Int64")
    return meta, periods


def _group_id(group: str) -> str:
    meta, _ = _tables()
    key = str(group).strip().upper()
    key = _GROUP_ALIASES.get(key, key)
    if key not in set(meta["group"]):
        known = ", ".join(sorted(meta["group"]))
        raise ConfigurationError(f"unknown country group {group!r}; known groups: {known}")
    return key


def groups() -> Any:
    """The country groups migdata knows.

    Returns
    -------
    pandas.DataFrame
        Columns group, name, name_fr, founded, members (count today), source.

    Examples
    --------
    >>> g = groups().set_index("group")
    >>> int(g.loc["COMESA", "members"]), int(g.loc["EAC", "members"])
    (21, 8)
    """
    meta, _ = _tables()
    counts = [len(members(g)) for g in meta["group"]]
    out = meta.assign(members=counts)
    return out[["group", "name", "name_fr", "founded", "members", "source"]]


def group_membership(group: str | None = None) -> Any:
    """Membership periods: one row per country and period.

    Parameters
    ----------
    group
        A group id (e.g. "COMESA"); all groups when None.

    Returns
    -------
    pandas.DataFrame
        Columns group, alpha3, joined, left (first year no longer a member; NA while a
        member), note.

    Examples
    --------
    >>> m = group_membership("COMESA")
    >>> m[m["alpha3"] == "AGO"][["joined", "left"]].values.tolist()
    [[1994, 2007]]
    """
    _, periods = _tables()
    if group is None:
        return periods.copy()
    return periods[periods["group"] == _group_id(group)].reset_index(drop=True)


def members(group: str, year: int | None = None) -> list[str]:
    """ISO alpha-3 codes of the members of a group in a year, sorted.

    A country is a member in year ``Y`` when it joined in or before ``Y`` and had not left
    by ``Y`` (the year of leaving is the first year it is no longer counted).

    Parameters
    ----------
    group
        Group id: COMESA, EAC, SADC, ECOWAS, IGAD, EU (also "EU27"/"EU28": the EU of that
        year) or EU27_2020 (Eurostat's fixed 27). Case-insensitive.
    year
        Calendar year; the current membership when None.

    Returns
    -------
    list of str

    Raises
    ------
    ConfigurationError
        Unknown group, or a year before the group was founded.

    Examples
    --------
    >>> len(members("COMESA", year=2015))
    19
    >>> "TUN" in members("COMESA", year=2018), "AGO" in members("COMESA", year=2015)
    (True, False)
    >>> members("EAC", year=2010)
    ['BDI', 'KEN', 'RWA', 'TZA', 'UGA']
    >>> "GBR" in members("EU", 2019), "GBR" in members("EU", 2020)
    (True, False)
    """
    gid = _group_id(group)
    meta, periods = _tables()
    rows = periods[periods["group"] == gid]
    if year is None:
        active = rows["left"].isna()
    else:
        founded = int(meta.loc[meta["group"] == gid, "founded"].iloc[0])
        if int(year) < founded:
            raise ConfigurationError(
                f"{gid} was founded in {founded}; no membership for year {year}"
            )
        active = (rows["joined"] <= int(year)) & (
            rows["left"].isna() | (rows["left"] > int(year))
        ).fillna(True)
    return sorted(set(rows.loc[active.to_numpy(dtype=bool), "alpha3"]))


def outside_group(codes: Any, group: str, year: int | None = None) -> list[str]:
    """Warnings for the countries that are not members of a group (in a year).

    A questionnaire or a project made for a group (COMESA) can still be used for another
    country: this is a warning to show a person, not an error.

    Parameters
    ----------
    codes
        An alpha-3 code or a list of them.
    group
        Group id, as in :func:`members`.
    year
        Calendar year; the current membership when None.

    Returns
    -------
    list of str
        One sentence per country that is not a member, naming the group; empty when all are.

    Examples
    --------
    >>> outside_group(["FRA", "KEN"], "COMESA")
    ['FRA (France) is not a member of COMESA (Common Market for Eastern and Southern Africa)']
    >>> outside_group("RWA", "EAC", year=2010)
    []
    """
    from migdata.countries._resolver import convert

    wanted = [codes] if isinstance(codes, str) else list(codes)
    inside = set(members(group, year))
    gid = _group_id(group)
    meta, _ = _tables()
    name = str(meta.loc[meta["group"] == gid, "name"].iloc[0])
    when = "" if year is None else f" in {int(year)}"
    return [
        f"{code} ({convert(code, 'name_en')}) is not a member of {gid} ({name}){when}"
        for code in wanted
        if code not in inside
    ]
