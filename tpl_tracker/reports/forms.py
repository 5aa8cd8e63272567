"""Forms of the reports blueprint."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectField
from wtforms.validators import Optional

from ..forms import LocalDateField
from ..models import Grouping


class WubReportForm(FlaskForm):
    """Grouping and as-of date of the WUB report (GET)."""

    class Meta:
        csrf = False

    group_by = SelectField(_l("Group by"), choices=Grouping.choices(), default=Grouping.TOTAL)
    as_of = LocalDateField(_l("As of"), validators=[Optional()])
