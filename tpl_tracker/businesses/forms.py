"""Forms of the businesses blueprint."""

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, IntegerField, SelectChoice, SelectField, StringField, SubmitField, TextAreaField
from wtforms.validators import Length, Optional

from ..forms import Form, LocalDateField, LongSelectField, RupiahField
from ..models import AssessmentKind, MarketReach, PermitType, SizeClass
from ..services.businesses import MAX_NOTE, MAX_WORKERS

REQUIRED = {"required": True}  # a hint for the browser; the rules themselves are services.businesses' checks


class BusinessForm(Form):
    """A business (IKM binaan): the fields and their types only; every rule is checked by the service, which
    names all problems at once. Region selects get their choices in the view."""

    name = StringField(_l("Business name"), render_kw=REQUIRED)
    owner_name = StringField(_l("Owner's name"), render_kw=REQUIRED)
    owner_nik = StringField(_l("Owner's NIK"))
    phone = StringField(_l("Phone"))
    address = TextAreaField(_l("Address"))
    region_code = LongSelectField(_l("Kabupaten/kota"), validate_choice=False, render_kw=REQUIRED)
    kecamatan_code = SelectField(_l("Kecamatan"), validate_choice=False)
    desa_code = SelectField(_l("Desa/kelurahan"), validate_choice=False)
    kbli = StringField(_l("KBLI code"), render_kw=REQUIRED)
    products = TextAreaField(_l("Products"))
    nib = StringField(_l("NIB"))
    size_class = SelectField(_l("Size class"), choices=SizeClass.choices(), validate_choice=False)
    workers = IntegerField(_l("Workers"), validators=[Optional()], default=0, render_kw={"min": 0, "max": MAX_WORKERS})
    capital = RupiahField(_l("Capital (Rupiah)"), validators=[Optional()])
    turnover = RupiahField(_l("Turnover per month (Rupiah)"), validators=[Optional()])
    year_founded = IntegerField(_l("Year founded"), validators=[Optional()], render_kw={"min": 1900})
    submit = SubmitField(_l("Save"))


class BusinessSearchForm(Form):
    """Search and filters of the business list (GET, no CSRF needed)."""

    class Meta:
        csrf = False

    q = StringField(_l("Search"), validators=[Optional(), Length(max=100)])
    region = LongSelectField(_l("Region"), validators=[Optional()], validate_choice=True)
    division = SelectField(_l("KBLI division"), validators=[Optional()], validate_choice=True)
    permit_type = SelectField(
        _l("Permit"),
        validators=[Optional()],
        validate_choice=True,
        choices=PermitType.choices(blank=_l("Any permit")),
    )


class RequestForm(Form):
    """Ask to mentor an existing business: field types only; services.businesses.check_request has the rules."""

    reason = TextAreaField(_l("Why do you want to mentor it? (optional)"), render_kw={"maxlength": MAX_NOTE})
    submit = SubmitField(_l("Ask to mentor this business"))


class DecisionForm(Form):
    """A supervisor's decision on a request: field types only; services.businesses.check_decision has the rules."""

    decision = SelectField(
        _l("Decision"),
        # No decision is preselected: a supervisor who just clicks Decide is asked to choose.
        choices=[
            SelectChoice("", _l("Choose a decision")),
            SelectChoice("approve", _l("Approve")),
            SelectChoice("reject", _l("Reject")),
        ],
        validate_choice=False,
    )
    note = TextAreaField(_l("Note (required to reject)"), render_kw={"maxlength": MAX_NOTE})
    submit = SubmitField(_l("Decide"))


class StopForm(Form):
    """End the TPL's mentoring of a business: field types only; services.businesses.check_stop has the rules."""

    end_date = LocalDateField(_l("Last day of mentoring"), validators=[Optional()], render_kw=REQUIRED)
    reason = TextAreaField(_l("Reason"), render_kw=REQUIRED)
    submit = SubmitField(_l("Stop mentoring"))


class AssessmentForm(Form):
    """The condition of a business on one day: the fields and their types only; every rule is checked by
    services.assessments, which names all problems at once."""

    kind = SelectField(_l("Kind"), choices=AssessmentKind.choices(), validate_choice=False)
    assessed_on = LocalDateField(_l("Assessment date"), validators=[Optional()], render_kw=REQUIRED)
    turnover = RupiahField(_l("Turnover per month (Rupiah)"), validators=[Optional()])
    workers = IntegerField(_l("Workers"), validators=[Optional()])
    production_capacity = StringField(_l("Production capacity"))
    products = TextAreaField(_l("Products"))
    market_reach = SelectField(_l("Market reach"), choices=MarketReach.choices(), validate_choice=False)
    has_packaging_label = BooleanField(_l("Has packaging and a label"))
    notes = TextAreaField(_l("Notes"))
    submit = SubmitField(_l("Save"))
