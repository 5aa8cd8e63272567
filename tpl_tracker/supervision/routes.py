"""Routes of the supervision blueprint."""
from . import bp  # noqa: F401
