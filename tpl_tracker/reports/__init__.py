"""Outcome reports: the WUB figures from the stored snapshots."""

from flask import Blueprint

bp = Blueprint("reports", __name__)

from . import people, routes  # noqa: E402,F401
