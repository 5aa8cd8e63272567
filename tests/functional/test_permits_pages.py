"""Permit pages over HTTP: recording and advancing a facilitation, bad input, the month lock, scope, the list."""

import re
from datetime import timedelta

import pytest
import sqlalchemy as sa

from tpl_tracker.models import (
    AuditEntry,
    Business,
    Mentorship,
    MonthlyReportEvent,
    PermitFacilitation,
    ReviewComment,
)

from ..clock import TODAY, TOMORROW, YEAR, dmy, on, period
from ..conftest import page_text as _page
from ..conftest import statements_for_get as _queries
from ..conftest import ui_message as _message


def _count(db, model, *where) -> int:
    db.session.expire_all()
    return db.session.scalar(sa.select(sa.func.count()).select_from(model).where(*where))


def _writes(db) -> int:
    return _count(db, AuditEntry, AuditEntry.action.not_in(["login", "access_denied"]))


def _form(**changes) -> dict:
    # A browser sends every field, empty ones included (a missing one would keep the record's value).
    data = {
        "permit_type": "halal",
        "status": "planned",
        "planned_on": dmy(4, 1),
        "submitted_on": "",
        "issued_on": "",
        "rejected_on": "",
        "document_number": "",
        "expires_on": "",
        "notes": "Daftar SEHATI",
    }
    data.update(changes)
    return data


def _rows(text: str) -> int:
    return len(re.findall(r'href="/izin/\d+"', text))


def test_tpl_records_a_permit_for_a_mentored_business(app, client, login_as, work, db):
    login_as("facilitator")
    business = work["business"]
    page = _page(client.get(f"/izin/new?business_id={business.id}"))
    assert business.name in page and 'name="business_id"' in page
    response = client.post(f"/izin/new?business_id={business.id}", data=_form(business_id=str(business.id)))
    assert response.status_code == 302, _page(response)[:3000]
    permit = db.session.scalars(sa.select(PermitFacilitation).order_by(PermitFacilitation.id.desc())).first()
    assert (permit.business_id, permit.permit_type, permit.planned_on) == (business.id, "halal", on(4, 1))
    # without a business in the URL the TPL picks one of the businesses they mentor now
    choose = _page(client.get("/izin/new"))
    assert business.name in choose and work["business2"].name not in choose


def test_advance_to_issued_nib_sets_the_business_nib(app, client, login_as, work, db):
    login_as("facilitator")
    business = work["business"]
    response = client.post(
        "/izin/new",
        data=_form(
            business_id=str(business.id),
            permit_type="nib",
            status="issued",
            issued_on=dmy(4, 3),
            document_number="8120-0001-23456",
        ),
    )
    assert response.status_code == 302, _page(response)[:3000]
    assert db.session.get(Business, business.id).nib == "8120000123456"
    detail = _page(client.get(response.headers["Location"]))
    assert "8120000123456" in detail


@pytest.mark.parametrize(
    "changes,message",
    [
        (
            {"permit_type": "nib", "status": "issued", "issued_on": dmy(4, 3), "document_number": "812000012345"},
            "The NIB has exactly 13 digits.",
        ),
        (
            {"permit_type": "halal", "status": "issued", "issued_on": dmy(4, 3)},
            "An issued permit needs its document number.",
        ),
        ({"planned_on": ""}, "A planned facilitation needs the planning date."),
        ({"planned_on": TOMORROW.strftime("%d/%m/%Y")}, "This date cannot be in the future."),
        ({"planned_on": f"32/01/{YEAR}"}, "Not a valid date: use DD/MM/YYYY."),
        ({"status": "submitted", "submitted_on": dmy(3, 1)}, "The submission date cannot be before the planning date."),
        ({"notes": "x" * 2001}, "The notes may have at most %(count)d characters."),
    ],
)
def test_bad_input_is_refused_on_the_form(app, client, login_as, work, db, changes, message):
    login_as("facilitator")
    before = _writes(db)
    response = client.post("/izin/new", data=_form(business_id=str(work["business"].id), **changes))
    assert response.status_code == 200
    text = _page(response)
    assert _message(app, message, count=2000) in text, text[-3000:]
    assert _writes(db) == before and _count(db, PermitFacilitation) == 2


def test_every_mistake_of_the_permit_form_is_named_in_one_submit(app, client, login_as, work, db):
    """Four mistakes, one submit: each message stands next to its field, in Indonesian, and nothing is written."""
    login_as("facilitator")
    before = _writes(db)
    mistakes = {
        "permit_type": "nib",
        "status": "issued",
        "planned_on": TOMORROW.strftime("%d/%m/%Y"),
        "issued_on": f"32/01/{YEAR}",
        "document_number": "812000012345",
        "notes": "x" * 2001,
    }

    text = _page(client.post("/izin/new", data=_form(business_id=str(work["business"].id), **mistakes)))

    for message in (
        "This date cannot be in the future.",
        "Not a valid date: use DD/MM/YYYY.",
        "The NIB has exactly 13 digits.",
    ):
        assert _message(app, message) in text
    assert _message(app, "The notes may have at most %(count)d characters.", count=2000) in text
    assert text.count("invalid-feedback") >= 4
    assert _writes(db) == before and _count(db, PermitFacilitation) == 2


def test_pirt_number_of_14_digits_is_refused_on_edit(app, client, login_as, work, db):
    login_as("facilitator")
    permit_id = work["permit"].id
    before = _writes(db)
    response = client.post(
        f"/izin/{permit_id}/edit",
        data=_form(
            permit_type="pirt",
            status="issued",
            planned_on=dmy(3, 12),
            issued_on=dmy(6, 1),
            document_number="2067271010012",
        ),
    )
    assert response.status_code == 200
    assert _message(app, "The P-IRT number has at least 15 digits.") in _page(response)
    assert _writes(db) == before and db.session.get(PermitFacilitation, permit_id).status == "planned"


def test_edit_advances_and_delete_only_while_planned(app, client, login_as, work, db):
    login_as("facilitator")
    permit_id = work["permit"].id
    assert client.get(f"/izin/{permit_id}/edit").status_code == 200
    response = client.post(
        f"/izin/{permit_id}/edit",
        data=_form(
            permit_type="pirt",
            status="issued",
            planned_on=dmy(3, 12),
            submitted_on=dmy(3, 20),
            issued_on=dmy(6, 1),
            document_number="206-7271-01-0012-26",
        ),
    )
    assert response.status_code == 302, _page(response)[:3000]
    permit = db.session.get(PermitFacilitation, permit_id)
    assert permit.status == "issued" and permit.expires_on == on(6, 1, years=5)
    response = client.post(
        f"/izin/{permit_id}/edit", data=_form(permit_type="pirt", status="planned", planned_on=dmy(3, 12))
    )
    assert response.status_code == 200 and _message(
        app, "The status cannot go back (or change once decided): correct the dates of the current step instead."
    ) in _page(response)
    response = client.post(f"/izin/{permit_id}/delete", follow_redirects=True)
    assert _message(app, "Only a planned facilitation can be deleted.") in _page(response)
    assert _count(db, PermitFacilitation) == 2


def test_delete_a_planned_permit(app, client, login_as, work, db):
    login_as("facilitator")
    response = client.post(f"/izin/{work['permit'].id}/delete")
    assert response.status_code == 302 and response.headers["Location"] == "/izin/"
    assert _count(db, PermitFacilitation) == 1


def test_locked_month_refuses_edits(app, client, login_as, work, db):
    work["month"].status = "approved"
    db.session.commit()
    login_as("facilitator")
    permit_id = work["permit"].id
    locked = _message(
        app, "%(month)s has been submitted or approved and can no longer be changed.", month=f"Maret {YEAR}"
    )
    before = _writes(db)
    # A planned permit can still move on to its next step, so its form opens with a warning...
    form = _page(client.get(f"/izin/{permit_id}/edit"))
    assert (
        _message(
            app,
            "The month of the current step has been submitted or approved: you can only record the "
            "next step, dated in an open month.",
        )
        in form
    )
    # ...but every change to the locked month is refused.
    for data in (
        _form(permit_type="pirt", planned_on=dmy(3, 12), notes="ubah"),
        _form(permit_type="pirt", planned_on=dmy(4, 2)),
    ):
        response = client.post(f"/izin/{permit_id}/edit", data=data)
        assert response.status_code == 200 and locked in _page(response)
    response = client.post(f"/izin/{permit_id}/delete", follow_redirects=True)
    assert locked in _page(response)
    response = client.post("/izin/new", data=_form(business_id=str(work["business"].id), planned_on=dmy(3, 5)))
    assert response.status_code == 200 and locked in _page(response)
    assert _writes(db) == before
    # A decided permit in a locked month cannot even open its form.
    permit = db.session.get(PermitFacilitation, permit_id)
    permit.status, permit.submitted_on, permit.rejected_on = "rejected", on(3, 13), on(3, 20)
    db.session.commit()
    response = client.get(f"/izin/{permit_id}/edit")
    assert response.status_code == 302 and response.headers["Location"] == f"/izin/{permit_id}"
    assert f"/izin/{permit_id}/edit" not in _page(client.get(f"/izin/{permit_id}"))


def test_other_tpl_and_out_of_scope_supervisor_get_404(app, client, login_as, work, db):
    login_as("facilitator")
    other = work["permit2"].id
    assert client.get(f"/izin/{other}").status_code == 404
    assert client.get(f"/izin/{other}/edit").status_code == 404
    assert client.post(f"/izin/{other}/edit", data=_form()).status_code == 404
    assert client.post(f"/izin/{other}/delete").status_code == 404
    assert client.get(f"/izin/new?business_id={work['business2'].id}").status_code == 404
    response = client.post("/izin/new", data=_form(business_id=str(work["business2"].id)))
    assert response.status_code == 200 and _count(db, PermitFacilitation) == 2  # not a choice
    client.post("/auth/logout")
    login_as("supervisor")
    assert client.get(f"/izin/{other}").status_code == 404
    assert client.get(f"/izin/{work['permit'].id}").status_code == 200


def test_detail_shows_expiry_warning_and_review_comments(app, client, login_as, work, db):
    permit = work["permit"]
    permit.status, permit.issued_on, permit.document_number = "issued", on(3, 20), "206727101001226"
    permit.expires_on = TODAY + timedelta(days=30)
    event = MonthlyReportEvent(report=work["month"], action="return", actor_id=work["supervisor"].id)
    db.session.add(ReviewComment(event=event, item_type="permit", item_id=permit.id, comment="Lampirkan nomor P-IRT."))
    db.session.commit()
    login_as("supervisor")
    text = _page(client.get(f"/izin/{permit.id}"))
    assert "Lampirkan nomor P-IRT." in text
    assert "text-bg-warning" in text  # expiring soon
    expiring = _page(client.get("/izin/?expiring=y"))
    assert _rows(expiring) == 1


def test_list_filters(app, client, login_as, work, db):
    db.session.add(
        PermitFacilitation(
            business=work["business"],
            facilitator=work["tpl"],
            permit_type="nib",
            status="issued",
            issued_on=on(5, 2),
            document_number="8120000123456",
        )
    )
    db.session.commit()
    login_as("supervisor")

    def rows(query):
        return _rows(_page(client.get(f"/izin/?{query}")))

    assert rows("") == 2
    assert rows("permit_type=nib") == 1 and rows("status=planned") == 1
    assert rows("q=8120000") == 1 and rows("q=sagu") == 2
    assert rows(f"month={period(5)}") == 1 and rows(f"month={period(3)}") == 1
    assert rows("region=82") == 2 and rows("region=73") == 0
    bad = client.get(f"/izin/?month={YEAR}-1")
    assert bad.status_code == 200 and _message(app, "Use the form YYYY-MM.") in _page(bad)


def _add_permits(db, work, count, start):
    for i in range(start, start + count):
        business = Business(
            name=f"IKM {i}",
            normalized_name=f"ikm {i}",
            owner_name="Ibu Rina",
            region_code="82.71",
            kbli="10792",
            size_class="mikro",
            workers=1,
        )
        db.session.add_all(
            [
                business,
                Mentorship(business=business, facilitator=work["tpl"], start_date=on(2, 1)),
                PermitFacilitation(
                    business=business,
                    facilitator=work["tpl"],
                    permit_type="halal",
                    status="planned",
                    planned_on=on(4, 1 + i % 28),
                ),
            ]
        )
    db.session.commit()


def test_list_query_count_does_not_grow_with_rows(app, client, login_as, work, db, monkeypatch):
    monkeypatch.setitem(app.config, "PER_PAGE", 100)
    login_as("supervisor")
    _add_permits(db, work, 4, 0)
    five = _queries(app, client, "/izin/")
    assert _rows(_page(client.get("/izin/"))) == 5
    _add_permits(db, work, 45, 4)
    fifty = _queries(app, client, "/izin/")
    assert _rows(_page(client.get("/izin/"))) == 50
    assert five == fifty


@pytest.mark.parametrize("role", ["supervisor", "facilitator", "evaluator"])
def test_the_count_of_a_page_is_the_number_of_its_rows(app, client, login_as, work, db, monkeypatch, role):
    """The list counts its rows with a statement of its own (read by the TPL in scope): the same rows as the list."""
    _add_permits(db, work, 5, 0)
    login_as(role)
    for query in ("", "status=planned", "q=ikm", "region=82", "region=73", "permit_type=nib"):
        monkeypatch.setitem(app.config, "PER_PAGE", 100)
        listed = _rows(_page(client.get(f"/izin/?{query}")))
        monkeypatch.setitem(app.config, "PER_PAGE", 2)
        page = _page(client.get(f"/izin/?{query}"))
        assert f"{listed} data" in page if listed else _rows(page) == 0, (role, query)
