"""Forms of the reports blueprint."""

from flask_babel import lazy_gettext as _l
from wtforms import SelectField
from wtforms.validators import DataRequired, Optional
from wtforms.widgets import HiddenInput

from ..forms import Form, LocalDateField
from ..models import Grouping


class WubReportForm(Form):
    """Grouping and as-of date of the WUB report (GET)."""

    class Meta:
        csrf = False

    group_by = SelectField(_l("Group by"), choices=Grouping.choices(), default=Grouping.TOTAL)
    as_of = LocalDateField(_l("As of"), validators=[Optional()])


class ComputeFiguresForm(Form):
    """Compute the WUB figures of a date that has none (POST, CSRF): the date travels as a hidden ISO date."""

    as_of = LocalDateField(_l("As of"), validators=[DataRequired()], widget=HiddenInput())
