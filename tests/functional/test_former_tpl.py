"""A former TPL (their contract has ended) who posts the forms directly, for days or months after the contract:
every such write is refused with a message on the field (or a flash), and nothing is written (issue 9, item 8)."""

import pytest
import sqlalchemy as sa

from tpl_tracker.models import Activity, Assessment, AuditEntry, MonthlyReport, PermitFacilitation

from ..clock import dmy, iso, on, period
from ..conftest import page_text as _page
from ..conftest import ui_message as _message

CONTRACT_END = on(6, 30)
AUGUST = period(8)
OUTSIDE = "This date must lie within one of your contract periods."


@pytest.fixture
def former(work, db, login_as):
    """The work of `tpl` in March, their only contract ended on 30 June: signed in as that former TPL."""
    contract = work["contract"]
    contract.end_date = CONTRACT_END
    contract.status = "completed"
    db.session.commit()
    login_as("facilitator")
    return work


def _rows(db) -> dict:
    """How many rows each table a refused write could touch holds (audit entries other than security events)."""
    db.session.expire_all()
    tables = {
        "activities": sa.select(sa.func.count()).select_from(Activity),
        "permits": sa.select(sa.func.count()).select_from(PermitFacilitation),
        "assessments": sa.select(sa.func.count()).select_from(Assessment),
        "months": sa.select(sa.func.count()).select_from(MonthlyReport),
        "audit": sa.select(sa.func.count())
        .select_from(AuditEntry)
        .where(AuditEntry.action.not_in(["login", "access_denied"])),
    }
    return {name: db.session.scalar(query) for name, query in tables.items()}


def _activity_form(work, **changes) -> dict:
    data = {
        "date": dmy(8, 5),
        "type": "kunjungan",
        "business_ids": [str(work["business"].id)],
        "description": "Kunjungan sesudah kontrak",
        "hours": "2",
    }
    return data | changes


def _permit_form(**changes) -> dict:
    data = dict.fromkeys(("submitted_on", "issued_on", "rejected_on", "document_number", "expires_on"), "")
    data.update({"permit_type": "halal", "status": "planned", "planned_on": dmy(8, 5), "notes": ""})
    return data | changes


def test_a_new_activity_after_the_contract_is_refused(app, client, former, db):
    before = _rows(db)
    response = client.post("/kegiatan/new", data=_activity_form(former))
    assert response.status_code == 200
    assert _message(app, "The date must lie within one of your contract periods.") in _page(response)
    assert _rows(db) == before


def test_moving_an_activity_after_the_contract_is_refused(app, client, former, db):
    activity = former["activity"]
    before = _rows(db)
    response = client.post(f"/kegiatan/{activity.id}/edit", data=_activity_form(former))
    assert response.status_code == 200
    assert _message(app, "The date must lie within one of your contract periods.") in _page(response)
    assert _rows(db) == before
    assert db.session.get(Activity, activity.id).date == on(3, 10)


def test_a_new_permit_planned_after_the_contract_is_refused(app, client, former, db):
    business = former["business"]
    before = _rows(db)
    response = client.post(f"/izin/new?business_id={business.id}", data=_permit_form(business_id=str(business.id)))
    assert response.status_code == 200
    assert _message(app, OUTSIDE) in _page(response)
    assert _rows(db) == before


def test_a_permit_step_after_the_contract_is_refused(app, client, former, db):
    permit = former["permit"]
    before = _rows(db)
    response = client.post(
        f"/izin/{permit.id}/edit",
        data=_permit_form(permit_type="pirt", status="submitted", planned_on=dmy(3, 12), submitted_on=dmy(8, 5)),
    )
    assert response.status_code == 200
    assert _message(app, OUTSIDE) in _page(response)
    assert _rows(db) == before
    assert db.session.get(PermitFacilitation, permit.id).status == "planned"


def test_a_permit_step_within_the_contract_is_still_recorded(client, former, db):
    permit = former["permit"]
    response = client.post(
        f"/izin/{permit.id}/edit",
        data=_permit_form(permit_type="pirt", status="submitted", planned_on=dmy(3, 12), submitted_on=dmy(6, 30)),
    )
    assert response.status_code == 302, _page(response)[:2000]
    db.session.expire_all()
    assert db.session.get(PermitFacilitation, permit.id).submitted_on == CONTRACT_END


def test_an_assessment_after_the_contract_is_refused(app, client, former, db):
    business = former["business"]
    data = {"kind": "follow_up", "assessed_on": iso(8, 5), "turnover": "", "workers": "", "market_reach": "local"}
    before = _rows(db)
    response = client.post(f"/ikm/{business.id}/assessments/new", data=data)
    assert response.status_code == 200
    assert _message(app, "The assessment date must fall within one of your contracts.") in _page(response)
    assert _rows(db) == before


def test_submitting_a_month_after_the_contract_is_refused(app, client, former, db):
    tpl = former["tpl"]
    before = _rows(db)
    response = client.post(f"/bulanan/tpl/{tpl.id}/{AUGUST}/submit", data={"note": ""}, follow_redirects=True)
    assert response.status_code == 200
    with app.test_request_context():
        from tpl_tracker.services.months import month_label

        month = month_label(on(8, 1))
    assert _message(app, "%(month)s lies outside your contract periods.", month=month) in _page(response)
    assert _rows(db) == before
