"""Merging members' submissions into the regional bundle of the secretariat.

Owns :func:`merge_submissions` and :class:`Bundle`: conflicts between files, revisions against
the previous bundle, coverage (member x dataflow x year) and the rows rejected from each file.
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from migdata._checks import public
from migdata._safe_io import atomic_write
from migdata.errors import InputError
from migdata.exchange import _datapackage, _frame, registry, structures
from migdata.exchange.validate import ValidationReport, validate

__all__ = ["Bundle", "merge_submissions"]

KEY = ["measure", "ref_area", "counterpart_area", "counterpart_type", "sex", "age", "time_period"]


def _key(table: pd.DataFrame) -> list[str]:
    return KEY + [c for c in ("reason", "validity") if c in table.columns]


def _empty(columns: list[str]) -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype="str") for c in columns})


@dataclass
class Bundle:
    """The regional bundle and what merging found.

    Attributes
    ----------
    table
        The merged harmonised table (one row per key; conflicting keys left out).
    conflicts
        One row per (key, file) for keys whose files disagree on the value or status.
    revisions
        Keys present in the previous bundle whose value or status changed: key, ``old_value``,
        ``new_value``, ``old_status``, ``new_status``.
    coverage
        Observations per ``ref_area`` (member) x ``dataflow`` x ``time_period``.
    rejected
        Rows not used, with ``file``, ``row`` and ``reason``.
    reports
        The validation report of each file.
    notes
        What merging decided (identical duplicates kept once, keys added or dropped, ...).
    intervals
        Optional companion table of reconciled flows with their interval bounds
        (:meth:`migdata.mirror.Reconciliation.interval_table`), written as ``intervals.csv``.
    """

    table: pd.DataFrame
    conflicts: pd.DataFrame
    revisions: pd.DataFrame
    coverage: pd.DataFrame
    rejected: pd.DataFrame
    reports: dict[str, ValidationReport] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    intervals: pd.DataFrame | None = None

    def coverage_matrix(self) -> pd.DataFrame:
        """Coverage as a member x (dataflow, year) table of observation counts."""
        if not len(self.coverage):
            return pd.DataFrame()
        # aggfunc="sum" keeps counts whole (the default mean turns them into floats).
        return self.coverage.pivot_table(
            index="ref_area",
            columns=["dataflow", "time_period"],
            values="observations",
            aggfunc="sum",
            fill_value=0,
        ).astype("int64")

    def write(self, folder: Path | str) -> Path:
        """Write the bundle: ``data.csv`` (SDMX-CSV 2.0.0), ``data.parquet``, ``datapackage.json``
        and the reports ``conflicts.csv``, ``revisions.csv``, ``coverage.csv``, ``rejected.csv``.

        Returns the path of ``datapackage.json``.
        """
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        target = _datapackage.write(self.table, folder)
        for name, frame in (
            ("conflicts", self.conflicts),
            ("revisions", self.revisions),
            ("coverage", self.coverage),
            ("rejected", self.rejected),
        ):
            atomic_write(folder / f"{name}.csv", frame.to_csv(index=False, lineterminator="\n"))
        if self.intervals is not None:
            atomic_write(
                folder / "intervals.csv",
                self.intervals.to_csv(index=False, lineterminator="\n"),
            )
        return target

    def __repr__(self) -> str:
        return (
            f"Bundle({len(self.table):,} observations from {len(self.reports)} file(s), "
            f"{len(self.conflicts):,} conflicts, {len(self.revisions):,} revisions, "
            f"{len(self.rejected):,} rejected)"
        )

    def _repr_html_(self) -> str:
        notes = "".join(f"<li>{html.escape(n)}</li>" for n in self.notes)
        n_keys = (
            len(self.conflicts[_key(self.table)].drop_duplicates()) if len(self.conflicts) else 0
        )
        # Per file and a member x (dataflow, year) matrix: a long coverage list cut at 20
        # rows would hide most members.
        files = pd.DataFrame({"file": list(self.reports)})
        files["validation problems"] = [len(r) for r in self.reports.values()]
        for column, frame in (("rows left out", self.rejected), ("in conflict", self.conflicts)):
            counts = frame["file"].value_counts() if "file" in frame else pd.Series(dtype=int)
            files[column] = files["file"].map(counts).fillna(0).astype(int)
        matrix = self.coverage_matrix()
        coverage = (
            "<p>Observations by member, dataflow and year:</p>"
            + matrix.astype(int).to_html(border=0)
            if len(matrix)
            else "<p>No observations.</p>"
        )
        return (
            f"<b>Regional bundle</b>: {len(self.table):,} observations from "
            f"{len(self.reports)} file(s); {n_keys:,} conflicting key(s), "
            f"{len(self.revisions):,} revision(s), {len(self.rejected):,} rejected row(s)"
            f"<ul>{notes}</ul>" + files.to_html(index=False, border=0) + coverage
        )


def _load_previous(previous: Any) -> pd.DataFrame:
    if previous is None:
        return pd.DataFrame()
    if isinstance(previous, pd.DataFrame):
        return previous
    return registry.read(previous).table


def _read_submission(path: Path) -> tuple[pd.DataFrame, pd.DataFrame, ValidationReport]:
    """Rows usable from one file, its rejected rows, and its validation report."""
    report = validate(path)
    try:
        raw = registry.read_raw(path)
    except InputError as err:
        rejected = pd.DataFrame(
            {"file": [path.name], "row": pd.array([err.row], dtype="Int64"), "reason": [err.reason]}
        )
        return pd.DataFrame(), rejected, report
    frame = report.frame
    file_level = frame["row"].isna()
    rejected_parts: list[pd.DataFrame] = []
    if len(raw.rejected):
        rejected_parts.append(
            pd.DataFrame(
                {
                    "file": path.name,
                    "row": pd.array(raw.rejected["row"], dtype="Int64"),
                    "reason": raw.rejected["reason"].astype("str"),
                }
            )
        )
    if file_level.any():
        reasons = "; ".join(frame.loc[file_level, "message"].astype("str"))
        rejected_parts.append(
            pd.DataFrame(
                {
                    "file": path.name,
                    "row": pd.array(raw.lines, dtype="Int64"),
                    "reason": f"file rejected: {reasons}",
                }
            )
        )
        return pd.DataFrame(), pd.concat(rejected_parts, ignore_index=True), report
    bad_rows = frame.loc[frame["rule"] != "rejected_by_reader"]
    why = bad_rows.groupby("row")["message"].agg("; ".join)
    is_bad = np.isin(raw.lines, why.index.to_numpy(dtype=np.int64))
    if is_bad.any():
        lines_bad = raw.lines[is_bad]
        rejected_parts.append(
            pd.DataFrame(
                {
                    "file": path.name,
                    "row": pd.array(lines_bad, dtype="Int64"),
                    "reason": why.reindex(lines_bad).to_numpy(),
                }
            )
        )
    good = _frame.RawFrame(
        raw.frame.loc[~is_bad].reset_index(drop=True), raw.lines[~is_bad], [], file=str(path)
    )
    table = _frame.from_sdmx(good).assign(_file=path.name, _line=raw.lines[~is_bad])
    rejected = (
        pd.concat(rejected_parts, ignore_index=True)
        if rejected_parts
        else _empty(["file", "row", "reason"])
    )
    return table, rejected, report


@public
def merge_submissions(files: Any, previous: Any = None) -> Bundle:
    """Build the regional bundle from members' files.

    Parameters
    ----------
    files
        Paths (any format :func:`migdata.exchange.read` accepts) or a folder, read in sorted
        order of file name.
    previous
        The previous bundle (folder, file or harmonised DataFrame) to report revisions against.

    Returns
    -------
    Bundle
        Rows that break the data structure are rejected (with file, line and reason); keys sent
        by several files with the same value are kept once; keys with different values are left
        out of the bundle and listed in ``conflicts`` for the secretariat to settle with the
        members. Rows in = rows in the bundle + identical duplicates + rows rejected.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from migdata.exchange.registry import write
    >>> t = pd.DataFrame({"measure": ["IMM"] * 2, "ref_area": ["KEN", "UGA"],
    ...     "counterpart_area": ["UGA", "KEN"], "counterpart_type": ["CITIZENSHIP"] * 2,
    ...     "sex": ["_T"] * 2, "age": ["_T"] * 2, "time_period": ["2020"] * 2,
    ...     "obs_value": [100.0, 80.0]})
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> _ = write(t, d / "ken.csv"); _ = write(t.assign(obs_value=[100.0, 81.0]), d / "uga.parquet")
    >>> b = merge_submissions(d)
    >>> len(b.table), b.conflicts["obs_value"].tolist()
    (1, [80.0, 81.0])
    """
    if isinstance(files, str | Path) and not Path(files).exists():
        raise InputError("no such file or folder of submissions", file=str(files))
    if isinstance(files, str | Path) and Path(files).is_dir():
        folder = Path(files)
        paths = sorted(
            p
            for p in folder.iterdir()
            if p.is_file() and p.suffix.lower() in (".csv", ".parquet", ".xlsx")
        )
    elif isinstance(files, str | Path):
        paths = [Path(files)]
    else:
        paths = sorted((Path(f) for f in files), key=lambda p: (p.name, str(p)))
    return _merge_read([(path.name, *_read_submission(path)) for path in paths], previous)


def _merge_read(
    reads: list[tuple[str, pd.DataFrame, pd.DataFrame, ValidationReport]], previous: Any = None
) -> Bundle:
    """Merge files already read by :func:`_read_submission` (name, table, rejected, report),
    in the order given; see :func:`merge_submissions`."""
    tables: list[pd.DataFrame] = []
    rejected: list[pd.DataFrame] = []
    reports: dict[str, ValidationReport] = {}
    notes: list[str] = []
    for name, table, rej, report in reads:
        reports[name] = report
        if len(table):
            tables.append(table)
        if len(rej):
            rejected.append(rej)
    combined = (
        pd.concat(tables, ignore_index=True)
        if tables
        else pd.DataFrame(columns=[*KEY, "obs_value", "obs_status", "_file", "_line"])
    )
    key = _key(combined)
    rejected_frame = (
        pd.concat(rejected, ignore_index=True) if rejected else _empty(["file", "row", "reason"])
    )

    # Conflicts: same key in several files with a different value or status (NaN == NaN).
    conflicts = _empty([*key, "file", "row", "obs_value", "obs_status"])
    if len(combined):
        value = combined["obs_value"].astype("float64").round(9).astype("str")
        sig = value + "|" + combined["obs_status"].astype("str").fillna("")
        grouped = combined.assign(_sig=sig).groupby(key, dropna=False, sort=False)
        n_sig = grouped["_sig"].transform("nunique").to_numpy()
        in_conflict = n_sig > 1
        if in_conflict.any():
            conflicts = (
                combined.loc[in_conflict, [*key, "_file", "_line", "obs_value", "obs_status"]]
                .rename(columns={"_file": "file", "_line": "row"})
                .sort_values([*key, "file"], kind="stable")
                .reset_index(drop=True)
            )
            keys_text = combined.loc[in_conflict, key].astype("str").agg(".".join, axis=1)
            rejected_frame = pd.concat(
                [
                    rejected_frame,
                    pd.DataFrame(
                        {
                            "file": combined.loc[in_conflict, "_file"].to_numpy(),
                            "row": pd.array(
                                combined.loc[in_conflict, "_line"].to_numpy(), dtype="Int64"
                            ),
                            "reason": (
                                "conflict: key "
                                + keys_text
                                + " has different values in other files"
                            ).to_numpy(),
                        }
                    ),
                ],
                ignore_index=True,
            )
            notes.append(
                f"{len(conflicts[key].drop_duplicates()):,} key(s) with conflicting values "
                "left out of the bundle"
            )
        kept = combined.loc[~in_conflict]
        dup = kept.duplicated(key, keep="first")
        if dup.any():
            notes.append(
                f"{int(dup.sum()):,} identical observation(s) sent by more than one file kept once"
            )
        combined = kept.loc[~dup]
    table = combined.drop(columns=[c for c in ("_file", "_line") if c in combined.columns])
    if len(table):
        sdmx = _frame.to_sdmx(table)
        table = _frame.from_sdmx(_frame.RawFrame(sdmx, np.arange(len(sdmx)), []))

    # Revisions against the previous bundle.
    old = _load_previous(previous)
    revisions = _empty([*key, "old_value", "new_value", "old_status", "new_status"])
    if len(old) and len(table):
        rkey = [k for k in key if k in old.columns]
        joined = table[[*rkey, "obs_value", "obs_status"]].merge(
            old[[*rkey, "obs_value", "obs_status"]],
            on=rkey,
            how="outer",
            suffixes=("_new", "_old"),
            indicator=True,
        )
        both = joined["_merge"] == "both"
        v_new, v_old = joined["obs_value_new"], joined["obs_value_old"]
        s_new, s_old = (
            joined["obs_status_new"].astype("str"),
            joined["obs_status_old"].astype("str"),
        )
        value_changed = ~((v_new == v_old) | (v_new.isna() & v_old.isna()))
        status_changed = ~((s_new == s_old) | (s_new.isna() & s_old.isna()))
        changed = both & (value_changed | status_changed)
        revisions = (
            joined.loc[changed, rkey]
            .assign(
                old_value=v_old[changed].to_numpy(),
                new_value=v_new[changed].to_numpy(),
                old_status=s_old[changed].to_numpy(),
                new_status=s_new[changed].to_numpy(),
            )
            .reset_index(drop=True)
        )
        added = int((joined["_merge"] == "left_only").sum())
        dropped = int((joined["_merge"] == "right_only").sum())
        notes.append(
            f"against the previous bundle: {len(revisions):,} revised, {added:,} new, "
            f"{dropped:,} no longer sent"
        )

    flows = {f.measure: f.id for f in structures.dataflows().values()}
    if len(table):
        coverage = (
            table.assign(dataflow=table["measure"].map(flows))
            .groupby(["ref_area", "dataflow", "time_period"], sort=True)
            .size()
            .rename("observations")
            .reset_index()
        )
    else:
        coverage = pd.DataFrame(
            {"ref_area": [], "dataflow": [], "time_period": [], "observations": []}
        )
    rejected_frame = rejected_frame.sort_values(["file", "row"], kind="stable").reset_index(
        drop=True
    )
    return Bundle(table, conflicts, revisions, coverage, rejected_frame, reports, notes)
