"""Forms of the facilitators blueprint."""

from flask_babel import lazy_gettext as _l
from wtforms import IntegerField, SelectChoice, SelectField, StringField, SubmitField, TextAreaField
from wtforms.validators import Length, NumberRange, Optional

from ..forms import Form, LocalDateField, LongSelectField
from ..models import POLYTECHNICS, ContractStatus, Gender

REQUIRED = {"required": True}  # a hint for the browser; the rules themselves are services.facilitators' checks


def _int_or_none(value):
    return int(value) if value not in (None, "", "None") else None


class FacilitatorForm(Form):
    """A TPL profile: the fields and their types only; every rule is checked by the service
    (services.facilitators.check_facilitator), which names all problems at once."""

    nik = StringField(_l("NIK"), render_kw=REQUIRED)
    full_name = StringField(_l("Full name"), render_kw=REQUIRED)
    gender = SelectField(_l("Gender"), choices=Gender.choices(), validate_choice=False)
    birth_date = LocalDateField(_l("Birth date"), validators=[Optional()], render_kw=REQUIRED)
    phone = StringField(_l("Phone"))
    email = StringField(_l("Email"))
    angkatan = IntegerField(_l("Angkatan (cohort year)"), validators=[Optional()], render_kw=REQUIRED)
    polytechnic = SelectField(
        _l("Home polytechnic"), choices=[SelectChoice(p) for p in POLYTECHNICS], validate_choice=False
    )
    supervisor_id = SelectField(_l("Supervisor"), coerce=_int_or_none, validate_choice=False)
    user_id = SelectField(_l("Login account"), coerce=_int_or_none, validate_choice=False)
    submit = SubmitField(_l("Save"))


class ContractForm(Form):
    """One contract of a TPL: the fields and their types only; every rule is checked by the service
    (services.facilitators.check_contract), which names all problems at once."""

    number = StringField(_l("Contract number"), render_kw=REQUIRED)
    start_date = LocalDateField(_l("Start date"), validators=[Optional()], render_kw=REQUIRED)
    end_date = LocalDateField(_l("End date"), validators=[Optional()], render_kw=REQUIRED)
    placement_code = LongSelectField(_l("Placement (kabupaten/kota)"), validate_choice=False, render_kw=REQUIRED)
    status = SelectField(_l("Status"), choices=ContractStatus.choices(), validate_choice=False)
    terminated_on = LocalDateField(_l("Terminated on"), validators=[Optional()])
    termination_reason = TextAreaField(_l("Reason for termination"))
    submit = SubmitField(_l("Save"))


class NikSearchForm(Form):
    """Look a TPL up by NIK: posted, so that the NIK never appears in an address or an access log."""

    nik = StringField(_l("NIK"), render_kw={"inputmode": "numeric", "autocomplete": "off", "maxlength": 22})


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
            SelectChoice("ending", _l("Contract ending within 30 days")),
            SelectChoice("alumni", _l("Alumni (contract ended)")),
        ],
        validators=[Optional()],
    )
