"""In a real browser (Debian's Chromium through Playwright), on a phone-sized screen."""
import os
import shutil
import threading

import pytest
import sqlalchemy as sa
from werkzeug.serving import make_server

from tpl_tracker.models import User

from ..factories import PASSWORD

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")

if not shutil.which(CHROMIUM):
    if os.environ.get("CI") == "true":
        raise RuntimeError(f"Chromium is missing at {CHROMIUM}: browser tests cannot be skipped in CI")
    pytest.skip(f"Chromium not installed at {CHROMIUM}", allow_module_level=True)

sync_api = pytest.importorskip("playwright.sync_api")


@pytest.fixture(scope="module")
def server(app):
    """The app served on a free local port in a background thread."""
    http = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=http.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{http.server_port}"
    http.shutdown()


@pytest.fixture(scope="module")
def browser():
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-background-networking", "--disable-gpu", "--disable-component-update"],
        )
        yield browser
        browser.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 390, "height": 844}, locale="id-ID")
    page = context.new_page()
    page.csp_errors = []
    page.on("console", lambda message: "Content Security Policy" in message.text and page.csp_errors.append(
        message.text))
    yield page
    context.close()


def sign_in(page, server, email):
    page.goto(f"{server}/auth/login")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", PASSWORD)
    page.click("main form [type=submit]")


def test_tpl_signs_in_on_a_phone_and_sees_their_home(page, server, world, db):
    email, contract_number = world["facilitator"].email, world["contract"].number
    db.session.commit()  # end the test's read transaction: the server thread writes
    sign_in(page, server, email)
    page.wait_for_url(f"{server}/")
    assert page.locator("html").get_attribute("lang") == "id"
    assert contract_number in page.content()
    assert page.csp_errors == []
    # Sign out (a POST form in the menu, collapsed on a phone).
    toggler = page.locator(".navbar-toggler")
    if toggler.is_visible():
        toggler.click()
    page.locator("form[action$='/auth/logout'] [type=submit]").click()
    page.wait_for_url(f"{server}/auth/login")
    page.goto(f"{server}/")
    assert "/auth/login" in page.url


def test_admin_deactivation_asks_for_confirmation(page, server, world, db):
    email, target_id = world["admin"].email, world["facilitator2"].id
    db.session.commit()  # end the test's read transaction: the server thread writes

    def enabled() -> bool:
        value = db.session.scalar(sa.select(User.is_enabled).where(User.id == target_id))
        db.session.commit()
        return value

    sign_in(page, server, email)
    page.wait_for_url(f"{server}/")
    page.goto(f"{server}/admin/users/{target_id}")
    page.once("dialog", lambda dialog: dialog.dismiss())
    page.locator("form[data-confirm] [type=submit]").click()
    assert enabled() is True
    page.once("dialog", lambda dialog: dialog.accept())
    page.locator("form[data-confirm] [type=submit]").click()
    page.wait_for_load_state()
    page.wait_for_selector(".alert")
    assert enabled() is False
    assert page.csp_errors == []
