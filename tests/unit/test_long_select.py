"""LongSelectField renders and checks exactly what WTForms' SelectField does, from options built once."""

import pytest
from werkzeug.datastructures import MultiDict
from wtforms import Form, SelectChoice, SelectField
from wtforms.validators import InputRequired, Optional
from wtforms.widgets import Select

from tpl_tracker.forms import LongSelect, LongSelectField

CHOICES = [
    SelectChoice("", "Semua wilayah"),
    SelectChoice("82", "Maluku Utara"),
    SelectChoice("82.71", "Kota <Ternate>"),
]


class Pair(Form):
    plain = SelectField("Wilayah", choices=CHOICES, validators=[Optional()])
    long = LongSelectField("Wilayah", choices=CHOICES, validators=[Optional()])
    required_plain = SelectField("Wajib", choices=CHOICES, validators=[InputRequired()])
    required_long = LongSelectField("Wajib", choices=CHOICES, validators=[InputRequired()])


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


@pytest.mark.parametrize("sent", ["", "82", "82.71", "99", "82.7"])
def test_the_same_errors_as_wtforms_for_any_value_sent(sent):
    form = Pair(MultiDict({"plain": sent, "long": sent, "required_plain": sent, "required_long": sent}))

    form.validate()

    assert form.long.errors == form.plain.errors
    assert form.required_long.errors == form.required_plain.errors
    assert bool(form.long.errors) == (sent not in ("", "82", "82.71"))


def test_options_with_their_own_attributes_are_left_to_wtforms():
    class Special(Form):
        field = SelectField(choices=[SelectChoice("a", "A", render_kw={"disabled": True})], widget=LongSelect())

    assert str(Special().field()) == Select()(Special().field)


def test_a_value_outside_grouped_choices_is_still_refused():
    class Grouped(Form):
        field = LongSelectField(choices=[SelectChoice("82", "Maluku Utara", optgroup="Maluku")])

    form = Grouped(MultiDict({"field": "99"}))

    assert not form.validate()
    assert Grouped(MultiDict({"field": "82"})).validate()
