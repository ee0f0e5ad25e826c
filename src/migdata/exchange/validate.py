"""Validation of exchange files and tables against the COMESA data structures.

The pandera schema is generated from the data structure (columns, code lists, patterns);
checks across rows (keys, totals, statuses) are vectorised here. Every problem becomes one
row of a :class:`ValidationReport`; nothing stops at the first.
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pandera.pandas as pa
from pandera.errors import SchemaErrors

from migdata._checks import public
from migdata._safe_io import formula_cells
from migdata.errors import InputError, ValidationError
from migdata.exchange import _frame, _triage, registry, structures

__all__ = ["ValidationReport", "validate"]

REPORT_COLUMNS = ("row", "column", "value", "rule", "message")
# Tolerance of the M + F = _T check: rounding of published figures (absolute) or relative.
TOTAL_ABS_TOL = 0.5
TOTAL_REL_TOL = 1e-6


@dataclass
class ValidationReport:
    """Every problem found in a file or table, one row each (row, column, value, rule, message).

    ``row`` is the line number for files (header = line 1) and the position for DataFrames.

    Examples
    --------
    >>> report = ValidationReport(pd.DataFrame({"row": [3], "column": ["SEX"], "value": ["X"],
    ...     "rule": ["code"], "message": ["SEX code 'X' is not in code list COMESA:CL_SEX(1.0)"]}))
    >>> report.ok, len(report)
    (False, 1)
    """

    frame: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=list(REPORT_COLUMNS)))
    file: str | None = None
    rows_checked: int = 0
    notes: list[str] = field(default_factory=list)
    omitted: dict[str, int] = field(default_factory=dict)
    """Problems counted but not listed, per rule (the report lists at most
    ``migdata._limits.MAX_PROBLEMS_PER_RULE`` per rule)."""

    @property
    def ok(self) -> bool:
        """True when no problem was found."""
        return len(self.frame) == 0 and not self.omitted

    def __len__(self) -> int:
        return len(self.frame) + sum(self.omitted.values())

    def __getitem__(self, key: Any) -> Any:
        return self.frame[key]

    def to_frame(self) -> pd.DataFrame:
        """The problems as a DataFrame (a copy)."""
        return self.frame.copy()

    def summary(self) -> pd.Series:
        """Number of problems per rule (listed and counted)."""
        counts = self.frame["rule"].value_counts().to_dict()
        for rule, n in self.omitted.items():
            counts[rule] = counts.get(rule, 0) + n
        return pd.Series(counts, name="count", dtype="int64").rename_axis("rule").sort_index()

    def raise_if_invalid(self) -> None:
        """Raise :class:`~migdata.errors.ValidationError` carrying this report when not ok."""
        if not self.ok:
            first = self.frame.iloc[0]
            raise ValidationError(
                f"{len(self)} problem(s); first: {first['message']}",
                report=self,
                file=self.file,
            )

    def __str__(self) -> str:
        where = f"{self.file}: " if self.file else ""
        if self.ok:
            return f"{where}valid ({self.rows_checked:,} rows checked)"
        lines = [f"{where}{len(self):,} problem(s) in {self.rows_checked:,} rows"]
        # A file's problems are placed by its line numbers (the header is line 1); a table's
        # by its row numbers.
        unit = "line" if self.file else "row"
        for rec in self.frame.head(200).itertuples(index=False):
            row = "-" if pd.isna(rec.row) else str(rec.row)
            lines.append(f"  {unit} {row:>7}  {rec.rule:<16} {rec.message}")
        if len(self) > 200:
            lines.append(f"  ... and {len(self) - 200:,} more")
        for rule, n in sorted(self.omitted.items()):
            lines.append(f"  ({n:,} more {rule} problem(s) counted, not listed)")
        return "\n".join(lines)

    def __repr__(self) -> str:
        where = f"{self.file!r}, " if self.file else ""
        if self.ok:
            return f"ValidationReport({where}valid, {self.rows_checked:,} rows checked)"
        rules = ", ".join(f"{k} {v:,}" for k, v in self.summary().items())
        return (
            f"ValidationReport({where}{len(self):,} problem(s) in {self.rows_checked:,} rows: "
            f"{rules})"
        )

    def _repr_html_(self) -> str:
        name = html.escape(self.file or "table")
        if self.ok:
            return f"<b>{name}</b>: valid ({self.rows_checked:,} rows checked)"
        counts = "".join(
            f"<tr><td>{html.escape(str(k))}</td><td>{v:,}</td></tr>"
            for k, v in self.summary().items()
        )
        shown = "" if len(self) <= 20 else f" (first 20 of {len(self):,})"
        row = "line in the file (header = line 1)" if self.file else "position in the table"
        return (
            f"<b>{name}</b>: {len(self):,} problem(s) in {self.rows_checked:,} rows"
            f"<p>Problems by rule:</p><table><tr><th>rule</th><th>problems</th></tr>{counts}"
            f"</table><p>Problems{shown}; row = {row}:</p>"
            + self.frame.head(20).to_html(index=False, border=0)
        )


def _from_harmonised(table: pd.DataFrame, flow: structures.Dataflow | None) -> pd.DataFrame:
    """Harmonised columns -> SDMX columns without judging the values (validation does that)."""
    mapping = structures.column_mapping()
    to_sdmx = {h: s for h, s in zip(mapping["harmonised"], mapping["sdmx"], strict=True) if h}
    by_measure = {f.measure: f for f in structures.dataflows().values()}
    cols: dict[str, Any] = {}
    if "measure" in table.columns:
        measure = table["measure"].astype("str")
        codes, uniques = pd.factorize(measure, use_na_sentinel=False)
        refs = np.array(
            [by_measure[m].ref if m in by_measure else m for m in uniques], dtype=object
        )
        cols["STRUCTURE_ID"] = pd.Series(refs[codes], index=table.index, dtype="str")
    elif flow is not None:
        measure = pd.Series(flow.measure, index=table.index, dtype="str")
        cols["STRUCTURE_ID"] = pd.Series(flow.ref, index=table.index, dtype="str")
    else:
        measure = pd.Series(np.nan, index=table.index, dtype="str")
    for h, s in to_sdmx.items():
        if h in table.columns and h != "measure":
            cols[s] = table[h]
    cols.setdefault("FREQ", pd.Series("A", index=table.index, dtype="str"))
    cols.setdefault("UNIT_MEASURE", measure.map({m: f.unit for m, f in by_measure.items()}))
    cols.setdefault("CONF_STATUS", pd.Series("F", index=table.index, dtype="str"))
    rp = measure.isin(["RP_FIRST", "RP_VALID"])
    for dim in ("REASON", "VALIDITY"):
        if dim not in cols and rp.any():
            cols[dim] = pd.Series("_T", index=table.index, dtype="str").where(rp)
    return pd.DataFrame(cols, index=table.index)


def _prepare(
    source: Any, flow: structures.Dataflow | None
) -> tuple[pd.DataFrame, np.ndarray, str | None, list[str], pd.DataFrame]:
    if isinstance(source, pd.DataFrame):
        frame = source
        if "DATAFLOW" in frame.columns and "STRUCTURE_ID" not in frame.columns:
            frame = frame.rename(columns={"DATAFLOW": "STRUCTURE_ID"})
        if "STRUCTURE_ID" in frame.columns:
            frame = frame.drop(columns=[c for c in ("STRUCTURE", "ACTION") if c in frame.columns])
        else:
            frame = _from_harmonised(frame, flow)
        lines = np.arange(len(frame), dtype=np.int64)
        return frame.reset_index(drop=True), lines, None, [], pd.DataFrame()
    raw = registry.read_raw(Path(source))
    return raw.frame, raw.lines, str(source), raw.notes, raw.rejected


def _problems(rows: Any, column: Any, values: Any, rule: str, message: Any) -> pd.DataFrame:
    """Problem rows from positional inputs (scalars are repeated)."""
    rows = [None if r is None or pd.isna(r) else int(r) for r in list(rows)]
    n = len(rows)
    columns = [column] * n if isinstance(column, str) or column is None else list(column)
    messages = [message] * n if isinstance(message, str) else list(message)
    text = [
        None if v is None or (isinstance(v, float) and np.isnan(v)) else str(v)
        for v in list(values)
    ]
    return pd.DataFrame(
        {
            "row": pd.array(rows, dtype="Int64"),
            "column": pd.Series(columns, dtype="str"),
            "value": pd.Series(text, dtype="str"),
            "rule": pd.Series([rule] * n, dtype="str"),
            "message": pd.Series(messages, dtype="str"),
        }
    )


def _schema(flows: list[structures.Dataflow], columns: list[str]) -> pa.DataFrameSchema:
    """The pandera schema generated from the data structures of ``flows``."""
    allowed = structures.sdmx_columns(flows) if flows else []
    everywhere = (
        set.intersection(*({d.id for d in f.structure.dimensions} for f in flows))
        if flows
        else set()
    )
    comps: dict[str, structures.Component] = {}
    for f in flows:
        for c in f.structure.components:
            comps.setdefault(c.id, c)
    spec: dict[str, pa.Column] = {
        "STRUCTURE_ID": pa.Column(None, nullable=False, required=True),
    }
    for col in allowed:
        comp = comps[col]
        checks: list[pa.Check] = []
        if comp.codelist is not None:
            if comp.codelist.pattern is not None:
                checks.append(pa.Check.str_matches(comp.codelist.pattern, name="pattern"))
            else:
                checks.append(pa.Check.isin(list(comp.codelist.codes), name="code"))
        required = comp.role == "measure" or col in everywhere
        nullable = not (comp.role == "dimension" and col in everywhere)
        spec[col] = pa.Column(None, checks=checks, nullable=nullable, required=required)
    if "flags" in columns:
        spec["flags"] = pa.Column(None, nullable=True, required=False)
    return pa.DataFrameSchema(spec, strict=True)


def _pandera_problems(
    frame: pd.DataFrame, flows: list[structures.Dataflow], lines: np.ndarray
) -> pd.DataFrame:
    schema = _schema(flows, list(frame.columns))
    checked = frame.drop(
        columns=[c for c in frame.columns if c in _frame.NUMBER_COLUMNS and c in schema.columns]
    )
    # Numbers are checked below; pandera sees the text/code columns with line numbers as index.
    number_cols = [c for c in _frame.NUMBER_COLUMNS if c in schema.columns]
    schema = schema.remove_columns([c for c in number_cols if c in schema.columns])
    missing_numbers = [c for c in number_cols if c not in frame.columns and c == "OBS_VALUE"]
    checked = checked.set_axis(pd.Index(lines), axis=0)
    try:
        schema.validate(checked, lazy=True)
        cases = pd.DataFrame(columns=["column", "check", "failure_case", "index"])
    except SchemaErrors as err:
        cases = err.failure_cases
    comps = {c.id: c for f in flows for c in f.structure.components}
    out: list[pd.DataFrame] = []
    for missing in missing_numbers:
        out.append(
            _problems(
                [None],
                missing,
                [None],
                "missing_column",
                f"column {missing} (the observation value) is missing",
            )
        )
    if len(cases) == 0:
        return pd.concat(out) if out else _problems([], None, [], "", [])
    check = cases["check"].astype("str")
    col = cases["column"].astype("str")
    value = cases["failure_case"].astype("str")
    index = pd.to_numeric(cases["index"], errors="coerce")
    refs = ", ".join(f.ref for f in flows) or "the COMESA dataflows"
    for pandera_check, rule, message in (
        (
            "column_in_dataframe",
            "missing_column",
            "column {c} is missing; it is required by {refs}",
        ),
        ("column_in_schema", "unknown_column", "column {c} is not a component of {refs}"),
    ):
        sel = check == pandera_check
        if sel.any():
            names = value[sel]
            out.append(
                _problems(
                    [None] * int(sel.sum()),
                    names,
                    [None] * int(sel.sum()),
                    rule,
                    [message.format(c=c, refs=refs) for c in names],
                )
            )
    sel = check == "not_nullable"
    if sel.any():
        out.append(
            _problems(
                index[sel],
                col[sel],
                [None] * int(sel.sum()),
                "empty",
                [f"{c} is empty; every observation needs this dimension" for c in col[sel]],
            )
        )
    for name, rule in (("isin", "code"), ("str_matches", "pattern")):
        sel = check.str.startswith(name)
        if not sel.any():
            continue
        cols = col[sel]
        vals = value[sel]
        msgs = []
        for c, v in zip(cols, vals, strict=True):
            cl = comps[c].codelist if c in comps else None
            if c == "TIME_PERIOD":
                msgs.append(f"malformed time period {v!r}: expected a year (YYYY)")
            elif rule == "pattern" and cl is not None:
                msgs.append(f"{c} {v!r} does not match the pattern of {cl.ref} ({cl.pattern})")
            else:
                msgs.append(f"{c} code {v!r} is not in code list {cl.ref if cl else c}")
        out.append(_problems(index[sel], cols, vals, rule, msgs))
        if "TIME_PERIOD" in set(cols):
            last = out[-1]
            out[-1] = last.assign(
                rule=np.where(last["column"] == "TIME_PERIOD", "time_period", last["rule"])
            )
    return pd.concat(out, ignore_index=True) if out else _problems([], None, [], "", [])


def _numbers(text: pd.Series) -> tuple[pd.Series, np.ndarray]:
    """Lenient number parse (thousands separators accepted); returns values and bad mask."""
    if text.dtype.kind in "fiu":
        values = text.astype("float64")
        infinite = np.isinf(values.to_numpy())  # inf, 1e400: not a count
        return values.mask(infinite), infinite
    s = text.astype("str").str.strip()
    empty = (s.isna() | (s == "") | s.isin(["NaN", "#N/A"])).to_numpy()
    values = pd.to_numeric(s.where(~empty, np.nan), errors="coerce").astype("float64")
    bad = ~empty & values.isna().to_numpy()
    if bad.any():
        fixed = pd.to_numeric(s[bad].str.replace(",", "", regex=False), errors="coerce")
        ok = s[bad].str.match(_frame._THOUSANDS).fillna(False).to_numpy(dtype=bool)
        idx = np.flatnonzero(bad)[ok]
        values.iloc[idx] = fixed.to_numpy()[ok]
        bad[idx] = False
    infinite = np.isinf(values.to_numpy())  # "inf", "1e400": not a count
    return values.mask(infinite), bad | infinite


def _value_rows(
    frame: pd.DataFrame, lines: np.ndarray, col: str, mask: Any, message: str
) -> pd.DataFrame:
    """Problems of rule ``value`` on the masked rows of ``col``; ``message`` has ``{v}``."""
    shown = frame[col][mask].astype("str")
    return _problems(lines[mask], col, shown, "value", [message.format(v=v) for v in shown])


def _value_problems(frame: pd.DataFrame, lines: np.ndarray) -> tuple[pd.DataFrame, pd.Series]:
    out: list[pd.DataFrame] = []
    status = (
        frame["OBS_STATUS"].astype("str")
        if "OBS_STATUS" in frame.columns
        else pd.Series(np.nan, index=frame.index, dtype="str")
    )
    # "A" (normal value) explains nothing: a negative, empty or non-numeric value needs a
    # status that says why (M missing, E estimated, ...).
    no_status = (status.isna() | (status == "A")).to_numpy()
    obs = pd.Series(np.nan, index=frame.index)
    for col in _frame.NUMBER_COLUMNS:
        if col not in frame.columns:
            continue
        values, bad = _numbers(frame[col])
        if col == "OBS_VALUE":
            obs = values
            nonnum = bad & no_status
            neg = (values < 0).to_numpy() & no_status
            empty = values.isna().to_numpy() & ~bad & no_status
            for mask, message in (
                (nonnum, "OBS_VALUE {v!r} is not a number and OBS_STATUS gives no reason"),
                (neg, "OBS_VALUE {v} is negative (a count) and OBS_STATUS gives no reason"),
            ):
                if mask.any():
                    out.append(_value_rows(frame, lines, col, mask, message))
            if empty.any():
                out.append(
                    _problems(
                        lines[empty],
                        col,
                        [None] * int(empty.sum()),
                        "missing_value",
                        "OBS_VALUE is empty and OBS_STATUS is empty or A; a missing value needs M",
                    )
                )
        elif bad.any():
            out.append(_value_rows(frame, lines, col, bad, f"{col} {{v!r}} is not a number"))
    return (pd.concat(out, ignore_index=True) if out else _problems([], None, [], "", [])), obs


def _group_ids(codes: dict[str, np.ndarray], columns: list[str]) -> np.ndarray:
    """Group id of each row for the given key columns, from per-column factor codes."""
    if not columns:
        return np.zeros(0, dtype=np.int64)
    combined = np.zeros(len(codes[columns[0]]), dtype=np.int64)
    span = 1.0
    for col in columns:
        c = codes[col]
        width = int(c.max()) + 2 if len(c) else 1
        span *= width
        if span >= 2.0**62:  # too many combinations for one integer: renumber so far
            combined = pd.factorize(combined)[0].astype(np.int64)
            span = float(combined.max() + 1) * width
        combined = combined * width + (c + 1)
    return pd.factorize(combined)[0]


def _factor_codes(frame: pd.DataFrame, columns: list[str]) -> dict[str, np.ndarray]:
    """Each key column factorised once (missing -> -1); shared by key and totals checks."""
    return {c: pd.factorize(frame[c])[0].astype(np.int64) for c in columns if c in frame.columns}


def _key_problems(
    frame: pd.DataFrame,
    key: list[str],
    lines: np.ndarray,
    codes: dict[str, np.ndarray],
    unit: str = "row",
) -> pd.DataFrame:
    present = [k for k in key if k in frame.columns]
    if not len(frame) or not present:
        return _problems([], None, [], "", [])
    groups = _group_ids(codes, present)
    dup = pd.Series(groups).duplicated(keep="first").to_numpy()
    if not dup.any():
        return _problems([], None, [], "", [])
    first_pos = pd.Series(np.arange(len(frame))).groupby(groups).transform("first").to_numpy()
    idx = np.flatnonzero(dup)
    keys = frame.iloc[idx][present].astype("str").fillna("").agg(".".join, axis=1)
    msgs = [
        f"duplicate key {k}: already on {unit} {int(lines[first_pos[i]])}"
        for k, i in zip(keys, idx, strict=True)
    ]
    return _problems(lines[idx], "key", keys.to_numpy(), "duplicate_key", msgs)


def _total_problems(
    frame: pd.DataFrame,
    key: list[str],
    obs: pd.Series,
    lines: np.ndarray,
    codes: dict[str, np.ndarray],
) -> pd.DataFrame:
    if "SEX" not in frame.columns:
        return _problems([], None, [], "", [])
    others = [k for k in key if k != "SEX" and k in frame.columns]
    sex = frame["SEX"].astype("str")
    use = (sex.isin(["M", "F", "_T"]) & obs.notna()).to_numpy()
    if not use.any():
        return _problems([], None, [], "", [])
    groups = _group_ids({c: codes[c][use] for c in others}, others)
    if not len(groups):
        groups = np.zeros(int(use.sum()), dtype=np.int64)
    n = int(groups.max()) + 1
    vals = obs.to_numpy()[use]
    s = sex.to_numpy()[use]
    parts = {}
    for code in ("M", "F", "_T"):
        arr = np.full(n, np.nan)
        hit = s == code
        arr[groups[hit]] = vals[hit]
        parts[code] = arr
    total = parts["_T"]
    summed = parts["M"] + parts["F"]
    off = np.abs(summed - total) > np.maximum(TOTAL_ABS_TOL, TOTAL_REL_TOL * np.abs(total))
    off &= ~np.isnan(summed) & ~np.isnan(total)
    if not off.any():
        return _problems([], None, [], "", [])
    pos = np.flatnonzero(use)[(s == "_T") & off[groups]]
    t = obs.to_numpy()[pos]
    g = groups[(s == "_T") & off[groups]]
    msgs = [
        f"males + females = {parts['M'][k]:g} + {parts['F'][k]:g} = {summed[k]:g} "
        f"but the total (_T) is {tv:g}"
        for k, tv in zip(g, t, strict=True)
    ]
    return _problems(lines[pos], "OBS_VALUE", [f"{v:g}" for v in t], "totals", msgs)


def _constraint_problems(
    frame: pd.DataFrame, flows: dict[str, structures.Dataflow], lines: np.ndarray
) -> pd.DataFrame:
    out: list[pd.DataFrame] = []
    sid = frame["STRUCTURE_ID"].astype("str")
    known = sid.isin(list(flows))
    if (~known).any():
        rows = np.flatnonzero((~known).to_numpy())
        out.append(
            _problems(
                lines[rows],
                "STRUCTURE_ID",
                sid.iloc[rows].to_numpy(),
                "structure",
                [
                    f"unknown dataflow {v!r}; expected one of "
                    + ", ".join(f.ref for f in structures.dataflows().values())
                    for v in sid.iloc[rows]
                ],
            )
        )
    if "COUNTERPART_TYPE" in frame.columns:
        ct = frame["COUNTERPART_TYPE"].astype("str")
        allowed = {(f.ref, t) for f in flows.values() for t in f.counterpart_types}
        # Distinct (dataflow, breakdown) pairs are judged once, then broadcast back.
        sid_codes, sid_u = pd.factorize(sid)
        ct_codes, ct_u = pd.factorize(ct)
        width = len(ct_u) + 1
        combined = (sid_codes.astype(np.int64) + 1) * width + (ct_codes + 1)
        codes, pair_u = pd.factorize(combined)
        uniques = []
        for c in pair_u:
            s_i, c_i = divmod(int(c), width)
            uniques.append((sid_u[s_i - 1] if s_i else None, ct_u[c_i - 1] if c_i else None))
        ok_u = np.array(
            [(a, b) in allowed or not isinstance(b, str) or a not in flows for a, b in uniques],
            dtype=bool,
        )
        bad = ~ok_u[codes] if len(uniques) else np.zeros(len(frame), dtype=bool)
        # Codes outside CL_COUNTERPART_TYPE are already reported by the code check.
        from migdata.harmonised import COUNTERPART_TYPES

        bad &= ct.isin(list(COUNTERPART_TYPES)).to_numpy()
        if bad.any():
            rows = np.flatnonzero(bad)
            out.append(
                _problems(
                    lines[rows],
                    "COUNTERPART_TYPE",
                    ct.iloc[rows].to_numpy(),
                    "constraint",
                    [
                        f"{c} is not a breakdown of {s} "
                        f"(allowed: {', '.join(flows[s].counterpart_types)})"
                        for s, c in zip(sid.iloc[rows], ct.iloc[rows], strict=True)
                    ],
                )
            )
    for dim in ("REASON", "VALIDITY"):
        if dim not in frame.columns:
            continue
        has = {f.ref for f in flows.values() if dim in {d.id for d in f.structure.dimensions}}
        need = sid.isin(list(has)).to_numpy()
        empty = frame[dim].isna().to_numpy()
        rows = np.flatnonzero(need & empty)
        if len(rows):
            out.append(
                _problems(
                    lines[rows],
                    dim,
                    [None] * len(rows),
                    "empty",
                    f"{dim} is empty; every permit observation needs this dimension",
                )
            )
        rows = np.flatnonzero(~need & ~empty & known.to_numpy())
        if len(rows):
            out.append(
                _problems(
                    lines[rows],
                    dim,
                    frame[dim].iloc[rows].astype("str").to_numpy(),
                    "constraint",
                    f"{dim} must be empty: the dataflow has no {dim} dimension",
                )
            )
    return pd.concat(out, ignore_index=True) if out else _problems([], None, [], "", [])


@public
def validate(source: Any, dataflow: Any = None, *, structure: Any = None) -> ValidationReport:
    """Check a file or table against the COMESA data structures; collect every problem.

    Parameters
    ----------
    source
        A path (any format :func:`migdata.exchange.read` accepts) or a DataFrame with
        harmonised columns or SDMX columns.
    dataflow
        Optional dataflow every row must belong to.
    structure
        Path of an SDMX-ML structure message (2.1 or 3.0: Eurostat's, UNSD's, any) to check
        the file against instead of the COMESA structures: every dimension present, codes
        in the code lists, mandatory attributes, numeric measure, unique keys and the content
        constraints. Needs ``pip install 'migdata[sdmx]'``.

    Returns
    -------
    ValidationReport
        One row per problem: missing or unknown columns, codes not in code lists, malformed
        time periods, dataflow constraints, duplicate keys, non-numeric or negative values
        without a status, totals that do not add up (M + F = _T where all three are given).

    Examples
    --------
    >>> t = pd.DataFrame({"measure": ["IMM"] * 3, "ref_area": ["KEN"] * 3,
    ...     "counterpart_area": ["UGA"] * 3, "counterpart_type": ["CITIZENSHIP"] * 3,
    ...     "sex": ["M", "F", "_T"], "age": ["_T"] * 3, "time_period": ["2020", "2020", "20X0"],
    ...     "obs_value": [10.0, 12.0, 25.0]})
    >>> report = validate(t)
    >>> report.ok, report.to_frame()["rule"].tolist()
    (False, ['time_period'])
    >>> validate(t.assign(time_period="2020"))["rule"].tolist()
    ['totals']
    """
    if structure is not None:
        return _validate_foreign(source, structure)
    flow = structures.dataflow(dataflow) if dataflow is not None else None
    try:
        frame, lines, file, notes, rejected = _prepare(source, flow)
    except InputError as err:
        report = _problems([err.row], err.column, [err.value], "readable", err.reason)
        return ValidationReport(report, file=str(source), rows_checked=0)
    all_flows = {f.ref: f for f in structures.dataflows().values()}
    problems: list[pd.DataFrame] = []
    if "STRUCTURE_ID" not in frame.columns:
        problems.append(
            _problems(
                [None],
                "STRUCTURE_ID",
                [None],
                "missing_column",
                "no STRUCTURE_ID (or DATAFLOW / measure) column: the rows' dataflow is unknown",
            )
        )
        refs: list[str] = []
    else:
        refs = sorted(r for r in pd.unique(frame["STRUCTURE_ID"].astype("str")) if r in all_flows)
    if flow is not None:
        refs = [flow.ref]
        if "STRUCTURE_ID" in frame.columns:
            other = (frame["STRUCTURE_ID"].astype("str") != flow.ref).to_numpy()
            if other.any():
                problems.append(
                    _problems(
                        lines[other],
                        "STRUCTURE_ID",
                        frame["STRUCTURE_ID"][other].astype("str"),
                        "structure",
                        f"expected only dataflow {flow.ref}",
                    )
                )
    flows = [all_flows[r] for r in refs]
    if not flows:
        flows = list(all_flows.values())
    rows_in = len(frame)
    formulas = formula_cells(frame)
    frame, lines, screened = _triage.screen(frame, lines, flows)  # a file of garbage
    problems.append(_pandera_problems(frame, flows, lines))
    if "STRUCTURE_ID" in frame.columns:
        problems.append(
            _constraint_problems(frame, all_flows if flow is None else {flow.ref: flow}, lines)
        )
    if "OBS_VALUE" in frame.columns:
        value_report, obs = _value_problems(frame, lines)
        problems.append(value_report)
    else:
        obs = pd.Series(np.nan, index=frame.index)
    key = ["STRUCTURE_ID", *_frame.dimension_ids(flows)]
    absent = [k for k in key if k not in frame.columns]
    if absent:
        # A missing key column is reported once (missing_column); the duplicate keys and
        # broken totals it would cause are not problems of their own.
        notes.append(
            f"duplicate-key and totals checks skipped: key column(s) {', '.join(absent)} missing"
        )
    else:
        codes = _factor_codes(frame, key)
        unit = "line" if file else "row"  # a file's problems are placed by line
        problems.append(_key_problems(frame, key, lines, codes, unit))
        problems.append(_total_problems(frame, key, obs, lines, codes))
    units = sorted({f.unit for f in flows if getattr(f, "unit", None)})
    if len(frame) and "UNIT_MEASURE" not in frame.columns and units:
        # UNIT_MEASURE is mandatory in the structures; the dataflow fixes it, so a file
        # without the column is read with the dataflow's unit, and says so.
        notes.append(
            f"no UNIT_MEASURE column: the unit of the dataflow ({', '.join(units)}) is assumed; "
            "add the column to say it"
        )
    if len(rejected):
        problems.append(
            _problems(
                rejected["row"].to_numpy(),
                None,
                [None] * len(rejected),
                "rejected_by_reader",
                rejected["reason"].astype("str").to_numpy(),
            )
        )
    report = (
        pd.concat([p for p in problems if len(p)], ignore_index=True)
        if any(len(p) for p in problems)
        else _problems([], None, [], "", [])
    )
    report = report.sort_values(
        ["row", "column", "rule"], na_position="first", kind="stable"
    ).reset_index(drop=True)
    report, omitted = _triage.cap(report, screened)
    for column, n in formulas.items():  # kept exact: a note, not a problem
        notes.append(
            f"{n:,} {column} value(s) start with =, +, -, @ or a tab: kept exactly in SDMX-CSV "
            "and Parquet, stored as text in the Excel copy; check them before opening the CSV "
            "in a spreadsheet"
        )
    return ValidationReport(
        report, file=file, rows_checked=rows_in, notes=notes + screened.notes, omitted=omitted
    )


def _validate_foreign(source: Any, structure: Any) -> ValidationReport:
    """:func:`validate` against an SDMX-ML structure file."""
    from migdata.exchange import _foreign

    found = _foreign.load(structure)  # a bad structure file is the caller's error: raise
    file = str(source)
    try:
        frame, lines, notes = _foreign.read_frame(source)
    except InputError as err:
        report = _problems([err.row], err.column, [err.value], "readable", err.reason)
        return ValidationReport(report, file=file, rows_checked=0)
    found_problems = _foreign.problems(frame, lines, found, file)
    if found_problems:
        rows, cols, values, rules, messages = zip(*found_problems, strict=True)
        report = _problems(rows, list(cols), list(values), "", list(messages))
        report["rule"] = list(rules)
        report = report.sort_values(
            ["row", "column", "rule"], na_position="first", kind="stable"
        ).reset_index(drop=True)
    else:
        report = _problems([], None, [], "", [])
    notes = [*notes, f"checked against the structures in {structure}"]
    return ValidationReport(report, file=file, rows_checked=len(frame), notes=notes)
