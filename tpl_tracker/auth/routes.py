"""Routes of the auth blueprint."""

from datetime import UTC, datetime

from flask import current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_user, logout_user

from ..forms import ConfirmForm, show_rule_problems
from ..ratelimits import password_change_per_user, per_account, signin_all, signin_per_client
from ..security import is_safe_next, public, roles_required
from ..services import ServiceError
from ..services.auth import authenticate, change_password, check_password_change, sign_out
from . import bp
from .forms import ChangePasswordForm, LoginForm

DEMO_ACCOUNTS = [
    ("admin@demo.tpl.id", _l("administrator")),
    ("supervisor@demo.tpl.id", _l("supervisor, %(region)s", region="Maluku Utara")),
    ("supervisor2@demo.tpl.id", _l("supervisor, %(region)s", region="Sulawesi Selatan")),
    ("tpl@demo.tpl.id", _l("TPL, %(region)s", region="Kota Ternate")),
    ("tpl2@demo.tpl.id", _l("TPL, %(region)s", region="Kota Makassar")),
    ("alumni@demo.tpl.id", _l("former TPL, %(region)s", region="Kota Ternate")),
    ("evaluator@demo.tpl.id", _l("evaluator")),
]


def _start_session(user, remember: bool) -> None:
    """A fresh session for a signed-in user, keeping only the chosen language."""
    lang = session.get("lang")
    session.clear()
    if lang:
        session["lang"] = lang
    login_user(user, remember=remember)
    now = datetime.now(UTC).timestamp()
    session["login_at"] = now
    session["last_seen"] = now
    session["remember_me"] = bool(remember)
    session.permanent = True


@bp.route("/login", methods=["GET", "POST"])
@public
@signin_per_client
@per_account
@signin_all  # innermost: counts only the posts the limits above let through
def login():
    """Sign in with email and password."""
    next_url = request.args.get("next")
    if current_user.is_authenticated:
        return redirect(next_url if is_safe_next(next_url) else url_for("main.home"))
    form = LoginForm()
    if form.validate_on_submit():
        try:
            user = authenticate(form.email.data, form.password.data, client=request.remote_addr)
        except ServiceError as error:
            flash(error.message, "danger")
        else:
            _start_session(user, form.remember.data)
            return redirect(next_url if is_safe_next(next_url) else url_for("main.home"))
    demo = DEMO_ACCOUNTS if current_app.config.get("SHOW_DEMO_ACCOUNTS") else []
    return render_template(
        "auth/login.html", form=form, demo_accounts=demo, demo_password=current_app.config["DEMO_PASSWORD"]
    )


@bp.route("/logout", methods=["POST"])
@roles_required()
def logout():
    """Sign out: the session cookie becomes useless, on this and every other device."""
    form = ConfirmForm()
    if form.validate_on_submit():
        sign_out(current_user)
        lang = session.get("lang")
        logout_user()
        session.clear()
        if lang:
            session["lang"] = lang
        flash(_("You have signed out."), "info")
    return redirect(url_for("auth.login"))


@bp.route("/password", methods=["GET", "POST"])
@roles_required()
@password_change_per_user
@per_account
def password():
    """Change one's own password; other sessions end. A wrong current password is counted and audited (the page
    answers 200, so that count and entry are committed)."""
    form = ChangePasswordForm()

    def typed():
        return form.current_password.data, form.new_password.data, form.confirm.data

    if form.validate_on_submit():
        try:
            change_password(current_user, *typed(), client=request.remote_addr)
        except ServiceError as error:
            # No rollback: a wrong current password's count and audit entry are committed with this page.
            for problem in error.errors:
                getattr(form, problem.field or "new_password").errors.append(problem.message)
        else:
            # The token rotated: sign this browser in again with the new one.
            _start_session(current_user._get_current_object(), session.get("remember_me", False))
            flash(_("Your password has been changed. Other devices have been signed out."), "success")
            return redirect(url_for("main.home"))
    elif form.is_submitted():
        show_rule_problems(form, lambda: check_password_change(current_user, *typed()))
    return render_template("auth/password.html", form=form)
