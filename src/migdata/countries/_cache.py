"""A disk cache of the resolver's derived name tables, so that a new session starts fast.

Deriving the lookup keys of some 38,000 names (CLDR in every language, UN, ISO) takes a
second or more; the result is kept as JSON in the user's cache folder, under a key made of
the versions and the contents of everything it is derived from. Set ``MIGDATA_CACHE_DIR``
to choose the folder, or to ``off`` to never read or write a cache.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import sys
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import Any

__all__ = ["cache_dir", "fingerprint", "load", "store"]


def cache_dir() -> Path | None:
    """The folder of migdata's cache, or None when caching is switched off."""
    chosen = os.environ.get("MIGDATA_CACHE_DIR")
    if chosen is not None:
        return None if chosen.strip().lower() in ("", "off", "0", "none") else Path(chosen)
    if sys.platform == "win32":
        base = Path(os.environ.get("LOCALAPPDATA") or Path.home() / "AppData" / "Local")
    elif sys.platform == "darwin":
        base = Path.home() / "Library" / "Caches"
    else:
        base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return base / "migdata"


def fingerprint(parts: Iterable[str], files: Iterable[Path]) -> str:
    """A short hash of version strings and file contents."""
    digest = hashlib.sha256()
    for part in parts:
        digest.update(part.encode("utf-8") + b"\0")
    for path in files:
        digest.update(path.read_bytes() + b"\0")
    return digest.hexdigest()[:20]


def load(name: str, key: str) -> Any:
    """The cached object stored under name and key, or None (missing, unreadable, stale)."""
    folder = cache_dir()
    if folder is None:
        return None
    try:
        with open(folder / f"{name}-{key}.json", encoding="utf-8") as fh:
            return json.load(fh)
    except (OSError, ValueError):
        return None


def store(name: str, key: str, data: Any) -> None:
    """Write an object to the cache; a folder that cannot be written is silently skipped."""
    folder = cache_dir()
    if folder is None:
        return
    with contextlib.suppress(OSError):
        folder.mkdir(parents=True, exist_ok=True)
        for old in folder.glob(f"{name}-*.json"):  # one version kept per table
            with contextlib.suppress(OSError):
                old.unlink()
        fd, tmp = tempfile.mkstemp(dir=folder, suffix=".tmp")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                json.dump(data, fh, ensure_ascii=False, separators=(",", ":"))
            os.replace(tmp, folder / f"{name}-{key}.json")
        finally:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
