"""Forms of the tracer-survey blueprint."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    HiddenField,
    IntegerField,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, Optional

from ..forms import LocalDateField, RupiahField

STATUS_CHOICES = [
    ("wirausaha", _l("Running own business")),
    ("bekerja", _l("Employed")),
    ("asn", _l("Civil servant (ASN)")),
    ("studi", _l("Further study")),
    ("belum_bekerja", _l("Not working")),
    ("lainnya", _l("Other")),
]
VERIFICATION_CHOICES = [
    ("unverified", _l("Unverified")),
    ("verified", _l("Verified")),
    ("rejected", _l("Rejected")),
]


class SurveyForm(FlaskForm):
    """One tracer survey; the business fields only matter for `wirausaha`."""

    survey_date = LocalDateField(_l("Survey date"), validators=[DataRequired()])
    status = SelectField(_l("What is the TPL doing now?"), choices=STATUS_CHOICES)
    business_name = StringField(_l("Business name"), validators=[Optional(), Length(max=160)])
    founded_date = LocalDateField(_l("Founded on"), validators=[Optional()])
    nib = StringField(
        _l("NIB (13 digits, from OSS)"), validators=[Optional(), Length(max=20)], render_kw={"inputmode": "numeric"}
    )
    kbli = StringField(
        _l("KBLI code (5 digits)"), validators=[Optional(), Length(max=10)], render_kw={"inputmode": "numeric"}
    )
    workers = IntegerField(_l("Workers"), validators=[Optional()])
    monthly_revenue = RupiahField(
        _l("Monthly revenue (Rupiah)"), validators=[Optional()], render_kw={"inputmode": "numeric"}
    )
    business_region_code = SelectField(
        _l("Business location (kabupaten/kota)"), validators=[Optional()], validate_choice=True
    )
    submit = SubmitField(_l("Save"))


class VerifyForm(FlaskForm):
    """A supervisor's or evaluator's verdict on a survey."""

    verification = SelectField(_l("Verification"), choices=VERIFICATION_CHOICES[1:])
    note = TextAreaField(_l("Note"), validators=[Optional(), Length(max=500)])
    next = HiddenField()


class SurveyFilterForm(FlaskForm):
    """Filters of the survey list (GET, no CSRF needed)."""

    class Meta:
        csrf = False

    verification = SelectField(
        _l("Verification"), choices=[("", _l("All"))] + VERIFICATION_CHOICES, validators=[Optional()]
    )
    status = SelectField(_l("Status"), choices=[("", _l("All"))] + STATUS_CHOICES, validators=[Optional()])
