"""The user's notifications: the bell, the list, mark as read."""

from flask import Blueprint

bp = Blueprint("notifications", __name__)

from . import routes  # noqa: E402,F401
