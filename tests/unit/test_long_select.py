"""LongSelect renders exactly what WTForms' Select renders, from options built once."""

import pytest
from wtforms import Form, SelectChoice, SelectField
from wtforms.validators import InputRequired
from wtforms.widgets import Select

from tpl_tracker.forms import LongSelect

CHOICES = [
    SelectChoice("", "Semua wilayah"),
    SelectChoice("82", "Maluku Utara"),
    SelectChoice("82.71", "Kota <Ternate>"),
]


class Pair(Form):
    plain = SelectField("Wilayah", choices=CHOICES)
    long = SelectField("Wilayah", choices=CHOICES, widget=LongSelect())
    required_plain = SelectField("Wajib", choices=CHOICES, validators=[InputRequired()])
    required_long = SelectField("Wajib", choices=CHOICES, validators=[InputRequired()], widget=LongSelect())


@pytest.mark.parametrize("chosen", [None, "", "82", "82.71", "99"])
def test_the_same_html_as_wtforms_for_any_choice(chosen):
    form = Pair(data={"plain": chosen, "long": chosen, "required_plain": chosen, "required_long": chosen})
    assert str(form.long(class_="form-select")) == str(form.plain(class_="form-select")).replace(
        'id="plain" name="plain"', 'id="long" name="long"'
    )
    assert str(form.required_long()) == str(form.required_plain()).replace("required_plain", "required_long")
    if chosen in ("82", "82.71"):
        assert str(form.long()).count("selected") == 1
    assert "Kota &lt;Ternate&gt;" in str(form.long())


def test_options_with_their_own_attributes_are_left_to_wtforms():
    class Special(Form):
        field = SelectField(choices=[SelectChoice("a", "A", render_kw={"disabled": True})], widget=LongSelect())

    assert str(Special().field()) == Select()(Special().field)
