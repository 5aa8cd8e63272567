"""Form pieces shared by blueprints."""

import re
from collections.abc import Callable

from flask_babel import get_translations
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, DecimalField, IntegerField
from wtforms.widgets import TextInput


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
    """The base of every form of the app: WTForms' messages speak the interface language."""

    class Meta:
        def get_translations(self, form):
            """WTForms' messages from the app's catalogue instead of WTForms' own."""
            return AppCatalogTranslations()


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
    """Whole Rupiah, typed as 1500000, 1.500.000 or Rp1.500.000."""

    widget = TextInput()

    def process_formdata(self, valuelist):
        if valuelist and isinstance(valuelist[0], str):
            valuelist = [re.sub(r"^\s*rp\.?|[.\s]", "", valuelist[0], flags=re.IGNORECASE)]
        super().process_formdata(valuelist)


class LocalDecimalField(DecimalField):
    """A decimal typed the Indonesian way (1,5) or with a point (1.5)."""

    def process_formdata(self, valuelist):
        if valuelist and isinstance(valuelist[0], str):
            valuelist = [valuelist[0].strip().replace(",", ".")]
        super().process_formdata(valuelist)


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
