"""The outcome dashboard (/reports/wub): headline, breakdowns and trend with inline SVG charts, the labels of the
months to business, the computation of a date without figures (queued, computing, shown), bad dates refused."""

import re

import pytest
import sqlalchemy as sa

from tpl_tracker.jobs.runner import run_job
from tpl_tracker.models import AuditEntry, JobRun, MetricSnapshot, OutcomeSurvey
from tpl_tracker.services.metric import store_snapshot

from ..clock import TOMORROW, YEAR, iso, on
from ..conftest import page_text, ui_message
from ..factories import ContractFactory, FacilitatorFactory

AS_OF = on(6, 30)
REFRESH = '<meta http-equiv="refresh" content="5">'


def _programme(db):
    """Four alumni (exit 31 December, three years ago): in Kota Ternate one WUB founded during the contract and one
    employed; in Kota Makassar one WUB founded after the contract and one awaiting verification."""
    people = [
        FacilitatorFactory(angkatan=2021, region_code=region, polytechnic=school)
        for region, school in [
            ("82.71", "STMI Jakarta"),
            ("82.71", "STMI Jakarta"),
            ("73.71", "ATI Makassar"),
            ("73.71", "ATI Makassar"),
        ]
    ]
    for person in people:
        ContractFactory(
            facilitator=person, start_date=on(1, 1, years=-4), end_date=on(12, 31, years=-3), status="completed"
        )
    surveys = [
        (people[0], "wirausaha", on(6, 30, years=-5 + 2), "verified"),  # founded mid-year three years ago: during
        (people[1], "bekerja", None, "verified"),
        (people[2], "wirausaha", on(3, 1, years=-2), "verified"),  # after
        (people[3], "wirausaha", on(3, 1, years=-2), "unverified"),
    ]
    for person, status, founded, verification in surveys:
        db.session.add(
            OutcomeSurvey(
                facilitator_id=person.id,
                survey_date=on(6, 30, years=-2),
                status=status,
                business_name="Keripik Sagu" if status == "wirausaha" else None,
                founded_date=founded,
                verification=verification,
            )
        )
    db.session.commit()
    return people


def _stored(db, as_of=AS_OF):
    store_snapshot(as_of)
    db.session.commit()


def _before_time(app, message: str, **values) -> str:
    """The message as shown, up to the time it names (a computed or counted time, not frozen)."""
    return ui_message(app, message, time="@@", **values).split("@@")[0]


def _svgs(html: str) -> list[str]:
    return re.findall(r"<svg\b[^>]*pygal-chart.*?</svg>", html, re.S)


def test_the_dashboard_shows_the_headline_breakdowns_and_trend_with_inline_svg_charts(app, client, db, world, login_as):
    _programme(db)
    _stored(db, on(12, 31, years=-1))
    _stored(db)
    login_as("evaluator")
    response = client.get(f"/reports/wub?as_of={iso(6, 30)}")
    assert response.status_code == 200
    html = page_text(response)
    # Headline: 2 of 4 alumni, 3 tracked (75%), 1 awaiting verification, one business during and one after.
    assert _before_time(app, "Data as of %(date)s, computed %(time)s.", date=f"30 Juni {YEAR}") in html
    assert "50,0%" in html and "75,0%" in html
    assert ui_message(app, "%(n)s founded during the contract (on or before the exit date)", n="1") in html
    assert ui_message(app, "%(n)s founded after the contract", n="1") in html
    # Each breakdown and the trend: a chart and its table, the chart described by the table.
    svgs = _svgs(html)
    assert len(svgs) == 4 + 2
    for table_id in ["wub-angkatan-table", "wub-province-table", "wub-exit-year-table", "wub-polytechnic-table"]:
        assert f'aria-describedby="{table_id}"' in html and f'id="{table_id}"' in html
    assert html.count('aria-describedby="wub-trend-table"') == 2 and 'id="wub-trend-table"' in html
    assert "82 Maluku Utara" in html and "73 Sulawesi Selatan" in html  # provinces by code and name
    # The whiskers of the intervals are drawn (pygal's confidence intervals).
    assert 'class="ci"' in svgs[0]
    for svg in svgs:
        assert 'role="img"' in svg
        assert "<script" not in svg and "<style" not in svg and " style=" not in svg
        assert re.findall(r"https?://", svg) == ["http://"]  # the SVG namespace alone: nothing is fetched
    # The page's scripts are the app's own (no pygal JS, no CDN).
    assert re.findall(r"<script\b(?![^>]*\bsrc=\"/)", html) == []
    assert "kozea" not in html.lower() and "cdn" not in html.lower()
    assert "/static/charts.css" in html


def test_the_chart_stylesheet_is_the_one_the_code_writes(app):
    from pathlib import Path

    from tpl_tracker.reports.charts import stylesheet

    static = Path(app.static_folder) / "charts.css"
    assert static.read_text(encoding="utf-8") == stylesheet(), "run: python -c 'from tpl_tracker.reports.charts ...'"


def test_one_breakdown_when_a_grouping_is_chosen(client, db, world, login_as):
    _programme(db)
    _stored(db)
    login_as("evaluator")
    html = page_text(client.get(f"/reports/wub?as_of={iso(6, 30)}&group_by=province"))
    assert 'id="wub-province-table"' in html and 'id="wub-angkatan-table"' not in html
    assert len(_svgs(html)) == 1 + 2


def test_every_figure_links_to_the_list_of_the_people_behind_it(client, db, world, login_as):
    """Each figure of the headline and of each breakdown row leads to the drill-down list, whose length is the
    figure."""
    _programme(db)
    _stored(db)
    login_as("evaluator")
    html = page_text(client.get(f"/reports/wub?as_of={iso(6, 30)}"))
    links = set(re.findall(r'href="(/reports/wub/people\?[^"]+)"', html))
    for figure in ("alumni", "tracked", "wub", "wub_active", "wub_unverified"):
        assert f"/reports/wub/people?as_of={iso(6, 30)}&group_by=total&key=all&figure={figure}" in links
    assert f"/reports/wub/people?as_of={iso(6, 30)}&group_by=province&key=82&figure=wub" in links
    # 5 headline links (the WUB and alumni twice) + 5 per row: angkatan 1, province 2, exit year 1, polytechnic 2.
    assert len(links) == 5 + 5 * (1 + 2 + 1 + 2)
    response = client.get(f"/reports/wub/people?as_of={iso(6, 30)}&group_by=total&key=all&figure=wub")
    assert response.status_code == 200


def test_each_figure_links_to_the_people_behind_it_through_one_macro(app):
    """The macro links each figure to the list of its people (reports.wub_people) with its date, grouping, key and
    name."""
    from urllib.parse import urlencode

    def url_for(endpoint, **arguments):
        return f"/{endpoint}?{urlencode(arguments)}"

    with app.test_request_context():
        macros = app.jinja_env.get_template("reports/_macros.html").make_module({"url_for": url_for})
        link = str(macros.figure(1234, AS_OF, "polytechnic", "ATI Makassar", "wub_unverified"))
        plain = str(macros.figure(None, AS_OF, "total", "all", "wub"))
    assert link.startswith(
        f'<a href="/reports.wub_people?as_of={iso(6, 30)}&amp;group_by=polytechnic&amp;key=ATI+Makassar'
        '&amp;figure=wub_unverified"'
    )
    assert link.endswith(">1.234</a>")
    assert plain == ""


@pytest.mark.parametrize(
    "median, expected",
    [
        (-17.5, "-17,5 bulan"),
        (4.2, "4,2 bulan"),
        (0.0, "0,0 bulan"),
    ],
)
def test_the_median_months_read_right_whatever_their_sign(app, median, expected):
    from tpl_tracker import formatting

    with app.test_request_context():
        text = formatting.months_to_business(median)
    assert text.startswith(expected)
    if median < 0:
        assert "selama masa kontrak" in text and "17,5 bulan sebelum" in text
    elif median > 0:
        assert "setelah kontrak" in text and "4,2 bulan setelah" in text


def test_a_negative_median_is_labelled_as_founded_during_the_contract(app, client, db, world, login_as):
    person = FacilitatorFactory(region_code="82.71")
    ContractFactory(
        facilitator=person, start_date=on(1, 1, years=-4), end_date=on(12, 31, years=-3), status="completed"
    )
    db.session.add(
        OutcomeSurvey(
            facilitator_id=person.id,
            survey_date=on(6, 30, years=-2),
            status="wirausaha",
            business_name="Sagu",
            founded_date=on(6, 15, years=-4),  # 565 days before the exit (566 over a 29 February)
            verification="verified",
        )
    )
    db.session.commit()
    _stored(db)
    login_as("evaluator")
    html = page_text(client.get(f"/reports/wub?as_of={iso(6, 30)}"))
    months = db.session.scalar(sa.select(MetricSnapshot.median_months_to_business).where(MetricSnapshot.key == "all"))
    assert months < 0
    with app.test_request_context():
        from tpl_tracker import formatting

        assert formatting.months_to_business(months) in html
    assert "selama masa kontrak" in html


def _runs(db) -> list[JobRun]:
    return db.session.scalars(sa.select(JobRun).order_by(JobRun.id)).all()


def test_a_date_without_figures_is_computed_in_the_background_then_shown(app, client, db, world, login_as):
    _programme(db)
    evaluator = login_as("evaluator")
    url = f"/reports/wub?as_of={iso(6, 30)}"
    html = page_text(client.get(url))
    assert ui_message(app, "No figures are stored for %(date)s.", date=f"30 Juni {YEAR}") in html
    button = ui_message(app, "Compute figures as of %(date)s", date=f"30 Juni {YEAR}")
    assert button in html and REFRESH not in html

    response = client.post("/reports/wub/compute", data={"as_of": iso(6, 30)})
    assert response.status_code == 302 and response.headers["Location"] == url

    [run] = _runs(db)
    assert (run.job_name, run.outcome, run.as_of, run.triggered_by_id) == (
        "compute-metrics",
        "queued",
        AS_OF,
        evaluator.id,
    )
    entry = db.session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "job_queued"))
    assert entry.actor_id == evaluator.id and entry.after["as_of"] == iso(6, 30) and entry.after["run"] == run.id
    html = page_text(client.get(url))
    assert REFRESH in html and button not in html
    assert ui_message(app, "No figures are stored for %(date)s.", date=f"30 Juni {YEAR}") not in html
    assert ui_message(app, "No figures have been computed yet: choose a date to compute its figures.") not in html
    assert (
        ui_message(
            app,
            "Computing the figures as of %(date)s… This page refreshes itself every few seconds and shows them "
            "when they are ready.",
            date=f"30 Juni {YEAR}",
        )
        in html
    )
    # Asking again while it waits queues nothing more.
    client.post("/reports/wub/compute", data={"as_of": iso(6, 30)})
    assert len(_runs(db)) == 1

    queue = run_job("run-queued-work")
    assert queue.outcome == "success", queue.error
    db.session.expire_all()
    assert db.session.get(JobRun, run.id).outcome == "success"
    html = page_text(client.get(url))
    assert REFRESH not in html and button not in html
    assert "50,0%" in html and len(_svgs(html)) == 4 + 2


@pytest.mark.parametrize(
    "as_of, message",
    [
        (TOMORROW.isoformat(), "The date cannot be in the future."),
        ("2006-12-31", "The date cannot be before %(date)s: the programme had no contracts yet."),
    ],
)
def test_a_date_in_the_future_or_before_the_programme_is_refused_without_change(
    app, client, db, world, login_as, as_of, message
):
    login_as("evaluator")
    expected = ui_message(app, message, date="1 Januari 2007")
    entries = db.session.scalar(sa.select(sa.func.count()).select_from(AuditEntry))
    response = client.post("/reports/wub/compute", data={"as_of": as_of}, follow_redirects=True)
    assert response.status_code == 200
    html = page_text(response)
    assert html.count(expected) == 1  # under the date field of that date's dashboard
    assert _runs(db) == []
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditEntry)) == entries
    # The page refuses the date too, and offers no computation for it.
    html = page_text(client.get(f"/reports/wub?as_of={as_of}"))
    assert expected in html and "/reports/wub/compute" not in html


def test_a_post_without_a_date_is_refused_with_a_message(app, client, db, world, login_as):
    login_as("admin")
    response = client.post("/reports/wub/compute", data={"as_of": "31-02-2026"}, follow_redirects=True)
    assert response.status_code == 200
    assert ui_message(app, "Choose the date of the figures to compute.") in page_text(response)
    assert _runs(db) == []


def test_a_failed_computation_is_said_and_can_be_asked_again(app, client, db, world, login_as, monkeypatch):
    _programme(db)
    login_as("evaluator")
    client.post("/reports/wub/compute", data={"as_of": iso(6, 30)})

    def broken(as_of):
        raise RuntimeError("broken")

    monkeypatch.setattr("tpl_tracker.services.metric.compute_all", broken)
    run_job("run-queued-work")
    html = page_text(client.get(f"/reports/wub?as_of={iso(6, 30)}"))
    assert REFRESH not in html
    assert ui_message(app, "Compute figures as of %(date)s", date=f"30 Juni {YEAR}") in html
    assert "Gagal" in html or "failed" in html


def test_the_evaluator_home_says_which_figures_are_live_and_which_stored(app, client, db, world, login_as):
    _programme(db)
    _stored(db)
    login_as("evaluator")
    html = page_text(client.get("/"))
    live = "Live counts from the records, counted %(time)s (counted again every few minutes)."
    assert _before_time(app, live) in html
    stored = (
        "Stored figures as of %(date)s, computed %(time)s: they count the alumni of that date, so they may differ "
        "from the live counts above."
    )
    assert _before_time(app, stored, date=f"30 Juni {YEAR}") in html


def test_a_figure_computed_again_shows_at_once_although_the_page_is_kept(app, client, db, world, login_as):
    """The kept sections are keyed by everything they show: new figures of the same date (computed at the same
    frozen moment here) are never hidden by the kept page."""
    people = _programme(db)
    _stored(db)
    login_as("evaluator")
    url = f"/reports/wub?as_of={iso(6, 30)}"
    assert _headline_rate(page_text(client.get(url))) == "50,0%"
    survey = db.session.scalar(sa.select(OutcomeSurvey).where(OutcomeSurvey.facilitator_id == people[3].id))
    survey.verification = "verified"
    db.session.commit()
    _stored(db)
    assert _headline_rate(page_text(client.get(url))) == "75,0%"


def _headline_rate(html: str) -> str:
    return re.search(r'<div class="stat">([^<]*)</div>', html).group(1)


def test_without_any_figures_the_page_offers_to_compute_todays(app, client, db, world, login_as):
    login_as("evaluator")
    html = page_text(client.get("/reports/wub"))
    assert ui_message(app, "No figures have been computed yet: choose a date to compute its figures.") in html
    assert ui_message(app, "Compute figures as of %(date)s", date=f"2 Desember {YEAR}") in html
    assert 'action="/reports/wub/compute' in html


def test_a_supervisor_sees_the_figures_of_their_regions_computed_now(app, client, db, world, login_as):
    """Supervisor of province 82 (Kota Ternate's two alumni, one WUB): live figures of their scope, no download of
    the national table, each figure linked to the people behind it; a future date refused."""
    _programme(db)
    _stored(db)  # national figures stored: a supervisor still gets their own regions' figures
    login_as("supervisor")
    response = client.get(f"/reports/wub?as_of={AS_OF.isoformat()}")
    text = page_text(response)
    assert response.status_code == 200
    assert ui_message(app, "Your regions") in text and ui_message(app, "Whole country") not in text
    assert "computed now from the records" not in text  # the page is in Indonesian
    assert "/reports/wub.csv" not in text
    link = f'/reports/wub/people?as_of={AS_OF.isoformat()}&amp;group_by=total&amp;key=all&amp;figure=alumni"'
    assert re.search(re.escape(link) + r"[^>]*>2<", response.get_data(as_text=True))
    assert "50,0%" in text  # one WUB of two alumni
    people = client.get(f"/reports/wub/people?as_of={AS_OF.isoformat()}&group_by=total&key=all&figure=alumni")
    assert people.status_code == 200
    refused = page_text(client.get(f"/reports/wub?as_of={TOMORROW.isoformat()}"))
    assert ui_message(app, "The date cannot be in the future.") in refused
    assert ui_message(app, "Your regions") not in refused
