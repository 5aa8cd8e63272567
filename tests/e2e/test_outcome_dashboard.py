"""The outcome dashboard in Chromium: no CSP error (the charts carry no script or inline style), nothing serious
for axe-core, nothing wider than a phone's screen."""

import pytest

from tpl_tracker.models import OutcomeSurvey
from tpl_tracker.services.metric import store_snapshot

from ..clock import iso, on
from ..factories import ContractFactory, FacilitatorFactory
from .conftest import LAPTOP, PHONE, axe_problems, new_page, sign_in, skip_without_chromium

skip_without_chromium()

pytestmark = pytest.mark.real_commits


@pytest.fixture
def evaluator(world, db):
    """Three alumni in two provinces, one verified WUB, and the snapshots of two dates: the evaluator's email."""
    people = [FacilitatorFactory(region_code=region) for region in ("82.71", "82.71", "73.71")]
    for person in people:
        ContractFactory(
            facilitator=person, start_date=on(1, 1, years=-4), end_date=on(12, 31, years=-3), status="completed"
        )
    db.session.add(
        OutcomeSurvey(
            facilitator_id=people[0].id,
            survey_date=on(6, 30, years=-2),
            status="wirausaha",
            business_name="Keripik Sagu",
            founded_date=on(6, 1, years=-3),
            verification="verified",
        )
    )
    db.session.commit()
    for as_of in (on(12, 31, years=-1), on(6, 30)):
        store_snapshot(as_of)
    email = world["evaluator"].email  # read before the commit: reading after it would hold SQLite's lock
    db.session.commit()  # the server thread reads
    return email


def _dashboard(browser, server, email, viewport, **options):
    page = new_page(browser, viewport, **options)
    sign_in(page, server, email)
    page.wait_for_url(f"{server}/")
    page.goto(f"{server}/reports/wub?as_of={iso(6, 30)}")
    return page


def test_the_charts_show_without_breaking_the_csp_and_fit_a_phone(browser, server, evaluator):
    page = _dashboard(browser, server, evaluator, PHONE)
    assert page.locator("svg.pygal-chart").count() == 4 + 2
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    # A chart keeps a readable size and scrolls sideways in its own box.
    assert page.locator("figure.chart-scroll").first.bounding_box()["width"] <= PHONE["width"]
    assert page.locator("svg.pygal-chart").first.bounding_box()["width"] >= 540
    # The stylesheet applies (static/charts.css): the bars are grey, not SVG's default black.
    fill = page.locator("svg.pygal-chart .series rect").first.evaluate("rect => getComputedStyle(rect).fill")
    assert fill == "rgb(108, 117, 125)"
    assert page.csp_errors == []
    page.context.close()


def test_axe_finds_nothing_serious_on_the_dashboard(browser, server, evaluator, axe_source):
    page = _dashboard(browser, server, evaluator, PHONE, bypass_csp=True)
    assert axe_problems(page, axe_source) == []
    page.set_viewport_size(LAPTOP)
    page.reload()
    assert axe_problems(page, axe_source) == []
    page.context.close()


@pytest.mark.parametrize(
    "path",
    [
        f"/reports/wub/people?as_of={iso(6, 30)}",
        f"/reports/wub/people?as_of={iso(6, 30)}&group_by=province&key=82&figure=wub",
        "/reports/output?level=province&period=dates&start=" + iso(1, 1, years=-4) + "&end=" + iso(6, 30),
        "/reports/output?level=tpl",
    ],
)
def test_the_other_report_pages_fit_a_phone_and_axe_finds_nothing_serious(browser, server, evaluator, axe_source, path):
    page = new_page(browser, PHONE, bypass_csp=True)
    sign_in(page, server, evaluator)
    page.wait_for_url(f"{server}/")
    page.goto(f"{server}{path}")
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    assert axe_problems(page, axe_source) == []
    page.set_viewport_size(LAPTOP)
    page.reload()
    assert axe_problems(page, axe_source) == []
    page.context.close()


def test_a_supervisors_dashboard_and_home_show_in_chromium(browser, server, evaluator, axe_source):
    page = new_page(browser, PHONE, bypass_csp=True)
    sign_in(page, server, "supervisor@example.id")
    page.wait_for_url(f"{server}/")
    assert axe_problems(page, axe_source) == []  # the home with the review queue and the TPL needing attention
    page.goto(f"{server}/reports/wub?as_of={iso(6, 30)}")
    assert page.locator("svg.pygal-chart").count() >= 1
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    assert axe_problems(page, axe_source) == []
    page.context.close()
