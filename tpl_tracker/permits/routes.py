"""Routes of the permits blueprint."""
from . import bp  # noqa: F401
