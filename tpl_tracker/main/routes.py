"""Routes of the main blueprint."""

from flask import (
    abort,
    current_app,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_login import current_user

from ..dates import programme_today
from ..forms import ConfirmForm
from ..models import Role
from ..security import is_safe_next, public, roles_required
from ..services import dashboard
from ..services.reviews import days_waiting
from ..services.supervision import supervisor_home
from ..services.users import remember_language
from . import bp


@bp.route("/")
@roles_required()
def home():
    """A home page made for the user's role."""
    today = programme_today()
    if current_user.has_role(Role.FACILITATOR):
        facilitator = current_user.facilitator
        contract = facilitator.current_contract(today) if facilitator else None
        home = dashboard.facilitator_home(facilitator, today) if facilitator else None
        return render_template(
            "main/home_facilitator.html", facilitator=facilitator, contract=contract, today=today, home=home
        )
    figures, counted_at = dashboard.home_figures(current_user, today)
    counted = {"counts": figures["counts"], "counted_at": counted_at}
    if current_user.has_role(Role.SUPERVISOR):
        ending, ending_total = dashboard.contracts_ending_soon(current_user, today)
        return render_template(
            "main/home_supervisor.html",
            **counted,
            ending=ending,
            ending_total=ending_total,
            home=supervisor_home(current_user, today),
            days_waiting=days_waiting,
            today=today,
        )
    if current_user.has_role(Role.EVALUATOR):
        return render_template(
            "main/home_evaluator.html", **counted, provinces=figures["provinces"], wub=dashboard.latest_wub()
        )
    return render_template(
        "main/home_admin.html", **counted, users=dashboard.user_counts(), entries=dashboard.recent_audit()
    )


@bp.route("/language", methods=["POST"])
@public
def set_language():
    """Switch the interface language for this browser session (and, signed in, for the user's emails)."""
    form = ConfirmForm()
    lang = request.form.get("lang")
    if not form.validate_on_submit() or lang not in current_app.config["LANGUAGES"]:
        abort(400)
    session["lang"] = lang
    if current_user.is_authenticated:
        remember_language(current_user, lang)
    target = request.form.get("next")
    return redirect(target if is_safe_next(target) else url_for("main.home"))
