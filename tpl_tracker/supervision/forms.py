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
from wtforms.validators import InputRequired, Length, NumberRange, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from ..forms import Form, LocalDateField
from ..services.supervision import TARGET_MAX

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
    region = SelectField(_l("Region"), validators=[Optional()], validate_choice=True)
    flag = SelectField(_l("Flag"), choices=FLAG_CHOICES, validators=[Optional()])
    all = BooleanField(_l("Include TPL without a contract this month"))


def _whole_number(label):
    return IntegerField(
        label,
        validators=[
            InputRequired(message=_l("This field is required.")),
            NumberRange(0, TARGET_MAX, message=_l("Give a whole number from 0 to %(max)d.", max=TARGET_MAX)),
        ],
    )


class TargetForm(Form):
    """A TPL's targets for one year."""

    year = IntegerField(
        _l("Year"),
        validators=[
            InputRequired(message=_l("This field is required.")),
            NumberRange(2000, 2100, message=_l("Give a year between 2000 and 2100.")),
        ],
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
    """Move a TPL's businesses to another TPL."""

    mentorship_ids = MultiCheckboxField(_l("Businesses to hand over"), coerce=int, validate_choice=False)
    new_facilitator_id = SelectField(
        _l("New TPL"),
        coerce=_int_or_none,
        validate_choice=False,
        validators=[InputRequired(message=_l("Choose the TPL who takes the businesses over."))],
    )
    on = LocalDateField(_l("Handover date"), validators=[InputRequired(message=_l("Give the handover date."))])
    reason = TextAreaField(
        _l("Reason"), validators=[InputRequired(message=_l("Give the reason for the handover.")), Length(max=300)]
    )
    submit = SubmitField(_l("Hand over"))
