"""Who may open which route, session limits, and security headers on every response."""

import re
from datetime import UTC, datetime
from functools import wraps
from urllib.parse import urlsplit

from flask import abort, current_app, flash, redirect, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, logout_user

from .text import control_characters_message, has_control_characters

PUBLIC = "public"
PAGE_NUMBER = re.compile(r"[1-9][0-9]{0,5}")  # 1 to 999,999: no list of this app has more pages
ANY_SIGNED_IN = "signed_in"

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; form-action 'self'; object-src 'none'; "
    "base-uri 'none'; frame-ancestors 'none'"
)


def header_items(config) -> list[tuple[str, str]]:
    """The security headers of every response (the sign-in gate's refusals, answered outside Flask, too)."""
    items = [
        ("Content-Security-Policy", CSP),
        ("X-Content-Type-Options", "nosniff"),
        ("Referrer-Policy", "same-origin"),
        ("X-Frame-Options", "DENY"),
        ("Permissions-Policy", "camera=(), microphone=(), geolocation=(self)"),
    ]
    if config.get("HSTS"):
        items.append(("Strict-Transport-Security", "max-age=31536000; includeSubDomains"))
    return items


def public(view):
    """Mark a route as open to everyone, signed in or not."""
    view.access = PUBLIC
    return view


def audit_refused_access(user, path: str) -> None:
    """Audit a refused access in a transaction of its own: the refused request's work is undone first, the entry
    is kept although the request answers 403 or 404."""
    from .extensions import db
    from .services.audit import record_access_denied
    from .transactions import writing

    db.session.rollback()
    with writing():  # also from a GET, whose own transaction only reads
        record_access_denied(user, path)
        db.session.commit()


def roles_required(*roles):
    """Allow a route to signed-in users holding one of `roles` (none given: any signed-in user)."""

    def decorator(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            if not current_user.is_authenticated:
                from .extensions import login_manager

                return login_manager.unauthorized()
            if roles and not current_user.has_role(*roles):
                audit_refused_access(current_user, request.path)
                abort(403)
            return view(*args, **kwargs)

        wrapped.access = tuple(r.value for r in roles) if roles else ANY_SIGNED_IN
        return wrapped

    return decorator


def is_safe_next(target: str | None) -> bool:
    """True only for a local path of this app (refuses //host, /\\host, scheme://host)."""
    if not target or not target.startswith("/"):
        return False
    if target.startswith("//") or target.startswith("/\\") or "\\" in target:
        return False
    parts = urlsplit(target)
    return not parts.scheme and not parts.netloc and not any(ord(c) < 32 for c in target)


def form_page() -> str | None:
    """The page of the form a POST came from, to come back to after signing in again (its draft is restored there):
    the posted address when it also answers GET, else the same-site page that sent it (the Referer); None when
    neither is a safe local path."""
    rule = request.url_rule
    if rule is not None and "GET" in (rule.methods or ()):
        target = request.full_path.rstrip("?")
    else:
        referrer = urlsplit(request.referrer or "")
        if referrer.netloc != request.host or referrer.scheme not in ("http", "https"):
            return None
        target = referrer.path + (f"?{referrer.query}" if referrer.query else "")
    return target if is_safe_next(target) else None


def declared_access(endpoint: str | None):
    """Who may use an endpoint: PUBLIC, ANY_SIGNED_IN, a tuple of role codes, or None when it does not say."""
    if endpoint is None:
        return PUBLIC  # 404 for unknown URLs is handled by Flask
    if endpoint == "static" or endpoint.endswith(".static"):
        return PUBLIC
    view = current_app.view_functions.get(endpoint)
    return getattr(view, "access", None)


def _now() -> datetime:
    return datetime.now(UTC)


def init_app(app) -> None:
    """Install the request hooks."""
    from flask_login import user_loaded_from_cookie

    @user_loaded_from_cookie.connect_via(app)
    def remembered(_sender, user):
        # A "keep me signed in" cookie restored the session: its own lifetime applies.
        now = _now().timestamp()
        session["login_at"] = now
        session["last_seen"] = now
        session["remember_me"] = True

    @app.before_request
    def refuse_malformed_parameters():
        # Input hygiene at the door: the address and the names of posted fields carry no control character,
        # and a page number is a number a list can have (the forms check what is typed in their fields).
        texts = [*request.args.keys(), *request.args.values(), *request.form.keys()]
        if any(has_control_characters(text) for text in texts):
            abort(400, description=control_characters_message())
        page = request.args.get("page")
        if page is not None and not PAGE_NUMBER.fullmatch(page):
            abort(404)

    @app.before_request
    def remember_client_ip():
        from .services.audit import client_ip

        client_ip.set(request.remote_addr)

    @app.before_request
    def require_declared_access():
        # Fail closed: a route that does not say who may use it answers to nobody.
        if declared_access(request.endpoint) is None:
            app.logger.error("Route %s has no access declaration", request.endpoint)
            abort(403)

    @app.before_request
    def enforce_session_limits():
        if not current_user.is_authenticated:
            return None
        now = _now().timestamp()
        login_at = session.get("login_at", now)
        last_seen = session.get("last_seen", now)
        max_age = app.config["PERMANENT_SESSION_LIFETIME"].total_seconds()
        idle = app.config["SESSION_IDLE_TIMEOUT"].total_seconds()
        remembered = session.get("remember_me", False)
        expired = (not remembered) and (now - login_at > max_age or now - last_seen > idle)
        if expired:
            logout_user()
            session.pop("login_at", None)
            session.pop("last_seen", None)
            flash(_("Your session has ended. Please sign in again."), "warning")
            # Back to the page after signing in: a posted form's page, where what was typed is restored from its
            # draft (static/drafts.js); nothing of the post itself is done.
            target = request.full_path.rstrip("?") if request.method == "GET" else form_page()
            if is_safe_next(target):
                return redirect(url_for("auth.login", next=target))
            return redirect(url_for("auth.login"))
        session["login_at"] = login_at
        session["last_seen"] = now
        return None

    @app.after_request
    def security_headers(response):
        headers = response.headers
        for name, value in header_items(app.config):
            headers.setdefault(name, value)
        static = request.endpoint and (request.endpoint == "static" or request.endpoint.endswith(".static"))
        # Pages may show personal data (NIK, phone): never keep them in a shared cache.
        # A view may be stricter (evidence files: "private, no-store"), never looser.
        if not static and "no-store" not in headers.get("Cache-Control", ""):
            headers["Cache-Control"] = "no-store"
        return response
