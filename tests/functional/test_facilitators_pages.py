"""The TPL profile and contract forms: every mistake of a submit is named at once, next to its field."""

import sqlalchemy as sa

from tpl_tracker.models import AuditEntry, Contract, Facilitator

from ..clock import dmy
from ..conftest import page_text as _page
from ..conftest import ui_message as _message


def _count(db, model, *where) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model).where(*where))


def _changes(db) -> int:
    return _count(db, AuditEntry, AuditEntry.action.not_in(["login", "access_denied"]))


def _required(app, label: str) -> str:
    return _message(app, "%(label)s is required.", label=_message(app, label))


def test_every_mistake_of_the_facilitator_form_is_named_in_one_submit(app, client, login_as, world, db):
    """Five mistakes and a mistyped number, one submit: each message stands next to its field, in Indonesian,
    and nothing is written."""
    login_as("admin")
    before, facilitators = _changes(db), _count(db, Facilitator)
    mistakes = {
        "nik": "",
        "full_name": "",
        "gender": "X",
        "birth_date": "",
        "phone": "12345",
        "angkatan": "dua ribu",
        "polytechnic": "Universitas Entah",
        "supervisor_id": "None",
        "user_id": "None",
    }

    text = _page(client.post("/tpl/new", data=mistakes))

    for message in (
        _message(app, "The name is required."),
        _message(app, "Choose the gender."),
        _required(app, "Birth date"),
        _message(app, "This is not a valid Indonesian phone number."),
        _message(app, "Choose a polytechnic from the list."),
        _message(app, "Not a valid integer value."),
    ):
        assert message in text
    assert text.count("invalid-feedback") >= 7  # the NIK too
    assert "This field is required." not in text
    assert _count(db, Facilitator) == facilitators and _changes(db) == before


def test_every_mistake_of_the_contract_form_is_named_in_one_submit(app, client, login_as, world, db):
    """A terminated contract without number, placement, termination date or reason, and a mistyped end date:
    one submit names them all, and nothing is written."""
    login_as("admin")
    before, contracts = _changes(db), _count(db, Contract)
    mistakes = {
        "number": "",
        "start_date": dmy(1, 1),
        "end_date": "31/02",
        "placement_code": "99.99",
        "status": "terminated",
        "terminated_on": "",
        "termination_reason": "",
    }

    text = _page(client.post(f"/tpl/{world['tpl'].id}/contracts/new", data=mistakes))

    for message in (
        _message(app, "The contract number is required."),
        _message(app, "Not a valid date: use DD/MM/YYYY."),
        _message(app, "Choose a kabupaten/kota for the placement."),
        _message(app, "A terminated contract needs the termination date."),
        _message(app, "Give the reason for the termination."),
    ):
        assert message in text
    assert _count(db, Contract) == contracts and _changes(db) == before


def test_a_contract_ending_before_it_starts_is_named_with_the_other_mistakes(app, client, login_as, world, db):
    """Rules between fields are named together with the rules of single fields."""
    login_as("admin")
    contracts = _count(db, Contract)
    data = {
        "number": "x" * 61,
        "start_date": dmy(6, 1, years=+1),
        "end_date": dmy(5, 31, years=+1),
        "placement_code": "82.71",
        "status": "active",
    }

    text = _page(client.post(f"/tpl/{world['tpl'].id}/contracts/new", data=data))

    too_long = _message(
        app, "%(label)s is too long (at most %(max)d characters).", label=_message(app, "Contract number"), max=60
    )
    assert too_long in text
    assert _message(app, "A contract cannot end before it starts.") in text
    assert _count(db, Contract) == contracts
