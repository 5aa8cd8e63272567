"""Signing in and out over HTTP: redirects, sessions that really end, lockout, CSRF, headers, language."""

import pytest
import sqlalchemy as sa

from tpl_tracker import create_app
from tpl_tracker.extensions import db as _db
from tpl_tracker.models import AuditEntry

from ..conftest import IsolatedClient, csrf_token_from, sign_in
from ..conftest import page_text as _page
from ..conftest import ui_message as _message
from ..factories import PASSWORD

NEW_PASSWORD = "sagu lempeng dan teh manis"


def _count(db, action: str) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(AuditEntry).where(AuditEntry.action == action))


def _goes_to_login(response) -> bool:
    return response.status_code == 302 and response.headers["Location"].startswith("/auth/login")


def _set_cookies(response, name: str) -> list[str]:
    return [c for c in response.headers.getlist("Set-Cookie") if c.startswith(f"{name}=")]


# --- the login page -------------------------------------------------------------------------


def test_login_page_opens(client):
    response = client.get("/auth/login")
    assert response.status_code == 200
    assert 'name="email"' in response.get_data(as_text=True)
    assert 'name="password"' in response.get_data(as_text=True)


def test_login_page_hides_demo_accounts_by_default(app, client):
    assert app.config["SHOW_DEMO_ACCOUNTS"] is False
    page = _page(client.get("/auth/login"))
    assert "demo-tpl-2026" not in page
    assert "admin@demo.tpl.id" not in page


def test_login_page_shows_demo_accounts_when_configured(app, client, monkeypatch):
    monkeypatch.setitem(app.config, "SHOW_DEMO_ACCOUNTS", True)
    page = _page(client.get("/auth/login"))
    assert "admin@demo.tpl.id" in page
    assert "demo-tpl-2026" in page


# --- signing in and the `next` parameter ----------------------------------------------------


def test_login_success_redirects_home(client, world, db):
    response = sign_in(client, world["supervisor"].email)
    assert response.status_code == 302
    assert response.headers["Location"] == "/"
    assert client.get("/").status_code == 200
    assert _count(db, "login") == 1


def test_login_with_a_wrong_password_stays_on_the_page(app, client, world, db):
    response = sign_in(client, world["supervisor"].email, "not the password")
    assert response.status_code == 200
    assert _message(app, "Wrong email or password.") in _page(response)
    assert _goes_to_login(client.get("/"))
    assert _count(db, "login") == 0


def test_login_follows_a_local_next(client, world):
    response = client.post("/auth/login?next=/tpl/", data={"email": world["admin"].email, "password": PASSWORD})
    assert response.status_code == 302
    assert response.headers["Location"] == "/tpl/"


@pytest.mark.parametrize(
    "target",
    [
        "//evil.example",
        "/\\evil.example",
        "https://evil.example",
        "javascript:alert(1)",
        "/\t/evil.example",
        "///evil.example",
        "\\\\evil.example",
        "http:/evil.example",
        " //evil.example",
    ],
)
def test_login_ignores_a_foreign_next(client, world, target):
    response = client.post(
        "/auth/login", query_string={"next": target}, data={"email": world["admin"].email, "password": PASSWORD}
    )
    assert response.status_code == 302
    assert response.headers["Location"] == "/", f"next={target!r} must not be followed"


def test_signed_in_visitor_opening_login_is_sent_on(client, login_as):
    login_as("admin")
    assert client.get("/auth/login?next=//evil.example").headers["Location"] == "/"
    assert client.get("/auth/login?next=/tpl/").headers["Location"] == "/tpl/"


def test_anonymous_visitor_is_sent_to_login_with_next(client, world):
    response = client.get("/tpl/")
    assert _goes_to_login(response)
    assert "next=" in response.headers["Location"]


# --- signing out: the old cookie is useless -------------------------------------------------


def test_logout_is_post_only(client, login_as):
    login_as("supervisor")
    assert client.get("/auth/logout").status_code == 405
    assert client.get("/").status_code == 200, "a GET must not sign the user out"


def test_logout_ends_the_session_and_kills_the_old_cookie(app, client, login_as, db):
    login_as("supervisor")
    old_cookie = client.get_cookie("session").value

    response = client.post("/auth/logout")

    assert _goes_to_login(response)
    assert _goes_to_login(client.get("/"))
    assert _count(db, "logout") == 1
    replay = app.test_client()
    replay.set_cookie("session", old_cookie, domain="localhost")
    assert _goes_to_login(replay.get("/")), "a session cookie saved before the logout must not work"


def test_logout_keeps_the_chosen_language(client, login_as):
    login_as("supervisor")
    client.post("/language", data={"lang": "en"})
    client.post("/auth/logout")
    assert '<html lang="en"' in client.get("/auth/login").get_data(as_text=True)


def test_password_change_ends_other_sessions_but_keeps_this_one(app, world, db):
    email = world["supervisor"].email
    other_device, this_device = app.test_client(), app.test_client()
    assert sign_in(other_device, email).status_code == 302
    assert sign_in(this_device, email).status_code == 302
    old_cookie = other_device.get_cookie("session").value

    response = this_device.post(
        "/auth/password", data={"current_password": PASSWORD, "new_password": NEW_PASSWORD, "confirm": NEW_PASSWORD}
    )

    assert response.status_code == 302, _page(response)[:500]
    assert this_device.get("/").status_code == 200, "the device that changed the password stays signed in"
    assert _goes_to_login(other_device.get("/")), "other devices must be signed out"
    replay = app.test_client()
    replay.set_cookie("session", old_cookie, domain="localhost")
    assert _goes_to_login(replay.get("/"))
    assert sign_in(app.test_client(), email, NEW_PASSWORD).status_code == 302


def test_password_change_keeps_the_chosen_language(client, login_as):
    """Signing in keeps the language chosen before (auth/routes.py login); changing the password must too."""
    client.post("/language", data={"lang": "en"})
    login_as("supervisor")

    response = client.post(
        "/auth/password", data={"current_password": PASSWORD, "new_password": NEW_PASSWORD, "confirm": NEW_PASSWORD}
    )

    assert response.status_code == 302
    with client.session_transaction() as session:
        assert session.get("lang") == "en", (
            "changing the password lost the chosen language (auth/routes.py _start_session() must keep it)"
        )


def test_password_change_with_a_wrong_current_password_changes_nothing(app, client, login_as, db):
    login_as("supervisor")
    response = client.post(
        "/auth/password",
        data={"current_password": "not my password", "new_password": NEW_PASSWORD, "confirm": NEW_PASSWORD},
    )
    assert response.status_code == 200
    assert _message(app, "The current password is wrong.") in _page(response)
    assert _count(db, "password_changed") == 0
    assert client.get("/").status_code == 200


def test_password_change_names_every_mistake_in_one_submit(app, client, login_as, db):
    user = login_as("supervisor")
    hashed = user.password_hash
    response = client.post("/auth/password", data={"current_password": "", "new_password": "short", "confirm": "other"})
    assert response.status_code == 200
    text = _page(response)
    for message, values in (
        ("This field is required.", {}),
        ("The password must have at least %(n)d characters.", {"n": 8}),
        ("The two passwords differ.", {}),
    ):
        assert _message(app, message, **values) in text
    # A wrong current password is named beside the new password's problem (and counted, as on its own).
    response = client.post(
        "/auth/password", data={"current_password": "not my password", "new_password": "password123", "confirm": ""}
    )
    text = _page(response)
    for message in ("The current password is wrong.", "This password is too common; choose a less predictable one."):
        assert _message(app, message) in text
    assert _message(app, "This field is required.") in text
    assert _count(db, "password_changed") == 0 and _count(db, "password_change_failed") == 1
    db.session.expire_all()
    assert db.session.get(type(user), user.id).password_hash == hashed
    assert client.get("/").status_code == 200


# --- session limits -------------------------------------------------------------------------


def test_idle_session_ends_after_30_minutes(client, login_as):
    login_as("supervisor")
    with client.session_transaction() as session:
        session["last_seen"] -= 31 * 60

    assert _goes_to_login(client.get("/"))
    assert _goes_to_login(client.get("/")), "the session must stay ended"


def test_session_used_within_30_minutes_stays(client, login_as):
    login_as("supervisor")
    with client.session_transaction() as session:
        session["last_seen"] -= 29 * 60

    assert client.get("/").status_code == 200


def test_session_ends_13_hours_after_login_even_when_active(client, login_as):
    login_as("supervisor")
    with client.session_transaction() as session:
        session["login_at"] -= 13 * 3600

    assert _goes_to_login(client.get("/"))


def test_session_within_12_hours_of_login_stays(client, login_as):
    login_as("supervisor")
    with client.session_transaction() as session:
        session["login_at"] -= 11 * 3600

    assert client.get("/").status_code == 200


# --- "keep me signed in" --------------------------------------------------------------------


def test_remember_me_sets_a_httponly_lax_cookie(client, world):
    response = sign_in(client, world["supervisor"].email, remember="y")
    (cookie,) = _set_cookies(response, "remember_token")
    attributes = [part.strip().lower() for part in cookie.split(";")]
    assert "httponly" in attributes
    assert "samesite=lax" in attributes


def test_no_remember_cookie_without_remember_me(client, world):
    response = sign_in(client, world["supervisor"].email)
    assert response.status_code == 302
    assert _set_cookies(response, "remember_token") == []


def test_session_cookie_is_httponly_and_lax(client, world):
    (cookie,) = _set_cookies(sign_in(client, world["supervisor"].email), "session")
    attributes = [part.strip().lower() for part in cookie.split(";")]
    assert "httponly" in attributes
    assert "samesite=lax" in attributes


def test_remember_cookie_restores_a_session_until_logout(app, client, world):
    sign_in(client, world["supervisor"].email, remember="y")
    remember = client.get_cookie("remember_token").value

    returning = app.test_client()  # the browser was closed: only the remember cookie is left
    returning.set_cookie("remember_token", remember, domain="localhost")
    assert returning.get("/").status_code == 200

    client.post("/auth/logout")
    after_logout = app.test_client()
    after_logout.set_cookie("remember_token", remember, domain="localhost")
    assert _goes_to_login(after_logout.get("/")), "a remember cookie must die with the logout"


# --- security headers -----------------------------------------------------------------------


def test_security_headers_on_the_login_page(client):
    response = client.get("/auth/login")
    csp = response.headers["Content-Security-Policy"]
    directives = {d.strip().split()[0]: d.strip() for d in csp.split(";") if d.strip()}
    assert "object-src 'none'" in csp
    assert "base-uri 'none'" in csp
    assert "frame-ancestors 'none'" in csp
    script_src = directives.get("script-src", directives.get("default-src"))
    assert "'unsafe-inline'" not in script_src
    assert "'unsafe-eval'" not in script_src
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers.get("Referrer-Policy")


def test_signed_in_pages_are_not_cached(client, login_as):
    login_as("supervisor")
    response = client.get("/")
    assert response.status_code == 200
    assert "no-store" in response.headers["Cache-Control"]


# --- CSRF -----------------------------------------------------------------------------------


@pytest.fixture
def csrf_client(app):
    """A client of a second app on the same database, with CSRF protection on (its default)."""
    csrf_app = create_app("testing", {"SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"]})
    assert csrf_app.config["WTF_CSRF_ENABLED"] is True
    csrf_app.test_client_class = IsolatedClient
    yield csrf_app.test_client()
    with csrf_app.app_context():
        _db.engine.dispose()


def test_login_without_csrf_token_is_refused(csrf_client, world, db):
    csrf_client.get("/auth/login")
    response = sign_in(csrf_client, world["supervisor"].email)
    assert response.status_code == 400
    assert _count(db, "login") == 0
    assert _goes_to_login(csrf_client.get("/"))


def test_login_with_a_wrong_csrf_token_is_refused(csrf_client, world, db):
    csrf_client.get("/auth/login")
    response = sign_in(csrf_client, world["supervisor"].email, csrf_token="forged-token")
    assert response.status_code == 400
    assert _count(db, "login") == 0


def test_login_with_the_csrf_token_of_the_page_works(csrf_client, world, db):
    token = csrf_token_from(csrf_client.get("/auth/login").get_data(as_text=True))
    response = sign_in(csrf_client, world["supervisor"].email, csrf_token=token)
    assert response.status_code == 302
    assert _count(db, "login") == 1
    assert csrf_client.get("/").status_code == 200


def test_logout_without_csrf_token_does_not_sign_out(csrf_client, world, db):
    token = csrf_token_from(csrf_client.get("/auth/login").get_data(as_text=True))
    sign_in(csrf_client, world["supervisor"].email, csrf_token=token)

    csrf_client.post("/auth/logout")

    assert _count(db, "logout") == 0
    assert csrf_client.get("/").status_code == 200


# --- failed sign-ins through the form: the client waits, the owner elsewhere does not ------------------


def test_a_client_that_failed_five_times_waits_but_the_owner_elsewhere_signs_in(app, client, world, db):
    email = world["supervisor"].email
    wrong = _message(app, "Wrong email or password.")
    waiting = _message(
        app,
        (
            "Too many failed attempts from this device. Try again in %(num)d minute.",
            "Too many failed attempts from this device. Try again in %(num)d minutes.",
        ),
        num=1,
    )
    attacker = {"REMOTE_ADDR": "198.51.100.9"}

    for attempt in range(4):
        response = client.post("/auth/login", data={"email": email, "password": "nope"}, environ_base=attacker)
        assert response.status_code == 200
        assert wrong in _page(response), f"attempt {attempt + 1}"
    fifth = client.post("/auth/login", data={"email": email, "password": "nope"}, environ_base=attacker)
    assert waiting in _page(fifth)
    refused = client.post("/auth/login", data={"email": email, "password": PASSWORD}, environ_base=attacker)
    assert refused.status_code == 200, "a waiting client is not signed in, even with the right password"
    assert waiting in _page(refused)
    assert _goes_to_login(client.get("/", environ_base=attacker))
    assert _count(db, "login_failed") == 5 and _count(db, "login_refused_delay") == 1

    owner = app.test_client()
    assert sign_in(owner, email).status_code == 302, "the owner on another device is not locked out"
    assert _count(db, "login") == 1


# --- language -------------------------------------------------------------------------------


def test_default_language_is_indonesian(client):
    assert '<html lang="id"' in client.get("/auth/login").get_data(as_text=True)


def test_switching_to_english(client):
    response = client.post("/language", data={"lang": "en"})
    assert response.status_code == 302
    assert '<html lang="en"' in client.get("/auth/login").get_data(as_text=True)


def test_switching_language_follows_a_local_next_only(client):
    assert client.post("/language", data={"lang": "en", "next": "/auth/login"}).headers["Location"] == "/auth/login"
    assert client.post("/language", data={"lang": "en", "next": "//evil.example"}).headers["Location"] == "/"


def test_unknown_language_is_refused(client):
    assert client.post("/language", data={"lang": "xx"}).status_code == 400
    assert '<html lang="id"' in client.get("/auth/login").get_data(as_text=True)


def test_language_survives_signing_in(client, world):
    client.post("/language", data={"lang": "en"})
    sign_in(client, world["supervisor"].email)
    assert '<html lang="en"' in client.get("/").get_data(as_text=True)
