"""Browser tests: the app served in a thread, Debian's Chromium through Playwright, pages of a given size.

Each test module starts with `skip_without_chromium()`: without Chromium the browser tests are skipped, except in
CI, where that is an error.
"""

import os
import shutil
import threading
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from ..factories import PASSWORD

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
PHONE = {"width": 390, "height": 844}
LAPTOP = {"width": 1366, "height": 768}
# axe-core comes from npm (package.json, `npm ci`; the Makefile's test targets install it) and is loaded into the
# page by the tests only; the app never serves it. What fails a check: axe's two highest impacts.
AXE = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"
BLOCKING = {"serious", "critical"}


def skip_without_chromium() -> None:
    """Skip the calling test module when Chromium or Playwright is missing (an error in CI)."""
    if not shutil.which(CHROMIUM):
        if os.environ.get("CI") == "true":
            raise RuntimeError(f"Chromium is missing at {CHROMIUM}: browser tests cannot be skipped in CI")
        pytest.skip(f"Chromium not installed at {CHROMIUM}", allow_module_level=True)
    pytest.importorskip("playwright.sync_api")


@pytest.fixture(scope="module", autouse=True)
def cookies_without_expiry(app):
    """Session cookies without an expiry date: Chromium expires cookies by the real clock, the server runs on the
    tests' frozen one (tests/clock.py), which may lie in the browser's past."""
    interface = app.session_interface
    interface.get_expiration_time = lambda app, session: None
    yield
    del interface.get_expiration_time


@pytest.fixture(scope="module")
def server(app):
    """The app served on a free local port in a background thread."""
    http = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=http.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{http.server_port}"
    http.shutdown()


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-background-networking", "--disable-gpu", "--disable-component-update"],
        )
        yield browser
        browser.close()


def new_page(browser, viewport=PHONE, **options):
    """A page of the given size in its own browser context (its own cookies), collecting CSP errors."""
    context = browser.new_context(viewport=viewport, locale="id-ID", **options)
    page = context.new_page()
    page.csp_errors = []
    page.on(
        "console", lambda message: "Content Security Policy" in message.text and page.csp_errors.append(message.text)
    )
    return page


@pytest.fixture
def page(browser):
    page = new_page(browser)
    yield page
    page.context.close()


def sign_in(page, server, email):
    page.goto(f"{server}/auth/login")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", PASSWORD)
    page.click("main form [type=submit]")


@pytest.fixture(scope="session")
def axe_source() -> Path:
    """axe-core's script (a test needing it is skipped without it, except in CI, where that is an error)."""
    if not AXE.exists():
        if os.environ.get("CI") == "true":
            raise RuntimeError(f"{AXE} is missing: run `npm ci` (the Makefile's test targets do)")
        pytest.skip(f"axe-core not installed ({AXE}): run `npm ci`")
    return AXE


def axe_problems(page, axe_source: Path) -> list[str]:
    """Every violation axe-core finds on the page as it shows now, when one of them is serious or critical (the
    page's context must bypass the CSP, which refuses axe's script); [] otherwise."""
    page.add_script_tag(path=str(axe_source))
    violations = page.evaluate("async () => (await axe.run(document, {resultTypes: ['violations']})).violations")
    report = [
        f"{page.url} [{v['impact']}] {v['id']}: {v['help']} at {[node['target'] for node in v['nodes'][:5]]}"
        for v in violations
    ]
    return report if any(v["impact"] in BLOCKING for v in violations) else []
