"""The supervisor's tools: roster, review queue, a TPL's work, targets and handover."""

from flask import Blueprint

bp = Blueprint("supervision", __name__)

from . import routes  # noqa: E402,F401
