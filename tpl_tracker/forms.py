"""Form pieces shared by blueprints."""

import re
from collections.abc import Callable
from datetime import date
from functools import lru_cache

from babel.numbers import get_decimal_symbol
from flask_babel import get_locale, get_translations
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from markupsafe import Markup
from wtforms import DateField, DecimalField, IntegerField, SelectChoice, SelectField, StringField
from wtforms.fields.choices import Choice
from wtforms.validators import ValidationError
from wtforms.widgets import Select, TextInput, html_params

from .text import CONTROL_CHARACTERS, control_characters_message, has_control_characters


class AppCatalogTranslations:
    """WTForms' own messages ("This field is required.", ...) looked up in the app's catalogue.

    WTForms ships no Indonesian catalogue; tpl_tracker/wtforms_messages.py puts its messages in ours.
    """

    def gettext(self, string):
        """The message in the current interface language."""
        return get_translations().ugettext(string)

    def ngettext(self, singular, plural, n):
        """The singular or plural message for `n`, in the current interface language (WTForms fills it in)."""
        return get_translations().ungettext(singular, plural, n)


class Form(FlaskForm):
    """The base of every form of the app: WTForms' messages speak the interface language, and no field accepts
    a control character (a NUL byte would otherwise reach the database, which refuses it)."""

    class Meta:
        def get_translations(self, form):
            """WTForms' messages from the app's catalogue instead of WTForms' own."""
            return AppCatalogTranslations()

    def validate(self, extra_validators=None) -> bool:
        """Validate every field; a field typed with control characters or holding a number beyond what the
        database can store is refused with its own message (the other checks run without that value, so that
        one submit still names every problem and no check queries with it)."""
        tainted = [field for field in self if any(has_control_characters(value) for value in field.raw_data or ())]
        for field in tainted:
            if isinstance(field.data, str):
                field.data = CONTROL_CHARACTERS.sub("", field.data)
        oversized = [field for field in self if _too_large(field.data)]
        for field in oversized:
            field.data = None
        valid = super().validate(extra_validators)
        for field in tainted:
            field.errors = [control_characters_message(), *field.errors]
        for field in oversized:
            field.errors = [_l("The number is too large."), *field.errors]
        return valid and not tainted and not oversized


LARGEST_INTEGER = 2**63 - 1  # what the databases' integer columns hold


def _too_large(data) -> bool:
    values = data if isinstance(data, list | tuple) else [data]
    return any(isinstance(value, int) and abs(value) > LARGEST_INTEGER for value in values)


def record_id(text: str) -> int:
    """A record id from the query string (`request.args.get(name, type=record_id)`): ValueError unless it is a
    positive number a table can hold, so that a malformed id is simply absent."""
    if not RECORD_ID.fullmatch(text or ""):
        raise ValueError(text)
    return int(text)


RECORD_ID = re.compile(r"[1-9][0-9]{0,9}")


@lru_cache(maxsize=32)
def _rendered_options(choices: tuple[tuple[str, str], ...]) -> tuple[str, ...]:
    return tuple(Select.render_option(Choice(value, label, False, None)) for value, label in choices)


class LongSelect(Select):
    """A select of many fixed options (the 550 regions of the country): the options' HTML is built once per list of
    options and language, then only the chosen one is rendered again (WTForms built all of them on every page).
    Meant for `LongSelectField`; any other select is rendered as WTForms does."""

    def __call__(self, field, **kwargs):
        choices = _plain_choices(field)
        if self.multiple or choices is None:
            return super().__call__(field, **kwargs)
        options = list(_rendered_options(tuple((choice.value, str(choice.label)) for choice in choices)))
        for index, choice in enumerate(choices):
            if choice.value == field.data:
                options[index] = Select.render_option(Choice(choice.value, choice.label, True, None))
        kwargs.setdefault("id", field.id)
        for flag in self.validation_attrs:
            if flag not in kwargs and getattr(field.flags, flag, False):
                kwargs[flag] = getattr(field.flags, flag)
        return Markup(f"<select {html_params(name=field.name, **kwargs)}>{''.join(options)}</select>")


def _plain_choices(field) -> list[SelectChoice] | None:
    """The field's choices when they are text values without groups or attributes (those `LongSelect` renders
    itself), else None."""
    choices = field.choices
    if field.coerce is not str or not isinstance(choices, list):
        return None
    if not all(type(choice) is SelectChoice and not choice.render_kw and choice.optgroup is None for choice in choices):
        return None
    return choices


class LongSelectField(SelectField):
    """A SelectField of many text options (`SelectChoice`s), checked against a set of their values and rendered by
    `LongSelect`: WTForms went through every option three times a page (checking, grouping, rendering)."""

    widget = LongSelect()

    def pre_validate(self, form):
        choices = None if self.process_errors or not self.validate_choice else _plain_choices(self)
        if choices is None:
            return super().pre_validate(form)
        if self.data not in {choice.value for choice in choices}:
            raise ValidationError(self.invalid_choice_message or self.gettext("Not a valid choice."))


class MonthField(StringField):
    """A month typed as YYYY-MM (the browser's month picker); its data is the month's first day."""

    def process_formdata(self, valuelist):
        self.data = None
        text = valuelist[0].strip() if valuelist and isinstance(valuelist[0], str) else ""
        if not text:
            return
        match = re.fullmatch(r"(\d{4})-(0[1-9]|1[0-2])", text)
        if match is None or not 1990 <= int(match.group(1)) <= 2100:
            raise ValueError(_l("Use the form YYYY-MM."))
        self.data = date(int(match.group(1)), int(match.group(2)), 1)

    def _value(self):
        if self.data is not None:
            return self.data.strftime("%Y-%m")
        return self.raw_data[0] if self.raw_data else ""


class ConfirmForm(Form):
    """A one-button POST form: it carries only the CSRF token."""


class LocalDateField(DateField):
    """A date typed as DD/MM/YYYY or ISO YYYY-MM-DD (the phone's date picker sends ISO)."""

    def __init__(self, label=None, validators=None, **kwargs):
        kwargs.setdefault("format", ["%Y-%m-%d", "%d/%m/%Y"])
        kwargs.setdefault("description", _l("DD/MM/YYYY"))
        super().__init__(label, validators, **kwargs)

    def process_formdata(self, valuelist):
        try:
            super().process_formdata(valuelist)
        except ValueError:
            self.data = None
            raise ValueError(_l("Not a valid date: use DD/MM/YYYY.")) from None


class RupiahField(IntegerField):
    """Whole Rupiah, typed as 1500000, 1.500.000 or Rp1.500.000 (a text box with the phone's number keyboard)."""

    widget = TextInput()

    def __init__(self, label=None, validators=None, **kwargs):
        kwargs["render_kw"] = {"inputmode": "numeric", **kwargs.get("render_kw", {})}
        super().__init__(label, validators, **kwargs)

    def process_formdata(self, valuelist):
        if valuelist and isinstance(valuelist[0], str):
            valuelist = [re.sub(r"^\s*rp\.?|[.\s]", "", valuelist[0], flags=re.IGNORECASE)]
        super().process_formdata(valuelist)


class LocalDecimalField(DecimalField):
    """A decimal typed the Indonesian way (1,5) or with a point (1.5).

    A text box with the phone's decimal keyboard, not a number input: Chromium's number input refuses a comma
    outright, whatever the page's language.
    """

    widget = TextInput()

    def __init__(self, label=None, validators=None, **kwargs):
        kwargs["render_kw"] = {"inputmode": "decimal", "autocomplete": "off", **kwargs.get("render_kw", {})}
        super().__init__(label, validators, **kwargs)

    def process_formdata(self, valuelist):
        if valuelist and isinstance(valuelist[0], str):
            valuelist = [valuelist[0].strip().replace(",", ".")]
        super().process_formdata(valuelist)

    def _value(self):
        """The value as typed back into the box: with the interface language's decimal sign (1,5 in Indonesian)."""
        text = super()._value()
        if self.raw_data or not text:
            return text
        return text.replace(".", get_decimal_symbol(get_locale()))


def show_rule_problems(form, check: Callable[[], object]) -> None:
    """After a form failed on its types, also show what the service's rules say of the rest, so that one submit
    names every problem: each message goes on its field unless that field already has one."""
    from .services import ServiceError

    csrf = getattr(form, "csrf_token", None)
    if csrf is not None and csrf.errors:
        return
    try:
        check()
    except ServiceError as refusal:
        for problem in refusal.errors:
            field = getattr(form, problem.field, None) if problem.field else None
            if field is not None and not field.errors:
                field.errors = list(field.errors) + [problem.message]


def show_service_error(form, error) -> None:
    """Put each message of a refused change on its field (or flash it) after undoing the transaction."""
    from flask import flash

    from .extensions import db

    db.session.rollback()
    for problem in error.errors:
        field = getattr(form, problem.field, None) if problem.field else None
        if field is not None:
            field.errors = list(field.errors) + [problem.message]
        else:
            flash(problem.message, "danger")


class ListExportForm(Form):
    """Download a filtered list as CSV or Excel (posted with its CSRF token: the export is audited)."""

    fmt = SelectField(
        _l("Format"),
        choices=[SelectChoice("csv", _l("CSV")), SelectChoice("xlsx", _l("Excel (.xlsx)"))],
        validate_choice=True,
    )
