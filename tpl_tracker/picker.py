"""The TPL picker inside a form (the web side of services/people.py): a search box, the TPL chosen so far and a
page of matches, all fields of the form itself, so that it works without JavaScript and keeps what was typed in
the rest of the form.

Its buttons (`picker-search`, `picker-page`) post the whole form back: the view then shows it again with the
posted values and the matches, saving nothing and showing no error (`is_picker_post`). Searching by NIK works
only in such a post. The address may carry `?picker-q=` too (name or email only). static/picker.js refreshes the
picker in place while typing.
"""

from dataclasses import dataclass

import sqlalchemy as sa
from flask import request

from .extensions import db
from .forms import LARGEST_INTEGER
from .models import Facilitator, User
from .pagination import Page, paginate
from .security import PAGE_NUMBER
from .services.people import SEARCH_MAX, PickerSearch, matching, nik_refused
from .services.policy import can_see_personal_numbers
from .text import CONTROL_CHARACTERS

SEARCH_FIELD = "picker-q"
SEARCH_BUTTON = "picker-search"
PAGE_BUTTON = "picker-page"


def is_picker_post() -> bool:
    """True for a post sent by the picker's own buttons: it searches and saves nothing."""
    return request.method == "POST" and (SEARCH_BUTTON in request.form or PAGE_BUTTON in request.form)


def picker_search() -> PickerSearch:
    """What the picker was asked, from the posted form or (a GET) the address."""
    values = request.form if request.method == "POST" else request.args
    text = CONTROL_CHARACTERS.sub("", values.get(SEARCH_FIELD, "") or "")[: SEARCH_MAX * 2]
    page = values.get(PAGE_BUTTON, "") or ""
    return PickerSearch(
        text=text.strip(),
        posted=request.method == "POST",
        page=int(page) if PAGE_NUMBER.fullmatch(page) else 1,
    )


@dataclass
class Picker:
    """What the picker macro (templates/_picker.html) draws."""

    field: str  # the name of the form field the chosen ids are posted in
    multiple: bool
    chosen: list[Facilitator]
    page: Page
    search: PickerSearch
    nik_refused: bool
    masked: bool
    searched: bool  # a picker post: the rest of the form is not saved yet


def build_picker(field: str, candidates: sa.Select, chosen_ids, reader: User, multiple: bool = False) -> Picker:
    """The picker of `field` over `candidates` (a select of TPL already limited to the reader's scope and the
    purpose): the chosen TPL among them, and the page of the others that the search names."""
    search = picker_search()
    ids = {i for i in (chosen_ids or []) if isinstance(i, int) and 0 < i <= LARGEST_INTEGER}  # posted as typed
    chosen = list(db.session.scalars(candidates.where(Facilitator.id.in_(ids)))) if ids else []
    others = matching(candidates, reader, search)
    if ids:
        others = others.where(Facilitator.id.not_in(ids))
    return Picker(
        field=field,
        multiple=multiple,
        chosen=chosen,
        page=paginate(others, number=search.page),
        search=search,
        nik_refused=nik_refused(reader, search),
        masked=not can_see_personal_numbers(reader),
        searched=is_picker_post(),
    )
