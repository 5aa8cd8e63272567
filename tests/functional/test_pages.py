"""Admin and TPL pages over HTTP: what a good form writes, what a bad one refuses, who sees what."""

from datetime import date

import pytest
import sqlalchemy as sa

from tpl_tracker.models import AuditEntry, Contract, Facilitator, User
from tpl_tracker.services.passwords import verify_password

from ..clock import YEAR, dmy, on
from ..conftest import page_text as _page
from ..conftest import sign_in
from ..conftest import ui_message as _message
from ..factories import PASSWORD, FacilitatorFactory, make_nik

NEW_PASSWORD = "sagu lempeng dan teh manis"
CONTRACT_NUMBER = f"KP/TPL/{YEAR + 1}/001"  # a contract of the year after the tests' year


def _count(db, model, *where) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model).where(*where))


def _user(db, email: str) -> User | None:
    return db.session.scalar(sa.select(User).where(User.email == email))


# --- admin: accounts ------------------------------------------------------------------------


def test_admin_creates_a_supervisor_with_a_region_scope(client, login_as, db):
    admin = login_as("admin")
    response = client.post(
        "/admin/users/new",
        data={
            "full_name": "Siti Aminah",
            "email": "Siti.Aminah@Example.ID",
            "role": "supervisor",
            "password": NEW_PASSWORD,
            "region_codes": ["82", "73.71"],
        },
    )

    assert response.status_code == 302, _page(response)[:1000]
    user = _user(db, "siti.aminah@example.id")
    assert user is not None
    assert user.role == "supervisor" and user.full_name == "Siti Aminah"
    assert user.region_codes == ["73.71", "82"]
    assert response.headers["Location"] == f"/admin/users/{user.id}"
    entry = db.session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "user_created"))
    assert entry.actor_id == admin.id
    assert sign_in(client.application.test_client(), "siti.aminah@example.id", NEW_PASSWORD).status_code == 302


@pytest.mark.parametrize(
    "changes, message",
    [
        ({"email": "not-an-email"}, ("This is not a valid email address.", {})),
        ({"password": "password123"}, ("This password is too common; choose a less predictable one.", {})),
        ({"password": "short"}, ("The password must have at least %(n)d characters.", {"n": 8})),
        ({"email": "Supervisor@Example.id"}, ("Another account already uses this email address.", {})),
        ({"role": "evaluator", "region_codes": ["82"]}, ("Only a supervisor has a scope of regions or TPL.", {})),
    ],
    ids=["invalid-email", "common-password", "short-password", "duplicate-email", "scope-for-evaluator"],
)
def test_admin_user_form_refuses_bad_input(app, client, login_as, db, changes, message):
    login_as("admin")
    users = _count(db, User)
    data = {
        "full_name": "Budi Santoso",
        "email": "budi@example.id",
        "role": "supervisor",
        "password": NEW_PASSWORD,
        **changes,
    }

    response = client.post("/admin/users/new", data=data)

    assert response.status_code == 200
    assert _message(app, message[0], **message[1]) in _page(response)
    assert _count(db, User) == users, "a refused form must not create an account"
    assert _count(db, AuditEntry, AuditEntry.action == "user_created") == 0


def test_every_mistake_of_the_user_form_is_named_in_one_submit(app, client, login_as, db):
    """Four mistakes, one submit: each message stands next to its field, in Indonesian, and nothing is written."""
    login_as("admin")
    users = _count(db, User)
    data = {"full_name": "", "email": "not-an-email", "role": "raja", "password": "short", "region_codes": ["99"]}

    text = _page(client.post("/admin/users/new", data=data))

    for message, values in (
        ("The name is required.", {}),
        ("This is not a valid email address.", {}),
        ("Unknown role.", {}),
        ("The password must have at least %(n)d characters.", {"n": 8}),
        ("Unknown region code %(code)s.", {"code": "99"}),
    ):
        assert _message(app, message, **values) in text
    assert "This field is required." not in text
    assert _count(db, User) == users
    assert _count(db, AuditEntry, AuditEntry.action == "user_created") == 0


def test_editing_a_user_names_the_rule_problems_beside_a_type_error(app, client, login_as, world, db):
    target = world["evaluator"]
    login_as("admin")
    data = {"full_name": "x" * 121, "email": target.email, "role": "evaluator", "facilitator_ids": ["abc"]}

    text = _page(client.post(f"/admin/users/{target.id}", data=data))

    too_long = "%(label)s is too long (at most %(max)d characters)."
    assert _message(app, too_long, label=_message(app, "Full name"), max=120) in text
    assert text.count("invalid-feedback") >= 2
    db.session.expire_all()
    assert db.session.get(User, target.id).full_name == target.full_name


def test_a_password_reset_names_the_password_rule_beside_a_mismatch(app, client, login_as, world, db):
    target = world["evaluator"]
    login_as("admin")

    text = _page(client.post(f"/admin/users/{target.id}/password", data={"password": "short", "confirm": "other"}))

    assert _message(app, "The password must have at least %(n)d characters.", n=8) in text
    assert _message(app, "The two passwords differ.") in text
    assert _count(db, AuditEntry, AuditEntry.action == "password_reset") == 0


def test_admin_deactivates_a_user_who_then_cannot_sign_in(app, client, login_as, world, db):
    target = world["supervisor2"]
    their_browser = app.test_client()
    assert sign_in(their_browser, target.email).status_code == 302
    login_as("admin")

    response = client.post(f"/admin/users/{target.id}/active", data={"enabled": "0"})

    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(User, target.id).is_enabled is False
    assert _count(db, AuditEntry, AuditEntry.action == "user_deactivated") == 1
    assert their_browser.get("/").status_code == 302, "the deactivated user's session must end"
    refused = sign_in(app.test_client(), target.email)
    assert refused.status_code == 200
    assert _message(app, "This account has been deactivated. Contact your administrator.") in _page(refused)


def test_admin_cannot_deactivate_self_through_the_page(client, login_as, world, db):
    admin = login_as("admin")
    response = client.post(f"/admin/users/{admin.id}/active", data={"enabled": "0"})
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(User, admin.id).is_enabled is True
    assert client.get("/").status_code == 200


def test_admin_reactivates_a_user(app, client, login_as, world, db):
    target = world["evaluator"]
    target.is_enabled = False
    db.session.commit()
    login_as("admin")

    assert client.post(f"/admin/users/{target.id}/active", data={"enabled": "1"}).status_code == 302

    db.session.expire_all()
    assert db.session.get(User, target.id).is_enabled is True
    assert sign_in(app.test_client(), target.email).status_code == 302


def test_admin_resets_a_password(app, client, login_as, world, db):
    target = world["evaluator"]
    login_as("admin")

    response = client.post(
        f"/admin/users/{target.id}/password", data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD}
    )

    assert response.status_code == 302
    db.session.expire_all()
    assert verify_password(db.session.get(User, target.id).password_hash, NEW_PASSWORD)
    assert _count(db, AuditEntry, AuditEntry.action == "password_reset") == 1
    assert sign_in(app.test_client(), target.email, PASSWORD).status_code == 200, "the old password is gone"
    assert sign_in(app.test_client(), target.email, NEW_PASSWORD).status_code == 302


@pytest.mark.parametrize("password, confirm", [("password123", "password123"), (NEW_PASSWORD, "something else")])
def test_admin_password_reset_refuses_bad_input(client, login_as, world, db, password, confirm):
    target = world["evaluator"]
    hashed = target.password_hash
    login_as("admin")

    response = client.post(f"/admin/users/{target.id}/password", data={"password": password, "confirm": confirm})

    assert response.status_code == 200
    db.session.expire_all()
    assert db.session.get(User, target.id).password_hash == hashed
    assert _count(db, AuditEntry, AuditEntry.action == "password_reset") == 0


# --- TPL profiles ---------------------------------------------------------------------------


def _tpl_form(**changes) -> dict:
    data = {
        "nik": make_nik("827101", date(1999, 5, 17), "L", 9001),
        "full_name": "Rahmat Hidayat",
        "gender": "L",
        "birth_date": "17/05/1999",
        "angkatan": "2022",
        "polytechnic": "STMI Jakarta",
        "phone": "0812 3456 7890",
        "email": "",
        "supervisor_id": "",
        "user_id": "",
    }
    data.update(changes)
    return data


def test_admin_creates_a_tpl(client, login_as, world, db):
    login_as("admin")
    data = _tpl_form(supervisor_id=str(world["supervisor"].id))

    response = client.post("/tpl/new", data=data)

    assert response.status_code == 302, _page(response)[:1000]
    tpl = db.session.scalar(sa.select(Facilitator).where(Facilitator.nik == data["nik"]))
    assert tpl is not None
    assert response.headers["Location"] == f"/tpl/{tpl.id}"
    assert tpl.birth_date == date(1999, 5, 17)
    assert tpl.phone == "+6281234567890"
    assert tpl.supervisor_id == world["supervisor"].id
    assert tpl.user_id is None
    assert _count(db, AuditEntry, AuditEntry.action == "facilitator_created") == 1


def test_admin_creates_a_tpl_with_an_iso_birth_date(client, login_as, world, db):
    login_as("admin")
    assert client.post("/tpl/new", data=_tpl_form(birth_date="1999-05-17")).status_code == 302
    assert _count(db, Facilitator) == 3


@pytest.mark.parametrize(
    "changes, message",
    [
        ({"nik": make_nik("827101", date(1999, 5, 18), "L", 9001)}, ("The birth date does not match the NIK.", {})),
        ({"nik": make_nik("827101", date(1999, 5, 17), "P", 9001)}, ("The gender does not match the NIK.", {})),
        ({"phone": "12345"}, ("This is not a valid Indonesian phone number.", {})),
    ],
    ids=["nik-birth-date", "nik-gender", "phone"],
)
def test_tpl_form_refuses_a_wrong_nik_or_phone(app, client, login_as, world, db, changes, message):
    login_as("admin")

    response = client.post("/tpl/new", data=_tpl_form(**changes))

    assert response.status_code == 200
    assert _message(app, message[0], **message[1]) in _page(response)
    assert _count(db, Facilitator) == 2, "a refused form must not create a TPL"
    assert _count(db, AuditEntry, AuditEntry.action == "facilitator_created") == 0


def test_tpl_form_refuses_a_duplicate_nik(app, client, login_as, world, db):
    login_as("admin")
    response = client.post("/tpl/new", data=_tpl_form(nik=world["tpl"].nik))
    assert response.status_code == 200
    assert _message(app, "Another TPL already has this NIK.") in _page(response)
    assert _count(db, Facilitator) == 2


def test_tpl_form_refuses_a_malformed_nik(client, login_as, world, db):
    login_as("admin")
    response = client.post("/tpl/new", data=_tpl_form(nik="8271011705"))
    assert response.status_code == 200
    assert _count(db, Facilitator) == 2


# --- contracts ------------------------------------------------------------------------------


def _contract_form(**changes) -> dict:
    data = {
        "number": CONTRACT_NUMBER,
        "start_date": dmy(1, 1, years=1),
        "end_date": dmy(12, 31, years=1),
        "placement_code": "82.71",
        "status": "active",
        "terminated_on": "",
        "termination_reason": "",
    }
    data.update(changes)
    return data


def test_admin_adds_a_contract(client, login_as, world, db):
    login_as("admin")
    tpl = world["tpl"]

    response = client.post(f"/tpl/{tpl.id}/contracts/new", data=_contract_form())

    assert response.status_code == 302, _page(response)[:1000]
    assert response.headers["Location"] == f"/tpl/{tpl.id}"
    contract = db.session.scalar(sa.select(Contract).where(Contract.number == CONTRACT_NUMBER))
    assert contract is not None and contract.facilitator_id == tpl.id
    assert (contract.start_date, contract.end_date) == (on(1, 1, years=1), on(12, 31, years=1))
    assert _count(db, AuditEntry, AuditEntry.action == "contract_created") == 1


def test_contract_ending_before_it_starts_is_refused(app, client, login_as, world, db):
    login_as("admin")

    response = client.post(
        f"/tpl/{world['tpl'].id}/contracts/new",
        data=_contract_form(start_date=dmy(6, 1, years=1), end_date=dmy(5, 31, years=1)),
    )

    assert response.status_code == 200
    assert _message(app, "A contract cannot end before it starts.") in _page(response)
    assert _count(db, Contract) == 2
    assert _count(db, AuditEntry, AuditEntry.action == "contract_created") == 0


def test_overlapping_contract_is_refused(app, client, login_as, world, db):
    login_as("admin")
    response = client.post(
        f"/tpl/{world['tpl'].id}/contracts/new",
        data=_contract_form(start_date=dmy(12, 1), end_date=dmy(11, 30, years=1)),
    )
    assert response.status_code == 200
    expected = _message(
        app, "This period overlaps contract %(number)s of the same TPL.", number=world["contract"].number
    )
    assert expected in _page(response)
    assert _count(db, Contract) == 2


# --- the TPL list ---------------------------------------------------------------------------


def test_tpl_search_by_part_of_the_name(client, login_as, world):
    FacilitatorFactory(full_name="Yohana Xyzzyputri")
    login_as("admin")

    page = _page(client.get("/tpl/?q=xyzzy"))

    assert "Yohana Xyzzyputri" in page
    assert world["tpl"].full_name not in page
    assert world["tpl2"].full_name not in page


def test_tpl_list_is_paginated(app, client, login_as, world):
    assert app.config["PER_PAGE"] == 25
    for i in range(1, 31):
        FacilitatorFactory(full_name=f"Aaa Paging {i:02d}")
    login_as("admin")

    first = _page(client.get("/tpl/"))
    second = client.get("/tpl/?page=2")

    assert "Aaa Paging 01" in first and "Aaa Paging 25" in first
    assert "Aaa Paging 26" not in first
    assert second.status_code == 200
    assert "Aaa Paging 26" in _page(second) and "Aaa Paging 30" in _page(second)
    assert "Aaa Paging 25" not in _page(second)


def test_tpl_search_results_are_paginated_too(client, login_as, world):
    for i in range(1, 31):
        FacilitatorFactory(full_name=f"Zulkifli Paging {i:02d}")
    login_as("admin")

    second = _page(client.get("/tpl/?q=paging&page=2"))

    assert "Zulkifli Paging 26" in second and "Zulkifli Paging 30" in second
    assert "Zulkifli Paging 01" not in second


# --- who sees what --------------------------------------------------------------------------


def _masked(nik: str) -> str:
    return nik[:4] + "********" + nik[-4:]


def test_evaluator_sees_the_nik_masked(client, login_as, world):
    login_as("evaluator")
    nik = world["tpl"].nik

    detail = _page(client.get(f"/tpl/{world['tpl'].id}"))
    listing = _page(client.get("/tpl/"))

    assert _masked(nik) in detail
    assert nik not in detail, "an evaluator must never receive the full NIK"
    assert nik not in listing, "an evaluator must never receive the full NIK"
    assert world["tpl"].phone not in detail


def test_supervisor_sees_the_full_nik(client, login_as, world):
    login_as("supervisor")
    response = client.get(f"/tpl/{world['tpl'].id}")
    assert response.status_code == 200
    assert world["tpl"].nik in _page(response)


def test_supervisor_cannot_open_a_tpl_outside_the_scope(client, login_as, world):
    login_as("supervisor")
    response = client.get(f"/tpl/{world['tpl2'].id}")
    assert response.status_code == 404
    assert world["tpl2"].full_name not in _page(response)


def test_supervisor_list_shows_only_the_scope(client, login_as, world):
    login_as("supervisor")
    page = _page(client.get("/tpl/"))
    assert world["tpl"].full_name in page
    assert world["tpl2"].full_name not in page


def test_facilitator_cannot_open_another_tpl(client, login_as, world):
    login_as("facilitator")
    assert client.get(f"/tpl/{world['tpl2'].id}").status_code == 404
    assert client.get(f"/tpl/{world['tpl'].id}").status_code == 200


def test_evaluator_cannot_edit_a_tpl(client, login_as, world, db):
    evaluator = login_as("evaluator")
    tpl = world["tpl"]
    name = tpl.full_name

    response = client.post(f"/tpl/{tpl.id}/edit", data=_tpl_form(nik=tpl.nik, full_name="Diubah Evaluator"))

    assert response.status_code == 403
    db.session.expire_all()
    assert db.session.get(Facilitator, tpl.id).full_name == name
    assert _count(db, AuditEntry, AuditEntry.action == "facilitator_updated") == 0
    denied = db.session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "access_denied"))
    assert denied is not None and denied.actor_id == evaluator.id


def test_evaluator_cannot_uncover_the_masked_nik_by_searching(client, login_as, world):
    """The list masks the NIK for evaluators, so searching by its hidden digits must not find the TPL either."""
    login_as("evaluator")
    tpl = world["tpl"]
    guess = tpl.nik[:12]  # the shown first four digits and the eight the mask hides

    page = _page(client.get("/tpl/", query_string={"q": guess}))

    assert world["tpl2"].full_name not in page, "test premise: the search was applied"
    assert tpl.full_name not in page, (
        "an evaluator found a TPL by the masked digits of the NIK: searching digit by digit would reveal it "
        "(services/facilitators.py facilitator_query() must not match NIK for masked readers)"
    )


def test_an_id_too_large_for_the_database_is_not_found(client, login_as, work):
    """No 500 from an integer overflow: such an id cannot exist."""
    login_as("supervisor")
    for url in ("/kegiatan/99999999999999999999", "/tpl/2147483648", "/izin/99999999999999999999/edit"):
        assert client.get(url).status_code == 404, url
    assert client.get(f"/kegiatan/{work['activity'].id}").status_code == 200
