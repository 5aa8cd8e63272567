"""The open and overlap rules as database constraints, the services' answer when one refuses a write, and
migration 0004's report of existing rows that break them."""

from datetime import timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.attributes import set_committed_value

from tpl_tracker.models import AuditEntry, Contract, Mentorship, MentorshipRequest, PermitFacilitation
from tpl_tracker.services import ServiceError, businesses, permits
from tpl_tracker.services.facilitators import ContractData, create_contract

from ..clock import on
from ..conftest import load_migration, ui_message
from ..factories import ContractFactory

MIGRATION = "0004_open_and_overlap_constraints.py"
TODAY = on(11, 27)


def _refused_by_the_database(db, *rows) -> None:
    db.session.add_all(rows)
    with pytest.raises(IntegrityError):
        db.session.flush()
    db.session.rollback()


def _count(db, model, *where) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model).where(*where))


@pytest.fixture
def postgresql_only(db):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("the contract overlap constraint exists on PostgreSQL only (SQLite serialises every write)")


def _permit(work, status: str, **dates) -> PermitFacilitation:
    return PermitFacilitation(
        business=work["business"], facilitator=work["tpl"], permit_type="pirt", status=status, **dates
    )


# --- the constraints ----------------------------------------------------------------------------


def test_a_second_open_permit_of_a_type_is_refused(db, work):
    """The world's business has a planned P-IRT; another planned or submitted one is refused."""
    _refused_by_the_database(db, _permit(work, "planned", planned_on=on(4, 1)))
    _refused_by_the_database(db, _permit(work, "submitted", planned_on=on(4, 1), submitted_on=on(4, 2)))


def test_closed_permits_do_not_count(db, work):
    issued = _permit(work, "issued", planned_on=on(1, 5), submitted_on=on(1, 6), issued_on=on(1, 7))
    issued.document_number = "206727101001226"
    rejected = [_permit(work, "rejected", planned_on=on(1, 5), rejected_on=on(1, 9)) for _ in range(2)]
    other_type = PermitFacilitation(
        business=work["business"], facilitator=work["tpl"], permit_type="halal", status="planned", planned_on=on(4, 1)
    )
    db.session.add_all([issued, *rejected, other_type])
    db.session.flush()
    assert _count(db, PermitFacilitation, PermitFacilitation.business_id == work["business"].id) == 5


def test_a_second_open_mentorship_by_the_same_tpl_is_refused(db, work):
    _refused_by_the_database(db, Mentorship(business=work["business"], facilitator=work["tpl"], start_date=on(3, 1)))


def test_ended_mentorships_and_other_tpl_do_not_count(db, work):
    ended = Mentorship(business=work["business"], facilitator=work["tpl"], start_date=on(1, 1), end_date=on(1, 31))
    other_tpl = Mentorship(business=work["business"], facilitator=work["tpl2"], start_date=on(3, 1))
    db.session.add_all([ended, other_tpl])
    db.session.flush()
    assert _count(db, Mentorship, Mentorship.business_id == work["business"].id) == 3


def test_overlapping_contracts_of_one_tpl_are_refused(db, world, postgresql_only):
    """The world's contract runs the whole year; both of its ends are days of the contract."""
    tpl = world["tpl"]
    for start, end in ((on(6, 1), on(6, 30)), (on(12, 31), on(3, 31, years=1)), (on(6, 1, years=-1), on(1, 1))):
        _refused_by_the_database(
            db, Contract(facilitator=tpl, number="KP/X", start_date=start, end_date=end, placement_code="82.71")
        )


def test_early_termination_frees_the_rest_of_the_period(db, world, postgresql_only):
    contract = world["contract"]
    contract.status, contract.terminated_on, contract.termination_reason = "terminated", on(6, 30), "Mengundurkan diri"
    db.session.flush()
    ContractFactory(facilitator=world["tpl"], start_date=on(7, 1), end_date=on(6, 30, years=1))
    ContractFactory(facilitator=world["tpl2"], start_date=on(7, 1, years=1), end_date=on(6, 30, years=2))
    assert _count(db, Contract, Contract.facilitator_id == world["tpl"].id) == 2


# --- the services when the database refuses a write made concurrently ---------------------------


def test_permit_race_answers_with_the_services_message_and_writes_nothing(app, db, work, monkeypatch):
    """Another request opened the same facilitation after this one checked: the index refuses it."""
    monkeypatch.setattr(permits, "_check_single_open", lambda *args: None)
    audits = _count(db, AuditEntry)
    data = permits.PermitData(permit_type="pirt", status="planned", planned_on=on(4, 1))
    with pytest.raises(ServiceError) as refused:
        permits.create_permit(work["facilitator"], work["tpl"], work["business"], data, today=TODAY)
    assert refused.value.message == ui_message(
        app, "This business already has an open facilitation for this permit type."
    )
    assert refused.value.field == "permit_type"
    assert _count(db, PermitFacilitation, PermitFacilitation.business_id == work["business"].id) == 1
    assert _count(db, AuditEntry) == audits


def test_mentorship_race_leaves_the_request_pending(app, db, work, monkeypatch):
    """The supervisor approves a request while the TPL's mentorship was opened by another request."""
    request = MentorshipRequest(business=work["business"], facilitator=work["tpl"], status="pending")
    db.session.add(request)
    db.session.commit()
    monkeypatch.setattr(businesses, "open_mentorship_of", lambda *args: None)
    with pytest.raises(ServiceError) as refused:
        businesses.decide_request(work["supervisor"], request, "approve", None)
    assert refused.value.message == ui_message(
        app, "%(name)s already mentors %(business)s.", name=work["tpl"].full_name, business="Sagu Lestari"
    )
    assert db.session.get(MentorshipRequest, request.id).status == "pending"
    assert _count(db, AuditEntry, AuditEntry.entity_type == "mentorship_requests") == 0


def test_contract_race_names_the_contract_written_meanwhile(app, db, world, postgresql_only):
    """The TPL's contracts were read before another request added one: the constraint refuses the overlap."""
    tpl, contract = world["tpl"], world["contract"]
    db.session.add(
        Contract(
            facilitator_id=tpl.id,
            number="KP/RACE",
            start_date=on(1, 1, years=1),
            end_date=on(6, 30, years=1),
            placement_code="82.71",
            status="active",
        )
    )
    db.session.commit()
    set_committed_value(tpl, "contracts", [contract])  # as this request read them, before the other one wrote
    data = ContractData(
        number="KP/NEW", start_date=on(3, 1, years=1), end_date=on(12, 31, years=1), placement_code="82.71"
    )
    with pytest.raises(ServiceError) as refused:
        create_contract(world["admin"], tpl, data)
    assert refused.value.message == ui_message(
        app, "This period overlaps contract %(number)s of the same TPL.", number="KP/RACE"
    )
    assert _count(db, Contract, Contract.number == "KP/NEW") == 0
    assert _count(db, AuditEntry, AuditEntry.action == "contract_created") == 0


# --- migration 0004: existing rows that break a rule ---------------------------------------------


@pytest.fixture
def migration():
    """The migration module 0004."""
    return load_migration(MIGRATION)


@pytest.fixture
def before_the_migration(db, work):
    """The three constraints dropped inside the test's transaction (restored by its rollback), as before 0004."""
    db.session.execute(sa.text("DROP INDEX uq_permits_open_business_type"))
    db.session.execute(sa.text("DROP INDEX uq_mentorships_open_business_facilitator"))
    if db.engine.dialect.name == "postgresql":
        db.session.execute(sa.text("ALTER TABLE contracts DROP CONSTRAINT ex_contracts_no_overlap"))
    return work


def test_clean_data_passes_the_check(db, work, migration):
    migration.check_existing_rows(db.session.connection(), with_contracts=True)


def test_the_check_names_every_row_that_breaks_a_rule(db, before_the_migration, migration):
    work = before_the_migration
    second_permit = _permit(work, "submitted", planned_on=on(4, 1), submitted_on=on(4, 2))
    closed_permit = _permit(work, "rejected", planned_on=on(4, 1), rejected_on=on(4, 3))
    second_mentorship = Mentorship(business=work["business"], facilitator=work["tpl"], start_date=on(3, 1))
    overlapping = Contract(
        facilitator=work["tpl"],
        number="KP/OVERLAP",
        start_date=on(12, 1),
        end_date=on(11, 30, years=1),
        placement_code="82.71",
        status="active",
    )
    db.session.add_all([second_permit, closed_permit, second_mentorship, overlapping])
    db.session.flush()
    business, tpl, contract = work["business"], work["tpl"], work["contract"]

    with pytest.raises(migration.ExistingRowsBreakRules) as stopped:
        migration.check_existing_rows(db.session.connection(), with_contracts=True)
    message = str(stopped.value)

    assert "Nothing was changed" in message
    assert (
        f"business {business.id} (Sagu Lestari), permit type pirt: permit {work['permit'].id} (planned on {on(3, 12)},"
        f" TPL {tpl.id} {tpl.full_name}), permit {second_permit.id} (submitted on {on(4, 2)}," in message
    )
    assert f"permit {closed_permit.id} " not in message
    assert (
        f"business {business.id} (Sagu Lestari), TPL {tpl.id} ({tpl.full_name}):"
        f" mentorship {work['mentorship'].id} (since {on(2, 1)}), mentorship {second_mentorship.id} (since {on(3, 1)})"
        in message
    )
    assert (
        f"TPL {tpl.id} ({tpl.full_name}): contract {contract.id} ({contract.number}, {on(1, 1)} to {on(12, 31)})"
        f" overlaps contract {overlapping.id} (KP/OVERLAP, {on(12, 1)} to {on(11, 30, years=1)})" in message
    )
    assert "Sagu Lestari2" not in message  # the other TPL's work breaks nothing

    with pytest.raises(migration.ExistingRowsBreakRules) as stopped:
        migration.check_existing_rows(db.session.connection(), with_contracts=False)
    assert "KP/OVERLAP" not in str(stopped.value)


def test_a_terminated_contract_is_checked_up_to_its_termination(db, before_the_migration, migration):
    contract = before_the_migration["contract"]
    contract.status, contract.terminated_on, contract.termination_reason = "terminated", on(6, 30), "Mengundurkan diri"
    later = contract.terminated_on + timedelta(days=1)
    db.session.add(
        Contract(
            facilitator=contract.facilitator,
            number="KP/AFTER",
            start_date=later,
            end_date=on(12, 31),
            placement_code="82.71",
            status="active",
        )
    )
    db.session.flush()
    assert migration.overlapping_contracts(db.session.connection()) == []
