"""Forms of the reviews blueprint."""

from flask_babel import lazy_gettext as _l
from wtforms import IntegerField, RadioField, SelectChoice, SelectField, StringField, SubmitField, TextAreaField
from wtforms.validators import Optional, Regexp
from wtforms.widgets import HiddenInput

from ..forms import Form
from ..models import MonthStatus
from ..services.reviews import MAX_COMMENT

COMMENT = {"maxlength": MAX_COMMENT}  # a hint for the browser; the rules themselves are services.reviews' checks


class SubmitMonthForm(Form):
    """The TPL submits a month for review, with an optional note to the supervisor: field types only;
    services.reviews.submit_month checks the note."""

    note = TextAreaField(_l("Note to your supervisor (optional)"), render_kw=COMMENT)
    submit = SubmitField(_l("Submit for review"))


class ReviewForm(Form):
    """The supervisor's decision on a submitted month (item comments are fields comment-<type>-<id>): field types
    only; services.reviews.check_review has the rules."""

    decision = RadioField(
        _l("Decision"),
        choices=[SelectChoice("approve", _l("Approve")), SelectChoice("return", _l("Return for correction"))],
        validate_choice=False,
        render_kw={"required": True},
    )
    comment = TextAreaField(
        _l("Comment on the whole month (required when returning without item comments)"), render_kw=COMMENT
    )
    submit = SubmitField(_l("Save decision"))


class ReopenForm(Form):
    """The supervisor reopens an approved month, saying why: field types only; services.reviews.check_reopen has
    the rules."""

    reason = TextAreaField(_l("Reason for reopening"), render_kw={"required": True, **COMMENT})
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
