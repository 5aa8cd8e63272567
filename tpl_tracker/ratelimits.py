"""Rate limits of the forms that check a password: refused with 429 before any hash is computed.

The limits are settings (config.py, `RATELIMIT_*`), counted in RATELIMIT_STORAGE_URI (memory:// per process, or
Redis shared by every worker and host). Decorate a view with the limits below, innermost (just above `def`):

- `signin_per_client`: sign-in attempts from one client address, counted by `SignInGate` (below) before Flask
  runs at all; the decorator only answers in Flask the refusals the gate hands over (the first of each window,
  to be audited);
- `per_account`: attempts on one account, shared by every form that checks its password: the keyed hash of the
  form's `email` field, else of the signed-in user's address (unknown addresses count too);
- `signin_all` (below the others): sign-in attempts from everyone together, the ceiling on hashing work that keeps
  the rest of the app answering when many addresses flood the form. It counts only the posts the other limits
  let through, so that the refused posts of one client cannot use up everyone's sign-ins;
- `password_change_per_user`: changes of one's own password, per signed-in user;
- `password_reset_limit`: asking for a password reset link, per client address;
- `password_reset_per_account`: asking for a password reset link, per typed address (its keyed hash, unknown
  addresses too), from every client.

A refusal must cost far less than a page, or a flood of them still holds up the pages of those signed in:
the limits are checked before the view, and the 429 answer is a small page built without a template or a
query, in the reader's language, with Retry-After (and the security headers of every response). It is audited
once per window of the breached limit (`rate_limited`), not once per refused request, so that a flood cannot
flood the audit trail too; each process remembers which windows it has already seen refused, so that the other
refusals of a window make no round trip to the storage for the audit mark or the window's end.

`SignInGate`, a WSGI middleware around the app (inside ProxyFix, so the address is the forwarded one), answers
the sign-in posts that are over the per-client limit, that the ceiling for everyone is full for, or that find
RATELIMIT_SIGNIN_CONCURRENT sign-in posts of this process already in Flask (each may be hashing), before Flask
runs: no session, no CSRF check, no user loading, no query, no template. A flood then costs a round trip or two
to the storage per post, and the pages of those signed in no longer queue behind whole Flask requests. The first
refusal of each window that a process sees still goes through Flask (marked in the environ), to be audited there;
the others get the same static page (in the default language, with an English line: the session, and so the
reader's language, is not read), Retry-After and the security headers.
"""

import math
import threading
import time
from functools import lru_cache, wraps
from html import escape

from flask import Flask, current_app, request, url_for
from flask_babel import get_locale, ngettext
from flask_babel import gettext as _
from flask_limiter import RateLimitExceeded
from flask_login import current_user
from limits import RateLimitItem, RateLimitItemPerSecond, parse_many
from werkzeug.exceptions import TooManyRequests

from .extensions import bootstrap, db, limiter

EVERYONE = ("everyone", "signin-all")  # key and scope of the hashing ceiling, as Flask-Limiter names its own
MAX_REMEMBERED_WINDOWS = 10_000  # refused windows a process remembers; beyond, it forgets the ended ones


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


per_account = limiter.shared_limit(
    _setting("RATELIMIT_PER_ACCOUNT"), scope="account", key_func=account_key, methods=["POST"]
)
password_change_per_user = limiter.shared_limit(
    _setting("RATELIMIT_PASSWORD_CHANGE"), scope="password-change", key_func=user_key, methods=["POST"]
)
password_reset_limit = limiter.shared_limit(
    _setting("RATELIMIT_PASSWORD_RESET"), scope="password-reset", key_func=client_key, methods=["POST"]
)
password_reset_per_account = limiter.shared_limit(
    _setting("RATELIMIT_PASSWORD_RESET_PER_ACCOUNT"),
    scope="password-reset-account",
    key_func=account_key,
    methods=["POST"],
)


class LimitReached(TooManyRequests):
    """A limit counted outside Flask-Limiter was reached: the ceiling for everyone (`signin_all`) or a refusal
    of `SignInGate` handed over to Flask (`signin_per_client`)."""

    def __init__(self, item: RateLimitItem, identifiers: tuple[str, ...]):
        super().__init__()
        self.item, self.identifiers = item, identifiers


@lru_cache(maxsize=16)
def _items(limits: str) -> tuple[RateLimitItem, ...]:
    return tuple(parse_many(limits))


def signin_per_client(view):
    """Answer here, with the audit entry, the sign-in refusal `SignInGate` handed over (the first of a window this
    process sees); the gate has already counted the post against the per-client limit. Outermost of the limits."""

    @wraps(view)
    def wrapped(*args, **kwargs):
        handed_over = request.environ.get(REFUSED)
        if handed_over is not None:
            raise LimitReached(*handed_over)
        return view(*args, **kwargs)

    return wrapped


def signin_all(view):
    """Count a sign-in post against the ceiling for everyone, once the per-client and per-account limits (the
    decorators above it) have let it through; beyond the ceiling, 429."""

    @wraps(view)
    def wrapped(*args, **kwargs):
        if request.method == "POST":
            identifiers = (current_app.config["RATELIMIT_KEY_PREFIX"], *EVERYONE)
            for item in _items(current_app.config["RATELIMIT_SIGNIN_ALL"]):
                try:
                    allowed = limiter.limiter.hit(item, *identifiers)
                except Exception:  # the storage is down (its fallback too): let it through, as Flask-Limiter does
                    current_app.logger.exception("Rate limit storage unreachable for the sign-in ceiling")
                    allowed = True
                if not allowed:
                    raise LimitReached(item, identifiers)
        return view(*args, **kwargs)

    return wrapped


# Key of a breached limit -> when its window ends, as this process read it when the first refusal of that window
# reached it (the refusal was audited then, by this process or another one).
_refused_windows: dict[str, float] = {}


def forget_refusals() -> None:
    """Forget every count and every remembered refusal (tests)."""
    limiter.reset()
    _refused_windows.clear()


def _remember(key: str, window_end: float, now: float) -> None:
    if len(_refused_windows) >= MAX_REMEMBERED_WINDOWS:
        for old in [k for k, end in list(_refused_windows.items()) if end <= now]:
            _refused_windows.pop(old, None)
        if len(_refused_windows) >= MAX_REMEMBERED_WINDOWS:
            _refused_windows.clear()  # forgetting only costs a round trip to the storage
    _refused_windows[key] = window_end


def _first_in_window(item: RateLimitItem, key: str) -> bool:
    """True the first time this breached limit (its key) is seen in a window as long as the limit's own."""
    once = RateLimitItemPerSecond(1, item.get_expiry())
    try:
        return limiter.limiter.hit(once, "audited", key)
    except Exception:  # the storage is down: audit every refusal rather than none
        current_app.logger.exception("Rate limit storage unreachable while auditing a refusal")
        return True


def _breach(error) -> tuple[RateLimitItem, str, tuple[str, ...]] | None:
    """The breached limit, the key of its count and the identifiers of that key."""
    if isinstance(error, LimitReached):
        return error.item, error.item.key_for(*error.identifiers), error.identifiers
    breached = limiter.current_limit
    if breached is None:
        return None
    return breached.limit, breached.key, tuple(breached.request_args)


def _refusal(error) -> int:
    """Seconds until the breached window ends; the first refusal of a window is audited."""
    now = time.time()
    breach = _breach(error)
    if breach is None:
        return 60
    item, key, identifiers = breach
    window_end = _refused_windows.get(key, 0.0)
    if window_end > now:
        return max(1, math.ceil(window_end - now))
    try:
        window_end = limiter.limiter.get_window_stats(item, *identifiers).reset_time
    except Exception:  # the storage is down: a minute is a fair guess
        current_app.logger.exception("Rate limit storage unreachable while reading the window")
        window_end = now + 60
    _remember(key, window_end, now)
    if _first_in_window(item, key):
        _audit(key)
    return max(1, math.ceil(window_end - now))


def _audit(key: str) -> None:
    """Audit a refusal in a transaction of its own (the refused request's work is rolled back after a 429)."""
    from .services import audit

    db.session.rollback()
    audit.client_ip.set(request.remote_addr)
    actor = current_user if current_user.is_authenticated else None
    audit.record("rate_limited", actor=actor, entity_type="route", note=f"{request.path} {key}")
    db.session.commit()


def _lead(seconds: int) -> str:
    """What to do and when, in the current language."""
    if seconds < 120:
        return ngettext(
            "For your security this form takes only a few attempts at a time. Please wait %(num)d second and try "
            "again.",
            "For your security this form takes only a few attempts at a time. Please wait %(num)d seconds and try "
            "again.",
            seconds,
        )
    return ngettext(
        "For your security this form takes only a few attempts at a time. Please wait %(num)d minute and try again.",
        "For your security this form takes only a few attempts at a time. Please wait %(num)d minutes and try again.",
        max(1, -(-seconds // 60)),
    )


def refusal_page(seconds: int, extra: str = "") -> str:
    """The 429 page: what to do and when, in the reader's language; no template, no query (see the module).
    `extra` is HTML put under the lead."""
    title = escape(_("Too many attempts"))
    return (
        f'<!doctype html>\n<html lang="{escape(str(get_locale()))}">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{title} · TPL Tracker</title>\n{bootstrap.load_css()}\n"
        f'<link rel="stylesheet" href="{url_for("static", filename="app.css")}">\n</head>\n<body>\n'
        f'<main class="container py-4">\n<p class="text-muted mb-1">{escape(_("Error %(code)s", code=429))}</p>\n'
        f'<h1 class="h3">{title}</h1>\n<p class="lead">{escape(_lead(seconds))}</p>\n{extra}'
        f'<a class="btn btn-primary" href="{url_for("main.home")}">{escape(_("Back to the home page"))}</a>\n'
        "</main>\n</body>\n</html>\n"
    )


def too_many_requests(error: TooManyRequests):
    """The 429 answer of a breached limit: the page, Retry-After, and an audit entry once per window."""
    retry_after = _refusal(error)
    response = current_app.response_class(refusal_page(retry_after), 429, mimetype="text/html")
    response.headers["Retry-After"] = str(retry_after)
    return response


REFUSED = "tpl_tracker.signin_refused"  # environ key: (limit, identifiers) of a refusal handed over to Flask
SIGNIN_PATH = "/auth/login"
MAX_STATIC_PAGES = 2_000  # refusal pages a process keeps, one per wait shown (seconds, then minutes)


class SignInGate:
    """WSGI middleware: refuse the sign-in posts over the per-client limit, while the ceiling for everyone is full,
    or while RATELIMIT_SIGNIN_CONCURRENT sign-in posts of this process are in Flask, before Flask runs (see the
    module). Every other request, and a post under the limits, goes to Flask unchanged. Each sign-in post is
    counted against the per-client limit here only (Flask-Limiter does not count it; a crowded-out post counts
    too), and a post let in against the per-account limit and the ceiling in Flask, as before."""

    def __init__(self, wsgi_app, app: Flask):
        self.wsgi_app, self.app = wsgi_app, app
        self._pages: dict[int, bytes] = {}
        # Sign-in posts this process lets into Flask at once: a hash holds a thread, and the pages need the others.
        self._in_flask = threading.BoundedSemaphore(max(1, int(app.config.get("RATELIMIT_SIGNIN_CONCURRENT", 1))))

    def __call__(self, environ, start_response):
        if environ.get("REQUEST_METHOD") == "POST" and environ.get("PATH_INFO") == SIGNIN_PATH:
            breach = self.breach(environ.get("REMOTE_ADDR") or "unknown")
            if breach is not None:
                now = time.time()
                window_end = _refused_windows.get(breach[0].key_for(*breach[1]), 0.0)
                if window_end > now:
                    return self.refuse(environ, start_response, max(1, math.ceil(window_end - now)))
                environ[REFUSED] = breach  # the first refusal of the window here: Flask answers it and audits it
            elif not self._in_flask.acquire(blocking=False):
                return self.refuse(environ, start_response, 1)  # a moment's crowding, not a breach: not audited
            else:
                try:
                    return self.wsgi_app(environ, start_response)  # the view has run when this returns
                finally:
                    self._in_flask.release()
        return self.wsgi_app(environ, start_response)

    def breach(self, address: str) -> tuple[RateLimitItem, tuple[str, ...]] | None:
        """Count a sign-in post against the per-client limit; the limit it breaches, if any, else the ceiling for
        everyone if it is full (tested, not counted: Flask counts the posts that pass every other limit)."""
        config = self.app.config
        if not config.get("RATELIMIT_ENABLED", True):
            return None
        prefix = config["RATELIMIT_KEY_PREFIX"]
        strategy = limiter.limiter  # Flask-Limiter's, on its storage (its in-memory fallback once that is down)
        try:
            client = (prefix, address, "signin-client")
            for item in _items(config["RATELIMIT_SIGNIN_PER_CLIENT"]):
                if not strategy.hit(item, *client):
                    return item, client
            everyone = (prefix, *EVERYONE)
            for item in _items(config["RATELIMIT_SIGNIN_ALL"]):
                if not strategy.test(item, *everyone):
                    return item, everyone
        except Exception:  # the storage is down: let it through, as Flask-Limiter does
            self.app.logger.exception("Rate limit storage unreachable at the sign-in gate")
        return None

    def refuse(self, environ, start_response, seconds: int):
        """The static 429 answer: the page, Retry-After, the security headers; nothing of Flask runs."""
        from .security import header_items

        shown = seconds if seconds < 120 else 120 + -(-seconds // 60)  # the page shows minutes from 2 minutes on
        body = self._pages.get(shown)
        if body is None:
            body = self._page(seconds)
            if len(self._pages) >= MAX_STATIC_PAGES:
                self._pages.clear()
            self._pages[shown] = body
        script = environ.get("SCRIPT_NAME", "")
        if script:
            body = body.replace(b'href="/', f'href="{script}/'.encode())
        headers = [
            ("Content-Type", "text/html; charset=utf-8"),
            ("Content-Length", str(len(body))),
            ("Retry-After", str(seconds)),
            ("Cache-Control", "no-store"),
            *header_items(self.app.config),
        ]
        start_response("429 TOO MANY REQUESTS", headers)
        return [body]

    def _page(self, seconds: int) -> bytes:
        """The page in the default language with an English line, built once per wait shown, in a bare request
        context (no session is read, no query is made)."""
        from flask_babel import force_locale

        with self.app.test_request_context("/"):
            extra = ""
            if self.app.config["BABEL_DEFAULT_LOCALE"] != "en":
                with force_locale("en"):
                    extra = f'<p lang="en">{escape(_("Too many attempts"))}. {escape(_lead(seconds))}</p>\n'
            with force_locale(self.app.config["BABEL_DEFAULT_LOCALE"]):
                return refusal_page(seconds, extra).encode()


def install_gate(app: Flask) -> None:
    """Put `SignInGate` around the app (inside ProxyFix: call it before)."""
    app.wsgi_app = SignInGate(app.wsgi_app, app)


def init_app(app: Flask) -> None:
    """Count the limits in the configured storage and answer a breach with the 429 page."""
    limiter.init_app(app)
    app.register_error_handler(RateLimitExceeded, too_many_requests)
    app.register_error_handler(LimitReached, too_many_requests)
