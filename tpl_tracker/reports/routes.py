"""Routes of the reports blueprint."""

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user

from .. import formatting
from ..dates import programme_today
from ..downloads import audit_download, file_response
from ..models import Role
from ..security import roles_required
from ..services import ServiceError
from ..services.dashboard import counted, scope_key
from ..services.metric import GROUP_BYS, latest_snapshot_date, load_snapshot
from ..services.metric_definition import definition_html
from ..services.outcome_dashboard import (
    BREAKDOWNS,
    COMPUTE_JOB,
    check_as_of,
    latest_computation,
    request_computation,
    scoped_figures,
    stored_figures,
    trend,
)
from ..services.policy import can_start_job
from ..services.reports import FORMATS, wub_columns
from . import bp
from .dashboard import figures_html, trend_html
from .forms import ComputeFiguresForm, WubReportForm


def _selection():
    form = WubReportForm(request.args)
    valid = form.validate()
    as_of = (form.as_of.data if valid else None) or latest_snapshot_date()
    group_by = form.group_by.data if valid and form.group_by.data else "total"
    return form, as_of, group_by


@bp.route("/wub")
@roles_required(Role.EVALUATOR, Role.ADMIN, Role.SUPERVISOR)
def wub():
    """The outcome dashboard: the stored WUB figures of a date (latest by default) with their breakdowns, the trend
    over the stored dates, and the computation of a date that has none (read from the snapshots only); for a
    supervisor, the figures of their regions' alumni, computed from the records."""
    form, as_of, group_by = _selection()
    # Here the grouping picks the breakdown shown; the whole country's row heads every view.
    form.group_by.label.text = _("Breakdown")
    form.group_by.choices = [("total", _("All breakdowns")), *form.group_by.choices[1:]]
    if current_user.has_role(Role.SUPERVISOR):
        return _scoped_dashboard(form, group_by)
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
        figures_html=figures_html(figures, group_by, shown) if figures else None,
        last_run=last_run,
        computing=last_run is not None and last_run.outcome in ("queued", "running"),
        trend_html=trend_html(trend(), group_by),
        may_compute=can_start_job(current_user, COMPUTE_JOB),
    )


def _scoped_dashboard(form, group_by: str):
    """A supervisor's dashboard: their regions' alumni as of the chosen date (today by default), computed now (the
    stored figures are the whole country's; a province's alumni are a few thousand at most)."""
    as_of = form.as_of.data if form.as_of.data is not None and not form.as_of.errors else programme_today()
    figures = None
    try:
        check_as_of(as_of)
    except ServiceError as refusal:
        form.as_of.errors = [refusal.message]
    else:
        user = current_user._get_current_object()
        # Kept REPORT_COUNTS_SECONDS per scope and date, like the other reports read from the records: the page
        # says when they were computed (and its figures and charts are then drawn once, kept by their digest).
        figures, _counted_at = counted(
            f"wub-scope:{scope_key(user)}:{as_of}",
            lambda: scoped_figures(as_of, user),
            current_app.config["REPORT_COUNTS_SECONDS"],
        )
        form.as_of.data = as_of
    shown = [name for name in BREAKDOWNS if group_by in ("total", name)]
    return render_template(
        "reports/wub.html",
        form=form,
        as_of=as_of if figures else None,
        group_by=group_by,
        figures=figures if figures and figures.stored else None,
        figures_html=figures_html(figures, group_by, shown) if figures and figures.stored else None,
        scoped=True,
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
        # The dashboard of that date shows a refused date under the date field; anything else is flashed.
        for problem in refusal.errors:
            if problem.field != "as_of":
                flash(problem.message, "danger")
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
    """The same figures as a CSV, JSON or Excel file, headed in the reader's language, names beside codes; the
    download is audited."""
    if fmt not in FORMATS:
        abort(404)
    _form, as_of, group_by = _selection()
    count = len(load_snapshot(as_of, group_by)) if as_of else 0
    if not count:
        abort(404)
    audit_download(current_user, "metric_snapshots", fmt, {"as_of": as_of, "group_by": group_by}, count)
    filename = f"wub_{group_by}_{as_of.isoformat()}.{fmt}"
    return file_response(wub_columns(), lambda: load_snapshot(as_of, group_by), fmt, filename, sheet_title="wub")


@bp.route("/wub/definition")
@roles_required(Role.EVALUATOR, Role.ADMIN)
def definition():
    """How the WUB figures are computed, with a worked example (docs/metric.md), in the reader's language."""
    return render_template("reports/definition.html", body=definition_html(get_locale().language))
