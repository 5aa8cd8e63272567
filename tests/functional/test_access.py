"""Who may open every route: one table, checked for every role and for anonymous visitors.

Adding a route without a row here fails `test_every_route_is_in_the_table`.
"""

import contextlib

import pytest
import sqlalchemy as sa

from tpl_tracker.extensions import db as _db
from tpl_tracker.models import AuditEntry, ImportRun, OutcomeSurvey

from ..clock import on
from ..conftest import sign_in
from . import (
    access_accounts,
    access_activities,
    access_businesses,
    access_dashboard,
    access_exports,
    access_output,
    access_reports_people,
    access_reviews,
    access_supervision,
)
from .access_common import ADMIN_ONLY, ADMIN_POST, ALL_200, LOGIN, ROLES

PUBLIC_STATIC = {"static", "bootstrap.static"}

# (endpoint, method, url arguments, form data, expected status per role)
TABLE = [
    ("main.home", "GET", {}, None, ALL_200),
    (
        "main.set_language",
        "POST",
        {},
        {"lang": "id"},
        {"anonymous": 302, "facilitator": 302, "supervisor": 302, "evaluator": 302, "admin": 302},
    ),
    (
        "auth.login",
        "GET",
        {},
        None,
        {"anonymous": 200, "facilitator": 302, "supervisor": 302, "evaluator": 302, "admin": 302},
    ),
    # A failed sign-in shows the form again; a signed-in user is sent home before any check.
    (
        "auth.login",
        "POST",
        {},
        {"email": "nobody@example.id", "password": "wrong-password-1"},
        {"anonymous": 200, "facilitator": 302, "supervisor": 302, "evaluator": 302, "admin": 302},
    ),
    ("auth.logout", "POST", {}, {}, dict.fromkeys(ROLES, 302)),
    ("auth.password", "GET", {}, None, ALL_200),
    ("auth.password", "POST", {}, {}, ALL_200),
    (
        "facilitators.index",
        "GET",
        {},
        None,
        {"anonymous": LOGIN, "facilitator": 302, "supervisor": 200, "evaluator": 200, "admin": 200},
    ),
    # Looking a TPL up by NIK is posted (the NIK stays out of addresses); evaluators read NIK masked.
    (
        "facilitators.find_nik",
        "POST",
        {},
        {"nik": "0000000000000000"},
        {"anonymous": LOGIN, "facilitator": 403, "supervisor": 200, "evaluator": 403, "admin": 200},
    ),
    (
        "facilitators.me",
        "GET",
        {},
        None,
        {"anonymous": LOGIN, "facilitator": 302, "supervisor": 403, "evaluator": 403, "admin": 403},
    ),
    ("facilitators.detail", "GET", {"facilitator_id": "tpl"}, None, ALL_200),
    (
        "facilitators.detail",
        "GET",
        {"facilitator_id": "tpl2"},
        None,
        {"anonymous": LOGIN, "facilitator": 404, "supervisor": 404, "evaluator": 200, "admin": 200},
    ),
    ("facilitators.create", "GET", {}, None, ADMIN_ONLY),
    ("facilitators.create", "POST", {}, {}, ADMIN_ONLY),
    ("facilitators.edit", "GET", {"facilitator_id": "tpl"}, None, ADMIN_ONLY),
    ("facilitators.edit", "POST", {"facilitator_id": "tpl"}, {}, ADMIN_POST),
    ("facilitators.contract_create", "GET", {"facilitator_id": "tpl"}, None, ADMIN_ONLY),
    ("facilitators.contract_create", "POST", {"facilitator_id": "tpl"}, {}, ADMIN_ONLY),
    ("facilitators.contract_edit", "GET", {"contract_id": "contract"}, None, ADMIN_ONLY),
    ("facilitators.contract_edit", "POST", {"contract_id": "contract"}, {}, ADMIN_POST),
    ("admin.users", "GET", {}, None, ADMIN_ONLY),
    ("admin.user_create", "GET", {}, None, ADMIN_ONLY),
    ("admin.user_create", "POST", {}, {}, ADMIN_ONLY),
    ("admin.user_edit", "GET", {"user_id": "facilitator2"}, None, ADMIN_ONLY),
    ("admin.user_edit", "POST", {"user_id": "facilitator2"}, {}, ADMIN_POST),
    (
        "admin.user_set_active",
        "POST",
        {"user_id": "facilitator2"},
        {"enabled": "1"},
        {"anonymous": LOGIN, "facilitator": 403, "supervisor": 403, "evaluator": 403, "admin": 302},
    ),
    ("admin.user_password", "GET", {"user_id": "facilitator2"}, None, ADMIN_ONLY),
    ("admin.user_password", "POST", {"user_id": "facilitator2"}, {}, ADMIN_ONLY),
    ("admin.audit_log", "GET", {}, None, ADMIN_ONLY),
    # The export streams the file (200) after recording itself in the trail.
    ("admin.audit_export", "POST", {}, {"fmt": "csv"}, ADMIN_ONLY),
    ("imports.upload", "GET", {}, None, ADMIN_ONLY),
    ("imports.upload", "POST", {}, {}, ADMIN_ONLY),
    ("imports.template", "GET", {}, None, ADMIN_ONLY),
    ("imports.run", "GET", {"run_id": "import_run"}, None, ADMIN_ONLY),
    (
        "jobs_admin.index",
        "GET",
        {},
        None,
        {"anonymous": LOGIN, "facilitator": 403, "supervisor": 403, "evaluator": 200, "admin": 200},
    ),
    ("notifications.index", "GET", {}, None, ALL_200),
    ("notifications.read", "POST", {"notification_id": 999999}, {}, dict.fromkeys(ROLES, 302)),
    ("notifications.read_all", "POST", {}, {}, dict.fromkeys(ROLES, 302)),
    (
        "reports.wub",
        "GET",
        {},
        None,
        {"anonymous": LOGIN, "facilitator": 403, "supervisor": 200, "evaluator": 200, "admin": 200},
    ),
    (
        "reports.wub_download",
        "GET",
        {"fmt": "csv"},
        None,
        {"anonymous": LOGIN, "facilitator": 403, "supervisor": 403, "evaluator": 404, "admin": 404},
    ),
    (
        "reports.definition",
        "GET",
        {},
        None,
        {"anonymous": LOGIN, "facilitator": 403, "supervisor": 403, "evaluator": 200, "admin": 200},
    ),
    (
        "jobs_admin.start",
        "POST",
        {"name": "compute-metrics"},
        {},
        {"anonymous": LOGIN, "facilitator": 403, "supervisor": 403, "evaluator": 302, "admin": 302},
    ),
    (
        "outcomes.index",
        "GET",
        {},
        None,
        {"anonymous": LOGIN, "facilitator": 302, "supervisor": 200, "evaluator": 200, "admin": 200},
    ),
    # Choosing the TPL a survey is recorded for: by name or email (GET), by NIK (posted; masked readers are told).
    (
        "outcomes.choose",
        "GET",
        {},
        None,
        {"anonymous": LOGIN, "facilitator": 403, "supervisor": 200, "evaluator": 200, "admin": 403},
    ),
    (
        "outcomes.choose",
        "POST",
        {},
        {"nik": "0000000000000000"},
        {"anonymous": LOGIN, "facilitator": 403, "supervisor": 200, "evaluator": 200, "admin": 403},
    ),
    ("outcomes.facilitator_surveys", "GET", {"facilitator_id": "tpl"}, None, ALL_200),
    (
        "outcomes.facilitator_surveys",
        "GET",
        {"facilitator_id": "tpl2"},
        None,
        {"anonymous": LOGIN, "facilitator": 404, "supervisor": 404, "evaluator": 200, "admin": 200},
    ),
    # The world's TPL is still under contract: their own form sends them back with a message.
    (
        "outcomes.create",
        "GET",
        {"facilitator_id": "tpl"},
        None,
        {"anonymous": LOGIN, "facilitator": 302, "supervisor": 200, "evaluator": 200, "admin": 403},
    ),
    (
        "outcomes.create",
        "GET",
        {"facilitator_id": "tpl2"},
        None,
        {"anonymous": LOGIN, "facilitator": 404, "supervisor": 404, "evaluator": 200, "admin": 403},
    ),
    # The world's TPL is still under contract: their own survey date is refused on the page (200).
    (
        "outcomes.create",
        "POST",
        {"facilitator_id": "tpl"},
        {},
        {"anonymous": LOGIN, "facilitator": 302, "supervisor": 200, "evaluator": 200, "admin": 403},
    ),
    (
        "outcomes.create",
        "POST",
        {"facilitator_id": "tpl2"},
        {},
        {"anonymous": LOGIN, "facilitator": 404, "supervisor": 404, "evaluator": 200, "admin": 403},
    ),
    (
        "outcomes.edit",
        "POST",
        {"survey_id": "survey"},
        {},
        {"anonymous": LOGIN, "facilitator": 200, "supervisor": 302, "evaluator": 302, "admin": 403},
    ),
    (
        "outcomes.edit",
        "POST",
        {"survey_id": "survey2"},
        {},
        {"anonymous": LOGIN, "facilitator": 404, "supervisor": 404, "evaluator": 302, "admin": 403},
    ),
    (
        "outcomes.edit",
        "GET",
        {"survey_id": "survey"},
        None,
        {"anonymous": LOGIN, "facilitator": 200, "supervisor": 200, "evaluator": 200, "admin": 403},
    ),
    (
        "outcomes.edit",
        "GET",
        {"survey_id": "survey2"},
        None,
        {"anonymous": LOGIN, "facilitator": 404, "supervisor": 404, "evaluator": 200, "admin": 403},
    ),
    (
        "outcomes.verify",
        "POST",
        {"survey_id": "survey"},
        {"verification": "verified", "note": "NIB checked in OSS"},
        {"anonymous": LOGIN, "facilitator": 403, "supervisor": 302, "evaluator": 302, "admin": 403},
    ),
    (
        "outcomes.verify",
        "POST",
        {"survey_id": "survey2"},
        {"verification": "verified", "note": "NIB checked in OSS"},
        {"anonymous": LOGIN, "facilitator": 403, "supervisor": 404, "evaluator": 302, "admin": 403},
    ),
    (
        "outcomes.add_business",
        "POST",
        {"survey_id": "survey"},
        {},
        {"anonymous": LOGIN, "facilitator": 403, "supervisor": 302, "evaluator": 302, "admin": 403},
    ),
] + (
    access_businesses.TABLE
    + access_activities.TABLE
    + access_reviews.TABLE
    + access_supervision.TABLE
    + access_accounts.TABLE
    + access_dashboard.TABLE
    + access_reports_people.TABLE
    + access_exports.TABLE
    + access_output.TABLE
)

# Routes that change data, with a valid-looking form, and the roles allowed to post it.
WRITES = [
    ("facilitators.create", {}, {"admin"}),
    ("facilitators.edit", {"facilitator_id": "tpl"}, {"admin"}),
    ("facilitators.contract_create", {"facilitator_id": "tpl"}, {"admin"}),
    ("facilitators.contract_edit", {"contract_id": "contract"}, {"admin"}),
    ("admin.user_create", {}, {"admin"}),
    ("admin.user_edit", {"user_id": "facilitator2"}, {"admin"}),
    ("admin.user_set_active", {"user_id": "facilitator2"}, {"admin"}),
    ("admin.user_password", {"user_id": "facilitator2"}, {"admin"}),
    ("admin.audit_export", {}, {"admin"}),
    ("imports.upload", {}, {"admin"}),
    ("outcomes.create", {"facilitator_id": "tpl"}, {"facilitator", "supervisor", "evaluator"}),
    ("outcomes.edit", {"survey_id": "survey"}, {"facilitator", "supervisor", "evaluator"}),
    ("outcomes.verify", {"survey_id": "survey"}, {"supervisor", "evaluator"}),
    ("outcomes.add_business", {"survey_id": "survey"}, {"supervisor", "evaluator"}),
] + (
    access_businesses.WRITES
    + access_activities.WRITES
    + access_reviews.WRITES
    + access_supervision.WRITES
    + access_accounts.WRITES
    + access_exports.WRITES
    + access_output.WRITES
    + access_dashboard.WRITES
)


@pytest.fixture
def world(work, db):
    """The world with its mentorship work (conftest `work`) and a tracer survey of each TPL (survey, survey2)."""
    world = work
    world["survey"] = OutcomeSurvey(
        facilitator=world["tpl"],
        survey_date=on(6, 1),
        status="wirausaha",
        business_name="Sagu Ternate",
        kbli="10792",
        business_region_code="82.71",
        recorded_by_id=world["facilitator"].id,  # the TPL's own: every checker in scope may verify it
    )
    world["survey2"] = OutcomeSurvey(
        facilitator=world["tpl2"], survey_date=on(6, 1), status="bekerja", recorded_by_id=world["facilitator2"].id
    )
    # A background import of another admin's: every admin may follow it.
    world["import_run"] = ImportRun(filename="tpl.xlsx", status="queued", created_by_id=None)
    db.session.add_all([world["survey"], world["survey2"], world["import_run"]])
    db.session.commit()
    return world


def _url(app, world, endpoint, arguments):
    from flask import url_for

    values = {name: (world[key].id if key in world else key) for name, key in arguments.items()}
    with app.test_request_context():
        return url_for(endpoint, **values)


def test_every_route_is_in_the_table(app):
    """Every method of every route must be given a row (and so a decision about who may use it)."""
    registered = {
        (rule.endpoint, method)
        for rule in app.url_map.iter_rules()
        if rule.endpoint not in PUBLIC_STATIC
        for method in rule.methods - {"HEAD", "OPTIONS"}
    }
    listed = {(row[0], row[1]) for row in TABLE}
    assert sorted(registered - listed) == [], "routes and methods without an access decision"
    assert sorted(listed - registered) == [], "rows for routes or methods that no longer exist"


def test_every_view_declares_its_access(app):
    """The decorators mark every view; unmarked views are refused by the app itself."""
    for endpoint, view in app.view_functions.items():
        if endpoint in PUBLIC_STATIC:
            continue
        assert getattr(view, "access", None), f"{endpoint} does not declare who may use it"


@contextlib.contextmanager
def _undone(db):
    """What happens inside is undone afterwards (a savepoint on the test's connection), so that each role meets
    the same world; the world's objects are read again after."""
    db.session.commit()
    savepoint = db.session.bind.begin_nested()
    try:
        yield
    finally:
        db.session.rollback()
        savepoint.rollback()
        db.session.expire_all()


def _as_each_role(app, world, roles, visit) -> dict:
    """`visit(client, role)` once for each role (signed in with a client of its own, anonymous without), each in a world
    left as it was found: {role: what visit returned}."""
    outcomes = {}
    for role in roles:
        with _undone(_db):
            client = app.test_client()
            if role != "anonymous":
                response = sign_in(client, world[role].email)
                assert response.status_code == 302, f"{role} could not sign in"
            outcomes[role] = visit(client, role)
    return outcomes


# One test per row (the world is built once and each role visits it in turn): a failure names every role whose
# answer differs from the table.
@pytest.mark.parametrize(
    "endpoint,method,arguments,data,expected",
    TABLE,
    ids=[f"{row[0]}-{row[1]}-{'-'.join(map(str, row[2].values())) or 'plain'}" for row in TABLE],
)
def test_access(app, world, endpoint, method, arguments, data, expected):
    url = _url(app, world, endpoint, arguments)
    anonymous_to_login = endpoint not in ("main.set_language", "auth.logout")

    def visit(client, role):
        response = client.open(url, method=method, data=data)
        if (
            role == "anonymous"
            and response.status_code == LOGIN
            and anonymous_to_login
            and ("/auth/login" not in response.headers["Location"])
        ):
            return f"{LOGIN} to {response.headers['Location']}"
        return response.status_code

    answers = _as_each_role(app, world, ROLES, visit)
    assert answers == {role: expected[role] for role in ROLES}, f"{method} {url}"


# Every write with every role that may not post it (anonymous visitors included).
REFUSED_WRITES = [
    pytest.param(endpoint, arguments, [role for role in ROLES if role not in allowed], id=endpoint)
    for endpoint, arguments, allowed in WRITES
]


def _changes(db) -> int:
    return db.session.scalar(
        sa.select(sa.func.count()).select_from(AuditEntry).where(AuditEntry.action.not_in(["login", "access_denied"]))
    )


@pytest.mark.parametrize("endpoint,arguments,refused", REFUSED_WRITES)
def test_refused_writes_change_nothing(app, world, db, endpoint, arguments, refused):
    """A POST by a role that may not write is refused and leaves no change in the audit trail."""
    url = _url(app, world, endpoint, arguments)

    def visit(client, role):
        before = _changes(db)
        response = client.post(
            url,
            data={
                "enabled": "0",
                "full_name": "X",
                "email": "x@example.id",
                "role": "admin",
                "password": "a-long-passphrase-1",
                "confirm": "a-long-passphrase-1",
            },
        )
        sent_to_login = response.status_code == 302 and "/auth/login" in response.headers["Location"]
        return response.status_code in (302, 403), sent_to_login or role != "anonymous", _changes(db) - before

    # (refused, an anonymous visitor is sent to sign in, changes in the audit trail)
    answers = _as_each_role(app, world, refused, visit)
    assert answers == dict.fromkeys(refused, (True, True, 0))


def test_out_of_scope_record_is_404_and_audited(client, world, login_as, db):
    supervisor = login_as("supervisor")
    response = client.get(f"/tpl/{world['tpl2'].id}")
    assert response.status_code == 404
    entry = db.session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "access_denied"))
    assert entry is not None and entry.actor_id == supervisor.id
    assert entry.ip == "127.0.0.1"  # the web layer hands the client's address to the audit trail
    # A record that does not exist at all is just not found.
    assert client.get("/tpl/999999").status_code == 404
