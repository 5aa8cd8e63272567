"""Routes of the notifications blueprint."""

from flask import abort, redirect, render_template, request, url_for
from flask_login import current_user

from ..forms import ConfirmForm
from ..pagination import paginate
from ..security import is_safe_next, roles_required
from ..services.notification_kinds import notification_text, notification_url
from ..services.notifications import mark_read, user_notifications
from . import bp


@bp.route("/")
@roles_required()
def index():
    """The user's notifications, unread first, in the reader's language."""
    page = paginate(user_notifications(current_user))
    shown = [(note, notification_text(note), notification_url(note)) for note in page.items]
    return render_template("notifications/index.html", page=page, shown=shown, form=ConfirmForm())


@bp.route("/<int:notification_id>/read", methods=["POST"])
@roles_required()
def read(notification_id: int):
    """Mark one notification as read and open what it points to."""
    if not ConfirmForm().validate_on_submit():
        abort(400)
    mark_read(current_user, notification_id)
    target = request.form.get("next")
    return redirect(target if is_safe_next(target) else url_for("notifications.index"))


@bp.route("/read-all", methods=["POST"])
@roles_required()
def read_all():
    """Mark every notification as read."""
    if not ConfirmForm().validate_on_submit():
        abort(400)
    mark_read(current_user)
    return redirect(url_for("notifications.index"))
