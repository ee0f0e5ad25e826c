"""The portal from the server side: every route's status codes and access rules, the upload
checks and the attack list (oversize, wrong type, zip bombs, hostile names, CSRF, cookies,
guessed ids, SQL metacharacters, XSS)."""

from __future__ import annotations

import io
import json
import re
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest

pytest.importorskip("starlette")  # the portal extra is part of the test extra

import sqlalchemy as sa
from portal_support import (
    PASSWORDS,
    broken_file,
    csrf_of,
    exchange_file,
    login,
    make_app,
    upload,
)
from starlette.testclient import TestClient

from migdata.portal import auth, db

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


@pytest.fixture
def app(tmp_path: Path):
    return make_app(tmp_path / "project")


def client(app) -> TestClient:
    return TestClient(app, base_url="https://testserver", follow_redirects=True)


@pytest.fixture
def kenya(app) -> TestClient:
    c = client(app)
    assert login(c, "kenya").url.path == "/home"
    return c


@pytest.fixture
def uganda(app) -> TestClient:
    c = client(app)
    assert login(c, "uganda").url.path == "/home"
    return c


@pytest.fixture
def secretariat(app) -> TestClient:
    c = client(app)
    assert login(c, "secretariat").url.path == "/status"
    return c


def rows(app, table: sa.Table) -> list:
    with app.state.portal.engine.connect() as conn:
        return list(conn.execute(sa.select(table).order_by(table.c.id)).all())


# ---- accounts, sessions, CSRF ---------------------------------------------------------------


def test_passwords_are_stored_as_argon2id_hashes(app) -> None:
    """No password is stored in clear: each is an Argon2id hash that verifies."""
    users = rows(app, db.users)
    assert {u.username for u in users} == set(PASSWORDS)
    for u in users:
        assert u.password_hash.startswith("$argon2id$")
        assert PASSWORDS[u.username] not in u.password_hash


def test_anonymous_visitors_are_sent_to_login(app) -> None:
    """Every page but the login page, the static files and the health check needs a session."""
    c = TestClient(app, base_url="https://testserver", follow_redirects=False)
    for path in ("/", "/home", "/status", "/published", "/audit", "/runs/1",
                 "/submissions/abcdefgh12", "/submissions/abcdefgh12/file", "/feedback/KEN.html",
                 "/published/1/report.html", "/runs/1/files/report.html"):
        r = c.get(path)
        assert r.status_code == 303 and r.headers["location"] == "/login", path
    assert c.get("/login").status_code == 200
    assert c.get("/healthz").text == "ok"
    assert c.get("/static/portal.css").status_code == 200
    for path in ("/upload", "/run", "/runs/1/publish", "/logout"):
        assert c.post(path, data={}).status_code in (303, 403), path


def test_session_cookie_is_secure_httponly_strict(app) -> None:
    """The session cookie is Secure, HttpOnly and SameSite=Strict; pages carry a strict CSP."""
    c = TestClient(app, base_url="https://testserver", follow_redirects=False)
    page = c.get("/login")
    assert "script-src 'none'" in page.headers["content-security-policy"]
    assert page.headers["x-frame-options"] == "DENY"
    r = c.post("/login", data={"username": "kenya", "password": PASSWORDS["kenya"],
                               "csrf_token": csrf_of(page.text)})
    assert r.status_code == 303
    cookie = next(h for h in r.headers.get_list("set-cookie") if h.startswith("mdp_session="))
    lowered = cookie.lower()
    assert "secure" in lowered and "httponly" in lowered and "samesite=strict" in lowered


def test_wrong_password_and_unknown_user_are_refused_alike(app) -> None:
    """A wrong password and an unknown account give the same 401 page."""
    c = client(app)
    a = login(c, "kenya", "not-the-password")
    b = login(c, "nobody", "not-the-password")
    assert a.status_code == b.status_code == 401
    assert "mdp_session" not in c.cookies


def test_login_is_rate_limited(app) -> None:
    """After 5 failures for an account, even the right password is refused for a while (429)."""
    c = client(app)
    for _ in range(auth.MAX_FAILURES_USER):
        assert login(c, "uganda", "wrong-password-x").status_code == 401
    r = login(c, "uganda")
    assert r.status_code == 429
    assert "15" in r.text
    outcomes = [a.outcome for a in rows(app, db.audit) if a.username == "uganda"]
    assert outcomes.count("failed") == 5 and outcomes[-1] == "rate_limited"
    assert login(client(app), "kenya").status_code == 200  # other accounts are not locked


def test_login_without_csrf_token_is_refused(app) -> None:
    """The login form without (or with a forged) CSRF token is refused (403)."""
    c = client(app)
    c.get("/login")
    assert c.post("/login", data={"username": "kenya",
                                  "password": PASSWORDS["kenya"]}).status_code == 403
    assert c.post("/login", data={"username": "kenya", "password": PASSWORDS["kenya"],
                                  "csrf_token": "forged"}).status_code == 403


def test_every_form_needs_its_csrf_token(app, kenya, secretariat, tmp_path) -> None:
    """Upload, run, publish and logout without the session's CSRF token: 403, nothing done."""
    path = exchange_file(tmp_path / "f", "KEN")
    with path.open("rb") as fh:
        r = kenya.post("/upload", data={"kind": "exchange"}, files={"file": ("a.csv", fh)})
    assert r.status_code == 403
    with path.open("rb") as fh:  # the token of another session does not do either
        r = kenya.post("/upload", data={"kind": "exchange",
                                        "csrf_token": csrf_of(secretariat.get("/status").text)},
                       files={"file": ("a.csv", fh)})
    assert r.status_code == 403
    assert secretariat.post("/run", data={}).status_code == 403
    assert secretariat.post("/runs/1/publish", data={"csrf_token": "x"}).status_code == 403
    assert kenya.post("/logout", data={}).status_code == 403
    assert rows(app, db.submissions) == [] and rows(app, db.runs) == []


def test_logout_ends_the_session(app, kenya) -> None:
    """After logout the old cookie opens nothing."""
    token = kenya.cookies["mdp_session"]
    r = kenya.post("/logout", data={"csrf_token": csrf_of(kenya.get("/home").text)})
    assert r.url.path == "/login"
    stale = TestClient(app, base_url="https://testserver", follow_redirects=False)
    stale.cookies.set("mdp_session", token)
    assert stale.get("/home").headers["location"] == "/login"


def test_forged_session_cookie_opens_nothing(app, kenya) -> None:
    """A made-up or altered session cookie is not a session."""
    for value in ("1", "uganda", kenya.cookies["mdp_session"][:-2] + "xx", "' OR 1=1 --"):
        c = TestClient(app, base_url="https://testserver", follow_redirects=False)
        c.cookies.set("mdp_session", value)
        assert c.get("/home").headers["location"] == "/login", value


def test_password_reset_ends_the_sessions(app, kenya) -> None:
    """A password reset signs the account out everywhere."""
    auth.reset_password(app.state.portal.engine, "kenya", "a-brand-new-pass")
    assert kenya.get("/home").url.path == "/login"
    assert login(client(app), "kenya", "a-brand-new-pass").url.path == "/home"


def test_sql_metacharacters_in_every_field_are_plain_text(app, kenya, tmp_path) -> None:
    """Quotes, semicolons and comments in fields are stored and shown as text."""
    evil = "x'); DROP TABLE users; --"
    assert login(client(app), evil, evil).status_code == 401
    assert login(client(app), "kenya' --", "x").status_code == 401
    r = upload(kenya, exchange_file(tmp_path / "f", "KEN"), comment=evil, filename=evil + ".csv")
    assert r.status_code == 200
    assert len(rows(app, db.users)) == 4
    sub = rows(app, db.submissions)[0]
    assert sub.comment == evil and sub.display_name == evil + ".csv"
    with exchange_file(tmp_path / "g", "KEN").open("rb") as fh:  # the select's value too
        r = kenya.post("/upload", data={"csrf_token": csrf_of(kenya.get("/home").text),
                                        "kind": evil}, files={"file": ("a.csv", fh)})
    assert r.status_code == 400 and len(rows(app, db.submissions)) == 1
    with pytest.raises(Exception, match="user name"):
        auth.add_user(app.state.portal.engine, "a'; --", "long-enough-pw", role="secretariat")


# ---- uploads ----------------------------------------------------------------------------


def test_upload_with_errors_then_corrected_keeps_the_history(app, kenya, tmp_path) -> None:
    """A file with errors is rejected with its problems by line; the corrected one is accepted
    and stored by hash in submissions/KEN/; both stay in the history and the audit log."""
    bad = broken_file(tmp_path / "bad", "KEN")
    r = upload(kenya, bad, comment="first try")
    assert r.status_code == 200 and r.url.path.startswith("/submissions/")
    assert "rejeté" in r.text  # the office's language is French
    assert "SEX code &#39;X&#39;" in r.text and "20X0" in r.text
    good = exchange_file(tmp_path / "good", "KEN")
    r = upload(kenya, good)
    assert "valide" in r.text
    assert r.text.split('id="history"')[1].count("<tr>") == 3  # header, rejected, accepted
    subs = rows(app, db.submissions)
    assert [s.status for s in subs] == ["rejected", "valid"]
    project = app.state.portal.root
    stored = project / subs[1].path
    assert stored.parent == project / "submissions" / "KEN"
    assert stored.name == f"{subs[1].sha256}.csv"
    assert not (project / "submissions" / "KEN" / f"{subs[0].sha256}.csv").exists()
    actions = [(a.action, a.outcome, a.sha256) for a in rows(app, db.audit) if a.country == "KEN"
               and a.action in ("upload", "replace")]
    assert actions == [("upload", "rejected", subs[0].sha256), ("upload", "valid", subs[1].sha256)]


def test_reupload_replaces_the_accepted_file_and_archives_it(app, kenya, tmp_path) -> None:
    """A second valid file of the same dataflows replaces the first, which is archived."""
    first = exchange_file(tmp_path / "a", "KEN")
    upload(kenya, first)
    table = __import__("portal_support").flows("KEN").assign(obs_value=lambda t: t.obs_value + 1)
    second = __import__("migdata").write_exchange(table, tmp_path / "b.csv")
    upload(kenya, second)
    subs = rows(app, db.submissions)
    assert [s.status for s in subs] == ["superseded", "valid"]
    assert subs[1].replaces == subs[0].id
    project = app.state.portal.root
    assert sorted(p.name for p in (project / "submissions" / "KEN").iterdir()) == [
        f"{subs[1].sha256}.csv"
    ]
    assert (project / subs[0].path).parent == project / "portal" / "archive" / "KEN"
    assert [a.action for a in rows(app, db.audit) if a.action in ("upload", "replace")] == [
        "upload", "replace"]


@pytest.mark.parametrize("name", ["flows.parquet", "flows.xlsx", "flows.csv"])
def test_every_exchange_format_is_accepted_and_stored_by_content(app, kenya, tmp_path,
                                                                name) -> None:
    """Parquet, the Excel copy and SDMX-CSV are accepted; the stored extension comes from the
    content, whatever the uploader called the file."""
    path = exchange_file(tmp_path, "KEN", name)
    r = upload(kenya, path, filename="report.txt")
    assert r.status_code == 200
    sub = rows(app, db.submissions)[0]
    assert sub.status == "valid", sub.report
    assert Path(sub.path).suffix == Path(name).suffix and sub.display_name == "report.txt"


def test_an_office_submits_only_its_own_country(kenya, tmp_path) -> None:
    """Rows of another reporting country are problems (own_country), the file is rejected."""
    r = upload(kenya, exchange_file(tmp_path, "UGA"))
    assert "own_country" in r.text and "KEN only" in r.text


def test_returned_questionnaire_shows_the_quality_profile(app, tmp_path) -> None:
    """A returned workbook is read and scored; the profile is shown in the office's language."""
    import migdata

    c = client(app)
    login(c, "egypt")
    path = migdata.write_template(tmp_path / "q.xlsx", lang="ar", country="EGY")
    r = upload(c, path, kind="questionnaire")
    assert r.status_code == 200
    assert 'dir="rtl"' in r.text and "ملف الجودة" in r.text
    sub = rows(app, db.submissions)[0]
    assert sub.status == "valid" and sub.kind == "questionnaire"
    assert (app.state.portal.root / sub.path).suffix == ".xlsx"


def test_questionnaire_of_another_country_is_rejected(app, kenya, tmp_path) -> None:
    """A workbook filled for Uganda cannot be sent by Kenya's account."""
    import migdata

    path = migdata.write_template(tmp_path / "q.xlsx", lang="fr", country="UGA")
    upload(kenya, path, kind="questionnaire")
    assert rows(app, db.submissions)[0].status == "rejected"


def test_oversize_upload_is_refused_before_it_is_stored(tmp_path) -> None:
    """A body over the limit answers 413 and leaves no file behind."""
    app = make_app(tmp_path / "p", max_upload_bytes=10_000)
    c = client(app)
    login(c, "kenya")
    big = tmp_path / "big.csv"
    big.write_bytes(b"a" * 2_000_000)
    r = upload(c, big)
    assert r.status_code == 413
    assert rows(app, db.submissions) == []
    assert not list((tmp_path / "p" / "submissions").rglob("*.*"))


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b"MZ\x90\x00\x03\x00\x00\x00" + b"\x00" * 100, "not an exchange file"),
        (b"%PDF-1.7\n%\xe2\xe3", "not an exchange file"),
        (b"<html><script>alert(1)</script></html>", "not an exchange file"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100, "old-format Excel"),
        (b'{"resources": []}', "datapackage.json holds no data"),
        (b"PAR1garbage", "Parquet file is damaged"),
    ],
)
def test_wrong_types_are_refused(app, kenya, tmp_path, content, expected) -> None:
    """Executables, PDFs, HTML, .xls, a bare datapackage.json, damaged Parquet: refused by
    content (whatever the name), never stored in submissions/."""
    path = tmp_path / "data.csv"
    path.write_bytes(content)
    r = upload(kenya, path)
    assert expected in r.text
    sub = rows(app, db.submissions)[0]
    assert sub.status == "rejected"
    assert not (app.state.portal.root / "submissions" / "KEN").exists()


def _bomb(path: Path) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("[Content_Types].xml", "<Types/>")
        zf.writestr("xl/worksheets/sheet1.xml", b"0" * 50_000_000)
    return path


def test_zip_bomb_is_refused_without_expanding(app, kenya, tmp_path) -> None:
    """A 'workbook' that expands a thousandfold is refused from its directory alone."""
    r = upload(kenya, _bomb(tmp_path / "book.xlsx"), kind="questionnaire")
    assert "compressed-file bomb" in r.text
    r = upload(kenya, _bomb(tmp_path / "flows.xlsx"))
    assert "compressed-file bomb" in r.text


def test_zip_that_is_not_a_workbook_is_refused(kenya, tmp_path) -> None:
    """Any other zip archive is not a workbook."""
    path = tmp_path / "x.xlsx"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("evil.sh", "rm -rf /")
    assert "not an Excel workbook" in upload(kenya, path).text


@pytest.mark.parametrize(
    "name", ["../../etc/passwd", "..\\..\\boot.ini", "<script>alert('x')</script>.csv",
             "/abs/path.csv", "a\x00b.csv"])
def test_hostile_file_names_are_never_paths_and_are_escaped(app, kenya, tmp_path, name) -> None:
    """The stored file is named by its hash; the uploader's name is shown escaped only."""
    r = upload(kenya, exchange_file(tmp_path, "KEN"), filename=name)
    assert r.status_code == 200
    assert "<script>alert" not in r.text
    sub = rows(app, db.submissions)[-1]
    assert Path(sub.path).name == f"{sub.sha256}.csv"
    assert "/" not in sub.display_name and "\\" not in sub.display_name
    assert not list(tmp_path.parent.rglob("passwd"))


def test_formulas_in_cells_are_data_not_code(app, kenya, tmp_path) -> None:
    """A formula typed in a value cell is a validation problem, shown as text."""
    import openpyxl

    import migdata

    path = migdata.write_exchange(__import__("portal_support").flows("KEN"), tmp_path / "f.xlsx")
    wb = openpyxl.load_workbook(path)
    ws = wb.worksheets[0]
    header = [c.value for c in ws[1]]
    col = header.index("OBS_VALUE") + 1
    ws.cell(row=2, column=col, value='=HYPERLINK("http://evil","click")')
    wb.save(path)
    r = upload(kenya, path)
    sub = rows(app, db.submissions)[0]
    assert sub.status == "rejected"
    assert "<a href=\"http://evil\"" not in r.text


def test_xss_in_comments_is_escaped_for_the_secretariat(app, kenya, secretariat, tmp_path) -> None:
    """An office's comment with markup is shown as text on the secretariat's pages."""
    payload = '<img src=x onerror="alert(1)"><script>alert(2)</script>'
    upload(kenya, exchange_file(tmp_path, "KEN"), comment=payload)
    page = secretariat.get("/status").text
    assert payload not in page and "&lt;script&gt;alert(2)&lt;/script&gt;" in page
    uid = rows(app, db.submissions)[0].uid
    assert payload not in secretariat.get(f"/submissions/{uid}").text


# ---- isolation between offices -----------------------------------------------------------


def test_an_office_cannot_reach_another_offices_submission(app, kenya, uganda, tmp_path) -> None:
    """Uganda's submission, its file and Kenya's feedback answer 404 to the other office."""
    upload(uganda, broken_file(tmp_path, "UGA"))
    uid = rows(app, db.submissions)[0].uid
    assert uganda.get(f"/submissions/{uid}").status_code == 200
    assert uganda.get(f"/submissions/{uid}/file").status_code == 200
    assert kenya.get(f"/submissions/{uid}").status_code == 404
    assert kenya.get(f"/submissions/{uid}/file").status_code == 404
    assert "UGA" not in kenya.get("/home").text
    feedback = app.state.portal.project.output_dir / "feedback"
    feedback.mkdir(parents=True)
    (feedback / "UGA.html").write_text("uganda's feedback", encoding="utf-8")
    (feedback / "KEN.html").write_text("kenya's feedback", encoding="utf-8")
    assert kenya.get("/feedback/UGA.html").status_code == 404
    assert kenya.get("/feedback/KEN.html").text == "kenya's feedback"
    assert "KEN.html" in kenya.get("/home").text and "UGA.html" not in kenya.get("/home").text
    for path in ("/feedback/..%2FUGA.html", "/feedback/KEN.html%2F..%2F..%2Fportal%2Fsecret.key"):
        assert kenya.get(path).status_code == 404


def test_guessed_ids_and_secretariat_pages_answer_404_to_an_office(app, kenya, secretariat) -> None:
    """Sequential numbers, SQL and path tricks as ids, and the secretariat's pages: 404."""
    for uid in ("1", "2", "' OR '1'='1", "..%2F..%2Fportal", "a" * 200, "AAAAAAAAAAAAAAAA"):
        assert kenya.get(f"/submissions/{uid}").status_code == 404, uid
    for path in ("/status", "/audit", "/runs/1", "/runs/1/files/report.html"):
        assert kenya.get(path).status_code == 404, path
    assert kenya.post("/run", data={"csrf_token": csrf_of(kenya.get("/home").text)}
                      ).status_code == 404
    assert rows(app, db.runs) == []
    assert secretariat.get("/runs/999").status_code == 404
    assert secretariat.get("/runs/abc").status_code == 404


def test_secretariat_cannot_upload_as_a_member(app, secretariat, tmp_path) -> None:
    """Uploads belong to offices; the secretariat's account has no country to submit for."""
    with exchange_file(tmp_path, "KEN").open("rb") as fh:
        r = secretariat.post("/upload", data={"csrf_token": csrf_of(secretariat.get(
            "/status").text), "kind": "exchange"}, files={"file": ("a.csv", fh)})
    assert r.status_code == 404


# ---- secretariat: status, run, publish --------------------------------------------------


def _wait(secretariat: TestClient, url: str) -> str:
    for _ in range(600):
        page = secretariat.get(url).text
        if 'http-equiv="refresh"' not in page:
            return page
        time.sleep(0.1)
    raise AssertionError("the run did not finish")


@pytest.fixture
def project_app(tmp_path: Path):
    return make_app(tmp_path / "project", init=True)


@pytest.mark.slow
def test_status_run_and_publish(project_app, tmp_path) -> None:
    """Status per member and dataflow; a background run (migdata.Project) writes the report
    and heatmap; publishing makes the report and bundle downloadable by every member."""
    app = project_app
    kenya, uganda, secretariat = client(app), client(app), client(app)
    login(kenya, "kenya")
    login(uganda, "uganda")
    login(secretariat, "secretariat")
    upload(kenya, exchange_file(tmp_path / "k", "KEN"), comment="final figures")
    upload(uganda, broken_file(tmp_path / "u", "UGA"))
    egypt = client(app)
    login(egypt, "egypt")
    upload(egypt, exchange_file(tmp_path / "e", "EGY"))
    status = secretariat.get("/status").text
    assert status.count("st-valid") >= 4 and "st-rejected" in status and "st-missing" in status
    upload(uganda, exchange_file(tmp_path / "u2", "UGA"))  # corrected: three members link up
    import migdata

    upload(kenya, migdata.write_template(tmp_path / "q.xlsx", lang="fr", country="KEN"),
           kind="questionnaire")
    status = secretariat.get("/status").text
    assert "final figures" in status
    r = secretariat.post("/run", data={"csrf_token": csrf_of(status)})
    assert r.url.path == "/runs/1"
    page = _wait(secretariat, "/runs/1")
    assert "st-done" in page, page
    assert 'id="report-link"' in page and "heatmap.png" in page
    assert 'id="grades"' in page and "KEN" in page.split('id="grades"')[1]
    report = secretariat.get("/runs/1/files/report.html")
    assert report.status_code == 200 and "regional" in report.text.lower()
    assert secretariat.get("/runs/1/files/heatmap.png").headers["content-type"] == "image/png"
    assert secretariat.get("/runs/1/files/../portal/secret.key").status_code == 404
    assert kenya.get("/published/1/report.html").status_code == 404  # not yet published
    feedback = sorted(p.name for p in (app.state.portal.project.output_dir / "feedback").iterdir())
    assert "KEN.txt" in feedback
    assert secretariat.get("/feedback/KEN.txt").status_code == 200
    assert kenya.get("/feedback/KEN.txt").status_code == 200
    assert kenya.get("/feedback/UGA.txt").status_code == 404
    r = secretariat.post("/runs/1/publish", data={"csrf_token": csrf_of(page)})
    assert r.url.path == "/published"
    listing = kenya.get("/published").text
    bundle = re.findall(r'href="/published/1/(bundle/[^"]+\.csv)"', listing)
    assert bundle and "manifest.json" not in listing
    assert kenya.get("/published/1/report.html").status_code == 200
    assert uganda.get(f"/published/1/{bundle[0]}").text.startswith("STRUCTURE")
    assert kenya.get("/published/1/../../secret.key").status_code == 404
    audit = [(a.action, a.outcome) for a in rows(app, db.audit)]
    assert ("run", "started") in audit and ("run", "done") in audit and ("publish", "done") in audit
    manifest = json.loads((app.state.portal.project.output_dir / "manifest.json").read_text())
    inputs = sorted(i["path"] for i in manifest["inputs"] if i["path"].startswith("submissions"))
    # the accepted files only (Kenya's exchange file and workbook), not the rejected one
    assert [p.split("/")[1] for p in inputs] == ["EGY", "KEN", "KEN", "UGA"]
    assert "engine" not in page or "migdata.Project" in page


def test_audit_page_lists_who_did_what(app, kenya, secretariat, tmp_path) -> None:
    """The audit page shows logins and uploads with their hash to the secretariat."""
    upload(kenya, exchange_file(tmp_path, "KEN"))
    page = secretariat.get("/audit").text
    sha = rows(app, db.submissions)[0].sha256
    assert sha[:16] in page and "kenya" in page and "login" in page


def test_arabic_pages_are_right_to_left(app) -> None:
    """The login page in Arabic carries dir="rtl" and Arabic words; English is ltr."""
    c = client(app)
    page = c.get("/login?lang=ar").text
    assert '<html lang="ar" dir="rtl">' in page and "تسجيل الدخول" in page
    assert '<html lang="en" dir="ltr">' in c.get("/login?lang=en").text
    fresh = client(app)
    page = fresh.get("/login", headers={"accept-language": "pt-BR,pt;q=0.9"}).text
    assert '<html lang="pt" dir="ltr">' in page and "Entrar" in page


# ---- database and command line ----------------------------------------------------------


def test_schema_is_versioned_and_upgrade_is_idempotent(tmp_path) -> None:
    """A new database reaches the last version; upgrading again changes nothing."""
    engine = db.connect(f"sqlite:///{tmp_path / 'x.sqlite3'}")
    assert db.current_version(engine) == 0
    assert db.upgrade(engine) == len(db.MIGRATIONS) == db.current_version(engine)
    assert db.upgrade(engine) == len(db.MIGRATIONS)


def test_users_command_line(tmp_path) -> None:
    """`migdata serve users add|reset|list` manage accounts; the password is never echoed."""
    from migdata.cli import main

    project = tmp_path / "p"
    project.mkdir()

    def run(*args: str, stdin: str = "") -> tuple[int, str]:
        out = io.StringIO()
        old_in, old_out = sys.stdin, sys.stdout
        sys.stdin, sys.stdout = io.StringIO(stdin), out
        try:
            status = main(["serve", "users", *args])
        finally:
            sys.stdin, sys.stdout = old_in, old_out
        return status, out.getvalue()

    status, out = run("add", str(project), "rw", "--role", "office", "--country", "Rwanda",
                      "--lang", "fr", "--password-stdin", stdin="rwanda-pass-123\n")
    assert status == 0 and "RWA" in out and "rwanda-pass-123" not in out
    status, out = run("add", str(project), "sec", "--role", "secretariat")
    assert status == 0 and "password: " in out  # generated and printed once
    assert run("add", str(project), "rw", "--role", "office", "--country", "RWA",
               "--password-stdin", stdin="another-pass-1\n")[0] == 2
    assert run("add", str(project), "x1", "--role", "office", "--password-stdin",
               stdin="another-pass-1\n")[0] == 2  # an office needs its country
    assert run("add", str(project), "x2", "--role", "secretariat", "--password-stdin",
               stdin="short\n")[0] == 2
    status, out = run("list", str(project))
    assert out.split() == ["rw", "office", "RWA", "fr", "sec", "secretariat", "-", "en"]
    assert run("reset", str(project), "rw", "--password-stdin", stdin="new-pass-4567\n")[0] == 0
    engine = db.connect(db.default_url(project))
    assert auth.authenticate(engine, "rw", "new-pass-4567", "t") is not None
    assert run("reset", str(project), "ghost", "--password-stdin", stdin="new-pass-4567\n")[0] == 2


def test_import_migdata_does_not_import_the_web_stack() -> None:
    """`import migdata` and building the CLI parser leave starlette and sqlalchemy out."""
    code = ("import sys, migdata, migdata.cli; migdata.cli.build_parser(); "
            "print([m for m in ('starlette', 'sqlalchemy', 'uvicorn', 'argon2', 'jinja2') "
            "if m in sys.modules])")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_serve_without_a_project_is_a_message(tmp_path, capsys) -> None:
    """`migdata serve` with no folder, or a folder that does not exist: status 2, a message."""
    from migdata.cli import main

    assert main(["serve"]) == 2
    assert "PROJECT_DIR" in capsys.readouterr().err
    assert main(["serve", str(tmp_path / "nope")]) == 2
    assert "no project folder" in capsys.readouterr().err


@pytest.mark.slow
def test_demo_project_shows_every_state_and_runs(tmp_path) -> None:
    """The demo: seven offices, one missing, one rejected then corrected; the run reconciles."""
    from migdata.portal import demo

    app = make_app(tmp_path / "demo", init=True)
    accounts = demo.seed(app.state.portal, questionnaires=False)  # workbooks: tested apart
    assert len(accounts) == 8 and {a[2] for a in accounts} >= {"KEN", "EGY", "MWI"}
    subs = rows(app, db.submissions)
    assert {s.country for s in subs} == {"KEN", "UGA", "RWA", "COD", "ZMB", "EGY"}
    assert [s.status for s in subs if s.country == "COD"] == ["rejected", "valid"]
    assert demo.seed(app.state.portal) == accounts and len(rows(app, db.submissions)) == 7
    c = client(app)
    login(c, "secretariat")  # the test's account of that name was there before the demo's
    status = c.get("/status").text
    mwi = status[status.index("<td>MWI</td>"):].split("</tr>")[0]
    assert mwi.count("st-missing") == 8
    assert status[status.index("<td>KEN</td>"):].split("</tr>")[0].count("st-valid") == 2
    page = c.post("/run", data={"csrf_token": csrf_of(status)})
    page = _wait(c, page.url.path)
    assert "st-done" in page and "heatmap.png" in page
    factors = app.state.portal.project.output_dir / "mirror" / "factors.csv"
    assert len(factors.read_text().splitlines()) > 6


def test_bare_folder_is_run_by_the_fallback(tmp_path) -> None:
    """A folder without migdata.toml is served too; its run merges and reconciles (fallback)."""
    app = make_app(tmp_path / "bare")
    clients = {}
    for name, country in (("kenya", "KEN"), ("uganda", "UGA"), ("egypt", "EGY")):
        clients[name] = client(app)
        login(clients[name], name)
        upload(clients[name], exchange_file(tmp_path / name, country))
    c = client(app)
    login(c, "secretariat")
    page = c.post("/run", data={"csrf_token": csrf_of(c.get("/status").text)})
    page = _wait(c, page.url.path)
    assert "st-done" in page and "fallback" in page and "heatmap.png" in page
    output = app.state.portal.project.output_dir
    assert {"report.html", "manifest.json", "heatmap.png", "factors.csv"} <= {
        p.name for p in output.iterdir()}
    assert (output / "feedback" / "KEN.html").is_file()


def test_one_run_at_a_time_and_a_restart_ends_a_cut_run(app, secretariat, tmp_path) -> None:
    """A second run while one is going answers 409; a run cut by a restart is marked failed."""
    from migdata.portal.app import PortalConfig, create_app

    portal = app.state.portal
    assert portal._run_lock.acquire(blocking=False)  # as if a run were going on
    try:
        r = secretariat.post("/run", data={"csrf_token": csrf_of(secretariat.get("/status").text)})
        assert r.status_code == 409
    finally:
        portal._run_lock.release()
    with portal.engine.begin() as conn:
        conn.execute(db.runs.insert().values(user_id=1, status="running", started=db.now()))
    create_app(PortalConfig(project_dir=portal.root, secret=b"k" * 32))  # the restart
    run = rows(app, db.runs)[-1]
    assert run.status == "failed" and run.progress == "interrupted"


def test_database_url_is_used_and_a_bad_one_is_a_message(tmp_path, capsys) -> None:
    """`--database-url` puts the accounts in that database; a bad URL or a missing driver is
    a message naming what to do, not a traceback."""
    from migdata.cli import main

    project = tmp_path / "p"
    project.mkdir()
    other = tmp_path / "other.sqlite3"
    old_in = sys.stdin
    sys.stdin = io.StringIO("long-enough-pass\n")
    try:
        assert main(["serve", "users", "add", str(project), "sec", "--role", "secretariat",
                     "--password-stdin", "--database-url", f"sqlite:///{other}"]) == 0
    finally:
        sys.stdin = old_in
    capsys.readouterr()
    assert main(["serve", "users", "list", str(project), "--database-url",
                 f"sqlite:///{other}"]) == 0
    assert capsys.readouterr().out.split()[0] == "sec"
    assert main(["serve", "users", "list", str(project)]) == 0
    assert capsys.readouterr().out == ""
    assert main(["serve", "users", "list", str(project), "--database-url", "nonsense"]) == 2
    assert "not a SQLAlchemy URL" in capsys.readouterr().err
    assert main(["serve", "users", "list", str(project), "--database-url",
                 "postgresql+nosuchdriver://u@h/db"]) == 2
    assert "database" in capsys.readouterr().err
