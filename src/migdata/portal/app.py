"""The portal's web application (Starlette, server-rendered Jinja2 pages, no JavaScript).

Routes, access rules and the upload and run flows. An office reaches only its own
submissions and feedback and what the secretariat published; anything else answers 404, so
a guessed address tells nothing. Every form carries a CSRF token; every upload, replacement,
run and publication is written to the audit log.
"""

from __future__ import annotations

import json
import logging
import re
import secrets
import shutil
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse, RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from migdata.errors import InputError
from migdata.portal import auth, db, i18n, uploads
from migdata.portal.project_adapter import ProjectInfo, open_project, run_project

log = logging.getLogger("migdata.portal")
HERE = Path(__file__).parent
SESSION_COOKIE = "mdp_session"
PRE_COOKIE = "mdp_pre"
LANG_COOKIE = "mdp_lang"
ISO3 = re.compile(r"^[A-Z]{3}$")
UID = re.compile(r"^[A-Za-z0-9_-]{8,32}$")
CSP = (
    "default-src 'self'; script-src 'none'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; frame-ancestors 'none'; form-action 'self'; base-uri 'none'"
)


@dataclass
class PortalConfig:
    """How the portal runs: project folder, database, secret, limits and cookie policy."""

    project_dir: Path
    database_url: str | None = None
    secret: bytes | None = None
    max_upload_bytes: int = uploads.MAX_UPLOAD_BYTES
    secure_cookies: bool = True


def load_secret(project_dir: Path) -> bytes:
    """The portal's secret key, created once in ``PROJECT/portal/secret.key`` (mode 0600)."""
    path = project_dir / "portal" / "secret.key"
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists():
        path.touch(mode=0o600)
        path.write_text(secrets.token_hex(32), encoding="ascii")
    return bytes.fromhex(path.read_text(encoding="ascii").strip())


class _TooLarge(Exception):
    pass


class BodyLimit:
    """Refuse request bodies over the limit (413) before they are parsed or stored."""

    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        length = headers.get(b"content-length")
        if length is not None and (not length.isdigit() or int(length) > self.limit):
            await _send_too_large(send)
            return
        seen = 0
        started = False

        async def counted() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.limit:
                    raise _TooLarge
            return message

        async def tracked(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, counted, tracked)
        except _TooLarge:
            if not started:
                await _send_too_large(send)


async def _send_too_large(send: Send) -> None:
    await send(
        {
            "type": "http.response.start",
            "status": 413,
            "headers": [(b"content-type", b"text/plain; charset=utf-8")],
        }
    )
    await send({"type": "http.response.body", "body": b"413: the file is too large"})


class SecurityHeaders:
    """Content-Security-Policy and the other headers every page carries."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers") or [])
                headers += [
                    (b"content-security-policy", CSP.encode()),
                    (b"x-content-type-options", b"nosniff"),
                    (b"x-frame-options", b"DENY"),
                    (b"referrer-policy", b"same-origin"),
                    (b"cache-control", b"no-store"),
                ]
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, with_headers)


class Portal:
    """The application's state: project, database, secret, templates and the run thread."""

    def __init__(self, config: PortalConfig) -> None:
        self.config = config
        self.project: ProjectInfo = open_project(config.project_dir)
        self.root = self.project.root
        (self.root / "portal").mkdir(exist_ok=True)
        self.engine = db.connect(config.database_url or db.default_url(self.root))
        db.upgrade(self.engine)
        self.secret = config.secret or load_secret(self.root)
        self.templates = Environment(
            loader=FileSystemLoader(HERE / "templates"),
            autoescape=select_autoescape(["html"]),
        )
        self.templates.filters["when"] = _when
        self._run_lock = threading.Lock()
        # Which accepted file a new one replaces is decided and written under this lock, so
        # two uploads of one office at once cannot both stay current.
        self._store_lock = threading.Lock()
        with self.engine.begin() as conn:  # a run cut short by a restart is not running
            conn.execute(
                db.runs.update()
                .where(db.runs.c.status == "running")
                .values(status="failed", finished=db.now(), progress="interrupted")
            )

    # ---- helpers -------------------------------------------------------------------------

    def audit(
        self,
        username: str,
        action: str,
        outcome: str,
        *,
        country: str | None = None,
        sha256: str | None = None,
        detail: str = "",
    ) -> None:
        with self.engine.begin() as conn:
            conn.execute(
                db.audit.insert().values(
                    at=db.now(), username=username, country=country, action=action,
                    sha256=sha256, outcome=outcome, detail=detail[:2000],
                )
            )

    def current(self, request: Request) -> tuple[auth.User, str] | None:
        return auth.session_user(self.engine, request.cookies.get(SESSION_COOKIE))

    def language(self, request: Request, user: auth.User | None) -> str:
        return i18n.pick(
            request.query_params.get("lang"),
            request.cookies.get(LANG_COOKIE),
            user.language if user else None,
            request.headers.get("accept-language"),
        )

    def render(
        self,
        request: Request,
        name: str,
        context: dict[str, Any],
        *,
        user: auth.User | None = None,
        csrf: str = "",
        status: int = 200,
    ) -> HTMLResponse:
        lang = self.language(request, user)
        page = self.templates.get_template(name).render(
            t=lambda key: i18n.translate(key, lang),
            lang=lang,
            dir=i18n.direction(lang),
            languages=i18n.NAMES,
            user=user,
            csrf=csrf,
            path=request.url.path,
            **context,
        )
        response = HTMLResponse(page, status_code=status)
        if request.query_params.get("lang") in i18n.LANGUAGES:
            response.set_cookie(
                LANG_COOKIE, lang, max_age=365 * 86400, httponly=True, samesite="lax",
                secure=self.config.secure_cookies,
            )
        return response

    def not_found(self, request: Request, user: auth.User | None) -> HTMLResponse:
        return self.render(request, "message.html", {"key": "not_found"}, user=user, status=404)

    def forbidden_csrf(self, request: Request, user: auth.User | None) -> HTMLResponse:
        return self.render(request, "message.html", {"key": "forbidden"}, user=user, status=403)

    def set_cookie(self, response: Response, name: str, value: str, max_age: int) -> None:
        response.set_cookie(
            name, value, max_age=max_age, httponly=True, samesite="strict",
            secure=self.config.secure_cookies, path="/",
        )

    # ---- submissions -----------------------------------------------------------------------

    def visible_submission(self, user: auth.User, uid: str) -> Any:
        if not UID.match(uid):
            return None
        query = sa.select(db.submissions, db.users.c.username).join(
            db.users, db.users.c.id == db.submissions.c.user_id
        ).where(db.submissions.c.uid == uid)
        if not user.is_secretariat:
            query = query.where(db.submissions.c.country == user.country)
        with self.engine.connect() as conn:
            return conn.execute(query).first()

    def submissions_of(self, country: str | None) -> list[Any]:
        query = sa.select(db.submissions, db.users.c.username).join(
            db.users, db.users.c.id == db.submissions.c.user_id
        ).order_by(db.submissions.c.id.desc())
        if country is not None:
            query = query.where(db.submissions.c.country == country)
        with self.engine.connect() as conn:
            return list(conn.execute(query).all())

    def store_upload(
        self, user: auth.User, tmp: Path, display: str, kind: str, comment: str
    ) -> str:
        """Check, validate, store and record one upload; returns its id for the URL."""
        country = str(user.country)
        sha = uploads.sha256_file(tmp)
        size = tmp.stat().st_size
        ext = "bin"
        try:
            ext = uploads.sniff(tmp, kind)
            named = tmp.with_suffix("." + ext)
            tmp.rename(named)
            tmp = named
            if kind == "exchange":
                outcome = uploads.validate_exchange_upload(tmp, country)
            else:
                outcome = uploads.read_questionnaire_upload(tmp, country, user.language)
        except InputError as err:
            outcome = uploads.refused(ext, err.reason)
        except Exception as err:  # a file no reader could make sense of: refused, logged
            log.warning("upload from %s could not be read: %r", user.username, err)
            outcome = uploads.refused(ext, "the file could not be read as a " + kind)
        outcome.ext = ext
        folder = (
            self.project.submissions_dir / country
            if outcome.status == "valid"
            else self.root / "portal" / "rejected" / country
        )
        folder.mkdir(parents=True, exist_ok=True)
        target = folder / f"{sha}.{ext}"
        shutil.move(str(tmp), str(target))
        uid = secrets.token_urlsafe(12)
        replaced: list[Any] = []
        with self._store_lock, self.engine.begin() as conn:
            if outcome.status == "valid":
                replaced = list(
                    conn.execute(
                        sa.select(db.submissions).where(
                            db.submissions.c.country == country,
                            db.submissions.c.kind == kind,
                            db.submissions.c.slot == outcome.slot,
                            db.submissions.c.status == "valid",
                        )
                    ).all()
                )
            new_id = conn.execute(
                db.submissions.insert().values(
                    uid=uid, user_id=user.id, country=country, kind=kind, slot=outcome.slot,
                    display_name=display, sha256=sha, ext=ext, size=size,
                    path=target.relative_to(self.root).as_posix(), status=outcome.status,
                    rows_checked=outcome.rows_checked, problem_count=outcome.problem_count,
                    report=json.dumps(outcome.to_json()), comment=comment[:2000],
                    replaces=replaced[-1].id if replaced else None, created=db.now(),
                )
            ).inserted_primary_key[0]  # type: ignore[index]
            for old in replaced:
                conn.execute(
                    db.submissions.update()
                    .where(db.submissions.c.id == old.id)
                    .values(status="superseded")
                )
        for old in replaced:
            if old.sha256 != sha:
                self._archive(old)
        self.audit(
            user.username, "replace" if replaced else "upload", outcome.status,
            country=country, sha256=sha,
            detail=f"submission {new_id}, {kind}, {outcome.problem_count} problem(s)",
        )
        return uid

    def _archive(self, row: Any) -> None:
        src = self.root / row.path
        dest = self.root / "portal" / "archive" / row.country / src.name
        dest.parent.mkdir(parents=True, exist_ok=True)
        if src.exists():
            shutil.move(str(src), str(dest))
        with self.engine.begin() as conn:
            conn.execute(
                db.submissions.update()
                .where(db.submissions.c.id == row.id)
                .values(path=dest.relative_to(self.root).as_posix())
            )

    # ---- runs ------------------------------------------------------------------------------

    def start_run(self, user: auth.User) -> int | None:
        """Start a run in the background; None when one is already running."""
        if not self._run_lock.acquire(blocking=False):
            return None
        with self.engine.begin() as conn:
            run_id = int(
                conn.execute(
                    db.runs.insert().values(
                        user_id=user.id, status="running", progress="", started=db.now()
                    )
                ).inserted_primary_key[0]  # type: ignore[index]
            )
        self.audit(user.username, "run", "started", detail=f"run {run_id}")
        thread = threading.Thread(
            target=self._run, args=(run_id, user.username), name=f"run-{run_id}", daemon=True
        )
        thread.start()
        return run_id

    def _run(self, run_id: int, username: str) -> None:
        lines: list[str] = []

        def progress(text: Any, *args: Any, **kwargs: Any) -> None:
            lines.append(str(text))
            with self.engine.begin() as conn:
                conn.execute(
                    db.runs.update().where(db.runs.c.id == run_id).values(
                        progress="\n".join(lines[-200:])
                    )
                )

        try:
            with self.engine.connect() as conn:
                rows = conn.execute(
                    sa.select(db.submissions.c.path, db.submissions.c.kind)
                    .where(db.submissions.c.status == "valid")
                    .order_by(db.submissions.c.path)
                ).all()
            exchange = [self.root / r.path for r in rows if r.kind == "exchange"]
            workbooks = [self.root / r.path for r in rows if r.kind == "questionnaire"]
            result = run_project(self.project, exchange, workbooks, progress)
            summary = {
                "engine": result.engine,
                "problems": result.problems,
                "steps": result.steps,
                "grades": result.grades,
                "heatmap": result.heatmap,
                "report": None
                if result.report_path is None
                else result.report_path.relative_to(result.output_dir).as_posix(),
            }
            status, outcome = "done", "done"
        except Exception as err:  # the run failed: shown on its page, the output untouched
            log.exception("run %s failed", run_id)
            lines.append(f"failed: {err}")
            summary, status, outcome = {"error": str(err)}, "failed", "failed"
        finally:
            self._run_lock.release()
        with self.engine.begin() as conn:
            conn.execute(
                db.runs.update().where(db.runs.c.id == run_id).values(
                    status=status, finished=db.now(), summary=json.dumps(summary, default=str),
                    progress="\n".join(lines[-200:]), engine=str(summary.get("engine", "")),
                )
            )
        self.audit(username, "run", outcome, detail=f"run {run_id}")

    def publish(self, user: auth.User, run_id: int) -> bool:
        """Copy the run's report, figures and bundle where every member can download them."""
        with self.engine.connect() as conn:
            run = conn.execute(sa.select(db.runs).where(db.runs.c.id == run_id)).first()
        if run is None or run.status != "done":
            return False
        out = self.project.output_dir
        dest = self.root / "portal" / "published" / str(run_id)
        shutil.rmtree(dest, ignore_errors=True)
        dest.mkdir(parents=True)
        # The regional figures only: report, heatmap, bundle and reconciliation tables (not
        # the manifest, which lists every member's input files).
        for name in ("report.html", "heatmap.png", "factors.csv"):
            if (out / name).is_file():
                shutil.copy2(out / name, dest / name)
        for folder in ("bundle", "mirror"):
            if (out / folder).is_dir():
                shutil.copytree(out / folder, dest / folder)
        with self.engine.begin() as conn:
            conn.execute(db.runs.update().where(db.runs.c.id == run_id).values(published=db.now()))
        self.audit(user.username, "publish", "done", detail=f"run {run_id}")
        return True

    def published_files(self, run_id: int) -> list[str]:
        base = self.root / "portal" / "published" / str(run_id)
        return sorted(p.relative_to(base).as_posix() for p in base.rglob("*") if p.is_file())


def _when(value: str | None) -> str:
    """An ISO 8601 UTC time as ``2026-12-06 03:34 UTC`` (empty for None)."""
    if not value:
        return ""
    return value[:16].replace("T", " ") + " UTC"


def _dimension_label(key: str, language: str) -> str:
    """The ESS dimension's name in ``language`` (the key itself for other columns)."""
    from migdata.quality import Dimension

    try:
        return str(Dimension(key).label(language))
    except ValueError:
        return i18n.translate(key, language)


def _inside(base: Path, relative: str) -> Path | None:
    """``base / relative`` when it stays inside ``base`` and is a file, else None."""
    if not relative or "\\" in relative or relative.startswith("/"):
        return None
    target = (base / relative).resolve()
    try:
        target.relative_to(base.resolve())
    except ValueError:
        return None
    return target if target.is_file() else None


def create_app(config: PortalConfig) -> Starlette:
    """The portal's ASGI application for ``config`` (database upgraded, folders made)."""
    portal = Portal(config)

    async def form_of(request: Request) -> Any:
        return await request.form(max_files=1, max_fields=20)

    async def index(request: Request) -> Response:
        who = await run_in_threadpool(portal.current, request)
        return RedirectResponse("/home" if who else "/login", status_code=303)

    async def login_page(request: Request) -> Response:
        pre = request.cookies.get(PRE_COOKIE) or secrets.token_urlsafe(24)
        response = portal.render(
            request, "login.html", {"error": None},
            csrf=auth.pre_session_csrf(portal.secret, pre),
        )
        portal.set_cookie(response, PRE_COOKIE, pre, 3600)
        return response

    async def login(request: Request) -> Response:
        form = await form_of(request)
        pre = request.cookies.get(PRE_COOKIE) or ""
        expected = auth.pre_session_csrf(portal.secret, pre) if pre else None
        if not auth.same_token(expected, form.get("csrf_token")):
            return portal.forbidden_csrf(request, None)
        username = str(form.get("username") or "")[:100]
        password = str(form.get("password") or "")[:1000]
        address = request.client.host if request.client else "-"
        csrf = str(expected)
        if await run_in_threadpool(auth.rate_limited, portal.engine, username, address):
            await run_in_threadpool(
                portal.audit, username[:64], "login", "rate_limited", detail=address
            )
            return portal.render(
                request, "login.html", {"error": "too_many"}, csrf=csrf, status=429
            )
        user = await run_in_threadpool(
            auth.authenticate, portal.engine, username, password, address
        )
        if user is None:
            await run_in_threadpool(portal.audit, username[:64], "login", "failed", detail=address)
            return portal.render(
                request, "login.html", {"error": "bad_login"}, csrf=csrf, status=401
            )
        token = await run_in_threadpool(auth.start_session, portal.engine, user)
        await run_in_threadpool(
            portal.audit, user.username, "login", "ok", country=user.country, detail=address
        )
        response = RedirectResponse("/home", status_code=303)
        portal.set_cookie(response, SESSION_COOKIE, token, auth.SESSION_HOURS * 3600)
        response.delete_cookie(PRE_COOKIE, path="/")
        return response

    async def logout(request: Request) -> Response:
        who = portal.current(request)
        form = await form_of(request)
        if who is None:
            return RedirectResponse("/login", status_code=303)
        if not auth.same_token(who[1], form.get("csrf_token")):
            return portal.forbidden_csrf(request, who[0])
        auth.end_session(portal.engine, request.cookies.get(SESSION_COOKIE))
        response = RedirectResponse("/login", status_code=303)
        response.delete_cookie(SESSION_COOKIE, path="/")
        return response

    def signed_in(request: Request) -> tuple[auth.User, str] | None:
        return portal.current(request)

    async def home(request: Request) -> Response:
        who = await run_in_threadpool(signed_in, request)
        if who is None:
            return RedirectResponse("/login", status_code=303)
        user, csrf = who
        if user.is_secretariat:
            return RedirectResponse("/status", status_code=303)
        rows = await run_in_threadpool(portal.submissions_of, user.country)
        feedback = sorted(
            p.name for p in (portal.project.output_dir / "feedback").glob(f"{user.country}.*")
        )
        return portal.render(
            request, "office.html",
            {"submissions": rows, "feedback": feedback, "published": published_runs()},
            user=user, csrf=csrf,
        )

    def published_runs() -> list[Any]:
        with portal.engine.connect() as conn:
            return list(
                conn.execute(
                    sa.select(db.runs).where(db.runs.c.published.is_not(None))
                    .order_by(db.runs.c.id.desc())
                ).all()
            )

    async def upload(request: Request) -> Response:
        who = await run_in_threadpool(signed_in, request)
        if who is None:
            return RedirectResponse("/login", status_code=303)
        user, csrf = who
        form = await form_of(request)
        if not auth.same_token(csrf, form.get("csrf_token")):
            return portal.forbidden_csrf(request, user)
        if user.is_secretariat or not user.country:
            return portal.not_found(request, user)
        file = form.get("file")
        kind = str(form.get("kind") or "exchange")
        if kind not in uploads.KINDS or not isinstance(file, UploadFile):
            return portal.render(
                request, "message.html", {"key": "bad_upload"}, user=user, status=400
            )
        tmpdir = portal.root / "portal" / "tmp"
        tmpdir.mkdir(parents=True, exist_ok=True)
        fd, name = tempfile.mkstemp(dir=tmpdir, suffix=".upload")
        tmp = Path(name)
        size = 0
        with open(fd, "wb") as out:
            while chunk := await file.read(1 << 20):
                size += len(chunk)
                if size > portal.config.max_upload_bytes:
                    break
                out.write(chunk)
        if size > portal.config.max_upload_bytes:
            tmp.unlink(missing_ok=True)
            return portal.render(request, "message.html", {"key": "too_large"}, user=user,
                                 status=413)
        uid = await run_in_threadpool(
            portal.store_upload, user, tmp, uploads.display_name(file.filename), kind,
            str(form.get("comment") or ""),
        )
        return RedirectResponse(f"/submissions/{uid}", status_code=303)

    async def submission(request: Request) -> Response:
        who = await run_in_threadpool(signed_in, request)
        if who is None:
            return RedirectResponse("/login", status_code=303)
        user, csrf = who
        row = await run_in_threadpool(portal.visible_submission, user, request.path_params["uid"])
        if row is None:
            return portal.not_found(request, user)
        history = [r for r in await run_in_threadpool(portal.submissions_of, row.country)
                   if r.kind == row.kind]
        return portal.render(
            request, "submission.html",
            {"s": row, "report": json.loads(row.report), "history": history},
            user=user, csrf=csrf,
        )

    async def submission_file(request: Request) -> Response:
        who = await run_in_threadpool(signed_in, request)
        if who is None:
            return RedirectResponse("/login", status_code=303)
        user, _ = who
        row = await run_in_threadpool(portal.visible_submission, user, request.path_params["uid"])
        if row is None or not (portal.root / row.path).is_file():
            return portal.not_found(request, user)
        await run_in_threadpool(
            portal.audit, user.username, "download", "ok", country=row.country,
            sha256=row.sha256, detail=f"submission {row.id}",
        )
        return FileResponse(
            portal.root / row.path, filename=f"{row.country}-{row.sha256[:12]}.{row.ext}",
            media_type="application/octet-stream",
        )

    async def feedback(request: Request) -> Response:
        who = await run_in_threadpool(signed_in, request)
        if who is None:
            return RedirectResponse("/login", status_code=303)
        user, _ = who
        name = request.path_params["name"]
        country = name.split(".", 1)[0]
        if not ISO3.match(country) or (not user.is_secretariat and country != user.country):
            return portal.not_found(request, user)
        target = _inside(portal.project.output_dir / "feedback", name)
        if target is None:
            return portal.not_found(request, user)
        return FileResponse(target)

    def secretariat(request: Request) -> tuple[auth.User, str] | None:
        who = portal.current(request)
        return who if who is not None and who[0].is_secretariat else None

    async def status_page(request: Request) -> Response:
        who = await run_in_threadpool(portal.current, request)
        if who is None:
            return RedirectResponse("/login", status_code=303)
        if not who[0].is_secretariat:
            return portal.not_found(request, who[0])
        user, csrf = who
        table, flows = await run_in_threadpool(status_table)
        with portal.engine.connect() as conn:
            runs = conn.execute(sa.select(db.runs).order_by(db.runs.c.id.desc()).limit(20)).all()
        rows = await run_in_threadpool(portal.submissions_of, None)
        return portal.render(
            request, "status.html",
            {"table": table, "flows": flows, "runs": runs, "submissions": rows[:100]},
            user=user, csrf=csrf,
        )

    def status_table() -> tuple[list[dict[str, Any]], list[str]]:
        from migdata.exchange import dataflows

        flows = {f.ref: key.removeprefix("DF_MIG_") for key, f in dataflows().items()}
        with portal.engine.connect() as conn:
            offices = {
                r.country for r in conn.execute(
                    sa.select(db.users.c.country).where(db.users.c.role == "office")
                ).all()
            }
            subs = conn.execute(sa.select(db.submissions)).all()
        members = sorted(offices | {s.country for s in subs})
        table = []
        for country in members:
            mine = [s for s in subs if s.country == country]
            cells: dict[str, str] = {}
            for ref, short in flows.items():
                valid = any(s.status == "valid" and ref in s.slot for s in mine)
                bad = any(s.status == "rejected" and ref in s.slot for s in mine)
                cells[short] = "valid" if valid else "rejected" if bad else "missing"
            quest = [s for s in mine if s.kind == "questionnaire"]
            cells["Q"] = (
                "valid" if any(s.status == "valid" for s in quest)
                else "rejected" if quest else "missing"
            )
            last = max(mine, key=lambda s: s.id) if mine else None
            table.append({"country": country, "cells": cells, "received": len(mine),
                          "last": last})
        return table, [*flows.values(), "Q"]

    async def run(request: Request) -> Response:
        who = await run_in_threadpool(portal.current, request)
        if who is None:
            return RedirectResponse("/login", status_code=303)
        user, csrf = who
        form = await form_of(request)
        if not auth.same_token(csrf, form.get("csrf_token")):
            return portal.forbidden_csrf(request, user)
        if not user.is_secretariat:
            return portal.not_found(request, user)
        run_id = await run_in_threadpool(portal.start_run, user)
        if run_id is None:
            return portal.render(request, "message.html", {"key": "already_running"}, user=user,
                                 status=409)
        return RedirectResponse(f"/runs/{run_id}", status_code=303)

    def get_run(run_id: str) -> Any:
        if not run_id.isdigit() or len(run_id) > 9:
            return None
        with portal.engine.connect() as conn:
            return conn.execute(sa.select(db.runs).where(db.runs.c.id == int(run_id))).first()

    async def run_page(request: Request) -> Response:
        who = await run_in_threadpool(secretariat, request)
        if who is None:
            return await _deny(request)
        user, csrf = who
        row = await run_in_threadpool(get_run, request.path_params["run_id"])
        if row is None:
            return portal.not_found(request, user)
        lang = portal.language(request, user)
        return portal.render(
            request, "run.html",
            {"run": row, "summary": json.loads(row.summary or "{}"),
             "label": lambda key: _dimension_label(key, lang)},
            user=user, csrf=csrf,
        )

    async def _deny(request: Request) -> Response:
        who = await run_in_threadpool(portal.current, request)
        if who is None:
            return RedirectResponse("/login", status_code=303)
        return portal.not_found(request, who[0])

    async def run_file(request: Request) -> Response:
        who = await run_in_threadpool(secretariat, request)
        if who is None:
            return await _deny(request)
        row = await run_in_threadpool(get_run, request.path_params["run_id"])
        latest = await run_in_threadpool(latest_done)
        if row is None or latest is None or row.id != latest:
            return portal.not_found(request, who[0])
        target = _inside(portal.project.output_dir, request.path_params["name"])
        if target is None:
            return portal.not_found(request, who[0])
        return FileResponse(target)

    def latest_done() -> int | None:
        with portal.engine.connect() as conn:
            value = conn.execute(
                sa.select(sa.func.max(db.runs.c.id)).where(db.runs.c.status == "done")
            ).scalar()
        return None if value is None else int(value)

    async def publish(request: Request) -> Response:
        who = await run_in_threadpool(portal.current, request)
        if who is None:
            return RedirectResponse("/login", status_code=303)
        user, csrf = who
        form = await form_of(request)
        if not auth.same_token(csrf, form.get("csrf_token")):
            return portal.forbidden_csrf(request, user)
        row = await run_in_threadpool(get_run, request.path_params["run_id"])
        if not user.is_secretariat or row is None:
            return portal.not_found(request, user)
        latest = await run_in_threadpool(latest_done)
        if row.id != latest or not await run_in_threadpool(portal.publish, user, row.id):
            return portal.not_found(request, user)
        return RedirectResponse("/published", status_code=303)

    async def published(request: Request) -> Response:
        who = await run_in_threadpool(portal.current, request)
        if who is None:
            return RedirectResponse("/login", status_code=303)
        user, csrf = who
        runs = await run_in_threadpool(published_runs)
        files = {r.id: portal.published_files(r.id) for r in runs}
        return portal.render(request, "published.html", {"runs": runs, "files": files},
                             user=user, csrf=csrf)

    async def published_file(request: Request) -> Response:
        who = await run_in_threadpool(portal.current, request)
        if who is None:
            return RedirectResponse("/login", status_code=303)
        row = await run_in_threadpool(get_run, request.path_params["run_id"])
        if row is None or row.published is None:
            return portal.not_found(request, who[0])
        base = portal.root / "portal" / "published" / str(row.id)
        target = _inside(base, request.path_params["name"])
        if target is None:
            return portal.not_found(request, who[0])
        return FileResponse(target)

    async def audit_page(request: Request) -> Response:
        who = await run_in_threadpool(secretariat, request)
        if who is None:
            return await _deny(request)
        with portal.engine.connect() as conn:
            rows = conn.execute(sa.select(db.audit).order_by(db.audit.c.id.desc()).limit(500)).all()
        return portal.render(request, "audit.html", {"rows": rows}, user=who[0], csrf=who[1])

    async def health(request: Request) -> Response:
        return Response("ok", media_type="text/plain")

    routes = [
        Route("/", index),
        Route("/login", login_page, methods=["GET"]),
        Route("/login", login, methods=["POST"]),
        Route("/logout", logout, methods=["POST"]),
        Route("/home", home),
        Route("/upload", upload, methods=["POST"]),
        Route("/submissions/{uid}", submission),
        Route("/submissions/{uid}/file", submission_file),
        Route("/feedback/{name}", feedback),
        Route("/status", status_page),
        Route("/run", run, methods=["POST"]),
        Route("/runs/{run_id}", run_page),
        Route("/runs/{run_id}/files/{name:path}", run_file),
        Route("/runs/{run_id}/publish", publish, methods=["POST"]),
        Route("/published", published),
        Route("/published/{run_id}/{name:path}", published_file),
        Route("/audit", audit_page),
        Route("/healthz", health),
        Mount("/static", StaticFiles(directory=HERE / "static"), name="static"),
    ]
    app = Starlette(routes=routes)
    app.state.portal = portal
    app.add_middleware(BodyLimit, limit=config.max_upload_bytes + 1024 * 1024)
    app.add_middleware(SecurityHeaders)
    return app
