"""Invitations and password resets over HTTP: the admin's pages, the "Lupa kata sandi?" form, the link pages, the
rate limits and the `flask accounts` commands."""

import re
from datetime import timedelta

import pytest
import sqlalchemy as sa

from tpl_tracker.models import AuditEntry, PasswordLink, User
from tpl_tracker.ratelimits import forget_refusals
from tpl_tracker.services.passwords import verify_password
from tpl_tracker.services.users import has_usable_password, set_unusable_password

from ..clock import NOW
from ..conftest import link_in, sign_in
from ..conftest import page_text as _page
from ..conftest import ui_message as _message
from ..factories import PASSWORD, UserFactory

NEW_PASSWORD = "sagu lempeng dan teh manis"
NO_EMAIL = (
    "This server sends no email. Ask your administrator for a password reset link: they can make one for your account."
)
NOBODY_WAITING = (
    "No account of these filters is waiting for an invitation: every one has signed in, is deactivated, or holds a "
    "valid invitation."
)
SENT = "If this address belongs to an active account, a link to choose a new password is on its way to it (within a few minutes). The link works once, for one hour."  # noqa: E501


def _count(db, action: str) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(AuditEntry).where(AuditEntry.action == action))


def _path(url: str) -> str:
    """The local part of a link (the test client speaks to the app directly)."""
    return re.sub(r"^https?://[^/]+", "", url)


def _links(db, user) -> list[PasswordLink]:
    db.session.expire_all()
    return list(db.session.scalars(sa.select(PasswordLink).where(PasswordLink.user_id == user.id)))


@pytest.fixture
def invited(db):
    user = UserFactory(email="rina@example.id", full_name="Rina Wati")
    set_unusable_password(user)
    db.session.commit()
    return user


# --- the sign-in page and "Lupa kata sandi?" ------------------------------------------------------------------------


def test_the_sign_in_page_links_to_the_forgotten_password_form(client):
    text = _page(client.get("/auth/login"))
    assert 'href="/auth/forgot"' in text and "Lupa kata sandi?" in text


def test_without_email_the_form_sends_people_to_the_administrator(app, client, db, world):
    for response in (client.get("/auth/forgot"), client.post("/auth/forgot", data={"email": world["admin"].email})):
        text = _page(response)
        assert response.status_code == 200
        assert _message(app, NO_EMAIL) in text
        assert 'name="email"' not in text
    assert db.session.scalar(sa.select(sa.func.count()).select_from(PasswordLink)) == 0


def _without_token(html: str) -> str:
    return re.sub(r'name="csrf_token"[^>]*', "", html)


def test_the_answer_is_the_same_for_a_known_and_an_unknown_address(app, client, db, world, mailbox):
    known = client.post("/auth/forgot", data={"email": world["supervisor"].email})
    unknown = client.post("/auth/forgot", data={"email": "nobody@example.id"})
    deactivated = UserFactory(email="off@example.id", is_enabled=False)
    off = client.post("/auth/forgot", data={"email": deactivated.email})

    assert known.status_code == unknown.status_code == off.status_code == 200
    assert _without_token(_page(known)) == _without_token(_page(unknown)) == _without_token(_page(off))
    assert _message(app, SENT) in _page(known)
    assert world["supervisor"].email not in _page(known), "the page does not repeat the address"
    assert mailbox.messages == [], "the request itself sends nothing: the job does, for everyone alike"
    assert [link.user_id for link in db.session.scalars(sa.select(PasswordLink))] == [world["supervisor"].id]
    assert _count(db, "password_reset_requested") == 3


def test_a_reset_from_the_form_to_a_new_password_ends_the_other_sessions(app, client, db, world, mailbox):
    from tpl_tracker.jobs import send_account_emails

    supervisor = world["supervisor"]
    elsewhere = app.test_client()
    assert sign_in(elsewhere, supervisor.email).status_code == 302
    client.post("/auth/forgot", data={"email": supervisor.email.upper()})
    assert send_account_emails(NOW.date()) == 1
    (message,) = mailbox.to(supervisor.email)
    assert message["Subject"] == "TPL Tracker: atur ulang kata sandi Anda"
    path = _path(link_in(message))

    page = client.get(path)
    assert page.status_code == 200 and supervisor.email in _page(page)
    response = client.post(path, data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})

    assert response.status_code == 302 and response.headers["Location"] == "/"
    assert client.get("/").status_code == 200, "signed in with the new password's session"
    assert elsewhere.get("/").status_code == 302, "the other session has ended"
    db.session.expire_all()
    assert verify_password(db.session.get(User, supervisor.id).password_hash, NEW_PASSWORD)
    assert _count(db, "password_reset_used") == 1
    again = client.post(path, data={"password": "another long passphrase", "confirm": "another long passphrase"})
    assert again.status_code == 410
    assert _message(app, "The link has already been used.") in _page(again)
    assert _count(db, "password_reset_refused") == 1
    assert sign_in(app.test_client(), supervisor.email, NEW_PASSWORD).status_code == 302


def test_an_expired_reset_link_is_refused_and_audited(app, client, db, world, mailbox, time_machine):
    from tpl_tracker.jobs import send_account_emails

    client.post("/auth/forgot", data={"email": world["evaluator"].email})
    send_account_emails(NOW.date())
    path = _path(link_in(mailbox.messages[0]))
    time_machine.move_to(NOW + timedelta(minutes=61), tick=False)

    response = client.get(path)

    assert response.status_code == 410
    assert _message(app, "The link has expired.") in _page(response)
    entry = db.session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "password_reset_refused"))
    assert entry.note.endswith(": expired") and entry.entity_id == str(world["evaluator"].id)
    posted = client.post(path, data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert posted.status_code == 410
    db.session.expire_all()
    assert verify_password(db.session.get(User, world["evaluator"].id).password_hash, PASSWORD)


def test_a_newer_reset_link_makes_the_older_one_useless(app, client, db, world, mailbox):
    from tpl_tracker.jobs import send_account_emails

    for _round in range(2):
        client.post("/auth/forgot", data={"email": world["evaluator"].email})
        send_account_emails(NOW.date())
    older, newer = (_path(link_in(message)) for message in mailbox.messages)
    assert client.get(older).status_code == 410
    assert _message(app, "The link has been replaced by a newer one or withdrawn.") in _page(client.get(older))
    assert client.get(newer).status_code == 200


def test_an_unknown_link_is_not_found(app, client, db):
    for path in ("/auth/reset/abc", "/auth/invitation/abc", "/auth/reset/" + "x" * 300):
        response = client.get(path)
        assert response.status_code == 404
        assert _message(app, "The link is not valid. Check that it was copied whole.") in _page(response)
    assert _count(db, "password_reset_refused") == 0, "a made-up token leaves no entry"


def test_the_new_password_follows_the_rules(app, client, db, invited):
    with app.test_request_context():
        from tpl_tracker.services.password_links import hand_over_link

        url, _link = hand_over_link(None, invited, "invitation")
    db.session.commit()
    path = _path(url)

    weak = client.post(path, data={"password": "password123", "confirm": "password123"})
    differ = client.post(path, data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD + "!"})

    assert weak.status_code == 200
    assert _message(app, "This password is too common; choose a less predictable one.") in _page(weak)
    assert _message(app, "The two passwords differ.") in _page(differ)
    db.session.expire_all()
    assert not has_usable_password(db.session.get(User, invited.id))
    assert client.post(path, data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD}).status_code == 302


# --- rate limits ----------------------------------------------------------------------------------------------------


@pytest.fixture
def limits(app, monkeypatch):
    def _set(**values):
        for name, value in values.items():
            monkeypatch.setitem(app.config, f"RATELIMIT_{name}", value)

    forget_refusals()
    yield _set
    forget_refusals()


def _ask(client, email, addr="203.0.113.5"):
    return client.post("/auth/forgot", data={"email": email}, environ_base={"REMOTE_ADDR": addr})


def test_reset_requests_are_limited_per_address_from_every_client(app, client, db, world, mailbox, limits):
    limits(PASSWORD_RESET_PER_ACCOUNT="2 per hour")
    email = world["supervisor"].email

    answers = [
        _ask(client, typed, f"198.51.100.{i}").status_code for i, typed in enumerate([email, email.upper(), email])
    ]

    assert answers == [200, 200, 429]
    assert _ask(client, "nobody@example.id").status_code == 200, "another address is not held"
    assert _count(db, "password_reset_requested") == 3
    assert _count(db, "rate_limited") == 1


def test_reset_requests_are_limited_per_client(app, client, db, mailbox, limits):
    limits(PASSWORD_RESET="3 per hour")

    answers = [_ask(client, f"orang{i}@example.id").status_code for i in range(5)]

    assert answers == [200, 200, 200, 429, 429]
    refused = _ask(client, "orang9@example.id")
    assert "Terlalu banyak percobaan" in _page(refused) and int(refused.headers["Retry-After"]) > 0
    assert _ask(client, "orang9@example.id", addr="203.0.113.77").status_code == 200, "another client is not held"


def test_production_with_email_needs_the_public_address(app, monkeypatch):
    """Links in emails are built on PUBLIC_URL, never on a Host header a stranger chose."""
    from tpl_tracker import create_app

    monkeypatch.setenv("SECRET_KEY", "x" * 40)
    monkeypatch.setenv("DATABASE_URL", app.config["SQLALCHEMY_DATABASE_URI"])
    monkeypatch.setenv("MAIL_SERVER", "smtp.example.id")
    monkeypatch.delenv("PUBLIC_URL", raising=False)
    with pytest.raises(RuntimeError, match="PUBLIC_URL"):
        create_app("production")
    monkeypatch.setenv("PUBLIC_URL", "https://tpl.example.id")
    assert create_app("production", {"SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"]})
