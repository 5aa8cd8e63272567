"""The layout on a phone (390x844) and a laptop (1366x768), and accessibility checked by axe-core."""

import pytest

from tpl_tracker.models import Target
from tpl_tracker.services.notifications import notify

from ..clock import YEAR, moment, on
from .conftest import LAPTOP, PHONE, axe_problems, new_page, sign_in, skip_without_chromium

skip_without_chromium()

pytestmark = pytest.mark.real_commits


def _signed_in(browser, server, email, viewport=PHONE, **options):
    page = new_page(browser, viewport, **options)
    if email:
        sign_in(page, server, email)
        page.wait_for_url(f"{server}/")
    else:
        page.goto(f"{server}/")  # the sign-in page
        page.wait_for_url(f"{server}/auth/login**")
    return page


def _within(page, selector) -> bool:
    """True when the element is visible and wholly inside the viewport, as the page first shows it."""
    box = page.locator(selector).first.bounding_box()
    size = page.viewport_size
    return (
        box is not None
        and box["x"] >= 0
        and box["y"] >= 0
        and box["x"] + box["width"] <= size["width"]
        and box["y"] + box["height"] <= size["height"]
    )


def _page_width(page) -> int:
    return page.evaluate("document.documentElement.scrollWidth")


# --- accessibility ------------------------------------------------------------------------------


@pytest.fixture
def alumni(world, db):
    """`tpl2`, whose only contract ended in June: a former TPL, who signs in to fill their tracer surveys."""
    contract = world["contract2"]
    contract.end_date, contract.status = on(6, 30), "completed"
    db.session.commit()
    return world


@pytest.mark.parametrize("role", [None, "facilitator", "facilitator2", "supervisor", "evaluator", "admin"])
def test_axe_finds_nothing_serious_on_the_main_pages(browser, server, work, alumni, db, axe_source, role):
    """The sign-in page and each role's home (facilitator2 is a former TPL), on a phone and on a laptop, with the
    menu as each size shows it."""
    notify(work["facilitator"].id, "month_returned", {"month": on(11, 1)}, "axe", "reviews.index", {})
    email = work[role].email if role else None
    db.session.commit()  # the server thread reads
    page = _signed_in(browser, server, email, PHONE, bypass_csp=True)  # the CSP would refuse axe's script
    assert axe_problems(page, axe_source) == []
    page.set_viewport_size(LAPTOP)
    page.reload()
    assert axe_problems(page, axe_source) == []
    page.context.close()


def test_a_skip_link_comes_first_and_focus_is_visible(browser, server, work, db):
    email = work["facilitator"].email
    db.session.commit()
    page = _signed_in(browser, server, email)
    page.keyboard.press("Tab")
    skip = page.locator(".skip-link")
    assert page.evaluate("document.activeElement.classList.contains('skip-link')")
    assert _within(page, ".skip-link") and skip.inner_text().strip() != ""
    outline = page.evaluate("getComputedStyle(document.activeElement)")
    assert outline["outlineStyle"] != "none" and float(outline["outlineWidth"].rstrip("px")) >= 2
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "content"
    # The next Tab moves on inside the page's content, past the navigation, with a visible outline.
    page.keyboard.press("Tab")
    focused = page.evaluate(
        "(() => { const e = document.activeElement; const s = getComputedStyle(e);"
        " return {inMain: !!e.closest('main'), outline: s.outlineStyle, width: parseFloat(s.outlineWidth)}; })()"
    )
    assert focused["inMain"] and focused["outline"] != "none" and focused["width"] >= 2
    page.context.close()


def test_page_titles_name_the_page(browser, server, work, db):
    email, activity_id = work["facilitator"].email, work["activity"].id
    db.session.commit()
    page = _signed_in(browser, server, email)
    for path, heading in (
        ("/kegiatan/new", "h1"),
        ("/kegiatan/", "h1"),
        ("/izin/new", "h1"),
        ("/bulanan/", "h1"),
    ):
        page.goto(f"{server}{path}")
        assert page.title() == f"{page.locator(heading).first.inner_text().strip()} · TPL Tracker", path
    page.goto(f"{server}/kegiatan/{activity_id}")
    assert page.title().startswith(page.locator("h1").first.inner_text().strip())
    page.context.close()


# --- a phone ------------------------------------------------------------------------------------


def test_the_main_action_shows_without_scrolling_on_a_phone(browser, server, work, db):
    email, tpl_id = work["facilitator"].email, work["tpl"].id
    db.session.commit()
    page = _signed_in(browser, server, email)
    for path, action in (
        ("/", "main a[href$='/kegiatan/new']"),
        ("/kegiatan/", "main a[href$='/kegiatan/new']"),
        ("/ikm/", "main a[href$='/ikm/new']"),
        ("/izin/", "main a[href$='/izin/new']"),
        (f"/bulanan/tpl/{tpl_id}/{YEAR}-03", "main a[href='#submit-form']"),  # March has ended: it may be sent
    ):
        page.goto(f"{server}{path}")
        assert _within(page, action), path
    # On a form, Save stays in sight at the bottom of the screen.
    page.goto(f"{server}/kegiatan/new")
    assert _within(page, "main form .form-actions [type=submit]")
    page.context.close()


def test_the_unread_count_shows_with_the_menu_closed(browser, server, work, db):
    for n in range(3):
        notify(work["facilitator"].id, "month_returned", {"month": on(11, 1)}, f"unread-{n}", "reviews.index", {})
    email = work["facilitator"].email
    db.session.commit()
    page = _signed_in(browser, server, email)
    assert not page.locator("#mainnav").is_visible()  # the menu is closed
    assert page.locator("#unread-count").inner_text().strip() == "3"
    assert _within(page, "#unread-count")
    link = page.locator(".notifications-link")
    assert "3" in link.get_attribute("aria-label")
    link.click()
    page.wait_for_url(f"{server}/notifications/")
    page.context.close()


def test_list_tables_become_cards_on_a_phone(browser, server, work, db):
    email, supervisor = work["facilitator"].email, work["supervisor"].email
    db.session.commit()
    page = _signed_in(browser, server, email)
    page.goto(f"{server}/kegiatan/")
    assert _page_width(page) <= PHONE["width"]
    table = page.locator("main table").first
    assert table.evaluate("t => t.scrollWidth <= t.parentElement.clientWidth")
    row = table.locator("tbody tr").first
    assert row.evaluate("r => getComputedStyle(r).display") == "block"
    headers = [h.strip() for h in table.locator("thead th").all_inner_texts()]
    labels = [c.get_attribute("data-label") for c in row.locator("td").all()]
    assert labels == headers[: len(labels)] and headers[0] != ""
    # Each card shows the column's name beside the value.
    first_cell = row.locator("td").first
    assert first_cell.evaluate("c => getComputedStyle(c, '::before').content") == f'"{headers[0]}"'
    page.context.close()

    page = _signed_in(browser, server, supervisor)
    for path in ("/supervisi/", "/bulanan/", "/tpl/"):
        page.goto(f"{server}{path}")
        assert _page_width(page) <= PHONE["width"], path
        assert page.locator("main table").first.evaluate("t => t.scrollWidth <= t.parentElement.clientWidth"), path
    page.context.close()


def test_the_hours_field_takes_a_decimal_comma_with_the_decimal_keyboard(browser, server, work, db):
    email = work["facilitator"].email
    db.session.commit()
    page = _signed_in(browser, server, email)
    page.goto(f"{server}/kegiatan/new")
    hours = page.locator("input[name=hours]")
    assert hours.get_attribute("inputmode") == "decimal"
    hours.fill("1,5")
    assert hours.input_value() == "1,5"
    page.context.close()


# --- a laptop -----------------------------------------------------------------------------------


def test_nothing_is_cut_off_on_a_laptop(browser, server, work, db, time_machine):
    """The administrator's menu (the longest, here in English) and the roster with every flag raised."""
    time_machine.move_to(moment(12, 10), tick=False)  # from the 6th: November unsubmitted raises its flag
    admin = work["admin"]
    admin.language = "en"
    for key in ("tpl", "tpl2"):
        work[key].full_name = f"{work[key].full_name} Wicaksono Pratama"
        db.session.add(Target(facilitator_id=work[key].id, year=YEAR, visits_per_month=4, businesses=5))
    email = admin.email
    db.session.commit()
    page = _signed_in(browser, server, email, LAPTOP)
    assert _page_width(page) <= LAPTOP["width"]
    for selector in ("#mainnav .nav-link >> nth=-1", "button[lang=en]", "button[lang=id]", ".notifications-link"):
        assert _within(page, selector), selector
    navbar = page.locator(".app-navbar").bounding_box()
    assert navbar["height"] < 80  # one line

    page.goto(f"{server}/supervisi/")
    assert page.locator("main table tbody tr").count() == 2
    flags = page.locator("main table tbody tr").first.locator("td").last.locator(".badge")
    assert flags.count() == 3
    assert _page_width(page) <= LAPTOP["width"]
    assert page.locator("main .table-responsive").evaluate("box => box.scrollWidth <= box.clientWidth")
    for n in range(flags.count()):
        box = flags.nth(n).bounding_box()
        assert box["x"] + box["width"] <= LAPTOP["width"]
    page.context.close()
