"""Forms of the supervision blueprint."""

from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    IntegerField,
    SelectChoice,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import Length, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from ..forms import Form, LocalDateField, LongSelectField, MonthField
from ..services.supervision import MAX_HANDOVER_REASON, TARGET_MAX, TARGET_YEARS

FLAG_CHOICES = [
    SelectChoice("", _l("All TPL")),
    SelectChoice("any", _l("Any flag")),
    SelectChoice("no_activity", _l("No activity in 14 days")),
    SelectChoice("month_late", _l("Month not submitted 5 days after it ended")),
    SelectChoice("below_target", _l("Below target")),
]


class RosterSearchForm(Form):
    """Search and filters of the roster (GET, no CSRF needed)."""

    class Meta:
        csrf = False

    q = StringField(_l("Search"), validators=[Optional(), Length(max=100)])
    region = LongSelectField(_l("Region"), validators=[Optional()], validate_choice=True)
    flag = SelectField(_l("Flag"), choices=FLAG_CHOICES, validators=[Optional()])
    all = BooleanField(_l("Include TPL without a contract this month"))
    month = MonthField(_l("Month"), validators=[Optional()])


def _whole_number(label):
    return IntegerField(label, validators=[Optional()], render_kw={"required": True, "min": 0, "max": TARGET_MAX})


class TargetForm(Form):
    """A TPL's targets for one year: field types only; services.supervision.check_target has the rules."""

    year = IntegerField(
        _l("Year"),
        validators=[Optional()],
        render_kw={"required": True, "min": TARGET_YEARS[0], "max": TARGET_YEARS[1]},
    )
    visits_per_month = _whole_number(_l("Visits per month"))
    businesses = _whole_number(_l("Businesses mentored"))
    permits_per_year = _whole_number(_l("Permits issued per year"))
    submit = SubmitField(_l("Save targets"))


def _int_or_none(value):
    if value in (None, "", "None"):
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


class MultiCheckboxField(SelectMultipleField):
    """A list of checkboxes."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class HandoverForm(Form):
    """Move a TPL's businesses to another TPL: field types only; services.supervision.check_handover has the
    rules."""

    mentorship_ids = MultiCheckboxField(_l("Businesses to hand over"), coerce=int, validate_choice=False)
    new_facilitator_id = SelectField(
        _l("New TPL"), coerce=_int_or_none, validate_choice=False, render_kw={"required": True}
    )
    on = LocalDateField(_l("Handover date"), validators=[Optional()], render_kw={"required": True})
    reason = TextAreaField(_l("Reason"), render_kw={"required": True, "maxlength": MAX_HANDOVER_REASON})
    submit = SubmitField(_l("Hand over"))
