"""Input hygiene and error pages (hardening issue, items 2 and 3): control characters and numbers beyond any column
are refused with a clear message and change nothing; a failing request still gets a page with the security
headers, also when the database cannot answer."""

import pytest
import sqlalchemy as sa

from tpl_tracker.models import AuditEntry, Business

from ..clock import YEAR
from ..conftest import page_text, sign_in, ui_message

CONTROL = "The text contains invisible control characters that are not allowed. Please type it again."
LISTS = [
    "/tpl/",
    "/ikm/",
    "/ikm/requests",
    "/kegiatan/",
    "/izin/",
    "/bulanan/",
    "/bulanan/antrean",
    "/tracer/",
    "/supervisi/",
    "/notifications/",
    "/admin/users",
    "/admin/audit",
    "/jobs/",
]


def _count(db, model) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def test_a_nul_byte_in_the_email_is_refused_before_sign_in(app, client, world, db):
    entries = _count(db, AuditEntry)
    response = sign_in(client, "tpl@example.id\x00")
    assert response.status_code == 200
    assert ui_message(app, CONTROL) in page_text(response)
    assert _count(db, AuditEntry) == entries  # nothing looked up, nothing recorded


def test_control_characters_in_a_record_form_are_named_on_their_field(app, client, login_as, world, db):
    login_as("facilitator")
    response = client.post(
        "/ikm/new",
        data={"name": "Kue\x00 Bagea", "owner_name": "Ibu\x1b Salma", "region_code": "82.71", "kbli": "10710"},
    )
    assert response.status_code == 200
    assert page_text(response).count(ui_message(app, CONTROL)) == 2
    assert _count(db, Business) == 0


def test_control_characters_in_the_address_get_a_clear_400_with_the_security_headers(app, client, login_as, world):
    login_as("supervisor")
    for url in ("/ikm/?q=Sagu%00", "/kegiatan/?month%07=1", "/tpl/?q=%1b"):
        response = client.get(url)
        assert response.status_code == 400, url
        assert ui_message(app, CONTROL) in page_text(response)
        assert "Content-Security-Policy" in response.headers


@pytest.mark.parametrize("url", LISTS)
def test_a_page_number_beyond_any_list_is_not_found(app, client, login_as, world, url):
    login_as("admin" if url.startswith(("/admin", "/jobs")) else "supervisor")
    for page in ("99999999999999999999", "0", "-1", "abc"):
        assert client.get(f"{url}?page={page}").status_code == 404, (url, page)
    assert client.get(f"{url}?page=2").status_code == 200


@pytest.mark.parametrize("url", ["/kegiatan/", "/izin/"])
def test_an_impossible_month_filter_is_explained(app, client, login_as, world, url):
    login_as("supervisor")
    for month in ("9999-12", "0000-01", f"{YEAR}-13"):
        response = client.get(f"{url}?month={month}")
        assert response.status_code == 200
        assert ui_message(app, "Use the form YYYY-MM.") in page_text(response), month
    assert client.get(f"{url}?month=%20").status_code == 200  # blank: no filter


def test_ids_beyond_any_column_are_refused_not_crashed(app, client, login_as, world):
    login_as("supervisor")
    response = client.get("/bulanan/?tpl=99999999999999999999")
    assert response.status_code == 200
    assert ui_message(app, "The number is too large.") in page_text(response)
    client.post("/auth/logout")
    login_as("facilitator")
    assert client.get("/izin/new?business_id=99999999999999999999").status_code == 200  # no business chosen


def test_a_review_field_with_an_endless_id_is_ignored(app, client, login_as, work, db):
    from tpl_tracker.models import MonthlyReport

    report = db.session.get(MonthlyReport, work["month"].id)
    report.status = "submitted"
    db.session.commit()
    login_as("supervisor")
    response = client.post(
        f"/bulanan/{report.id}/review",
        data={"decision": "return", "comment": "Lengkapi foto", "comment-activity-" + "9" * 5000: "x"},
    )
    assert response.status_code == 302
    response = client.post(
        f"/bulanan/{report.id}/review", data={"decision": "return", f"comment-activity-{work['activity'].id}": "a\x00"}
    )
    assert response.status_code < 500


def test_the_error_page_rolls_back_first_and_keeps_the_security_headers(app, client, login_as, world, monkeypatch):
    """A statement fails inside the request (on PostgreSQL the transaction is then aborted): the error page still
    renders with its layout, which queries (the unread count), because the handler rolled back first."""
    from tpl_tracker.extensions import db
    from tpl_tracker.services import dashboard

    def broken(*_args, **_kwargs):
        db.session.execute(sa.text("SELECT no_such_column FROM no_such_table"))

    login_as("supervisor")
    monkeypatch.setitem(app.config, "PROPAGATE_EXCEPTIONS", False)
    monkeypatch.setattr(dashboard, "programme_counts", broken)
    response = client.get("/")
    assert response.status_code == 500
    assert ui_message(app, "Something went wrong") in page_text(response)
    assert 'href="/notifications/' in page_text(response)  # the full layout, with its queries
    assert "Content-Security-Policy" in response.headers


def test_the_error_page_without_a_database_is_plain_with_the_security_headers(
    app, client, login_as, world, monkeypatch
):
    """The database is gone: even the error page's layout cannot query; a plain page is sent, with the headers."""
    from tpl_tracker.services import dashboard, notifications

    def down(*_args, **_kwargs):
        raise sa.exc.OperationalError("SELECT 1", {}, Exception("connection refused"))

    login_as("supervisor")
    monkeypatch.setitem(app.config, "PROPAGATE_EXCEPTIONS", False)
    monkeypatch.setattr(dashboard, "programme_counts", down)
    monkeypatch.setattr(notifications, "unread_count", down)
    response = client.get("/")
    assert response.status_code == 500
    assert "Terjadi kesalahan" in page_text(response)
    assert "Content-Security-Policy" in response.headers and response.headers["X-Frame-Options"] == "DENY"
