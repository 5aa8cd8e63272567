"""WTForms' built-in messages, listed so that `make messages` puts them in the app's catalogue.

WTForms ships no Indonesian catalogue, so tpl_tracker.forms.Form looks its messages up in ours; the msgids
are verbatim from wtforms/locale/wtforms.pot (tests/unit/test_translations.py checks that all are translated).
Nothing reads these objects: they only mark the texts for extraction.
"""

from flask_babel import lazy_gettext, lazy_ngettext

WTFORMS_MESSAGES = (
    # validators
    lazy_gettext("Invalid field name '%s'."),
    lazy_gettext("Field must be equal to %(other_name)s."),
    lazy_ngettext(
        "Field must be at least %(min)d character long.", "Field must be at least %(min)d characters long.", 1
    ),
    lazy_ngettext(
        "Field cannot be longer than %(max)d character.", "Field cannot be longer than %(max)d characters.", 1
    ),
    lazy_ngettext("Field must be exactly %(max)d character long.", "Field must be exactly %(max)d characters long.", 1),
    lazy_gettext("Field must be between %(min)d and %(max)d characters long."),
    lazy_gettext("Number must be at least %(min)s."),
    lazy_gettext("Number must be at most %(max)s."),
    lazy_gettext("Number must be between %(min)s and %(max)s."),
    lazy_gettext("Date must be at least %(min)s."),
    lazy_gettext("Date must be at most %(max)s."),
    lazy_gettext("Date must be between %(min)s and %(max)s."),
    lazy_gettext("This field is required."),
    lazy_gettext("Invalid input."),
    lazy_gettext("Invalid email address."),
    lazy_gettext("Invalid IP address."),
    lazy_gettext("Invalid Mac address."),
    lazy_gettext("Invalid URL."),
    lazy_gettext("Invalid UUID."),
    lazy_gettext("Invalid value, must be one of: %(values)s."),
    lazy_gettext("Invalid value, can't be any of: %(values)s."),
    lazy_gettext("This field cannot be edited."),
    lazy_gettext("This field is disabled and cannot have a value."),
    # CSRF
    lazy_gettext("Invalid CSRF Token."),
    lazy_gettext("CSRF token missing."),
    lazy_gettext("CSRF failed."),
    lazy_gettext("CSRF token expired."),
    # fields
    lazy_gettext("Invalid Choice: could not coerce."),
    lazy_gettext("Choices cannot be None."),
    lazy_gettext("Not a valid choice."),
    lazy_gettext("Invalid choice(s): one or more data inputs could not be coerced."),
    lazy_ngettext(
        "'%(value)s' is not a valid choice for this field.", "'%(value)s' are not valid choices for this field.", 1
    ),
    lazy_gettext("Not a valid datetime value."),
    lazy_gettext("Not a valid date value."),
    lazy_gettext("Not a valid time value."),
    lazy_gettext("Not a valid week value."),
    lazy_gettext("Not a valid integer value."),
    lazy_gettext("Not a valid decimal value."),
    lazy_gettext("Not a valid float value."),
)
