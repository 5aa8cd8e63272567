"""Safer one-click defaults (issue 13, item 7): no decision is preselected anywhere a click decides something.

A supervisor who only clicks the button is asked to choose: no verdict on a tracer survey, no approval of a request
or of a month, and no business checked in a handover.
"""

import re
from datetime import timedelta

import sqlalchemy as sa

from tpl_tracker.models import AuditEntry, Mentorship, MentorshipRequest, OutcomeSurvey

from ..clock import TODAY, dmy, moment, on
from ..conftest import page_text as _page
from ..conftest import ui_message as _message
from ..factories import ContractFactory, FacilitatorFactory


def _count(db, model, *where) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model).where(*where))


def _selected_options(html: str, select_name: str) -> list[str]:
    """The values of the options a browser would show as chosen: the `selected` ones, else the first."""
    select = re.search(rf'<select[^>]*name="{select_name}"[^>]*>(.*?)</select>', html, re.S)
    assert select, f"no select named {select_name}"
    options = re.findall(r"<option([^>]*)>", select.group(1))
    chosen = [o for o in options if re.search(r"\bselected\b", o)] or options[:1]
    return [re.search(r'value="([^"]*)"', o).group(1) for o in chosen]


# --- tracer survey verification -------------------------------------------------------------------------------


def _alumnus_survey(db, world) -> OutcomeSurvey:
    contract = world["contract"]
    exit_date = TODAY - timedelta(days=200)
    contract.start_date, contract.end_date, contract.status = exit_date - timedelta(days=364), exit_date, "completed"
    survey = OutcomeSurvey(
        facilitator=world["tpl"],
        survey_date=TODAY - timedelta(days=10),
        status="bekerja",
        recorded_by_id=world["tpl"].user_id,
    )
    db.session.add(survey)
    db.session.commit()
    return survey


def test_no_verdict_is_preselected_and_an_empty_one_is_refused(app, client, login_as, world, db):
    survey = _alumnus_survey(db, world)
    login_as("evaluator")
    html = _page(client.get(f"/tracer/tpl/{world['tpl'].id}"))
    assert _selected_options(html, "verification") == [""]
    assert _message(app, "Choose a verdict") in html

    response = client.post(f"/tracer/{survey.id}/verify", data={"verification": "", "note": ""}, follow_redirects=True)

    assert _message(app, "Choose verified or rejected.") in _page(response)
    db.session.expire_all()
    assert db.session.get(OutcomeSurvey, survey.id).verification == "unverified"
    assert _count(db, AuditEntry, AuditEntry.action.like("survey_%ed"), AuditEntry.action != "survey_recorded") == 0


def test_a_verified_survey_offers_no_verdict_either(client, login_as, world, db):
    survey = _alumnus_survey(db, world)
    survey.verification = "verified"
    db.session.commit()
    login_as("evaluator")
    assert _selected_options(_page(client.get(f"/tracer/tpl/{world['tpl'].id}")), "verification") == [""]


# --- requests to mentor a business ----------------------------------------------------------------------------


def test_no_request_decision_is_preselected_and_an_empty_one_is_refused(app, client, login_as, work, db):
    request = MentorshipRequest(business=work["business2"], facilitator=work["tpl"], status="pending")
    db.session.add(request)
    db.session.commit()
    login_as("supervisor")
    html = _page(client.get("/ikm/requests"))
    assert _selected_options(html, "decision") == [""]
    assert _message(app, "Choose a decision") in html

    response = client.post(f"/ikm/requests/{request.id}/decide", data={"decision": "", "note": ""})

    assert response.status_code == 200
    assert _message(app, "Choose to approve or to reject.") in _page(response)
    db.session.expire_all()
    assert db.session.get(MentorshipRequest, request.id).status == "pending"


# --- month review ---------------------------------------------------------------------------------------------


def test_no_month_decision_is_preselected(app, client, login_as, work, db, time_machine):
    time_machine.move_to(moment(4, 15), tick=False)
    report = work["month"]
    report.status, report.submitted_at = "submitted", moment(4, 2)
    db.session.commit()
    login_as("supervisor")
    html = _page(client.get(f"/bulanan/tpl/{work['tpl'].id}/{report.period:%Y-%m}"))
    radios = re.findall(r'<input[^>]*name="decision"[^>]*>', html)
    assert len(radios) == 2 and not any(re.search(r"\bchecked\b", r) for r in radios)

    response = client.post(f"/bulanan/{report.id}/review", data={"comment": "Baik"})

    assert response.status_code == 200
    db.session.expire_all()
    assert report.status == "submitted"


# --- handover -------------------------------------------------------------------------------------------------


def test_no_business_is_checked_in_the_handover(app, client, login_as, work, db, time_machine):
    time_machine.move_to(moment(4, 20), tick=False)
    successor = FacilitatorFactory(supervisor=work["supervisor"], region_code="82.71")
    ContractFactory(facilitator=successor, start_date=on(1, 1), end_date=on(12, 31))
    db.session.commit()
    login_as("supervisor")
    html = _page(client.get(f"/supervisi/tpl/{work['tpl'].id}/handover"))
    boxes = re.findall(r'<input[^>]*name="mentorship_ids"[^>]*>', html)
    assert boxes and not any(re.search(r"\bchecked\b", b) for b in boxes)

    response = client.post(
        f"/supervisi/tpl/{work['tpl'].id}/handover",
        data={"new_facilitator_id": str(successor.id), "on": dmy(4, 20), "reason": "Kontrak berakhir"},
    )

    assert response.status_code == 200
    assert _message(app, "Select at least one business the TPL mentors now.") in _page(response)
    assert _count(db, Mentorship, Mentorship.facilitator_id == successor.id) == 0
