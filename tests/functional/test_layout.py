"""What every page carries for phones, keyboards and screen readers (the browser checks are in tests/e2e)."""

import re

from tpl_tracker.services.notifications import notify

from ..clock import on
from ..conftest import page_text


def test_the_skip_link_comes_first_and_leads_to_the_content(client, login_as, work):
    login_as("facilitator")
    page = page_text(client.get("/"))
    body = page[re.search(r"<body[^>]*>", page).end() :].lstrip()  # the body carries its drafts' owner
    assert body.startswith('<a class="skip-link visually-hidden-focusable" href="#content">')
    assert '<main class="container pb-5" id="content" tabindex="-1">' in page
    assert page.count('<nav class="navbar') == 1 and 'aria-label="Menu utama"' in page


def test_the_unread_count_sits_outside_the_collapsed_menu(client, login_as, work, db):
    notify(work["facilitator"].id, "month_returned", {"month": on(11, 1)}, "layout", "reviews.index", {})
    db.session.commit()
    login_as("facilitator")
    page = page_text(client.get("/"))
    badge = page.index('id="unread-count"')
    assert badge < page.index('id="mainnav"')
    assert 'aria-label="Pemberitahuan: 1 belum dibaca"' in page


def test_the_tpl_home_offers_to_log_an_activity_at_the_top(client, login_as, work):
    login_as("facilitator")
    page = page_text(client.get("/"))
    assert page.index('id="log-activity"') < page.index("card-header")


def test_number_boxes_bring_up_the_number_keyboard(client, login_as, work):
    login_as("facilitator")
    page = page_text(client.get("/ikm/new"))
    for name in ("capital", "turnover"):
        (box,) = re.findall(rf'<input[^>]*name="{name}"[^>]*>', page)
        assert 'inputmode="numeric"' in box and 'type="text"' in box
    page = page_text(client.get("/kegiatan/new"))
    for name in ("hours", "latitude", "longitude"):
        (box,) = re.findall(rf'<input[^>]*name="{name}"[^>]*>', page)
        assert 'inputmode="decimal"' in box


def test_page_titles_name_the_page(client, login_as, work):
    login_as("facilitator")
    for url, title in (
        ("/kegiatan/new", "Catat kegiatan"),
        (f"/kegiatan/{work['activity'].id}/edit", "Ubah kegiatan"),
        ("/izin/new", "Fasilitasi perizinan baru"),
    ):
        assert f"<title>{title} · TPL Tracker</title>" in page_text(client.get(url)), url
    client.post("/auth/logout")
    login_as("admin")
    assert "<title>Daftar TPL · TPL Tracker</title>" in page_text(client.get("/tpl/"))
    assert "<title>Kontrak baru · TPL Tracker</title>" in page_text(client.get(f"/tpl/{work['tpl'].id}/contracts/new"))
