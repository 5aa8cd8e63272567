"""The monthly report: a TPL submits a month, the supervisor approves or returns it."""

from flask import Blueprint

bp = Blueprint("reviews", __name__)

from . import routes  # noqa: E402,F401
