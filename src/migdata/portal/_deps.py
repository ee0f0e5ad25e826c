"""The optional packages of the portal, checked before anything is started or written."""

from __future__ import annotations

import importlib.util

from migdata.errors import DependencyError

# import name -> distribution name, as pip knows it
PACKAGES = {
    "starlette": "starlette",
    "jinja2": "jinja2",
    "uvicorn": "uvicorn",
    "sqlalchemy": "sqlalchemy",
    "argon2": "argon2-cffi",
    "multipart": "python-multipart",
}


def require() -> None:
    """Raise :class:`~migdata.errors.DependencyError` naming what to install when missing."""
    missing = [dist for mod, dist in PACKAGES.items() if importlib.util.find_spec(mod) is None]
    if missing:
        raise DependencyError(
            "the portal needs " + ", ".join(missing) + ': pip install "migdata[portal]"'
        )
