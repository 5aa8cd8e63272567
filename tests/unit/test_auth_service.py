"""Sign-in with lockout counted in the database, and changing one's password."""

import re
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import ngettext

from tpl_tracker.models import AuditEntry, Notification, Role, SignInThrottle, User
from tpl_tracker.services import ServiceError, throttle
from tpl_tracker.services import auth as auth_service
from tpl_tracker.services.auth import authenticate, change_password
from tpl_tracker.services.passwords import verify_password

from ..clock import NOW
from ..factories import PASSWORD, UserFactory

WRONG = "Wrong email or password."
WAITING = (
    "Too many failed attempts from this device. Try again in %(num)d minute.",
    "Too many failed attempts from this device. Try again in %(num)d minutes.",
)
CLIENT = "192.0.2.7"
DEACTIVATED = "This account has been deactivated. Contact your administrator."
NEW_PASSWORD = "sagu lempeng dan teh manis"


def _waiting_pattern() -> str:
    """The message of a client that must wait, whatever the number of minutes."""
    return "|".join(re.escape(ngettext(*WAITING, n)).replace(str(n), r"\d+") for n in (1, 4242))


def _actions(db, user=None) -> list[str]:
    query = sa.select(AuditEntry.action).order_by(AuditEntry.id)
    if user is not None:
        query = query.where(AuditEntry.entity_type == "users", AuditEntry.entity_id == str(user.id))
    return list(db.session.scalars(query))


def _fail(email: str, times: int, client: str = CLIENT) -> list[ServiceError]:
    errors = []
    for _i in range(times):
        with pytest.raises(ServiceError) as caught:
            authenticate(email, "wrong password", client=client)
        errors.append(caught.value)
    return errors


@pytest.fixture
def user(db):
    return UserFactory(email="rahmat@example.id")


def test_success_returns_the_user_resets_counters_and_audits(db, user):
    user.failed_login_count = 4
    user.failed_login_window_start = NOW - timedelta(minutes=2)
    db.session.commit()

    signed_in = authenticate("  Rahmat@Example.ID ", PASSWORD)

    assert signed_in.id == user.id
    db.session.refresh(user)
    assert user.failed_login_count == 0
    assert user.failed_login_window_start is None
    assert user.locked_until is None
    assert user.last_login_at is not None
    entry = db.session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "login"))
    assert entry is not None, "a successful sign-in must be audited"
    assert entry.actor_id == user.id and entry.entity_id == str(user.id)


def test_wrong_password_is_counted_on_the_user_row(db, user):
    errors = _fail(user.email, 3)

    assert all(e.message == _(WRONG) for e in errors)
    db.session.refresh(user)
    assert user.failed_login_count == 3
    assert user.failed_login_window_start is not None
    assert user.locked_until is None
    assert _actions(db, user) == ["login_failed"] * 3


def _throttle(db, client, email):
    return db.session.scalar(
        sa.select(SignInThrottle).where(
            SignInThrottle.client == client, SignInThrottle.account == throttle.account_digest(email)
        )
    )


def test_four_failures_from_a_client_do_not_delay_it(db, user):
    _fail(user.email, 4)
    assert authenticate(user.email, PASSWORD, client=CLIENT).id == user.id
    assert _throttle(db, CLIENT, user.email) is None, "the right password forgets the client's failures"


def test_the_fifth_failure_makes_that_client_wait_even_for_the_right_password(db, app, user):
    assert app.config["LOGIN_CLIENT_FREE_FAILURES"] == 5
    errors = _fail(user.email, 5)

    assert errors[-1].message != _(WRONG), "the 5th failure must say that this device has to wait"
    assert re.fullmatch(_waiting_pattern(), errors[-1].message), errors[-1].message
    row = _throttle(db, CLIENT, user.email)
    assert row.failures == 5 and row.blocked_until == NOW + timedelta(minutes=1)

    with pytest.raises(ServiceError) as caught:
        authenticate(user.email, PASSWORD, client=CLIENT)
    assert re.fullmatch(_waiting_pattern(), caught.value.message), caught.value.message
    assert "login" not in _actions(db, user)
    assert _actions(db, user)[-1] == "login_refused_delay"
    db.session.refresh(user)
    assert user.locked_until is None, "the account itself is never locked"


def test_the_owner_signs_in_from_another_client_while_the_attacker_waits(db, user):
    _fail(user.email, 8)

    assert authenticate(user.email, PASSWORD, client="10.9.9.9").id == user.id
    assert _throttle(db, CLIENT, user.email).blocked_until > NOW, "the attacker's client still waits"


def test_each_further_failure_doubles_the_wait_up_to_the_maximum(db, app, user, time_machine):
    waits = []
    for _failure in range(1, 14):
        with pytest.raises(ServiceError):
            authenticate(user.email, "wrong password", client=CLIENT)
        row = _throttle(db, CLIENT, user.email)
        waits.append(row.blocked_until - datetime.now(UTC) if row.blocked_until else None)
        if row.blocked_until:
            time_machine.move_to(row.blocked_until, tick=False)
    minutes = [int(w.total_seconds() // 60) if w else 0 for w in waits]
    assert minutes == [0, 0, 0, 0, 1, 2, 4, 8, 16, 32, 60, 60, 60]


def test_a_waiting_client_is_refused_before_any_hash_is_computed(db, user, monkeypatch):
    _fail(user.email, 5)
    calls = []
    monkeypatch.setattr(auth_service, "verify_password", lambda *args: calls.append(args) or True)

    for email in (user.email, user.email.upper()):
        with pytest.raises(ServiceError):
            authenticate(email, PASSWORD, client=CLIENT)

    assert calls == []


def test_the_wait_ends_and_the_right_password_works_again(db, user, time_machine):
    _fail(user.email, 5)
    time_machine.move_to(NOW + timedelta(minutes=1, seconds=1), tick=False)

    assert authenticate(user.email, PASSWORD, client=CLIENT).id == user.id
    assert _throttle(db, CLIENT, user.email) is None
    assert _actions(db, user)[-1] == "login"


def test_a_clients_failures_are_forgotten_a_day_after_the_last_one(db, user, time_machine):
    _fail(user.email, 4)
    time_machine.move_to(NOW + timedelta(hours=24, minutes=1), tick=False)

    (error,) = _fail(user.email, 1)

    assert error.message == _(WRONG)
    assert _throttle(db, CLIENT, user.email).failures == 1


def test_unknown_addresses_are_counted_and_delayed_too(db, user):
    errors = _fail("nobody@example.id", 5)

    assert re.fullmatch(_waiting_pattern(), errors[-1].message)
    assert _throttle(db, CLIENT, "NoBody@Example.id ").failures == 5, "counted by the normalised address"


def test_failures_inside_the_window_alert_the_admins_once_a_day(db, user):
    admins = [UserFactory(role=Role.ADMIN.value), UserFactory(role=Role.ADMIN.value)]
    UserFactory(role=Role.ADMIN.value, is_enabled=False)
    db.session.commit()
    for client in ("10.0.0.1", "10.0.0.2"):
        for _i in range(5):
            with pytest.raises(ServiceError):
                authenticate(user.email, "wrong password", client=client)
    for _i in range(4):
        with pytest.raises(ServiceError):
            authenticate(user.email, "wrong password", client="10.0.0.3")

    notes = list(db.session.scalars(sa.select(Notification).order_by(Notification.user_id)))
    assert [n.user_id for n in notes] == [a.id for a in admins], "every active admin, once"
    assert {n.kind for n in notes} == {"login_failures"}
    assert notes[0].params["email"] == user.email and notes[0].params["count"] == 10
    assert notes[0].endpoint == "admin.user_edit" and notes[0].endpoint_args == {"user_id": user.id}
    assert _actions(db).count("login_failures_alert") == 1


def test_failures_older_than_the_window_do_not_alert(db, user):
    user.failed_login_count = 9
    user.failed_login_window_start = NOW - timedelta(minutes=16)
    UserFactory(role=Role.ADMIN.value)
    db.session.commit()

    _fail(user.email, 1)

    db.session.refresh(user)
    assert user.failed_login_count == 1
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Notification)) == 0


def test_deactivated_user_with_the_right_password_is_refused(db, user):
    user.is_enabled = False
    db.session.commit()

    with pytest.raises(ServiceError) as caught:
        authenticate(user.email, PASSWORD)

    assert caught.value.message == _(DEACTIVATED)
    assert "login" not in _actions(db, user)
    assert _actions(db, user)[-1] == "login_refused_inactive"


def test_unknown_email_is_refused_and_audited(db, user):
    with pytest.raises(ServiceError) as caught:
        authenticate("nobody@example.id", PASSWORD)

    assert caught.value.message == _(WRONG), "the message must not reveal that the address is unknown"
    entry = db.session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "login_failed"))
    assert entry is not None
    assert entry.actor_id is None
    assert "nobody@example.id" not in entry.note, "the typed address is never stored"
    assert entry.note == f"account {throttle.account_digest('nobody@example.id')}"
    assert db.session.scalar(sa.select(sa.func.count()).select_from(User)) == 1


def test_change_password_refuses_a_wrong_current_password(db, user):
    token, hashed = user.session_token, user.password_hash

    with pytest.raises(ServiceError) as caught:
        change_password(user, "not my password", NEW_PASSWORD, NEW_PASSWORD)

    assert caught.value.field == "current_password"
    db.session.rollback()
    db.session.refresh(user)
    assert (user.session_token, user.password_hash) == (token, hashed)
    assert "password_changed" not in _actions(db)


def test_change_password_refuses_a_weak_new_password(db, user):
    token, hashed = user.session_token, user.password_hash

    with pytest.raises(ServiceError) as caught:
        change_password(user, PASSWORD, "password123", "password123")

    assert caught.value.field == "new_password"
    db.session.rollback()
    db.session.refresh(user)
    assert (user.session_token, user.password_hash) == (token, hashed)
    assert "password_changed" not in _actions(db)


def test_every_problem_of_a_password_change_is_named_at_once(db, user):
    token, hashed = user.session_token, user.password_hash

    with pytest.raises(ServiceError) as caught:
        change_password(user, "", "short", "shorter")

    assert [(e.field, e.message) for e in caught.value.errors] == [
        ("current_password", _("This field is required.")),
        ("new_password", _("The password must have at least %(n)d characters.", n=8)),
        ("confirm", _("The two passwords differ.")),
    ]
    with pytest.raises(ServiceError) as caught:
        change_password(user, "x" * 257, NEW_PASSWORD, "")
    assert [(e.field, e.message) for e in caught.value.errors] == [
        ("current_password", _("The password may have at most %(n)d characters.", n=256)),
        ("confirm", _("This field is required.")),
    ]
    db.session.rollback()
    db.session.refresh(user)
    assert (user.session_token, user.password_hash) == (token, hashed)
    assert _actions(db) == [], "a current password that was not typed, or is too long, is not checked nor counted"


def test_a_wrong_current_password_is_named_beside_the_new_passwords_problems(db, user):
    hashed = user.password_hash

    with pytest.raises(ServiceError) as caught:
        change_password(user, "not my password", NEW_PASSWORD, "another one")

    assert [(e.field, e.message) for e in caught.value.errors] == [
        ("confirm", _("The two passwords differ.")),
        ("current_password", _("The current password is wrong.")),
    ]
    assert _actions(db, user) == ["password_change_failed"], "the wrong guess counts, as on its own"
    db.session.refresh(user)
    assert user.password_hash == hashed


def test_change_password_sets_the_hash_and_rotates_the_session_token(db, user):
    token = user.session_token

    change_password(user, PASSWORD, NEW_PASSWORD, NEW_PASSWORD)

    db.session.refresh(user)
    assert user.session_token != token, "other sessions must end"
    assert verify_password(user.password_hash, NEW_PASSWORD)
    assert not verify_password(user.password_hash, PASSWORD)
    assert _actions(db, user) == ["password_changed"]
    assert authenticate(user.email, NEW_PASSWORD).id == user.id


def test_a_wrong_current_password_counts_like_a_failed_sign_in(db, user):
    for _i in range(4):
        with pytest.raises(ServiceError) as caught:
            change_password(user, "not my password", NEW_PASSWORD, NEW_PASSWORD, client=CLIENT)
        assert caught.value.message == _("The current password is wrong.")
    (error,) = _fail(user.email, 1)

    assert re.fullmatch(_waiting_pattern(), error.message), "sign-in and password change share the counter"
    assert _actions(db, user) == ["password_change_failed"] * 4 + ["login_failed"]
    entry = db.session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "password_change_failed"))
    assert entry.actor_id == user.id and entry.entity_id == str(user.id)
    with pytest.raises(ServiceError) as caught:
        change_password(user, PASSWORD, NEW_PASSWORD, NEW_PASSWORD, client=CLIENT)
    assert caught.value.field == "current_password"
    assert re.fullmatch(_waiting_pattern(), caught.value.message)
    assert _actions(db, user)[-1] == "password_change_refused_delay"
    db.session.refresh(user)
    assert verify_password(user.password_hash, PASSWORD), "a waiting client cannot change the password"
