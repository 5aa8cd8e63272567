"""Permit facilitation: the pipeline rules, document numbers, the P-IRT expiry, the business NIB, the month lock."""

from dataclasses import replace
from datetime import date

import pytest
import sqlalchemy as sa

from tpl_tracker.models import AuditEntry, Business, PermitFacilitation
from tpl_tracker.services.permits import (
    PermitData,
    add_years,
    create_permit,
    delete_permit,
    expiry_state,
    normalize_number,
    update_permit,
)

from ..clock import YEAR, on
from ..conftest import refused_use_case, ui_message

TODAY = on(11, 27)


def _count(db, model, *where) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model).where(*where))


def _create(work, data: PermitData):
    return create_permit(work["facilitator"], work["tpl"], work["business"], data, today=TODAY)


HALAL = PermitData(permit_type="halal", status="planned", planned_on=on(4, 1))
PIRT_PLANNED = PermitData(permit_type="pirt", status="planned", planned_on=on(3, 12))  # the work fixture's permit
NIB = PermitData(
    permit_type="nib",
    status="issued",
    planned_on=on(4, 1),
    submitted_on=on(4, 2),
    issued_on=on(4, 3),
    document_number="8120-0001-23456",
)


def test_numbers_are_checked_and_stored_as_digits(app, db):
    assert normalize_number("nib", "8120 0001 23456") == "8120000123456"
    assert normalize_number("pirt", "206 7271 0100 1226") == "206727101001226"
    assert normalize_number("halal", "  ID00410000123456789  ") == "ID00410000123456789"
    for permit_type, number, message in [
        ("nib", "812000012345", "The NIB has exactly 13 digits."),
        ("nib", "81200001234AB", "The NIB has exactly 13 digits."),
        ("pirt", "20672710100122", "The P-IRT number has at least 15 digits."),
        ("merek", "x" * 41, "The document number may have at most %(count)d characters."),
    ]:
        with refused_use_case() as refused:
            normalize_number(permit_type, number)
        assert refused.value.field == "document_number"
        assert refused.value.message == ui_message(app, message, count=40)


def test_add_years_handles_29_february():
    assert add_years(date(2028, 2, 29), 5) == date(2033, 2, 28)  # a calendar fact, not the tests' year


@pytest.mark.parametrize(
    "changes,field,message",
    [
        ({"planned_on": None}, "planned_on", "A planned facilitation needs the planning date."),
        ({"planned_on": on(11, 28)}, "planned_on", "This date cannot be in the future."),
        ({"status": "submitted"}, "submitted_on", "A submitted application needs the submission date."),
        (
            {"status": "submitted", "submitted_on": on(3, 1)},
            "submitted_on",
            "The submission date cannot be before the planning date.",
        ),
        ({"status": "issued", "submitted_on": on(4, 2)}, "issued_on", "An issued permit needs the issue date."),
        (
            {"status": "issued", "submitted_on": on(4, 5), "issued_on": on(4, 4), "document_number": "ID123"},
            "issued_on",
            "The issue date cannot be before the submission date.",
        ),
        ({"status": "issued", "issued_on": on(4, 4)}, "document_number", "An issued permit needs its document number."),
        (
            {"status": "issued", "issued_on": on(4, 4), "document_number": "ID1", "expires_on": on(4, 4)},
            "expires_on",
            "The expiry date must be after the issue date.",
        ),
        ({"expires_on": on(1, 1, years=1)}, "expires_on", "Only an issued permit has an expiry date."),
        ({"status": "rejected"}, "rejected_on", "A rejected application needs the rejection date."),
        ({"issued_on": on(4, 4)}, "issued_on", "This date does not apply to the chosen status: leave it empty."),
        ({"permit_type": "izin"}, "permit_type", "Choose the type of permit or certificate."),
    ],
)
def test_pipeline_rules(app, db, work, changes, field, message):
    with refused_use_case() as refused:
        _create(work, replace(HALAL, **changes))
    assert refused.value.field == field
    assert refused.value.message == ui_message(app, message)
    db.session.rollback()
    assert _count(db, PermitFacilitation) == 2


def test_only_one_open_facilitation_per_business_and_type(db, work):
    _create(work, HALAL)
    with refused_use_case() as refused:
        _create(work, HALAL)
    assert refused.value.field == "permit_type"
    db.session.rollback()
    # the world already has an open P-IRT for the business
    with refused_use_case():
        _create(work, replace(HALAL, permit_type="pirt"))


def test_pirt_issued_without_expiry_is_valid_five_years(db, work):
    permit = update_permit(
        work["facilitator"],
        work["permit"],
        PermitData(
            permit_type="pirt",
            status="issued",
            planned_on=on(3, 12),
            issued_on=on(6, 1),
            document_number="2067271010012-26",
        ),
        today=TODAY,
    )
    assert permit.document_number == "206727101001226"
    assert permit.expires_on == on(6, 1, years=5)
    assert expiry_state(permit, TODAY) is None
    assert expiry_state(permit, on(4, 15, years=5)) == "expiring"
    assert expiry_state(permit, on(6, 2, years=5)) == "expired"


def test_issued_nib_is_copied_to_the_business_once(db, work):
    permit = _create(work, NIB)
    business = db.session.get(Business, work["business"].id)
    assert permit.document_number == "8120000123456" and business.nib == "8120000123456"
    entry = db.session.scalar(sa.select(AuditEntry).where(AuditEntry.entity_type == "businesses"))
    assert entry.action == "update" and entry.after == {"nib": "8120000123456"}


def test_a_nib_held_by_another_business_is_refused(db, work):
    work["business2"].nib = "8120000123456"
    db.session.commit()
    with refused_use_case() as refused:
        _create(work, NIB)
    assert refused.value.field == "document_number"
    db.session.rollback()
    assert db.session.get(Business, work["business"].id).nib is None
    assert _count(db, PermitFacilitation) == 2


def test_status_advances_but_never_goes_back(db, work):
    user, permit = work["facilitator"], work["permit"]
    submitted = PermitData(permit_type="pirt", status="submitted", planned_on=on(3, 12), submitted_on=on(3, 20))
    update_permit(user, permit, submitted, today=TODAY)
    with refused_use_case() as refused:
        update_permit(user, permit, replace(submitted, status="planned", submitted_on=None), today=TODAY)
    assert refused.value.field == "status"
    db.session.rollback()
    # correcting the date of the current step is fine
    update_permit(user, permit, replace(submitted, submitted_on=on(3, 21)), today=TODAY)
    rejected = update_permit(user, permit, replace(submitted, status="rejected", rejected_on=on(5, 2)), today=TODAY)
    assert rejected.status == "rejected" and rejected.status_on == on(5, 2)
    with refused_use_case():
        update_permit(
            user,
            permit,
            replace(submitted, status="issued", issued_on=on(5, 3), document_number="206727101001226"),
            today=TODAY,
        )
    db.session.rollback()
    with refused_use_case():  # only planned ones may be deleted
        delete_permit(user, permit)


def test_only_the_owner_writes_and_only_for_mentored_businesses(db, work):
    with refused_use_case():
        create_permit(work["supervisor"], work["tpl"], work["business"], HALAL, today=TODAY)
    with refused_use_case() as refused:
        create_permit(work["facilitator"], work["tpl"], work["business2"], HALAL, today=TODAY)
    assert refused.value.field == "business_id"
    with refused_use_case():
        update_permit(work["facilitator2"], work["permit"], HALAL, today=TODAY)
    with refused_use_case():
        delete_permit(work["admin"], work["permit"])


def test_month_lock(app, db, work):
    work["month"].status = "submitted"  # March of the tests' year
    db.session.commit()
    user, permit = work["facilitator"], work["permit"]
    base = PermitData(permit_type="pirt", status="planned", planned_on=on(3, 12))
    locked = ui_message(
        app, "%(month)s has been submitted or approved and can no longer be changed.", month=f"Maret {YEAR}"
    )
    attempts = [
        lambda: update_permit(user, permit, replace(base, notes="catatan"), today=TODAY),  # other field
        lambda: update_permit(user, permit, replace(base, planned_on=on(4, 1)), today=TODAY),  # old date
        lambda: delete_permit(user, permit),
        lambda: _create(work, replace(HALAL, planned_on=on(3, 5))),
        lambda: _create(work, replace(NIB, planned_on=on(3, 30))),  # any step date
    ]
    for attempt in attempts:
        with refused_use_case() as refused:
            attempt()
        assert refused.value.message == locked
        db.session.rollback()
    assert _count(db, AuditEntry, AuditEntry.action.in_(["create", "update", "delete"])) == 0
    # the next step, dated in an open month, may still be recorded
    update_permit(user, permit, replace(base, status="submitted", submitted_on=on(4, 6)), today=TODAY)
    assert permit.status == "submitted"


def test_changes_are_audited(db, work):
    permit = _create(work, HALAL)
    update_permit(work["facilitator"], permit, replace(HALAL, notes="Menunggu jadwal audit LPH"), today=TODAY)
    delete_permit(work["facilitator"], permit)
    entries = list(
        db.session.scalars(sa.select(AuditEntry).where(AuditEntry.entity_type == "permits").order_by(AuditEntry.id))
    )
    assert [e.action for e in entries] == ["create", "update", "delete"]
    assert entries[1].after == {"notes": "Menunggu jadwal audit LPH"}


def test_steps_outside_the_contracts_are_refused_but_stored_ones_keep_their_dates(app, work, db):
    contract = work["contract"]
    contract.status, contract.terminated_on = "terminated", on(6, 30)
    db.session.commit()
    outside = ui_message(app, "This date must lie within one of your contract periods.")
    for data in (replace(HALAL, planned_on=on(7, 1)), replace(HALAL, planned_on=on(12, 31, years=-1))):
        with refused_use_case() as refused:
            _create(work, data)
        assert (refused.value.field, refused.value.message) == ("planned_on", outside)
    permit = work["permit"]  # planned on 12 March, within the contract
    with refused_use_case() as refused:
        update_permit(work["facilitator"], permit, replace(PIRT_PLANNED, status="submitted", submitted_on=on(7, 1)))
    assert (refused.value.field, refused.value.message) == ("submitted_on", outside)
    assert _count(db, PermitFacilitation) == 2 and db.session.get(PermitFacilitation, permit.id).status == "planned"

    update_permit(work["facilitator"], permit, replace(PIRT_PLANNED, status="submitted", submitted_on=on(6, 30)))
    assert permit.status == "submitted"
