"""Access rows of the supervision routes, joined into the table of test_access.py (same row format)."""
from .access_common import ADMIN_ONLY, ALL_200, LOGIN, ROLES  # noqa: F401

TABLE = []

WRITES = []
