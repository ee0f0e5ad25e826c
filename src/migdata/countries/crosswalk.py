"""Crosswalks over time: a table's historical countries mapped to today's countries.

Renamed countries (Zaire, Burma) and absorbed ones (German Democratic Republic) map one to
one. Countries that split (USSR, Yugoslavia, Sudan before 2011) are never split by guess:
either the caller gives the weights (population shares) or the rows that need a decision
are refused, listed in the error.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from typing import Any

import numpy as np
import pandas as pd

from migdata._resources import data_path
from migdata.countries._resolver import resolve
from migdata.errors import ConfigurationError, InputError

__all__ = ["crosswalk", "successions"]

_OPEN = 10**6  # an open bound of a period (from the beginning, until now)
_PLAN = ["row", "entity", "successor", "share", "kind", "note"]


@cache
def _rules() -> Any:
    rules = pd.read_csv(
        data_path("countries", "successions.csv"),
        comment="#",
        dtype=str,
        keep_default_na=False,
    )
    rules["from_year"] = pd.to_numeric(rules["from_year"].replace("", str(-_OPEN)))
    rules["until_year"] = pd.to_numeric(rules["until_year"].replace("", str(_OPEN)))
    return rules


def successions() -> Any:
    """The table of historical entities and the countries of today they cover.

    Returns
    -------
    pandas.DataFrame
        One row per entity and period: ``entity`` (alpha-3), ``from_year`` and
        ``until_year`` (the row applies to table years from <= Y < until; missing when
        open), ``successors`` (alpha-3 codes joined by "|"), ``kind`` (split, rename,
        merge) and ``note``.

    Examples
    --------
    >>> s = successions().set_index("entity")
    >>> s.loc["CSK", "successors"]
    'CZE|SVK'
    >>> s.loc["ZAR", "kind"]
    'rename'
    """
    out = _rules().copy()
    for bound in ("from_year", "until_year"):
        out[bound] = out[bound].astype("Int64").where(out[bound].abs() < _OPEN)
    return out


def _weights_table(weights: Any) -> Any:
    """The caller's weights as rows (entity, successor, weight[, year])."""
    if weights is None:
        return pd.DataFrame({"entity": [], "successor": [], "weight": []}, dtype=object)
    if isinstance(weights, pd.DataFrame):
        missing = {"entity", "successor", "weight"} - set(weights.columns)
        if missing:
            raise InputError(
                f"weights need the columns entity, successor and weight; missing {sorted(missing)}",
                column=", ".join(sorted(missing)),
            )
        table = weights.copy()
    elif isinstance(weights, Mapping):
        rows = [
            (entity, successor, share)
            for entity, shares in weights.items()
            for successor, share in dict(shares).items()
        ]
        table = pd.DataFrame(rows, columns=["entity", "successor", "weight"])
    else:
        raise InputError(
            "weights must be a mapping {entity: {successor: weight}} or a DataFrame with "
            "columns entity, successor, weight (and optionally year), got "
            f"{type(weights).__name__}"
        )
    table["entity"] = table["entity"].astype(str).str.strip().str.upper()
    table["successor"] = table["successor"].astype(str).str.strip().str.upper()
    table["weight"] = pd.to_numeric(table["weight"], errors="coerce").astype(float)
    weight = table["weight"].to_numpy(dtype=float)
    bad = table[~np.isfinite(weight) | (weight < 0)]
    if len(bad):
        first = bad.iloc[0]
        raise InputError(
            f"weight of {first['successor']} in {first['entity']}: expected a non-negative "
            f"number, got {first['weight']!r}",
            country=str(first["entity"]),
        )
    return table


def _check_successors(rules: Any, weights: Any) -> None:
    known = {
        (entity, successor)
        for entity, successors in zip(rules["entity"], rules["successors"], strict=True)
        for successor in successors.split("|")
    }
    for entity, successor in zip(weights["entity"], weights["successor"], strict=True):
        if (entity, successor) not in known:
            listed = sorted(s for e, s in known if e == entity)
            raise InputError(
                f"weights give {successor} a share of {entity}, but {successor} is not one "
                f"of its successors ({', '.join(listed) or 'not a historical entity'})",
                country=str(entity),
            )


def _refuse(pending: Any, source: Any, column: str) -> None:
    decisions = pd.DataFrame(
        {
            "row": pending["row"].to_numpy(),
            "value": source[column].to_numpy(dtype=object)[pending["row"].to_numpy()],
            "year": pending["year"].to_numpy(),
            "entity": pending["entity"].to_numpy(),
            "successors": pending["successors"].str.replace("|", ", ").to_numpy(),
        }
    )
    shown = "; ".join(
        f"row {r.row} {r.value!r} ({r.entity}, {r.year:g}) -> {r.successors}"
        for r in decisions.head(5).itertuples(index=False)
    )
    error = InputError(
        f"{len(decisions)} row(s) hold a country that has since split and no weights were "
        f"given for it: {shown}; pass weights={{entity: {{successor: share}}}}",
        row=int(decisions["row"].iloc[0]),
        column=column,
        country=str(decisions["entity"].iloc[0]),
    )
    error.decisions = decisions  # type: ignore[attr-defined]
    raise error


def crosswalk(
    table: Any,
    column: str,
    *,
    year: int | str,
    to: str = "current",
    weights: Any = None,
    value: str = "value",
) -> Any:
    """Map the historical countries of a table to today's countries.

    Renamed countries (Zaire -> COD, Burma -> MMR, Upper Volta -> BFA) and absorbed ones
    (German Democratic Republic -> DEU) are mapped one to one. Countries that split (USSR,
    Yugoslavia, Czechoslovakia, Serbia and Montenegro, Netherlands Antilles, and Sudan
    before 2011, Ethiopia before 1993) are apportioned by the caller's ``weights``;
    without weights for them the call is refused with the rows that need a decision.
    Totals of ``value`` are preserved; every row says where it came from.

    Parameters
    ----------
    table
        A DataFrame with one country per row (codes or names, see
        :func:`migdata.countries.resolve`).
    column
        The country column.
    year
        The year of the table, or the name of its year column (Sudan in 2005 covers South
        Sudan, in 2015 it does not).
    to
        ``"current"``: today's countries (the only target so far).
    weights
        Shares of each successor in a split entity: ``{"SUN": {"RUS": 0.52, ...}}`` or a
        DataFrame with columns ``entity``, ``successor``, ``weight`` (and optionally
        ``year``). Shares of an entity are rescaled to sum to 1; a successor left out gets
        nothing.
    value
        The column of counts to apportion (other columns are copied to each part).

    Returns
    -------
    pandas.DataFrame
        The rows of ``table`` (split rows repeated once per successor, in input order),
        with ``column`` holding today's alpha-3 code where an entity was mapped, ``value``
        apportioned, and provenance: ``<column>_before`` (the alpha-3 code the table
        meant), ``crosswalk_share`` (1.0 where nothing was split) and ``crosswalk_note``.
        Values that do not resolve are left as they are (note "not resolved").

    Raises
    ------
    InputError
        Split entities without weights (the error's ``decisions`` attribute lists the
        rows: row, value, year, entity, successors), weights for a country that is not a
        successor, negative weights, missing columns or years.
    ConfigurationError
        ``to`` is not ``"current"``.

    Examples
    --------
    >>> t = pd.DataFrame({"country": ["Zaire", "USSR", "Kenya"], "value": [10.0, 100.0, 5.0]})
    >>> out = crosswalk(t, "country", year=1990, weights={"SUN": {"RUS": 3, "UKR": 1}})
    >>> out[["country", "value", "crosswalk_share"]].values.tolist()
    [['COD', 10.0, 1.0], ['RUS', 75.0, 0.75], ['UKR', 25.0, 0.25], ['KEN', 5.0, 1.0]]
    >>> float(out["value"].sum()) == float(t["value"].sum())
    True
    """
    if str(to).strip().lower() != "current":
        raise ConfigurationError(f"crosswalk to={to!r}: only 'current' is supported")
    if not isinstance(table, pd.DataFrame):
        raise InputError(f"expected a pandas DataFrame, got {type(table).__name__}")
    needed = [column, value] + ([year] if isinstance(year, str) else [])
    for name in needed:
        if name not in table.columns:
            raise InputError(
                f"the table has no column {name!r}; columns: {list(table.columns)}",
                column=str(name),
            )
    source = table.reset_index(drop=True)
    n = len(source)
    codes = pd.Series(resolve(source[column]), dtype=object).where(lambda s: s.notna(), None)
    if isinstance(year, str):
        years = pd.to_numeric(source[year], errors="coerce").astype(float)
    else:
        years = pd.Series(float(int(year)), index=source.index)

    # 1. Which rule applies to each row (entity and period).
    rules = _rules()
    rows = pd.DataFrame({"row": np.arange(n), "entity": codes.to_numpy(), "year": years})
    matched = rows.merge(rules, on="entity", how="inner")
    no_year = matched[matched["year"].isna()]
    if len(no_year):
        first = int(no_year["row"].iloc[0])
        raise InputError(
            f"{no_year['entity'].iloc[0]} can only be mapped knowing the year of the row; "
            "expected a year",
            row=first,
            column=str(year),
        )
    within = (matched["from_year"] <= matched["year"]) & (matched["year"] < matched["until_year"])
    matched = matched[within]
    parts = matched.assign(successor=matched["successors"].str.split("|")).explode("successor")

    # 2. Splits take the caller's weights, or the rows are refused.
    wt = _weights_table(weights)
    _check_successors(rules, wt)
    split = (parts["kind"] == "split").to_numpy()
    on = ["entity", "successor"] + (["year"] if "year" in wt.columns else [])
    weighted = parts[split].merge(wt[[*on, "weight"]], on=on, how="left")
    total = weighted.groupby("row")["weight"].transform("sum")
    pending = weighted[~(total > 0)].drop_duplicates("row")
    if len(pending):
        _refuse(pending, source, column)
    weighted["share"] = weighted["weight"].fillna(0.0) / total
    weighted = weighted[weighted["share"] > 0]
    single = parts[~split].assign(share=1.0)

    # 3. Every row of the table, mapped or not, with its share.
    mapped = pd.concat([single[_PLAN], weighted[_PLAN]], ignore_index=True)
    kept = rows[~rows["row"].isin(mapped["row"])]
    untouched = pd.DataFrame(
        {
            "row": kept["row"],
            "entity": kept["entity"],
            "successor": kept["entity"],
            "share": 1.0,
            "kind": "",
            "note": "",
        }
    )
    plan = pd.concat([mapped, untouched], ignore_index=True)
    plan = plan.sort_values(["row", "successor"], kind="stable", na_position="last")

    # 4. Assemble: repeated rows, apportioned values, provenance.
    at = plan["row"].to_numpy()
    out = source.iloc[at].reset_index(drop=True)
    resolved = plan["entity"].notna().to_numpy()
    share = plan["share"].to_numpy(dtype=float)
    out[column] = np.where(
        resolved, plan["successor"].to_numpy(dtype=object), out[column].to_numpy(dtype=object)
    )
    out[value] = pd.to_numeric(out[value], errors="coerce") * share
    out[f"{column}_before"] = pd.array(plan["entity"].to_numpy(dtype=object), dtype="string")
    out["crosswalk_share"] = share
    kind = pd.Series(plan["kind"].to_numpy(dtype=object), dtype="string")
    note = kind + ": " + pd.Series(plan["note"].to_numpy(dtype=object), dtype="string")
    shares = pd.Series(share).map("{:.6g}".format).astype("string")
    note = note.where(kind != "split", note + " (share " + shares + ", caller's weights)")
    note = note.where(kind != "", "")
    out["crosswalk_note"] = note.where(resolved, "not resolved").astype("string")
    return out
