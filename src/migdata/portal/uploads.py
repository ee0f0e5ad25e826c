"""What an upload must pass before it is read, and the immediate validation of what it holds.

A file is judged by its content, never by its name: the type comes from the first bytes, zip
containers (xlsx) are opened only when their entries, sizes and compression ratios are those
of a workbook, Parquet files only when their declared rows and sizes are in bounds. Exchange
files are then validated against the data structures (and must be the office's own country),
returned questionnaires read and scored into a quality profile.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from migdata.errors import InputError

KINDS = ("exchange", "questionnaire")
MAX_UPLOAD_BYTES = 50 * 1024 * 1024
# A workbook is a zip: refuse archives whose expansion is out of proportion (zip bombs).
MAX_ZIP_ENTRIES = 2000
MAX_ZIP_UNCOMPRESSED = 300 * 1024 * 1024
MAX_ZIP_RATIO = 200
MAX_PARQUET_ROWS = 20_000_000
MAX_PARQUET_UNCOMPRESSED = 2 * 1024 * 1024 * 1024
SHOWN_PROBLEMS = 500


@dataclass
class Outcome:
    """The verdict on one upload, as stored and shown."""

    status: str  # valid | rejected
    ext: str
    rows_checked: int = 0
    problems: list[dict[str, Any]] = field(default_factory=list)
    problem_count: int = 0
    by_rule: dict[str, int] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    slot: str = ""
    profile_html: str = ""
    language: str = ""

    def to_json(self) -> dict[str, Any]:
        return {
            "problems": self.problems,
            "by_rule": self.by_rule,
            "notes": self.notes,
            "profile_html": self.profile_html,
            "language": self.language,
        }


def display_name(name: str | None) -> str:
    """A file name fit to show (never used as a path): last component, printable, short."""
    text = unicodedata.normalize("NFC", str(name or "upload"))
    text = re.split(r"[\\/]", text)[-1]
    text = "".join(ch for ch in text if unicodedata.category(ch)[0] != "C").strip(" .")
    return text[:120] or "upload"


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def check_zip(path: Path) -> None:
    """Refuse a zip container that is damaged or expands out of proportion."""
    try:
        with zipfile.ZipFile(path) as zf:
            infos = zf.infolist()
    except (zipfile.BadZipFile, OSError) as err:
        raise InputError(f"the workbook is damaged ({err})") from None
    if len(infos) > MAX_ZIP_ENTRIES:
        raise InputError(
            f"the workbook holds {len(infos):,} parts; an Excel file has far fewer "
            f"(at most {MAX_ZIP_ENTRIES:,} accepted)"
        )
    total = sum(i.file_size for i in infos)
    if total > MAX_ZIP_UNCOMPRESSED:
        raise InputError(
            f"the workbook expands to {total / 1e6:,.0f} MB; at most "
            f"{MAX_ZIP_UNCOMPRESSED / 1e6:,.0f} MB accepted (a compressed-file bomb?)"
        )
    for info in infos:
        if info.file_size > 1_000_000 and info.file_size > MAX_ZIP_RATIO * max(
            info.compress_size, 1
        ):
            raise InputError(
                f"part {info.filename!r} of the workbook is compressed {MAX_ZIP_RATIO}+ times; "
                "refused as a compressed-file bomb"
            )
    names = {i.filename for i in infos}
    if "[Content_Types].xml" not in names:
        raise InputError("a zip file that is not an Excel workbook (no [Content_Types].xml)")


def check_parquet(path: Path) -> None:
    """Refuse a Parquet file whose declared rows or expanded size are out of bounds."""
    import pyarrow.parquet as pq

    try:
        meta = pq.ParquetFile(path).metadata
    except Exception as err:  # pyarrow raises several types for a damaged footer
        raise InputError(f"the Parquet file is damaged ({err})") from None
    if meta.num_rows > MAX_PARQUET_ROWS:
        raise InputError(
            f"the Parquet file declares {meta.num_rows:,} rows; at most "
            f"{MAX_PARQUET_ROWS:,} accepted"
        )
    expanded = sum(meta.row_group(i).total_byte_size for i in range(meta.num_row_groups))
    if expanded > MAX_PARQUET_UNCOMPRESSED:
        raise InputError(
            f"the Parquet file expands to {expanded / 1e9:,.1f} GB; at most "
            f"{MAX_PARQUET_UNCOMPRESSED / 1e9:,.1f} GB accepted"
        )


def sniff(path: Path, kind: str) -> str:
    """The stored extension of an upload, from its content; refuse any other type."""
    with path.open("rb") as fh:
        head = fh.read(8)
    if head.startswith(b"PK\x03\x04"):
        check_zip(path)
        return "xlsx"
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        raise InputError("an old-format Excel (.xls) file: save it as .xlsx and upload again")
    if kind == "exchange" and head.startswith(b"PAR1"):
        check_parquet(path)
        return "parquet"
    if kind == "exchange":
        from migdata.exchange import detect_format

        try:
            fmt = detect_format(path)
        except InputError as err:
            raise InputError(
                "not an exchange file: expected SDMX-CSV, a harmonised CSV, Parquet or the "
                f"Excel copy ({err.reason})"
            ) from None
        if fmt == "datapackage":
            raise InputError(
                "a datapackage.json holds no data by itself: upload its data.csv or "
                "data.parquet"
            )
        if fmt == "sdmx-ml":
            # Any XML looks like SDMX-ML to the detector: only an SDMX message is one.
            with path.open("rb") as fh:
                start = fh.read(8192)
            if b"sdmx.org/resources/sdmxml" not in start:
                raise InputError(
                    "not an exchange file: expected SDMX-CSV, SDMX-ML, a harmonised CSV, "
                    "Parquet or the Excel copy (an XML file that is no SDMX message)"
                )
            return "xml"
        return "csv"
    # a questionnaire as the CSV export of a KoboToolbox/ODK form: text, no NUL bytes
    with path.open("rb") as fh:
        sample = fh.read(65536)
    if b"\x00" in sample:
        raise InputError(
            "not a questionnaire: expected the .xlsx workbook or the CSV export of the form"
        )
    try:
        sample.decode("utf-8")
    except UnicodeDecodeError as err:
        if err.start < len(sample) - 4:  # a cut multi-byte character at the end is fine
            raise InputError(
                "not a questionnaire: the CSV export must be UTF-8 text"
            ) from None
    return "csv"


def _frame_records(frame: Any, columns: list[str]) -> list[dict[str, Any]]:
    out = frame.head(SHOWN_PROBLEMS)[columns].astype(object)
    out = out.where(out.notna(), None)
    return [{c: (None if v is None else str(v)) for c, v in zip(columns, r, strict=True)}
            for r in out.itertuples(index=False)]


def validate_exchange_upload(path: Path, country: str) -> Outcome:
    """Validate an exchange file; every row must be the office's own country (REF_AREA)."""
    import pandas as pd

    from migdata.exchange import validate
    from migdata.exchange.registry import read_raw

    report = validate(path)
    frame = report.to_frame()
    notes = list(report.notes)
    slot = "exchange"
    try:
        raw = read_raw(path)
    except InputError:
        raw = None
    if raw is not None and "REF_AREA" in raw.frame.columns:
        ref = raw.frame["REF_AREA"].astype("str")
        other = (ref != country).to_numpy()
        if other.any():
            lines = raw.lines[other]
            foreign = pd.DataFrame(
                {
                    "row": pd.array(lines, dtype="Int64"),
                    "column": "REF_AREA",
                    "value": ref[other].to_numpy(),
                    "rule": "own_country",
                    "message": f"this account submits for {country} only",
                }
            )
            frame = pd.concat([frame, foreign], ignore_index=True) if len(frame) else foreign
        if "STRUCTURE_ID" in raw.frame.columns:
            flows = sorted(str(v) for v in pd.unique(raw.frame["STRUCTURE_ID"].astype("str")))
            slot = "exchange:" + ",".join(flows)[:240]
    by_rule = {str(k): int(v) for k, v in frame["rule"].value_counts().sort_index().items()}
    return Outcome(
        status="valid" if len(frame) == 0 else "rejected",
        ext=path.suffix.lstrip("."),
        rows_checked=int(report.rows_checked),
        problems=_frame_records(frame, ["row", "column", "value", "rule", "message"]),
        problem_count=len(frame),
        by_rule=by_rule,
        notes=notes,
        slot=slot,
    )


def read_questionnaire_upload(path: Path, country: str, language: str) -> Outcome:
    """Read and score a returned questionnaire; it must be the office's own country's."""
    from migdata.quality import score
    from migdata.questionnaire import read_answers

    answers = read_answers(path)
    if answers.country and answers.country != country:
        raise InputError(
            f"the questionnaire is {answers.country}'s; this account submits for {country} only",
            country=answers.country,
        )
    profile = score(answers)
    problems = answers.problems
    return Outcome(
        status="valid",
        ext=path.suffix.lstrip("."),
        rows_checked=len(answers.table),
        problems=_frame_records(problems, ["sheet", "cell", "item_id", "value", "message"]),
        problem_count=len(problems),
        by_rule={},
        notes=[],
        slot="questionnaire",
        profile_html=profile.table_html(country, language) if profile.countries else "",
        language=answers.language,
    )


def refused(ext: str, reason: str) -> Outcome:
    """The outcome of a file refused before it could be read."""
    return Outcome(
        status="rejected",
        ext=ext,
        problems=[{"row": None, "column": None, "value": None, "rule": "refused",
                   "message": reason}],
        problem_count=1,
        by_rule={"refused": 1},
        slot="refused",
    )
