"""Routes of the jobs_admin blueprint."""

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ..forms import ConfirmForm
from ..jobs import JOBS
from ..jobs.runner import cron_fields, queue_job, recent_runs
from ..models import JobRun, Role
from ..pagination import paginate_by_key
from ..security import roles_required
from ..services.policy import can_start_job
from . import bp


@bp.route("/")
@roles_required(Role.ADMIN, Role.EVALUATOR)
def index():
    """The jobs with their schedules, and the latest runs."""
    page = paginate_by_key(recent_runs(), [JobRun.id])
    jobs = [(job, cron_fields(name)) for name, job in JOBS.items()]
    waiting = any(run.outcome in ("queued", "running") for run in page.items)
    return render_template("jobs_admin/index.html", jobs=jobs, page=page, form=ConfirmForm(), waiting=waiting)


@bp.route("/<name>/run", methods=["POST"])
@roles_required(Role.ADMIN, Role.EVALUATOR)
def start(name: str):
    """Queue a run of the job now (it waits for no schedule): the `run-queued-work` job starts it outside the web
    request, within a minute."""
    if name not in JOBS:
        abort(404)
    if not can_start_job(current_user, name):
        abort(403)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    queue_job(name, triggered_by=current_user._get_current_object())
    flash(_("Job %(name)s is queued: the scheduler starts it within a minute.", name=name), "info")
    return redirect(url_for("jobs_admin.index"))
