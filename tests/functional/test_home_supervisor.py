"""The supervisor's home page: the review queue and the TPL needing attention, on the page itself."""

import re

from tpl_tracker.models import MonthlyReport, Target

from ..clock import YEAR, moment, on
from ..conftest import page_text as _page
from ..conftest import statements_for_get as _queries
from ..conftest import ui_message as _message
from ..factories import ContractFactory, FacilitatorFactory


def _tpl(db, supervisor, n: int, region: str = "82.71") -> list:
    """`n` more TPL of `supervisor`, under contract through the tests' year, with no activity (a flag raised)."""
    made = []
    for _i in range(n):
        tpl = FacilitatorFactory(supervisor=supervisor, region_code=region)
        ContractFactory(facilitator=tpl, start_date=on(1, 1), end_date=on(12, 31))
        made.append(tpl)
    db.session.commit()
    return made


def _submitted(db, tpl, month: int, submitted_day: int) -> MonthlyReport:
    report = MonthlyReport(
        facilitator=tpl, period=on(month, 1), status="submitted", submitted_at=moment(month + 1, submitted_day)
    )
    db.session.add(report)
    db.session.commit()
    return report


def test_the_home_page_shows_the_oldest_months_waiting_and_links_to_all(app, client, login_as, world, db):
    """Oldest submission first, with the days waiting; capped at 5 rows with a link to the whole queue."""
    tpls = [world["tpl"], *_tpl(db, world["supervisor"], 6)]
    for i, tpl in enumerate(tpls):
        _submitted(db, tpl, 10, 1 + i)  # October, submitted on 1..7 November
    _submitted(db, world["tpl2"], 10, 1)  # another supervisor's TPL
    login_as("supervisor")
    page = _page(client.get("/"))
    queue = page[page.index('id="home-queue"') : page.index('id="home-attention"')]
    names = [tpl.full_name for tpl in tpls]
    shown = [name for name in names if name in queue]
    assert shown == names[:5]
    assert sorted(shown, key=queue.index) == names[:5]  # the longest waiting first
    assert world["tpl2"].full_name not in queue
    assert _message(app, "All %(count)d", count=7) in queue and 'href="/bulanan/antrean"' in queue
    assert f'href="/bulanan/tpl/{tpls[0].id}/{YEAR}-10"' in queue
    assert re.search(r'<span class="badge text-bg-warning">31</span>', queue)  # 1 November to 2 December


def test_the_home_page_shows_the_tpl_needing_attention_with_their_flags(app, client, login_as, work, db):
    """The world's TPL has had no activity since 10 March, and is below their visits target; the other
    supervisor's TPL is not listed."""
    db.session.add(Target(facilitator=work["tpl"], year=YEAR, visits_per_month=15, businesses=1, permits_per_year=0))
    db.session.commit()
    login_as("supervisor")
    page = _page(client.get("/"))
    attention = page[page.index('id="home-attention"') :]
    assert work["tpl"].full_name in attention and work["tpl2"].full_name not in attention
    assert f'href="/supervisi/tpl/{work["tpl"].id}"' in attention
    assert _message(app, "No activity in 14 days") in attention
    # 15 visits a month, 2 of December's 31 days gone: 0 expected so far; none missed yet.
    assert _message(app, "Below target") not in attention
    assert _message(app, "All %(count)d", count=1) in attention and 'href="/supervisi/?flag=any"' in attention


def test_an_empty_home_says_so(app, client, login_as, world, db):
    world["contract"].end_date = on(11, 30)  # no TPL of the supervisor under contract in December: no flag
    db.session.commit()
    login_as("supervisor")
    page = _page(client.get("/"))
    assert _message(app, "No monthly report is waiting for your review.") in page
    assert _message(app, "No TPL in your scope has a flag raised this month.") in page


def test_the_home_page_runs_the_same_statements_for_2_and_20_tpl(app, client, login_as, world, db):
    """The queue and the TPL needing attention are read for the page at once (the roster's flag query, cut)."""
    login_as("supervisor")
    for tpl in _tpl(db, world["supervisor"], 2):
        _submitted(db, tpl, 10, 3)
    client.get("/")  # what is read once per app (regions) is read
    few = _queries(app, client, "/")
    for tpl in _tpl(db, world["supervisor"], 18):
        _submitted(db, tpl, 10, 4)
        db.session.add(Target(facilitator=tpl, year=YEAR, visits_per_month=30, businesses=2, permits_per_year=12))
    db.session.commit()
    page = _page(client.get("/"))
    assert _message(app, "All %(count)d", count=20) in page and _message(app, "All %(count)d", count=21) in page

    assert _queries(app, client, "/") == few
