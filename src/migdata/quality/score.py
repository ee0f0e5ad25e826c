"""Score questionnaire answers into a quality profile: one workbook, many, or a folder.

``score`` takes ``Answers`` objects or answers tables; ``score_folder`` reads every workbook
or CSV export, reports files it cannot read and scores the rest together.
"""

from __future__ import annotations

import importlib
import warnings
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from migdata._checks import check_number, public
from migdata.errors import ConfigurationError, InputError, MigdataError
from migdata.quality.profile import QualityProfile
from migdata.quality.rubric import apply_rubric
from migdata.quality.undercount import undercount_from_answers, undercount_from_profiles

__all__ = ["PROBLEM_COLUMNS", "score", "score_folder"]

PROBLEM_COLUMNS = ["file", "country", "sheet", "cell", "item_id", "value", "message"]
ANSWER_SUFFIXES = (".xlsx", ".xlsm", ".csv")
"""File types ``score_folder`` picks up in a folder (workbooks and ODK/Kobo CSV exports)."""


def _bank() -> tuple[pd.DataFrame, pd.DataFrame]:
    from migdata.questionnaire import bank

    return bank.items(), bank.loadings()


def _problems(frame: Any, file: str | None, country: str | None) -> pd.DataFrame:
    if frame is None or len(frame) == 0:
        return pd.DataFrame(columns=PROBLEM_COLUMNS)
    out = pd.DataFrame(frame).reset_index(drop=True).copy()
    out["file"] = file
    out["country"] = country
    for column in PROBLEM_COLUMNS:
        if column not in out.columns:
            out[column] = pd.NA
    return out[PROBLEM_COLUMNS]


def _is_answers(obj: Any) -> bool:
    return hasattr(obj, "table") and not isinstance(obj, pd.DataFrame)


@public
def score(
    answers: Any,
    *,
    items: pd.DataFrame | None = None,
    loadings: pd.DataFrame | None = None,
    min_coverage: float = 0.5,
) -> QualityProfile:
    """Score questionnaire answers with the ESS rubric into a :class:`QualityProfile`.

    Parameters
    ----------
    answers
        An ``Answers`` object (from :func:`migdata.questionnaire.read_answers`), an answers
        DataFrame in the same format (country, module, source_id, item_id, raw, value, level,
        status, sheet, cell), or a list of them (several countries).
    items, loadings
        Item bank tables; default: the bundled bank (``migdata.questionnaire.bank``).
    min_coverage
        Share of applicable weight that must be answered for a grade (default one half).

    Returns
    -------
    QualityProfile
        Scores per country x module x dimension, with the pooled module ``ALL``; the
        register undercount sub-scores come from the sources' facts
        (``Answers.profiles()``) or, for plain tables, from the answers to the items that
        write ``registration.*``/``deregistration.*``.

    Raises
    ------
    InputError
        An object that is neither answers nor an answers table.

    Examples
    --------
    >>> items = pd.DataFrame({"id": ["q1", "q2"], "weight": [2, 1], "scored": True,
    ...                       "writes": [None, None]})
    >>> loadings = pd.DataFrame({"item_id": ["q1", "q2"], "dimension": "accuracy",
    ...                          "loading": 1.0})
    >>> table = pd.DataFrame({"country": "RWA", "module": "IMM", "source_id": "",
    ...                       "item_id": ["q1", "q2"], "level": [3, 0],
    ...                       "status": "answered"})
    >>> profile = score(table, items=items, loadings=loadings)
    >>> round(profile.score("RWA", "IMM", "accuracy"), 3), profile.grade("RWA", "IMM", "ACC")
    (0.667, 'B')
    """
    check_number(min_coverage, "min_coverage", lo=0, hi=1)
    batch = answers if isinstance(answers, list | tuple) else [answers]
    files = [getattr(obj, "file", None) or getattr(obj, "path", None) for obj in batch]
    return _score_batch(
        batch,
        [None if f is None else str(f) for f in files],
        items=items,
        loadings=loadings,
        min_coverage=min_coverage,
    )


def _score_batch(
    batch: Sequence[Any],
    files: Sequence[str | None],
    *,
    items: pd.DataFrame | None,
    loadings: pd.DataFrame | None,
    min_coverage: float,
) -> QualityProfile:
    if items is None or loadings is None:
        bank_items, bank_loadings = _bank()
        items = bank_items if items is None else items
        loadings = bank_loadings if loadings is None else loadings
    tables: list[pd.DataFrame] = []
    problems: list[pd.DataFrame] = []
    source_profiles: list[Any] = []  # facts built by the questionnaire (one truth)
    fact_tables: list[pd.DataFrame] = []  # answers whose facts are read from the rows
    for k, (obj, file) in enumerate(zip(batch, files, strict=True)):
        if _is_answers(obj):
            table = pd.DataFrame(obj.table)
            country = getattr(obj, "country", None)
            problems.append(_problems(getattr(obj, "problems", None), file, country))
            built = _profiles_of(obj, problems, file, country)
            if built is None:
                fact_tables.append(table)
            else:
                source_profiles.extend(built)
        elif isinstance(obj, pd.DataFrame):
            table = obj
            fact_tables.append(table)
        else:
            raise InputError(
                "expected Answers (from read_answers) or an answers DataFrame, "
                f"got {type(obj).__name__}",
                item=None if len(batch) == 1 else f"#{k}",
            )
        tables.append(table.assign(file=file) if file is not None else table)
    all_answers = pd.concat(tables, ignore_index=True) if tables else pd.DataFrame()
    result = apply_rubric(all_answers, items, loadings, min_coverage=min_coverage)
    problem_frames = [p for p in problems if len(p)]
    problem_table = (
        pd.concat(problem_frames, ignore_index=True)
        if problem_frames
        else pd.DataFrame(columns=PROBLEM_COLUMNS)
    )
    # One vectorised pass over all sources rather than one per file.
    parts = [undercount_from_profiles(source_profiles)]
    if fact_tables:
        parts.append(_undercount_table(pd.concat(fact_tables, ignore_index=True), items))
    parts = [p for p in parts if len(p)]
    undercount = (
        pd.concat(parts, ignore_index=True).sort_values(["country", "source_id"], ignore_index=True)
        if parts
        else undercount_from_profiles([])
    )
    return QualityProfile.from_rubric(
        result, problems=problem_table, undercount=undercount, min_coverage=min_coverage
    )


def _undercount_table(table: pd.DataFrame, items: pd.DataFrame) -> pd.DataFrame:
    if "writes" not in items.columns or "value" not in table.columns:
        return undercount_from_profiles([])
    frame = table.copy()
    if "source_id" not in frame.columns:
        frame["source_id"] = ""
    return undercount_from_answers(frame, items)


def _profiles_of(
    obj: Any, problems: list[pd.DataFrame], file: str | None, country: str | None
) -> list[Any] | None:
    """The SourceProfiles of an Answers object; None when it cannot give them.

    Warnings raised while building the facts (a source without a type, a malformed break)
    become problems of the file instead of scrolling past on the console.
    """
    profiles = getattr(obj, "profiles", None)
    if not callable(profiles):
        return None
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            built = list(profiles())
        except MigdataError as err:
            # The facts could not be built; the answer rows still hold them.
            caught.append(warnings.WarningMessage(str(err), UserWarning, "", 0))
            built = None
    if caught:
        messages = [f"source facts: {w.message}" for w in caught]
        problems.append(_problems(pd.DataFrame({"message": messages}), file, country))
    return built


def _answer_files(folder_or_paths: str | Path | Iterable[str | Path]) -> list[Path]:
    if isinstance(folder_or_paths, str | Path):
        root = Path(folder_or_paths)
        if root.is_dir():
            return sorted(
                p
                for p in root.iterdir()
                if p.is_file()
                and p.suffix.lower() in ANSWER_SUFFIXES
                and not p.name.startswith(("~$", "."))  # Excel lock files, hidden files
            )
        return [root]
    return [Path(p) for p in folder_or_paths]


@public
def score_folder(
    folder_or_paths: str | Path | Sequence[str | Path],
    *,
    items: pd.DataFrame | None = None,
    loadings: pd.DataFrame | None = None,
    min_coverage: float = 0.5,
    reader: Any = None,
) -> QualityProfile:
    """Read every answer file of a folder (or a list of files) and score them together.

    A file that cannot be read (not a workbook, another questionnaire, corrupted) is listed
    in ``profile.files`` with status ``failed`` and its message, and in
    ``profile.problems``; it never stops the others. When two files describe the same
    country, the first in name order is scored and the other is ``skipped``.

    Parameters
    ----------
    folder_or_paths
        A folder (its ``.xlsx``, ``.xlsm`` and ``.csv`` files are read) or a list of files.
    items, loadings, min_coverage
        As for :func:`score`.
    reader
        Function reading one file into ``Answers``; default
        :func:`migdata.questionnaire.read_answers`.

    Returns
    -------
    QualityProfile
        Scores of every country read; ``profile.to_frame()`` is the comparison table;
        ``profile.files`` says what happened to each file.

    Raises
    ------
    ConfigurationError
        The folder does not exist or holds no answer file.

    Examples
    --------
    >>> import tempfile
    >>> folder = tempfile.mkdtemp()
    >>> _ = (Path(folder) / "broken.xlsx").write_text("not a workbook")
    >>> def reader(path):
    ...     raise InputError("not an Excel workbook", file=str(path))
    >>> p = score_folder(folder, reader=reader, items=pd.DataFrame({"id": [], "weight": [],
    ...                  "scored": []}), loadings=pd.DataFrame({"item_id": [],
    ...                  "dimension": [], "loading": []}))
    >>> p.files[["status"]].to_dict("list")
    {'status': ['failed']}
    """
    check_number(min_coverage, "min_coverage", lo=0, hi=1)
    if isinstance(folder_or_paths, str | Path) and not Path(folder_or_paths).exists():
        raise ConfigurationError(f"no such folder or file: {folder_or_paths}")
    paths = _answer_files(folder_or_paths)
    if not paths:
        raise ConfigurationError(
            f"no answer files ({', '.join(ANSWER_SUFFIXES)}) in {folder_or_paths}"
        )
    if reader is None:
        # Imported late: the questionnaire layer sits above quality's data flow.
        package = importlib.import_module("migdata.questionnaire")
        reader = getattr(package, "read_answers", None) or (
            importlib.import_module("migdata.questionnaire.answers").read_answers
        )
    read: list[Any] = []
    read_files: list[str | None] = []
    records: list[dict[str, Any]] = []
    failures: list[pd.DataFrame] = []
    seen: dict[str, str] = {}
    for path in paths:
        name = str(path)
        try:
            answers = reader(path)
        except Exception as err:  # one bad file must not stop the batch: report it
            message = str(err) if isinstance(err, MigdataError) else f"{type(err).__name__}: {err}"
            records.append({"file": name, "country": None, "status": "failed", "message": message})
            failures.append(
                _problems(pd.DataFrame({"message": [f"file not read: {message}"]}), name, None)
            )
            continue
        country = getattr(answers, "country", None)
        if country in seen:
            message = f"country {country} already scored from {seen[country]}"
            records.append(
                {"file": name, "country": country, "status": "skipped", "message": message}
            )
            failures.append(_problems(pd.DataFrame({"message": [message]}), name, country))
            continue
        seen[str(country)] = name
        read.append(answers)
        read_files.append(name)
        n_problems = len(getattr(answers, "problems", ()))
        records.append(
            {
                "file": name,
                "country": country,
                "status": "scored",
                "message": f"{len(answers.table)} answers, {n_problems} problem(s)",
            }
        )
    files = pd.DataFrame(records, columns=["file", "country", "status", "message"])
    if read:
        profile = _score_batch(
            read, read_files, items=items, loadings=loadings, min_coverage=min_coverage
        )
    else:
        empty = pd.DataFrame(columns=["country", "module", "item_id", "level", "status"])
        its = items if items is not None else _bank()[0]
        lds = loadings if loadings is not None else _bank()[1]
        profile = QualityProfile.from_rubric(apply_rubric(empty, its, lds))
    profile.problems = pd.concat(
        [p for p in (*failures, profile.problems) if len(p)] or [profile.problems],
        ignore_index=True,
    )
    profile.files = files
    return profile
