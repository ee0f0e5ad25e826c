"""Accounts, passwords, sessions, CSRF tokens and login rate limiting.

Passwords are hashed with Argon2id (memory-hard; argon2-cffi's RFC 9106 defaults). A session
is a random token in an HttpOnly, SameSite cookie; the database keeps only its SHA-256, so a
copy of the database opens no session. Each session carries its own CSRF token; forms shown
before login use a token bound to a random pre-session cookie.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import hmac
import re
import secrets
import time
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from migdata.errors import ConfigurationError, InputError
from migdata.portal import db

ROLES = ("office", "secretariat")
LANGUAGES = ("en", "fr", "pt", "ar")
SESSION_HOURS = 12
MIN_PASSWORD = 10
# At most this many failed logins per window, per account name and per client address.
MAX_FAILURES_USER = 5
MAX_FAILURES_IP = 20
FAILURE_WINDOW_S = 15 * 60
USERNAME = re.compile(r"^[A-Za-z0-9_.@-]{2,64}$")

_hasher = PasswordHasher()
_dummy: list[str] = []


def use_hasher(hasher: PasswordHasher) -> None:
    """Hash new passwords with ``hasher`` (e.g. lighter Argon2id parameters in tests)."""
    global _hasher
    _hasher = hasher
    _dummy.clear()


def _dummy_hash() -> str:
    if not _dummy:
        _dummy.append(_hasher.hash(secrets.token_hex(16)))
    return _dummy[0]


@dataclass(frozen=True)
class User:
    """A signed-in account."""

    id: int
    username: str
    role: str
    country: str | None
    language: str

    @property
    def is_secretariat(self) -> bool:
        return self.role == "secretariat"


def _user(row: Any) -> User:
    return User(row.id, row.username, row.role, row.country, row.language)


def hash_password(password: str) -> str:
    """Argon2id hash of ``password``."""
    return _hasher.hash(password)


def check_password_rules(password: str) -> None:
    """Refuse a password that is too short."""
    if len(password) < MIN_PASSWORD:
        raise InputError(f"a password needs at least {MIN_PASSWORD} characters")


def add_user(
    engine: sa.Engine,
    username: str,
    password: str,
    *,
    role: str,
    country: str | None = None,
    language: str = "en",
) -> User:
    """Create an account; an office account needs its country (ISO3)."""
    if not USERNAME.match(username):
        raise InputError(
            f"user name {username!r}: expected 2-64 letters, digits or . _ @ -", value=username
        )
    if role not in ROLES:
        raise ConfigurationError(f"role {role!r}: expected one of {', '.join(ROLES)}")
    if language not in LANGUAGES:
        raise ConfigurationError(f"language {language!r}: expected one of {', '.join(LANGUAGES)}")
    if role == "office":
        if not country:
            raise ConfigurationError("an office account needs --country (ISO3 code, e.g. KEN)")
        country = _iso3(country)
    else:
        country = None
    check_password_rules(password)
    with engine.begin() as conn:
        exists = conn.execute(
            sa.select(db.users.c.id).where(db.users.c.username == username)
        ).first()
        if exists:
            raise InputError(f"user {username!r} exists; use 'migdata serve users reset'")
        uid = conn.execute(
            db.users.insert().values(
                username=username,
                password_hash=hash_password(password),
                role=role,
                country=country,
                language=language,
                created=db.now(),
            )
        ).inserted_primary_key[0]  # type: ignore[index]
    return User(int(uid), username, role, country, language)


def _iso3(country: str) -> str:
    from migdata.countries import resolve

    code = resolve(country)
    if not isinstance(code, str) or len(code) != 3:
        raise InputError(f"country {country!r}: expected an ISO3 code or a country name")
    return code


def reset_password(engine: sa.Engine, username: str, password: str) -> None:
    """Set a new password and end every session of the account."""
    check_password_rules(password)
    with engine.begin() as conn:
        row = conn.execute(sa.select(db.users.c.id).where(db.users.c.username == username)).first()
        if row is None:
            raise InputError(f"no user {username!r}")
        conn.execute(
            db.users.update()
            .where(db.users.c.id == row.id)
            .values(password_hash=hash_password(password))
        )
        conn.execute(db.sessions.delete().where(db.sessions.c.user_id == row.id))


def list_users(engine: sa.Engine) -> list[User]:
    """Every account, ordered by user name."""
    with engine.connect() as conn:
        rows = conn.execute(sa.select(db.users).order_by(db.users.c.username)).all()
    return [_user(r) for r in rows]


def get_user(engine: sa.Engine, user_id: int) -> User | None:
    with engine.connect() as conn:
        row = conn.execute(sa.select(db.users).where(db.users.c.id == user_id)).first()
    return None if row is None else _user(row)


# ---- login and rate limiting --------------------------------------------------------------


def _recent_failures(conn: sa.Connection, key: str, since: float) -> int:
    return int(
        conn.execute(
            sa.select(sa.func.count())
            .select_from(db.login_failures)
            .where(db.login_failures.c.key == key, db.login_failures.c.at >= since)
        ).scalar()
        or 0
    )


def rate_limited(engine: sa.Engine, username: str, address: str) -> bool:
    """True when this account name or client address failed too often recently."""
    since = time.time() - FAILURE_WINDOW_S
    with engine.connect() as conn:
        return (
            _recent_failures(conn, f"user:{username.lower()}", since) >= MAX_FAILURES_USER
            or _recent_failures(conn, f"ip:{address}", since) >= MAX_FAILURES_IP
        )


def authenticate(engine: sa.Engine, username: str, password: str, address: str) -> User | None:
    """The account when the password matches; a failure is counted for the rate limit."""
    with engine.connect() as conn:
        row = conn.execute(sa.select(db.users).where(db.users.c.username == username)).first()
    ok = False
    if row is not None:
        try:
            ok = _hasher.verify(row.password_hash, password)
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            ok = False
    else:  # same work whether or not the account exists: no user enumeration by timing
        with contextlib.suppress(VerifyMismatchError, VerificationError, InvalidHashError):
            _hasher.verify(_dummy_hash(), password)
    now = time.time()
    with engine.begin() as conn:
        if not ok or row is None:
            for key in (f"user:{username.lower()[:100]}", f"ip:{address}"):
                conn.execute(db.login_failures.insert().values(key=key, at=now))
            conn.execute(db.login_failures.delete().where(db.login_failures.c.at < now - 86400))
            return None
        if _hasher.check_needs_rehash(row.password_hash):
            conn.execute(
                db.users.update()
                .where(db.users.c.id == row.id)
                .values(password_hash=hash_password(password))
            )
        conn.execute(
            db.login_failures.delete().where(
                db.login_failures.c.key == f"user:{username.lower()}"
            )
        )
    return _user(row)


# ---- sessions ------------------------------------------------------------------------------


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def start_session(engine: sa.Engine, user: User) -> str:
    """A new session for ``user``; returns the cookie value (kept nowhere else)."""
    token = secrets.token_urlsafe(32)
    created = dt.datetime.now(dt.UTC)
    with engine.begin() as conn:
        conn.execute(
            db.sessions.insert().values(
                token_hash=_digest(token),
                user_id=user.id,
                csrf=secrets.token_urlsafe(32),
                created=created.isoformat(),
                expires=(created + dt.timedelta(hours=SESSION_HOURS)).isoformat(),
            )
        )
    return token


def session_user(engine: sa.Engine, token: str | None) -> tuple[User, str] | None:
    """The account and CSRF token of a live session cookie, else None."""
    if not token or len(token) > 100:
        return None
    with engine.connect() as conn:
        row = conn.execute(
            sa.select(db.sessions, db.users)
            .join(db.users, db.users.c.id == db.sessions.c.user_id)
            .where(db.sessions.c.token_hash == _digest(token))
        ).first()
    if row is None or row.expires < dt.datetime.now(dt.UTC).isoformat():
        return None
    return User(row.user_id, row.username, row.role, row.country, row.language), row.csrf


def end_session(engine: sa.Engine, token: str | None) -> None:
    if token:
        with engine.begin() as conn:
            conn.execute(db.sessions.delete().where(db.sessions.c.token_hash == _digest(token)))


def pre_session_csrf(secret: bytes, pre_token: str) -> str:
    """The CSRF token of a form shown before login, bound to the pre-session cookie."""
    return hmac.new(secret, b"csrf:" + pre_token.encode(), hashlib.sha256).hexdigest()


def same_token(expected: str | None, given: Any) -> bool:
    """Constant-time comparison of a CSRF token."""
    return (
        bool(expected)
        and isinstance(given, str)
        and hmac.compare_digest(str(expected).encode(), given.encode())
    )
