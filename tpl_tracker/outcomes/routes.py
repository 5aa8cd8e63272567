"""Routes of the tracer-survey blueprint: thin views over services/outcomes.py."""

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.orm import selectinload
from wtforms import SelectChoice

from ..dates import programme_today
from ..extensions import db
from ..facilitators.forms import NikSearchForm
from ..forms import ConfirmForm, ListExportForm, show_rule_problems, show_service_error
from ..list_downloads import export_list, list_args
from ..models import Facilitator, OutcomeSurvey, Role
from ..pagination import paginate
from ..security import is_safe_next, roles_required
from ..services import ServiceError, list_exports
from ..services import outcomes as service
from ..services.businesses import is_manufacturing
from ..services.facilitators import facilitator_query
from ..services.people import PickerSearch, matching, nik_in, nik_refused
from ..services.policy import can_see_personal_numbers, is_own_profile, load_facilitator, load_survey
from ..services.regions import regency_choices
from ..transactions import reads_only_when
from . import bp
from .forms import ChooseSearchForm, SurveyFilterForm, SurveyForm, VerifyForm


def _surveys_url(survey: OutcomeSurvey) -> str:
    return url_for("outcomes.facilitator_surveys", facilitator_id=survey.facilitator_id, _anchor=f"survey-{survey.id}")


@bp.route("/")
@roles_required()
def index():
    """Surveys in the user's scope: a verification queue (unverified first, oldest first)."""
    if current_user.has_role(Role.FACILITATOR):
        if current_user.facilitator is None:
            flash(_("Your account is not linked to a TPL profile yet. Contact your administrator."), "warning")
            return redirect(url_for("main.home"))
        return redirect(url_for("outcomes.facilitator_surveys", facilitator_id=current_user.facilitator.id))
    form, query, _filters = _filtered_surveys()
    page = paginate(query)
    return render_template(
        "outcomes/index.html",
        form=form,
        page=page,
        names=service.user_names(page.items),
        export_form=ListExportForm(formdata=None),
        list_args=list_args(),
    )


def _filtered_surveys():
    """The list's filter form (from the address) and the query it selects; also the filters used (None when the
    form is invalid: the page then lists every survey, an export refuses)."""
    form = SurveyFilterForm(request.args)
    valid = form.validate()
    filters = {
        "verification": form.verification.data if valid else None,
        "status": form.status.data if valid else None,
    }
    return form, service.survey_query(current_user, **filters), filters if valid else None


@bp.route("/export", methods=["POST"])
@roles_required(Role.SUPERVISOR, Role.EVALUATOR, Role.ADMIN)
def export():
    """Download the tracer surveys the list's filters select (all pages, in the list's order) as CSV or Excel."""
    _form, query, filters = _filtered_surveys()
    return export_list(
        "outcome_surveys",
        query,
        filters,
        list_exports.survey_columns(masked=not can_see_personal_numbers(current_user)),
        list_exports.survey_rows,
        filename="survei-tracer",
        sheet_title=_("Tracer surveys"),
        back=url_for("outcomes.index", **list_args()),
    )


def _choose_page(nik_form: NikSearchForm):
    form = ChooseSearchForm(request.args)
    valid = form.validate()
    candidates = facilitator_query(current_user, status=form.status.data if valid else None).options(
        selectinload(Facilitator.contracts)
    )
    search = PickerSearch(text=(form.q.data or "") if valid else "")
    page = paginate(matching(candidates, current_user, search))
    return render_template(
        "outcomes/choose.html",
        form=form,
        nik_form=nik_form,
        page=page,
        nik_refused=nik_refused(current_user, search),
        masked=not can_see_personal_numbers(current_user),
        today=programme_today(),
    )


@bp.route("/choose", methods=["GET", "POST"])
@roles_required(Role.SUPERVISOR, Role.EVALUATOR)
@reads_only_when(lambda: True)  # a search: it writes nothing
def choose():
    """Choose the TPL to record a survey for: TPL in scope searched by name or email (GET), or by NIK (posted, so
    that the NIK stays out of addresses); the survey form then checks the chosen TPL again."""
    if request.method == "GET":
        return _choose_page(NikSearchForm(formdata=None))
    nik_form = NikSearchForm()
    if nik_form.validate_on_submit():
        if not can_see_personal_numbers(current_user):
            nik_form.nik.errors = [_("You see NIK masked: search by name or email.")]
        elif nik_in(nik_form.nik.data) is None:
            nik_form.nik.errors = [_("Type the 16 digits of the NIK.")]
        else:
            search = PickerSearch(text=nik_form.nik.data, posted=True)
            found = db.session.scalar(matching(facilitator_query(current_user), current_user, search).limit(1))
            if found is not None:
                return redirect(url_for("outcomes.create", facilitator_id=found.id))
            nik_form.nik.errors = [_("No TPL in your scope has this NIK.")]
    return _choose_page(nik_form)


@bp.route("/tpl/<int:facilitator_id>")
@roles_required()
def facilitator_surveys(facilitator_id: int):
    """A TPL's surveys and the rounds that fall due after their exit date."""
    facilitator = load_facilitator(current_user, facilitator_id)
    today = programme_today()
    surveys = service.facilitator_surveys(facilitator)
    return render_template(
        "outcomes/facilitator.html",
        facilitator=facilitator,
        surveys=surveys,
        today=today,
        rounds=service.due_surveys(facilitator, today),
        names=service.user_names(surveys),
        tracer_open=service.tracer_open(facilitator, today),
        verify_form=VerifyForm(formdata=None),
        is_manufacturing=is_manufacturing,
    )


def _survey_form(survey: OutcomeSurvey | None) -> SurveyForm:
    form = SurveyForm(obj=survey)
    form.business_region_code.choices = [SelectChoice("", _("(not given)"))] + regency_choices()
    return form


def _survey_data(form: SurveyForm) -> service.SurveyData:
    return service.SurveyData(
        survey_date=form.survey_date.data,
        status=form.status.data,
        business_name=form.business_name.data,
        founded_date=form.founded_date.data,
        nib=form.nib.data,
        kbli=form.kbli.data,
        workers=form.workers.data,
        monthly_revenue=form.monthly_revenue.data,
        business_region_code=form.business_region_code.data or None,
    )


@bp.route("/tpl/<int:facilitator_id>/new", methods=["GET", "POST"])
@roles_required(Role.FACILITATOR, Role.SUPERVISOR, Role.EVALUATOR)
def create(facilitator_id: int):
    """Fill in a tracer survey: the former TPL themself, or a supervisor/evaluator on their behalf."""
    facilitator = load_facilitator(current_user, facilitator_id)
    today = programme_today()
    if is_own_profile(current_user, facilitator) and not service.tracer_open(facilitator, today):
        flash(_("Tracer surveys start after your last contract ends."), "warning")
        return redirect(url_for("outcomes.facilitator_surveys", facilitator_id=facilitator.id))
    form = _survey_form(None)
    if request.method == "GET":
        form.survey_date.data = today
        form.business_region_code.data = facilitator.region_code or ""
    if form.validate_on_submit():
        try:
            survey = service.record_survey(current_user, facilitator, _survey_data(form), today=today)
        except ServiceError as error:
            show_service_error(form, error)
        else:
            flash(_("The tracer survey has been saved."), "success")
            return redirect(_surveys_url(survey))
    elif form.is_submitted():
        show_rule_problems(
            form, lambda: service.check_survey(current_user, facilitator, _survey_data(form), None, today)
        )
    return render_template(
        "outcomes/form.html",
        form=form,
        facilitator=facilitator,
        survey=None,
        on_behalf=not is_own_profile(current_user, facilitator),
    )


@bp.route("/<int:survey_id>/edit", methods=["GET", "POST"])
@roles_required(Role.FACILITATOR, Role.SUPERVISOR, Role.EVALUATOR)
def edit(survey_id: int):
    """Change a survey; a verified one goes back to unverified."""
    survey = load_survey(current_user, survey_id)
    facilitator = survey.facilitator
    form = _survey_form(survey)
    if request.method == "GET":
        form.business_region_code.data = survey.business_region_code or ""
    if form.validate_on_submit():
        was_checked = survey.verification != "unverified"
        try:
            service.update_survey(current_user, survey, _survey_data(form))
        except ServiceError as error:
            show_service_error(form, error)
        else:
            if was_checked and survey.verification == "unverified":
                flash(_("The tracer survey has been saved and awaits verification again."), "success")
            else:
                flash(_("The tracer survey has been saved."), "success")
            return redirect(_surveys_url(survey))
    elif form.is_submitted():
        show_rule_problems(
            form,
            lambda: service.check_survey(current_user, facilitator, _survey_data(form), survey, programme_today()),
        )
    return render_template(
        "outcomes/form.html",
        form=form,
        facilitator=facilitator,
        survey=survey,
        on_behalf=not is_own_profile(current_user, facilitator),
    )


@bp.route("/<int:survey_id>/verify", methods=["POST"])
@roles_required(Role.SUPERVISOR, Role.EVALUATOR)
def verify(survey_id: int):
    """Mark a survey verified or rejected, with a note."""
    survey = load_survey(current_user, survey_id)
    form = VerifyForm()
    target = form.next.data if is_safe_next(form.next.data) else _surveys_url(survey)
    if not form.validate_on_submit():
        show_rule_problems(
            form, lambda: service.check_verification(current_user, survey, form.verification.data, form.note.data)
        )
        for errors in form.errors.values():
            for error in errors:
                flash(error, "danger")
        return redirect(target)
    try:
        service.verify_survey(current_user, survey, form.verification.data, form.note.data)
    except ServiceError as error:
        db.session.rollback()
        for problem in error.errors:
            flash(problem.message, "danger")
    else:
        if survey.verification == "verified":
            flash(_("The survey is marked verified."), "success")
        else:
            flash(_("The survey is marked rejected."), "success")
    return redirect(target)


@bp.route("/<int:survey_id>/business", methods=["POST"])
@roles_required(Role.SUPERVISOR, Role.EVALUATOR)
def add_business(survey_id: int):
    """Add the verified business of a survey to the business registry, in one step."""
    survey = load_survey(current_user, survey_id)
    form = ConfirmForm()
    if form.validate_on_submit():
        try:
            business = service.add_business_from_survey(current_user, survey)
        except ServiceError as error:
            db.session.rollback()
            flash(error.message, "danger")
        else:
            flash(_("%(name)s is now in the business registry.", name=business.name), "success")
    else:
        flash(_("The form has expired: please try again."), "danger")
    return redirect(_surveys_url(survey))
