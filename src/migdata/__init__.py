"""migdata: make national migration statistics comparable.

Map national sources to the UN definitions of international migration, score metadata
questionnaires against the ESS quality criteria, reconcile mirror statistics and write
harmonised SDMX exchange files.
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

from migdata.countries import resolve
from migdata.errors import (
    ConfigurationError,
    DependencyError,
    InputError,
    MigdataError,
    ModelError,
    ValidationError,
)
from migdata.sources.duration import duration_factor

try:
    __version__ = version("migdata")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0+unknown"

__all__ = [
    "ConfigurationError",
    "DependencyError",
    "InputError",
    "MigdataError",
    "ModelError",
    "ValidationError",
    "__version__",
    "duration_factor",
    "resolve",
]
