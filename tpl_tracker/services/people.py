"""Finding TPL at scale: the search behind the pickers (a supervisor's assigned TPL, the handover target, the TPL
a survey is recorded for), instead of one option per TPL.

A picker lists the TPL of a select that the caller has already limited to the reader's scope and to the purpose
(`policy.facilitator_scope`, a running contract, ...), narrowed by a typed text: part of the name or the email from
any search; an exact NIK only from a posted search and only for readers who see NIK unmasked
(`policy.can_see_personal_numbers`), so that a NIK never travels in an address (nor lands in an access log) and a
reader who sees NIK masked cannot confirm a NIK they guessed. The chosen id is checked again by the use case that
takes it: a picker only offers.
"""

import re
from dataclasses import dataclass

import sqlalchemy as sa

from ..models import Facilitator, User
from .policy import can_see_personal_numbers

SEARCH_MAX = 100  # characters of a search text that count


@dataclass
class PickerSearch:
    """What a picker was asked: the typed text, whether it came in a posted form, the page wanted."""

    text: str = ""
    posted: bool = False
    page: int = 1


def nik_in(text: str | None) -> str | None:
    """The 16 digits of a typed NIK (spaces and dots ignored), None when the text is not one."""
    digits = re.sub(r"[\s.]", "", text or "")
    return digits if re.fullmatch(r"\d{16}", digits) else None


def like_term(text: str) -> str:
    """A LIKE pattern matching `text` anywhere, its own % and _ taken literally (escape character \\)."""
    escaped = text.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def matching(query: sa.Select, reader: User, search: PickerSearch) -> sa.Select:
    """The TPL of `query` that the search text names: by exact NIK when the text is one, posted, and the reader
    sees NIK; else by part of the name or email. All of them when nothing is typed."""
    text = " ".join((search.text or "").split())[:SEARCH_MAX]
    if not text:
        return query
    nik = nik_in(text)
    if nik is not None and search.posted and can_see_personal_numbers(reader):
        return query.where(Facilitator.nik == nik)
    term = like_term(text)
    return query.where(
        sa.or_(
            sa.func.lower(Facilitator.full_name).like(term, escape="\\"),
            sa.func.lower(Facilitator.email).like(term, escape="\\"),
        )
    )


def nik_refused(reader: User, search: PickerSearch) -> bool:
    """True when the text is a NIK that cannot be looked up here: typed in an address, or by a reader who sees NIK
    masked (the page then says how to search instead)."""
    return nik_in(search.text) is not None and (not search.posted or not can_see_personal_numbers(reader))
