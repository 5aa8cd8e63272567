"""Days and numbers on the page follow the request's language, also when kept from an earlier request."""

from datetime import UTC, date, datetime
from decimal import Decimal

from flask import session
from flask_babel import force_locale, refresh

from tpl_tracker import formatting


def test_a_day_in_each_language_and_back(app):
    with app.test_request_context("/"):
        with force_locale("id"):
            assert formatting.day(date(2026, 3, 27)) == "27 Maret 2026"
        with force_locale("en"):
            assert formatting.day(date(2026, 3, 27)) == "27 March 2026"
        with force_locale("id"):
            assert formatting.day(date(2026, 3, 27)) == "27 Maret 2026"
        assert formatting.day(None) == ""


def test_a_moment_shows_its_day_as_before(app):
    with app.test_request_context("/"), force_locale("en"):
        assert formatting.day(datetime(2026, 3, 27, 3, 0, tzinfo=UTC)) == "27 March 2026"


def test_a_number_in_each_language_and_back(app):
    with app.test_request_context("/"):
        with force_locale("id"):
            assert formatting.number(1500000) == "1.500.000"
        with force_locale("en"):
            assert formatting.number(1500000) == "1,500,000"
            assert formatting.number(Decimal("2.5")) == "2.5"
        with force_locale("id"):
            assert formatting.number(1500000) == "1.500.000"
            assert formatting.number(Decimal("2.5")) == "2,5"
            assert formatting.number(0) == "0"
        assert formatting.number(None) == ""


def test_numbers_with_decimals_as_babel_formats_them_in_each_language(app):
    from babel import numbers

    values = [Decimal("2.50"), Decimal("2.5"), Decimal("1234.5678"), Decimal("0.0005"), 2.5, 1234.5678, Decimal("3")]
    with app.test_request_context("/"):
        for locale in ("id", "en", "id"):
            with force_locale(locale):
                assert [formatting.number(v) for v in values] == [
                    numbers.format_decimal(v, locale=locale) for v in values
                ]
        with force_locale("id"):
            assert formatting.number(Decimal("1234.5678")) == "1.234,568"
        with force_locale("en"):
            assert formatting.number(1234.5678) == "1,234.568"


def test_a_language_chosen_during_the_request_formats_after_a_refresh(app):
    with app.test_request_context("/"):
        assert formatting.day(date(2026, 3, 27)) == "27 Maret 2026"
        session["lang"] = "en"
        refresh()
        assert formatting.day(date(2026, 3, 27)) == "27 March 2026"
        assert formatting.number(1500000) == "1,500,000"
        assert formatting.percent(0.2413) == "24.1%"


def test_rupiah_as_before():
    assert formatting.rupiah(1500000) == "Rp1.500.000"
    assert formatting.rupiah(Decimal("2500.00")) == formatting.format_rupiah(Decimal("2500.00"))
    assert formatting.rupiah(None) == ""
