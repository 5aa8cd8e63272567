"""Rate limits of the forms that check a password: refused with 429 before any hash is computed.

The limits are settings (config.py, `RATELIMIT_*`), counted in RATELIMIT_STORAGE_URI (memory:// per process, or
Redis shared by every worker and host). Decorate a view with the limits below, innermost (just above `def`):

- `signin_per_client`: sign-in attempts from one client address;
- `signin_all`: sign-in attempts from everyone together, the ceiling on hashing work that keeps the rest of the
  app answering when many addresses flood the form;
- `per_account`: attempts on one account, shared by every form that checks its password: the keyed hash of the
  form's `email` field, else of the signed-in user's address (unknown addresses count too);
- `password_change_per_user`: changes of one's own password, per signed-in user;
- `password_reset_limit`: the shared limit for asking a password reset, per client (with `per_account`).

A refusal shows a page in the reader's language with Retry-After, and is audited once per window of the limit
(`rate_limited`), not once per refused request, so that a flood cannot flood the audit trail too.
"""

import math
import time

from flask import Flask, current_app, make_response, render_template, request
from flask_limiter import RateLimitExceeded
from flask_login import current_user
from limits import RateLimitItemPerSecond

from .extensions import db, limiter


def _setting(name: str):
    """The limit string of a setting, read at each request (tests and deployments override it)."""
    return lambda: current_app.config[name]


def client_key() -> str:
    """The client's address (the proxy's, unless PROXY_FIX says which forwarded address to trust)."""
    return request.remote_addr or "unknown"


def account_key() -> str:
    """The account a form is about, as a keyed hash: its `email` field, else the signed-in user's address."""
    from .services.throttle import account_digest

    email = request.form.get("email")
    if email is None and current_user.is_authenticated:
        email = current_user.email
    return f"account:{account_digest(email)}"


def user_key() -> str:
    """The signed-in user (their row id)."""
    return f"user:{current_user.id}" if current_user.is_authenticated else f"client:{client_key()}"


signin_per_client = limiter.shared_limit(
    _setting("RATELIMIT_SIGNIN_PER_CLIENT"), scope="signin-client", key_func=client_key, methods=["POST"]
)
signin_all = limiter.shared_limit(
    _setting("RATELIMIT_SIGNIN_ALL"), scope="signin-all", key_func=lambda: "everyone", methods=["POST"]
)
per_account = limiter.shared_limit(
    _setting("RATELIMIT_PER_ACCOUNT"), scope="account", key_func=account_key, methods=["POST"]
)
password_change_per_user = limiter.shared_limit(
    _setting("RATELIMIT_PASSWORD_CHANGE"), scope="password-change", key_func=user_key, methods=["POST"]
)
password_reset_limit = limiter.shared_limit(
    _setting("RATELIMIT_PASSWORD_RESET"), scope="password-reset", key_func=client_key, methods=["POST"]
)


def _first_in_window(breached) -> bool:
    """True the first time this breached limit (its key) is seen in a window as long as the limit's own."""
    once = RateLimitItemPerSecond(1, breached.limit.get_expiry())
    try:
        return limiter.limiter.hit(once, "audited", breached.key)
    except Exception:  # the storage is down: audit every refusal rather than none
        current_app.logger.exception("Rate limit storage unreachable while auditing a refusal")
        return True


def too_many_requests(error: RateLimitExceeded):
    """The 429 page: what to do and when, Retry-After, and an audit entry once per window of the limit."""
    from .services import audit

    breached = limiter.current_limit
    retry_after = 60
    if breached is not None:
        try:
            retry_after = max(1, math.ceil(breached.window[0] - time.time()))
        except Exception:  # the storage is down: a minute is a fair guess
            current_app.logger.exception("Rate limit storage unreachable while reading the window")
        if _first_in_window(breached):
            # Audited in a transaction of its own, as the refused request's work is rolled back after a 429.
            db.session.rollback()
            audit.client_ip.set(request.remote_addr)
            actor = current_user if current_user.is_authenticated else None
            audit.record("rate_limited", actor=actor, entity_type="route", note=f"{request.path} {breached.key}")
            db.session.commit()
    minutes = max(1, -(-retry_after // 60))
    page = render_template("errors/too_many.html", seconds=retry_after, minutes=minutes)
    response = make_response(page, 429)
    response.headers["Retry-After"] = str(retry_after)
    return response


def init_app(app: Flask) -> None:
    """Count the limits in the configured storage and answer a breach with the 429 page."""
    limiter.init_app(app)
    app.register_error_handler(RateLimitExceeded, too_many_requests)
