"""Scheduled jobs in the browser: the runs, and starting a job now."""

from flask import Blueprint

bp = Blueprint("jobs_admin", __name__)

from . import routes  # noqa: E402,F401
