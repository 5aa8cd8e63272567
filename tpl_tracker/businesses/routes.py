"""Routes of the businesses blueprint: thin views over services/businesses.py and services/assessments.py."""

import re

from flask import abort, flash, jsonify, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user
from wtforms import SelectChoice

from ..dates import programme_today
from ..extensions import db
from ..forms import ConfirmForm, ListExportForm, show_rule_problems, show_service_error
from ..list_downloads import export_list, list_args
from ..models import Activity, Business, PermitFacilitation, Role
from ..pagination import paginate, paginate_by_key, with_total
from ..security import roles_required
from ..services import ServiceError, audit, list_exports, policy, regions
from ..services import assessments as assessment_service
from ..services import businesses as service
from ..services.policy import can_see_personal_numbers, load_assessment, load_business, visible_ids
from ..services.regions import child_choices, province_choices, regency_choices
from . import bp
from .forms import (
    AssessmentForm,
    BusinessForm,
    BusinessSearchForm,
    DecisionForm,
    RequestForm,
    StopForm,
)

REGION_CODE = re.compile(r"^\d{2}\.\d{2}(\.\d{2})?$")
# Businesses that the duplicate check of the TPL's own registration showed them (kept in the signed session).
FOUND_KEY = "found_businesses"
FOUND_KEEP = 20


def _detail_url(business_id: int) -> str:
    return url_for("businesses.detail", business_id=business_id)


def _filtered_businesses():
    """The list's filter form (from the address) and the query it selects; also the filters used (None when the
    form is invalid: the page then lists every business, an export refuses)."""
    form = BusinessSearchForm(request.args)
    form.region.choices = [SelectChoice("", _("All regions"))] + province_choices() + regency_choices()
    form.division.choices = [SelectChoice("", _("All KBLI divisions"))] + [
        SelectChoice(code, f"{code} — {name}") for code, name in service.KBLI_DIVISIONS.items()
    ]
    valid = form.validate()
    filters = {
        "q": form.q.data if valid else None,
        "region": form.region.data if valid else None,
        "division": form.division.data if valid else None,
        "permit_type": form.permit_type.data if valid else None,
    }
    return form, service.business_query(current_user, **filters), filters if valid else None


@bp.route("/")
@roles_required()
def index():
    """Businesses in the user's scope: searchable, filterable, paginated; a TPL also sees their requests."""
    form, query, _filters = _filtered_businesses()
    # A TPL's or a supervisor's businesses are gathered whole to be sorted by name, so their number comes with the
    # page; nationally a page is read in name order from the index, and counting would read every business.
    scoped = not current_user.has_role(Role.ADMIN, Role.EVALUATOR)
    page = paginate(with_total(query) if scoped else query)
    is_tpl = current_user.has_role(Role.FACILITATOR)
    return render_template(
        "businesses/index.html",
        form=form,
        page=page,
        issued=service.issued_permit_counts(b.id for b in page.items),
        requests=service.own_requests(current_user) if is_tpl else [],
        pending_count=service.pending_request_count(current_user) if current_user.has_role(Role.SUPERVISOR) else 0,
        export_form=ListExportForm(formdata=None),
        list_args=list_args(),
    )


@bp.route("/export", methods=["POST"])
@roles_required()
def export():
    """Download the businesses the list's filters select (all pages, in the list's order) as CSV or Excel."""
    _form, query, filters = _filtered_businesses()
    return export_list(
        "businesses",
        query,
        filters,
        list_exports.business_columns(masked=not can_see_personal_numbers(current_user)),
        list_exports.business_rows,
        filename="ikm",
        sheet_title=_("Businesses"),
        back=url_for("businesses.index", **list_args()),
    )


@bp.route("/assessments/export", methods=["POST"])
@roles_required()
def export_assessments():
    """Download the assessments of the businesses the list's filters select as CSV or Excel."""
    _form, query, filters = _filtered_businesses()
    return export_list(
        "assessments",
        list_exports.assessment_query(query),
        filters,
        list_exports.assessment_columns(),
        list_exports.stream,
        filename="penilaian",
        sheet_title=_("Assessments"),
        back=url_for("businesses.index", **list_args()),
    )


@bp.route("/wilayah/<code>")
@roles_required()
def region_children(code: str):
    """The kecamatan of a kabupaten/kota or the desa of a kecamatan, as JSON for the dependent selects."""
    if not REGION_CODE.match(code):
        abort(404)
    return jsonify(regions.region_children(code))


def _business_form(business: Business | None) -> BusinessForm:
    form = BusinessForm(obj=business)
    form.region_code.choices = [SelectChoice("", _("Choose the kabupaten/kota"))] + regency_choices()
    region = form.region_code.data
    kecamatan = form.kecamatan_code.data
    form.kecamatan_code.choices = [SelectChoice("", _("Choose the kecamatan"))] + child_choices(region)
    desa_choices = child_choices(kecamatan) if kecamatan and kecamatan.startswith(f"{region}.") else []
    form.desa_code.choices = [SelectChoice("", _("Choose the desa/kelurahan"))] + desa_choices
    return form


def _business_data(form: BusinessForm) -> service.BusinessData:
    return service.BusinessData(
        name=form.name.data,
        owner_name=form.owner_name.data,
        owner_nik=form.owner_nik.data,
        phone=form.phone.data,
        address=form.address.data,
        region_code=form.region_code.data,
        kecamatan_code=form.kecamatan_code.data or None,
        desa_code=form.desa_code.data or None,
        kbli=form.kbli.data,
        products=form.products.data,
        nib=form.nib.data,
        size_class=form.size_class.data,
        workers=form.workers.data,
        capital=form.capital.data,
        turnover=form.turnover.data,
        year_founded=form.year_founded.data,
    )


def _render_business_form(form, business, duplicate=None):
    return render_template(
        "businesses/form.html",
        form=form,
        business=business,
        duplicate=duplicate,
        request_form=RequestForm(formdata=None),
    )


@bp.route("/new", methods=["GET", "POST"])
@roles_required(Role.FACILITATOR)
def create():
    """Register a business; the TPL starts mentoring it today. An existing one is shown instead."""
    if current_user.facilitator is None:
        flash(_("Your account is not linked to a TPL profile yet. Contact your administrator."), "warning")
        return redirect(url_for("businesses.index"))
    form = _business_form(None)
    if request.method == "GET":
        form.region_code.data = current_user.facilitator.region_code or ""
        form.kecamatan_code.choices = [SelectChoice("", _("Choose the kecamatan"))] + child_choices(
            form.region_code.data
        )
    duplicate = None
    if form.validate_on_submit():
        try:
            business = service.create_business(current_user, _business_data(form))
        except service.DuplicateBusiness as error:
            show_service_error(form, error)
            duplicate = service.duplicate_card(error.business, current_user.facilitator)
            _remember_found(error.business.id)
        except ServiceError as error:
            show_service_error(form, error)
        else:
            flash(_("%(name)s has been registered and you now mentor it.", name=business.name), "success")
            return redirect(_detail_url(business.id))
    elif form.is_submitted():
        show_rule_problems(form, lambda: service.check_business(_business_data(form), None))
    return _render_business_form(form, None, duplicate)


def _visible_and_allowed(business_id: int, allowed) -> Business | None:
    """The business (404 outside the scope), or None after a flash when `allowed(user, business)` refuses."""
    business = load_business(current_user, business_id)
    if not allowed(current_user, business):
        flash(_("Only a TPL currently mentoring this business can do this."), "warning")
        return None
    return business


@bp.route("/<int:business_id>")
@roles_required()
def detail(business_id: int):
    """A business: its data, mentors, assessments and change since baseline, permits, activities, history."""
    business = load_business(current_user, business_id)
    mentorships = service.business_mentorships(business)
    assessments = service.assessments_of(business)
    masked = not can_see_personal_numbers(current_user)
    permits, activities = service.business_permits(business), service.recent_activities(business)
    return render_template(
        "businesses/detail.html",
        business=business,
        mentorships=mentorships,
        assessments=assessments,
        change=assessment_service.change_since_baseline(assessments),
        permits=permits,
        activities=activities,
        # Another TPL's work on this business is listed, but only linked for those who may open it.
        openable_permits=visible_ids(current_user, PermitFacilitation, permits),
        openable_activities=visible_ids(current_user, Activity, activities),
        entries=service.business_history(business, mentorships, assessments),
        history_on_page=service.HISTORY_ON_PAGE,
        masked=masked,
        region_path=regions.region_path(business.desa_code, business.kecamatan_code, business.region_code),
        kbli_divisions=service.KBLI_DIVISIONS,
        confirm_form=ConfirmForm(formdata=None),
    )


@bp.route("/<int:business_id>/riwayat")
@roles_required()
def history(business_id: int):
    """The whole change history of a business, its mentorships and its assessments, newest first, paged."""
    business = load_business(current_user, business_id)
    page = paginate_by_key(service.business_history_query(business), audit.HISTORY_ORDER)
    return render_template(
        "businesses/history.html",
        business=business,
        page=page,
        masked=not can_see_personal_numbers(current_user),
    )


@bp.route("/<int:business_id>/edit", methods=["GET", "POST"])
@roles_required(Role.FACILITATOR)
def edit(business_id: int):
    """Change a business (a TPL currently mentoring it)."""
    business = _visible_and_allowed(business_id, policy.can_edit_business)
    if business is None:
        return redirect(_detail_url(business_id))
    form = _business_form(business)
    if form.validate_on_submit():
        try:
            service.update_business(current_user, business, _business_data(form))
        except ServiceError as error:
            show_service_error(form, error)
        else:
            flash(_("%(name)s has been saved.", name=business.name), "success")
            return redirect(_detail_url(business.id))
    elif form.is_submitted():
        show_rule_problems(form, lambda: service.check_business(_business_data(form), business))
    return _render_business_form(form, business)


@bp.route("/<int:business_id>/stop", methods=["GET", "POST"])
@roles_required(Role.FACILITATOR)
def stop_mentoring(business_id: int):
    """Stop mentoring a business: the last day and the reason."""
    business = _visible_and_allowed(business_id, policy.can_stop_mentoring)
    if business is None:
        return redirect(_detail_url(business_id))
    form = StopForm()
    if request.method == "GET":
        form.end_date.data = programme_today()
    if form.validate_on_submit():
        try:
            service.stop_mentoring(current_user, business, form.end_date.data, form.reason.data)
        except ServiceError as error:
            show_service_error(form, error)
        else:
            flash(_("You no longer mentor %(name)s.", name=business.name), "success")
            return redirect(_detail_url(business.id))
    elif form.is_submitted():
        show_rule_problems(
            form, lambda: service.check_stop(current_user, business, form.end_date.data, form.reason.data)
        )
    return render_template("businesses/stop.html", form=form, business=business)


def _remember_found(business_id: int) -> None:
    """Note that the duplicate check showed this business to the signed-in TPL (they may ask to mentor it)."""
    found = [i for i in session.get(FOUND_KEY, []) if i != business_id]
    session[FOUND_KEY] = (found + [business_id])[-FOUND_KEEP:]


def _requestable_or_404(business_id: int) -> Business:
    """A business the TPL may ask to mentor: one their duplicate check found, or one in their scope; else 404."""
    if business_id in session.get(FOUND_KEY, []):
        return db.session.get(Business, business_id) or abort(404)
    return load_business(current_user, business_id)


@bp.route("/<int:business_id>/request", methods=["POST"])
@roles_required(Role.FACILITATOR)
def request_mentoring(business_id: int):
    """Ask to mentor an existing business that the duplicate check of the TPL's registration showed them."""
    business = _requestable_or_404(business_id)
    form = RequestForm()
    if form.validate_on_submit():
        try:
            service.request_mentoring(current_user, business, form.reason.data)
        except ServiceError as error:
            show_service_error(form, error)
        else:
            flash(_("Your request to mentor %(name)s has been sent to your supervisor.", name=business.name), "success")
            return redirect(url_for("businesses.index"))
    elif form.is_submitted():
        show_rule_problems(form, lambda: service.check_request(current_user, business, form.reason.data))
    card = service.duplicate_card(business, current_user.facilitator)
    return render_template("businesses/request.html", form=form, card=card)


@bp.route("/requests")
@roles_required(Role.SUPERVISOR)
def requests():
    """Pending requests to mentor a business from the TPL in the supervisor's scope, oldest first."""
    page = paginate(service.request_query(current_user))
    return render_template(
        "businesses/requests.html", page=page, form=DecisionForm(formdata=None), failed_id=None, failed_form=None
    )


@bp.route("/requests/<int:request_id>/decide", methods=["POST"])
@roles_required(Role.SUPERVISOR)
def decide_request(request_id: int):
    """Approve (the TPL starts mentoring) or reject (with a note) a request."""
    mentorship_request = policy.load_mentorship_request(current_user, request_id)
    form = DecisionForm()
    if form.validate_on_submit():
        try:
            service.decide_request(current_user, mentorship_request, form.decision.data, form.note.data)
        except ServiceError as error:
            show_service_error(form, error)
        else:
            if mentorship_request.status == "approved":
                flash(
                    _(
                        "Approved: %(tpl)s now mentors %(name)s.",
                        tpl=mentorship_request.facilitator.full_name,
                        name=mentorship_request.business.name,
                    ),
                    "success",
                )
            else:
                flash(_("The request has been rejected."), "success")
            return redirect(url_for("businesses.requests"))
    elif form.is_submitted():
        show_rule_problems(
            form,
            lambda: service.check_decision(current_user, mentorship_request, form.decision.data, form.note.data),
        )
    page = paginate(service.request_query(current_user))
    return render_template(
        "businesses/requests.html", page=page, form=DecisionForm(formdata=None), failed_id=request_id, failed_form=form
    )


# --- assessments ----------------------------------------------------------------------------


def _assessment_data(form: AssessmentForm) -> assessment_service.AssessmentData:
    return assessment_service.AssessmentData(
        kind=form.kind.data,
        assessed_on=form.assessed_on.data,
        turnover=form.turnover.data,
        workers=form.workers.data,
        production_capacity=form.production_capacity.data,
        products=form.products.data,
        market_reach=form.market_reach.data,
        has_packaging_label=form.has_packaging_label.data,
        notes=form.notes.data,
    )


@bp.route("/<int:business_id>/assessments/new", methods=["GET", "POST"])
@roles_required(Role.FACILITATOR)
def assessment_create(business_id: int):
    """Record an assessment (baseline first, then follow-ups) of a business the TPL mentors."""
    business = _visible_and_allowed(business_id, policy.can_assess)
    if business is None:
        return redirect(_detail_url(business_id))
    form = AssessmentForm()
    if request.method == "GET":
        form.assessed_on.data = programme_today()
        has_assessment = bool(service.assessments_of(business))
        form.kind.data = "follow_up" if has_assessment else "baseline"
    if form.validate_on_submit():
        try:
            assessment_service.create_assessment(current_user, business, _assessment_data(form))
        except ServiceError as error:
            show_service_error(form, error)
        else:
            flash(_("The assessment has been saved."), "success")
            return redirect(_detail_url(business.id) + "#assessments")
    elif form.is_submitted():
        facilitator = current_user.facilitator
        show_rule_problems(
            form, lambda: assessment_service.check_assessment(business, facilitator, _assessment_data(form), None)
        )
    return render_template("businesses/assessment_form.html", form=form, business=business, assessment=None)


def _own_assessment(assessment_id: int):
    assessment = load_assessment(current_user, assessment_id)
    if assessment_service.is_locked(assessment):
        flash(_("This assessment's month has been submitted or approved and can no longer be changed."), "warning")
        return assessment, False
    return assessment, True


@bp.route("/assessments/<int:assessment_id>/edit", methods=["GET", "POST"])
@roles_required(Role.FACILITATOR)
def assessment_edit(assessment_id: int):
    """Change an assessment (its own TPL, while its month is open)."""
    assessment, open_month = _own_assessment(assessment_id)
    if not open_month:
        return redirect(_detail_url(assessment.business_id) + "#assessments")
    form = AssessmentForm(obj=assessment)
    if form.validate_on_submit():
        try:
            assessment_service.update_assessment(current_user, assessment, _assessment_data(form))
        except ServiceError as error:
            show_service_error(form, error)
        else:
            flash(_("The assessment has been saved."), "success")
            return redirect(_detail_url(assessment.business_id) + "#assessments")
    elif form.is_submitted():
        show_rule_problems(
            form,
            lambda: assessment_service.check_assessment(
                assessment.business, assessment.facilitator, _assessment_data(form), assessment
            ),
        )
    return render_template(
        "businesses/assessment_form.html", form=form, business=assessment.business, assessment=assessment
    )


@bp.route("/assessments/<int:assessment_id>/delete", methods=["POST"])
@roles_required(Role.FACILITATOR)
def assessment_delete(assessment_id: int):
    """Delete an assessment (its own TPL, while its month is open)."""
    assessment, open_month = _own_assessment(assessment_id)
    business_id = assessment.business_id
    if open_month and ConfirmForm().validate_on_submit():
        try:
            assessment_service.delete_assessment(current_user, assessment)
        except ServiceError as error:
            db.session.rollback()
            flash(error.message, "danger")
        else:
            flash(_("The assessment has been deleted."), "success")
    return redirect(_detail_url(business_id) + "#assessments")
