"""Routes of the reviews blueprint: a TPL's months, the month page, submit, review, reopen, the review queue."""

from datetime import timedelta

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from wtforms import SelectChoice

from ..dates import programme_today
from ..extensions import db
from ..forms import ListExportForm, show_rule_problems, show_service_error
from ..list_downloads import export_list, list_args
from ..models import Facilitator, Role
from ..pagination import paginate, paginate_by_key, with_total
from ..security import roles_required
from ..services import ServiceError, audit, list_exports
from ..services import reviews as service
from ..services.months import covers_month, get_month, month_label, next_month
from ..services.policy import (
    can_reopen_month,
    can_review_month,
    can_see_personal_numbers,
    can_submit_month,
    is_own_work,
    load_facilitator,
    load_month,
    month_submission_opens,
)
from ..services.regions import province_choices
from . import bp
from .forms import (
    ReopenForm,
    ReportFilterForm,
    ReviewForm,
    SubmitMonthForm,
)


def _month_url(facilitator_id: int, period) -> str:
    return url_for("reviews.month", facilitator_id=facilitator_id, period=service.period_text(period))


def _load_month(facilitator_id: int, period_text: str):
    """The TPL (in the user's scope) and the month; 404 for a bad month or one outside every contract."""
    facilitator = load_facilitator(current_user, facilitator_id)
    period = service.parse_period(period_text)
    if period is None or not covers_month(facilitator, period):
        abort(404)
    return facilitator, period


def _expired(form) -> None:
    if "csrf_token" in form.errors:
        flash(_("The form has expired: please try again."), "danger")


def _render_month(
    facilitator: Facilitator, period, submit_form=None, review_form=None, reopen_form=None, posted_comments=None
):
    """The month page; the forms given keep what was typed and their errors."""
    today = programme_today()
    report = get_month(facilitator.id, period)
    status = report.status if report else "draft"
    events = service.month_events(report)
    last = service.last_return(events) if status == "returned" else None
    items = service.month_items(facilitator.id, period)
    notes = {(c.item_type, c.item_id): c.comment for c in last.item_comments} if last else {}
    opens = month_submission_opens(current_user, facilitator, period, status)
    return render_template(
        "reviews/month.html",
        facilitator=facilitator,
        period=period,
        report=report,
        status=status,
        items=items,
        events=events,
        last_return=last,
        return_notes=notes,
        orphans=[text for key, text in notes.items() if key not in items.keys()],  # noqa: SIM118 - MonthItems is not a dict
        can_submit=can_submit_month(current_user, facilitator, period, status, today),
        # Not yet: the page says from when (the month's last day, or the contract's when it ends earlier).
        submit_opens=opens if opens is not None and today < opens else None,
        contract_ends_in_month=opens is not None and opens < next_month(period) - timedelta(days=1),
        reviewing=can_review_month(current_user, facilitator.id, status),
        can_reopen=can_reopen_month(current_user, facilitator.id, status),
        submit_form=submit_form or SubmitMonthForm(formdata=None),
        review_form=review_form or ReviewForm(formdata=None),
        reopen_form=reopen_form or ReopenForm(formdata=None),
        posted_comments=posted_comments or {},
        entries=audit.history(report) if report else [],
        masked=not can_see_personal_numbers(current_user),
        action_label=service.action_label,
    )


@bp.route("/")
@roles_required()
def index():
    """A TPL's own months; for the others every monthly report in their scope, filtered (also by TPL)."""
    if current_user.has_role(Role.FACILITATOR):
        facilitator = current_user.facilitator
        if facilitator is None:
            flash(_("Your account is not linked to a TPL profile yet. Contact your administrator."), "warning")
            return redirect(url_for("main.home"))
        return render_template(
            "reviews/months.html",
            facilitator=facilitator,
            rows=service.facilitator_months(facilitator),
            action_label=service.action_label,
        )
    form, facilitator, query, _filters = _filtered_reports()
    # Hundreds of thousands of months nationally: paged by the sort key (a cursor), never by a deep OFFSET.
    page = paginate_by_key(query, service.REPORT_ORDER, values_of=service.report_sort_key, by_first_key=True)
    counts = service.month_counts((r.facilitator_id, r.period) for r in page.items)
    return render_template(
        "reviews/index.html",
        form=form,
        page=page,
        counts=counts,
        facilitator=facilitator,
        export_form=ListExportForm(formdata=None),
        list_args=list_args(),
    )


def _filtered_reports():
    """The list's filter form (from the address), the TPL it names (404 outside the user's scope) and the query it
    selects; also the filters used (None when the form is invalid: the page then lists every month, an export
    refuses)."""
    form = ReportFilterForm(request.args)
    form.province.choices = [SelectChoice("", _("All provinces"))] + province_choices()
    valid = form.validate()
    if (form.province.data or "") not in {choice.value for choice in form.province.choices}:
        form.province.errors = [_("Choose a province from the list.")]
        valid = False
    facilitator = None
    if valid and form.tpl.data:
        facilitator = load_facilitator(current_user, form.tpl.data)
    filters = {
        "status": form.status.data or None if valid else None,
        "period": service.parse_period(form.month.data) if valid else None,
        "province": form.province.data or None if valid else None,
        "facilitator_id": facilitator.id if facilitator else None,
    }
    return form, facilitator, service.report_query(current_user, **filters), filters if valid else None


@bp.route("/export", methods=["POST"])
@roles_required(Role.SUPERVISOR, Role.EVALUATOR, Role.ADMIN)
def export():
    """Download the monthly reports the list's filters select (all pages, in the list's order) as CSV or Excel."""
    _form, _facilitator, query, filters = _filtered_reports()
    return export_list(
        "monthly_reports",
        query,
        filters,
        list_exports.report_columns(masked=not can_see_personal_numbers(current_user)),
        list_exports.report_rows,
        filename="laporan-bulanan",
        sheet_title=_("Monthly reports"),
        back=url_for("reviews.index", **list_args()),
    )


@bp.route("/antrean")
@roles_required(Role.SUPERVISOR)
def queue():
    """Submitted months of the supervisor's TPL, oldest submission first."""
    # The database gathers the scope's submitted months whole before sorting them: their number comes with the page.
    page = paginate(with_total(service.review_queue(current_user)))
    counts = service.month_counts((r.facilitator_id, r.period) for r in page.items)
    return render_template(
        "reviews/queue.html", page=page, counts=counts, today=programme_today(), days_waiting=service.days_waiting
    )


@bp.route("/<int:report_id>")
@roles_required()
def detail(report_id: int):
    """A monthly report by id: its month page."""
    report = load_month(current_user, report_id)
    return redirect(_month_url(report.facilitator_id, report.period))


@bp.route("/tpl/<int:facilitator_id>/<period>")
@roles_required()
def month(facilitator_id: int, period: str):
    """The whole month of a TPL on one page, with its review."""
    facilitator, period = _load_month(facilitator_id, period)
    return _render_month(facilitator, period)


@bp.route("/tpl/<int:facilitator_id>/<period>/submit", methods=["POST"])
@roles_required(Role.FACILITATOR)
def submit(facilitator_id: int, period: str):
    """The TPL submits the month for review."""
    facilitator = load_facilitator(current_user, facilitator_id)
    period = service.parse_period(period)
    if period is None or not is_own_work(current_user, facilitator.id):
        abort(404)
    form = SubmitMonthForm()
    if form.validate_on_submit():
        try:
            service.submit_month(current_user, facilitator, period, form.note.data)
        except ServiceError as error:
            if not covers_month(facilitator, period):  # posted directly: no page shows a month outside the contracts
                db.session.rollback()
                flash(error.message, "danger")
                return redirect(url_for("reviews.index"))
            show_service_error(form, error)
        else:
            flash(_("%(month)s has been submitted for review.", month=month_label(period)), "success")
            return redirect(_month_url(facilitator.id, period))
    if not covers_month(facilitator, period):
        abort(404)  # as the month's page answers
    _expired(form)
    return _render_month(facilitator, period, submit_form=form)


@bp.route("/<int:report_id>/review", methods=["POST"])
@roles_required(Role.SUPERVISOR)
def review(report_id: int):
    """The supervisor approves the month or returns it with comments, in one step."""
    report = load_month(current_user, report_id)
    facilitator, period = report.facilitator, report.period
    form = ReviewForm()
    comments = service.item_comments_from(request.form)
    if form.validate_on_submit():
        try:
            service.review_month(current_user, report, form.decision.data, form.comment.data, comments)
        except ServiceError as error:
            show_service_error(form, error)
        else:
            if report.status == "approved":
                flash(_("%(month)s has been approved.", month=month_label(period)), "success")
            else:
                flash(_("%(month)s has been returned to the TPL for correction.", month=month_label(period)), "success")
            return redirect(url_for("reviews.queue"))
    elif form.is_submitted():
        show_rule_problems(
            form,
            lambda: service.check_review(current_user, report, form.decision.data, form.comment.data, comments),
        )
    _expired(form)
    return _render_month(facilitator, period, review_form=form, posted_comments=comments)


@bp.route("/<int:report_id>/reopen", methods=["POST"])
@roles_required(Role.SUPERVISOR)
def reopen(report_id: int):
    """The supervisor reopens an approved month, with a reason."""
    report = load_month(current_user, report_id)
    facilitator, period = report.facilitator, report.period
    form = ReopenForm()
    if form.validate_on_submit():
        try:
            service.reopen_month(current_user, report, form.reason.data)
        except ServiceError as error:
            show_service_error(form, error)
        else:
            flash(_("%(month)s has been reopened and is back with the TPL.", month=month_label(period)), "success")
            return redirect(_month_url(facilitator.id, period))
    elif form.is_submitted():
        show_rule_problems(form, lambda: service.check_reopen(current_user, report, form.reason.data))
    _expired(form)
    return _render_month(facilitator, period, reopen_form=form)
