"""Never lose work, the server's part: an expired form or an ended session leads back to the form (where the browser
puts back its draft, static/drafts.js), nothing of the post is done; a saved form and a sign-out tell the next page
which drafts to forget (tpl_tracker/drafts.py)."""

import re

import pytest
import sqlalchemy as sa

from tpl_tracker import create_app
from tpl_tracker.extensions import db as _db
from tpl_tracker.models import Activity

from ..clock import on
from ..conftest import IsolatedClient, csrf_token_from, sign_in
from ..conftest import page_text as _page
from ..conftest import ui_message as _message
from ..factories import PASSWORD
from .test_activities_pages import _form

EXPIRED = "The form had expired and nothing was saved. Check what you typed and save again."


def _activities(db) -> int:
    db.session.expire_all()
    return db.session.scalar(sa.select(sa.func.count()).select_from(Activity))


def _activity_form(work, **changes) -> dict:
    return _form(work, **dict({"hours": "1,5"}, **changes))


def _forgotten(html: str) -> list[str] | None:
    """The paths of the drafts a page says to forget, None when it says nothing."""
    match = re.search(r"data-drafts-saved='([^']*)'", html)
    return None if match is None else re.findall(r'"([^"]+)"', match.group(1))


@pytest.fixture
def csrf_client(app):
    """A client of a second app on the same database, with CSRF protection on (its default)."""
    csrf_app = create_app("testing", {"SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"]})
    csrf_app.test_client_class = IsolatedClient
    yield csrf_app.test_client()
    with csrf_app.app_context():
        _db.engine.dispose()


def _signed_in(client, email: str) -> None:
    token = csrf_token_from(client.get("/auth/login").get_data(as_text=True))
    assert sign_in(client, email, csrf_token=token).status_code == 302


def test_an_expired_form_leads_back_to_it_and_saves_nothing(app, csrf_client, work, db):
    _signed_in(csrf_client, work["facilitator"].email)
    before = _activities(db)

    response = csrf_client.post("/kegiatan/new", data=_activity_form(work, csrf_token="expired-token"))

    assert response.status_code == 303 and response.headers["Location"] == "/kegiatan/new"
    assert _activities(db) == before
    page = _page(csrf_client.get("/kegiatan/new"))
    assert _message(app, EXPIRED) in page
    assert _forgotten(page) is None, "the draft of a form that was not saved is kept"
    assert "data-draft" in page


def test_an_expired_form_of_a_post_only_address_leads_back_to_the_page_that_sent_it(csrf_client, work, db):
    _signed_in(csrf_client, work["facilitator"].email)
    activity_id = work["activity"].id
    delete = f"/kegiatan/{activity_id}/delete"

    sent = csrf_client.post(
        delete, data={"csrf_token": "x"}, headers={"Referer": f"http://localhost/kegiatan/{activity_id}"}
    )
    assert sent.status_code == 303 and sent.headers["Location"] == f"/kegiatan/{activity_id}"
    # Without the page that sent it, or from another site: the error page, as before.
    assert csrf_client.post(delete, data={"csrf_token": "x"}).status_code == 400
    foreign = csrf_client.post(delete, data={"csrf_token": "x"}, headers={"Referer": "http://evil.example/kegiatan/1"})
    assert foreign.status_code == 400
    # A script's background post (the TPL picker's search) is not sent to a page.
    fetched = csrf_client.post(
        f"/kegiatan/{activity_id}/edit", data={"csrf_token": "x"}, headers={"Sec-Fetch-Mode": "cors"}
    )
    assert fetched.status_code == 400
    assert _activities(db) >= 1 and db.session.get(Activity, activity_id) is not None


def test_an_expired_public_form_keeps_its_error_page(csrf_client, world):
    csrf_client.get("/auth/login")
    assert sign_in(csrf_client, world["facilitator"].email, csrf_token="x").status_code == 400


def test_an_ended_session_leads_through_the_sign_in_back_to_the_form(client, login_as, work, db):
    login_as("facilitator")
    before = _activities(db)
    with client.session_transaction() as session:
        session["last_seen"] -= 31 * 60

    response = client.post("/kegiatan/new", data=_activity_form(work))

    assert response.status_code == 302
    assert response.headers["Location"] == "/auth/login?next=/kegiatan/new"
    assert _activities(db) == before
    login_page = _page(client.get(response.headers["Location"]))
    assert "data-drafts-clear" not in login_page and _forgotten(login_page) is None
    signed = client.post(response.headers["Location"], data={"email": work["facilitator"].email, "password": PASSWORD})
    assert signed.status_code == 302 and signed.headers["Location"] == "/kegiatan/new"


def test_a_saved_form_tells_the_next_page_to_forget_its_draft(client, login_as, work, db):
    user = login_as("facilitator")
    form_page = _page(client.get("/kegiatan/new"))
    assert f'data-draft-owner="{user.id}"' in form_page and re.search(r"<form [^>]*data-draft[ >]", form_page)

    refused = client.post("/kegiatan/new", data=_activity_form(work, description=""))
    assert refused.status_code == 200
    assert _forgotten(_page(client.get("/"))) is None, "a form that was refused keeps its draft"

    saved = client.post("/kegiatan/new", data=_activity_form(work))
    assert saved.status_code == 302
    assert _forgotten(_page(client.get(saved.headers["Location"]))) == ["/kegiatan/new"]
    assert _forgotten(_page(client.get("/"))) is None, "said once"


def test_signing_out_forgets_every_draft_of_the_browser(client, login_as):
    login_as("facilitator")
    assert "data-drafts-forget" in _page(client.get("/"))
    response = client.post("/auth/logout")
    assert response.status_code == 302
    login_page = _page(client.get(response.headers["Location"]))
    assert "data-drafts-clear" in login_page and "data-draft-owner" not in login_page
    assert "data-drafts-clear" not in _page(client.get("/auth/login")), "said once"


def test_the_main_forms_keep_drafts(client, login_as, work):
    login_as("facilitator")
    business_id, activity_id, permit_id = work["business"].id, work["activity"].id, work["permit"].id
    for url in (
        "/kegiatan/new",
        f"/kegiatan/{activity_id}/edit",
        "/ikm/new",
        f"/ikm/{business_id}/edit",
        "/izin/new",
        f"/izin/{permit_id}/edit",
        f"/ikm/{business_id}/assessments/new",
    ):
        page = _page(client.get(url))
        assert re.search(r"<form [^>]*data-draft[ >]", page), url
        assert "data-draft-discard" in page, url
        assert re.search(r'<input [^>]*type="password"', page) is None, url


def test_the_tracer_survey_form_keeps_a_draft(client, login_as, world, db):
    contract = world["contract2"]  # tpl2's only contract has ended: a former TPL fills their own survey
    contract.end_date, contract.status = on(6, 30), "completed"
    db.session.commit()
    login_as("facilitator2")
    page = _page(client.get(f"/tracer/tpl/{world['tpl2'].id}/new"))
    assert re.search(r"<form [^>]*data-draft[ >]", page) and "data-draft-discard" in page
