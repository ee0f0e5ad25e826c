"""The portal in a real browser: Debian's chromium driven by Selenium against a live uvicorn.

Scenarios of the issue: an office uploads a file with errors, reads the feedback and uploads
the corrected file; an office cannot reach another office's submission by its address; the
secretariat runs and publishes; Arabic pages render right to left. .ci/run installs chromium
and chromium-driver; Selenium is given the driver's path, so it downloads nothing.
"""

from __future__ import annotations

import os
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from portal_support import PASSWORDS, broken_file, exchange_file, make_app

pytestmark = [pytest.mark.slow, pytest.mark.filterwarnings("ignore::DeprecationWarning")]

CHROMIUM = "/usr/bin/chromium"
DRIVER = "/usr/bin/chromedriver"
SHOTS = os.environ.get("MIGDATA_PORTAL_SCREENSHOTS")  # a folder to keep screenshots in


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Any]]:
    """A live portal (uvicorn in a thread) over a fresh project."""
    import uvicorn

    app = make_app(tmp_path_factory.mktemp("browser") / "project", init=True)
    port = _free_port()
    srv = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    for _ in range(200):
        if srv.started:
            break
        time.sleep(0.05)
    assert srv.started, "uvicorn did not start"
    yield f"http://127.0.0.1:{port}", app
    srv.should_exit = True
    thread.join(timeout=10)


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """Headless Debian chromium through its own chromedriver (nothing downloaded)."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    assert shutil.which("chromium") or os.path.exists(CHROMIUM), (
        "chromium is missing: apt-get install -y chromium chromium-driver"
    )
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    profile = tmp_path_factory.mktemp("chromium-profile")
    for flag in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                 "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync",
                 "--disable-dev-shm-usage", "--window-size=1280,900",
                 f"--user-data-dir={profile}"):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(executable_path=DRIVER), options=options)
    driver.set_page_load_timeout(60)
    yield driver
    driver.quit()


def _shot(driver: Any, name: str) -> None:
    if SHOTS:
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        driver.save_screenshot(str(Path(SHOTS) / f"{name}.png"))


def _wait_for(driver: Any, condition: Any) -> None:
    from selenium.webdriver.support.ui import WebDriverWait

    WebDriverWait(driver, 60, poll_frequency=0.1).until(condition)


def _sign_in(driver: Any, base: str, username: str) -> None:
    from selenium.webdriver.common.by import By

    driver.delete_all_cookies()
    driver.get(f"{base}/login")
    driver.find_element(By.ID, "username").send_keys(username)
    driver.find_element(By.ID, "password").send_keys(PASSWORDS[username])
    driver.find_element(By.ID, "login").click()
    _wait_for(driver, lambda d: "/login" not in d.current_url)


def _upload(driver: Any, base: str, path: Path, comment: str = "") -> None:
    from selenium.webdriver.common.by import By

    driver.get(f"{base}/home")
    before = len(driver.find_elements(By.CSS_SELECTOR, "#submissions tr"))
    driver.find_element(By.ID, "file").send_keys(str(path))
    if comment:
        driver.find_element(By.ID, "comment").send_keys(comment)
    driver.find_element(By.ID, "submit-upload").click()
    _wait_for(driver, lambda d: "/submissions/" in d.current_url)
    assert len(driver.find_elements(By.CSS_SELECTOR, "#history tr")) >= min(before, 1) + 1


def test_office_uploads_reads_feedback_and_corrects(server, browser, tmp_path) -> None:
    """Kenya (French) uploads a file with two errors, reads them by line, uploads the fix."""
    from selenium.webdriver.common.by import By

    base, _ = server
    _sign_in(browser, base, "kenya")
    assert browser.current_url.endswith("/home")
    assert browser.find_element(By.TAG_NAME, "html").get_attribute("lang") == "fr"
    _shot(browser, "office-home-fr")
    _upload(browser, base, broken_file(tmp_path / "bad", "KEN"), comment="premier envoi")
    assert "/submissions/" in browser.current_url
    assert "n'est pas retenu" in browser.find_element(By.ID, "verdict").text
    problems = browser.find_element(By.ID, "problems").text
    assert "SEX code 'X'" in problems and "20X0" in problems
    _shot(browser, "office-rejected-fr")
    _upload(browser, base, exchange_file(tmp_path / "good", "KEN"))
    assert "retenu pour le prochain" in browser.find_element(By.ID, "verdict").text
    history = browser.find_elements(By.CSS_SELECTOR, "#history tr")
    assert len(history) == 3  # header + the rejected and the accepted upload
    _shot(browser, "office-accepted-fr")


def test_office_cannot_open_another_offices_submission(server, browser, tmp_path) -> None:
    """Uganda's submission address, typed by Kenya's browser, shows 'not found' only."""
    from selenium.webdriver.common.by import By

    base, _ = server
    _sign_in(browser, base, "uganda")
    _upload(browser, base, broken_file(tmp_path, "UGA"), comment="uganda private")
    uganda_url = browser.current_url
    assert "/submissions/" in uganda_url
    _sign_in(browser, base, "kenya")
    browser.get(uganda_url)
    assert browser.find_element(By.ID, "message").text == "Introuvable."
    assert "uganda private" not in browser.page_source
    browser.get(uganda_url + "/file")
    assert "uganda private" not in browser.page_source and "UGA" not in browser.page_source


def test_secretariat_runs_and_publishes(server, browser, tmp_path) -> None:
    """The secretariat sees the status, runs in the background, publishes; members download."""
    from selenium.webdriver.common.by import By

    base, _ = server
    _sign_in(browser, base, "uganda")
    _upload(browser, base, exchange_file(tmp_path / "u", "UGA"))
    _sign_in(browser, base, "egypt")  # a third member links the mirror pairs up
    _upload(browser, base, exchange_file(tmp_path / "e", "EGY"))
    assert browser.find_element(By.TAG_NAME, "html").get_attribute("dir") == "rtl"
    _shot(browser, "office-accepted-ar")
    _sign_in(browser, base, "secretariat")
    assert browser.current_url.endswith("/status")
    status = browser.find_element(By.ID, "status").text
    assert "KEN" in status and "UGA" in status and "EGY" in status
    _shot(browser, "secretariat-status")
    browser.find_element(By.ID, "run").click()
    _wait_for(browser, lambda d: "/runs/" in d.current_url)
    deadline = time.time() + 120
    while "st-running" in browser.page_source and time.time() < deadline:
        time.sleep(0.5)  # the page refreshes itself every 2 s while the run goes on
    assert browser.find_element(By.CSS_SELECTOR, "#run-status .st").get_attribute(
        "class") == "st st-done"
    heatmap = browser.find_element(By.CSS_SELECTOR, "img.figure")
    assert browser.execute_script("return arguments[0].naturalWidth", heatmap) > 100
    _shot(browser, "secretariat-run")
    browser.find_element(By.ID, "publish").click()
    _wait_for(browser, lambda d: d.current_url.endswith("/published"))
    _sign_in(browser, base, "kenya")
    browser.get(f"{base}/published")
    links = [a.text for a in browser.find_elements(By.CSS_SELECTOR, "ul.files a")]
    assert "report.html" in links and any(f.startswith("bundle/") for f in links)
    _shot(browser, "office-published-fr")
    browser.find_element(By.LINK_TEXT, "report.html").click()
    _wait_for(browser, lambda d: d.current_url.endswith("/report.html"))
    assert "report" in browser.find_element(By.TAG_NAME, "h1").text.lower()


def test_arabic_pages_render_right_to_left(server, browser) -> None:
    """Egypt's account reads the portal in Arabic, laid out right to left."""
    from selenium.webdriver.common.by import By

    base, _ = server
    _sign_in(browser, base, "egypt")
    html = browser.find_element(By.TAG_NAME, "html")
    assert html.get_attribute("dir") == "rtl" and html.get_attribute("lang") == "ar"
    assert browser.execute_script(
        "return getComputedStyle(document.body).direction") == "rtl"
    heading = browser.find_element(By.CSS_SELECTOR, "section.card h2")
    assert heading.text == "رفع ملف"
    width = browser.execute_script("return document.documentElement.clientWidth")
    rect = browser.execute_script(  # the extent of the text itself, not of the block
        "const r = document.createRange(); r.selectNodeContents(arguments[0]);"
        "return r.getBoundingClientRect()", heading)
    assert rect["left"] > width * 0.6  # the heading's words sit on the right-hand side
    _shot(browser, "office-home-ar")
    browser.get(f"{base}/login?lang=ar")
    _shot(browser, "login-ar")
