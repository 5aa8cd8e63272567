"""Routes of the businesses blueprint."""
from . import bp  # noqa: F401
