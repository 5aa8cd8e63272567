"""Sign-in with lockout counted in the database, and changing one's password."""

import re
from datetime import timedelta

import pytest
import sqlalchemy as sa
from flask_babel import gettext as _

from tpl_tracker.models import AuditEntry, User
from tpl_tracker.services import ServiceError
from tpl_tracker.services.auth import authenticate, change_password
from tpl_tracker.services.passwords import verify_password

from ..clock import NOW
from ..factories import PASSWORD, UserFactory

WRONG = "Wrong email or password."
LOCKED = "Too many failed attempts. This account is locked; try again in %(m)d minutes."
DEACTIVATED = "This account has been deactivated. Contact your administrator."
NEW_PASSWORD = "sagu lempeng dan teh manis"


def _locked_pattern() -> str:
    """The locked message, whatever the number of minutes."""
    return re.escape(_(LOCKED, m=4242)).replace("4242", r"\d+")


def _actions(db, user=None) -> list[str]:
    query = sa.select(AuditEntry.action).order_by(AuditEntry.id)
    if user is not None:
        query = query.where(AuditEntry.entity_type == "users", AuditEntry.entity_id == str(user.id))
    return list(db.session.scalars(query))


def _fail(email: str, times: int) -> list[ServiceError]:
    errors = []
    for _i in range(times):
        with pytest.raises(ServiceError) as caught:
            authenticate(email, "wrong password")
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


def test_nine_failures_do_not_lock(db, user):
    _fail(user.email, 9)
    db.session.refresh(user)
    assert user.locked_until is None
    assert authenticate(user.email, PASSWORD).id == user.id


def test_ten_failures_lock_the_account_even_for_the_right_password(db, app, user):
    assert app.config["LOGIN_MAX_FAILURES"] == 10
    errors = _fail(user.email, 10)

    assert errors[-1].message != _(WRONG), "the 10th failure must say that the account is now locked"
    assert re.fullmatch(_locked_pattern(), errors[-1].message)
    db.session.refresh(user)
    assert user.locked_until is not None and user.locked_until > NOW
    assert "account_locked" in _actions(db, user)

    with pytest.raises(ServiceError) as caught:
        authenticate(user.email, PASSWORD)
    assert re.fullmatch(_locked_pattern(), caught.value.message), caught.value.message
    assert "login" not in _actions(db, user)
    assert _actions(db, user)[-1] == "login_refused_locked"


def test_right_password_works_again_once_the_lock_has_passed(db, user):
    _fail(user.email, 10)
    db.session.refresh(user)
    user.locked_until = NOW - timedelta(seconds=1)
    db.session.commit()

    assert authenticate(user.email, PASSWORD).id == user.id
    db.session.refresh(user)
    assert user.locked_until is None
    assert _actions(db, user)[-1] == "login"


def test_failures_older_than_the_window_are_forgotten(db, user):
    user.failed_login_count = 9
    user.failed_login_window_start = NOW - timedelta(minutes=16)
    db.session.commit()

    (error,) = _fail(user.email, 1)

    assert error.message == _(WRONG), "an old window must not lock the account"
    db.session.refresh(user)
    assert user.failed_login_count == 1
    assert user.locked_until is None
    assert NOW - user.failed_login_window_start < timedelta(minutes=1)


def test_failures_inside_the_window_are_added_up(db, user):
    user.failed_login_count = 9
    user.failed_login_window_start = NOW - timedelta(minutes=14)
    db.session.commit()

    (error,) = _fail(user.email, 1)

    assert re.fullmatch(_locked_pattern(), error.message)
    db.session.refresh(user)
    assert user.locked_until is not None


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
    assert "nobody@example.id" in entry.note
    assert db.session.scalar(sa.select(sa.func.count()).select_from(User)) == 1


def test_change_password_refuses_a_wrong_current_password(db, user):
    token, hashed = user.session_token, user.password_hash

    with pytest.raises(ServiceError) as caught:
        change_password(user, "not my password", NEW_PASSWORD)

    assert caught.value.field == "current_password"
    db.session.rollback()
    db.session.refresh(user)
    assert (user.session_token, user.password_hash) == (token, hashed)
    assert "password_changed" not in _actions(db)


def test_change_password_refuses_a_weak_new_password(db, user):
    token, hashed = user.session_token, user.password_hash

    with pytest.raises(ServiceError) as caught:
        change_password(user, PASSWORD, "password123")

    assert caught.value.field == "new_password"
    db.session.rollback()
    db.session.refresh(user)
    assert (user.session_token, user.password_hash) == (token, hashed)
    assert "password_changed" not in _actions(db)


def test_change_password_sets_the_hash_and_rotates_the_session_token(db, user):
    token = user.session_token

    change_password(user, PASSWORD, NEW_PASSWORD)

    db.session.refresh(user)
    assert user.session_token != token, "other sessions must end"
    assert verify_password(user.password_hash, NEW_PASSWORD)
    assert not verify_password(user.password_hash, PASSWORD)
    assert _actions(db, user) == ["password_changed"]
    assert authenticate(user.email, NEW_PASSWORD).id == user.id
