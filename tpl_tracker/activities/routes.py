"""Routes of the activities blueprint: thin views over services/activities.py."""

import sqlalchemy as sa
from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from wtforms import SelectChoice

from ..dates import programme_today
from ..extensions import db
from ..forms import ConfirmForm, ListExportForm, record_id, show_rule_problems, show_service_error
from ..list_downloads import export_list, list_args
from ..models import Activity, ReviewComment, Role
from ..pagination import paginate_by_key
from ..security import audit_refused_access, roles_required
from ..services import ServiceError, audit, list_exports
from ..services import activities as service
from ..services.evidence import MAX_FILE_BYTES, PDF_TYPE, Upload, thumbnail
from ..services.months import locked_periods, month_status, month_statuses
from ..services.policy import can_see_personal_numbers, is_own_work, load_activity, load_evidence
from ..services.regions import province_choices
from . import bp
from .forms import ActivityFilterForm, ActivityForm, EvidenceForm


def _uploads(field_name: str = "files") -> list[Upload]:
    """The files of a multipart form; each is read only up to one byte past the size limit."""
    uploads = []
    for storage in request.files.getlist(field_name):
        if not storage or not storage.filename:
            continue
        uploads.append(Upload(filename=storage.filename, data=storage.stream.read(MAX_FILE_BYTES + 1)))
    return uploads


def _own_facilitator():
    """The signed-in TPL's profile, or None (with a message) when the account is not linked to one."""
    if current_user.facilitator is None:
        flash(_("Your account is not linked to a TPL profile yet. Contact your administrator."), "warning")
    return current_user.facilitator


def _tpl_filter(text: str | None) -> dict:
    """The TPL filter's text as query arguments: digits are a TPL's id, anything else part of the name."""
    text = (text or "").strip()
    if not text:
        return {}
    if text.isdigit() and len(text) <= 9:
        return {"facilitator_id": int(text)}
    return {"facilitator_name": text}


def _filtered_activities():
    """The list's filter form (from the address) and the query it selects; also the filters used (None when the
    form is invalid: the page then lists everything, an export refuses)."""
    form = ActivityFilterForm(request.args)
    form.region.choices = [SelectChoice("", _("All provinces"))] + province_choices()
    is_tpl = current_user.has_role(Role.FACILITATOR)
    valid = form.validate()
    filters = {
        "q": form.q.data if valid else None,
        "month": form.month.data if valid else None,
        "type": form.type.data if valid else None,
        "region": form.region.data if valid else None,
        "kbli_division": form.kbli.data if valid else None,
        **(_tpl_filter(form.tpl.data) if valid and not is_tpl else {}),
    }
    return form, service.activity_query(current_user, **filters), filters if valid else None


@bp.route("/")
@roles_required()
def index():
    """Activities in the user's scope: searchable, filterable, newest first, paginated."""
    form, query, filters = _filtered_activities()
    counted = service.activity_query(current_user, counting=True, **(filters or {}))
    page = paginate_by_key(query, [Activity.date, Activity.id], count_query=counted)
    return render_template(
        "activities/index.html",
        form=form,
        page=page,
        is_tpl=current_user.has_role(Role.FACILITATOR),
        counts=service.evidence_counts(page.items),
        statuses=month_statuses((a.facilitator_id, a.date) for a in page.items),
        export_form=ListExportForm(formdata=None),
        list_args=list_args(),
    )


@bp.route("/export", methods=["POST"])
@roles_required()
def export():
    """Download the activities the list's filters select (all pages, in the list's order) as CSV or Excel."""
    _form, query, filters = _filtered_activities()
    return export_list(
        "activities",
        query,
        filters,
        list_exports.activity_columns(),
        list_exports.activity_rows,
        filename="kegiatan",
        sheet_title=_("Activities"),
        back=url_for("activities.index", **list_args()),
    )


def _activity_form(facilitator, activity: Activity | None = None) -> ActivityForm:
    form = ActivityForm(obj=activity)
    choices = [SelectChoice(b.id, f"{b.name} ({b.region_code})") for b in service.mentored_businesses(facilitator)]
    if activity is not None:
        known = {c.value for c in choices}
        choices += [SelectChoice(b.id, f"{b.name} ({b.region_code})") for b in activity.businesses if b.id not in known]
        if request.method == "GET":
            form.business_ids.data = [b.id for b in activity.businesses]
    form.business_ids.choices = choices
    return form


def _activity_data(form: ActivityForm) -> service.ActivityData:
    return service.ActivityData(
        date=form.date.data,
        type=form.type.data,
        description=form.description.data,
        hours=form.hours.data,
        business_ids=form.business_ids.data or [],
        latitude=form.latitude.data,
        longitude=form.longitude.data,
    )


@bp.route("/new", methods=["GET", "POST"])
@roles_required(Role.FACILITATOR)
def create():
    """Log an activity with its evidence files."""
    facilitator = _own_facilitator()
    if facilitator is None:
        return redirect(url_for("main.home"))
    form = _activity_form(facilitator)
    if request.method == "GET":
        form.date.data = programme_today()
        # "Log an activity" on a business's page: that business comes checked, if it is one of the TPL's.
        chosen = request.args.get("business_id", type=record_id)
        if chosen is not None and chosen in {choice.value for choice in form.business_ids.choices}:
            form.business_ids.data = [chosen]
    if form.validate_on_submit():
        try:
            activity = service.create_activity(current_user, facilitator, _activity_data(form), _uploads())
        except ServiceError as error:
            show_service_error(form, error)
        else:
            flash(_("The activity has been saved."), "success")
            return redirect(url_for("activities.detail", activity_id=activity.id))
    elif form.is_submitted():
        show_rule_problems(form, lambda: service.check_activity(facilitator, _activity_data(form), programme_today()))
    return render_template("activities/form.html", form=form, activity=None)


@bp.route("/<int:activity_id>")
@roles_required()
def detail(activity_id: int):
    """One activity with its businesses, evidence, review comments and change history."""
    activity = load_activity(current_user, activity_id)
    comments = list(
        db.session.scalars(
            sa.select(ReviewComment)
            .where(ReviewComment.item_type == "activity", ReviewComment.item_id == activity.id)
            .order_by(ReviewComment.id.desc())
        )
    )
    masked = not can_see_personal_numbers(current_user)
    return render_template(
        "activities/detail.html",
        activity=activity,
        comments=comments,
        month_status=month_status(activity.facilitator_id, activity.date),
        entries=audit.history(activity, *activity.evidence),
        masked=masked,
        confirm_form=ConfirmForm(formdata=None),
        evidence_form=EvidenceForm(formdata=None),
        pdf_type=PDF_TYPE,
    )


def _load_own(activity_id: int) -> Activity:
    """An activity the signed-in TPL may change: 404 when it is not their own."""
    activity = load_activity(current_user, activity_id)
    if not is_own_work(current_user, activity.facilitator_id):
        audit_refused_access(current_user, request.path)
        abort(404)
    return activity


def _locked(activity: Activity) -> bool:
    return bool(locked_periods(activity.facilitator_id, [activity.date]))


def _back(activity: Activity):
    return redirect(url_for("activities.detail", activity_id=activity.id))


@bp.route("/<int:activity_id>/edit", methods=["GET", "POST"])
@roles_required(Role.FACILITATOR)
def edit(activity_id: int):
    """Change an activity while its month is open."""
    activity = _load_own(activity_id)
    if request.method == "GET" and _locked(activity):
        flash(_("This month has been submitted or approved: the activity can no longer be changed."), "warning")
        return _back(activity)
    form = _activity_form(activity.facilitator, activity)
    if form.validate_on_submit():
        try:
            service.update_activity(current_user, activity, _activity_data(form))
        except ServiceError as error:
            show_service_error(form, error)
        else:
            flash(_("The activity has been saved."), "success")
            return _back(activity)
    elif form.is_submitted():
        show_rule_problems(
            form, lambda: service.check_activity(activity.facilitator, _activity_data(form), programme_today())
        )
    return render_template("activities/form.html", form=form, activity=activity)


@bp.route("/<int:activity_id>/delete", methods=["POST"])
@roles_required(Role.FACILITATOR)
def delete(activity_id: int):
    """Delete an activity while its month is open."""
    activity = _load_own(activity_id)
    form = ConfirmForm()
    if not form.validate_on_submit():
        flash(_("The form has expired: please try again."), "danger")
        return _back(activity)
    try:
        service.delete_activity(current_user, activity)
    except ServiceError as error:
        db.session.rollback()
        flash(error.message, "danger")
        return _back(activity)
    flash(_("The activity has been deleted."), "success")
    return redirect(url_for("activities.index"))


@bp.route("/<int:activity_id>/evidence", methods=["POST"])
@roles_required(Role.FACILITATOR)
def evidence_add(activity_id: int):
    """Add evidence files to an activity while its month is open."""
    activity = _load_own(activity_id)
    form = EvidenceForm()
    if not form.validate_on_submit():
        flash(_("The form has expired: please try again."), "danger")
        return _back(activity)
    try:
        added = service.add_evidence(current_user, activity, _uploads())
    except ServiceError as error:
        db.session.rollback()
        flash(error.message, "danger")
    else:
        flash(_("%(count)d file(s) added.", count=len(added)), "success")
    return _back(activity)


@bp.route("/evidence/<int:evidence_id>/delete", methods=["POST"])
@roles_required(Role.FACILITATOR)
def evidence_delete(evidence_id: int):
    """Remove one evidence file while the activity's month is open."""
    evidence = load_evidence(current_user, evidence_id)
    activity = _load_own(evidence.activity_id)
    form = ConfirmForm()
    if not form.validate_on_submit():
        flash(_("The form has expired: please try again."), "danger")
        return _back(activity)
    try:
        service.delete_evidence(current_user, evidence)
    except ServiceError as error:
        db.session.rollback()
        flash(error.message, "danger")
    else:
        flash(_("The file has been removed."), "success")
    return _back(activity)


@bp.route("/evidence/<int:evidence_id>")
@roles_required()
def evidence_file(evidence_id: int):
    """The bytes of an evidence file, for whoever may see its activity (never served from the web root).

    Served with the type detected at upload and never sniffed; photos are shown in the page, PDFs downloaded
    (a browser's PDF viewer would run in the app's origin); nothing in the file may load or run anything.
    """
    evidence = load_evidence(current_user, evidence_id)
    response = Response(evidence.content, mimetype=evidence.content_type)
    disposition = "attachment" if evidence.content_type == PDF_TYPE else "inline"
    response.headers.set("Content-Disposition", disposition, filename=evidence.filename)
    return _file_headers(response)


def _file_headers(response: Response) -> Response:
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.route("/evidence/<int:evidence_id>/thumbnail")
@roles_required()
def evidence_thumbnail(evidence_id: int):
    """A small JPEG of an evidence photo, for exactly whoever may open the file itself (404 for a PDF)."""
    evidence = load_evidence(current_user, evidence_id)
    small = thumbnail(evidence)
    if small is None:
        abort(404)
    response = Response(small, mimetype="image/jpeg")
    response.headers.set("Content-Disposition", "inline", filename=f"thumbnail-{evidence.id}.jpg")
    return _file_headers(response)
