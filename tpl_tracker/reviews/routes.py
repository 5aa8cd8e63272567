"""Routes of the reviews blueprint."""
from . import bp  # noqa: F401
