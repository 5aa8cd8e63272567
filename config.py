"""Application settings, read from environment variables (and an optional .env file)."""

import os
from datetime import timedelta
from pathlib import Path

from dotenv import load_dotenv

BASE_DIR = Path(__file__).resolve().parent
load_dotenv(BASE_DIR / ".env")


def _env_int(name: str, default: int) -> int:
    """Read an integer environment variable, falling back to a default."""
    value = os.environ.get(name)
    return int(value) if value else default


MIN_SECRET_KEY_BYTES = 32  # sessions, CSRF tokens and the audit trail's hashes are signed with it


class Config:
    """Settings shared by every configuration."""

    SECRET_KEY = os.environ.get("SECRET_KEY", "dev-only-not-secret")
    SQLALCHEMY_DATABASE_URI = os.environ.get("DATABASE_URL", f"sqlite:///{BASE_DIR / 'instance' / 'tpl_tracker.db'}")
    # A failed statement is logged without its parameters: they hold NIK, phones, password hashes and tokens.
    SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True, "hide_parameters": True}
    SQLITE_BUSY_TIMEOUT_MS = _env_int("SQLITE_BUSY_TIMEOUT_MS", 15000)
    # On SQLite a running job's lease lasts this long and is renewed every third of it: a dead process frees its
    # job within this time (PostgreSQL frees it at once: advisory locks).
    JOB_LEASE_SECONDS = _env_int("JOB_LEASE_SECONDS", 60)

    # Sessions: signed cookie, strong protection, idle and absolute limits.
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = False
    SESSION_IDLE_TIMEOUT = timedelta(minutes=_env_int("SESSION_IDLE_MINUTES", 30))
    PERMANENT_SESSION_LIFETIME = timedelta(hours=_env_int("SESSION_MAX_HOURS", 12))
    REMEMBER_COOKIE_DURATION = timedelta(days=_env_int("REMEMBER_DAYS", 14))
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_SECURE = False
    HSTS = False

    # Failed password checks, counted in the database (README, "Security"). One client that failed
    # LOGIN_CLIENT_FREE_FAILURES times for one account waits LOGIN_DELAY, doubled at each further failure up to
    # LOGIN_DELAY_MAX; the owner elsewhere is not locked out. Its failures are forgotten LOGIN_CLIENT_MEMORY after
    # the last one. Admins are notified (once a day per account) when an account collects LOGIN_MAX_FAILURES
    # failures from all clients within LOGIN_FAILURE_WINDOW.
    LOGIN_CLIENT_FREE_FAILURES = _env_int("LOGIN_CLIENT_FREE_FAILURES", 5)
    LOGIN_DELAY = timedelta(seconds=_env_int("LOGIN_DELAY_SECONDS", 60))
    LOGIN_DELAY_MAX = timedelta(minutes=_env_int("LOGIN_DELAY_MAX_MINUTES", 60))
    LOGIN_CLIENT_MEMORY = timedelta(hours=_env_int("LOGIN_CLIENT_MEMORY_HOURS", 24))
    LOGIN_MAX_FAILURES = _env_int("LOGIN_MAX_FAILURES", 10)
    LOGIN_FAILURE_WINDOW = timedelta(minutes=_env_int("LOGIN_FAILURE_WINDOW_MINUTES", 15))

    # Flask-Caching: the home pages' counts (TPL, contracts, alumni, TPL per province) are kept HOME_COUNTS_SECONDS
    # per scope and shown with the time they were counted. SimpleCache keeps them per worker; CACHE_TYPE=RedisCache
    # with CACHE_REDIS_URL=redis://127.0.0.1:6379/1 shares them between workers and hosts. 0 counts on every visit.
    CACHE_TYPE = os.environ.get("CACHE_TYPE", "SimpleCache")
    CACHE_REDIS_URL = os.environ.get("CACHE_REDIS_URL", "")
    CACHE_KEY_PREFIX = "tpl:"
    HOME_COUNTS_SECONDS = _env_int("HOME_COUNTS_SECONDS", 300)
    # The same for the reports read from the records (the mentorship output report, the people behind a WUB figure):
    # a report asked again within REPORT_COUNTS_SECONDS shows the rows counted first, with their time.
    REPORT_COUNTS_SECONDS = _env_int("REPORT_COUNTS_SECONDS", 300)
    # The roster's flag filters read the stored flags of today alone once every TPL who may have one has a row of
    # today (services/roster_flags.py): that check is kept ROSTER_FLAGS_CHECK_SECONDS. 0 checks at every request.
    ROSTER_FLAGS_CHECK_SECONDS = _env_int("ROSTER_FLAGS_CHECK_SECONDS", 300)

    # Rate limits (Flask-Limiter, tpl_tracker/ratelimits.py): refused with 429 before any password is hashed.
    # memory:// counts per process; with several gunicorn workers or hosts use redis://127.0.0.1:6379/0.
    RATELIMIT_STORAGE_URI = os.environ.get("RATELIMIT_STORAGE_URI", "memory://")
    RATELIMIT_KEY_PREFIX = "tpl"
    RATELIMIT_SWALLOW_ERRORS = True  # storage down: log it and fall back to counting in memory
    RATELIMIT_IN_MEMORY_FALLBACK_ENABLED = True
    RATELIMIT_SIGNIN_PER_CLIENT = os.environ.get("RATELIMIT_SIGNIN_PER_CLIENT", "10 per minute; 100 per hour")
    RATELIMIT_PER_ACCOUNT = os.environ.get("RATELIMIT_PER_ACCOUNT", "20 per minute; 200 per hour")
    # The ceiling on hashing work for everyone together: what the host affords while pages stay quick. 1 a second
    # measured on 2 cores (bench/bench_signin_flood.py, README); raise it with more cores, measuring again.
    RATELIMIT_SIGNIN_ALL = os.environ.get("RATELIMIT_SIGNIN_ALL", "1 per second")
    # Sign-in posts one worker process lets into Flask at once (the others: 429, retry in 1 s), so that hashes
    # never hold every thread of a gthread worker; the pages of those signed in keep the rest.
    RATELIMIT_SIGNIN_CONCURRENT = _env_int("RATELIMIT_SIGNIN_CONCURRENT", 1)
    RATELIMIT_PASSWORD_CHANGE = os.environ.get("RATELIMIT_PASSWORD_CHANGE", "5 per minute; 20 per hour")
    RATELIMIT_PASSWORD_RESET = os.environ.get("RATELIMIT_PASSWORD_RESET", "5 per hour")
    # Requests for a reset link of one address (the keyed hash of the typed address), from every client.
    RATELIMIT_PASSWORD_RESET_PER_ACCOUNT = os.environ.get("RATELIMIT_PASSWORD_RESET_PER_ACCOUNT", "3 per hour")

    # Argon2id (argon2-cffi defaults: RFC 9106 low-memory profile, above OWASP's minimum).
    ARGON2_TIME_COST = _env_int("ARGON2_TIME_COST", 3)
    ARGON2_MEMORY_COST = _env_int("ARGON2_MEMORY_COST", 65536)
    ARGON2_PARALLELISM = _env_int("ARGON2_PARALLELISM", 4)

    BABEL_DEFAULT_LOCALE = "id"
    BABEL_DEFAULT_TIMEZONE = "Asia/Jakarta"
    LANGUAGES = {"id": "Bahasa Indonesia", "en": "English"}

    ENV_NAME = "base"
    # Optional email digest of notifications (SMTP); nothing is sent while MAIL_SERVER is empty.
    MAIL_SERVER = os.environ.get("MAIL_SERVER", "")
    MAIL_PORT = _env_int("MAIL_PORT", 25)
    MAIL_USE_TLS = os.environ.get("MAIL_USE_TLS", "") in ("1", "true", "yes")
    MAIL_USERNAME = os.environ.get("MAIL_USERNAME", "")
    MAIL_PASSWORD = os.environ.get("MAIL_PASSWORD", "")
    MAIL_FROM = os.environ.get("MAIL_FROM", "tpl-tracker@localhost")
    # The address people open the app at (https://tpl.example.go.id): links in emails are built on it. Without it
    # a link is built on the address of the request that makes it (the admin's page); the mail job and the
    # commands, which have no request, need it.
    PUBLIC_URL = os.environ.get("PUBLIC_URL", "").rstrip("/")
    # Password links (services/password_links.py): how long an invitation and a reset link stay valid.
    INVITATION_VALID_DAYS = _env_int("INVITATION_VALID_DAYS", 7)
    RESET_LINK_VALID_MINUTES = _env_int("RESET_LINK_VALID_MINUTES", 60)

    # Tracer surveys fall due this many months after the exit date (comma-separated).
    TRACER_MONTHS = tuple(int(m) for m in os.environ.get("TRACER_MONTHS", "6,12,24").split(",") if m.strip())

    # Largest request body (uploads): bigger ones are refused before they are read.
    MAX_CONTENT_LENGTH = _env_int("MAX_UPLOAD_MB", 25) * 1024 * 1024

    # Behind a reverse proxy (nginx): how many proxies set X-Forwarded-For/-Proto/-Host; 0 trusts none, so that
    # a client cannot forge its address in the audit trail and the rate limits.
    PROXY_FIX = _env_int("PROXY_FIX", 0)

    # Hostile files. Evidence photos: at most this many pixels, judged before decoding.
    EVIDENCE_MAX_PIXELS = _env_int("EVIDENCE_MAX_PIXELS", 40_000_000)
    # Bulk import workbooks, checked before and while they are read (streamed, never loaded whole): rows per sheet,
    # cells in all, the unpacked size of a worksheet part (streamed) and of any other part (read whole: shared
    # strings, styles, ...), and how much better than this ratio a part larger than 1 MB may be compressed.
    IMPORT_MAX_ROWS = _env_int("IMPORT_MAX_ROWS", 100_000)
    IMPORT_MAX_CELLS = _env_int("IMPORT_MAX_CELLS", 2_000_000)
    IMPORT_MAX_SHEET_MB = _env_int("IMPORT_MAX_SHEET_MB", 128)
    IMPORT_MAX_PART_MB = _env_int("IMPORT_MAX_PART_MB", 50)
    IMPORT_MAX_RATIO = _env_int("IMPORT_MAX_RATIO", 100)
    IMPORT_MAX_PARTS = _env_int("IMPORT_MAX_PARTS", 1000)
    # Workbooks with more data rows than this are imported in the background (the `run-queued-work` job), not in
    # the web request; the upload page then shows the run's status page.
    IMPORT_INLINE_MAX_ROWS = _env_int("IMPORT_INLINE_MAX_ROWS", 2000)

    BOOTSTRAP_SERVE_LOCAL = True
    PER_PAGE = _env_int("PER_PAGE", 25)
    SHOW_DEMO_ACCOUNTS = False
    DEMO_PASSWORD = "demo-tpl-2026"


class DevelopmentConfig(Config):
    """Local development on SQLite under instance/."""

    ENV_NAME = "development"
    DEBUG = True
    PUBLIC_URL = os.environ.get("PUBLIC_URL", f"http://127.0.0.1:{_env_int('PORT', 5000)}").rstrip("/")
    SHOW_DEMO_ACCOUNTS = True


class TestingConfig(Config):
    """Automated tests; DATABASE_URL picks SQLite or PostgreSQL."""

    ENV_NAME = "testing"
    TESTING = True
    SECRET_KEY = "testing-secret"
    # Rate limits out of the way; the tests of the limits set their own (tests/functional/test_rate_limits.py).
    RATELIMIT_SIGNIN_PER_CLIENT = "100000 per minute"
    RATELIMIT_PER_ACCOUNT = "100000 per minute"
    RATELIMIT_SIGNIN_ALL = "100000 per minute"
    RATELIMIT_SIGNIN_CONCURRENT = 100
    RATELIMIT_PASSWORD_CHANGE = "100000 per minute"
    RATELIMIT_PASSWORD_RESET = "100000 per minute"
    RATELIMIT_PASSWORD_RESET_PER_ACCOUNT = "100000 per minute"
    RATELIMIT_STORAGE_URI = "memory://"
    HOME_COUNTS_SECONDS = 0  # counted on every visit (tests/unit/test_dashboard.py keeps them)
    REPORT_COUNTS_SECONDS = 0  # likewise (tests/functional/test_kept_reports.py keeps them)
    ROSTER_FLAGS_CHECK_SECONDS = 0  # a test's rows are rolled back after it
    # Cheaper Argon2id parameters keep the suite fast; production keeps the defaults.
    ARGON2_TIME_COST = 1
    ARGON2_MEMORY_COST = 1024  # KiB: about 0.4 ms a verification, the suite signs in thousands of times
    ARGON2_PARALLELISM = 1


class ProductionConfig(Config):
    """Production: PostgreSQL, secure cookies, HSTS; refuses to start half-configured."""

    ENV_NAME = "production"
    SESSION_COOKIE_SECURE = True
    REMEMBER_COOKIE_SECURE = True
    HSTS = True

    @classmethod
    def check(cls) -> None:
        """Refuse to start without the settings production cannot guess."""
        missing = [name for name in ("SECRET_KEY", "DATABASE_URL") if not os.environ.get(name)]
        if missing:
            raise RuntimeError(f"Production configuration needs {', '.join(missing)} to be set.")
        if os.environ.get("MAIL_SERVER") and not os.environ.get("PUBLIC_URL"):
            # A reset link built on the Host header a stranger sent would carry the token to the stranger's site.
            raise RuntimeError(
                "With MAIL_SERVER set, production needs PUBLIC_URL (e.g. https://tpl.example.go.id): the links in "
                "invitation and password reset emails are built on it."
            )
        if len(os.environ["SECRET_KEY"].encode()) < MIN_SECRET_KEY_BYTES:
            raise RuntimeError(
                f"SECRET_KEY must be at least {MIN_SECRET_KEY_BYTES} bytes of random text, for example the output of "
                "python3 -c 'import secrets; print(secrets.token_hex(32))'."
            )


CONFIGS = {
    "development": DevelopmentConfig,
    "testing": TestingConfig,
    "production": ProductionConfig,
}
