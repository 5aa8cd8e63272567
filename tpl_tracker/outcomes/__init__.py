"""Tracer surveys (survei penelusuran alumni) of former TPL."""

from flask import Blueprint

bp = Blueprint("outcomes", __name__)

from . import routes  # noqa: E402,F401
