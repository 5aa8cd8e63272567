"""Failed password checks per client and typed account: progressive delays for that client, never a lock-out of
the account's owner elsewhere; and the keyed hash that stands for a typed email wherever it is kept."""

import hashlib
import hmac
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.exc import IntegrityError

from ..extensions import db
from ..models import SignInThrottle


def normalise_email(email: str | None) -> str:
    """The email as accounts are looked up: trimmed, lower case."""
    return (email or "").strip().lower()


def account_digest(email: str | None) -> str:
    """A keyed hash (HMAC-SHA256 with SECRET_KEY, 32 hex digits) of the normalised email as typed.

    It stands for the address in the audit trail, the counters and the rate limits, so that whatever was typed
    (a colleague's address, a password typed into the wrong field) is never stored.
    """
    key = current_app.config["SECRET_KEY"].encode()
    return hmac.new(key, normalise_email(email).encode(), hashlib.sha256).hexdigest()[:32]


def _row(client: str, account: str) -> SignInThrottle | None:
    return db.session.scalar(
        sa.select(SignInThrottle)
        .where(SignInThrottle.client == client, SignInThrottle.account == account)
        .with_for_update()
    )


def wait_left(client: str, account: str, now: datetime) -> timedelta | None:
    """How long this client must still wait before its next password check for this account (None: no wait)."""
    row = db.session.scalar(
        sa.select(SignInThrottle).where(SignInThrottle.client == client, SignInThrottle.account == account)
    )
    if row is None or row.blocked_until is None or row.blocked_until <= now:
        return None
    return row.blocked_until - now


def delay_after(failures: int) -> timedelta | None:
    """The wait after this many failures in a row: none up to the free ones, then LOGIN_DELAY doubled at each
    further failure, at most LOGIN_DELAY_MAX."""
    config = current_app.config
    beyond = failures - config["LOGIN_CLIENT_FREE_FAILURES"]
    if beyond < 0:
        return None
    return min(config["LOGIN_DELAY"] * 2 ** min(beyond, 20), config["LOGIN_DELAY_MAX"])


def count_failure(client: str, account: str, now: datetime) -> timedelta | None:
    """Count a failed password check of `account` from `client`; the wait it starts, if any (caller commits).

    Rows of clients quiet for longer than LOGIN_CLIENT_MEMORY are deleted on the way.
    """
    memory = current_app.config["LOGIN_CLIENT_MEMORY"]
    db.session.execute(
        sa.delete(SignInThrottle)
        .where(SignInThrottle.last_failure_at < now - memory)
        .execution_options(synchronize_session=False)
    )
    row = _row(client, account)
    if row is None:
        try:
            with db.session.begin_nested():
                row = SignInThrottle(client=client, account=account, failures=0, last_failure_at=now)
                db.session.add(row)
        except IntegrityError:
            # Another request of the same client counted the first failure at the same moment.
            row = _row(client, account)
    row.failures += 1
    row.last_failure_at = now
    delay = delay_after(row.failures)
    row.blocked_until = now + delay if delay else None
    db.session.flush()
    return delay


def forget(account: str, client: str | None = None) -> None:
    """Forget the failures of an account from one client (after its right password), or from every client when
    no client is given (an admin set a new password)."""
    query = sa.delete(SignInThrottle).where(SignInThrottle.account == account)
    if client is not None:
        query = query.where(SignInThrottle.client == client)
    db.session.execute(query.execution_options(synchronize_session=False))
