"""The monthly report's lock: which months of a TPL may still change.

A month is locked while it is submitted or approved. Every service that writes an activity, a permit or an
assessment asks `assert_months_open` first, with every date the change touches (old and new values). It
creates the month's row when it has none yet and holds it (SELECT ... FOR UPDATE on PostgreSQL) until the
change commits; a submission holds the same row (`lock_month`), so a write and a submission of one month
always happen one after the other, even for a month that had no row before its first submission.
"""

from datetime import date, timedelta

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.dialects import postgresql, sqlite

from ..database import one_of
from ..extensions import db
from ..models import LOCKED_STATUSES, Facilitator, MonthlyReport
from . import ServiceError


def month_start(day: date) -> date:
    """The first day of the month `day` falls in (a month's `period`)."""
    return day.replace(day=1)


def next_month(period: date) -> date:
    """The first day of the month after `period`."""
    return date(period.year + (period.month == 12), period.month % 12 + 1, 1)


def previous_month(period: date) -> date:
    """The first day of the month before `period`."""
    return date(period.year - (period.month == 1), (period.month - 2) % 12 + 1, 1)


def covers_month(facilitator: Facilitator, period: date) -> bool:
    """True when (part of) the month lies within one of the TPL's contract periods."""
    return any(c.start_date < next_month(period) and c.effective_end >= period for c in facilitator.contracts)


def submission_opens(facilitator: Facilitator, period: date) -> date | None:
    """The first day on which the TPL may submit the month: its last day, or the last day of their contracts in
    it when these end earlier in the month; None when no contract covers the month.

    Submitted earlier, the month would be locked while days of work in it are still ahead.
    """
    after = next_month(period)
    ends = [c.effective_end for c in facilitator.contracts if c.start_date < after and c.effective_end >= period]
    if not ends:
        return None
    return min(after - timedelta(days=1), max(ends))


def month_label(period: date) -> str:
    """A month as the interface shows it: 'Maret 2026'."""
    from flask_babel import format_date

    return format_date(period, "MMMM yyyy")


def get_month(facilitator_id: int, day: date) -> MonthlyReport | None:
    """The monthly report holding `day`, if one exists yet."""
    return db.session.scalar(
        sa.select(MonthlyReport).where(
            MonthlyReport.facilitator_id == facilitator_id, MonthlyReport.period == month_start(day)
        )
    )


def ensure_months(facilitator_id: int, periods) -> None:
    """Create the missing draft rows of the given months, race-safe (a concurrent insert of the same month wins).

    INSERT ... ON CONFLICT DO NOTHING: on PostgreSQL an insert of a row another transaction has just inserted
    waits for that transaction and then does nothing; SQLite lets one writer in at a time anyway.
    """
    rows = [{"facilitator_id": facilitator_id, "period": p, "status": "draft"} for p in sorted(set(periods))]
    if not rows:
        return
    dialect = db.session.get_bind().dialect.name
    if dialect == "postgresql":
        insert = postgresql.insert(MonthlyReport).on_conflict_do_nothing(index_elements=["facilitator_id", "period"])
    elif dialect == "sqlite":
        insert = sqlite.insert(MonthlyReport).on_conflict_do_nothing(index_elements=["facilitator_id", "period"])
    else:  # pragma: no cover - the app runs on SQLite and PostgreSQL only
        raise NotImplementedError(dialect)
    for row in rows:  # one by one, in month order: two writers never wait for each other crosswise
        db.session.execute(insert.values(**row))


def lock_month(facilitator_id: int, day: date) -> MonthlyReport:
    """The monthly report holding `day`, created as a draft when missing, its row held until commit (PostgreSQL).

    The row is read again from the database (what a transaction that held it before committed), not from the
    session's memory.
    """
    period = month_start(day)
    ensure_months(facilitator_id, [period])
    return db.session.scalar(
        sa.select(MonthlyReport)
        .where(MonthlyReport.facilitator_id == facilitator_id, MonthlyReport.period == period)
        .with_for_update()
        .execution_options(populate_existing=True)
    )


def month_statuses(pairs) -> dict[tuple[int, date], str]:
    """The review status of the month holding each (facilitator id, day) pair, keyed (facilitator id, period).

    Months without a report yet are drafts; one query whatever the number of pairs.
    """
    keys = {(facilitator_id, month_start(day)) for facilitator_id, day in pairs if day is not None}
    if not keys:
        return {}
    rows = db.session.execute(
        sa.select(MonthlyReport.facilitator_id, MonthlyReport.period, MonthlyReport.status).where(
            one_of(MonthlyReport.facilitator_id, sorted({k[0] for k in keys})),
            one_of(MonthlyReport.period, sorted({k[1] for k in keys})),
        )
    )
    found = {(facilitator_id, period): status for facilitator_id, period, status in rows}
    return {key: found.get(key, "draft") for key in keys}


def month_status(facilitator_id: int, day: date) -> str:
    """The review status of the month holding `day` for a TPL (draft when no report exists yet)."""
    return month_statuses([(facilitator_id, day)])[(facilitator_id, month_start(day))]


def locked_periods(facilitator_id: int, days, for_update: bool = False) -> set[date]:
    """Which of the months holding `days` are locked for the TPL (`for_update`: lock their rows till commit)."""
    periods = {month_start(d) for d in days if d is not None}
    if not periods:
        return set()
    query = (
        sa.select(MonthlyReport.period, MonthlyReport.status)
        .where(MonthlyReport.facilitator_id == facilitator_id, MonthlyReport.period.in_(periods))
        .order_by(MonthlyReport.period)
    )
    if for_update:
        query = query.with_for_update()
    rows = db.session.execute(query)
    return {period for period, status in rows if status in LOCKED_STATUSES}


def assert_months_open(facilitator_id: int, *days: date | None) -> None:
    """Refuse a change touching a submitted or approved month; hold the months' rows until the change commits."""
    # The rows are created first when missing, then held FOR UPDATE (PostgreSQL; SQLite already serialises
    # writers): a submission of the same month waits for the change being checked here to commit, instead of
    # locking the month under it, and a change waits for a submission that came first, then sees it.
    ensure_months(facilitator_id, {month_start(d) for d in days if d is not None})
    locked = sorted(locked_periods(facilitator_id, days, for_update=True))
    if locked:
        raise ServiceError(
            _("%(month)s has been submitted or approved and can no longer be changed.", month=month_label(locked[0]))
        )
