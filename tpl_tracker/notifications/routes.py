"""Routes of the notifications blueprint."""

from flask import abort, current_app, redirect, render_template, request, url_for
from flask_login import current_user
from flask_wtf import FlaskForm

from ..extensions import db
from ..security import is_safe_next, roles_required
from ..services.notifications import mark_read, user_notifications
from . import bp


@bp.route("/")
@roles_required()
def index():
    """The user's notifications, unread first."""
    page = db.paginate(user_notifications(current_user), per_page=current_app.config["PER_PAGE"], error_out=False)
    return render_template("notifications/index.html", page=page, form=FlaskForm())


@bp.route("/<int:notification_id>/read", methods=["POST"])
@roles_required()
def read(notification_id: int):
    """Mark one notification as read and open what it points to."""
    if not FlaskForm().validate_on_submit():
        abort(400)
    mark_read(current_user, notification_id)
    target = request.form.get("next")
    return redirect(target if is_safe_next(target) else url_for("notifications.index"))


@bp.route("/read-all", methods=["POST"])
@roles_required()
def read_all():
    """Mark every notification as read."""
    if not FlaskForm().validate_on_submit():
        abort(400)
    mark_read(current_user)
    return redirect(url_for("notifications.index"))
