"""Tracer surveys: who may record them and when, the rules of a survey, verification, due dates,
and the one step from a verified new business to the business registry."""

from dataclasses import replace
from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from tpl_tracker.models import AuditEntry, Business, OutcomeSurvey
from tpl_tracker.services.businesses import is_manufacturing, normalize_name
from tpl_tracker.services.metric import compute_figures
from tpl_tracker.services.outcomes import (
    SurveyData,
    add_business_from_survey,
    add_months,
    due_surveys,
    record_survey,
    update_survey,
    verify_survey,
)
from tpl_tracker.services.policy import can_verify_survey

from ..clock import YEAR, dmy, on
from ..conftest import refused_use_case, ui_message
from ..factories import ContractFactory, FacilitatorFactory

EXIT = on(12, 31, years=-1)
TODAY = on(9, 1)


def _end_of_february(years: int = 0) -> date:
    """The last day of February of the tests' year (the 29th in a leap year)."""
    return on(3, 1, years) - timedelta(days=1)


def _count(db, model, *where) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model).where(*where))


def _audit(db, action: str) -> list[AuditEntry]:
    return list(db.session.scalars(sa.select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id)))


@pytest.fixture
def alumni(world, db):
    """The world, with tpl's contract over (exit date 31 December of the year before): tpl is an alumnus."""
    world["contract"].start_date = on(1, 1, years=-1)
    world["contract"].end_date = EXIT
    world["contract"].status = "completed"
    db.session.commit()
    return world


@pytest.fixture
def business():
    """A TPL's answer: they run a new food business."""
    return SurveyData(
        survey_date=on(7, 1),
        status="wirausaha",
        business_name="Sagu Lempeng  Ternate",
        founded_date=on(2, 1),
        nib="8120000123456",
        kbli="10792",
        workers=3,
        monthly_revenue=4_500_000,
        business_region_code="82.71",
    )


def _survey(actor, world, data, **overrides):
    return record_survey(actor, world["tpl"], replace(data, **overrides), today=TODAY)


# --- recording ------------------------------------------------------------------------------


def test_tpl_records_own_survey_after_exit(db, alumni, business):
    survey = _survey(alumni["facilitator"], alumni, business)

    saved = db.session.get(OutcomeSurvey, survey.id)
    assert saved.facilitator_id == alumni["tpl"].id
    assert saved.recorded_by_id == alumni["facilitator"].id
    assert saved.verification == "unverified" and saved.verified_by_id is None
    assert saved.business_name == "Sagu Lempeng Ternate"  # whitespace collapsed
    assert (saved.nib, saved.kbli, saved.workers, saved.monthly_revenue) == ("8120000123456", "10792", 3, 4_500_000)
    (entry,) = _audit(db, "survey_recorded")
    assert entry.actor_id == alumni["facilitator"].id
    assert entry.entity_type == "outcome_surveys" and entry.entity_id == str(survey.id)
    assert entry.after["status"] == "wirausaha" and entry.after["nib"] == "8120000123456"


def test_supervisor_records_on_behalf_and_is_named_as_recorder(db, alumni, business):
    survey = _survey(alumni["supervisor"], alumni, business, status="bekerja")
    assert db.session.get(OutcomeSurvey, survey.id).recorded_by_id == alumni["supervisor"].id


def test_evaluator_records_on_behalf(db, alumni, business):
    survey = _survey(alumni["evaluator"], alumni, business)
    assert survey.recorded_by_id == alumni["evaluator"].id


def test_supervisor_may_record_an_exit_interview_before_the_exit_date(db, world, business):
    survey = record_survey(world["supervisor"], world["tpl"], replace(business, survey_date=on(6, 1)), today=TODAY)
    assert survey.id is not None


@pytest.mark.parametrize("survey_date", [on(6, 1), on(12, 31)], ids=["during", "on-exit-date"])
def test_tpl_cannot_fill_in_a_survey_before_the_contract_ends(app, db, world, business, survey_date):
    with refused_use_case() as refused:
        record_survey(
            world["facilitator"], world["tpl"], replace(business, survey_date=survey_date), today=on(2, 1, years=1)
        )
    assert refused.value.message == ui_message(app, "Tracer surveys start after your last contract ends.")
    assert refused.value.field == "survey_date"
    db.session.rollback()
    assert _count(db, OutcomeSurvey) == 0
    assert _count(db, AuditEntry) == 0


def test_tpl_on_the_exit_date_is_refused_even_as_alumnus(app, db, alumni, business):
    with refused_use_case() as refused:
        _survey(alumni["facilitator"], alumni, business, survey_date=EXIT)
    assert ui_message(app, "Tracer surveys start after your last contract ends.") in [
        error.message for error in refused.value.errors
    ]  # the business, founded after EXIT, is named too


@pytest.mark.parametrize("who", ["facilitator2", "admin", "supervisor2"])
def test_others_cannot_record_for_a_tpl(db, alumni, business, who):
    with refused_use_case():
        _survey(alumni[who], alumni, business)
    db.session.rollback()
    assert _count(db, OutcomeSurvey) == 0


@pytest.mark.parametrize(
    "change, field, message",
    [
        ({"survey_date": on(9, 2)}, "survey_date", "The survey date cannot be in the future."),
        ({"status": "pensiun"}, "status", "Choose one answer: what are you doing now?"),
        ({"business_name": "  "}, "business_name", "Give the name of the business."),
        ({"business_name": None}, "business_name", "Give the name of the business."),
        ({"business_name": "x" * 161}, "business_name", "The business name may have at most 160 characters."),
        ({"founded_date": on(7, 2)}, "founded_date", "The business cannot be founded after the survey date."),
        ({"nib": "812000012345"}, "nib", "The NIB has exactly 13 digits."),
        ({"nib": "81200001234567"}, "nib", "The NIB has exactly 13 digits."),
        ({"nib": "812000012345A"}, "nib", "The NIB has exactly 13 digits."),
        ({"kbli": "1079"}, "kbli", "The KBLI code has exactly 5 digits."),
        ({"kbli": "C1079"}, "kbli", "The KBLI code has exactly 5 digits."),
        ({"workers": -1}, "workers", "The number of workers cannot be negative or implausibly large."),
        ({"monthly_revenue": -1}, "monthly_revenue", "The monthly revenue cannot be negative or implausibly large."),
        ({"business_region_code": "82"}, "business_region_code", "Choose a kabupaten/kota for the business."),
        ({"business_region_code": "99.99"}, "business_region_code", "Choose a kabupaten/kota for the business."),
    ],
    ids=[
        "future",
        "status",
        "blank-name",
        "no-name",
        "long-name",
        "founded-after-survey",
        "nib-12",
        "nib-14",
        "nib-letter",
        "kbli-4",
        "kbli-letter",
        "workers-negative",
        "revenue-negative",
        "region-province",
        "region-unknown",
    ],
)
def test_bad_survey_is_refused_and_writes_nothing(app, db, alumni, business, change, field, message):
    with refused_use_case() as refused:
        _survey(alumni["facilitator"], alumni, business, **change)
    assert refused.value.field == field
    assert refused.value.message == ui_message(app, message)
    db.session.rollback()
    assert _count(db, OutcomeSurvey) == 0
    assert _count(db, AuditEntry) == 0


def test_one_survey_per_date_per_tpl(app, db, alumni, business):
    _survey(alumni["facilitator"], alumni, business)
    with refused_use_case() as refused:
        _survey(alumni["supervisor"], alumni, business, status="bekerja")
    assert refused.value.field == "survey_date"
    assert refused.value.message == ui_message(
        app, "This TPL already has a survey dated %(date)s: edit that one instead.", date=dmy(7, 1)
    )
    db.session.rollback()
    assert _count(db, OutcomeSurvey) == 1
    assert len(_audit(db, "survey_recorded")) == 1


def test_another_tpl_may_have_a_survey_on_the_same_date(db, alumni, business):
    _survey(alumni["facilitator"], alumni, business)
    record_survey(alumni["evaluator"], alumni["tpl2"], replace(business, status="studi"), today=TODAY)
    assert _count(db, OutcomeSurvey) == 2


def test_codes_are_accepted_with_spaces_and_any_kbli_category(db, alumni, business):
    survey = _survey(alumni["facilitator"], alumni, business, nib=" 8120 0001 23456 ", kbli="47111")
    assert survey.nib == "8120000123456"
    assert survey.kbli == "47111"  # retail, not manufacturing: only the form is checked


def test_business_details_other_than_the_name_are_optional(db, alumni):
    survey = record_survey(
        alumni["facilitator"],
        alumni["tpl"],
        SurveyData(survey_date=on(7, 1), status="wirausaha", business_name="Kopi Dabe"),
        today=TODAY,
    )
    assert survey.nib is None and survey.kbli is None and survey.workers is None


def test_founded_on_the_survey_date_is_fine(db, alumni, business):
    assert _survey(alumni["facilitator"], alumni, business, founded_date=on(7, 1)).id


def test_non_wirausaha_survey_clears_the_business_fields(db, alumni, business):
    survey = _survey(alumni["facilitator"], alumni, business, status="bekerja", nib="bad")
    saved = db.session.get(OutcomeSurvey, survey.id)
    assert saved.status == "bekerja"
    assert [
        saved.business_name,
        saved.founded_date,
        saved.nib,
        saved.kbli,
        saved.workers,
        saved.monthly_revenue,
        saved.business_region_code,
    ] == [None] * 7


# --- editing --------------------------------------------------------------------------------


def test_editing_a_verified_survey_sends_it_back_to_unverified(db, alumni, business):
    survey = _survey(alumni["facilitator"], alumni, business)
    verify_survey(alumni["supervisor"], survey, "verified", "NIB checked in OSS")

    update_survey(alumni["facilitator"], survey, replace(business, workers=5), today=TODAY)

    saved = db.session.get(OutcomeSurvey, survey.id)
    assert saved.workers == 5
    assert saved.verification == "unverified"
    assert saved.verified_by_id is None and saved.verified_at is None and saved.verification_note is None
    assert saved.recorded_by_id == alumni["facilitator"].id  # who first typed it in stays
    (entry,) = _audit(db, "survey_updated")
    assert entry.actor_id == alumni["facilitator"].id
    assert entry.before["workers"] == 3 and entry.after["workers"] == 5
    assert entry.before["verification"] == "verified" and entry.after["verification"] == "unverified"


def test_editing_a_rejected_survey_sends_it_back_to_unverified(db, alumni, business):
    survey = _survey(alumni["facilitator"], alumni, business)
    verify_survey(alumni["evaluator"], survey, "rejected", "NIB not found in OSS")
    update_survey(alumni["facilitator"], survey, replace(business, nib="8120000654321"), today=TODAY)
    assert db.session.get(OutcomeSurvey, survey.id).verification == "unverified"


def test_saving_an_unchanged_survey_keeps_its_verification(db, alumni, business):
    survey = _survey(alumni["facilitator"], alumni, business)
    verify_survey(alumni["supervisor"], survey, "verified", None)
    update_survey(alumni["facilitator"], survey, business, today=TODAY)
    assert db.session.get(OutcomeSurvey, survey.id).verification == "verified"
    assert _audit(db, "survey_updated") == []


def test_refused_edit_changes_nothing(db, alumni, business):
    survey = _survey(alumni["facilitator"], alumni, business)
    verify_survey(alumni["supervisor"], survey, "verified", None)
    with refused_use_case():
        update_survey(alumni["facilitator"], survey, replace(business, nib="123"), today=TODAY)
    db.session.rollback()
    saved = db.session.get(OutcomeSurvey, survey.id)
    assert saved.nib == "8120000123456" and saved.verification == "verified"
    assert _audit(db, "survey_updated") == []


def test_edit_may_not_move_onto_another_surveys_date(db, alumni, business):
    _survey(alumni["facilitator"], alumni, business)
    second = _survey(alumni["facilitator"], alumni, business, survey_date=on(8, 1))
    with refused_use_case() as refused:
        update_survey(alumni["facilitator"], second, business, today=TODAY)
    assert refused.value.field == "survey_date"


def test_edit_to_non_wirausaha_clears_business_and_registry_link(db, alumni, business):
    survey = _survey(alumni["facilitator"], alumni, business)
    verify_survey(alumni["supervisor"], survey, "verified", None)
    add_business_from_survey(alumni["supervisor"], survey)
    update_survey(alumni["facilitator"], survey, replace(business, status="bekerja"), today=TODAY)
    saved = db.session.get(OutcomeSurvey, survey.id)
    assert saved.business_name is None and saved.business_id is None
    assert _count(db, Business) == 1  # the registry keeps the business


def test_only_the_owner_tpl_edits_their_survey(db, alumni, business):
    survey = _survey(alumni["supervisor"], alumni, business)
    with refused_use_case():
        update_survey(alumni["facilitator2"], survey, replace(business, workers=9), today=TODAY)


# --- verification ---------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["supervisor", "evaluator"])
def test_supervisor_or_evaluator_verifies_with_a_note(db, alumni, business, who):
    survey = _survey(alumni["facilitator"], alumni, business)
    verify_survey(alumni[who], survey, "verified", "  NIB checked in OSS ")

    saved = db.session.get(OutcomeSurvey, survey.id)
    assert saved.verification == "verified"
    assert saved.verification_note == "NIB checked in OSS"
    assert saved.verified_by_id == alumni[who].id and saved.verified_at is not None
    (entry,) = _audit(db, "survey_verified")
    assert entry.actor_id == alumni[who].id
    assert entry.before["verification"] == "unverified" and entry.after["verification"] == "verified"


@pytest.mark.parametrize("who,other", [("supervisor", "evaluator"), ("evaluator", "supervisor")])
def test_four_eyes_the_recorder_does_not_verify_their_own_survey(app, db, alumni, business, who, other):
    survey = _survey(alumni[who], alumni, business)
    assert not can_verify_survey(alumni[who], survey) and can_verify_survey(alumni[other], survey)
    for verification, note in (("verified", "NIB checked in OSS"), ("rejected", "Not found")):
        with refused_use_case() as refused:
            verify_survey(alumni[who], survey, verification, note)
        assert refused.value.message == ui_message(
            app, "You recorded or changed this survey yourself: another supervisor or an evaluator must check it."
        )
    saved = db.session.get(OutcomeSurvey, survey.id)
    assert saved.verification == "unverified" and saved.verified_by_id is None
    assert _audit(db, "survey_verified") == [] and _audit(db, "survey_rejected") == []

    verify_survey(alumni[other], survey, "verified", "NIB checked in OSS")
    assert db.session.get(OutcomeSurvey, survey.id).verified_by_id == alumni[other].id


def test_four_eyes_whoever_changed_the_answers_does_not_verify_them(db, alumni, business):
    survey = _survey(alumni["facilitator"], alumni, business, status="bekerja")
    assert can_verify_survey(alumni["evaluator"], survey)  # the alumnus's own survey: anyone in scope checks it
    update_survey(alumni["evaluator"], survey, business, today=TODAY)  # now a business, typed by the evaluator
    assert not can_verify_survey(alumni["evaluator"], survey)
    with refused_use_case():
        verify_survey(alumni["evaluator"], survey, "verified", None)
    assert db.session.get(OutcomeSurvey, survey.id).verification == "unverified"
    verify_survey(alumni["supervisor"], survey, "verified", None)
    assert db.session.get(OutcomeSurvey, survey.id).verification == "verified"


def test_verification_without_a_note_is_fine(db, alumni, business):
    survey = _survey(alumni["facilitator"], alumni, business)
    verify_survey(alumni["evaluator"], survey, "verified", "")
    assert db.session.get(OutcomeSurvey, survey.id).verification_note is None


def test_rejection_needs_a_note(db, alumni, business):
    survey = _survey(alumni["facilitator"], alumni, business)
    with refused_use_case() as refused:
        verify_survey(alumni["supervisor"], survey, "rejected", "   ")
    assert refused.value.field == "note"
    db.session.rollback()
    assert db.session.get(OutcomeSurvey, survey.id).verification == "unverified"
    assert _audit(db, "survey_rejected") == []

    verify_survey(alumni["supervisor"], survey, "rejected", "NIB belongs to another business")
    saved = db.session.get(OutcomeSurvey, survey.id)
    assert saved.verification == "rejected" and saved.verification_note == "NIB belongs to another business"
    assert len(_audit(db, "survey_rejected")) == 1


@pytest.mark.parametrize("verification", ["unverified", "approved", ""])
def test_verification_must_be_verified_or_rejected(db, alumni, business, verification):
    survey = _survey(alumni["facilitator"], alumni, business)
    with refused_use_case() as refused:
        verify_survey(alumni["supervisor"], survey, verification, "x")
    assert refused.value.field == "verification"


@pytest.mark.parametrize("who", ["facilitator", "admin", "supervisor2"])
def test_tpl_admin_and_out_of_scope_supervisor_cannot_verify(db, alumni, business, who):
    survey = _survey(alumni["facilitator"], alumni, business)
    with refused_use_case():
        verify_survey(alumni[who], survey, "verified", None)
    db.session.rollback()
    assert db.session.get(OutcomeSurvey, survey.id).verification == "unverified"


# --- from survey to business registry -------------------------------------------------------


def _verified(db, world, data, **overrides):
    survey = _survey(world["facilitator"], world, data, **overrides)
    verify_survey(world["supervisor"], survey, "verified", "NIB checked in OSS")
    return survey


def test_add_business_creates_it_once_and_links_the_founder(app, db, alumni, business):
    survey = _verified(db, alumni, business)

    created = add_business_from_survey(alumni["evaluator"], survey)

    saved = db.session.get(Business, created.id)
    assert saved.name == "Sagu Lempeng Ternate"
    assert saved.normalized_name == "sagu lempeng ternate"
    assert saved.owner_name == alumni["tpl"].full_name
    assert saved.founder_id == alumni["tpl"].id
    assert (saved.region_code, saved.kbli, saved.nib, saved.workers) == ("82.71", "10792", "8120000123456", 3)
    assert saved.size_class == "mikro"
    assert saved.year_founded == YEAR
    assert saved.created_by_id == alumni["evaluator"].id
    assert db.session.get(OutcomeSurvey, survey.id).business_id == saved.id
    assert len(_audit(db, "business_created")) == 1
    (link,) = _audit(db, "survey_business_linked")
    assert link.before["business_id"] is None and link.after["business_id"] == saved.id

    with refused_use_case() as refused:
        add_business_from_survey(alumni["evaluator"], survey)
    assert refused.value.message == ui_message(app, "This business is already in the registry.")
    db.session.rollback()
    assert _count(db, Business) == 1


def test_add_business_without_workers_counts_zero(db, alumni, business):
    survey = _verified(db, alumni, business, workers=None)
    assert add_business_from_survey(alumni["supervisor"], survey).workers == 0


def _existing(db, **values):
    row = {
        "name": "UD Sagu Maju",
        "normalized_name": "ud sagu maju",
        "owner_name": "Hasan",
        "region_code": "82.71",
        "kbli": "10792",
        "nib": None,
        "workers": 2,
    }
    row.update(values)
    business = Business(**row)
    db.session.add(business)
    db.session.commit()
    return business


def test_add_business_links_to_the_registered_one_with_the_same_nib(db, alumni, business):
    existing = _existing(db, nib="8120000123456")
    survey = _verified(db, alumni, business)

    linked = add_business_from_survey(alumni["supervisor"], survey)

    assert linked.id == existing.id
    assert _count(db, Business) == 1
    assert db.session.get(OutcomeSurvey, survey.id).business_id == existing.id
    assert _audit(db, "business_created") == []
    assert len(_audit(db, "survey_business_linked")) == 1


def test_add_business_links_to_the_same_name_in_the_same_region(db, alumni, business):
    existing = _existing(db, name="Sagu Lempeng Ternate", normalized_name="sagu lempeng ternate")
    survey = _verified(db, alumni, business, business_name="SAGU  lempeng ternate")
    assert add_business_from_survey(alumni["supervisor"], survey).id == existing.id
    assert _count(db, Business) == 1


def test_same_name_in_another_region_is_another_business(db, alumni, business):
    _existing(db, name="Sagu Lempeng Ternate", normalized_name="sagu lempeng ternate", region_code="82.72")
    survey = _verified(db, alumni, business)
    add_business_from_survey(alumni["supervisor"], survey)
    assert _count(db, Business) == 2


def test_same_name_and_region_but_another_nib_is_refused(db, alumni, business):
    _existing(db, name="Sagu Lempeng Ternate", normalized_name="sagu lempeng ternate", nib="8120000999999")
    survey = _verified(db, alumni, business)
    with refused_use_case(match="8120000999999"):
        add_business_from_survey(alumni["supervisor"], survey)
    db.session.rollback()
    assert _count(db, Business) == 1
    assert db.session.get(OutcomeSurvey, survey.id).business_id is None


def test_only_verified_wirausaha_surveys_go_to_the_registry(app, db, alumni, business):
    message = ui_message(app, "Only a verified survey of a running business can be added to the registry.")
    unverified = _survey(alumni["facilitator"], alumni, business)
    with refused_use_case() as refused:
        add_business_from_survey(alumni["supervisor"], unverified)
    assert refused.value.message == message
    employed = _verified(db, alumni, business, survey_date=on(8, 1), status="bekerja")
    with refused_use_case() as refused:
        add_business_from_survey(alumni["supervisor"], employed)
    assert refused.value.message == message
    db.session.rollback()
    assert _count(db, Business) == 0


def test_only_a_manufacturing_business_enters_the_ikm_registry(app, db, alumni, business):
    """A verified coffee shop (KBLI 56303, not manufacturing) stays out of the registry (DESIGN.md, Decisions) and
    still qualifies for the WUB metric; divisions 10 and 33 are the edges of manufacturing."""
    cafe = _verified(db, alumni, business, kbli="56303", business_name="Kedai Kopi Gamalama")
    with refused_use_case() as refused:
        add_business_from_survey(alumni["supervisor"], cafe)
    assert refused.value.field == "kbli"
    assert refused.value.message == ui_message(
        app,
        "Only a manufacturing business (KBLI divisions 10 to 33) enters the IKM registry; "
        "for the WUB figures any business counts.",
    )
    assert _count(db, Business) == 0 and db.session.get(OutcomeSurvey, cafe.id).business_id is None
    assert compute_figures(on(9, 1))[0].wub == 1  # it still counts for the metric
    repair = _verified(db, alumni, business, kbli="33121", survey_date=on(8, 1), business_name="Bengkel Las Ternate")
    assert add_business_from_survey(alumni["supervisor"], repair).kbli == "33121"


def test_is_manufacturing_is_kbli_divisions_10_to_33():
    assert [is_manufacturing(code) for code in ("09900", "10792", "33121", "35101", "56303", None, "")] == [
        False,
        True,
        True,
        False,
        False,
        False,
        False,
    ]


def test_registry_needs_the_kbli_and_region(db, alumni, business):
    survey = _verified(db, alumni, business, kbli=None)
    with refused_use_case() as refused:
        add_business_from_survey(alumni["supervisor"], survey)
    assert refused.value.field == "kbli"
    survey = _verified(db, alumni, business, survey_date=on(8, 1), business_region_code=None)
    with refused_use_case() as refused:
        add_business_from_survey(alumni["supervisor"], survey)
    assert refused.value.field == "business_region_code"
    db.session.rollback()
    assert _count(db, Business) == 0


@pytest.mark.parametrize("who", ["facilitator", "admin", "supervisor2"])
def test_only_verifiers_add_businesses(db, alumni, business, who):
    survey = _verified(db, alumni, business)
    with refused_use_case():
        add_business_from_survey(alumni[who], survey)
    db.session.rollback()
    assert _count(db, Business) == 0


def test_the_registry_and_the_surveys_share_one_name_normalisation():
    """A survey's "CV. Sagu Lempeng" finds the registered "Sagu  Lempeng" (one rule, services.businesses)."""
    assert normalize_name("CV. Sagu\tLempeng   TERNATE ") == normalize_name("sagu lempeng ternate")


# --- due dates ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "start, months, expected",
    [
        (on(12, 31, years=-1), 6, on(6, 30)),
        (on(8, 31, years=-1), 6, _end_of_february()),
        (date(2023, 8, 31), 6, date(2024, 2, 29)),  # a leap year's February: a calendar fact, no clock
        (on(12, 31, years=-1), 12, on(12, 31)),
        (on(7, 15, years=-1), 24, on(7, 15, years=1)),
        (on(11, 30, years=-1), 3, _end_of_february()),
    ],
)
def test_add_months_uses_calendar_months(start, months, expected):
    assert add_months(start, months) == expected


def _plain(rounds):
    return [(r.months, r.due, r.answer.id if r.answer else None) for r in rounds]


def test_due_surveys_at_6_12_and_24_months_after_exit(db, alumni, business):
    rounds = due_surveys(alumni["tpl"], TODAY)
    assert _plain(rounds) == [(6, on(6, 30), None), (12, on(12, 31), None), (24, on(12, 31, years=1), None)]


def test_a_survey_answers_the_round_whose_window_holds_it(db, alumni, business):
    early = _survey(alumni["supervisor"], alumni, business, survey_date=on(5, 20))  # 41 days early
    rounds = due_surveys(alumni["tpl"], TODAY)
    assert _plain(rounds) == [(6, on(6, 30), early.id), (12, on(12, 31), None), (24, on(12, 31, years=1), None)]


def test_surveys_outside_the_windows_or_not_counted_answer_nothing(db, alumni, business):
    _survey(alumni["supervisor"], alumni, business, survey_date=on(5, 15))  # 46 days early
    _survey(alumni["supervisor"], alumni, business, survey_date=EXIT, status="studi")  # exit interview: never counts
    record_survey(
        alumni["supervisor"], alumni["tpl"], replace(business, survey_date=on(1, 5, years=1)), today=on(2, 1, years=1)
    )  # after the as-of date below
    assert [r.answer for r in due_surveys(alumni["tpl"], TODAY)] == [None, None, None]


def test_each_round_takes_its_earliest_survey(db, alumni, business):
    first = _survey(alumni["supervisor"], alumni, business, survey_date=on(7, 1))
    _survey(alumni["supervisor"], alumni, business, survey_date=on(8, 1))
    today = on(6, 1, years=2)
    late = record_survey(
        alumni["supervisor"], alumni["tpl"], replace(business, survey_date=on(3, 1, years=2)), today=today
    )
    assert _plain(due_surveys(alumni["tpl"], today)) == [
        (6, on(6, 30), first.id),
        (12, on(12, 31), None),
        (24, on(12, 31, years=1), late.id),
    ]


def test_a_survey_early_for_the_next_round_answers_only_that_round(db, alumni, business):
    # 10 days before the 12-month due date: the 12-month survey taken early, the 6-month one was missed.
    survey = record_survey(
        alumni["supervisor"], alumni["tpl"], replace(business, survey_date=on(12, 21)), today=on(1, 15, years=1)
    )
    assert _plain(due_surveys(alumni["tpl"], on(1, 15, years=1))) == [
        (6, on(6, 30), None),
        (12, on(12, 31), survey.id),
        (24, on(12, 31, years=1), None),
    ]


def test_an_unanswered_round_is_missed_once_the_next_round_opens_not_due_forever(db, alumni):
    """The 6-month round (due 30 June) closes when the 12-month window opens, 45 days before 31 December."""
    twelve_opens = on(12, 31) - timedelta(days=45)
    states = {
        day: [r.state(day) for r in due_surveys(alumni["tpl"], day)]
        for day in (on(6, 29), on(6, 30), twelve_opens - timedelta(days=1), twelve_opens, on(12, 31))
    }
    assert states == {
        on(6, 29): ["upcoming", "upcoming", "upcoming"],
        on(6, 30): ["due", "upcoming", "upcoming"],
        twelve_opens - timedelta(days=1): ["due", "upcoming", "upcoming"],
        twelve_opens: ["missed", "upcoming", "upcoming"],
        on(12, 31): ["missed", "due", "upcoming"],
    }
    assert due_surveys(alumni["tpl"], TODAY)[0].last_day == twelve_opens - timedelta(days=1)


def test_the_last_round_is_missed_as_long_after_its_due_date_as_the_gap_before_it(db, alumni, business):
    """24 months after 12: the 24-month round (due 31 December next year) closes as a 36-month one would open."""
    closes = on(12, 31, years=2) - timedelta(days=45)
    last = due_surveys(alumni["tpl"], closes)[-1]
    assert (last.months, last.closes, last.state(closes - timedelta(days=1)), last.state(closes)) == (
        24,
        closes,
        "due",
        "missed",
    )
    # A survey after it closed answers no round (it still counts for the WUB figures).
    record_survey(alumni["supervisor"], alumni["tpl"], replace(business, survey_date=closes), today=closes)
    assert [r.state(closes) for r in due_surveys(alumni["tpl"], closes)] == ["missed", "missed", "missed"]


def test_an_answered_round_stays_answered(db, alumni, business):
    _survey(alumni["supervisor"], alumni, business, survey_date=on(7, 1))
    later = on(6, 1, years=3)
    assert [r.state(later) for r in due_surveys(alumni["tpl"], later)] == ["answered", "missed", "missed"]


def test_due_months_come_from_the_configuration(app, db, alumni, monkeypatch):
    monkeypatch.setitem(app.config, "TRACER_MONTHS", (36, 3))
    assert [(r.months, r.due) for r in due_surveys(alumni["tpl"], TODAY)] == [(3, on(3, 31)), (36, on(12, 31, years=2))]


def test_due_dates_follow_an_early_termination(db, alumni):
    contract = alumni["contract"]
    contract.status = "terminated"
    contract.terminated_on = on(8, 31, years=-1)
    contract.termination_reason = "Resigned"
    db.session.commit()
    assert due_surveys(alumni["tpl"], TODAY)[0][1] == _end_of_february()


def test_no_contract_no_due_dates(db):
    assert due_surveys(FacilitatorFactory(), TODAY) == []


def test_the_latest_contract_sets_the_exit_date(db, alumni):
    ContractFactory(facilitator=alumni["tpl"], start_date=on(1, 1), end_date=on(3, 31))
    db.session.refresh(alumni["tpl"])
    assert due_surveys(alumni["tpl"], TODAY)[0][1] == on(9, 30)


def test_every_problem_of_a_verdict_is_named_at_once(app, db, alumni, business):
    survey = _survey(alumni["facilitator"], alumni, business)
    entries = _count(db, AuditEntry)
    with refused_use_case() as refused:
        verify_survey(alumni["supervisor"], survey, "approved", "x" * 501)
    assert [(e.field, e.message) for e in refused.value.errors] == [
        ("verification", ui_message(app, "Choose verified or rejected.")),
        ("note", ui_message(app, "The note may have at most 500 characters.")),
    ]
    saved = db.session.get(OutcomeSurvey, survey.id)
    assert saved.verification == "unverified" and saved.verification_note is None
    assert _count(db, AuditEntry) == entries
