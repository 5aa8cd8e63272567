"""Invitations and password resets over HTTP: the admin's pages, the "Lupa kata sandi?" form, the link pages, the
rate limits and the `flask accounts` commands."""

import re
from datetime import timedelta

import pytest
import sqlalchemy as sa

from tpl_tracker.models import AuditEntry, LinkState, PasswordLink, User
from tpl_tracker.ratelimits import forget_refusals
from tpl_tracker.services.passwords import verify_password
from tpl_tracker.services.users import has_usable_password, set_unusable_password

from ..clock import NOW
from ..conftest import link_in, sign_in
from ..conftest import page_text as _page
from ..conftest import ui_message as _message
from ..factories import PASSWORD, FacilitatorFactory, UserFactory

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


# --- the admin's pages ----------------------------------------------------------------------------------------------


def test_an_admin_creates_an_account_without_a_password_and_emails_the_invitation(app, client, login_as, db, mailbox):
    login_as("admin")
    form = client.get("/admin/users/new")
    assert 'name="invite"' in _page(form)

    response = client.post(
        "/admin/users/new",
        data={"full_name": "Rina Wati", "email": "Rina@Example.id", "role": "facilitator", "invite": "y"},
    )

    assert response.status_code == 302
    user = db.session.scalar(sa.select(User).where(User.email == "rina@example.id"))
    assert not has_usable_password(user)
    (message,) = mailbox.to("rina@example.id")
    assert message["Subject"] == "TPL Tracker: buat kata sandi akun Anda"
    page = _page(client.get(response.headers["Location"]))
    assert _message(app, "An invitation has been emailed to %(email)s.", email=user.email) in page
    assert _message(app, "No password yet: the owner sets one through an invitation link.") in page

    anonymous = app.test_client()
    path = _path(link_in(message))
    assert anonymous.post(path, data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD}).status_code == 302
    assert anonymous.get("/").status_code == 200
    assert sign_in(app.test_client(), "rina@example.id", NEW_PASSWORD).status_code == 302


def test_an_admin_may_still_type_the_first_password(client, login_as, db, mailbox):
    login_as("admin")
    client.post(
        "/admin/users/new",
        data={"full_name": "Budi", "email": "budi@example.id", "role": "evaluator", "password": NEW_PASSWORD},
    )
    assert sign_in(client.application.test_client(), "budi@example.id", NEW_PASSWORD).status_code == 302
    assert mailbox.messages == []


def test_the_user_page_emails_an_invitation_and_shows_its_state(app, client, login_as, db, invited, mailbox):
    login_as("admin")
    response = client.post(f"/admin/users/{invited.id}/invite")
    assert response.status_code == 302
    assert len(mailbox.to(invited.email)) == 1
    page = _page(client.get(f"/admin/users/{invited.id}"))
    assert _message(app, "Latest invitation") in page
    assert _message(app, "Valid") in page
    assert _count(db, "invitation_sent") == 1


def test_a_refused_invitation_email_is_shown_and_audited(app, client, login_as, db, mailbox):
    user = UserFactory(email="refused@example.id")
    login_as("admin")
    client.post(f"/admin/users/{user.id}/invite")
    page = _page(client.get(f"/admin/users/{user.id}"))
    assert _message(app, "The invitation could not be sent: the email server refused it or did not answer.") in page
    assert _message(app, "Could not be sent") in page
    assert _count(db, "invitation_failed") == 1


def test_without_email_the_admin_hands_over_a_link_shown_only_on_the_answer(app, client, login_as, db, invited):
    login_as("admin")
    page = _page(client.get(f"/admin/users/{invited.id}"))
    assert f'action="/admin/users/{invited.id}/invite"' not in page, "no email button without SMTP"

    response = client.post(f"/admin/users/{invited.id}/link", data={"purpose": "invitation"})

    assert response.status_code == 200
    url = re.search(r'id="link"[^>]*value="([^"]+)"', _page(response)).group(1)
    assert url.startswith("http://localhost/auth/invitation/")
    assert url not in _page(client.get(f"/admin/users/{invited.id}")), "shown once, on the answer only"
    with client.session_transaction() as session:
        assert url.rsplit("/", 1)[1] not in str(dict(session)), "never kept in the session cookie"
    assert _count(db, "invitation_link_shown") == 1
    assert app.test_client().get(_path(url)).status_code == 200


def test_the_admin_makes_a_reset_link_for_a_user_who_has_signed_in(app, client, login_as, db, world):
    login_as("admin")
    target = world["facilitator2"]
    target.last_login_at = NOW - timedelta(days=2)
    db.session.commit()
    page = _page(client.get(f"/admin/users/{target.id}"))
    assert 'value="invitation"' not in page, "no invitation for an account that has signed in"

    response = client.post(f"/admin/users/{target.id}/link", data={"purpose": "reset"})
    assert _count(db, "password_reset_link_shown") == 1
    url = re.search(r'id="link"[^>]*value="([^"]+)"', _page(response)).group(1)
    assert "/auth/reset/" in url

    refused = client.post(f"/admin/users/{target.id}/link", data={"purpose": "invitation"})
    assert refused.status_code == 302
    assert _message(app, "This account has already signed in: give its owner a password reset link instead.") in _page(
        client.get(refused.headers["Location"])
    )
    assert client.post(f"/admin/users/{target.id}/link", data={"purpose": "other"}).status_code == 400


@pytest.fixture
def accounts(db):
    """Six TPL accounts of Maluku Utara (angkatan 2024 and 2025, not the world's), the last one signed in."""
    made = []
    for i in range(6):
        user = UserFactory(email=f"akun{i}@example.id", full_name=f"TPL Nomor {i}")
        set_unusable_password(user)
        FacilitatorFactory(user=user, region_code="82.71", angkatan=2024 if i % 2 == 0 else 2025)
        made.append(user)
    made[5].last_login_at = NOW - timedelta(days=1)
    db.session.commit()
    return made


def test_the_invitations_page_lists_who_was_invited_and_who_signed_in(app, client, login_as, db, accounts, monkeypatch):
    monkeypatch.setitem(app.config, "PER_PAGE", 4)
    admin = login_as("admin")
    with app.test_request_context():
        from tpl_tracker.services.password_links import hand_over_link

        hand_over_link(admin, accounts[0], "invitation")
    db.session.commit()

    first = _page(client.get("/admin/users/invitations?q=TPL Nomor"))
    second = _page(client.get("/admin/users/invitations?q=TPL Nomor&page=2"))

    assert "TPL Nomor 0" in first and "TPL Nomor 4" in second
    assert _message(app, "%(total)d records", total=6) in first
    assert _message(app, "Handed over by an administrator") in first and _message(app, "Valid") in first
    assert _message(app, "No password yet") in first
    only = _page(client.get("/admin/users/invitations?signed_in=yes"))
    assert "TPL Nomor 5" in only and "TPL Nomor 0" not in only
    filtered = _page(client.get("/admin/users/invitations?angkatan=2025&province=82"))
    assert "TPL Nomor 1" in filtered and "TPL Nomor 0" not in filtered
    assert client.get("/admin/users/invitations?angkatan=dua").status_code == 200


def test_a_group_invitation_asks_first_then_queues_and_the_job_sends(app, client, login_as, db, accounts, mailbox):
    from tpl_tracker.jobs import send_account_emails

    login_as("admin")
    listing = _page(client.get("/admin/users/invitations?angkatan=2024"))
    assert 'href="/admin/users/invitations/send?angkatan=2024"' in listing

    confirm = client.get("/admin/users/invitations/send?angkatan=2024")
    assert _message(
        app,
        ("%(num)d account will be emailed an invitation.", "%(num)d accounts will be emailed an invitation."),
        num=3,
    ) in _page(confirm)
    assert _count(db, "invitations_queued") == 0 and mailbox.messages == [], "asking changes nothing"

    done = client.post("/admin/users/invitations/send?angkatan=2024")

    assert done.status_code == 302 and done.headers["Location"] == "/admin/users/invitations?angkatan=2024"
    assert _count(db, "invitations_queued") == 1
    assert send_account_emails(NOW.date()) == 3
    assert {m["To"] for m in mailbox.messages} == {"akun0@example.id", "akun2@example.id", "akun4@example.id"}
    again = _page(client.get("/admin/users/invitations/send?angkatan=2024"))
    assert _message(app, NOBODY_WAITING) in again


def test_without_email_a_group_invitation_is_refused(app, client, login_as, db, accounts):
    login_as("admin")
    assert "MAIL_SERVER" in _page(client.get("/admin/users/invitations/send"))
    response = client.post("/admin/users/invitations/send")
    assert response.status_code == 302
    assert db.session.scalar(sa.select(sa.func.count()).select_from(PasswordLink)) == 0


# --- flask accounts ---------------------------------------------------------------------------------------------------


def test_the_invite_command_prints_a_working_link_without_smtp(app, client, db, invited):
    runner = app.test_cli_runner()
    refused = runner.invoke(args=["accounts", "invite", "--email", invited.email])
    assert refused.exit_code != 0 and "PUBLIC_URL" in refused.output

    result = runner.invoke(
        args=["accounts", "invite", "--email", "RINA@example.id", "--site-url", "https://tpl.example.id"]
    )

    assert result.exit_code == 0, result.output
    url = re.search(r"https://tpl\.example\.id/auth/invitation/\S+", result.output).group(0)
    assert client.get(_path(url)).status_code == 200
    assert [link.state() for link in _links(db, invited)] == [LinkState.VALID]
    unknown = runner.invoke(args=["accounts", "invite", "--email", "nobody@example.id"])
    assert unknown.exit_code != 0 and "nobody@example.id" in unknown.output


def test_the_invite_command_emails_with_smtp(app, db, invited, mailbox):
    result = app.test_cli_runner().invoke(args=["accounts", "invite", "--email", invited.email])
    assert result.exit_code == 0, result.output
    assert len(mailbox.to(invited.email)) == 1 and "/auth/" not in result.output
    printed = app.test_cli_runner().invoke(args=["accounts", "invite", "--email", invited.email, "--print-link"])
    assert "https://tpl.example.id/auth/invitation/" in printed.output
    assert [link.state() for link in _links(db, invited)] == [LinkState.REPLACED, LinkState.VALID]


def test_the_reset_link_command(app, client, db, world, monkeypatch):
    monkeypatch.setitem(app.config, "PUBLIC_URL", "https://tpl.example.id")
    result = app.test_cli_runner().invoke(args=["accounts", "reset-link", "--email", world["evaluator"].email])
    assert result.exit_code == 0, result.output
    url = re.search(r"https://tpl\.example\.id/auth/reset/\S+", result.output).group(0)
    assert client.get(_path(url)).status_code == 200
    assert _count(db, "password_reset_link_shown") == 1


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
