"""The monthly report: periods, counts, statuses, and the transitions submit -> return/approve -> reopen,
with the month lock they drive, their events, audit entries and notifications."""

import calendar
from contextlib import contextmanager
from datetime import timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa

from tpl_tracker.formatting import day as fmt_day
from tpl_tracker.models import (
    Activity,
    Assessment,
    AuditEntry,
    MonthlyReport,
    MonthlyReportEvent,
    Notification,
    PermitFacilitation,
    ReviewComment,
)
from tpl_tracker.services import ServiceError
from tpl_tracker.services import reviews as service
from tpl_tracker.services.months import (
    assert_months_open,
    covers_month,
    month_label,
    month_statuses,
    submission_opens,
)
from tpl_tracker.services.policy import can_submit_month, month_submission_opens

from ..clock import YEAR, iso, moment, on, period
from ..conftest import refused_use_case, ui_message
from ..factories import ContractFactory, FacilitatorFactory, UserFactory

MARCH = on(3, 1)
TODAY = on(4, 3)


def _count(db, model, *where) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model).where(*where))


def _writes(db) -> int:
    """Rows a transition writes: audit entries (other than security events), events, comments, notifications."""
    return (
        _count(db, AuditEntry, AuditEntry.action.not_in(["login", "access_denied"]))
        + _count(db, MonthlyReportEvent)
        + _count(db, ReviewComment)
        + _count(db, Notification)
    )


@contextmanager
def _statements(db):
    seen = []

    def count(*_args):
        seen.append(1)

    sa.event.listen(db.engine, "before_cursor_execute", count)
    try:
        yield seen
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", count)


def _submit(world, period=MARCH, note=None, today=TODAY):
    return service.submit_month(world["facilitator"], world["tpl"], period, note, today=today)


def _refused(app, call, message, **values):
    with refused_use_case() as error:
        call()
    with app.test_request_context():
        expected = ui_message(app, message, **values)
    assert error.value.message == expected
    return error.value


# --- periods ----------------------------------------------------------------------------------


def test_parse_period():
    assert service.parse_period(period(3)) == MARCH
    for bad in (f"{YEAR}-13", f"{YEAR}-00", f"{YEAR}-3", f"{YEAR % 100}-03", iso(3, 1), "", "abcd-ef", "1800-01"):
        assert service.parse_period(bad) is None


def test_contract_months_up_to_the_current_month_newest_first(world, db):
    tpl = world["tpl"]
    ContractFactory(facilitator=tpl, start_date=on(11, 15, years=-1), end_date=on(12, 31, years=-1))
    db.session.refresh(tpl)
    months = service.contract_months(tpl, today=on(2, 10))
    assert months == [on(2, 1), on(1, 1), on(12, 1, years=-1), on(11, 1, years=-1)]
    assert covers_month(tpl, on(11, 1, years=-1))
    assert not covers_month(tpl, on(10, 1, years=-1))
    assert not covers_month(tpl, on(1, 1, years=1))


def test_a_terminated_contract_ends_its_months(world, db):
    contract = world["contract"]
    contract.status, contract.terminated_on = "terminated", on(5, 20)
    db.session.commit()
    assert covers_month(world["tpl"], on(5, 1))
    assert not covers_month(world["tpl"], on(6, 1))
    assert service.contract_months(world["tpl"], today=on(11, 1))[0] == on(5, 1)


# --- statuses and counts ----------------------------------------------------------------------


def test_month_statuses_in_one_query_missing_months_are_draft(work, db):
    work["month"].status = "approved"
    db.session.commit()
    ids = [work["tpl"].id, work["tpl2"].id]
    periods = [MARCH, on(4, 1)]
    with _statements(db) as seen:
        statuses = month_statuses((i, p) for i in ids for p in periods)
    assert len(seen) == 1
    assert statuses == {
        (work["tpl"].id, MARCH): "approved",
        (work["tpl"].id, on(4, 1)): "draft",
        (work["tpl2"].id, MARCH): "draft",
        (work["tpl2"].id, on(4, 1)): "draft",
    }
    assert month_statuses([]) == {}


def test_month_status_label(app):
    with app.test_request_context():
        assert service.month_status_label("approved") == ui_message(app, "Approved")
        assert service.month_status_label("draft") == ui_message(app, "Draft (not submitted)")


def test_month_counts_and_items(work, db):
    tpl = work["tpl"]
    permit = work["permit"]  # planned 12/03
    permit.status, permit.submitted_on = "submitted", on(3, 20)
    db.session.add_all(
        [
            Activity(
                facilitator=tpl, date=on(3, 31), type="pelatihan", description="Pelatihan label", hours=Decimal("3.5")
            ),
            Activity(facilitator=tpl, date=on(4, 1), type="kunjungan", description="April", hours=Decimal(1)),
            PermitFacilitation(
                business=work["business"],
                facilitator=tpl,
                permit_type="halal",
                status="issued",
                planned_on=on(2, 1),
                submitted_on=on(2, 10),
                issued_on=on(4, 2),
            ),
            Assessment(business=work["business"], facilitator=tpl, kind="follow_up", assessed_on=on(4, 30)),
        ]
    )
    db.session.commit()
    pairs = {(tpl.id, MARCH), (tpl.id, on(4, 1)), (tpl.id, on(2, 1)), (work["tpl2"].id, MARCH)}
    with _statements(db) as seen:
        counts = service.month_counts(pairs)
    assert len(seen) == 3
    assert counts[(tpl.id, MARCH)] == service.MonthCounts(activities=2, permit_steps=2, assessments=1)
    assert counts[(tpl.id, on(4, 1))] == service.MonthCounts(activities=1, permit_steps=1, assessments=1)
    assert counts[(tpl.id, on(2, 1))] == service.MonthCounts(activities=0, permit_steps=2, assessments=0)
    assert counts[(work["tpl2"].id, MARCH)] == service.MonthCounts(activities=1, permit_steps=1, assessments=1)

    items = service.month_items(tpl.id, MARCH)
    assert [a.date for a in items.activities] == [on(3, 10), on(3, 31)]
    assert items.hours == Decimal("5.5")
    assert [(day, step) for day, _p, step in items.permit_steps] == [(on(3, 12), "planned"), (on(3, 20), "submitted")]
    assert [a.id for a in items.assessments] == [work["assessment"].id]
    keys = items.keys()  # a set of (item type, id), not a dict's keys
    assert ("permit", permit.id) in keys and ("activity", work["activity2"].id) not in keys


# --- the full flow ----------------------------------------------------------------------------


def test_submit_return_resubmit_approve_reopen(app, work, db):
    tpl, supervisor = work["tpl"], work["supervisor"]
    activity = work["activity"]

    report = _submit(work, note="Semua kegiatan Maret")
    assert report.status == "submitted" and report.submitted_at is not None
    with refused_use_case():
        assert_months_open(tpl.id, activity.date)
    (note,) = db.session.scalars(sa.select(Notification).where(Notification.kind == "month_submitted"))
    assert note.user_id == supervisor.id
    assert (note.endpoint, note.endpoint_args) == ("reviews.month", {"facilitator_id": tpl.id, "period": period(3)})
    event = report.events[-1]
    assert (event.action, event.actor_id, event.comment) == ("submit", work["facilitator"].id, "Semua kegiatan Maret")
    assert note.dedupe_key == f"month-submitted:{report.id}:{event.id}"

    service.review_month(supervisor, report, "return", "", {("activity", activity.id): "Foto bukti kurang jelas"})
    assert report.status == "returned" and report.reviewer_id == supervisor.id
    assert_months_open(tpl.id, activity.date)  # editable again
    event = report.events[-1]
    assert event.action == "return"
    assert [(c.item_type, c.item_id, c.comment) for c in event.item_comments] == [
        ("activity", activity.id, "Foto bukti kurang jelas")
    ]
    assert (
        _count(db, Notification, Notification.kind == "month_returned", Notification.user_id == work["facilitator"].id)
        == 1
    )

    _submit(work)
    assert report.status == "submitted"
    assert _count(db, Notification, Notification.kind == "month_submitted") == 2  # one per submission

    service.review_month(supervisor, report, "approve", "Baik")
    assert report.status == "approved" and report.reviewed_at is not None
    with refused_use_case():
        assert_months_open(tpl.id, activity.date)

    service.reopen_month(supervisor, report, "Tanggal kunjungan salah")
    assert report.status == "returned" and report.comment == "Tanggal kunjungan salah"
    assert_months_open(tpl.id, activity.date)
    assert [e.action for e in report.events] == ["submit", "return", "submit", "approve", "reopen"]
    actions = list(
        db.session.scalars(
            sa.select(AuditEntry.action)
            .where(AuditEntry.entity_type == "monthly_reports", AuditEntry.entity_id == str(report.id))
            .order_by(AuditEntry.id)
        )
    )
    assert actions == ["submit", "return", "submit", "approve", "reopen"]
    reopened = db.session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "reopen"))
    assert reopened.before["status"] == "approved" and reopened.after["status"] == "returned"
    assert reopened.note == "Tanggal kunjungan salah"
    assert service.last_return(service.month_events(report)).action == "reopen"


def test_submit_creates_a_missing_month(work, db):
    april = on(4, 1)
    report = _submit(work, period=april, today=on(4, 30))  # the current month, on its last day
    assert report.period == april and report.status == "submitted"
    assert _count(db, MonthlyReport, MonthlyReport.facilitator_id == work["tpl"].id) == 2


# --- from when a month may be submitted ---------------------------------------------------------


def test_a_month_opens_for_submission_on_its_last_day(world, db):
    tpl = world["tpl"]
    assert submission_opens(tpl, on(2, 1)) == on(2, calendar.monthrange(YEAR, 2)[1])  # 28 or 29 February
    assert submission_opens(tpl, on(4, 1)) == on(4, 30)
    assert submission_opens(tpl, on(12, 1)) == on(12, 31)
    assert submission_opens(tpl, on(1, 1, years=1)) is None  # outside every contract


def test_a_contract_ending_within_the_month_opens_it_on_the_contract_s_last_day(world, db):
    contract = world["contract"]
    contract.status, contract.terminated_on = "terminated", on(5, 20)
    db.session.commit()
    assert submission_opens(world["tpl"], on(5, 1)) == on(5, 20)
    assert submission_opens(world["tpl"], on(6, 1)) is None


def test_a_contract_renewed_within_the_month_opens_it_on_the_month_s_last_day(world, db):
    tpl = world["tpl"]
    world["contract"].end_date = on(6, 15)
    ContractFactory(facilitator=tpl, start_date=on(6, 16), end_date=on(12, 31, years=1))
    db.session.commit()
    db.session.refresh(tpl)
    assert submission_opens(tpl, on(6, 1)) == on(6, 30)


def test_a_month_is_refused_before_its_last_day_and_accepted_on_it(app, work, db):
    april = on(4, 1)
    before = _writes(db)
    with app.test_request_context():
        label, last_day = month_label(april), fmt_day(on(4, 30))
    for today in (on(4, 1), on(4, 29)):
        _refused(
            app,
            lambda today=today: _submit(work, period=april, today=today),
            "%(month)s can be submitted from %(date)s on.",
            month=label,
            date=last_day,
        )
    db.session.rollback()
    assert _writes(db) == before
    assert _submit(work, period=april, today=on(4, 30)).status == "submitted"


def test_the_last_month_of_a_terminated_contract_opens_on_the_termination_day(app, work, db):
    contract = work["contract"]
    contract.status, contract.terminated_on = "terminated", on(3, 20)
    db.session.commit()
    with app.test_request_context():
        label, end = month_label(MARCH), fmt_day(on(3, 20))
    _refused(
        app,
        lambda: _submit(work, today=on(3, 19)),
        "%(month)s can be submitted from %(date)s on.",
        month=label,
        date=end,
    )
    db.session.rollback()
    assert _submit(work, today=on(3, 20)).status == "submitted"


def test_the_policy_offers_submission_from_the_same_day(work, db):
    tpl, user = work["tpl"], work["facilitator"]
    april = on(4, 1)
    assert not can_submit_month(user, tpl, april, "draft", on(4, 29))
    assert can_submit_month(user, tpl, april, "draft", on(4, 30))
    assert can_submit_month(user, tpl, april, "returned", on(5, 2))
    assert not can_submit_month(user, tpl, april, "submitted", on(5, 2))
    assert not can_submit_month(work["supervisor"], tpl, april, "draft", on(5, 2))
    assert month_submission_opens(user, tpl, april, "draft") == on(4, 30)
    assert month_submission_opens(work["facilitator2"], tpl, april, "draft") is None


def test_approve_notifies_the_tpl(work, db):
    report = _submit(work)
    service.review_month(work["supervisor"], report, "approve")
    (note,) = db.session.scalars(sa.select(Notification).where(Notification.kind == "month_approved"))
    assert note.user_id == work["facilitator"].id


# --- refused transitions ----------------------------------------------------------------------


def test_approving_a_draft_is_refused(app, work, db):
    before = _writes(db)
    _refused(
        app,
        lambda: service.review_month(work["supervisor"], work["month"], "approve"),
        "Only a submitted month can be reviewed; this one is: %(status)s.",
        status=ui_message(app, "Draft (not submitted)"),
    )
    db.session.rollback()
    assert _writes(db) == before and work["month"].status == "draft"


def test_submitting_an_approved_or_submitted_month_is_refused(app, work, db):
    report = _submit(work)
    with app.test_request_context():
        label = month_label(MARCH)
    _refused(app, lambda: _submit(work), "%(month)s has already been submitted and is waiting for review.", month=label)
    service.review_month(work["supervisor"], report, "approve")
    before = _writes(db)
    _refused(
        app,
        lambda: _submit(work),
        "%(month)s has already been approved. Ask your supervisor to reopen it if it must change.",
        month=label,
    )
    assert _writes(db) == before and report.status == "approved"


def test_future_and_out_of_contract_months_are_refused(app, work, db):
    with app.test_request_context():
        may, jan_last_year = month_label(on(5, 1)), month_label(on(1, 1, years=-1))
    _refused(
        app, lambda: _submit(work, period=on(5, 1)), "%(month)s has not started yet and cannot be submitted.", month=may
    )
    _refused(
        app,
        lambda: _submit(work, period=on(1, 1, years=-1)),
        "%(month)s lies outside your contract periods.",
        month=jan_last_year,
    )
    assert _count(db, MonthlyReport) == 2 and _count(db, MonthlyReportEvent) == 0


def test_only_the_tpl_submits_their_own_month(app, work, db):
    _refused(
        app,
        lambda: service.submit_month(work["facilitator2"], work["tpl"], MARCH, today=TODAY),
        "Only the TPL can submit their own monthly report.",
    )
    _refused(
        app,
        lambda: service.submit_month(work["supervisor"], work["tpl"], MARCH, today=TODAY),
        "Only the TPL can submit their own monthly report.",
    )


def test_returning_needs_a_comment_and_comments_have_a_limit(app, work, db):
    report = _submit(work)
    before = _writes(db)
    error = _refused(
        app,
        lambda: service.review_month(work["supervisor"], report, "return", "  "),
        "Say what must be corrected: write a comment on the month or on at least one item.",
    )
    assert error.field == "comment"
    _refused(
        app,
        lambda: service.review_month(work["supervisor"], report, "return", "x" * 2001),
        "A comment may have at most %(max)d characters.",
        max=2000,
    )
    _refused(
        app,
        lambda: service.review_month(
            work["supervisor"], report, "return", None, {("activity", work["activity"].id): "y" * 2001}
        ),
        "A comment may have at most %(max)d characters.",
        max=2000,
    )
    _refused(
        app,
        lambda: service.review_month(work["supervisor"], report, "maybe", "ok"),
        "Choose whether to approve the month or return it for correction.",
    )
    db.session.rollback()
    assert _writes(db) == before and report.status == "submitted"


def test_every_problem_of_a_review_is_named_at_once(app, work, db):
    report = _submit(work)
    before = _writes(db)
    items = {("activity", work["activity"].id): "y" * 2001, ("activity", work["activity2"].id): "z" * 2001}
    with refused_use_case() as error:
        service.review_month(work["supervisor"], report, "", "x" * 2001, items)
    too_long = ui_message(app, "A comment may have at most %(max)d characters.", max=2000)
    assert [(e.field, e.message) for e in error.value.errors] == [
        ("decision", ui_message(app, "Choose approve or return.")),
        ("comment", too_long),
        (None, too_long),
        (None, ui_message(app, "A comment points at an item that is not part of this month.")),
    ]
    assert _writes(db) == before and report.status == "submitted"


def test_item_comments_must_point_at_items_of_the_month(app, work, db):
    report = _submit(work)
    for key in (("activity", work["activity2"].id), ("permit", work["permit2"].id), ("assessment", 999999)):
        _refused(
            app,
            lambda key=key: service.review_month(work["supervisor"], report, "return", None, {key: "lihat"}),
            "A comment points at an item that is not part of this month.",
        )
    assert report.status == "submitted" and _count(db, ReviewComment) == 0


def test_reopen_needs_a_reason_and_an_approved_month(app, work, db):
    report = _submit(work)
    _refused(
        app,
        lambda: service.reopen_month(work["supervisor"], report, "Alasan"),
        "Only an approved month can be reopened; this one is: %(status)s.",
        status=ui_message(app, "Submitted"),
    )
    service.review_month(work["supervisor"], report, "approve")
    before = _writes(db)
    error = _refused(
        app, lambda: service.reopen_month(work["supervisor"], report, "   "), "Give the reason for reopening the month."
    )
    assert error.field == "reason"
    error = _refused(
        app,
        lambda: service.reopen_month(work["supervisor"], report, "x" * 2001),
        "A comment may have at most %(max)d characters.",
        max=2000,
    )
    assert error.field == "reason"
    assert _writes(db) == before and report.status == "approved"


def test_only_a_supervisor_in_scope_reviews(app, work, db):
    report = _submit(work)
    for actor in ("supervisor2", "evaluator", "admin", "facilitator"):
        _refused(
            app,
            lambda actor=actor: service.review_month(work[actor], report, "approve"),
            "Only a supervisor of this TPL can review their monthly report.",
        )
    assert report.status == "submitted"


def test_a_concurrent_transition_loses(app, work, db):
    report = _submit(work)
    db.session.commit()
    report.status  # noqa: B018 - loaded now, as the request that reviews it would have
    # Another request approved it meanwhile (the loaded object still says "submitted").
    db.session.execute(
        sa.update(MonthlyReport)
        .where(MonthlyReport.id == report.id)
        .values(status="approved")
        .execution_options(synchronize_session=False)
    )
    with pytest.raises(ServiceError) as refusal:
        service.review_month(work["supervisor"], report, "return", "Perbaiki")
    assert refusal.value.message == ui_message(
        app, "This month was changed by someone else meanwhile. Please check it and try again."
    )


# --- queue ------------------------------------------------------------------------------------


def test_queue_oldest_submission_first_and_in_scope(work, db):
    supervisor = work["supervisor"]
    other = FacilitatorFactory(user=UserFactory(), supervisor=None, region_code="82.71")
    ContractFactory(facilitator=other)
    far = FacilitatorFactory(user=UserFactory(), supervisor=None, region_code="73.71", district="737101")
    now = moment(4, 10, hour=0)
    rows = [
        MonthlyReport(
            facilitator_id=work["tpl"].id, period=on(2, 1), status="submitted", submitted_at=now - timedelta(days=1)
        ),
        MonthlyReport(facilitator_id=other.id, period=MARCH, status="submitted", submitted_at=now - timedelta(days=9)),
        MonthlyReport(
            facilitator_id=other.id, period=on(2, 1), status="approved", submitted_at=now - timedelta(days=30)
        ),
        MonthlyReport(facilitator_id=far.id, period=MARCH, status="submitted", submitted_at=now - timedelta(days=20)),
    ]
    db.session.add_all(rows)
    db.session.commit()
    queue = list(db.session.scalars(service.review_queue(supervisor)))
    assert queue == [rows[1], rows[0]]
    assert service.days_waiting(rows[1], on(4, 10)) == 9
