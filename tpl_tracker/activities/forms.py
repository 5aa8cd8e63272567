"""Forms of the activities blueprint."""

from flask_babel import lazy_gettext as _l
from wtforms import (
    FloatField,
    MultipleFileField,
    SelectChoice,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import Length, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from ..forms import Form, LocalDateField, LocalDecimalField, MonthField
from ..models import ActivityType

REQUIRED = {"required": True}  # a hint for the browser; the rules themselves are services.activities' checks
# KBLI 2020 manufacturing divisions (category C).
KBLI_DIVISIONS = [f"{n:02d}" for n in range(10, 34)]


class CheckboxListField(SelectMultipleField):
    """A multiple choice shown as a list of checkboxes (easier than a multi-select on a phone)."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class ActivityForm(Form):
    """One activity: when, what, with which businesses, how long, where. The fields and their types only (the
    businesses must be among the choices); every rule is checked by services.activities, which names all problems
    at once."""

    date = LocalDateField(_l("Date"), validators=[Optional()], render_kw=REQUIRED)
    type = SelectField(_l("Type of activity"), choices=ActivityType.choices(), validate_choice=False)
    business_ids = CheckboxListField(_l("Businesses involved"), coerce=int)
    description = TextAreaField(_l("Description"), render_kw=REQUIRED)
    hours = LocalDecimalField(
        _l("Hours spent"),
        places=None,
        validators=[Optional()],
        render_kw=REQUIRED,
    )
    latitude = FloatField(_l("Latitude"), validators=[Optional()], render_kw={"inputmode": "decimal"})
    longitude = FloatField(_l("Longitude"), validators=[Optional()], render_kw={"inputmode": "decimal"})
    files = MultipleFileField(
        _l("Evidence (photos or PDF)"), render_kw={"accept": "image/jpeg,image/png,image/webp,application/pdf"}
    )


class EvidenceForm(Form):
    """More evidence files for an activity."""

    files = MultipleFileField(
        _l("Evidence (photos or PDF)"), render_kw={"accept": "image/jpeg,image/png,image/webp,application/pdf"}
    )


class ActivityFilterForm(Form):
    """Search and filters of the activity list (GET, no CSRF needed)."""

    class Meta:
        csrf = False

    q = StringField(_l("Search"), validators=[Optional(), Length(max=100)])
    month = MonthField(_l("Month"), validators=[Optional()])
    type = SelectField(
        _l("Type of activity"), choices=ActivityType.choices(blank=_l("All types")), validators=[Optional()]
    )
    region = SelectField(_l("Province"), validators=[Optional()])
    kbli = SelectField(
        _l("KBLI division"),
        choices=[SelectChoice("", _l("All KBLI divisions"))] + [SelectChoice(d) for d in KBLI_DIVISIONS],
        validators=[Optional()],
    )
    # A text box, not a list of every TPL (15,000 options at national scale): part of the name, or a TPL's id
    # (links such as ?tpl=12 keep working).
    tpl = StringField(_l("TPL"), validators=[Optional(), Length(max=120)])
