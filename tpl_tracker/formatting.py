"""How values look on the page: Indonesian dates, times with their zone, Rupiah, masked personal numbers."""

import functools
from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from babel import dates, numbers
from flask import g, has_app_context, has_request_context
from flask_babel import format_date, format_decimal, get_locale
from flask_babel import gettext as _
from flask_login import current_user
from lokal import format_rupiah, parse_phone, partial_mask

from .dates import programme_zone
from .services.regions import region_name, user_zone


def locale_name() -> str:
    """The request's locale as a name ("id", "en"), kept beside the locale Flask-Babel chose (a page may format a
    thousand numbers; `str(get_locale())` costs 3 microseconds each time)."""
    namespace = g.get("_flask_babel") if has_app_context() else None
    locale = getattr(namespace, "babel_locale", None)
    if locale is None:  # not chosen yet (or no request): Flask-Babel chooses
        return str(get_locale())
    kept = getattr(namespace, "tpl_locale_name", None)
    if kept is None or kept[0] is not locale:  # force_locale and refresh replace the locale
        kept = namespace.tpl_locale_name = (locale, str(locale))
    return kept[1]


def day(value: date | None) -> str:
    """27 November 2026 (or 27 Nov 2026 in English)."""
    if not value:
        return ""
    if type(value) is date:
        return _day_in(value, locale_name())
    return format_date(value, "d MMMM yyyy")


@functools.lru_cache(maxsize=8192)
def _day_in(value: date, locale: str) -> str:
    """A day in a locale, kept: a page of a hundred dates spent ~3 ms in Babel's formatting."""
    return dates.format_date(value, "d MMMM yyyy", locale=locale)


def stamp(value: datetime | None) -> str:
    """27/11/2026 18:58 WIT: a moment in the reader's time zone, named (services.regions.user_zone: a TPL's
    placement's, else the programme's WIB)."""
    if not value:
        return ""
    local = value.astimezone(reader_zone())
    return f"{local:%d/%m/%Y %H:%M} {local.tzname()}"


def reader_zone() -> ZoneInfo:
    """The signed-in reader's time zone, found once per request (a page may show hundreds of times); the programme's
    outside a request."""
    if not has_request_context():
        return programme_zone()
    reader = current_user.get_id() if current_user.is_authenticated else None
    kept = g.get("reader_zone")
    if kept is None or kept[0] != reader:
        kept = g.reader_zone = (reader, user_zone(current_user))
    return kept[1]


def rupiah(value: int | None) -> str:
    """Rp1.500.000."""
    if value is None:
        return ""
    return _whole_rupiah(value) if type(value) is int else format_rupiah(value)


@functools.lru_cache(maxsize=8192)
def _whole_rupiah(value: int) -> str:
    """A whole amount in Rupiah, kept (the same in every language)."""
    return format_rupiah(value)


def number(value) -> str:
    """A number with the locale's separators."""
    if value is None:
        return ""
    if type(value) is int:
        return _integer_in(value, locale_name())
    if type(value) in (Decimal, float):
        return _decimal_in(value, locale_name())
    return format_decimal(value)


@functools.lru_cache(maxsize=8192)
def _integer_in(value: int, locale: str) -> str:
    """A whole number in a locale, kept (counts and workers repeat on every page)."""
    return numbers.format_decimal(value, locale=locale)


@functools.lru_cache(maxsize=8192, typed=True)
def _decimal_in(value: Decimal | float, locale: str) -> str:
    """A number with decimals in a locale, kept (an activity list shows each activity's hours: 2,5)."""
    return numbers.format_decimal(value, locale=locale)


def percent(value: float | None) -> str:
    """24,1% from 0.2413."""
    return _percent_in(value, locale_name()) if value is not None else ""


@functools.lru_cache(maxsize=8192)
def _percent_in(value: float, locale: str) -> str:
    """A percentage in a locale, kept: Babel's formatting costs a report page of a few hundred rates ~20 ms."""
    return numbers.format_percent(value, "#,##0.0%", locale=locale)


def phone(value: str | None, masked: bool = False) -> str:
    """0812-3456-7890, or 0812****7890 when masked."""
    if not value:
        return ""
    if masked:
        return partial_mask("PHONE", value)
    info = parse_phone(value)
    return info.national or value


def nik(value: str | None, masked: bool = False) -> str:
    """The NIK, or 8271********0001 when masked."""
    if not value:
        return ""
    return partial_mask("NIK", value) if masked else value


def region(code: str | None) -> str:
    """'Kota Ternate' for 82.71."""
    return region_name(code)


def month(value: date | None) -> str:
    """November 2026 (a monthly report's period)."""
    return format_date(value, "MMMM yyyy") if value else ""


def months_to_business(value: float | None) -> str:
    """The median months from the exit to the founding of a business, in words that read right when negative:
    "-17,5 months: the median business was founded during the contract, 17,5 months before the exit"."""
    if value is None:
        return ""
    months, distance = format_decimal(value, "#,##0.0"), format_decimal(abs(value), "#,##0.0")
    if value < 0:
        return _(
            "%(months)s months: the median business was founded during the contract, %(distance)s months before "
            "the exit.",
            months=months,
            distance=distance,
        )
    if value > 0:
        return _(
            "%(months)s months: the median business was founded after the contract, %(distance)s months after the "
            "exit.",
            months=months,
            distance=distance,
        )
    return _("%(months)s months: the median business was founded around the exit date.", months=months)
