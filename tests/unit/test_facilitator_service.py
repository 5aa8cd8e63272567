"""TPL profiles and contracts: NIK, phone and region checks, contract periods, audit."""

from dataclasses import replace
from datetime import date

import pytest
import sqlalchemy as sa

from tpl_tracker.models import AuditEntry, Contract, Facilitator
from tpl_tracker.services.facilitators import (
    ContractData,
    FacilitatorData,
    create_contract,
    create_facilitator,
    update_contract,
)

from ..clock import iso, on
from ..conftest import refused_use_case
from ..factories import ContractFactory, FacilitatorFactory, UserFactory, make_nik

BIRTH = date(1999, 5, 17)


def _count(db, model) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def _audit(db, action: str) -> list[AuditEntry]:
    return list(db.session.scalars(sa.select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id)))


@pytest.fixture
def admin(db):
    return UserFactory(email="admin@example.id", role="admin")


@pytest.fixture
def data():
    return FacilitatorData(
        nik=make_nik("827101", BIRTH, "L", 1),
        full_name="Rahmat Hidayat",
        gender="L",
        birth_date=BIRTH,
        angkatan=2022,
        polytechnic="STMI Jakarta",
        phone="0812-3456-7890",
        email="Rahmat@Example.ID",
    )


# --- TPL profiles ---------------------------------------------------------------------------


def test_create_facilitator_with_a_valid_nik_is_saved_and_audited(db, admin, data):
    facilitator = create_facilitator(admin, data)

    saved = db.session.get(Facilitator, facilitator.id)
    assert saved.nik == data.nik
    assert saved.full_name == "Rahmat Hidayat"
    assert saved.email == "rahmat@example.id"
    (entry,) = _audit(db, "facilitator_created")
    assert entry.actor_id == admin.id
    assert entry.entity_type == "facilitators" and entry.entity_id == str(facilitator.id)
    assert entry.after["nik"] == data.nik and entry.after["full_name"] == "Rahmat Hidayat"


def test_female_nik_has_day_plus_40(db, admin, data):
    nik = make_nik("827101", BIRTH, "P", 2)
    assert nik[6:8] == "57"
    facilitator = create_facilitator(admin, replace(data, nik=nik, gender="P"))
    assert facilitator.gender == "P"


def test_phone_is_normalised_to_e164(db, admin, data):
    facilitator = create_facilitator(admin, replace(data, phone="0812-3456-7890"))
    assert db.session.get(Facilitator, facilitator.id).phone == "+6281234567890"


def test_empty_phone_is_stored_as_none(db, admin, data):
    facilitator = create_facilitator(admin, replace(data, phone="  "))
    assert facilitator.phone is None


@pytest.mark.parametrize(
    "change, field",
    [
        ({"nik": "82710117059900"}, "nik"),  # 14 digits
        ({"nik": "82710117059900AB"}, "nik"),  # not digits
        ({"nik": make_nik("827101", BIRTH, "P", 1)}, "gender"),  # a woman's NIK for a man
        ({"birth_date": date(1999, 5, 18)}, "birth_date"),
        ({"phone": "12345"}, "phone"),
        ({"polytechnic": "Universitas Entah"}, "polytechnic"),
        ({"full_name": "   "}, "full_name"),
        ({"gender": "X"}, "gender"),
        ({"angkatan": 1980}, "angkatan"),
        ({"email": "not-an-email"}, "email"),
    ],
)
def test_invalid_facilitator_is_refused_and_nothing_is_written(db, admin, data, change, field):
    with refused_use_case() as caught:
        create_facilitator(admin, replace(data, **change))

    assert caught.value.field == field, caught.value.message
    db.session.rollback()
    assert _count(db, Facilitator) == 0
    assert _count(db, AuditEntry) == 0


def test_every_problem_of_a_facilitator_is_named_at_once(db, admin, data):
    evaluator = UserFactory(role="evaluator")
    mistakes = replace(data, full_name=" ", gender="X", phone="12345", angkatan=1980, supervisor_id=evaluator.id)

    with refused_use_case() as caught:
        create_facilitator(admin, mistakes)

    fields = [error.field for error in caught.value.errors]
    assert fields == ["full_name", "gender", "angkatan", "phone", "supervisor_id"]
    db.session.rollback()
    assert _count(db, Facilitator) == 0


def test_duplicate_nik_is_refused(db, admin, data):
    existing = FacilitatorFactory(nik=data.nik)
    audit_before = _count(db, AuditEntry)

    with refused_use_case() as caught:
        create_facilitator(admin, data)

    assert caught.value.field == "nik"
    db.session.rollback()
    assert list(db.session.scalars(sa.select(Facilitator.id))) == [existing.id]
    assert _count(db, AuditEntry) == audit_before


def test_supervisor_must_be_a_supervisor_account(db, admin, data):
    evaluator = UserFactory(role="evaluator")
    with refused_use_case() as caught:
        create_facilitator(admin, replace(data, supervisor_id=evaluator.id))
    assert caught.value.field == "supervisor_id"
    db.session.rollback()
    assert _count(db, Facilitator) == 0


# --- contracts ------------------------------------------------------------------------------


@pytest.fixture
def tpl(db):
    return FacilitatorFactory(region_code="82.71")


START, END = on(1, 1, years=+1), on(12, 31, years=+1)  # the default contract: the whole next year


def _contract(number="KP/2027/001", start=START, end=END, placement="82.71", **extra) -> ContractData:
    return ContractData(number=number, start_date=start, end_date=end, placement_code=placement, **extra)


def _assert_refused(db, admin, tpl, data, field):
    contracts, entries = _count(db, Contract), _count(db, AuditEntry)
    with refused_use_case() as caught:
        create_contract(admin, tpl, data)
    assert caught.value.field == field, caught.value.message
    db.session.rollback()
    assert _count(db, Contract) == contracts, "a refused contract must not be written"
    assert _count(db, AuditEntry) == entries, "a refused contract must not be audited"


def test_every_problem_of_a_contract_is_named_at_once(db, admin, tpl):
    mistakes = _contract(number="", end=on(12, 31), placement="99.99", status="terminated", termination_reason=" ")

    with refused_use_case() as caught:
        create_contract(admin, tpl, mistakes)

    fields = [error.field for error in caught.value.errors]
    assert fields == ["number", "end_date", "placement_code", "terminated_on", "termination_reason"]
    db.session.rollback()
    assert _count(db, Contract) == 0


def test_contract_cannot_end_before_it_starts(db, admin, tpl):
    _assert_refused(db, admin, tpl, _contract(start=on(6, 1, years=+1), end=on(5, 31, years=+1)), "end_date")


def test_contract_overlapping_another_of_the_same_tpl_is_refused(db, admin, tpl):
    ContractFactory(facilitator=tpl, start_date=on(1, 1), end_date=on(12, 31))
    _assert_refused(db, admin, tpl, _contract(start=on(12, 31), end=on(12, 30, years=+1)), "start_date")
    _assert_refused(db, admin, tpl, _contract(start=on(6, 1, years=-1), end=on(1, 1)), "start_date")
    _assert_refused(db, admin, tpl, _contract(start=on(3, 1), end=on(4, 30)), "start_date")


def test_contracts_of_other_tpl_do_not_count_as_overlap(db, admin, tpl):
    ContractFactory(start_date=on(1, 1, years=+1), end_date=on(12, 31, years=+1))  # another TPL
    contract = create_contract(admin, tpl, _contract())
    assert contract.id is not None


def test_contract_after_an_early_termination_is_allowed(db, admin, tpl):
    ContractFactory(
        facilitator=tpl,
        start_date=on(1, 1),
        end_date=on(12, 31),
        status="terminated",
        terminated_on=on(3, 31),
        termination_reason="Mengundurkan diri",
    )

    _assert_refused(db, admin, tpl, _contract(start=on(3, 31), end=on(3, 30, years=+1)), "start_date")
    contract = create_contract(admin, tpl, _contract(start=on(4, 1), end=on(3, 31, years=+1)))

    assert db.session.get(Contract, contract.id).start_date == on(4, 1)


def test_terminated_contract_needs_its_termination_date(db, admin, tpl):
    _assert_refused(db, admin, tpl, _contract(status="terminated", termination_reason="Sakit"), "terminated_on")


@pytest.mark.parametrize("terminated_on", [on(12, 31), on(1, 1, years=+2)])
def test_termination_date_must_lie_inside_the_contract(db, admin, tpl, terminated_on):
    data = _contract(status="terminated", terminated_on=terminated_on, termination_reason="Sakit")
    _assert_refused(db, admin, tpl, data, "terminated_on")


def test_terminated_contract_needs_a_reason(db, admin, tpl):
    data = _contract(status="terminated", terminated_on=on(6, 30, years=+1), termination_reason="  ")
    _assert_refused(db, admin, tpl, data, "termination_reason")


def test_contract_number_must_be_unique(db, admin, tpl):
    ContractFactory(number="KP/2026/777", start_date=on(1, 1), end_date=on(12, 31))
    _assert_refused(db, admin, tpl, _contract(number="KP/2026/777"), "number")


@pytest.mark.parametrize("placement", ["99.99", "82", ""])
def test_placement_must_be_a_known_kabupaten_kota(db, admin, tpl, placement):
    _assert_refused(db, admin, tpl, _contract(placement=placement), "placement_code")


def test_unknown_status_is_refused(db, admin, tpl):
    _assert_refused(db, admin, tpl, _contract(status="paused"), "status")


def test_create_contract_moves_the_tpl_to_the_latest_placement_and_audits(db, admin, tpl):
    ContractFactory(facilitator=tpl, start_date=on(1, 1), end_date=on(12, 31), placement_code="82.71")

    contract = create_contract(admin, tpl, _contract(placement="73.71"))

    db.session.expire_all()
    assert db.session.get(Facilitator, tpl.id).region_code == "73.71"
    (entry,) = _audit(db, "contract_created")
    assert entry.actor_id == admin.id and entry.entity_id == str(contract.id)
    assert entry.after["number"] == "KP/2027/001"
    assert entry.after["placement_code"] == "73.71"
    assert entry.after["start_date"] == iso(1, 1, years=+1)
    assert entry.after["end_date"] == iso(12, 31, years=+1)
    assert entry.after["facilitator_id"] == tpl.id


def test_an_older_contract_does_not_move_the_tpl(db, admin, tpl):
    ContractFactory(facilitator=tpl, start_date=on(1, 1), end_date=on(12, 31), placement_code="82.71")

    create_contract(admin, tpl, _contract(start=on(1, 1, years=-1), end=on(12, 31, years=-1), placement="73.71"))

    db.session.expire_all()
    assert db.session.get(Facilitator, tpl.id).region_code == "82.71"


def test_non_terminated_contract_drops_termination_fields(db, admin, tpl):
    contract = create_contract(admin, tpl, _contract(terminated_on=on(5, 1, years=+1), termination_reason="x"))
    assert contract.terminated_on is None and contract.termination_reason is None


def test_update_contract_audits_only_the_changed_fields(db, admin, tpl):
    contract = create_contract(admin, tpl, _contract())

    update_contract(admin, contract, _contract(status="completed"))

    (entry,) = _audit(db, "contract_updated")
    assert entry.before == {"status": "active"}
    assert entry.after == {"status": "completed"}
    assert entry.entity_id == str(contract.id)


def test_update_contract_with_no_change_writes_no_audit_entry(db, admin, tpl):
    contract = create_contract(admin, tpl, _contract())

    update_contract(admin, contract, _contract())

    assert _audit(db, "contract_updated") == []


def test_update_contract_may_keep_its_own_period_and_number(db, admin, tpl):
    """The contract being edited does not overlap or clash with itself."""
    contract = create_contract(admin, tpl, _contract())

    update_contract(admin, contract, _contract(end=on(11, 30, years=+1), placement="73.71"))

    (entry,) = _audit(db, "contract_updated")
    assert entry.before == {"end_date": iso(12, 31, years=+1), "placement_code": "82.71"}
    assert entry.after == {"end_date": iso(11, 30, years=+1), "placement_code": "73.71"}
    db.session.expire_all()
    assert db.session.get(Facilitator, tpl.id).region_code == "73.71"


def test_update_contract_terminating_early_frees_the_rest_of_the_period(db, admin, tpl):
    first = create_contract(admin, tpl, _contract(start=on(1, 1), end=on(12, 31), number="KP/2026/001"))
    update_contract(
        admin,
        first,
        _contract(
            start=on(1, 1),
            end=on(12, 31),
            number="KP/2026/001",
            status="terminated",
            terminated_on=on(6, 30),
            termination_reason="Pindah kerja",
        ),
    )

    second = create_contract(admin, tpl, _contract(start=on(7, 1), end=on(6, 30, years=+1)))
    assert second.id is not None


def test_update_contract_refused_writes_nothing(db, admin, tpl):
    contract = create_contract(admin, tpl, _contract())
    entries = _count(db, AuditEntry)

    with refused_use_case():
        update_contract(admin, contract, _contract(start=on(6, 1, years=+1), end=on(1, 1, years=+1)))

    db.session.rollback()
    db.session.expire_all()
    assert db.session.get(Contract, contract.id).end_date == on(12, 31, years=+1)
    assert _count(db, AuditEntry) == entries


# --- bulk writes (the importer's path) ------------------------------------------------------


def test_import_facilitators_audits_each_new_tpl_as_creating_one_would(db, admin, data):
    from tpl_tracker.services import audit
    from tpl_tracker.services.facilitators import check_facilitator_values, import_facilitators

    single = create_facilitator(admin, data)
    other = replace(data, nik=make_nik("827101", BIRTH, "L", 2), email="lain@example.id", phone=None)
    values = check_facilitator_values(other) | {"region_code": "82.71"}

    ids = import_facilitators(admin, [values], [], "Bulk import")

    imported = db.session.get(Facilitator, ids[values["nik"]])
    assert imported.region_code == "82.71" and imported.email == "lain@example.id"
    one, bulk = _audit(db, "facilitator_created")
    assert bulk.entity_id == str(imported.id) and bulk.actor_id == admin.id and bulk.note == "Bulk import"
    assert bulk.after == audit.snapshot(imported)
    assert set(bulk.after) == set(one.after) == set(audit.snapshot(single))


def test_import_facilitators_audits_only_real_changes(db, admin, data):
    from tpl_tracker.services.facilitators import import_facilitators

    facilitator = create_facilitator(admin, data)

    import_facilitators(admin, [], [(facilitator, {"full_name": "Rahmat H."}), (facilitator, {"angkatan": 2022})], "x")

    (entry,) = _audit(db, "facilitator_updated")
    assert entry.before == {"full_name": "Rahmat Hidayat"} and entry.after == {"full_name": "Rahmat H."}


def test_a_failed_bulk_insert_leaves_no_row_and_no_audit_entry(db, admin, data):
    from tpl_tracker.services.facilitators import check_facilitator_values, import_facilitators
    from tpl_tracker.transactions import unit_of_work

    create_facilitator(admin, data)
    db.session.commit()
    rows, audits = _count(db, Facilitator), _count(db, AuditEntry)
    fresh = check_facilitator_values(replace(data, nik=make_nik("827101", BIRTH, "L", 3), email="b@example.id"))
    taken = check_facilitator_values(replace(data, email="c@example.id"))  # the NIK is stored already

    with pytest.raises(sa.exc.IntegrityError), unit_of_work():
        import_facilitators(admin, [fresh, taken], [], "Bulk import")

    assert (_count(db, Facilitator), _count(db, AuditEntry)) == (rows, audits)
