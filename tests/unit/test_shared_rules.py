"""The importer, the notification rules and the services answer a tricky case of each shared rule alike."""

import calendar
from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from tpl_tracker.models import Facilitator, Notification, OutcomeSurvey
from tpl_tracker.services import ServiceError
from tpl_tracker.services import notifications as rules
from tpl_tracker.services.facilitators import (
    ContractData,
    ContractPeriod,
    create_contract,
    find_overlaps,
    latest_placement,
    update_contract,
)
from tpl_tracker.services.importer import import_workbook
from tpl_tracker.services.outcomes import due_surveys

from ..clock import TODAY, YEAR, on
from ..factories import ContractFactory, FacilitatorFactory, UserFactory
from .test_importer import NIK1, contract_row, write_workbook

NEXT_START, NEXT_END = on(1, 1, years=+1), on(12, 31, years=+1)


@pytest.fixture
def admin(db):
    return UserFactory(email="admin@example.id", role="admin")


@pytest.fixture
def tpl(db):
    """A TPL with one contract this year in Kota Ternate."""
    facilitator = FacilitatorFactory(nik=NIK1, region_code="82.71")
    ContractFactory(facilitator=facilitator, number="KP/THIS/1", start_date=on(1, 1), end_date=on(12, 31))
    return facilitator


def _service_refusal(admin, tpl, start: date, end: date, placement: str = "73.71") -> str | None:
    """The service's refusal of a new contract of the TPL (None when accepted), as its own unit of work."""
    data = ContractData(number="KP/NEW/1", start_date=start, end_date=end, placement_code=placement)
    try:
        create_contract(admin, tpl, data)
    except ServiceError as refusal:
        return refusal.message
    return None


def _import_refusal(admin, tmp_path, start: date, end: date, placement: str = "73.71") -> str | None:
    """The importer's error about the same new contract (None when it imports it)."""
    row = contract_row(
        contract_number="KP/NEW/1", start_date=start.isoformat(), end_date=end.isoformat(), placement_region=placement
    )
    result = import_workbook(write_workbook(tmp_path / "contracts.xlsx", {"contracts": [row]}), actor=admin)
    assert [(e.sheet, e.row, e.column) for e in result.errors] in ([], [("contracts", 2, "start_date")])
    return result.errors[0].message if result.errors else None


@pytest.mark.parametrize(
    ("start", "refused"),
    [(on(12, 31), True), (NEXT_START, False)],
    ids=["starting-on-the-last-day", "starting-the-day-after"],
)
def test_an_overlap_touching_the_last_day_gets_the_same_answer(db, admin, tpl, tmp_path, start, refused):
    db.session.commit()
    by_importer = _import_refusal(admin, tmp_path, start, NEXT_END)
    db.session.rollback()
    by_service = _service_refusal(admin, db.session.get(Facilitator, tpl.id), start, NEXT_END)

    assert by_importer == by_service
    assert (by_service is not None) is refused
    if refused:
        assert "KP/THIS/1" in by_service


@pytest.mark.parametrize(
    ("start", "refused"),
    [(on(3, 31), True), (on(4, 1), False)],
    ids=["on-the-termination-day", "the-day-after-termination"],
)
def test_a_terminated_contract_frees_its_rest_for_both(db, admin, tpl, tmp_path, start, refused):
    (contract,) = tpl.contracts
    contract.status, contract.terminated_on, contract.termination_reason = "terminated", on(3, 31), "Sakit"
    db.session.commit()

    by_importer = _import_refusal(admin, tmp_path, start, on(3, 31, years=+1))
    db.session.rollback()
    by_service = _service_refusal(admin, db.session.get(Facilitator, tpl.id), start, on(3, 31, years=+1))

    assert by_importer == by_service
    assert (by_service is not None) is refused


@pytest.mark.parametrize("path", ["service", "importer"])
def test_moving_a_stored_contract_after_the_others_moves_the_placement_alike(db, admin, tmp_path, path):
    """The TPL's region follows the contract that becomes the latest, whichever way it is changed."""
    tpl = FacilitatorFactory(nik=NIK1, region_code="73.71")
    moved = ContractFactory(
        facilitator=tpl, number="KP/OLD/1", start_date=on(1, 1, years=-2), end_date=on(12, 31, years=-2)
    )
    moved.placement_code = "82.71"
    ContractFactory(
        facilitator=tpl,
        number="KP/OLD/2",
        start_date=on(1, 1, years=-1),
        end_date=on(12, 31, years=-1),
        placement_code="73.71",
    )
    db.session.commit()
    if path == "service":
        data = ContractData(number="KP/OLD/1", start_date=NEXT_START, end_date=NEXT_END, placement_code="82.71")
        update_contract(admin, moved, data)
    else:
        row = contract_row(
            contract_number="KP/OLD/1",
            start_date=NEXT_START.isoformat(),
            end_date=NEXT_END.isoformat(),
            placement_region="82.71",
        )
        assert import_workbook(write_workbook(tmp_path / "x.xlsx", {"contracts": [row]}), actor=admin).ok

    db.session.expire_all()
    assert db.session.get(Facilitator, tpl.id).region_code == "82.71"


def test_latest_placement_breaks_ties_by_start_then_id_with_new_contracts_last():
    day = on(6, 30)
    stored = [ContractPeriod(on(1, 1), day, "A", "82.71", 7), ContractPeriod(on(2, 1), day, "B", "73.71", 3)]
    assert latest_placement(stored) == "73.71"  # the same effective end: the later start wins
    same_start = [ContractPeriod(on(2, 1), day, "C", "32.73", 9)]
    assert latest_placement(stored + same_start) == "32.73"  # then the higher id
    planned = [ContractPeriod(on(2, 1), day, "D", "35.78"), ContractPeriod(on(2, 1), day, "E", "13.71")]
    assert latest_placement(stored, planned) == "13.71"  # new contracts come after the stored, in order


def test_find_overlaps_leaves_out_the_stored_contract_a_planned_one_replaces():
    stored = [ContractPeriod(on(1, 1), on(12, 31), "A", "82.71", 1)]
    replacing = [ContractPeriod(on(6, 1), on(5, 31, years=+1), "A", "82.71", 1)]
    assert find_overlaps(stored, replacing) == [None]
    both = replacing + [ContractPeriod(on(5, 31, years=+1), on(12, 31, years=+1), "B", "82.71")]
    assert find_overlaps(stored, both) == [None, replacing[0]]


def _end_of_february(year: int) -> date:
    return date(year, 2, calendar.monthrange(year, 2)[1])


@pytest.mark.parametrize(
    ("days_before_next_window", "answered"),
    [(1, 6), (0, 12)],
    ids=["last-day-of-the-6-month-round", "first-day-of-the-12-month-round"],
)
def test_a_survey_round_after_a_month_end_exit_is_answered_alike(db, days_before_next_window, answered):
    """Exit on 31 August: the 6-month round falls due at the end of February, the 12-month one on 31 August."""
    user = UserFactory()
    tpl = FacilitatorFactory(user=user, supervisor=None)
    ContractFactory(facilitator=tpl, start_date=on(9, 1, years=-2), end_date=on(8, 31, years=-1), status="completed")
    twelve_window = on(8, 31) - timedelta(days=45)
    survey_date = twelve_window - timedelta(days=days_before_next_window)
    db.session.add(OutcomeSurvey(facilitator_id=tpl.id, survey_date=survey_date, status="bekerja"))
    db.session.commit()

    rounds = due_surveys(tpl, TODAY)
    rules.tracer_due(TODAY)

    assert [(r.months, r.due) for r in rounds] == [
        (6, _end_of_february(YEAR)),
        (12, on(8, 31)),
        (24, on(8, 31, years=+1)),
    ]
    assert [r.months for r in rounds if r.answer is not None] == [answered]
    not_answered_and_due = {f"{r.months}" for r in rounds if r.state(TODAY) == "due"}
    notified = db.session.scalars(sa.select(Notification.dedupe_key).where(Notification.user_id == user.id))
    assert {key.split(":")[2] for key in notified} == not_answered_and_due
