"""The monthly report: a TPL submits a month, their supervisor approves or returns it, and may reopen it.

A month (`period`, its first day) holds the TPL's activities dated in it, the permit steps that happened in it
(planned, submitted, issued or rejected on a day of the month) and the assessments made in it. Every transition
checks the current status, records who, when and why (MonthlyReportEvent), writes an audit entry, notifies the
other side and commits.
"""

import re
from dataclasses import dataclass, field
from datetime import date

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.orm import contains_eager, joinedload, selectinload

from .. import formatting
from ..database import one_of
from ..dates import programme_date, programme_today
from ..extensions import db
from ..models import (
    Activity,
    Assessment,
    Contract,
    Facilitator,
    MonthAction,
    MonthlyReport,
    MonthlyReportEvent,
    MonthStatus,
    PermitFacilitation,
    PermitStatus,
    ReviewComment,
    User,
    utcnow,
)
from ..text import control_characters_message, has_control_characters
from . import Problems, ServiceError, audit, roster_flags
from .months import lock_month, month_label, month_start, next_month, submission_opens
from .notifications import enabled_user_ids, notify
from .policy import SUBMITTABLE, copied_scope, facilitator_scope, in_regions, is_own_work, supervises

MAX_COMMENT = 2000
REVIEW_DECISIONS = ("approve", "return")
PERMIT_STEPS = tuple(PermitStatus)
ITEM_COMMENT_FIELD = re.compile(r"^comment-(activity|permit|assessment)-([1-9]\d{0,9})$")


@dataclass
class MonthCounts:
    """How much work one month of a TPL holds."""

    activities: int = 0
    permit_steps: int = 0
    assessments: int = 0


@dataclass
class MonthItems:
    """Everything of one TPL's month, as the month page shows it."""

    activities: list[Activity] = field(default_factory=list)
    # (date, permit, step) for every permit step that happened in the month, in date order.
    permit_steps: list[tuple[date, PermitFacilitation, str]] = field(default_factory=list)
    assessments: list[Assessment] = field(default_factory=list)

    @property
    def hours(self):
        """Total hours of the month's activities."""
        return sum((a.hours for a in self.activities), start=0)

    def keys(self) -> set[tuple[str, int]]:
        """The (item type, id) of every item of the month (what a review comment may point at)."""
        return (
            {("activity", a.id) for a in self.activities}
            | {("permit", p.id) for _day, p, _step in self.permit_steps}
            | {("assessment", a.id) for a in self.assessments}
        )


# --- labels and periods ---------------------------------------------------------------------


def month_status_label(status: str) -> str:
    """The interface's name of a month status ('Draft (not submitted)', 'Approved', ...)."""
    return str(MonthStatus.label_of(status))


def action_label(action: str) -> str:
    """The interface's name of a month transition."""
    return str(MonthAction.label_of(action))


def parse_period(text: str) -> date | None:
    """'2026-03' as the month's first day; None when it is not a valid YYYY-MM."""
    match = re.fullmatch(r"(\d{4})-(\d{2})", text or "")
    if not match:
        return None
    year, month = int(match.group(1)), int(match.group(2))
    if not (1 <= month <= 12 and 1990 <= year <= 2100):
        return None
    return date(year, month, 1)


def period_text(period: date) -> str:
    """A month as it appears in URLs: '2026-03'."""
    return f"{period:%Y-%m}"


MONTH_ENDPOINT = "reviews.month"


def month_args(facilitator_id: int, period: date) -> dict:
    """The arguments of a month page's endpoint, as a notification stores them."""
    return {"facilitator_id": facilitator_id, "period": period_text(period)}


def _contract_months(contract: Contract):
    period, last = month_start(contract.start_date), month_start(contract.effective_end)
    while period <= last:
        yield period
        period = next_month(period)


def contract_months(facilitator: Facilitator, today: date | None = None) -> list[date]:
    """The months of the TPL's contract periods up to the current month, newest first."""
    current = month_start(today or programme_today())
    periods = {p for c in facilitator.contracts for p in _contract_months(c) if p <= current}
    return sorted(periods, reverse=True)


def days_waiting(report: MonthlyReport, today: date | None = None) -> int:
    """Days since the month was submitted (0 when not submitted)."""
    if report.submitted_at is None:
        return 0
    return max(((today or programme_today()) - programme_date(report.submitted_at)).days, 0)


# --- reading --------------------------------------------------------------------------------


def month_counts(pairs) -> dict[tuple[int, date], MonthCounts]:
    """{(facilitator_id, period): MonthCounts} for the given pairs, in three queries whatever their number."""
    pairs = {(f, month_start(p)) for f, p in pairs}
    counts = {pair: MonthCounts() for pair in pairs}
    if not pairs:
        return counts
    facilitator_ids = sorted({facilitator_id for facilitator_id, _period in pairs})
    low, high = min(period for _f, period in pairs), next_month(max(period for _f, period in pairs))

    def within(model, *columns):
        # The TPL as one list parameter and one date range (a statement SQLAlchemy and the database prepare once,
        # whatever the number of TPL), not a condition per TPL: a page's months lie close together, and `tally`
        # keeps only the pairs asked for.
        in_range = [sa.and_(column >= low, column < high) for column in columns]
        return sa.and_(one_of(model.facilitator_id, facilitator_ids), sa.or_(*in_range))

    def tally(rows, attribute):
        for facilitator_id, *days in rows:
            for day in days:
                pair = (facilitator_id, month_start(day)) if day is not None else None
                if pair in counts:
                    setattr(counts[pair], attribute, getattr(counts[pair], attribute) + 1)

    tally(
        db.session.execute(sa.select(Activity.facilitator_id, Activity.date).where(within(Activity, Activity.date))),
        "activities",
    )
    tally(
        db.session.execute(
            sa.select(Assessment.facilitator_id, Assessment.assessed_on).where(
                within(Assessment, Assessment.assessed_on)
            )
        ),
        "assessments",
    )
    step_columns = [getattr(PermitFacilitation, f"{step}_on") for step in PERMIT_STEPS]
    tally(
        db.session.execute(
            sa.select(PermitFacilitation.facilitator_id, *step_columns).where(within(PermitFacilitation, *step_columns))
        ),
        "permit_steps",
    )
    return counts


def month_items(facilitator_id: int, period: date) -> MonthItems:
    """The activities, permit steps and assessments of one TPL's month, with what the page shows loaded."""
    end = next_month(period)
    activities = list(
        db.session.scalars(
            sa.select(Activity)
            .options(selectinload(Activity.businesses), selectinload(Activity.evidence))
            .where(Activity.facilitator_id == facilitator_id, Activity.date >= period, Activity.date < end)
            .order_by(Activity.date, Activity.id)
        )
    )
    step_columns = {step: getattr(PermitFacilitation, f"{step}_on") for step in PERMIT_STEPS}
    permits = db.session.scalars(
        sa.select(PermitFacilitation)
        .options(joinedload(PermitFacilitation.business))
        .where(
            PermitFacilitation.facilitator_id == facilitator_id,
            sa.or_(*[sa.and_(c >= period, c < end) for c in step_columns.values()]),
        )
        .order_by(PermitFacilitation.id)
    )
    steps = []
    for permit in permits:
        for step in PERMIT_STEPS:
            day = getattr(permit, f"{step}_on")
            if day is not None and period <= day < end:
                steps.append((day, permit, step))
    steps.sort(key=lambda row: (row[0], row[1].id, PERMIT_STEPS.index(row[2])))
    assessments = list(
        db.session.scalars(
            sa.select(Assessment)
            .options(joinedload(Assessment.business))
            .where(
                Assessment.facilitator_id == facilitator_id,
                Assessment.assessed_on >= period,
                Assessment.assessed_on < end,
            )
            .order_by(Assessment.assessed_on, Assessment.id)
        )
    )
    return MonthItems(activities=activities, permit_steps=steps, assessments=assessments)


def month_events(report: MonthlyReport | None) -> list[MonthlyReportEvent]:
    """The transitions of a month, oldest first, with their actors and item comments loaded."""
    if report is None:
        return []
    return list(
        db.session.scalars(
            sa.select(MonthlyReportEvent)
            .options(joinedload(MonthlyReportEvent.actor), selectinload(MonthlyReportEvent.item_comments))
            .where(MonthlyReportEvent.report_id == report.id)
            .order_by(MonthlyReportEvent.at, MonthlyReportEvent.id)
        )
    )


def last_return(events: list[MonthlyReportEvent]) -> MonthlyReportEvent | None:
    """The latest return or reopen event: what the TPL must correct while the month is back with them."""
    return next((e for e in reversed(events) if e.action in ("return", "reopen")), None)


def last_events(report_ids) -> dict[int, MonthlyReportEvent]:
    """{report_id: its latest transition} in one query."""
    report_ids = set(report_ids)
    if not report_ids:
        return {}
    latest = (
        sa.select(sa.func.max(MonthlyReportEvent.id))
        .where(one_of(MonthlyReportEvent.report_id, sorted(report_ids)))
        .group_by(MonthlyReportEvent.report_id)
    )
    events = db.session.scalars(
        sa.select(MonthlyReportEvent)
        .options(joinedload(MonthlyReportEvent.actor))
        .where(MonthlyReportEvent.id.in_(latest))
    )
    return {event.report_id: event for event in events}


def facilitator_months(facilitator: Facilitator, today: date | None = None) -> list[dict]:
    """One row per month of the TPL's contract periods up to the current month, newest first."""
    periods = contract_months(facilitator, today)
    reports = (
        {
            r.period: r
            for r in db.session.scalars(
                sa.select(MonthlyReport).where(
                    MonthlyReport.facilitator_id == facilitator.id, MonthlyReport.period.in_(periods)
                )
            )
        }
        if periods
        else {}
    )
    counts = month_counts({(facilitator.id, p) for p in periods})
    events = last_events(r.id for r in reports.values())
    return [
        {
            "period": period,
            "report": reports.get(period),
            "status": reports[period].status if period in reports else "draft",
            "counts": counts[(facilitator.id, period)],
            "last_event": events.get(reports[period].id) if period in reports else None,
        }
        for period in periods
    ]


def review_queue(user: User):
    """A select of the submitted months waiting for `user`'s review, oldest submission first."""
    query = (
        sa.select(MonthlyReport)
        .join(Facilitator, MonthlyReport.facilitator_id == Facilitator.id)
        .options(joinedload(MonthlyReport.facilitator))
        .where(MonthlyReport.status == "submitted", facilitator_scope(user))
        .order_by(MonthlyReport.submitted_at, MonthlyReport.id)
    )
    # A supervisor's are read by the months' copies of their TPL's supervisor and region (migration 0024), not by
    # every submitted month of the country against the province's TPL of every year.
    copied = copied_scope(user, MonthlyReport)
    return query if copied is None else query.where(copied)


# The order of the monthly report list: newest month first, then the TPL's name (a cursor holds these three values).
REPORT_ORDER = [MonthlyReport.period.desc(), Facilitator.full_name.asc(), MonthlyReport.id.asc()]


def report_sort_key(report: MonthlyReport) -> tuple:
    """A report's place in REPORT_ORDER."""
    return (report.period, report.facilitator.full_name, report.id)


def report_query(
    user: User,
    status: str | None = None,
    period: date | None = None,
    province: str | None = None,
    facilitator_id: int | None = None,
):
    """A select of the monthly reports in the user's scope, newest month first, optionally filtered."""
    # The TPL comes from the join the order needs: a second join of every TPL of the month before the sort cost a
    # quarter of the statement nationally.
    query = (
        sa.select(MonthlyReport)
        .join(Facilitator, MonthlyReport.facilitator_id == Facilitator.id)
        .options(contains_eager(MonthlyReport.facilitator), joinedload(MonthlyReport.reviewer))
        .where(facilitator_scope(user))
        .order_by(*REPORT_ORDER)
    )
    if status:
        query = query.where(MonthlyReport.status == status)
    if period:
        query = query.where(MonthlyReport.period == period)
    if province:
        query = query.where(in_regions(Facilitator.region_code, [province]))
    if facilitator_id:
        query = query.where(MonthlyReport.facilitator_id == facilitator_id)
    return query


# --- transitions ----------------------------------------------------------------------------


def _clean(text: str | None) -> str | None:
    text = (text or "").strip()
    return text or None


def _comment_problem(text: str | None) -> str | None:
    """Why a comment, note or reason cannot be stored (control characters, over MAX_COMMENT), or None."""
    if has_control_characters(text):
        return control_characters_message()
    if text is not None and len(text) > MAX_COMMENT:
        return _("A comment may have at most %(max)d characters.", max=MAX_COMMENT)
    return None


def _check_length(text: str | None, field_name: str | None = None) -> None:
    problem = _comment_problem(text)
    if problem is not None:
        raise ServiceError(problem, field=field_name)


def _move(report: MonthlyReport, allowed: tuple[str, ...], values: dict) -> None:
    """Change the month's status only if it still is in `allowed` (a concurrent transition loses)."""
    result = db.session.execute(
        sa.update(MonthlyReport)
        .where(MonthlyReport.id == report.id, MonthlyReport.status.in_(allowed))
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        raise ServiceError(_("This month was changed by someone else meanwhile. Please check it and try again."))
    roster_flags.touch([report.facilitator_id])  # a plain UPDATE: the TPL's roster flags follow at commit
    db.session.refresh(report)


def _tell(user_ids, kind: str, facilitator: Facilitator, period: date, dedupe_key: str, params: dict) -> None:
    for user_id in sorted(enabled_user_ids(user_ids)):
        notify(user_id, kind, params, dedupe_key, MONTH_ENDPOINT, month_args(facilitator.id, period))


def _event(report: MonthlyReport, action: str, actor: User, comment: str | None) -> MonthlyReportEvent:
    event = MonthlyReportEvent(report_id=report.id, action=action, actor_id=actor.id, at=utcnow(), comment=comment)
    db.session.add(event)
    db.session.flush()
    return event


def submit_month(
    actor: User, facilitator: Facilitator, period: date, note: str | None = None, today: date | None = None
) -> MonthlyReport:
    """The TPL submits one of their months for review: it is locked until the supervisor returns it."""
    today = today or programme_today()
    period = month_start(period)
    note = _clean(note)
    if not is_own_work(actor, facilitator.id):
        raise ServiceError(_("Only the TPL can submit their own monthly report."))
    if period > month_start(today):
        raise ServiceError(_("%(month)s has not started yet and cannot be submitted.", month=month_label(period)))
    opens = submission_opens(facilitator, period)
    if opens is None:
        raise ServiceError(_("%(month)s lies outside your contract periods.", month=month_label(period)))
    if today < opens:
        raise ServiceError(
            _("%(month)s can be submitted from %(date)s on.", month=month_label(period), date=formatting.day(opens))
        )
    _check_length(note, "note")
    # The month's row, created when missing and held until commit: a change of an activity, permit or
    # assessment of this month (months.assert_months_open holds the same row) either commits before the
    # submission goes on, or waits for it and is then refused.
    report = lock_month(facilitator.id, period)
    if report.status == "submitted":
        raise ServiceError(
            _("%(month)s has already been submitted and is waiting for review.", month=month_label(period))
        )
    if report.status == "approved":
        raise ServiceError(
            _(
                "%(month)s has already been approved. Ask your supervisor to reopen it if it must change.",
                month=month_label(period),
            )
        )
    before = audit.snapshot(report)
    _move(report, SUBMITTABLE, {"status": "submitted", "submitted_at": utcnow()})
    event = _event(report, "submit", actor, note)
    audit.record("submit", actor=actor, entity=report, before=before, after=audit.snapshot(report), note=note)
    _tell(
        [facilitator.supervisor_id],
        "month_submitted",
        facilitator,
        period,
        f"month-submitted:{report.id}:{event.id}",
        {"name": facilitator.full_name, "month": period},
    )
    db.session.flush()
    return report


def item_comments_from(form_data) -> dict[tuple[str, int], str]:
    """The per-item comments of a review form: fields comment-<type>-<id> that are not empty."""
    comments = {}
    for name, value in form_data.items():
        match = ITEM_COMMENT_FIELD.match(name)
        text = _clean(value)
        if match and text:
            comments[(match.group(1), int(match.group(2)))] = text
    return comments


def _check_reviewer(actor: User, report: MonthlyReport) -> None:
    if not supervises(actor, report.facilitator_id):
        raise ServiceError(_("Only a supervisor of this TPL can review their monthly report."))


def check_review(
    actor: User,
    report: MonthlyReport,
    decision: str | None,
    comment: str | None = None,
    item_comments: dict[tuple[str, int], str] | None = None,
) -> tuple[str | None, dict[tuple[str, int], str]]:
    """The cleaned comment and item comments of a supervisor's decision on a submitted month; a refusal names every
    problem."""
    _check_reviewer(actor, report)
    if report.status != "submitted":
        raise ServiceError(
            _(
                "Only a submitted month can be reviewed; this one is: %(status)s.",
                status=month_status_label(report.status),
            )
        )
    comment = _clean(comment)
    item_comments = {key: text for key, text in (item_comments or {}).items() if _clean(text)}
    problems = Problems()
    if not decision:
        problems.add(_("Choose approve or return."), "decision")
    elif decision not in REVIEW_DECISIONS:
        problems.add(_("Choose whether to approve the month or return it for correction."), "decision")
    problems.check(_check_length, comment, "comment")
    for problem in dict.fromkeys(filter(None, map(_comment_problem, item_comments.values()))):
        problems.add(problem)  # each kind of problem of the item comments once
    if decision == "return" and not comment and not item_comments:
        problems.add(_("Say what must be corrected: write a comment on the month or on at least one item."), "comment")
    if item_comments:
        allowed = month_items(report.facilitator_id, report.period).keys()
        if any(key not in allowed for key in item_comments):
            problems.add(_("A comment points at an item that is not part of this month."))
    problems.raise_if_any()
    return comment, item_comments


def review_month(
    actor: User,
    report: MonthlyReport,
    decision: str,
    comment: str | None = None,
    item_comments: dict[tuple[str, int], str] | None = None,
) -> MonthlyReport:
    """The supervisor approves a submitted month (locked for good) or returns it with comments (editable)."""
    comment, item_comments = check_review(actor, report, decision, comment, item_comments)
    before = audit.snapshot(report)
    values = {"reviewed_at": utcnow(), "reviewer_id": actor.id}
    if decision == "approve":
        values["status"] = "approved"
    else:
        values.update(status="returned", comment=comment)
    _move(report, ("submitted",), values)
    event = _event(report, decision, actor, comment)
    for (item_type, item_id), text in sorted(item_comments.items()):
        db.session.add(ReviewComment(event_id=event.id, item_type=item_type, item_id=item_id, comment=text))
    note = comment or (_("%(n)d item comments", n=len(item_comments)) if item_comments else None)
    audit.record(decision, actor=actor, entity=report, before=before, after=audit.snapshot(report), note=note)
    facilitator = db.session.get(Facilitator, report.facilitator_id)
    _tell(
        [facilitator.user_id],
        "month_approved" if decision == "approve" else "month_returned",
        facilitator,
        report.period,
        f"month-{decision}:{report.id}:{event.id}",
        {"month": report.period},
    )
    db.session.flush()
    return report


def check_reopen(actor: User, report: MonthlyReport, reason: str | None) -> str:
    """The cleaned reason for reopening an approved month; a refusal names every problem."""
    _check_reviewer(actor, report)
    if report.status != "approved":
        raise ServiceError(
            _(
                "Only an approved month can be reopened; this one is: %(status)s.",
                status=month_status_label(report.status),
            )
        )
    reason = _clean(reason)
    problems = Problems()
    if not reason:
        problems.add(_("Give the reason for reopening the month."), "reason")
    else:
        problems.check(_check_length, reason, "reason")
    problems.raise_if_any()
    return reason


def reopen_month(actor: User, report: MonthlyReport, reason: str | None) -> MonthlyReport:
    """The supervisor reopens an approved month: back with the TPL (returned) for the stated reason."""
    reason = check_reopen(actor, report, reason)
    before = audit.snapshot(report)
    _move(
        report,
        ("approved",),
        {"status": "returned", "comment": reason, "reviewed_at": utcnow(), "reviewer_id": actor.id},
    )
    event = _event(report, "reopen", actor, reason)
    audit.record("reopen", actor=actor, entity=report, before=before, after=audit.snapshot(report), note=reason)
    facilitator = db.session.get(Facilitator, report.facilitator_id)
    _tell(
        [facilitator.user_id],
        "month_reopened",
        facilitator,
        report.period,
        f"month-reopen:{report.id}:{event.id}",
        {"month": report.period, "reason": reason},
    )
    db.session.flush()
    return report
