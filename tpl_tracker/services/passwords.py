"""Password hashing (Argon2id) and the password policy."""

import secrets
from functools import lru_cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app
from flask_babel import gettext as _

MIN_LENGTH = 8
MAX_LENGTH = 128
# The stored "hash" of an account that has no usable password yet (invited, imported): no Argon2 hash starts with
# it, so no password matches it (services/users.py, set_unusable_password / has_usable_password).
UNUSABLE_PREFIX = "!"


def _hasher() -> PasswordHasher:
    config = current_app.config
    return PasswordHasher(
        time_cost=config["ARGON2_TIME_COST"],
        memory_cost=config["ARGON2_MEMORY_COST"],
        parallelism=config["ARGON2_PARALLELISM"],
    )


def hash_password(password: str) -> str:
    """Hash a password with Argon2id."""
    return _hasher().hash(password)


def unusable_hash() -> str:
    """A stored value that no password matches: the prefix and random text (never two accounts alike)."""
    return UNUSABLE_PREFIX + secrets.token_urlsafe(30)


def is_usable_hash(password_hash: str | None) -> bool:
    """True when a stored hash is a password's, False for an account that has none yet."""
    return bool(password_hash) and not password_hash.startswith(UNUSABLE_PREFIX)


def verify_password(password_hash: str, password: str) -> bool:
    """Check a password against its hash without raising; never true for an unusable password."""
    if not is_usable_hash(password_hash):
        return False
    try:
        return _hasher().verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    """True when the hash was made with weaker parameters than today's."""
    try:
        return _hasher().check_needs_rehash(password_hash)
    except InvalidHashError:
        return True


@lru_cache(maxsize=1)
def _common_passwords() -> frozenset[str]:
    from zxcvbn.frequency_lists import FREQUENCY_LISTS

    return frozenset(FREQUENCY_LISTS["passwords"])


def password_problem(password: str, email: str | None = None) -> str | None:
    """Why a new password is refused (in the user's language), or None when it is acceptable."""
    if len(password) < MIN_LENGTH:
        return _("The password must have at least %(n)d characters.", n=MIN_LENGTH)
    if len(password) > MAX_LENGTH:
        return _("The password may have at most %(n)d characters.", n=MAX_LENGTH)
    lowered = password.lower()
    if lowered in _common_passwords() or len(set(lowered)) < 3:
        return _("This password is too common; choose a less predictable one.")
    if email and lowered == email.lower():
        return _("The password must not be your email address.")
    return None
