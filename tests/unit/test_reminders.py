"""Reminders of the monthly report: months left unsubmitted, reviews left waiting; each sent once."""
from datetime import date, datetime, timezone

import sqlalchemy as sa

from tpl_tracker.jobs import JOBS
from tpl_tracker.models import MonthlyReport, Notification
from tpl_tracker.services import reminders

from ..factories import ContractFactory, FacilitatorFactory, UserFactory

MARCH = date(2026, 3, 1)


def _notes(db, kind):
    return list(db.session.scalars(sa.select(Notification).where(Notification.kind == kind).order_by(Notification.id)))


def test_the_jobs_are_scheduled():
    assert JOBS["notify-month-not-submitted"].schedule == "25 6 * * *"
    assert JOBS["notify-review-waiting"].schedule == "30 6 * * *"


def test_overdue_periods_look_back_three_months_after_five_days():
    assert reminders.overdue_periods(date(2026, 4, 5)) == [date(2026, 2, 1), date(2026, 1, 1)]
    assert reminders.overdue_periods(date(2026, 4, 6)) == [MARCH, date(2026, 2, 1), date(2026, 1, 1)]
    assert reminders.overdue_periods(date(2026, 1, 10)) == [date(2025, 12, 1), date(2025, 11, 1), date(2025, 10, 1)]


def test_month_not_submitted_notifies_tpl_and_supervisor_once(db, world):
    # world: contracts of tpl and tpl2 from 2026-01-01; nothing submitted yet.
    db.session.add_all([
        MonthlyReport(facilitator_id=world["tpl"].id, period=date(2026, 1, 1), status="approved"),
        MonthlyReport(facilitator_id=world["tpl"].id, period=date(2026, 2, 1), status="returned"),
        MonthlyReport(facilitator_id=world["tpl2"].id, period=date(2026, 1, 1), status="submitted"),
        MonthlyReport(facilitator_id=world["tpl2"].id, period=date(2026, 2, 1), status="draft"),
    ])
    db.session.commit()
    assert reminders.months_not_submitted(date(2026, 1, 31)) == 0  # December lies before the contracts

    added = reminders.months_not_submitted(date(2026, 3, 5))  # February ended 5 days ago: not yet
    assert added == 0
    added = reminders.months_not_submitted(date(2026, 3, 6))
    notes = _notes(db, "month_not_submitted")
    assert added == 4 == len(notes)
    assert {(n.user_id, n.dedupe_key) for n in notes} == {
        (world["facilitator"].id, f"month-not-submitted:{world['tpl'].id}:2026-02"),
        (world["supervisor"].id, f"month-not-submitted:{world['tpl'].id}:2026-02"),
        (world["facilitator2"].id, f"month-not-submitted:{world['tpl2'].id}:2026-02"),
        (world["supervisor2"].id, f"month-not-submitted:{world['tpl2'].id}:2026-02"),
    }
    assert notes[0].link in (f"/bulanan/tpl/{world['tpl'].id}/2026-02", f"/bulanan/tpl/{world['tpl2'].id}/2026-02")
    assert reminders.months_not_submitted(date(2026, 3, 20)) == 0  # once


def test_month_not_submitted_skips_months_outside_contracts_and_disabled_users(db):
    user, supervisor = UserFactory(), UserFactory(role="supervisor", is_enabled=False)
    tpl = FacilitatorFactory(user=user, supervisor=supervisor)
    ContractFactory(facilitator=tpl, start_date=date(2026, 2, 20), end_date=date(2026, 3, 10))
    assert reminders.months_not_submitted(date(2026, 5, 20)) == 2  # February and March, the TPL only
    assert {n.dedupe_key for n in _notes(db, "month_not_submitted")} == {
        f"month-not-submitted:{tpl.id}:2026-02", f"month-not-submitted:{tpl.id}:2026-03"}
    assert {n.user_id for n in _notes(db, "month_not_submitted")} == {user.id}


def test_review_waiting_more_than_seven_days_notifies_the_supervisor_once_per_submission(db, world):
    submitted = datetime(2026, 4, 2, 3, 0, tzinfo=timezone.utc)  # 2 April in Jakarta
    report = MonthlyReport(facilitator_id=world["tpl"].id, period=MARCH, status="submitted", submitted_at=submitted)
    fresh = MonthlyReport(facilitator_id=world["tpl2"].id, period=MARCH, status="submitted",
                          submitted_at=datetime(2026, 4, 8, 3, 0, tzinfo=timezone.utc))
    db.session.add_all([report, fresh])
    db.session.commit()
    assert reminders.reviews_waiting(date(2026, 4, 9)) == 0  # 7 days: not more than 7
    assert reminders.reviews_waiting(date(2026, 4, 10)) == 1
    (note,) = _notes(db, "review_waiting")
    assert note.user_id == world["supervisor"].id
    assert note.dedupe_key == f"review-waiting:{report.id}:2026-04-02"
    assert note.link == f"/bulanan/tpl/{world['tpl'].id}/2026-03"
    assert reminders.reviews_waiting(date(2026, 4, 11)) == 0  # once

    # Returned, then submitted again: a new submission gets its own reminder.
    report.submitted_at = datetime(2026, 4, 20, 3, 0, tzinfo=timezone.utc)
    db.session.commit()
    assert reminders.reviews_waiting(date(2026, 4, 25)) == 1  # only tpl2's month (8 April) now
    assert reminders.reviews_waiting(date(2026, 4, 28)) == 1
    assert len(_notes(db, "review_waiting")) == 3


def test_reviewed_months_are_not_reminded(db, world):
    db.session.add(MonthlyReport(facilitator_id=world["tpl"].id, period=MARCH, status="approved",
                                 submitted_at=datetime(2026, 4, 1, tzinfo=timezone.utc)))
    db.session.commit()
    assert reminders.reviews_waiting(date(2026, 5, 1)) == 0
