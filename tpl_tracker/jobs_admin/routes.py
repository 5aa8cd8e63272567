"""Routes of the jobs_admin blueprint."""

from flask import abort, current_app, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ..extensions import db
from ..forms import ConfirmForm
from ..jobs import JOBS
from ..jobs.runner import cron_fields, recent_runs, run_job
from ..models import Role
from ..security import roles_required
from ..services.policy import can_start_job
from . import bp


@bp.route("/")
@roles_required(Role.ADMIN, Role.EVALUATOR)
def index():
    """The jobs with their schedules, and the latest runs."""
    page = db.paginate(recent_runs(), per_page=current_app.config["PER_PAGE"], error_out=False)
    jobs = [(job, cron_fields(name)) for name, job in JOBS.items()]
    return render_template("jobs_admin/index.html", jobs=jobs, page=page, form=ConfirmForm())


@bp.route("/<name>/run", methods=["POST"])
@roles_required(Role.ADMIN, Role.EVALUATOR)
def start(name: str):
    """Start a job now (it waits for no schedule; a running one makes this run a recorded skip)."""
    if name not in JOBS:
        abort(404)
    if not can_start_job(current_user, name):
        abort(403)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    run = run_job(name, triggered_by=current_user)
    messages = {
        "success": (_("Job %(name)s finished: %(rows)d rows written.", name=name, rows=run.rows_written), "success"),
        "skipped": (_("Job %(name)s is already running elsewhere; this run was skipped.", name=name), "warning"),
    }
    message, category = messages.get(run.outcome, (_("Job %(name)s failed; see the run below.", name=name), "danger"))
    flash(message, category)
    return redirect(url_for("jobs_admin.index"))
