"""Fixtures: the app on SQLite (default) or PostgreSQL (TEST_DATABASE_URL), each test in a rolled-back transaction."""

import contextlib
import contextvars
import os
import re

import factory.random
import pytest
import time_machine
from faker import Faker
from flask import has_app_context
from flask.testing import FlaskClient
from flask_migrate import upgrade
from flask_sqlalchemy.session import Session as FlaskSession

from tpl_tracker import create_app
from tpl_tracker.extensions import db as _db
from tpl_tracker.models import Role, SupervisorRegion

from .clock import NOW, on
from .factories import PASSWORD, ContractFactory, FacilitatorFactory, UserFactory, added_only

KEEP_TABLES = {"regions", "alembic_version"}
FAKER_SEED = 8271
_frozen_clock = time_machine.travel(NOW, tick=False)


def pytest_configure(config):
    """Freeze the clock (tests/clock.py) before any test module is imported, and seed the fake data."""
    _frozen_clock.start()
    factory.random.reseed_random(FAKER_SEED)
    Faker.seed(FAKER_SEED)


def pytest_unconfigure(config):
    _frozen_clock.stop()


def _database_url(tmp_path_factory) -> str:
    url = os.environ.get("TEST_DATABASE_URL")
    if url:
        return url
    return f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.db'}"


class IsolatedClient(FlaskClient):
    """Runs each request in its own app context, as a real server would.

    The test's own session is committed first (ending its transaction, so that SQLite's
    BEGIN IMMEDIATE in the request does not wait for it), and the request gets a fresh
    `g` and database session instead of sharing the test's.
    """

    def open(self, *args, **kwargs):
        if has_app_context():
            _db.session.commit()
        # The body is read inside the request's own context too (a streamed download, stream_with_context, pops
        # its contexts when it ends), as a server reads it in the thread that ran the request.
        kwargs.setdefault("buffered", True)
        return contextvars.Context().run(super().open, *args, **kwargs)


@pytest.fixture(scope="session")
def app(tmp_path_factory):
    """The application, its schema built by the migrations (as in production)."""
    url = _database_url(tmp_path_factory)
    app = create_app("testing", {"SQLALCHEMY_DATABASE_URI": url, "WTF_CSRF_ENABLED": False})
    app.test_client_class = IsolatedClient
    with app.app_context():
        with _db.engine.begin() as conn:  # start from nothing, also on a reused database
            _db.metadata.drop_all(conn)
            conn.exec_driver_sql("DROP TABLE IF EXISTS alembic_version")
        upgrade()
    yield app
    with app.app_context():
        _db.engine.dispose()


class _ConnectionSession(FlaskSession):
    """A Flask-SQLAlchemy session that uses the test's connection instead of asking the engine."""

    def get_bind(self, *args, **kwargs):
        return self.bind


def _empty_tables() -> None:
    with _db.engine.begin() as conn:
        for table in reversed(_db.metadata.sorted_tables):
            if table.name not in KEEP_TABLES:
                conn.execute(table.delete())


@pytest.fixture(autouse=True)
def db(app, request):
    """The database for one test, left as it was found.

    Each test runs inside one transaction on one connection that is rolled back at the end: every session
    (the test's and each request's) joins it, and their commits only release savepoints. Tests marked
    `real_commits` (other threads or processes must see the data: concurrency, locks, the browser) commit for
    real, and their tables are emptied afterwards.
    """
    with app.app_context():
        if request.node.get_closest_marker("real_commits"):
            try:
                yield _db
            finally:
                _db.session.rollback()
                _db.session.remove()
                _empty_tables()
            return
        app_session = _db.session
        connection = _db.engine.connect()
        transaction = connection.begin()
        _db.session = _db._make_scoped_session(
            {"class_": _ConnectionSession, "bind": connection, "join_transaction_mode": "create_savepoint"}
        )
        try:
            yield _db
        finally:
            _db.session.remove()
            _db.session = app_session
            transaction.rollback()
            connection.close()


@pytest.fixture
def keep_counts(app, monkeypatch):
    """Keep the home pages' counts and the reports read from the records 5 minutes, as in production (the tests'
    configuration counts them on every visit), in an empty cache."""
    from tpl_tracker.extensions import cache

    monkeypatch.setitem(app.config, "HOME_COUNTS_SECONDS", 300)
    monkeypatch.setitem(app.config, "REPORT_COUNTS_SECONDS", 300)
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def client(app):
    """A test client (cookies kept between requests)."""
    return app.test_client()


@pytest.fixture
def world(db):
    """A small programme: two provinces, their supervisors and TPL, an evaluator and an admin (written at once)."""
    with added_only():
        return _world(db)


def _world(db) -> dict:
    admin = UserFactory(email="admin@example.id", role=Role.ADMIN.value)
    evaluator = UserFactory(email="evaluator@example.id", role=Role.EVALUATOR.value)
    supervisor = UserFactory(email="supervisor@example.id", role=Role.SUPERVISOR.value)
    supervisor2 = UserFactory(email="supervisor2@example.id", role=Role.SUPERVISOR.value)
    db.session.add_all(
        [SupervisorRegion(user=supervisor, region_code="82"), SupervisorRegion(user=supervisor2, region_code="73")]
    )
    tpl_user = UserFactory(email="tpl@example.id", role=Role.FACILITATOR.value)
    tpl2_user = UserFactory(email="tpl2@example.id", role=Role.FACILITATOR.value)
    tpl = FacilitatorFactory(user=tpl_user, supervisor=supervisor, region_code="82.71")
    tpl2 = FacilitatorFactory(user=tpl2_user, supervisor=supervisor2, region_code="73.71", district="737101")
    contract = ContractFactory(facilitator=tpl, start_date=on(1, 1), end_date=on(12, 31))
    contract2 = ContractFactory(facilitator=tpl2, start_date=on(1, 1), end_date=on(12, 31))
    db.session.commit()
    return {
        "admin": admin,
        "evaluator": evaluator,
        "supervisor": supervisor,
        "supervisor2": supervisor2,
        "facilitator": tpl_user,
        "facilitator2": tpl2_user,
        "tpl": tpl,
        "tpl2": tpl2,
        "contract": contract,
        "contract2": contract2,
    }


def sign_in(client, email: str, password: str = PASSWORD, **extra):
    """Post the login form."""
    return client.post("/auth/login", data={"email": email, "password": password, **extra})


@pytest.fixture
def login_as(client, world):
    """Sign the client in as one of the world's users: login_as('supervisor')."""

    def _login(name: str):
        response = sign_in(client, world[name].email)
        assert response.status_code == 302, response.get_data(as_text=True)[:500]
        return world[name]

    return _login


def csrf_token_from(html: str) -> str:
    """The CSRF token of the first form on a page."""
    match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html) or re.search(
        r'value="([^"]+)"[^>]*name="csrf_token"', html
    )
    assert match, "no CSRF token on the page"
    return match.group(1)


# WTForms' message for a too long text, a (singular, plural) pair: ui_message(app, TOO_LONG, num=2000, max=2000).
TOO_LONG = ("Field cannot be longer than %(max)d character.", "Field cannot be longer than %(max)d characters.")


def load_migration(filename: str):
    """A migration module loaded from migrations/versions/<filename> (its name starts with a digit, so no import)."""
    import importlib.util
    from pathlib import Path

    path = Path(__file__).resolve().parents[1] / "migrations" / "versions" / filename
    spec = importlib.util.spec_from_file_location(f"migration_{path.stem}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def ui_message(app, text: str | tuple[str, str], **values) -> str:
    """A message as the app shows it to a visitor in the default language; a (singular, plural) pair counts `num`."""
    from flask_babel import gettext, ngettext

    with app.test_request_context():
        if isinstance(text, tuple):
            return ngettext(*text, **values)
        return gettext(text, **values)


def page_text(response) -> str:
    """The page's HTML with entities decoded, to look for messages in it."""
    import html

    return html.unescape(response.get_data(as_text=True))


@pytest.fixture
def work(world, db):
    """The world plus mentorship work of each TPL, in March of the tests' year (an open, draft month).

    Objects of `tpl`: business, mentorship, activity, evidence, permit, assessment, month;
    the same of `tpl2` with a `2` suffix.
    """
    import hashlib
    from decimal import Decimal

    from tpl_tracker.models import (
        Activity,
        Assessment,
        Business,
        Evidence,
        Mentorship,
        MonthlyReport,
        PermitFacilitation,
    )

    from .factories import tiny_png

    png = tiny_png()
    for suffix, tpl, region, user in (
        ("", world["tpl"], "82.71", world["facilitator"]),
        ("2", world["tpl2"], "73.71", world["facilitator2"]),
    ):
        business = Business(
            name=f"Sagu Lestari{suffix}",
            normalized_name=f"sagu lestari{suffix}",
            owner_name="Ibu Hasna",
            region_code=region,
            kbli="10792",
            size_class="mikro",
            workers=3,
            created_by_id=user.id,
        )
        mentorship = Mentorship(business=business, facilitator=tpl, start_date=on(2, 1))
        activity = Activity(
            facilitator=tpl,
            date=on(3, 10),
            type="kunjungan",
            description="Kunjungan ke tempat produksi",
            hours=Decimal("2.0"),
            businesses=[business],
        )
        evidence = Evidence(
            activity=activity,
            filename="foto.png",
            content_type="image/png",
            size=len(png),
            sha256=hashlib.sha256(png).hexdigest(),
            content=png,
            uploaded_by_id=user.id,
        )
        permit = PermitFacilitation(
            business=business, facilitator=tpl, permit_type="pirt", status="planned", planned_on=on(3, 12)
        )
        assessment = Assessment(
            business=business,
            facilitator=tpl,
            kind="baseline",
            assessed_on=on(3, 2),
            turnover=5_000_000,
            workers=3,
            market_reach="local",
        )
        month = MonthlyReport(facilitator=tpl, period=on(3, 1), status="draft")
        db.session.add_all([business, mentorship, activity, evidence, permit, assessment, month])
        world.update(
            {
                f"business{suffix}": business,
                f"mentorship{suffix}": mentorship,
                f"activity{suffix}": activity,
                f"evidence{suffix}": evidence,
                f"permit{suffix}": permit,
                f"assessment{suffix}": assessment,
                f"month{suffix}": month,
            }
        )
    db.session.commit()
    return world


def statements_for_get(app, client, url) -> int:
    """How many SQL statements one GET of `url` runs (it must answer 200)."""
    import sqlalchemy as sa

    statements = []

    def count(*_args):
        statements.append(1)

    with app.app_context():
        engine = _db.engine
    sa.event.listen(engine, "before_cursor_execute", count)
    try:
        response = client.get(url)
    finally:
        sa.event.remove(engine, "before_cursor_execute", count)
    assert response.status_code == 200
    return len(statements)


@contextlib.contextmanager
def refused_use_case(match: str | None = None):
    """Call a use case that must be refused, as its own unit of work.

    What the test did before is committed first (the boundaries of those earlier use cases would have), and the
    refused use case's writes are rolled back afterwards, as its own boundary would: `with refused_use_case() as
    refusal: service.call(...)`, then `refusal.value` is the ServiceError.
    """
    from tpl_tracker.services import ServiceError

    _db.session.commit()
    with pytest.raises(ServiceError, match=match) as refusal:
        yield refusal
    _db.session.rollback()


class Inbox:
    """What a local SMTP server (aiosmtpd) received: each message parsed; a recipient containing "refused" is
    refused, as a real server refuses an unknown mailbox."""

    def __init__(self):
        self.messages = []

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if "refused" in address:
            return "550 5.1.1 No such mailbox"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        from email import message_from_bytes
        from email.policy import default

        self.messages.append(message_from_bytes(envelope.content, policy=default))
        return "250 OK"

    def to(self, address: str) -> list:
        """The messages sent to an address."""
        return [message for message in self.messages if message["To"] == address]


def link_in(message) -> str:
    """The invitation or reset link of an email."""
    match = re.search(r"https?://\S+/auth/(?:invitation|reset)/\S+", message.get_content())
    assert match, message.get_content()
    return match.group(0)


@pytest.fixture(scope="session")
def smtp_server():
    """A local SMTP server for the whole session (aiosmtpd in a thread): its inbox and port."""
    import socket

    from aiosmtpd.controller import Controller

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    yield inbox, port
    controller.stop()


@pytest.fixture
def mailbox(app, smtp_server, monkeypatch):
    """Email set up for this test (MAIL_SERVER on the local SMTP server, PUBLIC_URL for the links): the inbox,
    emptied."""
    inbox, port = smtp_server
    inbox.messages.clear()
    monkeypatch.setitem(app.config, "MAIL_SERVER", "127.0.0.1")
    monkeypatch.setitem(app.config, "MAIL_PORT", port)
    monkeypatch.setitem(app.config, "PUBLIC_URL", "https://tpl.example.id")
    return inbox
