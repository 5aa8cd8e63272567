"""Sign-in, sign-out and passwords: sessions that really end, lockouts counted in the database."""

from datetime import UTC, datetime

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _

from ..extensions import db
from ..models import User, new_session_token
from . import ServiceError, audit
from .passwords import hash_password, needs_rehash, password_problem, verify_password


def load_user_by_token(token: str) -> User | None:
    """Flask-Login user loader: the session token identifies a live session."""
    if not token:
        return None
    return db.session.scalar(sa.select(User).where(User.session_token == token, User.is_enabled.is_(True)))


def _now() -> datetime:
    return datetime.now(UTC)


def authenticate(email: str, password: str) -> User:
    """Return the user for valid credentials, or raise ServiceError with a clear message.

    Failures are counted on the user row (shared by all workers); after LOGIN_MAX_FAILURES
    within LOGIN_FAILURE_WINDOW the account is locked for LOGIN_LOCK_DURATION.
    """
    config = current_app.config
    email = (email or "").strip().lower()
    now = _now()
    user = db.session.scalar(sa.select(User).where(User.email == email).with_for_update())
    if user is None:
        # Hash anyway so that timing does not reveal which addresses exist.
        verify_password(_dummy_hash(), password)
        audit.record("login_failed", note=f"unknown email {email[:200]}")
        db.session.flush()
        raise ServiceError(_("Wrong email or password."))
    if user.locked_until and user.locked_until > now:
        audit.record("login_refused_locked", actor=user, entity=user)
        db.session.flush()
        minutes = max(1, int((user.locked_until - now).total_seconds() // 60) + 1)
        raise ServiceError(
            _("Too many failed attempts. This account is locked; try again in %(m)d minutes.", m=minutes)
        )
    if not verify_password(user.password_hash, password):
        window_start = user.failed_login_window_start
        if window_start is None or now - window_start > config["LOGIN_FAILURE_WINDOW"]:
            user.failed_login_window_start = now
            user.failed_login_count = 1
        else:
            user.failed_login_count += 1
        audit.record("login_failed", actor=user, entity=user)
        if user.failed_login_count >= config["LOGIN_MAX_FAILURES"]:
            user.locked_until = now + config["LOGIN_LOCK_DURATION"]
            user.failed_login_count = 0
            user.failed_login_window_start = None
            audit.record("account_locked", actor=user, entity=user)
            db.session.flush()
            minutes = int(config["LOGIN_LOCK_DURATION"].total_seconds() // 60)
            raise ServiceError(
                _("Too many failed attempts. This account is locked; try again in %(m)d minutes.", m=minutes)
            )
        db.session.flush()
        raise ServiceError(_("Wrong email or password."))
    if not user.is_enabled:
        audit.record("login_refused_inactive", actor=user, entity=user)
        db.session.flush()
        raise ServiceError(_("This account has been deactivated. Contact your administrator."))
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    user.failed_login_count = 0
    user.failed_login_window_start = None
    user.locked_until = None
    user.last_login_at = now
    audit.record("login", actor=user, entity=user)
    db.session.flush()
    return user


_DUMMY = {}


def _dummy_hash() -> str:
    key = current_app.config["ARGON2_MEMORY_COST"]
    if key not in _DUMMY:
        _DUMMY[key] = hash_password("not-a-real-password")
    return _DUMMY[key]


def end_all_sessions(user: User) -> None:
    """Rotate the session token: every cookie issued before is useless from now on."""
    user.session_token = new_session_token()


def sign_out(user: User) -> None:
    """End the user's sessions and audit the sign-out."""
    end_all_sessions(user)
    audit.record("logout", actor=user, entity=user)
    db.session.flush()


def change_password(user: User, current_password: str, new_password: str) -> None:
    """Change one's own password after checking the current one; other sessions end."""
    if not verify_password(user.password_hash, current_password):
        raise ServiceError(_("The current password is wrong."), field="current_password")
    problem = password_problem(new_password, user.email)
    if problem:
        raise ServiceError(problem, field="new_password")
    user.password_hash = hash_password(new_password)
    user.password_changed_at = _now()
    end_all_sessions(user)
    audit.record("password_changed", actor=user, entity=user)
    db.session.flush()
