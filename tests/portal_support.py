"""Shared builders of the portal tests: a project with accounts, members' files, logging in."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pandas as pd

import migdata

PASSWORDS = {
    "secretariat": "secret-pass-0001",
    "kenya": "kenya-pass-0001",
    "uganda": "uganda-pass-0001",
    "egypt": "egypt-pass-0001",
}
ACCOUNTS = (
    ("secretariat", "secretariat", None, "en"),
    ("kenya", "office", "KEN", "fr"),
    ("uganda", "office", "UGA", "en"),
    ("egypt", "office", "EGY", "ar"),
)
MEMBERS = ("KEN", "UGA", "EGY", "RWA")


def flows(country: str, years: tuple[str, ...] = ("2020", "2021")) -> pd.DataFrame:
    """Totals of immigration (previous residence) and emigration of ``country``."""
    rows = []
    for i, partner in enumerate(m for m in MEMBERS if m != country):
        for year in years:
            base = {"ref_area": country, "counterpart_area": partner, "sex": "_T",
                    "age": "_T", "time_period": year}
            rows.append({**base, "measure": "IMM", "counterpart_type": "PREV_RES",
                         "obs_value": float(100 + 10 * i + len(country))})
            rows.append({**base, "measure": "EMI", "counterpart_type": "NEXT_RES",
                         "obs_value": float(80 + 7 * i)})
    return pd.DataFrame(rows)


def exchange_file(folder: Path, country: str, name: str = "data.csv") -> Path:
    """A valid SDMX-CSV exchange file of ``country``."""
    folder.mkdir(parents=True, exist_ok=True)
    return migdata.write_exchange(flows(country), folder / name)


def broken_file(folder: Path, country: str, name: str = "data.csv") -> Path:
    """The same file with a bad sex code and a malformed year (two problems)."""
    path = exchange_file(folder, country, name)
    lines = path.read_text(encoding="utf-8").splitlines()
    header = lines[0].split(",")
    cells = lines[1].split(",")
    cells[header.index("SEX")] = "X"
    lines[1] = ",".join(cells)
    cells = lines[2].split(",")
    cells[header.index("TIME_PERIOD")] = "20X0"
    lines[2] = ",".join(cells)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def make_app(project: Path, **config: Any) -> Any:
    """The portal's app over a fresh folder with the test accounts; ``init=True`` makes it a
    secretariat project of the project layer (``migdata.init_project``), else the portal's
    fallback runs it."""
    from argon2 import PasswordHasher

    from migdata.portal import auth
    from migdata.portal.app import PortalConfig, create_app

    # Argon2id still, with light parameters: the RFC 9106 defaults take ~1 s per hash here.
    auth.use_hasher(PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))
    if config.pop("init", False):  # a secretariat project of the project layer
        migdata.init_project(project, role="secretariat")
    project.mkdir(parents=True, exist_ok=True)
    config.setdefault("secret", b"k" * 32)
    app = create_app(PortalConfig(project_dir=project, **config))
    engine = app.state.portal.engine
    for name, role, country, lang in ACCOUNTS:
        auth.add_user(engine, name, PASSWORDS[name], role=role, country=country, language=lang)
    return app


CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_of(html: str) -> str:
    match = CSRF.search(html)
    assert match, "no CSRF token in the page"
    return match.group(1)


def login(client: Any, username: str, password: str | None = None) -> Any:
    """Sign in through the login form; returns the final response."""
    page = client.get("/login")
    return client.post(
        "/login",
        data={"username": username, "password": password or PASSWORDS[username],
              "csrf_token": csrf_of(page.text)},
    )


def upload(client: Any, path: Path, kind: str = "exchange", comment: str = "",
           filename: str | None = None) -> Any:
    """Upload ``path`` through the office's form."""
    home = client.get("/home")
    with path.open("rb") as fh:
        return client.post(
            "/upload",
            data={"csrf_token": csrf_of(home.text), "kind": kind, "comment": comment},
            files={"file": (filename or path.name, fh, "application/octet-stream")},
        )
