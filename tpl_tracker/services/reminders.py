"""Reminders of the monthly report: months not submitted after they ended, and reviews left waiting.

Each rule sends a notification once (dedupe key) and looks at a bounded window, with set-based queries.
"""

from datetime import date, timedelta

import sqlalchemy as sa

from ..dates import day_start, programme_date
from ..extensions import db
from ..models import LOCKED_STATUSES, Contract, Facilitator, MonthlyReport
from .months import month_start, next_month, previous_month
from .notifications import enabled_user_ids, notify
from .reviews import MONTH_ENDPOINT, month_args

SUBMIT_GRACE = timedelta(days=5)
REVIEW_WAIT = timedelta(days=7)
LOOK_BACK_MONTHS = 3


def overdue_periods(as_of: date) -> list[date]:
    """The months (of the last three) that ended more than five days before `as_of`."""
    periods, period = [], month_start(as_of)
    for _step in range(LOOK_BACK_MONTHS):
        period = previous_month(period)
        if as_of >= next_month(period) + SUBMIT_GRACE:
            periods.append(period)
    return periods


def months_not_submitted(as_of: date) -> int:
    """TPL whose month ended more than 5 days ago unsubmitted (no report, draft or returned): tell them and
    their supervisor, once per month."""
    rows = []
    for period in overdue_periods(as_of):
        under_contract = sa.select(Contract.facilitator_id).where(
            Contract.start_date < next_month(period), Contract.effective_end >= period
        )
        done = sa.select(MonthlyReport.facilitator_id).where(
            MonthlyReport.period == period, MonthlyReport.status.in_(LOCKED_STATUSES)
        )
        facilitators = db.session.scalars(
            sa.select(Facilitator)
            .where(Facilitator.id.in_(under_contract), Facilitator.id.not_in(done))
            .order_by(Facilitator.id)
        )
        rows += [(facilitator, period) for facilitator in facilitators]
    enabled = enabled_user_ids(u for f, _period in rows for u in (f.user_id, f.supervisor_id))
    added = 0
    for facilitator, period in rows:
        for user_id in (facilitator.user_id, facilitator.supervisor_id):
            if user_id in enabled:
                added += notify(
                    user_id,
                    "month_not_submitted",
                    {"name": facilitator.full_name, "month": period},
                    f"month-not-submitted:{facilitator.id}:{period:%Y-%m}",
                    MONTH_ENDPOINT,
                    month_args(facilitator.id, period),
                )
    db.session.flush()
    return added


def reviews_waiting(as_of: date) -> int:
    """Months submitted more than 7 days before `as_of` and still not reviewed: tell the TPL's supervisor,
    once per submission."""
    rows = db.session.execute(
        sa.select(MonthlyReport, Facilitator)
        .join(Facilitator, MonthlyReport.facilitator_id == Facilitator.id)
        .where(
            MonthlyReport.status == "submitted",
            Facilitator.supervisor_id.is_not(None),
            MonthlyReport.submitted_at < day_start(as_of - REVIEW_WAIT),
        )
        .order_by(MonthlyReport.submitted_at)
    ).all()
    enabled = enabled_user_ids(facilitator.supervisor_id for _report, facilitator in rows)
    added = 0
    for report, facilitator in rows:
        if facilitator.supervisor_id not in enabled:
            continue
        submitted_on = programme_date(report.submitted_at)
        added += notify(
            facilitator.supervisor_id,
            "review_waiting",
            {"name": facilitator.full_name, "month": report.period, "date": submitted_on},
            f"review-waiting:{report.id}:{submitted_on.isoformat()}",
            MONTH_ENDPOINT,
            month_args(facilitator.id, report.period),
        )
    db.session.flush()
    return added
