"""Forms of the permits blueprint."""

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, SelectField, StringField, TextAreaField
from wtforms.validators import Length, Optional

from ..forms import Form, LocalDateField, MonthField
from ..models import PermitStatus, PermitType


def _int_or_none(value):
    return int(value) if value not in (None, "", "None") else None


class PermitForm(Form):
    """One permit facilitation and where it stands: the fields and their types only (the business must be one of
    the choices); every rule is checked by services.permits, which names all problems at once."""

    business_id = SelectField(_l("Business"), coerce=_int_or_none)
    permit_type = SelectField(_l("Permit or certificate"), choices=PermitType.choices(), validate_choice=False)
    status = SelectField(_l("Status"), choices=PermitStatus.choices(), validate_choice=False)
    planned_on = LocalDateField(_l("Planned on"), validators=[Optional()])
    submitted_on = LocalDateField(_l("Submitted on"), validators=[Optional()])
    issued_on = LocalDateField(_l("Issued on"), validators=[Optional()])
    rejected_on = LocalDateField(_l("Rejected on"), validators=[Optional()])
    document_number = StringField(_l("Document number"))
    expires_on = LocalDateField(_l("Valid until"), validators=[Optional()])
    notes = TextAreaField(_l("Notes"))


class PermitFilterForm(Form):
    """Search and filters of the permit list (GET, no CSRF needed)."""

    class Meta:
        csrf = False

    q = StringField(_l("Search"), validators=[Optional(), Length(max=100)])
    permit_type = SelectField(
        _l("Permit or certificate"), choices=PermitType.choices(blank=_l("All types")), validators=[Optional()]
    )
    status = SelectField(_l("Status"), choices=PermitStatus.choices(blank=_l("All statuses")), validators=[Optional()])
    region = SelectField(_l("Province"), validators=[Optional()])
    month = MonthField(_l("Month"), validators=[Optional()])
    expiring = BooleanField(_l("Expiring within 60 days"))
