"""The portal's database: accounts, sessions, submissions, runs and the audit log.

SQLAlchemy Core tables (no ORM: the portal's queries are few and explicit). SQLite in the
project folder by default, PostgreSQL (or any SQLAlchemy URL) when given. The schema is
versioned: ``MIGRATIONS`` lists the steps in order and :func:`upgrade` applies the missing
ones, recording each in ``schema_version``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from migdata.errors import ConfigurationError, DependencyError

metadata = sa.MetaData()

schema_version = sa.Table(
    "schema_version",
    metadata,
    sa.Column("version", sa.Integer, primary_key=True),
    sa.Column("applied", sa.String(32), nullable=False),
)

users = sa.Table(
    "users",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("username", sa.String(64), nullable=False, unique=True),
    sa.Column("password_hash", sa.String(255), nullable=False),
    sa.Column("role", sa.String(16), nullable=False),  # office | secretariat
    sa.Column("country", sa.String(3), nullable=True),  # ISO3 of an office
    sa.Column("language", sa.String(2), nullable=False, default="en"),
    sa.Column("created", sa.String(32), nullable=False),
)

sessions = sa.Table(
    "sessions",
    metadata,
    sa.Column("token_hash", sa.String(64), primary_key=True),  # SHA-256 of the cookie
    sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id"), nullable=False),
    sa.Column("csrf", sa.String(64), nullable=False),
    sa.Column("created", sa.String(32), nullable=False),
    sa.Column("expires", sa.String(32), nullable=False),
)

login_failures = sa.Table(
    "login_failures",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("key", sa.String(128), nullable=False, index=True),  # user:NAME or ip:ADDRESS
    sa.Column("at", sa.Float, nullable=False),  # epoch seconds
)

submissions = sa.Table(
    "submissions",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("uid", sa.String(32), nullable=False, unique=True),  # in URLs, unguessable
    sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id"), nullable=False),
    sa.Column("country", sa.String(3), nullable=False, index=True),
    sa.Column("kind", sa.String(16), nullable=False),  # exchange | questionnaire
    sa.Column("slot", sa.String(255), nullable=False),  # what a newer upload replaces
    sa.Column("display_name", sa.String(255), nullable=False),  # shown only, never a path
    sa.Column("sha256", sa.String(64), nullable=False),
    sa.Column("ext", sa.String(16), nullable=False),
    sa.Column("size", sa.Integer, nullable=False),
    sa.Column("path", sa.String(512), nullable=False),  # relative to the project folder
    sa.Column("status", sa.String(16), nullable=False),  # valid | rejected | superseded
    sa.Column("rows_checked", sa.Integer, nullable=False, default=0),
    sa.Column("problem_count", sa.Integer, nullable=False, default=0),
    sa.Column("report", sa.Text, nullable=False),  # JSON: problems, notes, profile
    sa.Column("comment", sa.Text, nullable=False, default=""),
    sa.Column("replaces", sa.Integer, nullable=True),
    sa.Column("created", sa.String(32), nullable=False),
)

runs = sa.Table(
    "runs",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id"), nullable=False),
    sa.Column("status", sa.String(16), nullable=False),  # running | done | failed
    sa.Column("progress", sa.Text, nullable=False, default=""),
    sa.Column("engine", sa.String(32), nullable=False, default=""),
    sa.Column("summary", sa.Text, nullable=False, default="{}"),  # JSON
    sa.Column("started", sa.String(32), nullable=False),
    sa.Column("finished", sa.String(32), nullable=True),
    sa.Column("published", sa.String(32), nullable=True),
)

audit = sa.Table(
    "audit",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("at", sa.String(32), nullable=False),
    sa.Column("username", sa.String(64), nullable=False),
    sa.Column("country", sa.String(3), nullable=True),
    sa.Column("action", sa.String(32), nullable=False),
    sa.Column("sha256", sa.String(64), nullable=True),
    sa.Column("outcome", sa.String(32), nullable=False),
    sa.Column("detail", sa.Text, nullable=False, default=""),
)


def _v1(conn: sa.Connection) -> None:
    metadata.create_all(conn, tables=[users, sessions, login_failures, submissions, runs, audit])


# Version n is MIGRATIONS[n - 1]; append, never edit a released step.
MIGRATIONS: list[Callable[[sa.Connection], None]] = [_v1]


def now() -> str:
    """The current UTC time as ISO 8601 with seconds (sortable text)."""
    return dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat()


def default_url(project_dir: Path) -> str:
    """SQLite in the project folder: ``PROJECT/portal/portal.sqlite3``."""
    return f"sqlite:///{(project_dir / 'portal' / 'portal.sqlite3').as_posix()}"


def connect(url: str) -> sa.Engine:
    """An engine for ``url``; SQLite gets WAL, a busy timeout and foreign keys."""
    if url.startswith("sqlite"):
        engine = sa.create_engine(
            url, connect_args={"check_same_thread": False, "timeout": 30}, future=True
        )

        @sa.event.listens_for(engine, "connect")
        def _pragmas(dbapi_conn: Any, _record: Any) -> None:
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA busy_timeout=30000")
            cur.close()

        return engine
    try:
        return sa.create_engine(url, pool_pre_ping=True, future=True)
    except sa.exc.ArgumentError as err:
        raise ConfigurationError(
            f"database URL {url.split('@')[-1]!r}: not a SQLAlchemy URL ({err}); expected e.g. "
            "postgresql+psycopg://user@host/migdata"
        ) from None
    except ImportError as err:  # the URL's driver is not installed
        raise DependencyError(
            f"the database driver is missing ({err.name or err}): for PostgreSQL, "
            'pip install "psycopg[binary]"'
        ) from None


def current_version(engine: sa.Engine) -> int:
    """The schema version of the database (0 when empty)."""
    if not sa.inspect(engine).has_table("schema_version"):
        return 0
    with engine.connect() as conn:
        return int(conn.execute(sa.select(sa.func.max(schema_version.c.version))).scalar() or 0)


def upgrade(engine: sa.Engine) -> int:
    """Apply the missing migrations in order; returns the version reached."""
    metadata.create_all(engine, tables=[schema_version])
    version = current_version(engine)
    for number, step in enumerate(MIGRATIONS[version:], start=version + 1):
        with engine.begin() as conn:
            step(conn)
            conn.execute(schema_version.insert().values(version=number, applied=now()))
    return len(MIGRATIONS)
