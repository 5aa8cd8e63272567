"""Personal data stays out of logs and addresses (hardening issue, item 4): a failed statement is logged without its
parameters, and a NIK is looked up by a posted form, never through the address."""

import logging

import sqlalchemy as sa

from ..conftest import page_text, ui_message
from .test_businesses_pages import OWNER_NIK, _form

PHONE = "0812-3456-7890"


def test_a_failed_statement_is_logged_without_the_nik_and_phone_it_carried(
    app, client, login_as, world, monkeypatch, caplog
):
    """A registration whose INSERT fails answers 500; the log has the error but not the owner's NIK and phone."""
    from tpl_tracker.extensions import db
    from tpl_tracker.services import businesses

    def failing_insert(_user, data):
        db.session.execute(
            sa.text("INSERT INTO businesses (id, owner_nik, phone) VALUES (:id, :nik, :phone)"),
            {"id": -1, "nik": data.owner_nik, "phone": data.phone},
        )

    login_as("facilitator")
    monkeypatch.setitem(app.config, "PROPAGATE_EXCEPTIONS", False)
    monkeypatch.setattr(businesses, "create_business", failing_insert)
    with caplog.at_level(logging.DEBUG):
        response = client.post("/ikm/new", data=_form(owner_nik=OWNER_NIK, phone=PHONE))
    assert response.status_code == 500
    logged = caplog.text
    assert "INSERT INTO businesses" in logged  # the failure itself is logged...
    assert OWNER_NIK not in logged and "81234567890" not in logged  # ...without what it carried


def test_a_nik_is_found_by_a_posted_form_and_never_put_in_the_address(app, client, login_as, world):
    tpl = world["tpl"]
    login_as("supervisor")
    list_page = page_text(client.get("/tpl/"))
    assert 'action="/tpl/nik"' in list_page and 'method="post"' in list_page

    spaced = " ".join(tpl.nik[i : i + 4] for i in range(0, 16, 4))
    response = client.post("/tpl/nik", data={"nik": spaced})
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/tpl/{tpl.id}") and tpl.nik not in response.headers["Location"]

    # The address's search no longer matches NIK digits (a NIK typed there would land in the access log).
    assert tpl.full_name not in page_text(client.get(f"/tpl/?q={tpl.nik}"))


def test_a_nik_lookup_outside_the_scope_or_malformed_finds_nothing(app, client, login_as, world):
    login_as("supervisor")
    response = client.post("/tpl/nik", data={"nik": world["tpl2"].nik})  # another province's TPL
    assert response.status_code == 200
    assert ui_message(app, "No TPL in your scope has this NIK.") in page_text(response)
    response = client.post("/tpl/nik", data={"nik": "1234"})
    assert ui_message(app, "Type the 16 digits of the NIK.") in page_text(response)


def test_readers_who_see_nik_masked_cannot_look_one_up(app, client, login_as, world):
    login_as("evaluator")
    assert 'action="/tpl/nik"' not in page_text(client.get("/tpl/"))
    assert client.post("/tpl/nik", data={"nik": world["tpl"].nik}).status_code == 403
