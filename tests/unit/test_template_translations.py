"""The templates' translations, looked up once per request, still follow the request's language as it changes."""

from flask import render_template_string, session
from flask_babel import force_locale, refresh

SEARCH = "{{ _('Search') }}"
FIELDS = "{{ ngettext('%(num)d field: %(names)s', '%(num)d fields: %(names)s', 2, names='<b>') }}"


def test_a_page_in_the_default_language_then_in_the_one_forced(app):
    with app.test_request_context("/"):
        assert render_template_string(SEARCH) == "Cari"
        with force_locale("en"):
            assert render_template_string(SEARCH) == "Search"
        assert render_template_string(SEARCH) == "Cari"


def test_a_language_chosen_during_the_request_shows_after_a_refresh(app):
    with app.test_request_context("/"):
        assert render_template_string(SEARCH) == "Cari"
        session["lang"] = "en"
        assert render_template_string(SEARCH) == "Cari"  # as Flask-Babel: the locale holds until refreshed
        refresh()
        assert render_template_string(SEARCH) == "Search"


def test_plural_forms_and_their_values_are_escaped_as_before(app):
    with app.test_request_context("/"):
        assert render_template_string(FIELDS) == "2 kolom: &lt;b&gt;"
        with force_locale("en"):
            assert render_template_string(FIELDS) == "2 fields: &lt;b&gt;"


def test_outside_a_request_the_default_language_or_the_one_forced(app):
    template = app.jinja_env.from_string(SEARCH)  # as a job renders an email: no request
    with app.app_context():
        assert template.render() == "Cari"
        with force_locale("en"):
            assert template.render() == "Search"
        assert template.render() == "Cari"


def test_the_catalogue_is_looked_up_once_per_language(app, monkeypatch):
    from tpl_tracker import template_translations

    lookups = []
    looked_up = template_translations.get_translations
    monkeypatch.setattr(template_translations, "get_translations", lambda: lookups.append(1) or looked_up())
    with app.test_request_context("/"):
        assert render_template_string(SEARCH * 3) == "Cari" * 3
        with force_locale("en"):
            assert render_template_string(SEARCH * 2) == "Search" * 2

    assert len(lookups) == 2
