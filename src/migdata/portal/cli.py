"""``migdata serve``: the portal of a secretariat project, and its accounts on the command line.

``migdata serve PROJECT_DIR`` starts the web server; ``migdata serve users add|reset|list``
manages accounts. Nothing heavy is imported until a command runs.
"""

from __future__ import annotations

import argparse
import getpass
import secrets
import sys
import tempfile
from pathlib import Path
from typing import Any

from migdata.errors import InputError


class _AnyWord(dict[str, Any]):
    """Sub-command table that lets argparse pass any first word to the action."""

    def __contains__(self, key: object) -> bool:
        return True


class _ProjectOrCommand(argparse._SubParsersAction):
    """``serve users ...`` is a sub-command; any other first word is the project folder."""

    def accept_any_word(self) -> None:
        """Let argparse's choice check pass every first word (call after add_parser)."""
        self.choices = _AnyWord(self._name_parser_map)

    def __call__(
        self,
        parser: argparse.ArgumentParser,
        namespace: argparse.Namespace,
        values: Any,
        option_string: str | None = None,
    ) -> None:
        if values and values[0] in self._name_parser_map:
            super().__call__(parser, namespace, values, option_string)
            return
        namespace.project = values[0]
        if len(values) > 1:
            parser.parse_args(values[1:], namespace)


def register(sub: Any) -> argparse.ArgumentParser:
    """Add ``migdata serve`` (with ``users add|reset|list``)."""
    serve = sub.add_parser(
        "serve",
        help="the secretariat's web portal over a secretariat project",
        description=(
            "Serve the portal of a secretariat project: offices upload their exchange files "
            "and returned questionnaires and read their feedback; the secretariat runs the "
            "project and publishes. Accounts: 'migdata serve users add|reset|list'."
        ),
    )
    serve.set_defaults(func=_serve, project=None)
    serve.add_argument("--host", default="127.0.0.1", help="address to listen on")
    serve.add_argument("--port", type=int, default=8000, help="port (default 8000)")
    serve.add_argument(
        "--database-url",
        help="SQLAlchemy URL, e.g. postgresql+psycopg://user@host/migdata "
        "(default: SQLite in PROJECT_DIR/portal/)",
    )
    serve.add_argument(
        "--demo",
        action="store_true",
        help="serve a demo secretariat project with demo accounts (printed)",
    )
    serve.add_argument(
        "--insecure-cookies",
        action="store_true",
        help="send cookies over plain HTTP (only for a test on this machine; behind a "
        "TLS reverse proxy leave it off)",
    )
    cmds = serve.add_subparsers(
        action=_ProjectOrCommand, dest="serve_command", metavar="PROJECT_DIR | users"
    )
    users = cmds.add_parser("users", help="manage the portal's accounts")
    users_sub = users.add_subparsers(dest="users_command", metavar="ACTION", required=True)
    add = users_sub.add_parser("add", help="create an account")
    add.add_argument("project_dir", help="the secretariat project folder")
    add.add_argument("username")
    add.add_argument("--role", choices=("office", "secretariat"), required=True)
    add.add_argument("--country", help="ISO3 code of the office's country (role office)")
    add.add_argument("--lang", choices=("en", "fr", "pt", "ar"), default="en",
                     help="the account's language (default en)")
    add.add_argument("--password-stdin", action="store_true",
                     help="read the password from standard input (else prompt, or generate "
                     "one when not on a terminal)")
    add.add_argument("--database-url", help="as for 'migdata serve'")
    add.set_defaults(func=_users_add)
    reset = users_sub.add_parser("reset", help="set a new password (ends its sessions)")
    reset.add_argument("project_dir")
    reset.add_argument("username")
    reset.add_argument("--password-stdin", action="store_true")
    reset.add_argument("--database-url")
    reset.set_defaults(func=_users_reset)
    lister = users_sub.add_parser("list", help="list the accounts")
    lister.add_argument("project_dir")
    lister.add_argument("--database-url")
    lister.set_defaults(func=_users_list)
    cmds.accept_any_word()
    return serve


def _engine(project_dir: str, url: str | None) -> Any:
    from migdata.portal._deps import require

    require()
    from migdata.portal import db

    root = Path(project_dir).resolve()
    if not root.is_dir():
        raise InputError("no such project folder", file=str(root))
    (root / "portal").mkdir(exist_ok=True)
    engine = db.connect(url or db.default_url(root))
    db.upgrade(engine)
    return engine


def _password(from_stdin: bool) -> tuple[str, bool]:
    """The password and whether it was generated (then it is printed once)."""
    if from_stdin:
        return sys.stdin.readline().rstrip("\n"), False
    if sys.stdin.isatty():
        first = getpass.getpass("password: ")
        if getpass.getpass("again: ") != first:
            raise InputError("the two passwords differ")
        return first, False
    return secrets.token_urlsafe(12), True


def _users_add(args: argparse.Namespace) -> int:
    from migdata.portal import auth

    engine = _engine(args.project_dir, args.database_url)
    password, generated = _password(args.password_stdin)
    user = auth.add_user(
        engine, args.username, password, role=args.role, country=args.country,
        language=args.lang,
    )
    where = f" for {user.country}" if user.country else ""
    print(f"added {user.role} account {user.username!r}{where}")
    if generated:
        print(f"password: {password}")
    return 0


def _users_reset(args: argparse.Namespace) -> int:
    from migdata.portal import auth

    engine = _engine(args.project_dir, args.database_url)
    password, generated = _password(args.password_stdin)
    auth.reset_password(engine, args.username, password)
    print(f"new password set for {args.username!r}; its sessions are ended")
    if generated:
        print(f"password: {password}")
    return 0


def _users_list(args: argparse.Namespace) -> int:
    from migdata.portal import auth

    engine = _engine(args.project_dir, args.database_url)
    for u in auth.list_users(engine):
        print(f"{u.username:<24} {u.role:<12} {u.country or '-':<4} {u.language}")
    return 0


def _serve(args: argparse.Namespace) -> int:
    from migdata.portal._deps import require

    require()
    import uvicorn

    from migdata.portal.app import PortalConfig, create_app

    if args.demo:
        project = Path(args.project or tempfile.mkdtemp(prefix="migdata-portal-demo-"))
        from migdata.portal.project_adapter import init_demo_project

        init_demo_project(project)
        insecure = True  # a demo is served on this machine over plain HTTP
    elif args.project is None:
        raise InputError("give the project folder: migdata serve PROJECT_DIR (or --demo)")
    else:
        project = Path(args.project)
        insecure = args.insecure_cookies
    app = create_app(
        PortalConfig(
            project_dir=project, database_url=args.database_url, secure_cookies=not insecure
        )
    )
    if args.demo:
        from migdata.portal.demo import seed

        print(f"demo secretariat project: {project} (preparing the members' files...)")
        print("demo accounts (user name, password, country, language):")
        for name, password, country, lang in seed(app.state.portal):
            print(f"  {name:<12} {password:<20} {country or 'secretariat':<12} {lang}")
    print(f"portal on http://{args.host}:{args.port}/ (Ctrl-C stops it)")
    uvicorn.run(app, host=args.host, port=args.port, log_level="info", proxy_headers=True,
                forwarded_allow_ips="127.0.0.1")
    return 0
