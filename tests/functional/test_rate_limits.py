"""Rate limits of the forms that check a password: 429 before any hash, per client, per account, for everyone;
the refusal page, its headers and its audit entry (once per window)."""

import pytest
import sqlalchemy as sa
from flask import template_rendered

from tpl_tracker.models import AuditEntry, Notification
from tpl_tracker.ratelimits import _refused_windows, forget_refusals
from tpl_tracker.services import auth as auth_service
from tpl_tracker.services.throttle import account_digest

from ..conftest import page_text, sign_in
from ..factories import PASSWORD

NEW_PASSWORD = "sagu lempeng dan teh manis"
HEADERS = ("Content-Security-Policy", "X-Content-Type-Options", "Referrer-Policy", "X-Frame-Options")


@pytest.fixture
def limits(app, monkeypatch):
    """Small limits, counted from zero (the testing configuration keeps them out of every other test's way)."""

    def _set(**values):
        for name, value in values.items():
            monkeypatch.setitem(app.config, f"RATELIMIT_{name}", value)

    forget_refusals()
    yield _set
    forget_refusals()


@pytest.fixture
def hashes(monkeypatch):
    """Counts the password checks (each one an Argon2id hash)."""
    calls = []
    real = auth_service.verify_password

    def counting(*args):
        calls.append(args)
        return real(*args)

    monkeypatch.setattr(auth_service, "verify_password", counting)
    return calls


def _post(client, email, password="wrong-password-1", addr="203.0.113.5"):
    return client.post("/auth/login", data={"email": email, "password": password}, environ_base={"REMOTE_ADDR": addr})


def _count(db, action: str) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(AuditEntry).where(AuditEntry.action == action))


def test_the_per_client_limit_refuses_with_429_before_any_hash(client, db, limits, hashes):
    limits(SIGNIN_PER_CLIENT="3 per minute")

    answers = [_post(client, f"orang{i}@example.id").status_code for i in range(6)]

    assert answers == [200, 200, 200, 429, 429, 429]
    assert len(hashes) == 3, "a refused request must not compute a hash"
    assert _post(client, "orang9@example.id", addr="203.0.113.6").status_code == 200, "another client is not held"


def test_the_per_account_limit_counts_unknown_addresses_from_every_client(client, db, limits, hashes):
    limits(PER_ACCOUNT="3 per minute")

    answers = [
        _post(client, email, addr=f"203.0.113.{i}").status_code
        for i, email in enumerate(
            ["nobody@example.id", "NoBody@Example.id", " nobody@example.id ", "nobody@example.id"]
        )
    ]

    assert answers == [200, 200, 200, 429], "the typed address, normalised, is the key"
    assert len(hashes) == 3
    assert _post(client, "somebody@example.id").status_code == 200


def test_the_limit_for_everyone_caps_the_hashing_work(client, db, limits, hashes):
    limits(SIGNIN_ALL="4 per second")

    answers = [_post(client, f"orang{i}@example.id", addr=f"198.51.100.{i}").status_code for i in range(6)]

    assert answers == [200] * 4 + [429] * 2
    assert len(hashes) == 4


def test_the_429_page_speaks_indonesian_has_the_security_headers_and_retry_after(client, db, limits):
    limits(SIGNIN_PER_CLIENT="1 per minute")
    _post(client, "orang@example.id")

    response = _post(client, "orang@example.id")

    assert response.status_code == 429
    assert "Terlalu banyak percobaan" in page_text(response)
    assert '<html lang="id"' in page_text(response)
    assert all(name in response.headers for name in HEADERS), response.headers
    assert response.headers["Cache-Control"] == "no-store"
    assert 1 <= int(response.headers["Retry-After"]) <= 60


def test_the_429_page_in_english(client, db, limits):
    limits(SIGNIN_PER_CLIENT="1 per minute")
    client.post("/language", data={"lang": "en"}, environ_base={"REMOTE_ADDR": "203.0.113.5"})
    _post(client, "orang@example.id")

    assert "Too many attempts" in page_text(_post(client, "orang@example.id"))


def test_a_refusal_is_audited_once_per_window_and_kept(client, db, limits):
    limits(SIGNIN_PER_CLIENT="2 per minute")

    for _i in range(6):
        _post(client, "orang@example.id")

    entries = list(db.session.scalars(sa.select(AuditEntry).where(AuditEntry.action == "rate_limited")))
    assert len(entries) == 1, "one entry per window, not one per refused request"
    assert entries[0].ip == "203.0.113.5"
    assert "signin-client" in entries[0].note and "/auth/login" in entries[0].note
    assert _count(db, "login_failed") == 2, "the failures before the limit are kept"


def test_the_audit_trail_never_holds_the_typed_address(client, db, limits, world):
    typed = ["Rahasia.Orang@Example.ID", "sandi-rahasia-salah-ketik", world["supervisor"].email.upper()]
    for text in typed:
        _post(client, text)
    limits(PER_ACCOUNT="1 per minute")
    _post(client, typed[0], addr="198.51.100.1")
    _post(client, typed[0], addr="198.51.100.2")

    rows = db.session.execute(sa.select(AuditEntry.note, AuditEntry.entity_id, AuditEntry.before, AuditEntry.after))
    stored = " ".join(str(value) for row in rows for value in row).lower()
    assert _count(db, "login_failed") == 4 and _count(db, "rate_limited") == 1
    assert "rahasia.orang" not in stored and "sandi-rahasia" not in stored
    assert f"account {account_digest(typed[0])}" in stored
    known = db.session.scalar(
        sa.select(AuditEntry).where(AuditEntry.action == "login_failed", AuditEntry.actor_id.is_not(None))
    )
    assert known.actor_id == world["supervisor"].id and known.entity_id == str(world["supervisor"].id)


def test_the_owner_signs_in_from_another_client_after_an_attackers_failures(app, client, db, limits, world):
    limits(SIGNIN_PER_CLIENT="8 per minute")
    email = world["admin"].email
    answers = [_post(client, email).status_code for _i in range(10)]
    assert answers == [200] * 8 + [429] * 2

    owner = app.test_client()
    assert sign_in(owner, email).status_code == 302
    assert _count(db, "login") == 1


def test_admins_are_notified_when_an_account_collects_failures(client, db, world, login_as):
    for i in range(10):
        _post(client, world["supervisor"].email, addr=f"198.51.100.{i % 3}")

    notes = list(db.session.scalars(sa.select(Notification).where(Notification.kind == "login_failures")))
    assert [n.user_id for n in notes] == [world["admin"].id]
    login_as("admin")
    page = page_text(client.get("/notifications/"))
    assert world["supervisor"].email in page


def test_wrong_current_passwords_are_counted_audited_shown_and_limited(client, db, limits, login_as, hashes):
    user = login_as("facilitator")
    limits(PASSWORD_CHANGE="3 per minute")
    form = {"current_password": "not my password", "new_password": NEW_PASSWORD, "confirm": NEW_PASSWORD}
    hashes.clear()

    answers = [client.post("/auth/password", data=form) for _i in range(4)]

    assert [a.status_code for a in answers] == [200, 200, 200, 429]
    assert "Kata sandi saat ini salah." in page_text(answers[0])
    assert len(hashes) == 3
    entries = list(db.session.scalars(sa.select(AuditEntry).where(AuditEntry.action == "password_change_failed")))
    assert len(entries) == 3 and all(e.actor_id == user.id and e.entity_id == str(user.id) for e in entries)
    assert _count(db, "rate_limited") == 1


def test_wrong_current_passwords_share_the_sign_in_delay(client, db, login_as):
    login_as("facilitator")
    form = {"current_password": "not my password", "new_password": NEW_PASSWORD, "confirm": NEW_PASSWORD}
    for _i in range(4):
        client.post("/auth/password", data=form)

    fifth = client.post("/auth/password", data=form)
    right = client.post("/auth/password", data={**form, "current_password": PASSWORD})

    assert "Coba lagi" in page_text(fifth) and "Coba lagi" in page_text(right)
    assert _count(db, "password_changed") == 0
    assert _count(db, "password_change_refused_delay") == 1


def test_admins_find_failed_attempts_by_the_typed_email(client, db, world, login_as):
    _post(client, "Rahasia.Orang@Example.ID")
    _post(client, "lain@example.id")
    login_as("admin")

    page = page_text(client.get("/admin/audit", query_string={"typed_email": " rahasia.orang@example.id"}))

    assert f"account {account_digest('rahasia.orang@example.id')}" in page
    assert account_digest("lain@example.id") not in page


def test_a_refusal_renders_no_template_and_runs_no_query_after_the_first_of_its_window(app, client, db, limits):
    limits(SIGNIN_PER_CLIENT="1 per minute")
    _post(client, "orang@example.id")
    _post(client, "orang@example.id")  # the first refusal of the window: audited
    statements, templates = [], []

    def count_statement(*_args):
        statements.append(_args[2])

    sa.event.listen(db.engine, "before_cursor_execute", count_statement)
    try:
        with template_rendered.connected_to(lambda _sender, template, **_kw: templates.append(template.name), app):
            responses = [_post(client, "orang@example.id") for _i in range(3)]
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", count_statement)

    assert [r.status_code for r in responses] == [429] * 3
    assert statements == [] and templates == []
    assert "Terlalu banyak percobaan" in page_text(responses[-1])
    assert all(name in responses[-1].headers for name in HEADERS)
    assert 1 <= int(responses[-1].headers["Retry-After"]) <= 60


def test_the_429_page_in_english_for_a_signed_in_user(client, db, limits, login_as):
    login_as("facilitator")
    limits(PASSWORD_CHANGE="1 per minute")
    client.post("/language", data={"lang": "en"})
    form = {"current_password": "not my password", "new_password": NEW_PASSWORD, "confirm": NEW_PASSWORD}
    client.post("/auth/password", data=form)

    response = client.post("/auth/password", data=form)

    assert response.status_code == 429
    assert '<html lang="en"' in page_text(response) and "Please wait" in page_text(response)
    assert response.headers["Cache-Control"] == "no-store" and "Retry-After" in response.headers
    assert _count(db, "rate_limited") == 1


def test_a_refusal_is_audited_once_per_window_by_all_workers_together(client, db, limits):
    limits(SIGNIN_PER_CLIENT="1 per minute")
    for _i in range(3):
        _post(client, "orang@example.id")
    _refused_windows.clear()  # another worker: it has not seen this window refused yet

    for _i in range(3):
        assert _post(client, "orang@example.id").status_code == 429

    assert _count(db, "rate_limited") == 1, "the mark in the shared storage decides"


def test_one_clients_refused_posts_do_not_use_up_the_ceiling_for_everyone(client, db, limits, hashes):
    limits(SIGNIN_PER_CLIENT="2 per minute", SIGNIN_ALL="4 per minute")

    flood = [_post(client, f"orang{i}@example.id").status_code for i in range(8)]
    others = [_post(client, f"lain{i}@example.id", addr=f"198.51.100.{i}").status_code for i in range(3)]

    assert flood == [200, 200] + [429] * 6
    assert others == [200, 200, 429], "the ceiling counts the posts that passed the other limits, and holds"
    assert len(hashes) == 4
    notes = set(db.session.scalars(sa.select(AuditEntry.note).where(AuditEntry.action == "rate_limited")))
    assert any("signin-client" in note for note in notes) and any("signin-all" in note for note in notes)


def _statements(db):
    """Collects the SQL statements run while in the block (a context manager over a list)."""
    from contextlib import contextmanager

    @contextmanager
    def counting():
        statements = []

        def count_statement(*args):
            statements.append(args[2])

        sa.event.listen(db.engine, "before_cursor_execute", count_statement)
        try:
            yield statements
        finally:
            sa.event.remove(db.engine, "before_cursor_execute", count_statement)

    return counting()


def test_the_gate_refuses_before_flask_runs_with_the_headers_and_retry_after(app, client, db, limits, monkeypatch):
    limits(SIGNIN_PER_CLIENT="1 per minute")
    _post(client, "orang@example.id")
    _post(client, "orang@example.id")  # the first refusal of the window: handed over to Flask, audited
    ran = []
    monkeypatch.setattr(app, "preprocess_request", lambda: ran.append("flask"))  # Flask's before_request hooks

    with _statements(db) as statements:
        responses = [_post(client, "orang@example.id") for _i in range(3)]

    assert [r.status_code for r in responses] == [429] * 3
    assert statements == [] and ran == [], "no query, and Flask never ran"
    response = responses[-1]
    assert "Terlalu banyak percobaan" in page_text(response) and "Too many attempts" in page_text(response)
    assert '<html lang="id"' in page_text(response)
    assert all(name in response.headers for name in HEADERS), response.headers
    assert response.headers["Cache-Control"] == "no-store" and "Set-Cookie" not in response.headers
    assert 1 <= int(response.headers["Retry-After"]) <= 60
    assert _count(db, "rate_limited") == 1


def test_a_sign_in_post_is_counted_once_against_the_per_client_limit(app, client, db, limits):
    from limits import parse

    from tpl_tracker.extensions import limiter

    limits(SIGNIN_PER_CLIENT="5 per minute")
    for i in range(2):
        assert _post(client, f"orang{i}@example.id").status_code == 200

    stats = limiter.limiter.get_window_stats(parse("5 per minute"), "tpl", "203.0.113.5", "signin-client")
    assert stats.remaining == 3, "the gate counts the post, Flask-Limiter does not count it again"
    assert [_post(client, f"lain{i}@example.id").status_code for i in range(4)] == [200, 200, 200, 429]


def test_the_gate_refuses_while_the_ceiling_for_everyone_is_full_without_counting(app, client, db, limits, hashes):
    limits(SIGNIN_ALL="2 per minute")
    answers = [_post(client, f"orang{i}@example.id", addr=f"198.51.100.{i}").status_code for i in range(3)]
    assert answers == [200, 200, 429]  # the third: handed over to Flask, which audits it

    with _statements(db) as statements:
        assert _post(client, "lain@example.id", addr="198.51.100.9").status_code == 429

    assert statements == []
    assert len(hashes) == 2
    assert _count(db, "rate_limited") == 1


def test_behind_a_proxy_the_gate_limits_the_forwarded_address(app, client, db, limits, monkeypatch):
    from werkzeug.middleware.proxy_fix import ProxyFix

    from tpl_tracker import create_app
    from tpl_tracker.ratelimits import SignInGate

    behind = create_app("testing", {"SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"], "PROXY_FIX": 1})
    assert isinstance(behind.wsgi_app, ProxyFix) and isinstance(behind.wsgi_app.app, SignInGate)
    assert isinstance(app.wsgi_app, SignInGate)
    forget_refusals()  # the new app's storage
    limits(SIGNIN_PER_CLIENT="2 per minute")
    monkeypatch.setattr(app, "wsgi_app", ProxyFix(app.wsgi_app, x_for=1, x_proto=1, x_host=1, x_port=1))

    def post(forwarded: str, proxy: str = "10.0.0.1"):
        return client.post(
            "/auth/login",
            data={"email": "orang@example.id", "password": "wrong-password-1"},
            headers={"X-Forwarded-For": forwarded},
            environ_base={"REMOTE_ADDR": proxy},
        ).status_code

    assert [post("203.0.113.9", proxy=f"10.0.0.{i}") for i in range(4)] == [200, 200, 429, 429]
    assert post("203.0.113.10") == 200, "another client behind the same proxy is not held"
    entry = db.session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "rate_limited"))
    assert entry.ip == "203.0.113.9" and "203.0.113.9" in entry.note


def test_the_gate_refuses_a_sign_in_post_while_the_process_has_enough_of_them_in_flask(app, client, db, limits):
    from tpl_tracker.ratelimits import SignInGate

    gate = app.wsgi_app
    assert isinstance(gate, SignInGate)
    held = 0
    while gate._in_flask.acquire(blocking=False):  # as if that many sign-ins were hashing in other threads
        held += 1
    try:
        with _statements(db) as statements:
            crowded = _post(client, "orang@example.id")
    finally:
        for _i in range(held):
            gate._in_flask.release()

    assert crowded.status_code == 429 and crowded.headers["Retry-After"] == "1"
    assert statements == [] and _count(db, "rate_limited") == 0, "a moment's crowding is not audited"
    assert all(name in crowded.headers for name in HEADERS)
    assert _post(client, "orang@example.id").status_code == 200
