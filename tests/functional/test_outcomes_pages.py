"""Tracer-survey pages over HTTP: the former TPL fills in their own survey, supervisors and evaluators
record on their behalf, verify, and move a verified new business into the registry."""

import re
from datetime import timedelta

import pytest
import sqlalchemy as sa

from tpl_tracker.models import AuditEntry, Business, OutcomeSurvey

from ..clock import TODAY
from ..conftest import page_text as _page
from ..conftest import sign_in
from ..conftest import ui_message as _message

EXIT = TODAY - timedelta(days=200)
SURVEY_DATE = TODAY - timedelta(days=10)


def _count(db, model, *where) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model).where(*where))


def _surveys(db) -> list[OutcomeSurvey]:
    db.session.expire_all()
    return list(db.session.scalars(sa.select(OutcomeSurvey).order_by(OutcomeSurvey.id)))


@pytest.fixture
def alumni(world, db):
    """The world, with tpl's only contract ended 200 days ago: tpl is an alumnus."""
    contract = world["contract"]
    contract.start_date = EXIT - timedelta(days=364)
    contract.end_date = EXIT
    contract.status = "completed"
    db.session.commit()
    return world


def _form(**changes) -> dict:
    data = {
        "survey_date": SURVEY_DATE.isoformat(),
        "status": "wirausaha",
        "business_name": "Sagu Lempeng Ternate",
        "founded_date": (EXIT + timedelta(days=30)).strftime("%d/%m/%Y"),
        "nib": "8120000123456",
        "kbli": "10792",
        "workers": "3",
        "monthly_revenue": "Rp4.500.000",
        "business_region_code": "82.71",
    }
    data.update(changes)
    return data


def _survey(db, world, who="supervisor", **values) -> OutcomeSurvey:
    row = {
        "survey_date": SURVEY_DATE,
        "status": "wirausaha",
        "business_name": "Sagu Lempeng Ternate",
        "nib": "8120000123456",
        "kbli": "10792",
        "workers": 3,
        "business_region_code": "82.71",
        "recorded_by_id": world[who].id,
    }
    row.update(values)
    survey = OutcomeSurvey(facilitator=world["tpl"], **row)
    db.session.add(survey)
    db.session.commit()
    return survey


# --- the TPL ------------------------------------------------------------------------------


def test_tpl_fills_in_their_own_survey_after_the_contract(app, client, login_as, alumni, db):
    tpl_user = login_as("facilitator")
    tpl = alumni["tpl"]
    page = client.get("/tracer/")
    assert page.status_code == 302 and page.headers["Location"] == f"/tracer/tpl/{tpl.id}"
    listing = _page(client.get(f"/tracer/tpl/{tpl.id}"))
    assert f'href="/tracer/tpl/{tpl.id}/new"' in listing
    form = client.get(f"/tracer/tpl/{tpl.id}/new")
    assert form.status_code == 200 and 'id="business-fields"' in _page(form)

    response = client.post(f"/tracer/tpl/{tpl.id}/new", data=_form())

    assert response.status_code == 302, _page(response)[:2000]
    (survey,) = _surveys(db)
    assert survey.facilitator_id == tpl.id and survey.survey_date == SURVEY_DATE
    assert survey.recorded_by_id == tpl_user.id
    assert survey.monthly_revenue == 4_500_000 and survey.workers == 3
    assert survey.founded_date == EXIT + timedelta(days=30)
    assert survey.verification == "unverified"
    entry = db.session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "survey_recorded"))
    assert entry.actor_id == tpl_user.id
    listing = _page(client.get(f"/tracer/tpl/{tpl.id}"))
    assert "Sagu Lempeng Ternate" in listing
    assert "Rp4.500.000" in listing
    assert _message(app, "Unverified") in listing


def test_tpl_still_under_contract_is_sent_back_with_a_message(app, client, login_as, world, db):
    login_as("facilitator")
    tpl = world["tpl"]
    message = _message(app, "Tracer surveys start after your last contract ends.")
    assert message in _page(client.get(f"/tracer/tpl/{tpl.id}"))

    response = client.get(f"/tracer/tpl/{tpl.id}/new")
    assert response.status_code == 302 and response.headers["Location"] == f"/tracer/tpl/{tpl.id}"
    response = client.post(f"/tracer/tpl/{tpl.id}/new", data=_form(), follow_redirects=True)
    assert message in _page(response)
    assert _count(db, OutcomeSurvey) == 0


def test_tpl_cannot_date_a_survey_inside_the_contract(app, client, login_as, alumni, db):
    login_as("facilitator")
    response = client.post(
        f"/tracer/tpl/{alumni['tpl'].id}/new", data=_form(survey_date=EXIT.isoformat(), founded_date="")
    )
    assert response.status_code == 200
    assert _message(app, "Tracer surveys start after your last contract ends.") in _page(response)
    assert _count(db, OutcomeSurvey) == 0


def test_tpl_cannot_open_another_tpls_surveys(client, login_as, alumni, db):
    login_as("facilitator")
    tpl2 = alumni["tpl2"]
    assert client.get(f"/tracer/tpl/{tpl2.id}").status_code == 404
    assert client.post(f"/tracer/tpl/{tpl2.id}/new", data=_form()).status_code == 404
    assert _count(db, OutcomeSurvey) == 0


def test_tpl_editing_a_verified_survey_sends_it_back_to_unverified(app, client, login_as, alumni, db):
    survey = _survey(
        db,
        alumni,
        who="facilitator",
        verification="verified",
        verified_by_id=alumni["supervisor"].id,
        verification_note="NIB checked in OSS",
    )
    login_as("facilitator")
    assert _message(app, "This survey has been checked already: saving a change sends it back to unverified.") in _page(
        client.get(f"/tracer/{survey.id}/edit")
    )

    response = client.post(f"/tracer/{survey.id}/edit", data=_form(workers="5"), follow_redirects=True)

    assert _message(app, "The tracer survey has been saved and awaits verification again.") in _page(response)
    (saved,) = _surveys(db)
    assert saved.workers == 5 and saved.verification == "unverified" and saved.verified_by_id is None


# --- supervisors and evaluators -------------------------------------------------------------


def test_supervisor_records_on_behalf_and_an_evaluator_verifies(app, client, login_as, alumni, db):
    supervisor = login_as("supervisor")
    tpl = alumni["tpl"]
    form = _page(client.get(f"/tracer/tpl/{tpl.id}/new"))
    assert (
        _message(
            app,
            "You are recording this survey on behalf of the TPL (e.g. after a phone call); "
            "it is saved under your name.",
        )
        in form
    )

    response = client.post(f"/tracer/tpl/{tpl.id}/new", data=_form(status="bekerja"))

    assert response.status_code == 302, _page(response)[:2000]
    (survey,) = _surveys(db)
    assert survey.recorded_by_id == supervisor.id
    assert survey.status == "bekerja" and survey.business_name is None and survey.nib is None
    listing = _page(client.get(f"/tracer/tpl/{tpl.id}"))
    with app.test_request_context():
        from tpl_tracker.formatting import stamp

        when = stamp(survey.created_at)
    assert (
        _message(app, "Recorded by %(name)s on behalf of the TPL on %(date)s", name=supervisor.full_name, date=when)
        in listing
    )
    assert _message(app, "Employed") in listing
    # Four eyes: the recorder is offered no verification, and posting it directly is refused.
    assert f'action="/tracer/{survey.id}/verify"' not in listing
    assert (
        _message(app, "You recorded or changed this survey: another supervisor or an evaluator checks it.") in listing
    )
    audit_before = _count(db, AuditEntry)
    response = client.post(
        f"/tracer/{survey.id}/verify",
        data={"verification": "verified", "note": "Confirmed by phone"},
        follow_redirects=True,
    )
    refusal = "You recorded or changed this survey yourself: another supervisor or an evaluator must check it."
    assert _message(app, refusal) in _page(response)
    (saved,) = _surveys(db)
    assert saved.verification == "unverified" and saved.verified_by_id is None
    assert _count(db, AuditEntry) == audit_before

    client.post("/auth/logout")
    evaluator = login_as("evaluator")
    assert f'action="/tracer/{survey.id}/verify"' in _page(client.get(f"/tracer/tpl/{tpl.id}"))
    response = client.post(
        f"/tracer/{survey.id}/verify", data={"verification": "verified", "note": "Confirmed by phone"}
    )
    assert response.status_code == 302
    (saved,) = _surveys(db)
    assert saved.verification == "verified" and saved.verified_by_id == evaluator.id
    assert saved.verification_note == "Confirmed by phone"
    listing = _page(client.get(f"/tracer/tpl/{tpl.id}"))
    with app.test_request_context():
        checked = stamp(saved.verified_at)
    assert _message(app, "Checked by %(name)s", name=evaluator.full_name) + f" · {checked}" in listing
    assert (
        _message(app, "Recorded by %(name)s on behalf of the TPL on %(date)s", name=supervisor.full_name, date=when)
        in listing
    )


def test_supervisor_of_another_province_gets_404(client, app, alumni, db):
    survey = _survey(db, alumni)
    assert sign_in(client, alumni["supervisor2"].email).status_code == 302
    tpl = alumni["tpl"]
    assert client.get(f"/tracer/tpl/{tpl.id}").status_code == 404
    assert client.get(f"/tracer/tpl/{tpl.id}/new").status_code == 404
    assert client.post(f"/tracer/tpl/{tpl.id}/new", data=_form(survey_date=TODAY.isoformat())).status_code == 404
    assert client.get(f"/tracer/{survey.id}/edit").status_code == 404
    assert client.post(f"/tracer/{survey.id}/verify", data={"verification": "verified"}).status_code == 404
    assert client.post(f"/tracer/{survey.id}/business").status_code == 404
    (saved,) = _surveys(db)
    assert saved.verification == "unverified" and _count(db, OutcomeSurvey) == 1
    denied = db.session.scalar(
        sa.select(sa.func.count()).select_from(AuditEntry).where(AuditEntry.action == "access_denied")
    )
    assert denied >= 6
    assert "Sagu Lempeng Ternate" not in _page(client.get("/tracer/"))


def test_evaluator_verifies_and_rejects_with_a_note(app, client, login_as, alumni, db):
    survey = _survey(db, alumni)
    evaluator = login_as("evaluator")

    response = client.post(
        f"/tracer/{survey.id}/verify", data={"verification": "rejected", "note": ""}, follow_redirects=True
    )
    assert _message(app, "Give the reason for the rejection.") in _page(response)
    assert _surveys(db)[0].verification == "unverified"

    client.post(f"/tracer/{survey.id}/verify", data={"verification": "rejected", "note": "NIB not found in OSS"})
    (saved,) = _surveys(db)
    assert saved.verification == "rejected" and saved.verified_by_id == evaluator.id

    response = client.post(
        f"/tracer/{survey.id}/verify",
        data={"verification": "verified", "note": "NIB checked in OSS", "next": "/tracer/"},
    )
    assert response.headers["Location"] == "/tracer/"
    (saved,) = _surveys(db)
    assert saved.verification == "verified" and saved.verification_note == "NIB checked in OSS"
    assert "NIB checked in OSS" in _page(client.get(f"/tracer/tpl/{alumni['tpl'].id}"))


def test_a_verdict_names_every_mistake_in_one_submit(app, client, login_as, alumni, db):
    survey = _survey(db, alumni)
    login_as("evaluator")
    changes = _count(db, AuditEntry, AuditEntry.action != "login")
    response = client.post(
        f"/tracer/{survey.id}/verify", data={"verification": "approved", "note": "x" * 501}, follow_redirects=True
    )
    text = _page(response)
    assert _message(app, "Choose verified or rejected.") in text
    assert _message(app, "The note may have at most 500 characters.") in text
    (saved,) = _surveys(db)
    assert saved.verification == "unverified" and saved.verification_note is None
    assert _count(db, AuditEntry, AuditEntry.action != "login") == changes


def test_verify_ignores_an_unsafe_next(client, login_as, alumni, db):
    survey = _survey(db, alumni)
    login_as("evaluator")
    response = client.post(f"/tracer/{survey.id}/verify", data={"verification": "verified", "next": "//evil.example/"})
    assert response.headers["Location"].startswith(f"/tracer/tpl/{alumni['tpl'].id}")


def test_verified_business_goes_to_the_registry_once(app, client, login_as, alumni, db):
    survey = _survey(db, alumni, verification="verified", verified_by_id=alumni["supervisor"].id)
    login_as("supervisor")
    listing = _page(client.get(f"/tracer/tpl/{alumni['tpl'].id}"))
    assert f'action="/tracer/{survey.id}/business"' in listing
    assert "data-confirm=" in listing

    response = client.post(f"/tracer/{survey.id}/business", follow_redirects=True)

    business = db.session.scalar(sa.select(Business))
    assert business is not None and business.founder_id == alumni["tpl"].id
    assert business.owner_name == alumni["tpl"].full_name and business.normalized_name == "sagu lempeng ternate"
    assert _surveys(db)[0].business_id == business.id
    assert _message(app, "%(name)s is now in the business registry.", name="Sagu Lempeng Ternate") in _page(response)
    assert f'action="/tracer/{survey.id}/business"' not in _page(response)

    response = client.post(f"/tracer/{survey.id}/business", follow_redirects=True)
    assert _message(app, "This business is already in the registry.") in _page(response)
    assert _count(db, Business) == 1


def test_unverified_business_is_not_added(app, client, login_as, alumni, db):
    survey = _survey(db, alumni)
    login_as("evaluator")
    response = client.post(f"/tracer/{survey.id}/business", follow_redirects=True)
    assert _message(app, "Only a verified survey of a running business can be added to the registry.") in _page(
        response
    )
    assert _count(db, Business) == 0


def test_admin_may_read_but_not_record(client, login_as, alumni, db):
    survey = _survey(db, alumni)
    login_as("admin")
    tpl = alumni["tpl"]
    assert client.get(f"/tracer/tpl/{tpl.id}").status_code == 200
    assert client.get(f"/tracer/tpl/{tpl.id}/new").status_code == 403
    assert client.post(f"/tracer/tpl/{tpl.id}/new", data=_form(survey_date=TODAY.isoformat())).status_code == 403
    assert client.post(f"/tracer/{survey.id}/edit", data=_form()).status_code == 403
    assert client.post(f"/tracer/{survey.id}/verify", data={"verification": "verified"}).status_code == 403
    assert _count(db, OutcomeSurvey) == 1 and _surveys(db)[0].verification == "unverified"


def test_queue_lists_unverified_first_oldest_first_without_nik(app, client, login_as, alumni, db):
    older = _survey(db, alumni, survey_date=SURVEY_DATE - timedelta(days=60), business_name="Kopi Dabe")
    newer = _survey(db, alumni, business_name="Sagu Lempeng Ternate")
    checked = _survey(
        db, alumni, survey_date=SURVEY_DATE - timedelta(days=90), business_name="Roti Kenari", verification="verified"
    )
    login_as("supervisor")

    html = _page(client.get("/tracer/"))

    assert html.index("Kopi Dabe") < html.index("Sagu Lempeng Ternate") < html.index("Roti Kenari")
    assert alumni["tpl"].nik not in html and alumni["tpl2"].nik not in html
    filtered = _page(client.get("/tracer/?verification=verified"))
    assert "Roti Kenari" in filtered and "Kopi Dabe" not in filtered
    by_status = _page(client.get("/tracer/?status=bekerja"))
    assert "Kopi Dabe" not in by_status
    assert f"#survey-{older.id}" in html and f"#survey-{newer.id}" in html and f"#survey-{checked.id}" in html


@pytest.mark.parametrize(
    "changes, field_message",
    [
        ({"nib": "812000012345"}, ("The NIB has exactly 13 digits.", {})),
        ({"kbli": "C1079"}, ("The KBLI code has exactly 5 digits.", {})),
        ({"business_name": ""}, ("Give the name of the business.", {})),
        ({"survey_date": (TODAY + timedelta(days=1)).isoformat()}, ("The survey date cannot be in the future.", {})),
        (
            {"founded_date": (SURVEY_DATE + timedelta(days=1)).isoformat()},
            ("The business cannot be founded after the survey date.", {}),
        ),
        ({"workers": "-2"}, ("The number of workers cannot be negative or implausibly large.", {})),
        ({"monthly_revenue": "-100"}, ("The monthly revenue cannot be negative or implausibly large.", {})),
    ],
    ids=["nib", "kbli", "no-name", "future", "founded-after", "workers", "revenue"],
)
def test_survey_form_refuses_bad_input(app, client, login_as, alumni, db, changes, field_message):
    login_as("facilitator")
    response = client.post(f"/tracer/tpl/{alumni['tpl'].id}/new", data=_form(**changes))

    assert response.status_code == 200
    assert _message(app, field_message[0], **field_message[1]) in _page(response)
    assert _count(db, OutcomeSurvey) == 0
    assert _count(db, AuditEntry, AuditEntry.action == "survey_recorded") == 0


def test_every_mistake_of_the_survey_form_is_named_in_one_submit(app, client, login_as, alumni, db):
    """Five mistakes, one submit: each message stands next to its field, in Indonesian, and nothing is written."""
    login_as("facilitator")
    mistakes = {
        "survey_date": (TODAY + timedelta(days=1)).isoformat(),
        "business_name": "",
        "nib": "812000012345",
        "kbli": "C1079",
        "workers": "banyak",
        "monthly_revenue": "-100",
    }

    text = _page(client.post(f"/tracer/tpl/{alumni['tpl'].id}/new", data=_form(**mistakes)))

    for message in (
        "The survey date cannot be in the future.",
        "Give the name of the business.",
        "The NIB has exactly 13 digits.",
        "The KBLI code has exactly 5 digits.",
        "The monthly revenue cannot be negative or implausibly large.",
    ):
        assert _message(app, message) in text
    assert text.count("invalid-feedback") >= 6  # the workers' type error too
    assert _count(db, OutcomeSurvey) == 0
    assert _count(db, AuditEntry, AuditEntry.action == "survey_recorded") == 0


def test_editing_a_survey_names_the_rule_problems_beside_a_type_error(app, client, login_as, alumni, db):
    survey = _survey(db, alumni)
    login_as("supervisor")

    text = _page(client.post(f"/tracer/{survey.id}/edit", data=_form(workers="banyak", nib="123")))

    assert _message(app, "The NIB has exactly 13 digits.") in text
    assert text.count("invalid-feedback") >= 2
    db.session.expire_all()
    assert survey.nib == "8120000123456"


def test_survey_form_refuses_a_second_survey_on_the_same_date(app, client, login_as, alumni, db):
    _survey(db, alumni)
    login_as("supervisor")
    response = client.post(f"/tracer/tpl/{alumni['tpl'].id}/new", data=_form(status="studi"))
    assert response.status_code == 200
    assert _message(
        app,
        "This TPL already has a survey dated %(date)s: edit that one instead.",
        date=SURVEY_DATE.strftime("%d/%m/%Y"),
    ) in _page(response)
    assert _count(db, OutcomeSurvey) == 1


def test_survey_form_refuses_a_region_outside_the_list(client, login_as, alumni, db):
    login_as("facilitator")
    response = client.post(f"/tracer/tpl/{alumni['tpl'].id}/new", data=_form(business_region_code="82"))
    assert response.status_code == 200
    assert _count(db, OutcomeSurvey) == 0


def test_due_rounds_are_shown(app, client, login_as, alumni):
    login_as("facilitator")
    html = _page(client.get(f"/tracer/tpl/{alumni['tpl'].id}"))
    for months in (6, 12, 24):
        assert _message(app, "%(n)d months after the exit date", n=months) in html


def test_links_from_the_menu_and_the_profile(app, client, login_as, world):
    login_as("supervisor")
    html = _page(client.get(f"/tpl/{world['tpl'].id}"))
    assert 'href="/tracer/"' in html
    assert f'href="/tracer/tpl/{world["tpl"].id}"' in html


def test_an_imported_survey_says_so_and_any_checker_in_scope_verifies_it(app, client, login_as, alumni, db):
    survey = _survey(db, alumni, recorded_by_id=None)  # as the importer leaves it
    login_as("supervisor")
    listing = _page(client.get(f"/tracer/tpl/{alumni['tpl'].id}"))
    with app.test_request_context():
        from tpl_tracker.formatting import stamp

        when = stamp(survey.created_at)
    text = "Imported on %(date)s from a workbook (recorded outside the app)"
    assert _message(app, text, date=when) in listing
    assert f'action="/tracer/{survey.id}/verify"' in listing
    assert _message(app, "Imported") in _page(client.get("/tracer/"))


# --- an unbiased survey, rounds that are missed, the IKM registry (issue 13, item 6) ---------------------------


def test_the_survey_asks_the_alumnus_and_preselects_no_answer(app, client, login_as, alumni, db):
    login_as("facilitator")
    html = _page(client.get(f"/tracer/tpl/{alumni['tpl'].id}/new"))
    radios = re.findall(r'<input[^>]*name="status"[^>]*>', html)
    assert len(radios) == 6 and not any(re.search(r"\bchecked\b", r) for r in radios)
    assert "<select" not in html.split('name="status"')[0].rsplit("<fieldset", 1)[-1]
    for question in ("What are you doing now?", "What is your business called?", "How many people work in it?"):
        assert _message(app, question) in html
    assert "Apa kegiatan Anda saat ini?" in html  # the default language speaks to the alumnus


def test_a_survey_without_an_answer_is_refused_in_indonesian_beside_other_mistakes(app, client, login_as, alumni, db):
    login_as("facilitator")
    data = _form(survey_date=(TODAY + timedelta(days=1)).isoformat())
    del data["status"]

    text = _page(client.post(f"/tracer/tpl/{alumni['tpl'].id}/new", data=data))

    assert "Pilih salah satu jawaban: apa kegiatan Anda saat ini?" in text
    assert _message(app, "Choose one answer: what are you doing now?") in text
    assert _message(app, "The survey date cannot be in the future.") in text  # all problems at once
    assert _count(db, OutcomeSurvey) == 0


def test_editing_keeps_the_recorded_answer_checked(client, login_as, alumni, db):
    survey = _survey(db, alumni, status="studi", business_name=None, nib=None, kbli=None, workers=None)
    login_as("supervisor")
    html = _page(client.get(f"/tracer/{survey.id}/edit"))
    (checked,) = [r for r in re.findall(r'<input[^>]*name="status"[^>]*>', html) if re.search(r"\bchecked\b", r)]
    assert 'value="studi"' in checked


def test_a_round_not_filled_in_when_the_next_opens_shows_as_missed(app, client, login_as, alumni, db):
    """Exit 400 days ago: the 6-month round closed unanswered when the 12-month window opened (45 days before it)."""
    contract = alumni["contract"]
    contract.end_date = TODAY - timedelta(days=400)
    contract.start_date = contract.end_date - timedelta(days=364)
    db.session.commit()
    login_as("facilitator")
    html = _page(client.get(f"/tracer/tpl/{alumni['tpl'].id}"))
    assert "Terlewat" in html and html.count(_message(app, "Missed")) == 1
    assert html.count(">" + _message(app, "Upcoming") + "<") == 1  # 24 months
    assert html.count(">" + _message(app, "Due") + "<") == 1  # 12 months: its window is open


def test_a_non_manufacturing_business_is_not_offered_to_the_registry(app, client, login_as, alumni, db):
    survey = _survey(db, alumni, kbli="56303", verification="verified", verified_by_id=alumni["evaluator"].id)
    login_as("supervisor")
    html = _page(client.get(f"/tracer/tpl/{alumni['tpl'].id}"))
    assert f'action="/tracer/{survey.id}/business"' not in html
    assert (
        _message(
            app,
            "Not a manufacturing business (KBLI %(kbli)s): it stays out of the IKM registry; "
            "for the WUB figures any business counts.",
            kbli="56303",
        )
        in html
    )

    response = client.post(f"/tracer/{survey.id}/business", follow_redirects=True)

    assert "Hanya usaha industri pengolahan" in _page(response)
    assert _count(db, Business) == 0
