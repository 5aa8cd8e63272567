"""Routes of the admin blueprint."""

import sqlalchemy as sa
from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user
from sqlalchemy.orm import selectinload
from wtforms import SelectChoice

from .. import mail
from ..dates import programme_today
from ..downloads import file_response
from ..extensions import db
from ..forms import ConfirmForm, show_rule_problems, show_service_error
from ..models import AuditEntry, Facilitator, LinkPurpose, Role, User
from ..pagination import paginate, paginate_by_key
from ..picker import Picker, build_picker, is_picker_post
from ..security import roles_required
from ..services import ServiceError, password_links
from ..services.audit_labels import ACTION_LABELS, RECORD_LABELS
from ..services.audit_trail import (
    XLSX_MAX_ROWS,
    AuditFilter,
    check_filter,
    entries_query,
    entry_views,
    export_bound,
    export_columns,
    export_rows,
    record_export,
)
from ..services.policy import can_see_personal_numbers, facilitator_scope
from ..services.regions import province_choices, regency_choices
from ..services.users import (
    UserData,
    check_new_password,
    check_user,
    create_user,
    has_usable_password,
    reset_password,
    set_enabled,
    update_user,
)
from ..transactions import reads_only_when
from . import bp
from .forms import (
    AuditExportForm,
    AuditSearchForm,
    InvitationSearchForm,
    LinkForm,
    NewUserForm,
    ResetPasswordForm,
    UserForm,
    UserSearchForm,
)


def _get_user_or_404(user_id: int) -> User:
    return db.session.get(User, user_id) or abort(404)


def _scope_choices(form: UserForm) -> None:
    form.region_codes.choices = [
        SelectChoice(p.value, f"{p.value} {p.label}") for p in province_choices()
    ] + regency_choices()
    form.facilitator_ids.choices = []  # chosen through the picker, never listed whole


def _tpl_picker(form: UserForm) -> Picker:
    """The assigned-TPL picker: the TPL chosen on the form and the page of the others that the search names."""
    candidates = (
        sa.select(Facilitator).where(facilitator_scope(current_user)).order_by(Facilitator.full_name, Facilitator.id)
    )
    return build_picker("facilitator_ids", candidates, form.facilitator_ids.data, current_user, multiple=True)


def _user_data(form: UserForm) -> UserData:
    return UserData(
        email=form.email.data,
        full_name=form.full_name.data,
        role=form.role.data,
        region_codes=list(form.region_codes.data or []),
        facilitator_ids=list(form.facilitator_ids.data or []),
    )


@bp.route("/users")
@roles_required(Role.ADMIN)
def users():
    """All accounts: searchable by name or email, filterable by role, paginated."""
    form = UserSearchForm(request.args)
    # Each account shows its regions: loaded for the whole page at once, not one statement per supervisor.
    query = sa.select(User).options(selectinload(User.scope_regions)).order_by(User.full_name, User.id)
    if form.validate():
        if form.q.data:
            term = f"%{form.q.data.strip().lower()}%"
            query = query.where(sa.or_(sa.func.lower(User.full_name).like(term), User.email.like(term)))
        if form.role.data:
            query = query.where(User.role == form.role.data)
    page = paginate(query)
    return render_template("admin/users.html", form=form, page=page)


@bp.route("/users/new", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
@reads_only_when(is_picker_post)
def user_create():
    """Create an account."""
    form = NewUserForm()
    _scope_choices(form)
    if is_picker_post():
        pass  # the TPL picker searched: the form comes back as typed, nothing saved, no error shown
    elif form.validate_on_submit():
        try:
            user = create_user(current_user, _user_data(form), form.password.data or None)
        except ServiceError as error:
            show_service_error(form, error)
        else:
            flash(_("The account %(email)s has been created.", email=user.email), "success")
            if form.invite.data:
                _send_invitation(user)
            return redirect(url_for("admin.user_edit", user_id=user.id))
    elif form.is_submitted():
        show_rule_problems(
            form, lambda: check_user(_user_data(form), actor=current_user, password=form.password.data or None)
        )
    return render_template(
        "admin/user_form.html", form=form, user=None, picker=_tpl_picker(form), mail_configured=mail.configured()
    )


@bp.route("/users/<int:user_id>", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
@reads_only_when(is_picker_post)
def user_edit(user_id: int):
    """Change an account's name, email, role and scope."""
    user = _get_user_or_404(user_id)
    form = UserForm(obj=user)
    _scope_choices(form)
    if request.method == "GET":
        form.region_codes.data = user.region_codes
        form.facilitator_ids.data = list(
            db.session.scalars(sa.select(Facilitator.id).where(Facilitator.supervisor_id == user.id))
        )
    if is_picker_post():
        pass  # the TPL picker searched: the form comes back as typed, nothing saved, no error shown
    elif form.validate_on_submit():
        try:
            update_user(current_user, user, _user_data(form))
        except ServiceError as error:
            show_service_error(form, error)
        else:
            flash(_("The account %(email)s has been saved.", email=user.email), "success")
            return redirect(url_for("admin.user_edit", user_id=user.id))
    elif form.is_submitted():
        show_rule_problems(form, lambda: check_user(_user_data(form), user, current_user))
    return render_template(
        "admin/user_form.html",
        form=form,
        user=user,
        picker=_tpl_picker(form),
        toggle_form=ConfirmForm(),
        link_form=LinkForm(),
        has_password=has_usable_password(user),
        invitation=password_links.latest_links([user.id], LinkPurpose.INVITATION.value).get(user.id),
        reset_link=password_links.latest_links([user.id], LinkPurpose.RESET.value).get(user.id),
        mail_configured=mail.configured(),
    )


@bp.route("/users/<int:user_id>/active", methods=["POST"])
@roles_required(Role.ADMIN)
def user_set_active(user_id: int):
    """Deactivate or reactivate an account (the page asks for confirmation first)."""
    user = _get_user_or_404(user_id)
    form = ConfirmForm()
    if not form.validate_on_submit() or request.form.get("enabled") not in ("0", "1"):
        abort(400)
    enabled = request.form["enabled"] == "1"
    try:
        set_enabled(current_user, user, enabled)
    except ServiceError as error:
        db.session.rollback()
        flash(error.message, "danger")
    else:
        message = _("The account has been reactivated.") if enabled else _("The account has been deactivated.")
        flash(message, "success")
    return redirect(url_for("admin.user_edit", user_id=user.id))


@bp.route("/users/<int:user_id>/password", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def user_password(user_id: int):
    """Set a new password for an account."""
    user = _get_user_or_404(user_id)
    form = ResetPasswordForm()
    if form.validate_on_submit():
        try:
            reset_password(current_user, user, form.password.data or "")
        except ServiceError as error:
            show_service_error(form, error)
        else:
            flash(_("The new password has been set; the user's sessions have ended."), "success")
            return redirect(url_for("admin.user_edit", user_id=user.id))
    elif form.is_submitted():
        show_rule_problems(form, lambda: check_new_password(form.password.data or "", user.email))
    return render_template("admin/user_password.html", form=form, user=user)


def _send_invitation(user: User) -> bool:
    """Email an invitation to one account now, flashing how it went (a refusal by the rules undoes nothing else)."""
    try:
        sent = password_links.send_invitation(current_user, user)
    except ServiceError as error:  # refused before anything was written
        flash(error.message, "danger")
        return False
    if sent:
        flash(_("An invitation has been emailed to %(email)s.", email=user.email), "success")
    else:
        flash(_("The invitation could not be sent: the email server refused it or did not answer."), "danger")
    return sent


@bp.route("/users/<int:user_id>/invite", methods=["POST"])
@roles_required(Role.ADMIN)
def user_invite(user_id: int):
    """Email an invitation to one account now (older invitations of the account stop working)."""
    user = _get_user_or_404(user_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    _send_invitation(user)
    return redirect(url_for("admin.user_edit", user_id=user.id))


@bp.route("/users/<int:user_id>/link", methods=["POST"])
@roles_required(Role.ADMIN)
def user_link(user_id: int):
    """Make an invitation or password reset link and show it to the admin, to hand over by another channel."""
    user = _get_user_or_404(user_id)
    form = LinkForm()
    if not form.validate_on_submit():
        abort(400)
    purpose = LinkPurpose(form.purpose.data)
    try:
        url, link = password_links.hand_over_link(current_user, user, purpose.value)
    except ServiceError as error:
        db.session.rollback()
        flash(error.message, "danger")
        return redirect(url_for("admin.user_edit", user_id=user.id))
    return render_template("admin/user_link.html", user=user, url=url, purpose=purpose, expires=link.expires_at)


def _invitation_filter(form: InvitationSearchForm) -> password_links.InvitationFilter:
    if not form.validate():
        return password_links.InvitationFilter()
    signed_in = {"yes": True, "no": False}.get(form.signed_in.data or "")
    return password_links.InvitationFilter(
        q=form.q.data or None,
        role=form.role.data or None,
        province=form.province.data or None,
        angkatan=form.angkatan.data,
        signed_in=signed_in,
    )


def _invitation_search_form() -> InvitationSearchForm:
    form = InvitationSearchForm(request.args)
    form.province.choices = [SelectChoice("", _("All provinces")), *province_choices()]
    return form


@bp.route("/users/invitations")
@roles_required(Role.ADMIN)
def invitations():
    """Who has been invited, when, whether their link still works, and who has signed in; searchable, paged."""
    form = _invitation_search_form()
    filters = _invitation_filter(form)
    page = paginate(password_links.accounts(filters))
    ids = [user.id for user in page.items]
    return render_template(
        "admin/invitations.html",
        form=form,
        page=page,
        invitations=password_links.latest_links(ids, LinkPurpose.INVITATION.value),
        passwords={user.id: has_usable_password(user) for user in page.items},
        candidates=password_links.count_candidates(filters) if not form.errors else 0,
        mail_configured=mail.configured(),
    )


@bp.route("/users/invitations/send", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def invite_group():
    """Invite by email every account of the filters that has not signed in yet: how many first, then on
    confirmation queue them (the mail job sends them within a minute)."""
    form = _invitation_search_form()
    filters = _invitation_filter(form)
    if form.errors:
        abort(400)
    confirm = ConfirmForm()
    if confirm.validate_on_submit():
        try:
            queued = password_links.queue_invitations(current_user, filters)
        except ServiceError as error:
            db.session.rollback()
            flash(error.message, "danger")
        else:
            flash(
                ngettext(
                    "%(num)d invitation is queued: it is emailed within a minute.",
                    "%(num)d invitations are queued: they are emailed within a minute.",
                    queued,
                ),
                "success",
            )
        return redirect(url_for("admin.invitations", **request.args.to_dict()))
    return render_template(
        "admin/invite_group.html",
        form=form,
        confirm=confirm,
        count=password_links.count_candidates(filters),
        mail_configured=mail.configured(),
    )


AUDIT_PER_PAGE = 25
AUDIT_FILTERS = ("user", "action", "entity_type", "entity_id", "since", "until", "typed_email")


def _audit_search_form() -> AuditSearchForm:
    form = AuditSearchForm(request.args)
    form.action.choices = [SelectChoice("", _("All actions")), *_by_label(ACTION_LABELS)]
    form.entity_type.choices = [SelectChoice("", _("All record types")), *_by_label(RECORD_LABELS)]
    return form


def _by_label(labels: dict) -> list[SelectChoice]:
    """Select options of labelled codes, in the alphabetical order of their labels in the reader's language."""
    return sorted((SelectChoice(code, str(label)) for code, label in labels.items()), key=lambda c: c.label.casefold())


def _audit_filter(form: AuditSearchForm) -> AuditFilter | None:
    """The filters of the form, or None (with every problem on its field) when they cannot be used."""
    valid = form.validate()
    filters = AuditFilter(
        user=form.user.data or None,
        action=form.action.data or None,
        entity_type=form.entity_type.data or None,
        entity_id=form.entity_id.data or None,
        since=form.since.data,
        until=form.until.data,
        typed_email=form.typed_email.data or None,
    )
    try:
        check_filter(filters)
    except ServiceError as refusal:
        for problem in refusal.errors:
            form[problem.field].errors = [*form[problem.field].errors, problem.message]
        return None
    return filters if valid else None


def _filter_args() -> dict[str, str]:
    """The filters of the address, without the page cursors (what the export and the links keep)."""
    return {key: value for key, value in request.args.items() if key in AUDIT_FILTERS and value}


@bp.route("/audit")
@roles_required(Role.ADMIN)
def audit_log():
    """The audit trail, newest first, 25 entries a page: actions and fields named in the interface language,
    filterable by user, action, record, dates and the email typed in a failed attempt; exportable."""
    form = _audit_search_form()
    filters = _audit_filter(form)
    page = paginate_by_key(entries_query(filters or AuditFilter()), [AuditEntry.id], per_page=AUDIT_PER_PAGE)
    return render_template(
        "admin/audit.html",
        form=form,
        page=page,
        entries=entry_views(page.items, masked=not can_see_personal_numbers(current_user)),
        export_form=AuditExportForm(formdata=None),
        filter_args=_filter_args(),
        filtered=filters is not None,
    )


@bp.route("/audit/export", methods=["POST"])
@roles_required(Role.ADMIN)
def audit_export():
    """Download the entries the filters of the address select, as CSV or Excel; the export is audited (who, which
    filters, how many entries) before the file is streamed."""
    export = AuditExportForm()
    filters = _audit_filter(_audit_search_form())
    back = url_for("admin.audit_log", **_filter_args())
    if not export.validate_on_submit() or filters is None:
        flash(_("Nothing was exported: correct the filters first."), "danger")
        return redirect(back)
    fmt = export.fmt.data
    bound, count = export_bound(filters)
    if fmt == "xlsx" and count > XLSX_MAX_ROWS:
        flash(_("Too many entries for one Excel sheet: narrow the filters or export as CSV."), "danger")
        return redirect(back)
    record_export(current_user, filters, fmt, count)  # committed by the request before the file is sent
    masked = not can_see_personal_numbers(current_user)
    filename = f"riwayat-perubahan-{programme_today():%Y%m%d}.{fmt}"
    return file_response(
        export_columns(), lambda: export_rows(filters, bound, masked), fmt, filename, sheet_title=_("Audit trail")
    )
