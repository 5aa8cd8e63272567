"""In a real browser (Debian's Chromium through Playwright), on a phone-sized screen."""

import pytest
import sqlalchemy as sa

from tpl_tracker.models import User

from .conftest import new_page, sign_in, skip_without_chromium

skip_without_chromium()

# The server thread must see what the test wrote, and the test what the server wrote.
pytestmark = pytest.mark.real_commits


def test_tpl_signs_in_on_a_phone_and_sees_their_home(page, server, world, db):
    email, contract_number = world["facilitator"].email, world["contract"].number
    db.session.commit()  # end the test's read transaction: the server thread writes
    sign_in(page, server, email)
    page.wait_for_url(f"{server}/")
    assert page.locator("html").get_attribute("lang") == "id"
    assert contract_number in page.content()
    assert page.csp_errors == []
    # Sign out (a POST form in the user's menu, inside the menu collapsed on a phone).
    toggler = page.locator(".navbar-toggler")
    if toggler.is_visible():
        toggler.click()
        page.wait_for_selector("#mainnav.show")  # the menu has finished opening
    page.locator("#user-menu").click()
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


def test_tpl_logs_an_activity_submits_the_month_and_the_supervisor_approves(browser, server, work, db):
    """The monthly cycle on a phone: log with a photo, submit, approve; then the month is locked.

    The month is last month (a month can be submitted from its last day on), its activity logged on that day.
    """
    import re
    from datetime import timedelta

    from tpl_tracker.dates import programme_today
    from tpl_tracker.models import Activity, MonthlyReport

    from ..factories import tiny_png

    tpl_email, supervisor_email = work["facilitator"].email, work["supervisor"].email
    tpl_id, business_name = work["tpl"].id, work["business"].name
    last_day = programme_today().replace(day=1) - timedelta(days=1)
    period = last_day.strftime("%Y-%m")
    db.session.commit()  # end the test's read transaction: the server thread writes

    tpl_page = new_page(browser)
    sign_in(tpl_page, server, tpl_email)
    tpl_page.wait_for_url(f"{server}/")
    tpl_page.goto(f"{server}/kegiatan/new")
    tpl_page.fill("input[name=date]", last_day.isoformat())
    tpl_page.fill("input[name=hours]", "1,5")  # the Indonesian decimal comma
    tpl_page.get_by_label(business_name).check()
    tpl_page.fill("textarea[name=description]", "Kunjungan: pendampingan label kemasan")
    tpl_page.set_input_files(
        "input[name=files]", files=[{"name": "foto.png", "mimeType": "image/png", "buffer": tiny_png()}]
    )
    tpl_page.locator("main form [type=submit]").first.click()
    tpl_page.wait_for_url(re.compile(r".*/kegiatan/\d+$"))
    activity_id = int(tpl_page.url.rsplit("/", 1)[1])
    assert tpl_page.locator("img[src*='/kegiatan/evidence/']").count() == 1

    tpl_page.goto(f"{server}/bulanan/tpl/{tpl_id}/{period}")
    tpl_page.once("dialog", lambda dialog: dialog.accept())
    with tpl_page.expect_navigation():
        tpl_page.locator(f"form[action$='/{period}/submit'] [type=submit]").click()
    report = db.session.scalar(
        sa.select(MonthlyReport).where(
            MonthlyReport.facilitator_id == tpl_id, MonthlyReport.period == last_day.replace(day=1)
        )
    )
    assert report.status == "submitted"
    report_id = report.id
    db.session.commit()

    supervisor_page = new_page(browser)
    sign_in(supervisor_page, server, supervisor_email)
    supervisor_page.wait_for_url(f"{server}/")
    supervisor_page.goto(f"{server}/bulanan/antrean")
    supervisor_page.locator(f"a[href$='/{period}']").first.click()
    supervisor_page.locator("input[name=decision][value=approve]").check()
    with supervisor_page.expect_navigation():
        supervisor_page.locator("#review-form [type=submit]").click()
    assert db.session.get(MonthlyReport, report_id).status == "approved"
    db.session.commit()

    # The approved month refuses the edit form: the TPL is sent back with a message.
    tpl_page.goto(f"{server}/kegiatan/{activity_id}/edit")
    tpl_page.wait_for_url(f"{server}/kegiatan/{activity_id}")
    assert tpl_page.locator(".alert-warning").count() == 1
    assert db.session.get(Activity, activity_id).hours == 1.5
    assert tpl_page.csp_errors == [] and supervisor_page.csp_errors == []


def test_an_invitation_from_the_email_to_the_first_sign_in(browser, server, world, db, app, mailbox, monkeypatch):
    """The admin emails an invitation (a local SMTP server receives it); its owner opens the link on a phone, chooses
    a password, is signed in, signs out, and signs in again with that password."""
    from tpl_tracker.services.users import has_usable_password, set_unusable_password

    from ..conftest import link_in
    from ..factories import UserFactory

    monkeypatch.setitem(app.config, "PUBLIC_URL", server)  # the links point at the server under test
    invited = UserFactory(email="rina.wati@example.id", full_name="Rina Wati", role="evaluator")
    set_unusable_password(invited)
    invited_id, admin_email = invited.id, world["admin"].email
    db.session.commit()  # end the test's transaction: the server thread writes

    admin_page = new_page(browser)
    sign_in(admin_page, server, admin_email)
    admin_page.wait_for_url(f"{server}/")
    admin_page.goto(f"{server}/admin/users/{invited_id}")
    with admin_page.expect_navigation():
        admin_page.locator(f"form[action$='/admin/users/{invited_id}/invite'] [type=submit]").click()
    assert "rina.wati@example.id" in admin_page.locator(".alert-success").inner_text()

    (message,) = mailbox.to("rina.wati@example.id")
    assert message["Subject"] == "TPL Tracker: buat kata sandi akun Anda"
    link = link_in(message)
    assert link.startswith(f"{server}/auth/invitation/")

    owner = new_page(browser)
    owner.goto(link)
    assert "Rina Wati" in owner.content()
    owner.fill("input[name=password]", "sagu lempeng dan teh manis")
    owner.fill("input[name=confirm]", "sagu lempeng dan teh manis")
    with owner.expect_navigation():
        owner.locator("main form [type=submit]").click()
    assert owner.url == f"{server}/"
    assert owner.locator(".alert-success").count() == 1
    assert has_usable_password(db.session.get(User, invited_id))
    db.session.commit()

    # Sign out (the menu is collapsed on a phone), then the first sign-in with the chosen password.
    toggler = owner.locator(".navbar-toggler")
    if toggler.is_visible():
        toggler.click()
        owner.wait_for_selector("#mainnav.show")
    owner.locator("#user-menu").click()
    owner.locator("form[action$='/auth/logout'] [type=submit]").click()
    owner.wait_for_url(f"{server}/auth/login")
    owner.fill("input[name=email]", "rina.wati@example.id")
    owner.fill("input[name=password]", "sagu lempeng dan teh manis")
    owner.click("main form [type=submit]")
    owner.wait_for_url(f"{server}/")
    # The link worked once: opened again, it says so.
    owner.goto(link)
    assert owner.locator("h1").inner_text() == "Tautan ini tidak berlaku"
    assert admin_page.csp_errors == [] and owner.csp_errors == []
