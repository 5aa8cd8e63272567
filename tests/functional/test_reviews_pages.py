"""Monthly report pages over HTTP: the TPL's months, the month page, submit, review in one step, reopen,
the review queue and the list of reports; refusals write nothing."""

from datetime import timedelta

import pytest
import sqlalchemy as sa

from tpl_tracker.models import (
    AuditEntry,
    MonthlyReport,
    MonthlyReportEvent,
    Notification,
    ReviewComment,
)
from tpl_tracker.services import ServiceError
from tpl_tracker.services.months import assert_months_open

from ..clock import YEAR, moment, on, period
from ..conftest import page_text, statements_for_get
from ..conftest import ui_message as _message
from ..factories import ContractFactory, FacilitatorFactory, UserFactory

TODAY = on(4, 15)
TOO_LONG = "A comment may have at most %(max)d characters."
MARCH = on(3, 1)
MARCH_PERIOD = period(3)
NOT_YET = "You can submit %(month)s for review from its last day, %(date)s, on: until then you can still log its work."


@pytest.fixture(autouse=True)
def fixed_today(time_machine):
    """The pages run on 15 April of the tests' year: March has ended, April is the current month, May lies ahead."""
    time_machine.move_to(moment(4, 15), tick=False)


def _writes(db) -> int:
    return sum(
        db.session.scalar(sa.select(sa.func.count()).select_from(model).where(*where))
        for model, where in (
            (AuditEntry, [AuditEntry.action.not_in(["login", "access_denied"])]),
            (MonthlyReportEvent, []),
            (ReviewComment, []),
            (Notification, []),
        )
    )


def _report(db, world, key="month") -> MonthlyReport:
    db.session.expire_all()
    return db.session.get(MonthlyReport, world[key].id)


def _month_url(world, key="tpl", period=MARCH_PERIOD) -> str:
    return f"/bulanan/tpl/{world[key].id}/{period}"


def _submit(client, world, **data):
    return client.post(_month_url(world) + "/submit", data=data)


# --- the TPL ----------------------------------------------------------------------------------


def test_tpl_sees_their_months_newest_first_with_counts(app, client, login_as, work):
    login_as("facilitator")
    page = page_text(client.get("/bulanan/"))
    months = [period(4), period(3), period(2), period(1)]
    positions = [page.index(f'/bulanan/tpl/{work["tpl"].id}/{m}"') for m in months]
    assert positions == sorted(positions)
    assert period(5) not in page  # future months are not listed
    assert _message(app, "Draft (not submitted)") in page


def test_tpl_submits_a_month_and_it_locks(app, client, login_as, work, db):
    login_as("facilitator")
    page = page_text(client.get(_month_url(work)))
    assert "Kunjungan ke tempat produksi" in page and "Sagu Lestari" in page
    assert f'action="{_month_url(work)}/submit"' in page

    response = _submit(client, work, note="Laporan Maret lengkap")

    assert response.status_code == 302 and response.headers["Location"] == _month_url(work)
    report = _report(db, work)
    assert report.status == "submitted"
    with pytest.raises(ServiceError):
        assert_months_open(work["tpl"].id, on(3, 10))
    page = page_text(client.get(_month_url(work)))
    assert _message(app, "Submitted") in page and "Laporan Maret lengkap" in page
    assert "/submit" not in page  # no second submit button


def test_the_current_month_says_from_when_it_can_be_submitted(app, client, login_as, work, db):
    login_as("facilitator")
    page = page_text(client.get(_month_url(work, period=period(4))))
    assert "/submit" not in page  # no button that would be refused
    assert _message(app, NOT_YET, month=f"April {YEAR}", date=f"30 April {YEAR}") in page
    before = _writes(db)
    response = client.post(_month_url(work, period=period(4)) + "/submit", data={})  # posted anyway
    assert response.status_code == 200
    assert _message(
        app, "%(month)s can be submitted from %(date)s on.", month=f"April {YEAR}", date=f"30 April {YEAR}"
    ) in page_text(response)
    assert _writes(db) == before


def test_a_month_can_be_submitted_on_its_last_day(client, login_as, work, time_machine):
    time_machine.move_to(moment(4, 30), tick=False)
    login_as("facilitator")
    page = page_text(client.get(_month_url(work, period=period(4))))
    assert f'action="{_month_url(work, period=period(4))}/submit"' in page
    assert 'id="submit-opens"' not in page


def test_a_contract_ending_within_the_month_opens_it_on_its_last_day(app, client, login_as, work, db):
    work["contract"].status, work["contract"].terminated_on = "terminated", on(4, 10)
    db.session.commit()
    login_as("facilitator")
    page = page_text(client.get(_month_url(work, period=period(4))))
    assert f'action="{_month_url(work, period=period(4))}/submit"' in page  # ended on 10 April: open on the 15th
    assert 'id="submit-opens"' not in page

    work["contract"].terminated_on = on(4, 25)
    db.session.commit()
    page = page_text(client.get(_month_url(work, period=period(4))))
    assert "/submit" not in page
    assert (
        _message(
            app,
            "You can submit %(month)s for review from %(date)s on, the last day of your contract.",
            month=f"April {YEAR}",
            date=f"25 April {YEAR}",
        )
        in page
    )


def test_the_supervisor_is_not_told_when_the_tpl_may_submit(client, login_as, work):
    login_as("supervisor")
    page = page_text(client.get(_month_url(work, period=period(4))))
    assert 'id="submit-opens"' not in page and "/submit" not in page


def test_refused_submissions_answer_on_the_page_and_write_nothing(app, client, login_as, work, db):
    login_as("facilitator")
    before = _writes(db)
    response = client.post(_month_url(work, period=period(5)) + "/submit", data={})
    assert response.status_code == 200
    assert _message(app, "%(month)s has not started yet and cannot be submitted.", month=f"Mei {YEAR}") in page_text(
        response
    )
    response = _submit(client, work, note="x" * 2001)
    assert response.status_code == 200
    assert _message(app, TOO_LONG, max=2000) in page_text(response)
    assert _writes(db) == before and _report(db, work).status == "draft"

    work["month"].status = "approved"
    db.session.commit()
    response = _submit(client, work)
    assert response.status_code == 200
    assert _message(
        app,
        "%(month)s has already been approved. Ask your supervisor to reopen it if it must change.",
        month=f"Maret {YEAR}",
    ) in page_text(response)
    assert _writes(db) == before


def test_months_of_others_and_outside_contracts_are_not_found(client, login_as, work, db):
    login_as("facilitator")
    assert client.get(_month_url(work, "tpl2")).status_code == 404
    assert client.get(f"/bulanan/{work['month2'].id}").status_code == 404
    assert client.post(_month_url(work, "tpl2") + "/submit", data={}).status_code == 404
    assert client.get(_month_url(work, period=period(1, years=1))).status_code == 404
    assert client.get(_month_url(work, period="maret")).status_code == 404
    assert _report(db, work, "month2").status == "draft"


def test_report_id_leads_to_the_month_page(client, login_as, work):
    login_as("supervisor")
    response = client.get(f"/bulanan/{work['month'].id}")
    assert response.status_code == 302 and response.headers["Location"] == _month_url(work)
    assert client.get(f"/bulanan/{work['month2'].id}").status_code == 404
    assert client.post(f"/bulanan/{work['month2'].id}/review", data={"decision": "approve"}).status_code == 404


# --- the supervisor ---------------------------------------------------------------------------


def _submitted(db, world, key="month", when=None):
    report = world[key]
    report.status = "submitted"
    report.submitted_at = when or moment(4, 2)
    db.session.commit()
    return report


def test_review_return_with_item_comment_then_approve(app, client, login_as, work, db):
    report = _submitted(db, work)
    login_as("supervisor")
    queue = page_text(client.get("/bulanan/antrean"))
    assert _month_url(work) in queue and work["tpl"].full_name in queue
    page = page_text(client.get(_month_url(work)))
    assert 'id="review-form"' in page
    assert f'name="comment-activity-{work["activity"].id}"' in page

    response = client.post(
        f"/bulanan/{report.id}/review",
        data={
            "decision": "return",
            "comment": "",
            f"comment-activity-{work['activity'].id}": "Foto kurang jelas",
            f"comment-permit-{work['permit'].id}": "  ",
        },
    )
    assert response.status_code == 302, page_text(response)[:3000]
    report = _report(db, work)
    assert report.status == "returned"
    assert_months_open(work["tpl"].id, on(3, 10))  # editable again
    comments = list(db.session.scalars(sa.select(ReviewComment)))
    assert [(c.item_type, c.item_id, c.comment) for c in comments] == [
        ("activity", work["activity"].id, "Foto kurang jelas")
    ]

    client.post("/auth/logout")
    login_as("facilitator")
    page = page_text(client.get(_month_url(work)))
    assert "Foto kurang jelas" in page
    assert _message(app, "Returned for correction") in page  # badge and history
    assert work["supervisor"].full_name in page  # who returned it
    assert _submit(client, work).status_code == 302

    client.post("/auth/logout")
    login_as("supervisor")
    response = client.post(f"/bulanan/{report.id}/review", data={"decision": "approve", "comment": "Baik"})
    assert response.status_code == 302
    assert _report(db, work).status == "approved"
    page = page_text(client.get(_month_url(work)))
    assert f'action="/bulanan/{report.id}/reopen"' in page and "data-confirm" in page
    history = page[page.index(_message(app, "Review history")) :]
    for action in ("Submitted", "Returned for correction", "Approved"):
        assert _message(app, action) in history


@pytest.mark.parametrize(
    "data,message",
    [
        (
            {"decision": "return", "comment": " "},
            "Say what must be corrected: write a comment on the month or on at least one item.",
        ),
        ({"decision": "return", "comment": "x" * 2001}, TOO_LONG),
        ({"comment": "Baik"}, "Choose approve or return."),
        (
            {"decision": "return", "comment-activity-999999": "Lihat"},
            "A comment points at an item that is not part of this month.",
        ),
    ],
)
def test_review_errors_rerender_the_month_and_write_nothing(app, client, login_as, work, db, data, message):
    report = _submitted(db, work)
    login_as("supervisor")
    before = _writes(db)
    response = client.post(f"/bulanan/{report.id}/review", data=data)
    assert response.status_code == 200
    page = page_text(response)
    assert _message(app, message, num=2000, max=2000) in page
    assert 'id="review-form"' in page and "Kunjungan ke tempat produksi" in page
    assert _writes(db) == before and _report(db, work).status == "submitted"


def test_a_review_names_every_mistake_in_one_submit(app, client, login_as, work, db):
    report = _submitted(db, work)
    login_as("supervisor")
    before = _writes(db)
    data = {
        "comment": "x" * 2001,
        "comment-activity-999999": "Lihat",
        f"comment-activity-{work['activity'].id}": "y" * 2001,
    }
    response = client.post(f"/bulanan/{report.id}/review", data=data)
    assert response.status_code == 200
    page = page_text(response)
    for message in (
        "Choose approve or return.",
        TOO_LONG,
        "A comment points at an item that is not part of this month.",
    ):
        assert _message(app, message, max=2000) in page
    assert page.count(_message(app, TOO_LONG, max=2000)) == 2  # the month's comment, and once for the items
    assert _writes(db) == before and _report(db, work).status == "submitted"


def test_a_reopen_reason_over_the_limit_is_named_and_writes_nothing(app, client, login_as, work, db):
    report = work["month"]
    report.status = "approved"
    db.session.commit()
    login_as("supervisor")
    before = _writes(db)
    response = client.post(f"/bulanan/{report.id}/reopen", data={"reason": "x" * 2001})
    assert response.status_code == 200
    assert _message(app, TOO_LONG, max=2000) in page_text(response)
    assert _writes(db) == before and _report(db, work).status == "approved"


def test_approving_a_draft_is_refused_on_the_page(app, client, login_as, work, db):
    login_as("supervisor")
    before = _writes(db)
    response = client.post(f"/bulanan/{work['month'].id}/review", data={"decision": "approve"})
    assert response.status_code == 200
    assert _message(
        app,
        "Only a submitted month can be reviewed; this one is: %(status)s.",
        status=_message(app, "Draft (not submitted)"),
    ) in page_text(response)
    assert _writes(db) == before


def test_reopen_needs_a_reason(app, client, login_as, work, db):
    report = work["month"]
    report.status = "approved"
    db.session.commit()
    login_as("supervisor")
    before = _writes(db)
    response = client.post(f"/bulanan/{report.id}/reopen", data={"reason": "  "})
    assert response.status_code == 200
    assert _message(app, "Give the reason for reopening the month.") in page_text(response)
    assert _writes(db) == before and _report(db, work).status == "approved"

    response = client.post(f"/bulanan/{report.id}/reopen", data={"reason": "Tanggal kunjungan salah"})
    assert response.status_code == 302
    assert _report(db, work).status == "returned"
    assert "Tanggal kunjungan salah" in page_text(client.get(_month_url(work)))


def test_queue_oldest_first(client, login_as, work, db):
    other = FacilitatorFactory(user=UserFactory(), supervisor=work["supervisor"], region_code="82.71")
    ContractFactory(facilitator=other)
    older = MonthlyReport(
        facilitator_id=other.id, period=on(2, 1), status="submitted", submitted_at=moment(3, 5, hour=0)
    )
    db.session.add(older)
    _submitted(db, work)
    login_as("supervisor")
    page = page_text(client.get("/bulanan/antrean"))
    assert page.index(f"/bulanan/tpl/{other.id}/{period(2)}") < page.index(_month_url(work))
    assert _month_url(work, "tpl2") not in page


def test_evaluator_lists_and_filters_reports(app, client, login_as, work, db):
    _submitted(db, work)
    login_as("evaluator")
    page = page_text(client.get("/bulanan/"))
    assert _month_url(work) in page and _month_url(work, "tpl2") in page
    page = page_text(client.get("/bulanan/?status=submitted"))
    assert _month_url(work) in page and _month_url(work, "tpl2") not in page
    page = page_text(client.get("/bulanan/?province=73"))
    assert _month_url(work) not in page and _month_url(work, "tpl2") in page
    page = page_text(client.get(f"/bulanan/?month={YEAR}-3"))
    assert _message(app, "Type the month as YYYY-MM, e.g. 2026-03.") in page


# --- lists do not grow their queries with their rows -----------------------------------------


def _many_months(db, world, count: int) -> None:
    supervisor = world["supervisor"]
    for n in range(count):
        tpl = FacilitatorFactory(user=UserFactory(), supervisor=supervisor, region_code="82.71")
        ContractFactory(facilitator=tpl)
        db.session.add(
            MonthlyReport(
                facilitator_id=tpl.id,
                period=MARCH,
                status="submitted",
                submitted_at=moment(4, 1, hour=0) + timedelta(minutes=n),
            )
        )
    db.session.commit()


@pytest.mark.parametrize("role,url", [("supervisor", "/bulanan/antrean"), ("evaluator", "/bulanan/")])
def test_list_queries_do_not_grow_with_rows(app, client, login_as, world, db, role, url):
    login_as(role)
    # More rows than a page in both cases: the month list reads on past its first month only when that is short.
    _many_months(db, world, 30)
    few = statements_for_get(app, client, url)
    _many_months(db, world, 45)
    many = statements_for_get(app, client, url)
    assert few == many


def test_the_queue_counts_its_months_with_the_page(app, client, login_as, world, db):
    """The supervisor's queue is gathered whole before it is sorted: its total comes with the page's rows, exact,
    without a count statement of its own, on the last page too."""
    import sqlalchemy as sa

    login_as("supervisor")
    _many_months(db, world, 30)
    seen = []

    def remember(_conn, _cursor, statement, *_args):
        seen.append(statement)

    with app.app_context():
        engine = db.engine
    sa.event.listen(engine, "before_cursor_execute", remember)
    try:
        first = page_text(client.get("/bulanan/antrean"))
    finally:
        sa.event.remove(engine, "before_cursor_execute", remember)
    assert not [s for s in seen if "count(*) AS count_1" in s and "monthly_reports" in s]
    assert "30 data" in first
    last = page_text(client.get("/bulanan/antrean?page=2"))
    assert "30 data" in last and last.count("/bulanan/tpl/") < first.count("/bulanan/tpl/")
    past = client.get("/bulanan/antrean?page=9")
    assert past.status_code == 200 and "/bulanan/tpl/" not in page_text(past)


def test_supervisor_lists_the_months_of_one_tpl_in_scope(client, login_as, work, db):
    """Supervisors get the filtered list too; a TPL outside their scope is not found."""
    login_as("supervisor")
    page = page_text(client.get(f"/bulanan/?tpl={work['tpl'].id}"))
    assert f"/bulanan/tpl/{work['tpl'].id}/{MARCH_PERIOD}" in page
    assert client.get(f"/bulanan/?tpl={work['tpl2'].id}").status_code == 404
    everything = page_text(client.get("/bulanan/"))
    assert f"/bulanan/tpl/{work['tpl2'].id}/" not in everything
    assert "/bulanan/antrean" in everything
