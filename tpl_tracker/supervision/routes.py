"""Routes of the supervision blueprint: the roster, one TPL's work, targets and handover."""

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from wtforms import SelectChoice

from ..dates import programme_today
from ..forms import show_rule_problems, show_service_error
from ..models import Role
from ..pagination import paginate, with_total
from ..picker import build_picker, is_picker_post
from ..security import roles_required
from ..services import ServiceError, audit
from ..services.months import month_label, month_start, previous_month
from ..services.policy import can_see_personal_numbers, load_facilitator
from ..services.regions import roster_region_choices
from ..services.supervision import (
    ROSTER_COUNT_ORDER,
    TARGET_YEARS,
    HandoverData,
    TargetData,
    check_handover,
    check_target,
    gathers_whole,
    hand_over,
    handover_candidates_query,
    handover_due,
    open_mentorships,
    roster_query,
    roster_rows,
    roster_today,
    set_target,
    target_of,
    targets_of,
)
from ..services.supervision import facilitator_work as work_of
from ..transactions import reads_only_when
from . import bp
from .forms import HandoverForm, RosterSearchForm, TargetForm


def _roster_month(form: RosterSearchForm, today):
    """The month the roster shows: the one picked, or the current month (a future month is refused on the form)."""
    current = month_start(today)
    month = form.month.data if not form.month.errors else None
    if month is not None and month > current:
        form.month.errors = [
            _(
                "%(month)s has not started yet: the roster shows %(current)s.",
                month=month_label(month),
                current=month_label(current),
            )
        ]
        month = None
    form.month.data = month or current  # the picker shows the month the roster shows
    return form.month.data


@bp.route("/")
@roles_required(Role.SUPERVISOR, Role.EVALUATOR, Role.ADMIN)
def roster():
    """TPL in scope with the figures and warning flags of a month (default this month); searchable, filterable,
    paginated."""
    form = RosterSearchForm(request.args)
    form.region.choices = [SelectChoice("", _("All regions")), *roster_region_choices(current_user)]
    form.validate()
    # A bad month is refused on its own: the other filters still apply, to the current month.
    valid = not any(errors for name, errors in form.errors.items() if name != "month")
    real_today = programme_today()
    month = _roster_month(form, real_today)
    today = roster_today(month, real_today)
    flag = form.flag.data if valid else None
    query = roster_query(
        current_user,
        q=form.q.data if valid else None,
        region=form.region.data if valid else None,
        flag=flag,
        include_all=bool(form.all.data),
        today=today,
    )
    # TPL gathered whole before they are sorted by name: their number comes with the page, not in a count of its own.
    if gathers_whole(current_user, flag, bool(form.all.data)):
        page = paginate(with_total(query))
    else:
        page = paginate(query, count_order=ROSTER_COUNT_ORDER)
    return render_template(
        "supervision/roster.html",
        form=form,
        page=page,
        rows=roster_rows(page.items, today),
        today=today,
        month=month,
        previous=previous_month(month),
        current_month=month == month_start(real_today),
        latest_month=month_start(real_today),
    )


@bp.route("/tpl/<int:facilitator_id>")
@roles_required(Role.SUPERVISOR, Role.EVALUATOR, Role.ADMIN)
def facilitator_work(facilitator_id: int):
    """One TPL's work: businesses, activities, permits, assessments, months, targets against actuals."""
    facilitator = load_facilitator(current_user, facilitator_id)
    today = programme_today()
    return render_template(
        "supervision/facilitator.html",
        facilitator=facilitator,
        today=today,
        work=work_of(facilitator, today),
        handover_due=handover_due(facilitator, today),
        contract=facilitator.current_contract(today),
        masked=not can_see_personal_numbers(current_user),
    )


def _target_data(form: TargetForm) -> TargetData:
    return TargetData(
        year=form.year.data,
        visits_per_month=form.visits_per_month.data,
        businesses=form.businesses.data,
        permits_per_year=form.permits_per_year.data,
    )


@bp.route("/tpl/<int:facilitator_id>/targets", methods=["GET", "POST"])
@roles_required(Role.SUPERVISOR)
def targets(facilitator_id: int):
    """Set a TPL's targets for a year (default this year)."""
    facilitator = load_facilitator(current_user, facilitator_id)
    today = programme_today()
    form = TargetForm()
    if request.method == "GET":
        year = request.args.get("year", type=int)
        if year is None or not TARGET_YEARS[0] <= year <= TARGET_YEARS[1]:
            year = today.year
        form.year.data = year
        target = target_of(facilitator.id, year)
        if target is not None:
            form.visits_per_month.data = target.visits_per_month
            form.businesses.data = target.businesses
            form.permits_per_year.data = target.permits_per_year
    if form.validate_on_submit():
        try:
            target = set_target(current_user, facilitator, _target_data(form))
        except ServiceError as error:
            show_service_error(form, error)
        else:
            flash(
                _(
                    "The targets of %(name)s for %(year)s have been saved.",
                    name=facilitator.full_name,
                    year=target.year,
                ),
                "success",
            )
            return redirect(url_for("supervision.facilitator_work", facilitator_id=facilitator.id))
    elif form.is_submitted():
        show_rule_problems(form, lambda: check_target(_target_data(form)))
    targets_set = targets_of(facilitator.id)
    return render_template(
        "supervision/targets.html",
        form=form,
        facilitator=facilitator,
        targets=targets_set,
        entries=audit.history(*targets_set),
    )


def _handover_data(form: HandoverForm) -> HandoverData:
    return HandoverData(
        mentorship_ids=form.mentorship_ids.data or [],
        new_facilitator_id=form.new_facilitator_id.data,
        on=form.on.data,
        reason=form.reason.data,
    )


@bp.route("/tpl/<int:facilitator_id>/handover", methods=["GET", "POST"])
@roles_required(Role.SUPERVISOR)
@reads_only_when(is_picker_post)
def handover(facilitator_id: int):
    """Hand a TPL's businesses over to another TPL in the supervisor's scope."""
    facilitator = load_facilitator(current_user, facilitator_id)
    today = programme_today()
    mentorships = open_mentorships(facilitator)
    form = HandoverForm()
    form.mentorship_ids.choices = [SelectChoice(m.id, m.business.name) for m in mentorships]
    form.new_facilitator_id.choices = []  # chosen through the TPL picker; check_handover checks the id
    if request.method == "GET":
        form.on.data = today  # no business is checked: the supervisor picks each one that moves
    if is_picker_post():
        pass  # the TPL picker searched: the form comes back as typed, nothing handed over, no error shown
    elif form.validate_on_submit():
        try:
            moved = hand_over(current_user, facilitator, _handover_data(form), today=today)
        except ServiceError as error:
            show_service_error(form, error)
        else:
            flash(_("%(count)d businesses have been handed over.", count=moved), "success")
            return redirect(url_for("supervision.facilitator_work", facilitator_id=facilitator.id))
    elif form.is_submitted():
        show_rule_problems(form, lambda: check_handover(current_user, facilitator, _handover_data(form), today))
    chosen = [form.new_facilitator_id.data] if form.new_facilitator_id.data else []
    return render_template(
        "supervision/handover.html",
        form=form,
        picker=build_picker(
            "new_facilitator_id", handover_candidates_query(current_user, facilitator, today), chosen, current_user
        ),
        facilitator=facilitator,
        mentorships=mentorships,
        contract=facilitator.current_contract(today),
        today=today,
    )
