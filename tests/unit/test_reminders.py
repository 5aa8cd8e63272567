"""Reminders of the monthly report: months left unsubmitted, reviews left waiting; each sent once."""

import sqlalchemy as sa

from tpl_tracker.jobs import JOBS
from tpl_tracker.models import MonthlyReport, Notification
from tpl_tracker.services import reminders
from tpl_tracker.services.notification_kinds import notification_url

from ..clock import iso, moment, on, period
from ..factories import ContractFactory, FacilitatorFactory, UserFactory

MARCH = on(3, 1)


def _notes(db, kind):
    return list(db.session.scalars(sa.select(Notification).where(Notification.kind == kind).order_by(Notification.id)))


def test_the_jobs_are_scheduled():
    assert JOBS["notify-month-not-submitted"].schedule == "25 6 * * *"
    assert JOBS["notify-review-waiting"].schedule == "30 6 * * *"


def test_overdue_periods_look_back_three_months_after_five_days():
    assert reminders.overdue_periods(on(4, 5)) == [on(2, 1), on(1, 1)]
    assert reminders.overdue_periods(on(4, 6)) == [MARCH, on(2, 1), on(1, 1)]
    assert reminders.overdue_periods(on(1, 10)) == [on(12, 1, years=-1), on(11, 1, years=-1), on(10, 1, years=-1)]


def test_month_not_submitted_notifies_tpl_and_supervisor_once(db, world):
    # world: contracts of tpl and tpl2 from 1 January; nothing submitted yet.
    db.session.add_all(
        [
            MonthlyReport(facilitator_id=world["tpl"].id, period=on(1, 1), status="approved"),
            MonthlyReport(facilitator_id=world["tpl"].id, period=on(2, 1), status="returned"),
            MonthlyReport(facilitator_id=world["tpl2"].id, period=on(1, 1), status="submitted"),
            MonthlyReport(facilitator_id=world["tpl2"].id, period=on(2, 1), status="draft"),
        ]
    )
    db.session.commit()
    assert reminders.months_not_submitted(on(1, 31)) == 0  # December lies before the contracts

    added = reminders.months_not_submitted(on(3, 5))  # February ended 5 days ago: not yet
    assert added == 0
    added = reminders.months_not_submitted(on(3, 6))
    notes = _notes(db, "month_not_submitted")
    assert added == 4 == len(notes)
    assert {(n.user_id, n.dedupe_key) for n in notes} == {
        (world["facilitator"].id, f"month-not-submitted:{world['tpl'].id}:{period(2)}"),
        (world["supervisor"].id, f"month-not-submitted:{world['tpl'].id}:{period(2)}"),
        (world["facilitator2"].id, f"month-not-submitted:{world['tpl2'].id}:{period(2)}"),
        (world["supervisor2"].id, f"month-not-submitted:{world['tpl2'].id}:{period(2)}"),
    }
    assert notes[0].endpoint == "reviews.month"
    assert notes[0].endpoint_args in (
        {"facilitator_id": world["tpl"].id, "period": period(2)},
        {"facilitator_id": world["tpl2"].id, "period": period(2)},
    )
    assert notes[0].params["month"] == iso(2, 1)
    assert reminders.months_not_submitted(on(3, 20)) == 0  # once


def test_month_not_submitted_skips_months_outside_contracts_and_disabled_users(db):
    user, supervisor = UserFactory(), UserFactory(role="supervisor", is_enabled=False)
    tpl = FacilitatorFactory(user=user, supervisor=supervisor)
    ContractFactory(facilitator=tpl, start_date=on(2, 20), end_date=on(3, 10))
    assert reminders.months_not_submitted(on(5, 20)) == 2  # February and March, the TPL only
    assert {n.dedupe_key for n in _notes(db, "month_not_submitted")} == {
        f"month-not-submitted:{tpl.id}:{period(2)}",
        f"month-not-submitted:{tpl.id}:{period(3)}",
    }
    assert {n.user_id for n in _notes(db, "month_not_submitted")} == {user.id}


def test_review_waiting_more_than_seven_days_notifies_the_supervisor_once_per_submission(app, db, world):
    submitted = moment(4, 2)  # 2 April in Jakarta
    report = MonthlyReport(facilitator_id=world["tpl"].id, period=MARCH, status="submitted", submitted_at=submitted)
    fresh = MonthlyReport(facilitator_id=world["tpl2"].id, period=MARCH, status="submitted", submitted_at=moment(4, 8))
    db.session.add_all([report, fresh])
    db.session.commit()
    assert reminders.reviews_waiting(on(4, 9)) == 0  # 7 days: not more than 7
    assert reminders.reviews_waiting(on(4, 10)) == 1
    (note,) = _notes(db, "review_waiting")
    assert note.user_id == world["supervisor"].id
    assert note.dedupe_key == f"review-waiting:{report.id}:{iso(4, 2)}"
    assert (note.endpoint, note.endpoint_args) == (
        "reviews.month",
        {"facilitator_id": world["tpl"].id, "period": period(3)},
    )
    assert note.params == {"name": world["tpl"].full_name, "month": iso(3, 1), "date": iso(4, 2)}
    with app.test_request_context():
        assert notification_url(note) == f"/bulanan/tpl/{world['tpl'].id}/{period(3)}"
    assert reminders.reviews_waiting(on(4, 11)) == 0  # once

    # Returned, then submitted again: a new submission gets its own reminder.
    report.submitted_at = moment(4, 20)
    db.session.commit()
    assert reminders.reviews_waiting(on(4, 25)) == 1  # only tpl2's month (8 April) now
    assert reminders.reviews_waiting(on(4, 28)) == 1
    assert len(_notes(db, "review_waiting")) == 3


def test_reviewed_months_are_not_reminded(db, world):
    db.session.add(
        MonthlyReport(
            facilitator_id=world["tpl"].id, period=MARCH, status="approved", submitted_at=moment(4, 1, hour=0)
        )
    )
    db.session.commit()
    assert reminders.reviews_waiting(on(5, 1)) == 0
