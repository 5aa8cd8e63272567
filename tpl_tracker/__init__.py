"""TPL Tracker: the Flask application factory."""

import os

from flask import Flask, flash, redirect, render_template, request, session
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.routing import IntegerConverter

from config import CONFIGS, ProductionConfig

from . import template_translations
from .dates import now_utc
from .extensions import babel, bootstrap, cache, csrf, db, login_manager, migrate


def create_app(config_name: str | None = None, overrides: dict | None = None) -> Flask:
    """Build the application for a configuration name (FLASK_CONFIG, default development)."""
    config_name = config_name or os.environ.get("FLASK_CONFIG", "development")
    config_class = CONFIGS[config_name]
    if config_class is ProductionConfig:
        ProductionConfig.check()
    app = Flask(__name__, instance_relative_config=True)
    app.url_map.converters["int"] = RecordId
    app.config.from_object(config_class)
    if overrides:
        app.config.update(overrides)
    os.makedirs(app.instance_path, exist_ok=True)

    register_extensions(app)
    register_blueprints(app)
    register_errorhandlers(app)
    register_commands(app)
    register_hooks(app)
    from .ratelimits import install_gate

    install_gate(app)  # sign-in floods refused before Flask runs; inside ProxyFix, so it sees the client's address
    proxies = int(app.config.get("PROXY_FIX") or 0)
    if proxies:
        # The client's address, scheme and host as the trusted proxies saw them (audit IPs, rate limits, URLs).
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies, x_host=proxies, x_port=proxies)
    return app


def select_locale() -> str:
    """The interface language: this browser's choice, else the signed-in user's last choice, else Bahasa
    Indonesia."""
    from flask import current_app, has_request_context
    from flask_login import current_user

    languages = current_app.config["LANGUAGES"]
    if has_request_context():
        remembered = current_user.language if current_user.is_authenticated else None
        for chosen in (session.get("lang"), remembered):
            if chosen in languages:
                return chosen
    return current_app.config["BABEL_DEFAULT_LOCALE"]


def register_extensions(app: Flask) -> None:
    """Bind the extensions to the app and tune the database engine."""
    from . import models  # noqa: F401  (register the tables)
    from .database import configure_engine

    db.init_app(app)
    from flask_sqlalchemy.session import Session

    from .services import roster_flags

    roster_flags.register(Session)  # the roster flags' table follows each commit of every Flask-SQLAlchemy session
    migrate.init_app(
        app,
        db,
        directory=os.path.join(os.path.dirname(app.root_path), "migrations"),
        render_as_batch=True,
        compare_type=True,
    )
    csrf.init_app(app)
    from . import ratelimits

    ratelimits.init_app(app)
    babel.init_app(app, locale_selector=select_locale)
    template_translations.install(app)
    bootstrap.init_app(app)
    cache.init_app(app)
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = _l("Please sign in to open this page.")
    login_manager.login_message_category = "warning"
    login_manager.session_protection = "strong"
    with app.app_context():
        configure_engine(db.engine, app.config)

    from .services.auth import load_user_by_token

    login_manager.user_loader(load_user_by_token)


class RecordId(IntegerConverter):
    """`<int:...>` in URLs: ids beyond what the database's integer columns hold are simply not found."""

    def __init__(self, map, *args, **kwargs):
        kwargs.setdefault("max", 2**31 - 1)
        super().__init__(map, *args, **kwargs)


def register_blueprints(app: Flask) -> None:
    """Register one blueprint per feature."""
    from .activities import bp as activities_bp
    from .admin import bp as admin_bp
    from .auth import bp as auth_bp
    from .businesses import bp as businesses_bp
    from .facilitators import bp as facilitators_bp
    from .imports import bp as imports_bp
    from .jobs_admin import bp as jobs_bp
    from .main import bp as main_bp
    from .notifications import bp as notifications_bp
    from .outcomes import bp as outcomes_bp
    from .permits import bp as permits_bp
    from .reports import bp as reports_bp
    from .reviews import bp as reviews_bp
    from .supervision import bp as supervision_bp

    app.register_blueprint(main_bp)
    app.register_blueprint(auth_bp, url_prefix="/auth")
    app.register_blueprint(facilitators_bp, url_prefix="/tpl")
    app.register_blueprint(admin_bp, url_prefix="/admin")
    app.register_blueprint(imports_bp, url_prefix="/admin/import")
    app.register_blueprint(jobs_bp, url_prefix="/jobs")
    app.register_blueprint(reports_bp, url_prefix="/reports")
    app.register_blueprint(outcomes_bp, url_prefix="/tracer")
    app.register_blueprint(notifications_bp, url_prefix="/notifications")
    app.register_blueprint(businesses_bp, url_prefix="/ikm")
    app.register_blueprint(activities_bp, url_prefix="/kegiatan")
    app.register_blueprint(permits_bp, url_prefix="/izin")
    app.register_blueprint(reviews_bp, url_prefix="/bulanan")
    app.register_blueprint(supervision_bp, url_prefix="/supervisi")


def register_errorhandlers(app: Flask) -> None:
    """Friendly error pages in the user's language, never a stack trace.

    Each handler first rolls the failed transaction back (a page cannot query inside it), and if even the
    page cannot be rendered (the database is down) a plain page in Indonesian is sent instead; the security
    headers are added to either by the after-request hook.
    """
    from flask_wtf.csrf import CSRFError

    from .services import NotFound

    def error_page(code: int, **context):
        db.session.rollback()
        try:
            return render_template("errors/error.html", code=code, **context), code
        except Exception:
            app.logger.exception("The error page %s could not be rendered", code)
            db.session.rollback()
            return FALLBACK_ERROR_PAGE, code, {"Content-Type": "text/html; charset=utf-8"}

    def render_error(error):
        code = getattr(error, "code", 500) or 500
        # A description of our own (abort(400, description=...)) says what was wrong; Werkzeug's are English.
        own = getattr(error, "description", None) != getattr(type(error), "description", None)
        return error_page(code, message=error.description if own and code == 400 else None)

    for code in (400, 403, 404, 405, 413, 429, 500):
        app.register_error_handler(code, render_error)

    @app.errorhandler(NotFound)
    def not_found(error):
        # A loader found nothing in the user's scope: a plain 404, audited when the record exists.
        if error.denied is not None:
            from .security import audit_refused_access

            audit_refused_access(error.denied, error.target)
        return error_page(404)

    @app.errorhandler(CSRFError)
    def csrf_error(error):
        # A signed-in form that sat too long (or whose session ended): back to its page, where what was typed is
        # restored from its draft (static/drafts.js); from there an ended session leads through the sign-in page
        # and back. Nothing of the post is done. Public forms (sign-in, language) keep the error page.
        from .drafts import keep_draft
        from .security import PUBLIC, declared_access, form_page

        # Only a page's own post (a navigation): a script's background post (the TPL picker) keeps its 400.
        navigation = request.headers.get("Sec-Fetch-Mode", "navigate") == "navigate"
        target = form_page() if request.method == "POST" and navigation else None
        if target is None or declared_access(request.endpoint) == PUBLIC:
            return error_page(400, csrf=True)
        db.session.rollback()
        keep_draft()
        flash(gettext("The form had expired and nothing was saved. Check what you typed and save again."), "warning")
        return redirect(target, 303)


FALLBACK_ERROR_PAGE = (
    '<!doctype html><html lang="id"><meta charset="utf-8"><title>Terjadi kesalahan</title>'
    "<h1>Terjadi kesalahan</h1><p>Layanan sedang terganggu. Silakan coba lagi beberapa saat lagi.</p>"
    '<p lang="en">Something went wrong. Please try again later.</p><p><a href="/">Beranda</a></p></html>'
)


def register_commands(app: Flask) -> None:
    """Add the `flask` commands of cli.py."""
    from .cli import register

    register(app)


def register_hooks(app: Flask) -> None:
    """Access declaration, session limits, security headers and template helpers."""
    from . import drafts, log_privacy, security, transactions

    log_privacy.init_app(app)
    drafts.init_app(app)
    transactions.init_app(app)
    security.init_app(app)
    from . import formatting
    from .models import codes
    from .services import policy

    # Globals, so that macros imported without context (`_history.html`) can use them too; `policy` decides
    # which buttons a user is shown, with the same predicates the routes and services check.
    app.jinja_env.globals.update(fmt=formatting, codes=codes, policy=policy)

    @app.context_processor
    def inject_helpers():
        from flask_login import current_user

        from . import formatting
        from .models import Role
        from .services.notifications import unread_count

        signed_in = current_user.is_authenticated
        return {
            "unread_notifications": unread_count(current_user) if signed_in else 0,
            "Role": Role,
            "fmt": formatting,
            "current_locale": select_locale(),
            "languages": app.config["LANGUAGES"],
            "request_path": request.path,
            "printed_at": now_utc(),
        }
