"""Forms of the facilitators blueprint."""

from flask_babel import lazy_gettext as _l
from wtforms import IntegerField, SelectChoice, SelectField, StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from ..forms import Form, LocalDateField
from ..models import POLYTECHNICS, ContractStatus, Gender


def _int_or_none(value):
    return int(value) if value not in (None, "", "None") else None


class FacilitatorForm(Form):
    """A TPL profile."""

    nik = StringField(_l("NIK"), validators=[DataRequired(), Length(min=16, max=16)])
    full_name = StringField(_l("Full name"), validators=[DataRequired(), Length(max=120)])
    gender = SelectField(_l("Gender"), choices=Gender.choices())
    birth_date = LocalDateField(_l("Birth date"), validators=[DataRequired()])
    phone = StringField(_l("Phone"), validators=[Optional(), Length(max=20)])
    email = StringField(_l("Email"), validators=[Optional(), Length(max=254)])
    angkatan = IntegerField(_l("Angkatan (cohort year)"), validators=[DataRequired(), NumberRange(1990, 2100)])
    polytechnic = SelectField(_l("Home polytechnic"), choices=[SelectChoice(p) for p in POLYTECHNICS])
    supervisor_id = SelectField(_l("Supervisor"), coerce=_int_or_none, validate_choice=True)
    user_id = SelectField(_l("Login account"), coerce=_int_or_none, validate_choice=True)
    submit = SubmitField(_l("Save"))


class ContractForm(Form):
    """One contract of a TPL."""

    number = StringField(_l("Contract number"), validators=[DataRequired(), Length(max=60)])
    start_date = LocalDateField(_l("Start date"), validators=[DataRequired()])
    end_date = LocalDateField(_l("End date"), validators=[DataRequired()])
    placement_code = SelectField(_l("Placement (kabupaten/kota)"), validate_choice=True)
    status = SelectField(
        _l("Status"),
        choices=ContractStatus.choices(),
    )
    terminated_on = LocalDateField(_l("Terminated on"), validators=[Optional()])
    termination_reason = TextAreaField(_l("Reason for termination"), validators=[Optional(), Length(max=500)])
    submit = SubmitField(_l("Save"))


class FacilitatorSearchForm(Form):
    """Search and filters of the TPL list (GET, no CSRF needed)."""

    class Meta:
        csrf = False

    q = StringField(_l("Search"), validators=[Optional(), Length(max=100)])
    province = SelectField(_l("Province"), validators=[Optional()], validate_choice=False)
    angkatan = IntegerField(_l("Angkatan"), validators=[Optional(), NumberRange(1990, 2100)])
    status = SelectField(
        _l("Contract"),
        choices=[
            SelectChoice("", _l("All")),
            SelectChoice("running", _l("Under contract")),
            SelectChoice("alumni", _l("Alumni (contract ended)")),
        ],
        validators=[Optional()],
    )
