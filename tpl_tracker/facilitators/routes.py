"""Routes of the facilitators blueprint."""

import sqlalchemy as sa
from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from wtforms import SelectChoice

from ..dates import programme_today
from ..extensions import db
from ..forms import ListExportForm, show_rule_problems, show_service_error
from ..list_downloads import export_list, list_args
from ..models import Contract, Facilitator, Role, User
from ..pagination import paginate
from ..security import roles_required
from ..services import ServiceError, list_exports
from ..services.facilitators import (
    ContractData,
    FacilitatorData,
    check_contract,
    check_facilitator,
    create_contract,
    create_facilitator,
    facilitator_query,
    find_by_nik,
    update_contract,
    update_facilitator,
)
from ..services.policy import can_see_personal_numbers, load_facilitator
from ..services.regions import province_choices, regency_choices
from . import bp
from .forms import ContractForm, FacilitatorForm, FacilitatorSearchForm, NikSearchForm


@bp.route("/")
@roles_required()
def index():
    """TPL in the user's scope: searchable, filterable, paginated."""
    if current_user.has_role(Role.FACILITATOR):
        return redirect(url_for("facilitators.me"))
    return _list(NikSearchForm(formdata=None))


def _filtered_facilitators():
    """The list's filter form (from the address) and the query it selects; also the filters used (None when the
    form is invalid: the page then lists everyone, an export refuses)."""
    form = FacilitatorSearchForm(request.args)
    form.province.choices = [SelectChoice("", _("All provinces"))] + province_choices()
    valid = form.validate()
    filters = {
        "q": form.q.data if valid else None,
        "province": form.province.data if valid else None,
        "angkatan": form.angkatan.data if valid else None,
        "status": form.status.data if valid else None,
    }
    return form, facilitator_query(current_user, **filters), filters if valid else None


def _list(nik_form: NikSearchForm):
    form, query, _filters = _filtered_facilitators()
    page = paginate(query)
    return render_template(
        "facilitators/index.html",
        form=form,
        nik_form=nik_form,
        page=page,
        masked=not can_see_personal_numbers(current_user),
        today=programme_today(),
        export_form=ListExportForm(formdata=None),
        list_args=list_args(),
    )


@bp.route("/export", methods=["POST"])
@roles_required(Role.SUPERVISOR, Role.EVALUATOR, Role.ADMIN)
def export():
    """Download the TPL the list's filters select (all pages, in the list's order) as CSV or Excel."""
    _form, query, filters = _filtered_facilitators()
    return export_list(
        "facilitators",
        query,
        filters,
        list_exports.facilitator_columns(masked=not can_see_personal_numbers(current_user)),
        list_exports.facilitator_rows,
        filename="tpl",
        sheet_title=_("TPL"),
        back=url_for("facilitators.index", **list_args()),
    )


@bp.route("/contracts/export", methods=["POST"])
@roles_required(Role.SUPERVISOR, Role.EVALUATOR, Role.ADMIN)
def export_contracts():
    """Download the contracts of the TPL the list's filters select as CSV or Excel."""
    _form, query, filters = _filtered_facilitators()
    return export_list(
        "contracts",
        list_exports.contract_query(query),
        filters,
        list_exports.contract_columns(masked=not can_see_personal_numbers(current_user)),
        list_exports.stream,
        filename="kontrak",
        sheet_title=_("Contracts"),
        back=url_for("facilitators.index", **list_args()),
    )


@bp.route("/nik", methods=["POST"])
@roles_required(Role.SUPERVISOR, Role.ADMIN)
def find_nik():
    """Open the TPL with the posted NIK (in the user's scope); the NIK never goes into an address."""
    form = NikSearchForm()
    if form.validate_on_submit():
        try:
            facilitator = find_by_nik(current_user, form.nik.data)
        except ServiceError as error:
            show_service_error(form, error)
        else:
            if facilitator is not None:
                return redirect(url_for("facilitators.detail", facilitator_id=facilitator.id))
            form.nik.errors = [_("No TPL in your scope has this NIK.")]
    return _list(form)


@bp.route("/me")
@roles_required(Role.FACILITATOR)
def me():
    """A TPL's own profile."""
    if current_user.facilitator is None:
        flash(_("Your account is not linked to a TPL profile yet. Contact your administrator."), "warning")
        return redirect(url_for("main.home"))
    return redirect(url_for("facilitators.detail", facilitator_id=current_user.facilitator.id))


@bp.route("/<int:facilitator_id>")
@roles_required()
def detail(facilitator_id: int):
    """A TPL profile with their contracts."""
    facilitator = load_facilitator(current_user, facilitator_id)
    return render_template(
        "facilitators/detail.html",
        facilitator=facilitator,
        masked=not can_see_personal_numbers(current_user),
        today=programme_today(),
    )


def _facilitator_form(facilitator: Facilitator | None) -> FacilitatorForm:
    form = FacilitatorForm(obj=facilitator)
    supervisors = db.session.scalars(sa.select(User).where(User.role == Role.SUPERVISOR.value).order_by(User.full_name))
    form.supervisor_id.choices = [SelectChoice(None, _("(none)"))] + [
        SelectChoice(u.id, f"{u.full_name} <{u.email}>") for u in supervisors
    ]
    linked = sa.select(Facilitator.user_id).where(Facilitator.user_id.is_not(None))
    if facilitator is not None and facilitator.user_id:
        linked = linked.where(Facilitator.user_id != facilitator.user_id)
    accounts = db.session.scalars(
        sa.select(User).where(User.role == Role.FACILITATOR.value, User.id.not_in(linked)).order_by(User.email)
    )
    form.user_id.choices = [SelectChoice(None, _("(no login)"))] + [SelectChoice(u.id, u.email) for u in accounts]
    return form


def _facilitator_data(form: FacilitatorForm) -> FacilitatorData:
    return FacilitatorData(
        nik=form.nik.data,
        full_name=form.full_name.data,
        gender=form.gender.data,
        birth_date=form.birth_date.data,
        angkatan=form.angkatan.data,
        polytechnic=form.polytechnic.data,
        phone=form.phone.data,
        email=form.email.data,
        supervisor_id=form.supervisor_id.data,
        user_id=form.user_id.data,
    )


@bp.route("/new", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def create():
    """Register a TPL profile."""
    form = _facilitator_form(None)
    if form.validate_on_submit():
        try:
            facilitator = create_facilitator(current_user, _facilitator_data(form))
        except ServiceError as error:
            show_service_error(form, error)
        else:
            flash(_("TPL %(name)s has been saved.", name=facilitator.full_name), "success")
            return redirect(url_for("facilitators.detail", facilitator_id=facilitator.id))
    elif form.is_submitted():
        show_rule_problems(form, lambda: check_facilitator(_facilitator_data(form), None))
    return render_template("facilitators/form.html", form=form, facilitator=None)


@bp.route("/<int:facilitator_id>/edit", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def edit(facilitator_id: int):
    """Change a TPL profile."""
    facilitator = load_facilitator(current_user, facilitator_id)
    form = _facilitator_form(facilitator)
    if form.validate_on_submit():
        try:
            update_facilitator(current_user, facilitator, _facilitator_data(form))
        except ServiceError as error:
            show_service_error(form, error)
        else:
            flash(_("TPL %(name)s has been saved.", name=facilitator.full_name), "success")
            return redirect(url_for("facilitators.detail", facilitator_id=facilitator.id))
    elif form.is_submitted():
        show_rule_problems(form, lambda: check_facilitator(_facilitator_data(form), facilitator))
    return render_template("facilitators/form.html", form=form, facilitator=facilitator)


def _contract_form(contract: Contract | None) -> ContractForm:
    form = ContractForm(obj=contract)
    form.placement_code.choices = regency_choices()
    return form


def _contract_data(form: ContractForm) -> ContractData:
    return ContractData(
        number=form.number.data,
        start_date=form.start_date.data,
        end_date=form.end_date.data,
        placement_code=form.placement_code.data,
        status=form.status.data,
        terminated_on=form.terminated_on.data,
        termination_reason=form.termination_reason.data,
    )


@bp.route("/<int:facilitator_id>/contracts/new", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def contract_create(facilitator_id: int):
    """Add a contract to a TPL."""
    facilitator = load_facilitator(current_user, facilitator_id)
    form = _contract_form(None)
    if request.method == "GET" and facilitator.region_code:
        form.placement_code.data = facilitator.region_code
    if form.validate_on_submit():
        try:
            create_contract(current_user, facilitator, _contract_data(form))
        except ServiceError as error:
            show_service_error(form, error)
        else:
            flash(_("The contract has been saved."), "success")
            return redirect(url_for("facilitators.detail", facilitator_id=facilitator.id))
    elif form.is_submitted():
        show_rule_problems(form, lambda: check_contract(facilitator, _contract_data(form), None))
    return render_template("facilitators/contract_form.html", form=form, facilitator=facilitator, contract=None)


@bp.route("/contracts/<int:contract_id>/edit", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def contract_edit(contract_id: int):
    """Change a contract (e.g. mark it completed or terminated)."""
    contract = db.session.get(Contract, contract_id) or abort(404)
    facilitator = load_facilitator(current_user, contract.facilitator_id)
    form = _contract_form(contract)
    if form.validate_on_submit():
        try:
            update_contract(current_user, contract, _contract_data(form))
        except ServiceError as error:
            show_service_error(form, error)
        else:
            flash(_("The contract has been saved."), "success")
            return redirect(url_for("facilitators.detail", facilitator_id=facilitator.id))
    elif form.is_submitted():
        show_rule_problems(form, lambda: check_contract(facilitator, _contract_data(form), contract))
    return render_template("facilitators/contract_form.html", form=form, facilitator=facilitator, contract=contract)
