"""Forms of the auth blueprint."""

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, EmailField, PasswordField, SubmitField
from wtforms.validators import DataRequired, Length

from ..forms import Form
from ..services.auth import MAX_TYPED_PASSWORD


class LoginForm(Form):
    """Email and password."""

    email = EmailField(_l("Email"), validators=[DataRequired(), Length(max=254)])
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=256)])
    remember = BooleanField(_l("Keep me signed in on this device"))
    submit = SubmitField(_l("Sign in"))


class ChangePasswordForm(Form):
    """Current password and the new one, twice: field types only; services.auth.check_password_change has the
    rules."""

    current_password = PasswordField(
        _l("Current password"), render_kw={"required": True, "maxlength": MAX_TYPED_PASSWORD}
    )
    new_password = PasswordField(_l("New password"), render_kw={"required": True, "maxlength": MAX_TYPED_PASSWORD})
    confirm = PasswordField(_l("Repeat the new password"), render_kw={"required": True})
    submit = SubmitField(_l("Change password"))


class ForgotPasswordForm(Form):
    """The address to send a reset link to."""

    email = EmailField(_l("Email"), validators=[DataRequired(), Length(max=254)])
    submit = SubmitField(_l("Send me a reset link"))


class SetPasswordForm(Form):
    """The password chosen through an invitation or reset link, twice: field types only;
    services.password_links.check_chosen_password has the rules."""

    password = PasswordField(_l("New password"), render_kw={"required": True, "maxlength": MAX_TYPED_PASSWORD})
    confirm = PasswordField(_l("Repeat the new password"), render_kw={"required": True})
    submit = SubmitField(_l("Set password and sign in"))
