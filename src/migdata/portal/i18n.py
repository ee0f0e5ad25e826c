"""The portal's words in en/fr/pt/ar (``messages.yaml``) and the text direction of each."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import yaml

LANGUAGES = ("en", "fr", "pt", "ar")
NAMES = {"en": "English", "fr": "Français", "pt": "Português", "ar": "العربية"}
RTL = frozenset({"ar"})


@cache
def messages() -> dict[str, dict[str, str]]:
    with (Path(__file__).parent / "messages.yaml").open(encoding="utf-8") as fh:
        data: dict[str, dict[str, str]] = yaml.safe_load(fh)
    return data


def translate(key: str, language: str) -> str:
    """The text of ``key`` in ``language`` (English when missing, the key when unknown)."""
    entry = messages().get(key)
    if entry is None:
        return key
    return entry.get(language) or entry.get("en") or key


def direction(language: str) -> str:
    return "rtl" if language in RTL else "ltr"


def pick(*candidates: str | None) -> str:
    """The first candidate that is a supported language (English otherwise)."""
    for c in candidates:
        if c:
            code = c.strip().lower()[:2]
            if code in LANGUAGES:
                return code
    return "en"
