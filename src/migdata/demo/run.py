"""The ``migdata demo`` job: runs what migdata can do so far on data bundled with it.

For now: resolve the country column of a bundled messy national table, print the
resolution report and write the resolved table and the report as CSV files.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from migdata._resources import data_path
from migdata.countries import resolve_detailed

__all__ = ["run_demo"]

_TABLE = ("demo", "messy_countries.csv")
_COUNTRY_COLUMN = "country_of_birth"


def _read_table(path: Path) -> pd.DataFrame:
    # Every cell as text and no "NA" -> missing conversion: "NA" is Namibia's ISO code.
    return pd.read_csv(path, comment="#", dtype=str, keep_default_na=False, encoding="utf-8")


def run_demo(out: str | Path) -> Path:
    """Resolve the countries of the bundled messy table and write the results to ``out``.

    Prints the resolution report (cells resolved, historical, ambiguous, unknown, empty,
    with suggestions) and writes ``resolved.csv`` (the table with ``country_code``,
    ``country_status`` and ``country_historical`` columns) and ``resolution_report.csv``
    into ``out``, created when missing.

    Parameters
    ----------
    out
        Output folder.

    Returns
    -------
    Path
        The output folder.

    Examples
    --------
    >>> import tempfile, contextlib, io
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     with contextlib.redirect_stdout(io.StringIO()) as printed:
    ...         folder = run_demo(tmp)
    ...     written = sorted(p.name for p in folder.iterdir())
    >>> written
    ['resolution_report.csv', 'resolved.csv']
    >>> printed.getvalue().splitlines()[1]
    '45 cells: 34 resolved, 3 historical, 2 ambiguous, 5 unknown, 1 empty'
    """
    folder = Path(out)
    folder.mkdir(parents=True, exist_ok=True)
    source = data_path(*_TABLE)
    table = _read_table(source)
    result = resolve_detailed(table[_COUNTRY_COLUMN])

    resolved = table.assign(
        country_code=result.codes,
        country_status=result.status.astype("string"),
        country_historical=result.historical,
    )
    resolved.to_csv(folder / "resolved.csv", index=False, lineterminator="\n")
    result.report.to_csv(folder / "resolution_report.csv", index=False, lineterminator="\n")

    print(f"migdata demo: country resolution of {source.name} ({len(table)} rows)")
    print(result.summary())
    repeated = resolved[resolved["country_code"].notna()].groupby("country_code")[_COUNTRY_COLUMN]
    for code, spellings in repeated:
        if len(spellings) > 1:
            listed = ", ".join(repr(s.strip()) for s in spellings)
            print(
                f"  note: {code} is given by {len(spellings)} rows ({listed}): "
                "the same country, sum them before use"
            )
    print(f"wrote {folder / 'resolved.csv'} and {folder / 'resolution_report.csv'}")
    return folder
