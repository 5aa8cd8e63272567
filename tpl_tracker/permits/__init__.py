"""Permits and certificates a TPL facilitates for a business."""

from flask import Blueprint

bp = Blueprint("permits", __name__)

from . import routes  # noqa: E402,F401
