"""The TPL's home page: contract, businesses, this month, items returned with comments, permits, targets."""

import pytest

from tpl_tracker.models import (
    MonthlyReport,
    MonthlyReportEvent,
    PermitFacilitation,
    ReviewComment,
    Target,
)

from ..clock import YEAR, moment, on
from ..conftest import page_text as _page
from ..conftest import ui_message as _message

TODAY = on(4, 20)


@pytest.fixture(autouse=True)
def fixed_today(time_machine):
    """The home page computes 'this month' from 20 April, inside the world's contracts of the tests' year."""
    time_machine.move_to(moment(4, 20), tick=False)


def test_home_keeps_the_contract_and_shows_businesses_and_month(app, client, login_as, work):
    login_as("facilitator")
    page = _page(client.get("/"))
    assert _message(app, "Current contract") in page
    assert _message(app, "Contract number") in page and work["contract"].number in page
    assert work["business"].name in page
    assert _message(app, "Your supervisor has not set targets for this year yet.") in page
    assert _message(app, "Permits in progress") in page


def test_home_shows_returned_comments(app, client, login_as, work, db):
    month = work["month"]
    month.status = "returned"
    month.comment = "Lengkapi foto kegiatan bulan ini."
    event = MonthlyReportEvent(
        action="return",
        actor_id=work["supervisor"].id,
        comment="Lengkapi foto kegiatan bulan ini.",
        item_comments=[
            ReviewComment(item_type="activity", item_id=work["activity"].id, comment="Foto tidak jelas."),
            ReviewComment(item_type="permit", item_id=work["permit"].id, comment="Tanggal pengajuan salah."),
        ],
    )
    db.session.add(event)
    event.report = month
    db.session.commit()
    login_as("facilitator")
    page = _page(client.get("/"))
    assert _message(app, "Returned to you for correction") in page
    assert "Lengkapi foto kegiatan bulan ini." in page
    assert "Foto tidak jelas." in page and "Tanggal pengajuan salah." in page
    assert work["supervisor"].full_name in page


def test_home_does_not_show_other_tpls_returned_items(client, login_as, work, db):
    month2 = work["month2"]
    month2.status = "returned"
    db.session.add(MonthlyReportEvent(report=month2, action="return", comment="Untuk TPL lain."))
    db.session.commit()
    login_as("facilitator")
    assert "Untuk TPL lain." not in _page(client.get("/"))


def test_home_shows_progress_against_targets(app, client, login_as, work, db):
    db.session.add(Target(facilitator=work["tpl"], year=YEAR, visits_per_month=4, businesses=2, permits_per_year=6))
    db.session.add(
        PermitFacilitation(
            business=work["business"],
            facilitator=work["tpl"],
            permit_type="halal",
            status="issued",
            issued_on=on(2, 1),
            expires_on=on(6, 1),
        )
    )
    db.session.commit()
    login_as("facilitator")
    page = _page(client.get("/"))
    assert _message(app, "My progress against my targets") in page
    assert "0 / 4" in page and "1 / 2" in page and "1 / 6" in page
    assert page.count('class="progress"') == 3
    assert 'data-progress="50"' in page
    assert 'src="/static/supervision.js"' in page
    assert _message(app, "Expiring within 60 days") in page
    with app.test_request_context():
        from tpl_tracker import formatting as fmt

        assert _message(app, "valid until %(date)s", date=fmt.day(on(6, 1))) in page


def test_home_month_status(app, client, login_as, work, db):
    db.session.add(MonthlyReport(facilitator=work["tpl"], period=on(4, 1), status="submitted"))
    db.session.commit()
    login_as("facilitator")
    page = _page(client.get("/"))
    assert _message(app, "Submitted") in page


def test_home_without_profile(app, client, login_as, world, db):
    world["tpl"].user_id = None
    db.session.commit()
    login_as("facilitator")
    response = client.get("/")
    assert response.status_code == 200
    assert _message(app, "Your account is not linked to a TPL profile yet. Contact your administrator.") in _page(
        response
    )


def test_home_of_a_former_tpl_offers_no_month_to_work_on(app, client, login_as, work, db):
    """After the contract there is no month to log or submit: those cards are not shown."""
    work["contract"].end_date = on(12, 31, years=-1)
    work["contract"].start_date = on(1, 1, years=-1)
    db.session.commit()
    login_as("facilitator")
    page = _page(client.get("/"))
    assert _message(app, "Log an activity") not in page
    assert _message(app, "My progress against my targets") not in page
