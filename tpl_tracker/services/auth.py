"""Sign-in, sign-out and passwords: sessions that really end, failed attempts counted in the database."""

from datetime import UTC, datetime

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy.orm import joinedload

from ..extensions import db
from ..models import User, new_session_token
from . import Problems, ServiceError, audit, throttle
from .passwords import hash_password, is_usable_hash, needs_rehash, password_problem, verify_password

MAX_TYPED_PASSWORD = 256  # a longer current password is refused before anything is hashed


def load_user_by_token(token: str) -> User | None:
    """Flask-Login user loader: the session token identifies a live session (with a supervisor's regions, which
    every page of theirs asks for, in the same statement)."""
    if not token:
        return None
    query = sa.select(User).options(joinedload(User.scope_regions))
    return db.session.scalars(query.where(User.session_token == token, User.is_enabled.is_(True))).unique().first()


def _now() -> datetime:
    return datetime.now(UTC)


def _wait_message(wait) -> str:
    """The refusal shown to a client that must wait, in whole minutes (at least one)."""
    minutes = max(1, -(-int(wait.total_seconds()) // 60))
    return ngettext(
        "Too many failed attempts from this device. Try again in %(num)d minute.",
        "Too many failed attempts from this device. Try again in %(num)d minutes.",
        minutes,
    )


def _client(client: str | None) -> str:
    """The client's address as given by the web layer (services never read `request`)."""
    return (client or audit.client_ip.get() or "unknown")[:45]


def _count_failure(user: User | None, client: str, account: str, now: datetime, action: str):
    """Count and audit a failed password check; the wait it starts for this client, if any.

    The typed address appears only as its keyed hash; a known account keeps actor and entity. Failures of a known
    account from every client are also added up on its row: at LOGIN_MAX_FAILURES within LOGIN_FAILURE_WINDOW the
    admins are notified (once a day per account).
    """
    config = current_app.config
    wait = throttle.count_failure(client, account, now)
    audit.record(action, actor=user, entity=user, note=f"account {account}")
    if user is not None:
        window_start = user.failed_login_window_start
        if window_start is None or now - window_start > config["LOGIN_FAILURE_WINDOW"]:
            user.failed_login_window_start = now
            user.failed_login_count = 1
        else:
            user.failed_login_count += 1
        if user.failed_login_count >= config["LOGIN_MAX_FAILURES"]:
            from .notifications import alert_admins_of_failed_sign_ins

            if alert_admins_of_failed_sign_ins(user, user.failed_login_count):
                audit.record("login_failures_alert", entity=user, note=f"{user.failed_login_count} failures")
    db.session.flush()
    return wait


def authenticate(email: str, password: str, client: str | None = None) -> User:
    """Return the user for valid credentials, or raise ServiceError with a clear message.

    Failed checks are counted per client and typed address (services/throttle.py, shared by all workers): after
    LOGIN_CLIENT_FREE_FAILURES that client waits, longer at each further failure, and is refused before any hash
    is computed; the owner signing in from another client is not held up.
    """
    email = throttle.normalise_email(email)
    client = _client(client)
    account = throttle.account_digest(email)
    now = _now()
    user = db.session.scalar(sa.select(User).where(User.email == email).with_for_update())
    wait = throttle.wait_left(client, account, now)
    if wait:
        audit.record("login_refused_delay", actor=user, entity=user, note=f"account {account}")
        db.session.flush()
        raise ServiceError(_wait_message(wait))
    if user is None or not is_usable_hash(user.password_hash):
        # Hash anyway so that timing does not reveal which addresses exist, nor which have no password yet (an
        # invited account: no password signs it in until its owner sets one through the link).
        verify_password(_dummy_hash(), password)
        wait = _count_failure(user, client, account, now, "login_failed")
        raise ServiceError(_wait_message(wait) if wait else _("Wrong email or password."))
    if not verify_password(user.password_hash, password):
        wait = _count_failure(user, client, account, now, "login_failed")
        raise ServiceError(_wait_message(wait) if wait else _("Wrong email or password."))
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
    throttle.forget(account, client)
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


def check_password_change(
    user: User, current_password: str | None, new_password: str | None, confirm: str | None
) -> None:
    """Refuse a password change whose fields break a rule, naming every problem: each field given, the current
    password of a length that is worth hashing, the new one acceptable (passwords.password_problem) and typed twice
    alike. Whether the current password is right is change_password's to check."""
    problems = Problems()
    required = _("This field is required.")
    if not current_password:
        problems.add(required, "current_password")
    elif len(current_password) > MAX_TYPED_PASSWORD:
        problems.add(_("The password may have at most %(n)d characters.", n=MAX_TYPED_PASSWORD), "current_password")
    if not new_password:
        problems.add(required, "new_password")
    else:
        problem = password_problem(new_password, user.email)
        if problem:
            problems.add(problem, "new_password")
    if not confirm:
        problems.add(required, "confirm")
    elif confirm != new_password:
        problems.add(_("The two passwords differ."), "confirm")
    problems.raise_if_any()


def change_password(
    user: User, current_password: str | None, new_password: str | None, confirm: str | None, client: str | None = None
) -> None:
    """Change one's own password after checking the current one; other sessions end, open reset links stop working.
    A refusal names every problem (check_password_change's, and a wrong current password).

    A wrong current password counts like a failed sign-in of the account from this client (same counters and
    delays) and is audited as `password_change_failed` (the caller commits it although the change is refused).
    """
    client = _client(client)
    account = throttle.account_digest(user.email)
    now = _now()
    wait = throttle.wait_left(client, account, now)
    if wait:
        audit.record("password_change_refused_delay", actor=user, entity=user)
        db.session.flush()
        raise ServiceError(_wait_message(wait), field="current_password")
    problems = Problems()
    problems.check(check_password_change, user, current_password, new_password, confirm)
    if not problems.has("current_password") and not verify_password(user.password_hash, current_password):
        wait = _count_failure(user, client, account, now, "password_change_failed")
        problems.add(_wait_message(wait) if wait else _("The current password is wrong."), "current_password")
    problems.raise_if_any()
    user.password_hash = hash_password(new_password)
    user.password_changed_at = now
    end_all_sessions(user)
    throttle.forget(account, client)
    from .password_links import withdraw_open_links  # it builds on this module

    withdraw_open_links(user)
    audit.record("password_changed", actor=user, entity=user)
    db.session.flush()
