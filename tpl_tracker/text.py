"""Text hygiene shared by every layer: what a typed text may not contain."""

import re

# C0 and C1 control characters and DEL; tab, line feed and carriage return are ordinary typing.
CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


def has_control_characters(value: object) -> bool:
    """True when a text holds a control character (NUL and the like) that no one types on purpose."""
    return isinstance(value, str) and CONTROL_CHARACTERS.search(value) is not None


def control_characters_message() -> str:
    """What a person is told when a text or an address holds a control character, in their language."""
    from flask_babel import gettext as _

    return _("The text contains invisible control characters that are not allowed. Please type it again.")
