"""Routes of the reports blueprint."""

from flask import Response, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from .. import formatting
from ..dates import programme_today
from ..forms import show_service_error
from ..models import Grouping, Role
from ..security import roles_required
from ..services import ServiceError
from ..services.metric import GROUP_BYS, latest_snapshot_date, load_snapshot
from ..services.metric_definition import definition_html
from ..services.outcome_dashboard import (
    BREAKDOWNS,
    COMPUTE_JOB,
    TREND_POINTS,
    check_as_of,
    latest_computation,
    request_computation,
    stored_figures,
    trend,
)
from ..services.policy import can_start_job
from ..services.regions import region_name
from ..services.reports import FORMATS, render
from . import bp, charts
from .forms import ComputeFiguresForm, WubReportForm
from .kept import kept, snapshot_values

MIME = {
    "csv": "text/csv; charset=utf-8",
    "json": "application/json",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
TABLE_IDS = {group_by: f"wub-{group_by.replace('_', '-')}-table" for group_by in GROUP_BYS}
TREND_TABLE_ID = "wub-trend-table"
SECTION_TITLES = {
    "angkatan": _l("By angkatan"),
    "province": _l("By province of the last placement"),
    "exit_year": _l("By exit year"),
    "polytechnic": _l("By home polytechnic"),
}
CHART_TITLES = {
    "angkatan": _l("WUB rate by angkatan, with the %(level)s interval", level="95%"),
    "province": _l("WUB rate by province of the last placement, with the %(level)s interval", level="95%"),
    "exit_year": _l("WUB rate by exit year, with the %(level)s interval", level="95%"),
    "polytechnic": _l("WUB rate by home polytechnic, with the %(level)s interval", level="95%"),
}


@bp.app_template_global()
def has_endpoint(endpoint: str) -> bool:
    """Whether the app has a route by that endpoint (a link to a page another part of the app may not have yet)."""
    return endpoint in current_app.view_functions


@bp.app_template_global()
def group_label(group_by: str, key: str) -> str:
    """How a group of the WUB figures is named on a page: a province by its code and name."""
    if group_by == "total":
        return str(Grouping.TOTAL.label)
    if group_by == "province":
        return f"{key} {region_name(key)}"
    return key


def _selection():
    form = WubReportForm(request.args)
    valid = form.validate()
    as_of = (form.as_of.data if valid else None) or latest_snapshot_date()
    group_by = form.group_by.data if valid and form.group_by.data else "total"
    return form, as_of, group_by


def _breakdown_charts(figures, shown: list[str]) -> dict:
    """The SVG chart of each breakdown shown: its groups' rates with their intervals."""
    return {
        group_by: charts.breakdown_chart(
            rows, [group_label(group_by, row.key) for row in rows], TABLE_IDS[group_by], str(CHART_TITLES[group_by])
        )
        for group_by in shown
        if (rows := figures.breakdowns[group_by])
    }


def _trend_charts(trend_rows) -> dict:
    """The SVG charts of the national row over the stored dates: the rate with its intervals, alumni and WUB."""
    if not trend_rows:
        return {}
    dates = [f"{row.as_of:%d/%m/%Y}" for row in trend_rows]  # short: 24 of them side by side
    return {
        "trend_rate": charts.trend_rate_chart(
            trend_rows,
            dates,
            TREND_TABLE_ID,
            _("National WUB rate over the stored dates, with the %(level)s interval", level="95%"),
        ),
        "trend_alumni": charts.trend_alumni_chart(
            trend_rows, dates, TREND_TABLE_ID, _("Alumni and WUB over the stored dates")
        ),
    }


def _reader_state() -> tuple:
    """What a kept fragment depends on besides its rows: the reader's language and time zone, the app's address,
    and whether the list of the people behind a figure exists."""
    return (
        str(get_locale()),
        str(formatting.reader_zone()),
        request.script_root,
        has_endpoint("reports.wub_people"),
    )


def _trend_html(trend_rows, group_by: str):
    """The trend section (two charts and their table), rendered once per digest of what it shows, then kept."""
    if not trend_rows:
        return ""

    def render():
        return render_template(
            "reports/_trend.html",
            trend=trend_rows,
            group_by=group_by,
            trend_points=TREND_POINTS,
            charts=_trend_charts(trend_rows),
            trend_table_id=TREND_TABLE_ID,
        )

    return kept("wub-trend", (*_reader_state(), group_by, snapshot_values(trend_rows)), render)


def _figures_html(figures, group_by: str, shown: list[str]):
    """The headline and breakdowns of a date's stored figures, rendered once per digest of everything they show
    (rows, language, reader's time zone, links) and then kept: a few hundred cells of formatted numbers and four
    charts cost more than the rest of the page."""
    rows = [figures.total] if figures.total is not None else []
    rows += [row for group_by_shown in shown for row in figures.breakdowns[group_by_shown]]
    shown_state = (*_reader_state(), figures.as_of, group_by, tuple(shown), snapshot_values(rows))

    def render():
        return render_template(
            "reports/_figures.html",
            figures=figures,
            as_of=figures.as_of,
            shown=shown,
            charts=_breakdown_charts(figures, shown),
            table_ids=TABLE_IDS,
            section_titles=SECTION_TITLES,
        )

    return kept("wub-figures", shown_state, render)


@bp.route("/wub")
@roles_required(Role.EVALUATOR, Role.ADMIN)
def wub():
    """The outcome dashboard: the stored WUB figures of a date (latest by default) with their breakdowns, the trend
    over the stored dates, and the computation of a date that has none (read from the snapshots only)."""
    form, as_of, group_by = _selection()
    if form.as_of.errors:
        as_of = None  # a date was asked for and could not be read: nothing of another date is shown
    elif form.as_of.data is not None:
        try:
            check_as_of(form.as_of.data)
        except ServiceError as refusal:
            form.as_of.errors = [refusal.message]
            as_of = None
    figures = stored_figures(as_of) if as_of else None
    if figures is not None and not figures.stored:
        figures = None
    last_run = latest_computation(as_of) if as_of else None
    shown = [name for name in BREAKDOWNS if group_by in ("total", name)]
    return render_template(
        "reports/wub.html",
        form=form,
        compute_form=ComputeFiguresForm(formdata=None, as_of=as_of or programme_today()),
        as_of=as_of,
        group_by=group_by,
        figures=figures,
        figures_html=_figures_html(figures, group_by, shown) if figures else None,
        last_run=last_run,
        computing=last_run is not None and last_run.outcome in ("queued", "running"),
        trend_html=_trend_html(trend(), group_by),
        may_compute=can_start_job(current_user, COMPUTE_JOB),
    )


@bp.route("/wub/compute", methods=["POST"])
@roles_required(Role.EVALUATOR, Role.ADMIN)
def wub_compute():
    """Queue the computation of the WUB figures of a date (run outside the request by the `run-queued-work` job),
    then back to the dashboard of that date, which shows the computation until the figures are there."""
    if not can_start_job(current_user, COMPUTE_JOB):
        abort(403)
    form = ComputeFiguresForm()
    group_by = request.args.get("group_by")
    back = {"group_by": group_by} if group_by in GROUP_BYS and group_by != "total" else {}
    if not form.validate_on_submit():  # the CSRF token is checked for every POST before (CSRFProtect)
        flash(_("Choose the date of the figures to compute."), "danger")
        return redirect(url_for("reports.wub", **back))
    as_of = form.as_of.data
    try:
        request_computation(as_of, current_user._get_current_object())
    except ServiceError as refusal:
        show_service_error(form, refusal)
        for message in form.as_of.errors:
            flash(message, "danger")
        return redirect(url_for("reports.wub", as_of=as_of.isoformat(), **back))
    flash(
        _(
            "The figures as of %(date)s are being computed: this page shows them when they are ready.",
            date=formatting.day(as_of),
        ),
        "info",
    )
    return redirect(url_for("reports.wub", as_of=as_of.isoformat(), **back))


@bp.route("/wub.<fmt>")
@roles_required(Role.EVALUATOR, Role.ADMIN)
def wub_download(fmt: str):
    """The same figures as a CSV, JSON or Excel file."""
    if fmt not in FORMATS:
        abort(404)
    _form, as_of, group_by = _selection()
    if as_of is None:
        abort(404)
    rows = [
        {column: getattr(row, column) for column in row.__table__.columns.keys()}  # noqa: SIM118 - names
        for row in load_snapshot(as_of, group_by)
    ]
    if not rows:
        abort(404)
    filename = f"wub_{group_by}_{as_of.isoformat()}.{fmt}"
    return Response(
        render(rows, fmt), mimetype=MIME[fmt], headers={"Content-Disposition": f'attachment; filename="{filename}"'}
    )


@bp.route("/wub/definition")
@roles_required(Role.EVALUATOR, Role.ADMIN)
def definition():
    """How the WUB figures are computed, with a worked example (docs/metric.md), in the reader's language."""
    return render_template("reports/definition.html", body=definition_html(get_locale().language))
