"""IKM binaan (mentored businesses), their assessments and requests to mentor them."""

from flask import Blueprint

bp = Blueprint("businesses", __name__)

from . import routes  # noqa: E402,F401
