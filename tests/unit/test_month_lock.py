"""The month lock under concurrency: checking a month holds its row until the change commits (PostgreSQL)."""

import threading
import time
from decimal import Decimal

import pytest
import sqlalchemy as sa

from tpl_tracker.extensions import db as _db
from tpl_tracker.models import Activity, Facilitator, MonthlyReport, User
from tpl_tracker.services import ServiceError
from tpl_tracker.services.activities import ActivityData, create_activity
from tpl_tracker.services.months import assert_months_open, next_month
from tpl_tracker.services.reviews import submit_month

from ..clock import on

LONG = 60  # seconds: the most any step of these tests may take before it counts as hung


@pytest.mark.real_commits
def test_a_change_being_checked_holds_the_month_against_a_submission(db, work):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("SQLite serialises writers with BEGIN IMMEDIATE; row locks are PostgreSQL's")
    month_id, tpl_id = work["month"].id, work["tpl"].id
    db.session.commit()
    submit = sa.text("UPDATE monthly_reports SET status = 'submitted' WHERE id = :id")

    assert_months_open(tpl_id, on(3, 10))  # an activity of March is about to be written
    with db.engine.connect() as other:
        other.execute(sa.text("SET lock_timeout = '300ms'"))
        with pytest.raises(sa.exc.OperationalError):
            other.execute(submit, {"id": month_id})  # the submission has to wait for that write
        other.rollback()
        db.session.commit()  # the write is done
        other.execute(sa.text("SET lock_timeout = '300ms'"))
        other.execute(submit, {"id": month_id})
        other.commit()


# --- a write and a submission of a month that has no row yet (issue 9, item 9) -----------------------------


def _waiting_on_a_lock(db) -> bool:
    """True when a session of this database waits for a lock another one holds."""
    with db.engine.connect() as watcher:
        waiting = watcher.execute(
            sa.text(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'"
            )
        ).scalar()
    return waiting > 0


class _UseCase(threading.Thread):
    """Runs a use case in its own app context and session (its own connection), keeps it open until `release`
    is set, then commits; `done` is set once the use case has run (or failed), `result`/`error` tell how."""

    def __init__(self, app, use_case):
        super().__init__(daemon=True)
        self.app, self.use_case = app, use_case
        self.done, self.release = threading.Event(), threading.Event()
        self.result = self.error = None

    def run(self):
        with self.app.app_context():
            try:
                self.result = self.use_case()
            except Exception as error:  # handed to the test
                self.error = error
                _db.session.rollback()
            finally:
                self.done.set()
            try:
                self.release.wait(LONG)
                _db.session.commit()
            finally:
                _db.session.remove()


def _wait_until_blocked_or_done(db, thread: _UseCase) -> None:
    """Return once `thread` waits for a row lock (or has already finished, which is the bug)."""
    deadline = time.monotonic() + LONG
    while not thread.done.wait(0.02) and not _waiting_on_a_lock(db):
        assert time.monotonic() < deadline, "the use case neither finished nor waited for a lock"


def _activity_of(ids, day):
    tpl = _db.session.get(Facilitator, ids["tpl"])
    data = ActivityData(
        date=day, type="kunjungan", description="Kunjungan", hours=Decimal("2"), business_ids=[ids["business"]]
    )
    return create_activity(_db.session.get(User, ids["user"]), tpl, data).id


def _submission_of(ids, period):
    tpl = _db.session.get(Facilitator, ids["tpl"])
    submit_month(_db.session.get(User, ids["user"]), tpl, period)
    return _db.session.scalar(  # what the submission sees of its month, inside its own transaction
        sa.select(sa.func.count())
        .select_from(Activity)
        .where(Activity.facilitator_id == tpl.id, Activity.date >= period, Activity.date < next_month(period))
    )


def _rowless_month(db, work):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("SQLite serialises writers with BEGIN IMMEDIATE; row locks are PostgreSQL's")
    ids = {"tpl": work["tpl"].id, "user": work["facilitator"].id, "business": work["business"].id}
    db.session.commit()
    april = on(4, 1)
    assert db.session.scalar(sa.select(MonthlyReport).where(MonthlyReport.period == april)) is None
    return ids, april


def _activities_in(db, ids, period) -> int:
    db.session.rollback()
    return db.session.scalar(
        sa.select(sa.func.count())
        .select_from(Activity)
        .where(Activity.facilitator_id == ids["tpl"], Activity.date >= period, Activity.date < next_month(period))
    )


@pytest.mark.real_commits
def test_a_submission_waits_for_a_write_to_a_month_without_a_row_and_then_sees_it(app, db, work):
    ids, april = _rowless_month(db, work)
    writer = _UseCase(app, lambda: _activity_of(ids, on(4, 7)))
    submitter = _UseCase(app, lambda: _submission_of(ids, april))
    submitter.release.set()  # the submission commits as soon as it has run
    writer.start()
    assert writer.done.wait(LONG) and writer.error is None, writer.error  # written, not committed yet

    submitter.start()
    try:
        _wait_until_blocked_or_done(db, submitter)
        assert not submitter.done.is_set(), "the submission did not wait for the activity being written"
    finally:
        writer.release.set()
        writer.join(LONG)
        submitter.join(LONG)

    assert submitter.error is None, submitter.error
    assert submitter.result == 1  # the submission saw the activity: it is part of the submitted month
    status = db.session.scalar(sa.select(MonthlyReport.status).where(MonthlyReport.period == april))
    assert status == "submitted" and _activities_in(db, ids, april) == 1


@pytest.mark.real_commits
def test_a_write_waits_for_a_submission_of_a_month_without_a_row_and_is_then_refused(app, db, work):
    ids, april = _rowless_month(db, work)
    submitter = _UseCase(app, lambda: _submission_of(ids, april))
    writer = _UseCase(app, lambda: _activity_of(ids, on(4, 7)))
    writer.release.set()
    submitter.start()
    assert submitter.done.wait(LONG) and submitter.error is None, submitter.error  # submitted, not committed yet

    writer.start()
    try:
        _wait_until_blocked_or_done(db, writer)
        assert not writer.done.is_set(), "the activity was written without waiting for the submission"
    finally:
        submitter.release.set()
        submitter.join(LONG)
        writer.join(LONG)

    assert isinstance(writer.error, ServiceError), writer.error
    status = db.session.scalar(sa.select(MonthlyReport.status).where(MonthlyReport.period == april))
    assert status == "submitted" and _activities_in(db, ids, april) == 0
