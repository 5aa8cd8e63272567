"""Forms of the admin blueprint."""

from flask_babel import lazy_gettext as _l
from wtforms import EmailField, PasswordField, SelectField, SelectMultipleField, StringField, SubmitField
from wtforms.validators import DataRequired, EqualTo, Length, Optional

from ..forms import Form
from ..models import Role


class UserForm(Form):
    """An account: name, email, role and, for a supervisor, the scope."""

    full_name = StringField(_l("Full name"), validators=[DataRequired(), Length(max=120)])
    email = EmailField(_l("Email"), validators=[DataRequired(), Length(max=254)])
    role = SelectField(_l("Role"), choices=Role.choices())
    region_codes = SelectMultipleField(_l("Scope: provinces or kabupaten/kota"), validate_choice=True)
    facilitator_ids = SelectMultipleField(_l("Scope: assigned TPL"), coerce=int, validate_choice=True)
    submit = SubmitField(_l("Save"))


class NewUserForm(UserForm):
    """A new account with its first password."""

    password = PasswordField(_l("Initial password"), validators=[DataRequired(), Length(max=256)])


class ResetPasswordForm(Form):
    """A new password set by the admin."""

    password = PasswordField(_l("New password"), validators=[DataRequired(), Length(max=256)])
    confirm = PasswordField(
        _l("Repeat the new password"),
        validators=[DataRequired(), EqualTo("password", message=_l("The two passwords differ."))],
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
