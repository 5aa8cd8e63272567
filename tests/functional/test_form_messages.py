"""WTForms' own messages ("This field is required.", ...) speak the interface language, on every form."""

from pathlib import Path

import pytest
from flask_wtf import FlaskForm

import tpl_tracker
from tpl_tracker.forms import AppCatalogTranslations, Form

from ..clock import TODAY, dmy
from ..conftest import TOO_LONG
from ..conftest import page_text as _page
from ..conftest import ui_message as _message

REQUIRED = "This field is required."
BAD_DATE = "Not a valid date: use DD/MM/YYYY."
NOT_A_CHOICE = "Not a valid choice."
NOT_COERCED = "Invalid Choice: could not coerce."
NOT_AN_INTEGER = "Not a valid integer value."
NOT_IN_RANGE = "Number must be between %(min)s and %(max)s."
BAD_EMAIL = "This is not a valid email address."

GOOD_FACILITATOR = {
    "nik": "8271014101990001",
    "full_name": "Nurul Hidayah",
    "gender": "P",
    "birth_date": dmy(1, 1, years=-27),
    "angkatan": str(TODAY.year - 3),
    "polytechnic": "STMI Jakarta",
    "supervisor_id": "None",
    "user_id": "None",
}
GOOD_USER = {"full_name": "Rahmat Hidayat", "email": "rahmat@disperindag.id", "role": "evaluator", "password": "x" * 12}

# (method, url, the form's data, the messages expected on the page with their values). The rules of the TPL and
# contract forms are the service's (tests/functional/test_facilitators_pages.py); WTForms only reads their types.
CASES = {
    "facilitator": (
        "POST",
        "/tpl/new",
        {**GOOD_FACILITATOR, "angkatan": "dua ribu", "supervisor_id": "abc"},
        [(NOT_AN_INTEGER, {}), (NOT_COERCED, {})],
    ),
    "range": ("GET", "/tpl/", {"angkatan": "1800"}, [(NOT_IN_RANGE, {"min": 1990, "max": 2100})]),
    "search": (
        "GET",
        "/tpl/",
        {"q": "x" * 101, "angkatan": "dua ribu"},
        [(TOO_LONG, {"num": 100, "max": 100}), (NOT_AN_INTEGER, {})],
    ),
    "contract": (
        "POST",
        "/tpl/{tpl}/contracts/new",
        {"number": "KP/1", "start_date": dmy(1, 2), "end_date": dmy(12, 31), "terminated_on": "31/02"},
        [(BAD_DATE, {})],
    ),
    "account": (
        "POST",
        "/admin/users/new",
        {**GOOD_USER, "full_name": "", "role": "raja"},
        [("The name is required.", {}), ("Unknown role.", {})],
    ),
    "email": ("POST", "/admin/users/new", {**GOOD_USER, "email": "bukan-email"}, [(BAD_EMAIL, {})]),
}


def _send(client, method: str, url: str, data: dict, world):
    url = url.format(tpl=world["tpl"].id)
    return client.get(url, query_string=data) if method == "GET" else client.post(url, data=data)


def _english(text, values) -> str:
    """The message as written in the code: the English interface."""
    if isinstance(text, tuple):
        text = text[0] if values["num"] == 1 else text[1]
    return text % values if values else text


@pytest.mark.parametrize("case", CASES)
def test_form_messages_are_indonesian_by_default(app, client, login_as, world, case):
    method, url, data, messages = CASES[case]
    login_as("admin")
    response = _send(client, method, url, data, world)
    assert response.status_code == 200
    text = _page(response)
    for message, values in messages:
        indonesian, english = _message(app, message, **values), _english(message, values)
        assert indonesian != english, f"{english!r} has no Indonesian translation"
        assert indonesian in text, f"{indonesian!r} is not on the page"
        assert english not in text, f"{english!r} is on the Indonesian page"


@pytest.mark.parametrize("case", CASES)
def test_form_messages_are_english_in_english(client, login_as, world, case):
    method, url, data, messages = CASES[case]
    login_as("admin")
    client.post("/language", data={"lang": "en"})
    response = _send(client, method, url, data, world)
    assert response.status_code == 200
    text = _page(response)
    for message, values in messages:
        assert _english(message, values) in text


def _subclasses(cls):
    for subclass in cls.__subclasses__():
        yield subclass
        yield from _subclasses(subclass)


def test_every_form_of_the_app_speaks_the_interface_language(app):
    forms = [form for form in _subclasses(FlaskForm) if form.__module__.startswith("tpl_tracker.")]
    assert len(forms) > 30
    assert [form.__qualname__ for form in forms if not issubclass(form, Form)] == []
    with app.test_request_context():
        for form_class in forms:
            form = form_class(formdata=None)
            assert isinstance(form.meta.get_translations(form), AppCatalogTranslations), form_class.__qualname__


def test_no_module_makes_a_form_on_plain_flask_form():
    package = Path(tpl_tracker.__file__).parent
    using_flask_form = [
        str(path.relative_to(package)) for path in package.rglob("*.py") if "FlaskForm" in path.read_text()
    ]
    assert using_flask_form == ["forms.py"]
