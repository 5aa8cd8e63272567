"""Forms of the admin blueprint."""

from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    EmailField,
    IntegerField,
    PasswordField,
    SelectChoice,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
)
from wtforms.validators import AnyOf, EqualTo, Length, NumberRange, Optional

from ..forms import Form, LocalDateField
from ..models import LinkPurpose, Role

REQUIRED = {"required": True}  # a hint for the browser; the rules themselves are services.users' checks


class UserForm(Form):
    """An account: name, email, role and, for a supervisor, the scope. The fields and their types only; every
    rule is checked by services.users.check_user, which names all problems at once."""

    full_name = StringField(_l("Full name"), render_kw=REQUIRED)
    email = EmailField(_l("Email"), render_kw=REQUIRED)
    role = SelectField(_l("Role"), choices=Role.choices(), validate_choice=False)
    region_codes = SelectMultipleField(_l("Scope: provinces or kabupaten/kota"), validate_choice=False)
    # Chosen through the TPL picker (tpl_tracker/picker.py), not listed whole; services.users checks the ids.
    facilitator_ids = SelectMultipleField(_l("Scope: assigned TPL"), coerce=int, validate_choice=False)
    submit = SubmitField(_l("Save"))


class NewUserForm(UserForm):
    """A new account with its first password, or without one (left empty), to be invited."""

    password = PasswordField(_l("Initial password (optional)"))
    invite = BooleanField(_l("Email an invitation now"))


class ResetPasswordForm(Form):
    """A new password set by the admin; the password rules are the service's."""

    password = PasswordField(_l("New password"), render_kw=REQUIRED)
    confirm = PasswordField(
        _l("Repeat the new password"),
        validators=[EqualTo("password", message=_l("The two passwords differ."))],
        render_kw=REQUIRED,
    )
    submit = SubmitField(_l("Set password"))


class UserSearchForm(Form):
    """Search of the user list (GET)."""

    class Meta:
        csrf = False

    q = StringField(_l("Search"), validators=[Optional(), Length(max=100)])
    role = SelectField(_l("Role"), choices=Role.choices(blank=_l("All roles")), validators=[Optional()])


class AuditSearchForm(Form):
    """Filters of the audit trail (GET; the export posts them in its address). The actions and record types are
    the labelled ones (services/audit_labels.py), set by the view; services.audit_trail.check_filter has the
    rules."""

    class Meta:
        csrf = False

    user = StringField(_l("User"), validators=[Optional(), Length(max=100)])
    action = SelectField(_l("Action"), validators=[Optional()], validate_choice=True)
    entity_type = SelectField(_l("Record type"), validators=[Optional()], validate_choice=True)
    entity_id = StringField(_l("Record id"), validators=[Optional(), Length(max=40)])
    since = LocalDateField(_l("From"), validators=[Optional()])
    until = LocalDateField(_l("Until"), validators=[Optional()])
    typed_email = StringField(_l("Typed email"), validators=[Optional(), Length(max=254)])


class AuditExportForm(Form):
    """Download the filtered audit trail (posted: the export is audited)."""

    fmt = SelectField(
        _l("Format"),
        choices=[SelectChoice("csv", _l("CSV")), SelectChoice("xlsx", _l("Excel (.xlsx)"))],
        validate_choice=True,
    )


class InvitationSearchForm(Form):
    """Filters of the invitations page (GET); a group invitation reaches the accounts they select."""

    class Meta:
        csrf = False

    q = StringField(_l("Search"), validators=[Optional(), Length(max=100)])
    role = SelectField(_l("Role"), choices=Role.choices(blank=_l("All roles")), validators=[Optional()])
    province = SelectField(_l("Province"), validators=[Optional()], validate_choice=True)
    angkatan = IntegerField(_l("Angkatan"), validators=[Optional(), NumberRange(1990, 2100)])
    signed_in = SelectField(
        _l("Signed in"),
        choices=[
            SelectChoice("", _l("Signed in or not")),
            SelectChoice("no", _l("Not signed in yet")),
            SelectChoice("yes", _l("Has signed in")),
        ],
        validators=[Optional()],
    )


class LinkForm(Form):
    """Make an invitation or reset link for the admin to hand over."""

    purpose = StringField(validators=[AnyOf(LinkPurpose.values())])
