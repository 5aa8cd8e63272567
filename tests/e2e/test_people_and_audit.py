"""In a real browser: the TPL picker searching while one types (issue 11, item 5), and the audit trail's page height
(item 6: 25 entries used to make a page about 7,500 px tall)."""

import os

import pytest
import sqlalchemy as sa

from tpl_tracker.models import Mentorship
from tpl_tracker.services import audit

from ..clock import on
from ..factories import ContractFactory, FacilitatorFactory
from .conftest import LAPTOP, PHONE, axe_problems, new_page, sign_in, skip_without_chromium

skip_without_chromium()

from playwright.sync_api import expect  # noqa: E402 - only once Chromium and Playwright are known to be there

# The server thread must see what the test wrote, and the test what the server wrote.
pytestmark = pytest.mark.real_commits

SCREENSHOTS = os.environ.get("E2E_SCREENSHOTS")  # a folder to keep the pages' screenshots in, when set


def _crowd(db, n=30) -> list:
    made = []
    for i in range(n):
        tpl = FacilitatorFactory(full_name=f"Anggota Kerumunan {i:02d}", region_code="82.71")
        ContractFactory(facilitator=tpl, start_date=on(1, 1), end_date=on(12, 31))
        made.append(tpl)
    db.session.commit()
    return made


def test_the_handover_picker_searches_while_typing_and_the_form_asks_only_on_handing_over(page, server, work, db):
    crowd = _crowd(db)
    chosen_id, tpl_id, email = crowd[17].id, work["tpl"].id, work["supervisor"].email
    db.session.commit()  # end the test's read transaction: the server thread writes

    sign_in(page, server, email)
    page.wait_for_url(f"{server}/")
    page.goto(f"{server}/supervisi/tpl/{tpl_id}/handover")
    results = "#picker-new_facilitator_id [data-picker-part=results] input[type=radio]"
    assert page.locator(results).count() == 25  # one page, not everyone
    page.evaluate("window.stayedOnThePage = true")
    dialogs = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.accept()))

    page.fill("[data-picker-search]", "kerumunan 17")
    expect(page.locator(results)).to_have_count(1)
    page.locator("[data-picker-search]").press("Enter")  # Enter searches, it does not send the form
    page.locator(f"input[name=new_facilitator_id][value='{chosen_id}']").check()
    page.fill("[data-picker-search]", "kerumunan 2")
    expect(page.locator(results)).to_have_count(10)
    # The choice moved to the chosen part and stays checked; the page was never reloaded nor asked to confirm.
    assert page.locator(f"[data-picker-part=chosen] input[value='{chosen_id}']").is_checked()
    assert page.evaluate("window.stayedOnThePage") is True and dialogs == []

    page.locator("input[name=mentorship_ids]").first.check()  # nothing is checked for the supervisor
    page.fill("textarea[name=reason]", "Kontrak berakhir")
    with page.expect_navigation():
        page.locator("main form button.btn-warning").click()
    assert len(dialogs) == 1  # handing over asks first
    assert page.url.endswith(f"/supervisi/tpl/{tpl_id}")
    moved = db.session.scalar(sa.select(Mentorship.id).where(Mentorship.facilitator_id == chosen_id))
    db.session.commit()
    assert moved is not None
    assert page.csp_errors == []


def test_the_audit_trail_keeps_25_entries_to_a_reasonable_height(browser, server, world, db):
    admin, tpl = world["admin"], world["tpl"]
    # A name of a fixed length: Faker's would change with the tests that ran before, and the height with it.
    tpl.full_name, admin.full_name = "Rahmawati Nur Aini", "Admin Program"
    for n in range(25):
        audit.record(
            "facilitator_created" if n % 2 else "facilitator_updated",
            actor=admin,
            entity=tpl,
            before=None if n % 2 else {"full_name": "Nama lama", "phone": "+6281234567890", "angkatan": 2021},
            after=audit.snapshot(tpl) if n % 2 else {"full_name": tpl.full_name, "phone": None, "angkatan": 2022},
            note="Perubahan dari impor data tahunan" if n % 3 == 0 else None,
        )
    email = admin.email
    db.session.commit()

    desktop = new_page(browser, LAPTOP)
    sign_in(desktop, server, email)
    desktop.wait_for_url(f"{server}/")
    desktop.goto(f"{server}/admin/audit")
    height = desktop.evaluate("document.documentElement.scrollHeight")
    if SCREENSHOTS:
        desktop.screenshot(path=os.path.join(SCREENSHOTS, "audit.png"), full_page=True)
        desktop.screenshot(path=os.path.join(SCREENSHOTS, "audit-top.png"))
    assert desktop.locator("table.audit-trail > tbody > tr").count() == 25
    assert height < 3000, height  # folded changes: about two lines an entry
    desktop.locator("details summary").first.click()
    assert desktop.locator("details[open] table.audit-changes").is_visible()
    assert desktop.csp_errors == []
    desktop.context.close()


@pytest.mark.parametrize(
    "who,pages",
    [
        ("admin", [("/admin/audit", LAPTOP), ("/admin/audit", PHONE), ("/admin/users/{supervisor}", LAPTOP)]),
        ("supervisor", [("/supervisi/tpl/{tpl}/handover", PHONE), ("/tracer/choose", PHONE)]),
        ("evaluator", [("/tracer/choose", LAPTOP)]),
    ],
    ids=["admin", "supervisor", "evaluator"],
)
def test_axe_finds_nothing_serious_on_the_pickers_and_the_audit_trail(
    browser, server, work, db, axe_source, who, pages
):
    _crowd(db, 3)
    audit.record("facilitator_created", actor=work["admin"], entity=work["tpl"], after=audit.snapshot(work["tpl"]))
    audit.record(
        "contract_updated",
        actor=work["admin"],
        entity=work["contract"],
        before={"status": "active"},
        after={"status": "terminated"},
    )
    email = work[who].email
    db.session.commit()  # the server thread reads
    page = new_page(browser, pages[0][1], bypass_csp=True)  # the CSP would refuse axe's script
    sign_in(page, server, email)
    page.wait_for_url(f"{server}/")
    for path, viewport in pages:
        page.set_viewport_size(viewport)
        page.goto(server + path.format(supervisor=work["supervisor"].id, tpl=work["tpl"].id))
        assert axe_problems(page, axe_source) == []
    page.context.close()
