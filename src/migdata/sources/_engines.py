"""Which engine a table belongs to, told without importing the optional engines.

A Dask DataFrame (or Series) is recognised by the module of its type, a Parquet file or
dataset folder by its path: :mod:`dask` is imported only by the code that runs it.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any


def is_dask(obj: Any) -> bool:
    """Whether ``obj`` is a Dask collection (DataFrame, Series, Scalar)."""
    return type(obj).__module__.split(".", 1)[0] in ("dask", "dask_expr")


def is_dataset_path(obj: Any) -> bool:
    """Whether ``obj`` is the path of a Parquet file or of a folder (a Parquet dataset)."""
    if not isinstance(obj, str | os.PathLike):
        return False
    path = Path(obj)
    return path.is_dir() or path.suffix.lower() in (".parquet", ".pq")


def is_distributed(obj: Any) -> bool:
    """Whether ``obj`` goes to the Dask engine rather than pandas."""
    return is_dask(obj) or is_dataset_path(obj)


def require_dask() -> None:
    """Raise :class:`~migdata.errors.DependencyError` when dask is not installed."""
    from migdata.errors import DependencyError

    try:
        import dask.dataframe  # noqa: F401
        import distributed  # noqa: F401
    except ImportError as exc:
        raise DependencyError(
            f'the Dask engine needs dask and distributed: pip install "migdata[dask]" ({exc})'
        ) from exc


def in_memory(table: Any) -> Any:
    """A Dask DataFrame's rows as one pandas DataFrame (in partition order, index
    renumbered); anything else unchanged, for the caller's own checks.

    The microdata functions run on the whole table: a census of tens of millions of
    person records fits a worker's memory in the narrow columns they read.
    """
    if not is_dask(table):
        return table
    require_dask()
    import dask

    with dask.config.set({"dataframe.convert-string": False}):
        return table.compute().reset_index(drop=True)
