"""Forms of the admin blueprint."""

from flask_babel import lazy_gettext as _l
from wtforms import EmailField, PasswordField, SelectField, SelectMultipleField, StringField, SubmitField
from wtforms.validators import EqualTo, Length, Optional

from ..forms import Form
from ..models import Role

REQUIRED = {"required": True}  # a hint for the browser; the rules themselves are services.users' checks


class UserForm(Form):
    """An account: name, email, role and, for a supervisor, the scope. The fields and their types only; every
    rule is checked by services.users.check_user, which names all problems at once."""

    full_name = StringField(_l("Full name"), render_kw=REQUIRED)
    email = EmailField(_l("Email"), render_kw=REQUIRED)
    role = SelectField(_l("Role"), choices=Role.choices(), validate_choice=False)
    region_codes = SelectMultipleField(_l("Scope: provinces or kabupaten/kota"), validate_choice=False)
    facilitator_ids = SelectMultipleField(_l("Scope: assigned TPL"), coerce=int, validate_choice=True)
    submit = SubmitField(_l("Save"))


class NewUserForm(UserForm):
    """A new account with its first password."""

    password = PasswordField(_l("Initial password"), render_kw=REQUIRED)


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
    """Filters of the audit trail (GET)."""

    class Meta:
        csrf = False

    action = StringField(_l("Action"), validators=[Optional(), Length(max=40)])
    entity_type = StringField(_l("Record type"), validators=[Optional(), Length(max=40)])
    entity_id = StringField(_l("Record id"), validators=[Optional(), Length(max=40)])
    typed_email = StringField(_l("Typed email"), validators=[Optional(), Length(max=254)])
