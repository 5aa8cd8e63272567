"""Password hashing (Argon2id) and the password policy."""

import pytest
from flask_babel import gettext as _
from zxcvbn.frequency_lists import FREQUENCY_LISTS

from tpl_tracker.services.passwords import hash_password, password_problem, verify_password

TOO_SHORT = "The password must have at least %(n)d characters."
TOO_LONG = "The password may have at most %(n)d characters."
TOO_COMMON = "This password is too common; choose a less predictable one."
IS_EMAIL = "The password must not be your email address."


def test_hash_is_argon2id_and_salted():
    first = hash_password("correct-horse-battery")
    second = hash_password("correct-horse-battery")
    assert first.startswith("$argon2id$")
    assert first != second, "every hash must have its own salt"


def test_verify_accepts_the_right_password_only():
    hashed = hash_password("correct-horse-battery")
    assert verify_password(hashed, "correct-horse-battery") is True
    assert verify_password(hashed, "correct-horse-batterY") is False
    assert verify_password(hashed, "") is False


def test_verify_does_not_raise_on_a_broken_hash():
    assert verify_password("not-a-hash", "whatever") is False


def test_too_short_password_is_refused():
    assert password_problem("Xq7!zr9") == _(TOO_SHORT, n=8)  # 7 characters


def test_eight_characters_are_enough():
    assert password_problem("Xq7!zr9k") is None


def test_too_long_password_is_refused():
    assert password_problem("Xq7!zr9k" * 16 + "a") == _(TOO_LONG, n=128)  # 129 characters


def test_128_characters_are_accepted():
    assert password_problem("Xq7!zr9k" * 16) is None


def test_64_character_password_is_accepted():
    password = "Kopi tubruk di Ternate, pagi hari sebelum ke bengkel IKM no. 42!"
    assert len(password) == 64
    assert password_problem(password) is None


@pytest.mark.parametrize("password", ["password123", "qwerty123", "iloveyou1"])
def test_common_passwords_are_refused(password):
    assert password in FREQUENCY_LISTS["passwords"], "test premise: a password from the zxcvbn list"
    assert password_problem(password) == _(TOO_COMMON)


def test_common_password_is_refused_whatever_its_case():
    assert password_problem("PassWord123") == _(TOO_COMMON)


def test_password_of_repeated_characters_is_refused():
    assert password_problem("abababababab") == _(TOO_COMMON)


def test_password_equal_to_the_email_is_refused():
    email = "rahmat.hidayat@ternate.example.id"
    assert password_problem(email, email) == _(IS_EMAIL)
    assert password_problem(email.upper(), email) == _(IS_EMAIL)


def test_good_passphrase_is_accepted():
    assert password_problem("sagu lempeng dan teh manis", "rahmat@example.id") is None
