"""The run manifest: every input file with its size and SHA-256, the configuration, the
version, and each step's parameters, dependencies, counts and key.

A step's *key* is the SHA-256 of its parameters, the hashes of its input files and the keys
of the steps it depends on. A re-run compares keys with the previous ``manifest.json`` and
reuses a step whose key did not change (its result is kept in the project's cache folder).
``manifest.json`` holds no time and no date, so identical inputs give identical bytes;
timings and the ran/reused status of each step go to ``output/run-log.json``.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

__all__ = ["dumps", "file_record", "read_manifest", "sha256_file", "step_key"]


def sha256_file(path: Path) -> str:
    """SHA-256 of a file's bytes (read in 1 MiB blocks)."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def file_record(
    root: Path, path: Path, cache: dict[str, dict[str, Any]] | None = None
) -> dict[str, Any]:
    """``{"path", "size", "sha256"}`` of a file, its path relative to ``root`` (POSIX).

    ``cache`` maps relative paths to earlier records with ``mtime_ns``: an unchanged size and
    modification time reuse the earlier hash.
    """
    stat = path.stat()
    rel = path.resolve().relative_to(root.resolve()).as_posix()
    old = (cache or {}).get(rel)
    if old and old.get("size") == stat.st_size and old.get("mtime_ns") == stat.st_mtime_ns:
        digest = str(old["sha256"])
    else:
        digest = sha256_file(path)
    return {"path": rel, "size": stat.st_size, "sha256": digest, "mtime_ns": stat.st_mtime_ns}


def _default(value: Any) -> Any:
    if isinstance(value, Path):
        return value.as_posix()
    if hasattr(value, "item"):  # numpy scalars
        return value.item()
    return str(value)


def dumps(data: Any) -> str:
    """Canonical JSON (sorted keys, 2-space indent, UTF-8 text, final newline)."""
    return json.dumps(data, sort_keys=True, indent=2, ensure_ascii=False, default=_default) + "\n"


def step_key(parameters: Any, inputs: dict[str, str], depends: dict[str, str]) -> str:
    """The key of a step: SHA-256 of its parameters, input hashes and dependency keys."""
    from migdata import __version__

    text = json.dumps(
        {"parameters": parameters, "inputs": inputs, "depends": depends, "migdata": __version__},
        sort_keys=True,
        default=_default,
    )
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def read_manifest(path: Path) -> dict[str, Any]:
    """The previous manifest, or ``{}`` when there is none or it cannot be read."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}
