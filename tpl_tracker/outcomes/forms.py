"""Forms of the tracer-survey blueprint."""

from flask_babel import lazy_gettext as _l
from wtforms import (
    HiddenField,
    IntegerField,
    RadioField,
    SelectChoice,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import Length, Optional

from ..forms import Form, LocalDateField, LongSelectField, RupiahField
from ..models import SurveyStatus, Verification
from ..services.outcomes import MAX_VERIFICATION_NOTE, VERDICTS

REQUIRED = {"required": True}  # a hint for the browser; the rules themselves are services.outcomes' checks
VERDICT_CHOICES = [SelectChoice(v.value, v.label) for v in VERDICTS]


class SurveyForm(Form):
    """One tracer survey (the business fields only matter for `wirausaha`): the fields and their types only;
    every rule is checked by services.outcomes.check_survey, which names all problems at once.

    The questions speak to the alumnus (a supervisor recording on their behalf reads them out), and nothing is
    preselected: the answer feeds the WUB figures, so the form must not suggest one."""

    survey_date = LocalDateField(_l("Survey date"), validators=[Optional()], render_kw=REQUIRED)
    status = RadioField(
        _l("What are you doing now?"), choices=SurveyStatus.choices(), validate_choice=False, render_kw=REQUIRED
    )
    business_name = StringField(_l("What is your business called?"))
    founded_date = LocalDateField(_l("When did your business start?"), validators=[Optional()])
    nib = StringField(
        _l("Your business's NIB (13 digits, from OSS), if it has one"), render_kw={"inputmode": "numeric"}
    )
    kbli = StringField(_l("Its KBLI code (5 digits), if you know it"), render_kw={"inputmode": "numeric"})
    workers = IntegerField(_l("How many people work in it?"), validators=[Optional()])
    monthly_revenue = RupiahField(
        _l("Its turnover per month (Rupiah)"), validators=[Optional()], render_kw={"inputmode": "numeric"}
    )
    business_region_code = LongSelectField(_l("Where is your business? (kabupaten/kota)"), validate_choice=False)
    submit = SubmitField(_l("Save"))


class VerifyForm(Form):
    """A supervisor's or evaluator's verdict on a survey: field types only; services.outcomes.check_verification
    has the rules."""

    verification = SelectField(_l("Verification"), choices=VERDICT_CHOICES, validate_choice=False)
    note = TextAreaField(_l("Note"), render_kw={"maxlength": MAX_VERIFICATION_NOTE})
    next = HiddenField()


class SurveyFilterForm(Form):
    """Filters of the survey list (GET, no CSRF needed)."""

    class Meta:
        csrf = False

    verification = SelectField(
        _l("Verification"), choices=Verification.choices(blank=_l("All")), validators=[Optional()]
    )
    status = SelectField(_l("Status"), choices=SurveyStatus.choices(blank=_l("All")), validators=[Optional()])


class ChooseSearchForm(Form):
    """Search of the TPL a survey is recorded for (GET, no CSRF needed): name or email, contract status. A NIK is
    looked up with the posted NikSearchForm of the facilitators blueprint instead."""

    class Meta:
        csrf = False

    q = StringField(_l("Search"), validators=[Optional(), Length(max=100)])
    status = SelectField(
        _l("Contract"),
        choices=[
            SelectChoice("", _l("All")),
            SelectChoice("running", _l("Under contract")),
            SelectChoice("alumni", _l("Alumni (contract ended)")),
        ],
        validators=[Optional()],
    )
