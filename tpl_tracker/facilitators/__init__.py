"""TPL profiles and their contracts."""

from flask import Blueprint

bp = Blueprint("facilitators", __name__)

from . import routes  # noqa: E402,F401
