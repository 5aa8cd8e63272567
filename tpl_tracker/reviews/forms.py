"""Forms of the reviews blueprint."""

from flask_babel import lazy_gettext as _l
from wtforms import IntegerField, RadioField, SelectChoice, SelectField, StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional, Regexp
from wtforms.widgets import HiddenInput

from ..forms import Form
from ..models import MonthStatus
from ..services.reviews import MAX_COMMENT


class SubmitMonthForm(Form):
    """The TPL submits a month for review, with an optional note to the supervisor."""

    note = TextAreaField(_l("Note to your supervisor (optional)"), validators=[Optional(), Length(max=MAX_COMMENT)])
    submit = SubmitField(_l("Submit for review"))


class ReviewForm(Form):
    """The supervisor's decision on a submitted month (item comments are fields comment-<type>-<id>)."""

    decision = RadioField(
        _l("Decision"),
        choices=[SelectChoice("approve", _l("Approve")), SelectChoice("return", _l("Return for correction"))],
        validators=[DataRequired(message=_l("Choose approve or return."))],
    )
    comment = TextAreaField(
        _l("Comment on the whole month (required when returning without item comments)"),
        validators=[Optional(), Length(max=MAX_COMMENT)],
    )
    submit = SubmitField(_l("Save decision"))


class ReopenForm(Form):
    """The supervisor reopens an approved month, saying why."""

    reason = TextAreaField(
        _l("Reason for reopening"),
        validators=[DataRequired(message=_l("Give the reason for reopening the month.")), Length(max=MAX_COMMENT)],
    )
    submit = SubmitField(_l("Reopen"))


class ReportFilterForm(Form):
    """Filters of the list of monthly reports (GET, no CSRF needed)."""

    class Meta:
        csrf = False

    status = SelectField(
        _l("Status"),
        choices=MonthStatus.choices(blank=_l("All")),
        validators=[Optional()],
    )
    month = StringField(
        _l("Month (YYYY-MM)"),
        validators=[
            Optional(),
            Regexp(r"^\d{4}-(0[1-9]|1[0-2])$", message=_l("Type the month as YYYY-MM, e.g. 2026-03.")),
        ],
    )
    province = SelectField(_l("Province"), validators=[Optional()], validate_choice=False)
    tpl = IntegerField(_l("TPL"), validators=[Optional()], widget=HiddenInput())
