"""Forms of the reports blueprint."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectField
from wtforms.validators import Optional

from ..forms import LocalDateField

GROUP_BY_CHOICES = [
    ("total", _l("Whole country")),
    ("angkatan", _l("Angkatan")),
    ("province", _l("Province of the last placement")),
    ("exit_year", _l("Exit year")),
    ("polytechnic", _l("Home polytechnic")),
]


class WubReportForm(FlaskForm):
    """Grouping and as-of date of the WUB report (GET)."""

    class Meta:
        csrf = False

    group_by = SelectField(_l("Group by"), choices=GROUP_BY_CHOICES, default="total")
    as_of = LocalDateField(_l("As of"), validators=[Optional()])
