"""Safe file handling shared by every writer and reader (private).

Owns :func:`atomic_write` (a temporary file in the target folder, then an atomic rename,
so a reader never sees half a file and a failed write leaves the old file intact),
:func:`refuse_overwrite` (nothing existing is replaced without ``overwrite=True`` or
``--force``), :func:`confined` (paths named inside a package stay inside its folder) and
:func:`keep_as_text` (text that a spreadsheet would run as a formula stays text).
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO, Any

from migdata.errors import InputError

__all__ = [
    "atomic_write",
    "confined",
    "formula_cells",
    "keep_as_text",
    "looks_like_formula",
    "refuse_overwrite",
]

# A cell starting with one of these is run by Excel or LibreOffice as a formula (or DDE).
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def refuse_overwrite(path: str | Path, overwrite: bool, *, hint: str = "overwrite=True") -> Path:
    """``path`` when it may be written: absent, or ``overwrite`` is true."""
    out = Path(path)
    if out.exists() and not overwrite:
        raise InputError(
            f"the file exists already; pass {hint} to replace it (nothing was written)",
            file=str(out),
        )
    return out


@contextlib.contextmanager
def _temporary(target: Path) -> Iterator[IO[bytes]]:
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            yield fh
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def atomic_write(
    path: str | Path, data: bytes | str | Callable[[Path], Any], *, encoding: str = "utf-8"
) -> Path:
    """Write ``data`` (bytes, text written as is, or a function that writes the path it is
    given) to ``path`` through a temporary file in the same folder and an atomic rename.

    Examples
    --------
    >>> import tempfile
    >>> p = atomic_write(tempfile.mkdtemp() + "/a.txt", "hello")
    >>> p.read_text()
    'hello'
    """
    target = Path(path)
    if callable(data):
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
        os.close(fd)
        try:
            data(Path(tmp))
            os.replace(tmp, target)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise
        return target
    payload = data.encode(encoding) if isinstance(data, str) else data
    with _temporary(target) as fh:
        fh.write(payload)
    return target


def confined(folder: str | Path, relative: Any, *, file: str | Path | None = None) -> Path:
    """``folder / relative`` when it stays inside ``folder`` (no ``..``, no absolute path,
    no link leading out); an InputError otherwise."""
    base = Path(folder).resolve()
    text = str(relative)
    candidate = Path(text)
    if not text or candidate.is_absolute() or ".." in candidate.parts or "\x00" in text:
        raise InputError(
            f"resource path {text!r} leaves the package folder; expected a file name inside "
            "it (no '..', no absolute path)",
            file=None if file is None else str(file),
        )
    resolved = (base / candidate).resolve()
    if resolved != base and base not in resolved.parents:
        raise InputError(
            f"resource path {text!r} leads outside the package folder (through a link)",
            file=None if file is None else str(file),
        )
    return base / candidate


def looks_like_formula(text: Any) -> bool:
    """True for text a spreadsheet would run as a formula (``=cmd|...``, ``@SUM``, ``+1``)."""
    return isinstance(text, str) and text.startswith(FORMULA_START) and len(text) > 1


def keep_as_text(cell: Any) -> Any:
    """An openpyxl cell whose text looks like a formula stored as text, never run.

    openpyxl stores any string starting with "=" as a formula; the cell keeps its exact
    text as a string, marked like Excel's leading apostrophe.
    """
    if looks_like_formula(cell.value):
        cell.data_type = "s"
        cell.quotePrefix = True
    return cell


FREE_TEXT_COLUMNS = ("COMMENT", "SOURCE_ID")
"""Columns of an exchange file that carry free text (the only place a formula can hide)."""


def formula_cells(frame: Any, columns: tuple[str, ...] = FREE_TEXT_COLUMNS) -> dict[str, int]:
    """Number of cells per free-text column that a spreadsheet would run as a formula.

    The policy: a data format keeps values exact, so SDMX-CSV and Parquet carry such text
    unchanged; validation notes it, and the Excel copy stores it as text, never a formula.
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    out: dict[str, int] = {}
    for name in columns:
        if name not in frame.columns or not len(frame):
            continue
        arr = pa.array(frame[name].astype("string[pyarrow]"))
        hits = pc.match_substring_regex(arr, "^[=+@\t\r-].")
        n = int(pc.sum(pc.fill_null(hits, False)).as_py() or 0)
        if n:
            out[name] = n
    return out
