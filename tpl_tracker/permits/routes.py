"""Routes of the permits blueprint: thin views over services/permits.py."""

import sqlalchemy as sa
from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from wtforms import SelectChoice

from ..dates import programme_today
from ..extensions import db
from ..forms import ConfirmForm, ListExportForm, record_id, show_rule_problems, show_service_error
from ..list_downloads import export_list, list_args
from ..models import PermitFacilitation, ReviewComment, Role
from ..pagination import paginate
from ..security import roles_required
from ..services import ServiceError, audit, list_exports
from ..services import permits as service
from ..services.businesses import open_mentorship_of
from ..services.months import month_status, month_statuses
from ..services.policy import can_edit_permit, can_see_personal_numbers, load_business, load_permit, permit_month_locked
from ..services.regions import province_choices
from . import bp
from .forms import PermitFilterForm, PermitForm

PIPELINE = ("planned", "submitted", "issued")


def _filtered_permits(today):
    """The list's filter form (from the address) and the query it selects; also the filters used (None when the
    form is invalid: the page then lists every permit, an export refuses)."""
    form = PermitFilterForm(request.args)
    form.region.choices = [SelectChoice("", _("All provinces"))] + province_choices()
    valid = form.validate()
    filters = {
        "q": form.q.data if valid else None,
        "permit_type": form.permit_type.data if valid else None,
        "status": form.status.data if valid else None,
        "region": form.region.data if valid else None,
        "month": form.month.data if valid else None,
        "expiring": bool(form.expiring.data) if valid else False,
    }
    return form, service.permit_query(current_user, today=today, **filters), filters if valid else None


@bp.route("/")
@roles_required()
def index():
    """Permit facilitations in the user's scope: searchable, filterable, paginated."""
    today = programme_today()
    form, query, filters = _filtered_permits(today)
    counted = service.permit_query(current_user, today=today, counting=True, **(filters or {}))
    page = paginate(query, count_query=counted)
    return render_template(
        "permits/index.html",
        form=form,
        page=page,
        statuses=month_statuses((p.facilitator_id, p.status_on) for p in page.items),
        today=today,
        expiry_state=service.expiry_state,
        export_form=ListExportForm(formdata=None),
        list_args=list_args(),
    )


@bp.route("/export", methods=["POST"])
@roles_required()
def export():
    """Download the permit facilitations the list's filters select (all pages, in the list's order) as CSV or Excel."""
    _form, query, filters = _filtered_permits(programme_today())
    return export_list(
        "permits",
        query,
        filters,
        list_exports.permit_columns(),
        list_exports.permit_rows,
        filename="izin",
        sheet_title=_("Permits and certificates"),
        back=url_for("permits.index", **list_args()),
    )


def _permit_data(form: PermitForm) -> service.PermitData:
    return service.PermitData(
        permit_type=form.permit_type.data,
        status=form.status.data,
        planned_on=form.planned_on.data,
        submitted_on=form.submitted_on.data,
        issued_on=form.issued_on.data,
        rejected_on=form.rejected_on.data,
        document_number=form.document_number.data,
        expires_on=form.expires_on.data,
        notes=form.notes.data,
    )


@bp.route("/new", methods=["GET", "POST"])
@roles_required(Role.FACILITATOR)
def create():
    """Record a permit facilitation for a business the TPL mentors now."""
    facilitator = current_user.facilitator
    if facilitator is None:
        flash(_("Your account is not linked to a TPL profile yet. Contact your administrator."), "warning")
        return redirect(url_for("main.home"))
    chosen = request.args.get("business_id", type=record_id)
    if chosen is not None:
        business = load_business(current_user, chosen)
        if open_mentorship_of(business, facilitator.id) is None:
            flash(_("You can only record permits of businesses you mentor now."), "warning")
            return redirect(url_for("permits.index"))
        businesses = [business]
    else:
        businesses = service.open_mentorship_businesses(facilitator)
    form = PermitForm()
    form.business_id.choices = [SelectChoice(b.id, f"{b.name} ({b.region_code})") for b in businesses]
    if request.method == "GET":
        form.planned_on.data = programme_today()
    if form.validate_on_submit():
        business = load_business(current_user, form.business_id.data)
        try:
            permit = service.create_permit(current_user, facilitator, business, _permit_data(form))
        except ServiceError as error:
            show_service_error(form, error)
        else:
            flash(_("The permit facilitation has been saved."), "success")
            return redirect(url_for("permits.detail", permit_id=permit.id))
    elif form.is_submitted():
        show_rule_problems(form, lambda: service.check_permit(facilitator, _permit_data(form), programme_today()))
    return render_template(
        "permits/form.html",
        form=form,
        permit=None,
        fixed_business=chosen is not None,
        businesses=businesses,
        locked=False,
    )


@bp.route("/<int:permit_id>")
@roles_required()
def detail(permit_id: int):
    """One permit facilitation: its pipeline, expiry, review comments and change history."""
    permit = load_permit(current_user, permit_id)
    comments = list(
        db.session.scalars(
            sa.select(ReviewComment)
            .where(ReviewComment.item_type == "permit", ReviewComment.item_id == permit.id)
            .order_by(ReviewComment.id.desc())
        )
    )
    steps = list(PIPELINE) if permit.status != "rejected" else ["planned", "submitted", "rejected"]
    return render_template(
        "permits/detail.html",
        permit=permit,
        steps=steps,
        rank=service.STATUS_RANK,
        comments=comments,
        expiry=service.expiry_state(permit),
        month_status=month_status(permit.facilitator_id, permit.status_on) if permit.status_on else "draft",
        locked=permit_month_locked(permit),
        entries=audit.history(permit),
        masked=not can_see_personal_numbers(current_user),
        confirm_form=ConfirmForm(formdata=None),
    )


def _load_own(permit_id: int) -> PermitFacilitation:
    """A permit the signed-in TPL facilitates; 404 otherwise (the scope of a TPL is their own work)."""
    return load_permit(current_user, permit_id)


def _back(permit: PermitFacilitation):
    return redirect(url_for("permits.detail", permit_id=permit.id))


@bp.route("/<int:permit_id>/edit", methods=["GET", "POST"])
@roles_required(Role.FACILITATOR)
def edit(permit_id: int):
    """Change a permit facilitation or move it to its next step."""
    permit = _load_own(permit_id)
    if request.method == "GET" and not can_edit_permit(current_user, permit):
        flash(_("This month has been submitted or approved: the permit can no longer be changed."), "warning")
        return _back(permit)
    form = PermitForm(obj=permit)
    del form.business_id
    if form.validate_on_submit():
        try:
            service.update_permit(current_user, permit, _permit_data(form))
        except ServiceError as error:
            show_service_error(form, error)
        else:
            flash(_("The permit facilitation has been saved."), "success")
            return _back(permit)
    elif form.is_submitted():
        show_rule_problems(
            form, lambda: service.check_permit(permit.facilitator, _permit_data(form), programme_today(), permit)
        )
    return render_template(
        "permits/form.html",
        form=form,
        permit=permit,
        fixed_business=True,
        businesses=[permit.business],
        locked=permit_month_locked(permit),
    )


@bp.route("/<int:permit_id>/delete", methods=["POST"])
@roles_required(Role.FACILITATOR)
def delete(permit_id: int):
    """Delete a facilitation that is still only planned."""
    permit = _load_own(permit_id)
    form = ConfirmForm()
    if not form.validate_on_submit():
        flash(_("The form has expired: please try again."), "danger")
        return _back(permit)
    try:
        service.delete_permit(current_user, permit)
    except ServiceError as error:
        db.session.rollback()
        flash(error.message, "danger")
        return _back(permit)
    flash(_("The permit facilitation has been deleted."), "success")
    return redirect(url_for("permits.index"))
