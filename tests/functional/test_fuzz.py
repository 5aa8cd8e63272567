"""Fuzzing every form and list parameter: whatever is typed or put in the address, the answer is never a 5xx.

Each page of the access table is opened by a role that may see it; every form on it (the list filters, the
record forms, the action buttons) is then sent with values drawn by Hypothesis from hostile text (NUL and other
control characters, numbers beyond any column, impossible months and dates, very long text, markup) mixed with
ordinary values, plus a field name no form has (`comment-activity-<5000 digits>`). Everything written lands in
the test's transaction and is rolled back. FUZZ_EXAMPLES sets how many submissions each form gets.
"""

import os
from html.parser import HTMLParser
from urllib.parse import parse_qsl, urlsplit

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ..clock import YEAR, dmy, iso
from ..conftest import sign_in
from .test_access import TABLE, _url
from .test_access import world as world  # the access table's records (business, survey, ...)

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "6"))
ORDER = ["facilitator", "supervisor", "evaluator", "admin", "anonymous"]
SKIPPED_ACTIONS = {"/auth/logout"}  # signing out would end the run, not test a form
FUZZED: set[tuple] = set()  # forms already sent, by method, path and field names

HOSTILE = [
    "\x00",
    "tpl@demo.tpl.id\x00",
    "Nama\x07usaha\x1b",
    "99999999999999999999",
    "-99999999999999999999",
    "9" * 400,
    "-1",
    "0",
    "1e309",
    "NaN",
    "9999-12",
    "0000-00",
    f"{YEAR}-13",
    " ",
    "",
    "31/02/2026",
    "9999-12-31",
    "0001-01-01",
    "x" * 6000,
    "<script>alert(1)</script>",
    "'; DROP TABLE users; --",
    "١٢٣",
    "\u202e\ufeff",
    "82.71",
    "1,5",
]
ORDINARY = [dmy(3, 10), iso(3, 10), f"{YEAR}-03", "1", "2", "Kunjungan", "approve", "return", "kunjungan", "82"]


def _values():
    return st.one_of(st.sampled_from(HOSTILE), st.sampled_from(ORDINARY), st.text(max_size=40))


FIELDS = ("input", "select", "textarea", "button")


class _Forms(HTMLParser):
    """The forms of a page: method, action and the names of their fields."""

    def __init__(self):
        super().__init__()
        self.forms: list[dict] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            self.forms.append(
                {"method": (attrs.get("method") or "get").upper(), "action": attrs.get("action"), "fields": {}}
            )
        elif tag in FIELDS and self.forms and attrs.get("name") and attrs.get("type") != "file":
            self.forms[-1]["fields"].setdefault(attrs["name"], attrs.get("value") or "")


def _pages():
    """One row per page of the access table, with the first role that may open it."""
    rows, seen = [], set()
    for endpoint, method, arguments, _data, expected in TABLE:
        role = next((r for r in ORDER if expected.get(r) == 200), None)
        key = (endpoint, tuple(sorted(arguments.items())))
        if method != "GET" or role is None or key in seen:
            continue
        seen.add(key)
        rows.append(pytest.param(endpoint, arguments, role, id=f"{endpoint}-{role}"))
    return rows


@pytest.mark.parametrize("endpoint,arguments,role", _pages())
def test_no_form_or_parameter_gives_a_server_error(app, client, world, endpoint, arguments, role):
    page_url = _url(app, world, endpoint, arguments)

    def signed_in():
        if role != "anonymous":
            sign_in(client, world[role].email)

    signed_in()
    page = client.get(page_url)
    assert page.status_code == 200
    parser = _Forms()
    if page.mimetype == "text/html":  # downloads (workbooks, evidence, CSV) have no forms
        parser.feed(page.get_data(as_text=True))
    forms = [f for f in parser.forms if urlsplit(f["action"] or page_url).path not in SKIPPED_ACTIONS]
    forms.append({"method": "GET", "action": page_url, "fields": {"page": "1", "q": "", "month": ""}})
    for form in forms:
        target = urlsplit(form["action"] or page_url)
        signature = (form["method"], target.path, tuple(sorted(form["fields"])))
        if signature in FUZZED:
            continue  # the same form on another page (the language switch of every page) was sent already
        FUZZED.add(signature)
        _fuzz(client, form["method"], target, {**dict(parse_qsl(target.query)), **form["fields"]}, signed_in)


def _fuzz(client, method, target, defaults, signed_in):
    """Send one form EXAMPLES times with drawn values; no answer may be a server error."""

    @settings(
        max_examples=EXAMPLES, deadline=None, derandomize=True, database=None, suppress_health_check=list(HealthCheck)
    )
    @given(data=st.data())
    def submit(data):
        values = {name: data.draw(st.one_of(st.just(value), _values()), label=name) for name, value in defaults.items()}
        if data.draw(st.booleans(), label="foreign field"):
            values["comment-activity-" + "9" * 5000] = "x"
        if method == "GET":
            response = client.get(target.path, query_string=values)
        else:
            response = client.post(target.path, query_string=target.query, data=values)
        assert response.status_code < 500, f"{method} {target.path} {values!r}"[:2000]
        if response.status_code in (302, 303) and "/auth/login" in response.headers.get("Location", ""):
            signed_in()  # a form that ends the session (password change): sign in again for the next one

    submit()
