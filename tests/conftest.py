"""Shared fixtures: the real reference data in ``../shared/data`` (never copied here)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = REPO.parent / "shared" / "data"

settings.register_profile(
    # CI draws the same examples every run (derandomize): a landing is never refused by a
    # new random example; development runs stay random to find them.
    "ci",
    max_examples=60,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile("dev", max_examples=30, deadline=None)
settings.load_profile("ci" if os.environ.get("CI") == "true" else "dev")


def shared_file(name: str) -> Path:
    """Path of a real data file in ../shared/data.

    Missing under CI=true is a failure (the data must be there); elsewhere the test is
    skipped with the reason.
    """
    path = SHARED_DATA / name
    if not path.is_file():
        message = f"real reference data missing: {path} (see shared/data/README.md)"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    return path


@pytest.fixture
def shared_data() -> type:
    """Accessor for files in ../shared/data: ``shared_data.path("x.csv")``."""

    class _Shared:
        path = staticmethod(shared_file)

    return _Shared
