"""Business, mentorship-request and assessment services without HTTP."""

import pytest
import sqlalchemy as sa

from tpl_tracker.models import (
    Assessment,
    AuditEntry,
    Business,
    Mentorship,
    MentorshipRequest,
)
from tpl_tracker.services import assessments as assessment_service
from tpl_tracker.services import businesses as service
from tpl_tracker.services import policy
from tpl_tracker.services.regions import child_choices, is_child_region, region_children

from ..clock import on
from ..conftest import refused_use_case, ui_message

TOO_LONG = "%(label)s is too long (at most %(max)d characters)."


def _data(**changes) -> service.BusinessData:
    values = {
        "name": "Kue Bagea Ternate",
        "owner_name": "Ibu Salma",
        "region_code": "82.71",
        "kecamatan_code": "82.71.01",
        "desa_code": "82.71.01.1001",
        "kbli": "10710",
        "nib": "8120000999999",
        "workers": 4,
    }
    values.update(changes)
    return service.BusinessData(**values)


@pytest.mark.parametrize(
    "name,expected",
    [
        ("Sagu Lestari", "sagu lestari"),
        ("  UD.  Sagu   Lestari! ", "sagu lestari"),
        ("CV Sagu-Lestari", "sagu lestari"),
        ("PT. IKM Toko Sagu", "sagu"),
        ("Toko", "toko"),  # a name that is only a prefix keeps it
        ("Kopi_Jahe", "kopi jahe"),
    ],
)
def test_normalize_name(name, expected):
    assert service.normalize_name(name) == expected


@pytest.mark.parametrize(
    "kbli,ok",
    [
        ("10792", True),
        ("33120", True),
        (" 10.792 ", True),
        ("1234", False),
        ("99999", False),
        ("09100", False),
        ("34000", False),
        ("abcde", False),
    ],
)
def test_check_kbli(kbli, ok):
    if ok:
        assert service.check_kbli(kbli) == kbli.strip().replace(".", "")
    else:
        with refused_use_case() as error:
            service.check_kbli(kbli)
        assert error.value.field == "kbli"


def test_region_helpers(app, db):
    assert {"code": "82.71.01", "name": "Pulau Ternate"} in region_children("82.71")
    assert region_children("82") == [] and region_children("") == []
    assert is_child_region("82.71.01.1001", "82.71.01")
    assert not is_child_region("82.71.01.1001", "82.71.02")
    assert not is_child_region(None, "82.71")
    first = child_choices("82.71")[0]
    assert (first.value, first.label) == ("82.71.01", "Pulau Ternate")


def test_create_business_opens_a_mentorship_and_audits_both(app, work, db):
    business = service.create_business(work["facilitator"], _data())
    assert business.normalized_name == "kue bagea ternate"
    (mentorship,) = business.mentorships
    assert mentorship.facilitator_id == work["tpl"].id and mentorship.is_open
    types = set(db.session.scalars(sa.select(AuditEntry.entity_type).where(AuditEntry.action == "create")))
    assert types == {"businesses", "mentorships"}


def test_only_a_tpl_registers(app, work, db):
    with refused_use_case():
        service.create_business(work["supervisor"], _data())
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Business)) == 2


def test_duplicates_by_nib_and_by_name(app, work, db):
    work["business2"].nib = "7371000000001"
    db.session.commit()
    with pytest.raises(service.DuplicateBusiness) as error:
        service.create_business(work["facilitator"], _data(nib="7371000000001"))
    assert error.value.business.id == work["business2"].id and error.value.field == "nib"
    db.session.rollback()
    with pytest.raises(service.DuplicateBusiness) as error:
        service.create_business(work["facilitator"], _data(name="UD Sagu Lestari", nib=None))
    assert error.value.business.id == work["business"].id and error.value.field == "name"
    db.session.rollback()
    card = service.duplicate_card(work["business2"], work["tpl"])
    assert card == {
        "id": work["business2"].id,
        "name": "Sagu Lestari2",
        "region_code": "73.71",
        "nib": "7371000000001",
        "owner_name": "Ibu Hasna",
        "mentors": [work["tpl2"].full_name],
        "mentored_by_you": False,
        "asked": False,
    }
    assert service.duplicate_card(work["business2"], work["tpl2"])["mentored_by_you"] is True
    service.request_mentoring(work["facilitator"], work["business2"], None)
    assert service.duplicate_card(work["business2"], work["tpl"])["asked"] is True


def test_request_and_decisions(app, work, db):
    tpl_user, business2 = work["facilitator"], work["business2"]
    request = service.request_mentoring(tpl_user, business2, "  dekat  ")
    assert request.status == "pending" and request.reason == "dekat"
    with refused_use_case():
        service.request_mentoring(tpl_user, business2, None)
    with refused_use_case():
        service.request_mentoring(tpl_user, work["business"], None)  # already mentored
    assert service.pending_request_count(work["supervisor"]) == 1
    assert service.pending_request_count(work["supervisor2"]) == 0
    with refused_use_case():
        service.decide_request(work["evaluator"], request, "approve", None)
    with refused_use_case() as error:
        service.decide_request(work["supervisor"], request, "reject", "")
    assert error.value.field == "note"
    db.session.rollback()
    service.decide_request(work["supervisor"], request, "approve", None)
    assert request.status == "approved" and request.decided_at is not None
    assert policy.mentors_now(tpl_user, business2)
    assert policy.mentors_now(work["facilitator2"], business2)  # co-mentoring
    assert service.pending_request_count(work["supervisor"]) == 0


def _writes(db) -> tuple[int, int]:
    """Mentorship requests and audit entries (other than security events)."""
    return (
        db.session.scalar(sa.select(sa.func.count()).select_from(MentorshipRequest)),
        db.session.scalar(
            sa.select(sa.func.count()).select_from(AuditEntry).where(AuditEntry.action.not_in(["login"]))
        ),
    )


def test_a_request_with_a_too_long_reason_is_refused_on_its_field(app, work, db):
    before = _writes(db)
    with refused_use_case() as error:
        service.request_mentoring(work["facilitator"], work["business2"], "x" * 501)
    assert [(e.field, e.message) for e in error.value.errors] == [
        ("reason", ui_message(app, TOO_LONG, label=ui_message(app, "The reason"), max=500))
    ]
    assert _writes(db) == before


def test_every_problem_of_a_decision_is_named_at_once(app, work, db):
    request = MentorshipRequest(business=work["business2"], facilitator=work["tpl"], status="pending")
    db.session.add(request)
    db.session.commit()
    before = _writes(db)
    with refused_use_case() as error:
        service.decide_request(work["supervisor"], request, "maybe", "x" * 501)
    assert [(e.field, e.message) for e in error.value.errors] == [
        ("decision", ui_message(app, "Choose to approve or to reject.")),
        ("note", ui_message(app, TOO_LONG, label=ui_message(app, "The note"), max=500)),
    ]
    assert request.status == "pending" and _writes(db) == before


def test_stop_mentoring_rules(app, work, db):
    tpl_user, business = work["facilitator"], work["business"]
    with refused_use_case() as error:
        service.stop_mentoring(tpl_user, business, on(1, 31), "x")
    assert error.value.field == "end_date"
    with refused_use_case():
        service.stop_mentoring(work["facilitator2"], business, on(5, 1), "x")
    service.stop_mentoring(tpl_user, business, on(5, 1), "Selesai dibina")
    assert not policy.mentors_now(tpl_user, business)
    with refused_use_case():
        service.stop_mentoring(tpl_user, business, on(5, 2), "again")


def _assessment(**changes) -> assessment_service.AssessmentData:
    values = {
        "kind": "follow_up",
        "assessed_on": on(6, 1),
        "turnover": 8_000_000,
        "workers": 5,
        "market_reach": "national",
        "has_packaging_label": True,
        "production_capacity": "300/minggu",
    }
    values.update(changes)
    return assessment_service.AssessmentData(**values)


def test_change_since_baseline_numbers(app, work, db):
    business = work["business"]
    assessment_service.create_assessment(
        work["facilitator"], business, _assessment(assessed_on=on(5, 1), turnover=6_000_000)
    )
    assessment_service.create_assessment(work["facilitator"], business, _assessment())
    change = assessment_service.change_since_baseline(service.assessments_of(business))
    turnover, workers = change["rows"][0], change["rows"][1]
    assert (turnover["baseline"], turnover["latest"], turnover["difference"]) == (5_000_000, 8_000_000, 3_000_000)
    assert (workers["baseline"], workers["latest"], workers["difference"]) == (3, 5, 2)
    assert change["rows"][3]["baseline"] is False and change["rows"][3]["latest"] is True
    assert change["latest"].assessed_on == on(6, 1) and len(change["rows"]) == 5


def test_no_change_table_without_a_follow_up(app, work, db):
    assert assessment_service.change_since_baseline(service.assessments_of(work["business"])) is None


def test_assessment_sequence_rules(app, work, db):
    tpl_user, business = work["facilitator"], work["business"]
    baseline = work["assessment"]
    follow_up = assessment_service.create_assessment(tpl_user, business, _assessment())
    with refused_use_case():  # the baseline may not move after a follow-up
        assessment_service.update_assessment(tpl_user, baseline, _assessment(kind="baseline", assessed_on=on(7, 1)))
    db.session.rollback()
    with refused_use_case():  # no business without its baseline while follow-ups exist
        assessment_service.delete_assessment(tpl_user, baseline)
    db.session.rollback()
    with refused_use_case():  # only its own TPL changes it
        assessment_service.update_assessment(work["facilitator2"], follow_up, _assessment())
    db.session.rollback()
    assessment_service.delete_assessment(tpl_user, follow_up)
    assessment_service.delete_assessment(tpl_user, baseline)
    assert (
        db.session.scalar(
            sa.select(sa.func.count()).select_from(Assessment).where(Assessment.business_id == business.id)
        )
        == 0
    )


def test_month_lock_applies_to_old_and_new_dates(app, work, db):
    work["month"].status = "submitted"
    db.session.commit()
    tpl_user, baseline = work["facilitator"], work["assessment"]
    assert assessment_service.is_locked(baseline)
    with refused_use_case():  # moving out of the locked month
        assessment_service.update_assessment(tpl_user, baseline, _assessment(kind="baseline", assessed_on=on(2, 2)))
    db.session.rollback()
    with refused_use_case():
        assessment_service.delete_assessment(tpl_user, baseline)
    db.session.rollback()
    with refused_use_case():  # a new one dated in the locked month
        assessment_service.create_assessment(tpl_user, work["business"], _assessment(assessed_on=on(3, 30)))
    db.session.rollback()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Mentorship)) == 2
    assert db.session.scalar(sa.select(sa.func.count()).select_from(MentorshipRequest)) == 0


def test_business_actions_answer_every_button_with_one_lookup(app, work, db):
    def each_predicate(user, business):
        return policy.BusinessActions(
            log_work=policy.can_log_work_for(user, business),
            edit=policy.can_edit_business(user, business),
            assess=policy.can_assess(user, business),
            stop_mentoring=policy.can_stop_mentoring(user, business),
        )

    tpl_user, business = work["facilitator"], work["business"]
    readers = ["facilitator", "facilitator2", "supervisor", "supervisor2", "evaluator", "admin"]
    for name in readers:
        for target in (business, work["business2"]):
            expected = each_predicate(work[name], target)
            assert policy.business_actions(work[name], target) == expected, (name, target)
            # The same from the business's mentorships as its page has them loaded.
            mentorships = service.business_mentorships(target)
            assert policy.business_actions(work[name], target, mentorships) == expected, (name, target)
    assert policy.business_actions(tpl_user, business) == policy.BusinessActions(True, True, True, True)
    assert not policy.business_actions(work["supervisor"], business)
    service.stop_mentoring(tpl_user, business, on(5, 1), "Selesai dibina")
    assert not policy.business_actions(tpl_user, business)
    assert not policy.business_actions(tpl_user, business, service.business_mentorships(business))
    assert policy.business_actions(tpl_user, business, service.business_mentorships(business)[:0]) == (
        policy.BusinessActions()
    )


def test_a_history_holds_the_entries_of_its_records_and_of_no_other(app, work, db):
    from tpl_tracker.services import audit

    business, m1, m2, a1, a2 = (work[k] for k in ("business", "mentorship", "mentorship2", "assessment", "assessment2"))
    db.session.execute(sa.delete(AuditEntry))
    for record in (business, m1, m2, a1, a2, work["business2"]):
        db.session.add(
            AuditEntry(
                action="update",
                entity_type=record.__tablename__,
                entity_id=str(record.id),
                note=f"{record.__tablename__} {record.id}",
            )
        )
    # Another table's entry with the id of a mentorship is not the mentorship's.
    db.session.add(AuditEntry(action="update", entity_type="permit_facilitations", entity_id=str(m2.id), note="x"))
    db.session.commit()

    notes = {entry.note for entry in audit.history(business, m1, m2, a1)}

    assert notes == {
        f"businesses {business.id}",
        f"mentorships {m1.id}",
        f"mentorships {m2.id}",
        f"assessments {a1.id}",
    }
    assert audit.history() == []


def test_a_history_statement_is_the_same_however_many_records_of_each_table(app, work, db):
    from tpl_tracker.services import audit

    business, m1, m2, a1, a2 = (work[k] for k in ("business", "mentorship", "mentorship2", "assessment", "assessment2"))

    few, many = audit.history_query(business, m1, a1), audit.history_query(business, m1, m2, a1, a2)

    assert few._generate_cache_key().key == many._generate_cache_key().key
