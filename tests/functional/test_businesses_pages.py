"""Business pages over HTTP: register (with duplicates and requests), list, detail, edit, stop mentoring,
assessments and the month lock, and who may see what."""

import csv
import io
import re
from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from tpl_tracker.models import (
    Assessment,
    AuditEntry,
    Business,
    Facilitator,
    Mentorship,
    MentorshipRequest,
    PermitFacilitation,
)

from ..clock import TODAY, TOMORROW, YEAR, dmy, iso, on
from ..conftest import page_text as _page
from ..conftest import statements_for_get
from ..conftest import ui_message as _message
from ..factories import ContractFactory, FacilitatorFactory, UserFactory, make_nik

TOO_LONG = "%(label)s is too long (at most %(max)d characters)."
OWNER_NIK = make_nik("827101", date(1980, 1, 1), "P", 7)


def _count(db, model, *where) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model).where(*where))


def _changes(db) -> int:
    return _count(db, AuditEntry, AuditEntry.action.not_in(["login", "access_denied"]))


def _form(**changes) -> dict:
    data = {
        "name": "Kue Bagea Ternate",
        "owner_name": "Ibu Salma",
        "owner_nik": OWNER_NIK,
        "phone": "0812-3456-7890",
        "address": "Jl. Pahlawan Revolusi 5",
        "region_code": "82.71",
        "kecamatan_code": "82.71.01",
        "desa_code": "82.71.01.1001",
        "kbli": "10710",
        "products": "Kue bagea, kue sagu",
        "nib": "8120000999999",
        "size_class": "mikro",
        "workers": "4",
        "capital": "Rp5.000.000",
        "turnover": "60.000.000",
        "year_founded": "2015",
    }
    data.update(changes)
    return data


def _assessment_form(**changes) -> dict:
    data = {
        "kind": "follow_up",
        "assessed_on": iso(4, 15),
        "turnover": "Rp7.500.000",
        "workers": "5",
        "production_capacity": "300 bungkus/minggu",
        "market_reach": "regional",
        "has_packaging_label": "y",
        "products": "Sagu lempeng",
        "notes": "Sudah punya label",
    }
    data.update(changes)
    return data


# --- register ---------------------------------------------------------------------------------


def test_tpl_registers_a_business_and_starts_mentoring_it(app, client, login_as, work, db):
    user = login_as("facilitator")
    assert client.get("/ikm/new").status_code == 200

    response = client.post("/ikm/new", data=_form(name="UD. Kue  Bagea Ternate!"))

    assert response.status_code == 302, _page(response)[:3000]
    business = db.session.scalar(sa.select(Business).where(Business.nib == "8120000999999"))
    assert business.normalized_name == "kue bagea ternate"
    assert business.phone == "+6281234567890" and business.owner_nik == OWNER_NIK
    assert business.capital == 5_000_000 and business.turnover == 60_000_000
    assert business.desa_code == "82.71.01.1001" and business.created_by_id == user.id
    (mentorship,) = business.mentorships
    assert mentorship.facilitator_id == work["tpl"].id and mentorship.start_date == TODAY and mentorship.is_open
    actions = set(db.session.scalars(sa.select(AuditEntry.entity_type).where(AuditEntry.action == "create")))
    assert {"businesses", "mentorships"} <= actions
    detail = _page(client.get(response.headers["Location"]))
    assert "Kue Bagea" in detail and "Jambula" in detail


BAD_INPUT = [
    ({"name": ""}, "name", None),
    ({"name": "x" * 161}, "name", None),
    ({"owner_name": ""}, "owner_name", None),
    ({"kbli": "1234"}, "kbli", "The KBLI code must be exactly 5 digits."),
    ({"kbli": "99999"}, "kbli", "The KBLI code must be in manufacturing (divisions 10 to 33)."),
    ({"kbli": "47111"}, "kbli", "The KBLI code must be in manufacturing (divisions 10 to 33)."),
    ({"nib": "812000099999"}, "nib", "The NIB must be exactly 13 digits."),
    (
        {"desa_code": "82.71.01.1001", "kecamatan_code": "82.71.02"},
        "desa_code",
        "This desa/kelurahan does not lie in the chosen kecamatan.",
    ),
    ({"kecamatan_code": "73.71.01"}, "kecamatan_code", "This kecamatan does not lie in the chosen kabupaten/kota."),
    ({"kecamatan_code": ""}, "kecamatan_code", "Choose the kecamatan."),
    ({"region_code": "99.99"}, "region_code", None),
    ({"owner_nik": "123"}, "owner_nik", None),
    ({"phone": "12345"}, "phone", "This is not a valid Indonesian phone number."),
    ({"year_founded": str(TODAY.year + 1)}, "year_founded", "The founding year must lie between 1900 and this year."),
    ({"workers": "-1"}, "workers", None),
    ({"capital": "banyak"}, "capital", None),
    ({"size_class": "raksasa"}, "size_class", None),
]


@pytest.mark.parametrize("changes,field,message", BAD_INPUT, ids=[f"{r[1]}-{i}" for i, r in enumerate(BAD_INPUT)])
def test_bad_business_input_is_explained_and_nothing_is_written(
    app, client, login_as, work, db, changes, field, message
):
    login_as("facilitator")
    before, businesses = _changes(db), _count(db, Business)

    response = client.post("/ikm/new", data=_form(**changes))

    assert response.status_code == 200
    text = _page(response)
    assert "invalid-feedback" in text
    assert f'id="{field}"' in text
    if message:
        assert _message(app, message) in text
    assert _count(db, Business) == businesses and _changes(db) == before


def test_without_javascript_the_kecamatan_list_comes_after_a_submit(app, client, login_as, work, db):
    login_as("facilitator")
    response = client.post("/ikm/new", data=_form(region_code="73.71", kecamatan_code="", desa_code=""))
    text = _page(response)
    assert response.status_code == 200 and _message(app, "Choose the kecamatan.") in text
    assert 'value="73.71.01"' in text  # the kecamatan of Kota Makassar are now offered
    response = client.post("/ikm/new", data=_form(region_code="73.71", kecamatan_code="73.71.01", desa_code=""))
    text = _page(response)
    assert _message(app, "Choose the desa/kelurahan.") in text and 'value="73.71.01.1001"' in text


def test_region_children_json(client, login_as, work):
    login_as("evaluator")
    rows = client.get("/ikm/wilayah/82.71").get_json()
    assert {"code": "82.71.01", "name": "Pulau Ternate"} in rows
    desa = client.get("/ikm/wilayah/82.71.01").get_json()
    assert desa[0]["code"].startswith("82.71.01.")
    assert client.get("/ikm/wilayah/82").status_code == 404
    assert client.get("/ikm/wilayah/abc").status_code == 404


# --- duplicates and requests ------------------------------------------------------------------


def test_duplicate_by_nib_shows_the_existing_business_even_outside_scope(app, client, login_as, work, db):
    other = work["business2"]
    other.nib = "7371000000001"
    other.owner_nik = make_nik("737101", date(1970, 2, 2), "L", 3)
    db.session.commit()
    login_as("facilitator")
    before, businesses = _changes(db), _count(db, Business)

    response = client.post("/ikm/new", data=_form(nib="7371000000001"))

    text = _page(response)
    assert response.status_code == 200
    assert _message(app, "A business with this NIB is already registered: %(name)s.", name=other.name) in text
    assert other.name in text and other.owner_name in text and work["tpl2"].full_name in text
    assert f'action="/ikm/{other.id}/request"' in text
    assert other.owner_nik not in text  # only the minimal card is shown
    assert _count(db, Business) == businesses and _changes(db) == before


def test_duplicate_by_normalized_name_in_the_same_region(app, client, login_as, work, db):
    login_as("facilitator")
    response = client.post("/ikm/new", data=_form(name="CV Sagu-Lestari", nib=""))
    text = _page(response)
    assert (
        _message(
            app,
            "A business with this name is already registered in this kabupaten/kota: %(name)s.",
            name="Sagu Lestari",
        )
        in text
    )
    # The same name in another kabupaten/kota is another business.
    response = client.post(
        "/ikm/new",
        data=_form(
            name="CV Sagu-Lestari", nib="", region_code="82.72", kecamatan_code="82.72.01", desa_code="82.72.01.1001"
        ),
    )
    assert response.status_code == 302, _page(response)[:2000]


def _found_by_duplicate_check(client, db, business) -> None:
    """The signed-in TPL tries to register `business` again and is shown its card."""
    business.nib = "7371000000001"
    db.session.commit()
    response = client.post("/ikm/new", data=_form(nib="7371000000001"))
    assert f'action="/ikm/{business.id}/request"' in _page(response)


def test_request_then_approve_opens_a_co_mentorship(app, client, login_as, work, db):
    business2 = work["business2"]
    login_as("facilitator")
    assert client.get(f"/ikm/{business2.id}").status_code == 404
    _found_by_duplicate_check(client, db, business2)
    response = client.post(f"/ikm/{business2.id}/request", data={"reason": "Pemilik pindah ke Ternate"})
    assert response.status_code == 302
    (request,) = db.session.scalars(sa.select(MentorshipRequest)).all()
    assert request.status == "pending" and request.facilitator_id == work["tpl"].id

    again = client.post(f"/ikm/{business2.id}/request", data={})
    assert _message(app, "You have already asked to mentor this business; your supervisor will decide.") in _page(again)
    assert _count(db, MentorshipRequest) == 1
    assert "Sagu Lestari2" in _page(client.get("/ikm/"))  # the TPL sees their pending request

    client.post("/auth/logout")
    login_as("supervisor2")  # the supervisor of tpl2, not of the requesting TPL
    assert client.post(f"/ikm/requests/{request.id}/decide", data={"decision": "approve"}).status_code == 404
    client.post("/auth/logout")
    login_as("supervisor")
    assert "Sagu Lestari2" in _page(client.get("/ikm/requests"))
    response = client.post(f"/ikm/requests/{request.id}/decide", data={"decision": "approve", "note": "OK"})
    assert response.status_code == 302
    db.session.expire_all()
    assert request.status == "approved" and request.decided_by_id == work["supervisor"].id
    open_mentors = {m.facilitator_id for m in business2.mentorships if m.is_open}
    assert open_mentors == {work["tpl"].id, work["tpl2"].id}
    assert _count(db, AuditEntry, AuditEntry.action == "approve") == 1
    again = client.post(f"/ikm/requests/{request.id}/decide", data={"decision": "reject", "note": "x"})
    assert _message(app, "This request has already been decided.") in _page(again)

    client.post("/auth/logout")
    login_as("facilitator")
    assert client.get(f"/ikm/{business2.id}").status_code == 200


def test_reject_needs_a_note(app, client, login_as, work, db):
    request = MentorshipRequest(business=work["business2"], facilitator=work["tpl"], status="pending")
    db.session.add(request)
    db.session.commit()
    login_as("supervisor")
    before = _changes(db)
    response = client.post(f"/ikm/requests/{request.id}/decide", data={"decision": "reject", "note": ""})
    assert response.status_code == 200
    assert _message(app, "%(label)s is required.", label=_message(app, "The note")) in _page(response)
    assert _changes(db) == before
    response = client.post(f"/ikm/requests/{request.id}/decide", data={"decision": "reject", "note": "x" * 501})
    assert response.status_code == 200 and _changes(db) == before
    response = client.post(
        f"/ikm/requests/{request.id}/decide", data={"decision": "reject", "note": "Sudah dibina TPL lain"}
    )
    assert response.status_code == 302
    db.session.expire_all()
    assert request.status == "rejected" and request.decision_note == "Sudah dibina TPL lain"
    assert not any(m.facilitator_id == work["tpl"].id for m in work["business2"].mentorships)


def test_a_decision_names_every_mistake_in_one_submit(app, client, login_as, work, db):
    request = MentorshipRequest(business=work["business2"], facilitator=work["tpl"], status="pending")
    db.session.add(request)
    db.session.commit()
    login_as("supervisor")
    before = _changes(db)
    response = client.post(f"/ikm/requests/{request.id}/decide", data={"decision": "maybe", "note": "x" * 501})
    assert response.status_code == 200
    text = _page(response)
    assert _message(app, "Choose to approve or to reject.") in text
    assert _message(app, TOO_LONG, label=_message(app, "The note"), max=500) in text
    assert _changes(db) == before
    db.session.expire_all()
    assert request.status == "pending"


def test_requesting_a_business_already_mentored_is_refused(app, client, login_as, work, db):
    login_as("facilitator")
    response = client.post(f"/ikm/{work['business'].id}/request", data={})
    assert response.status_code == 200
    assert _message(app, "You already mentor this business.") in _page(response)
    assert _count(db, MentorshipRequest) == 0
    _found_by_duplicate_check(client, db, work["business2"])
    before = _changes(db)
    too_long = client.post(f"/ikm/{work['business2'].id}/request", data={"reason": "x" * 501})
    assert too_long.status_code == 200 and _count(db, MentorshipRequest) == 0 and _changes(db) == before
    assert _message(app, TOO_LONG, label=_message(app, "The reason"), max=500) in _page(too_long)


@pytest.mark.parametrize("reason", ["Dekat wilayah saya", "x" * 501])
def test_a_business_not_found_by_the_duplicate_check_cannot_be_requested(app, client, login_as, work, db, reason):
    """Out of scope and never shown by the TPL's own duplicate check: 404, no card, no request, audited."""
    business2 = work["business2"]
    business2.nib = "7371000000001"
    db.session.commit()
    user = login_as("facilitator")

    response = client.post(f"/ikm/{business2.id}/request", data={"reason": reason})

    assert response.status_code == 404
    text = _page(response)
    assert business2.name not in text and business2.owner_name not in text and "7371000000001" not in text
    assert _count(db, MentorshipRequest) == 0
    denied = db.session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "access_denied"))
    assert denied is not None and denied.actor_id == user.id
    # Another TPL's duplicate check does not open it either (the finding belongs to the signed-in session).
    assert client.post("/ikm/999999/request", data={"reason": reason}).status_code == 404


# --- list -------------------------------------------------------------------------------------


def test_list_search_and_filters(app, client, login_as, work, db):
    business = work["business"]
    business.nib = "8271000000001"
    business.products = "Sagu lempeng"
    other = Business(
        name="Meubel Jati Ternate",
        normalized_name="meubel jati ternate",
        owner_name="Pak Udin",
        region_code="82.71",
        kbli="31001",
        size_class="kecil",
        workers=6,
    )
    db.session.add_all([other, Mentorship(business=other, facilitator=work["tpl"], start_date=on(2, 1))])
    work["permit"].status = "issued"
    work["permit"].issued_on = on(3, 20)
    db.session.commit()
    login_as("supervisor")

    def names(**args):
        text = _page(client.get("/ikm/", query_string=args))
        return {name for name in ("Sagu Lestari", "Meubel Jati", "Sagu Lestari2") if f">{name}" in text}

    assert names() == {"Sagu Lestari", "Meubel Jati"}  # supervisor of province 82 only
    assert _message(app, "%(total)d records", total=2) in _page(client.get("/ikm/"))  # read beside the rows
    assert names(q="lempeng") == {"Sagu Lestari"}
    assert names(q="8271000000001") == {"Sagu Lestari"}
    assert names(q="udin") == {"Meubel Jati"}
    assert names(division="31") == {"Meubel Jati"}
    assert names(permit_type="pirt") == {"Sagu Lestari"}
    assert names(region="82.72") == set()
    assert names(region="82") == {"Sagu Lestari", "Meubel Jati"}
    text = _page(client.get("/ikm/", query_string={"division": "99"}))
    assert "text-danger" in text  # an unknown filter value is explained


def _add_businesses(db, world, start, count):
    for i in range(start, start + count):
        tpl = FacilitatorFactory(supervisor=world["supervisor"], region_code="82.71")
        business = Business(
            name=f"Usaha {i:03d}",
            normalized_name=f"usaha {i:03d}",
            owner_name="Pemilik",
            region_code="82.71",
            kbli="10792",
            size_class="mikro",
            workers=1,
        )
        db.session.add_all(
            [
                business,
                Mentorship(business=business, facilitator=tpl, start_date=on(2, 1)),
                PermitFacilitation(
                    business=business, facilitator=tpl, permit_type="halal", status="issued", issued_on=on(3, 1)
                ),
            ]
        )
    db.session.commit()


def test_list_query_count_does_not_grow_with_rows(app, client, login_as, work, db):
    app.config["PER_PAGE"], per_page = 100, app.config["PER_PAGE"]
    try:
        login_as("supervisor")
        _add_businesses(db, work, 0, 5)
        few = statements_for_get(app, client, "/ikm/")
        _add_businesses(db, work, 5, 45)
        many = statements_for_get(app, client, "/ikm/")
        assert "Usaha 049" in _page(client.get("/ikm/"))
    finally:
        app.config["PER_PAGE"] = per_page
    assert few == many


def _business(name: str, region: str, founder=None) -> Business:
    return Business(
        name=name,
        normalized_name=name.lower(),
        owner_name="Pemilik",
        region_code=region,
        kbli="10792",
        size_class="mikro",
        workers=1,
        founder_id=founder.id if founder else None,
    )


def _scope_world(db, world) -> dict:
    """Businesses in and out of the supervisor's province (82), each tied to it (or not) in one way."""
    tpl, tpl2 = world["tpl"], world["tpl2"]
    alumnus = FacilitatorFactory(region_code="82.72", angkatan=2008)  # in province 82, supervised by no one now
    placed_away = FacilitatorFactory(supervisor=world["supervisor"], region_code="73.72", district="737201")
    businesses = {
        "in_region": _business("Anggrek Ternate", "82.71"),
        "mentored_away": _business("Bambu Makassar", "73.71"),
        "founded_away": _business("Cengkeh Makassar", "73.71", founder=tpl),
        "other_tpl": _business("Durian Makassar", "73.71"),
        "alumnus_away": _business("Enau Jakarta", "31.71"),
        "placed_away": _business("Fuli Parepare", "73.72"),
    }
    db.session.add_all(businesses.values())
    db.session.add_all(
        [
            Mentorship(business=businesses["mentored_away"], facilitator=tpl, start_date=on(1, 5), end_date=on(2, 1)),
            Mentorship(business=businesses["other_tpl"], facilitator=tpl2, start_date=on(1, 5)),
            Mentorship(
                business=businesses["alumnus_away"],
                facilitator=alumnus,
                start_date=date(2008, 3, 1),
                end_date=date(2008, 12, 31),
            ),
            Mentorship(business=businesses["placed_away"], facilitator=placed_away, start_date=on(1, 5)),
        ]
    )
    db.session.commit()
    return businesses


def test_a_supervisor_lists_their_regions_and_what_their_tpl_mentored_or_founded_elsewhere(
    app, client, login_as, world, db
):
    businesses = _scope_world(db, world)
    login_as("supervisor")

    text = _page(client.get("/ikm/"))

    listed = re.findall(r'<a href="/ikm/\d+">([^<]+)</a>', text)
    assert listed == ["Anggrek Ternate", "Bambu Makassar", "Cengkeh Makassar", "Enau Jakarta", "Fuli Parepare"]
    assert _message(app, "%(total)d records", total=5) in text
    assert client.get(f"/ikm/{businesses['mentored_away'].id}").status_code == 200
    assert client.get(f"/ikm/{businesses['other_tpl'].id}").status_code == 404


def test_a_tpl_lists_what_they_mentor_mentored_or_founded(client, login_as, world, db):
    _scope_world(db, world)
    login_as("facilitator")

    listed = re.findall(r'<a href="/ikm/\d+">([^<]+)</a>', _page(client.get("/ikm/")))

    assert listed == ["Bambu Makassar", "Cengkeh Makassar"]


def test_the_list_and_its_export_name_the_running_mentors_only(client, login_as, world, db):
    business = _business("Anggrek Ternate", "82.71")
    former = FacilitatorFactory(full_name="Pendamping Lama", region_code="82.71")
    current = FacilitatorFactory(full_name="Pendamping Baru", region_code="82.71")
    db.session.add_all(
        [
            business,
            Mentorship(business=business, facilitator=former, start_date=date(2009, 1, 5), end_date=date(2009, 12, 1)),
            Mentorship(business=business, facilitator=current, start_date=on(1, 5)),
        ]
    )
    db.session.commit()
    login_as("supervisor")

    text = _page(client.get("/ikm/"))
    (row,) = csv.DictReader(io.StringIO(client.post("/ikm/export", data={"fmt": "csv"}).get_data(as_text=True)[1:]))

    assert "Pendamping Baru" in text and "Pendamping Lama" not in text
    assert row["pendamping_saat_ini"] == "Pendamping Baru"


# --- detail, edit, stop -----------------------------------------------------------------------


def test_detail_masks_personal_numbers_for_evaluators(client, login_as, work, db):
    business = work["business"]
    business.owner_nik = OWNER_NIK
    business.phone = "+6281234567890"
    db.session.commit()
    login_as("evaluator")
    text = _page(client.get(f"/ikm/{business.id}"))
    assert OWNER_NIK not in text and "0812-3456-7890" not in text
    assert OWNER_NIK[:4] in text
    client.post("/auth/logout")
    login_as("supervisor")
    text = _page(client.get(f"/ikm/{business.id}"))
    assert OWNER_NIK in text and "0812-3456-7890" in text
    assert f'/ikm/{business.id}/edit"' not in text  # supervisors do not edit businesses


def test_detail_shows_change_since_baseline(client, login_as, work, db):
    db.session.add(
        Assessment(
            business=work["business"],
            facilitator=work["tpl"],
            kind="follow_up",
            assessed_on=on(6, 2),
            turnover=8_000_000,
            workers=5,
            market_reach="national",
            has_packaging_label=True,
        )
    )
    db.session.commit()
    login_as("facilitator")
    text = _page(client.get(f"/ikm/{work['business'].id}"))
    assert 'id="change"' in text
    assert "+Rp3.000.000" in text and "+2" in text


def test_tpl_edits_the_business_they_mentor(app, client, login_as, work, db):
    login_as("facilitator")
    business = work["business"]
    response = client.post(f"/ikm/{business.id}/edit", data=_form(name="Sagu Lestari Baru", nib=""))
    assert response.status_code == 302, _page(response)[:2000]
    db.session.expire_all()
    assert business.name == "Sagu Lestari Baru" and business.normalized_name == "sagu lestari baru"
    entry = db.session.scalar(
        sa.select(AuditEntry).where(AuditEntry.action == "update", AuditEntry.entity_type == "businesses")
    )
    assert entry.after["name"] == "Sagu Lestari Baru" and entry.before["name"] == "Sagu Lestari"
    # The duplicate check looks at the other businesses, not at itself.
    work["business2"].nib = "7371000000001"
    db.session.commit()
    clash = client.post(f"/ikm/{business.id}/edit", data=_form(nib="7371000000001"))
    assert clash.status_code == 200
    assert client.post(f"/ikm/{business.id}/edit", data=_form(name="Sagu Lestari Baru", nib="")).status_code == 302


def test_edit_by_a_tpl_no_longer_mentoring_redirects(app, client, login_as, work, db):
    work["mentorship"].end_date = on(5, 1)
    work["mentorship"].end_reason = "Selesai"
    db.session.commit()
    login_as("facilitator")
    business = work["business"]
    assert client.get(f"/ikm/{business.id}").status_code == 200  # still visible: mentored before
    before = _changes(db)
    for url in (f"/ikm/{business.id}/edit", f"/ikm/{business.id}/stop", f"/ikm/{business.id}/assessments/new"):
        response = client.post(url, data=_form())
        assert response.status_code == 302 and response.headers["Location"] == f"/ikm/{business.id}"
    assert _changes(db) == before


def test_other_tpl_records_are_not_found(client, login_as, work):
    login_as("facilitator2")
    business, assessment = work["business"], work["assessment"]
    for url in (
        f"/ikm/{business.id}",
        f"/ikm/{business.id}/edit",
        f"/ikm/{business.id}/stop",
        f"/ikm/{business.id}/assessments/new",
        f"/ikm/assessments/{assessment.id}/edit",
    ):
        assert client.get(url).status_code == 404, url
    assert client.post(f"/ikm/assessments/{assessment.id}/delete").status_code == 404


def test_supervisor_outside_scope_gets_404(client, login_as, work):
    login_as("supervisor2")
    assert client.get(f"/ikm/{work['business'].id}").status_code == 404
    assert client.get(f"/ikm/{work['business2'].id}").status_code == 200


@pytest.mark.parametrize(
    "data,message",
    [
        ({"end_date": (TODAY + timedelta(days=1)).isoformat(), "reason": "x"}, "The end date cannot be in the future."),
        ({"end_date": iso(1, 15), "reason": "x"}, None),
        ({"end_date": TODAY.isoformat(), "reason": ""}, None),
        ({"end_date": TODAY.isoformat(), "reason": "x" * 501}, None),
        ({"end_date": f"31/02/{YEAR}", "reason": "x"}, "Not a valid date: use DD/MM/YYYY."),
    ],
)
def test_stop_mentoring_bad_input(app, client, login_as, work, db, data, message):
    login_as("facilitator")
    before = _changes(db)
    response = client.post(f"/ikm/{work['business'].id}/stop", data=data)
    assert response.status_code == 200
    if message:
        assert _message(app, message) in _page(response)
    assert _changes(db) == before
    db.session.expire_all()
    assert work["mentorship"].is_open


def test_stop_mentoring_names_every_mistake_in_one_submit(app, client, login_as, work, db):
    login_as("facilitator")
    before = _changes(db)
    future = client.post(f"/ikm/{work['business'].id}/stop", data={"end_date": TOMORROW.isoformat(), "reason": ""})
    text = _page(future)
    assert _message(app, "The end date cannot be in the future.") in text
    assert _message(app, "%(label)s is required.", label=_message(app, "The reason")) in text
    # A date that cannot be read, and the reason's rule, in the same submit.
    unreadable = client.post(f"/ikm/{work['business'].id}/stop", data={"end_date": "kemarin", "reason": "x" * 501})
    text = _page(unreadable)
    assert _message(app, "Not a valid date: use DD/MM/YYYY.") in text
    assert (
        _message(app, "%(label)s is too long (at most %(max)d characters).", label=_message(app, "The reason"), max=500)
        in text
    )
    assert _changes(db) == before


def test_stop_mentoring(client, login_as, work, db):
    login_as("facilitator")
    business = work["business"]
    assert 'type="date"' in _page(client.get(f"/ikm/{business.id}/stop"))
    response = client.post(f"/ikm/{business.id}/stop", data={"end_date": TODAY.isoformat(), "reason": "Pindah"})
    assert response.status_code == 302
    db.session.expire_all()
    assert work["mentorship"].end_date == TODAY and work["mentorship"].end_reason == "Pindah"
    assert _count(db, AuditEntry, AuditEntry.action == "stop") == 1


# --- assessments ------------------------------------------------------------------------------


def test_tpl_records_a_follow_up(client, login_as, work, db):
    login_as("facilitator")
    business = work["business"]
    assert client.get(f"/ikm/{business.id}/assessments/new").status_code == 200
    response = client.post(f"/ikm/{business.id}/assessments/new", data=_assessment_form())
    assert response.status_code == 302, _page(response)[:2000]
    follow_up = db.session.scalar(sa.select(Assessment).where(Assessment.kind == "follow_up"))
    assert follow_up.turnover == 7_500_000 and follow_up.has_packaging_label and follow_up.market_reach == "regional"
    assert _count(db, AuditEntry, AuditEntry.entity_type == "assessments", AuditEntry.action == "create") == 1


@pytest.mark.parametrize(
    "changes,message",
    [
        ({"kind": "baseline"}, "This business already has a baseline assessment."),
        ({"assessed_on": iso(2, 15)}, "A follow-up cannot be dated before the baseline (%(date)s)."),
        ({"assessed_on": (TODAY + timedelta(days=1)).isoformat()}, "The assessment date cannot be in the future."),
        ({"assessed_on": iso(12, 1, years=-1)}, "The assessment date must fall within one of your contracts."),
        ({"assessed_on": ""}, None),
        ({"assessed_on": f"{YEAR}-13-01"}, "Not a valid date: use DD/MM/YYYY."),
        ({"turnover": "-5"}, None),
        ({"workers": "abc"}, None),
        ({"production_capacity": "x" * 201}, None),
        ({"market_reach": "moon"}, None),
    ],
)
def test_bad_assessment_input(app, client, login_as, work, db, changes, message):
    login_as("facilitator")
    before, count = _changes(db), _count(db, Assessment)
    response = client.post(f"/ikm/{work['business'].id}/assessments/new", data=_assessment_form(**changes))
    assert response.status_code == 200
    text = _page(response)
    if message:
        assert _message(app, message, date=dmy(3, 2)) in text
    assert _count(db, Assessment) == count and _changes(db) == before


def test_every_mistake_of_the_assessment_form_is_named_in_one_submit(app, client, login_as, work, db):
    """Five mistakes, one submit: each message stands next to its field, in Indonesian, and nothing is written."""
    login_as("facilitator")
    before, count = _changes(db), _count(db, Assessment)
    mistakes = {
        "assessed_on": (TODAY + timedelta(days=1)).isoformat(),
        "turnover": "-5",
        "workers": "banyak",
        "production_capacity": "x" * 201,
        "market_reach": "moon",
    }

    text = _page(client.post(f"/ikm/{work['business'].id}/assessments/new", data=_assessment_form(**mistakes)))

    capacity = _message(app, "The production capacity")
    too_long = _message(app, "%(label)s is too long (at most %(max)d characters).", label=capacity, max=200)
    for message in (
        "The assessment date cannot be in the future.",
        "Give an amount of zero Rupiah or more.",
        "Choose the market reach.",
    ):
        assert _message(app, message) in text
    assert too_long in text
    assert text.count("invalid-feedback") >= 5  # the workers' type error too
    assert _count(db, Assessment) == count and _changes(db) == before


def test_first_assessment_of_a_new_business_must_be_the_baseline(app, client, login_as, work, db):
    login_as("facilitator")
    client.post("/ikm/new", data=_form())
    business = db.session.scalar(sa.select(Business).where(Business.nib == "8120000999999"))
    response = client.post(f"/ikm/{business.id}/assessments/new", data=_assessment_form())
    assert _message(app, "The first assessment of a business must be the baseline.") in _page(response)
    form = _page(client.get(f"/ikm/{business.id}/assessments/new"))
    assert '<option selected value="baseline">' in form
    response = client.post(
        f"/ikm/{business.id}/assessments/new", data=_assessment_form(kind="baseline", assessed_on=TODAY.isoformat())
    )
    assert response.status_code == 302


def test_tpl_edits_and_deletes_their_assessment(client, login_as, work, db):
    login_as("facilitator")
    assessment = work["assessment"]
    response = client.post(
        f"/ikm/assessments/{assessment.id}/edit",
        data=_assessment_form(kind="baseline", assessed_on=iso(3, 3), turnover="6000000"),
    )
    assert response.status_code == 302, _page(response)[:2000]
    db.session.expire_all()
    assert assessment.assessed_on == on(3, 3) and assessment.turnover == 6_000_000
    assessment_id = assessment.id
    assert client.post(f"/ikm/assessments/{assessment_id}/delete").status_code == 302
    assert _count(db, Assessment, Assessment.id == assessment_id) == 0
    assert _count(db, AuditEntry, AuditEntry.action == "delete", AuditEntry.entity_type == "assessments") == 1


def test_baseline_with_follow_ups_cannot_be_deleted(app, client, login_as, work, db):
    db.session.add(
        Assessment(
            business=work["business"],
            facilitator=work["tpl"],
            kind="follow_up",
            assessed_on=on(6, 2),
            market_reach="local",
        )
    )
    db.session.commit()
    login_as("facilitator")
    response = client.post(f"/ikm/assessments/{work['assessment'].id}/delete")
    assert response.status_code == 302
    text = _page(client.get(response.headers["Location"]))
    assert _message(app, "The baseline cannot be deleted while the business has follow-ups.") in text
    assert _count(db, Assessment) == 3  # two of tpl's business, one of tpl2's


def test_locked_month_refuses_every_assessment_change(app, client, login_as, work, db):
    work["month"].status = "submitted"
    db.session.commit()
    login_as("facilitator")
    assessment, business = work["assessment"], work["business"]
    before = _changes(db)

    form = client.get(f"/ikm/assessments/{assessment.id}/edit")
    assert form.status_code == 302 and form.headers["Location"].startswith(f"/ikm/{business.id}")
    post = client.post(
        f"/ikm/assessments/{assessment.id}/edit", data=_assessment_form(kind="baseline", assessed_on=iso(4, 2))
    )
    assert post.status_code == 302
    delete = client.post(f"/ikm/assessments/{assessment.id}/delete")
    assert delete.status_code == 302
    text = _page(client.get(delete.headers["Location"]))
    assert _message(app, "This assessment's month has been submitted or approved and can no longer be changed.") in text
    # A new follow-up dated in the locked month is refused too.
    create = client.post(f"/ikm/{business.id}/assessments/new", data=_assessment_form(assessed_on=iso(3, 20)))
    assert create.status_code == 200
    assert _message(
        app, "%(month)s has been submitted or approved and can no longer be changed.", month=f"Maret {YEAR}"
    ) in _page(create)
    db.session.expire_all()
    assert assessment.assessed_on == on(3, 2) and _count(db, Assessment) == 2
    assert _changes(db) == before


def test_moving_an_assessment_into_a_locked_month_is_refused(app, client, login_as, work, db):
    db.session.add(
        Assessment(
            business=work["business"],
            facilitator=work["tpl"],
            kind="follow_up",
            assessed_on=on(6, 2),
            market_reach="local",
        )
    )
    work["month"].status = "approved"
    db.session.commit()
    follow_up = db.session.scalar(sa.select(Assessment).where(Assessment.kind == "follow_up"))
    login_as("facilitator")
    before = _changes(db)
    response = client.post(f"/ikm/assessments/{follow_up.id}/edit", data=_assessment_form(assessed_on=iso(3, 25)))
    assert response.status_code == 200
    assert _changes(db) == before
    db.session.expire_all()
    assert follow_up.assessed_on == on(6, 2)


def test_a_new_tpl_without_contract_cannot_backdate(app, client, login_as, work, db):
    """The assessment date must fall in one of the TPL's own contracts, not just any date."""
    user = UserFactory(role="facilitator")
    tpl = FacilitatorFactory(user=user, region_code="82.71")
    ContractFactory(facilitator=tpl, start_date=on(6, 1), end_date=on(5, 31, years=1))
    db.session.add(Mentorship(business=work["business"], facilitator=tpl, start_date=on(6, 1)))
    db.session.commit()
    from ..conftest import sign_in

    sign_in(client, user.email)
    response = client.post(f"/ikm/{work['business'].id}/assessments/new", data=_assessment_form(assessed_on=iso(4, 15)))
    assert _message(app, "The assessment date must fall within one of your contracts.") in _page(response)
    assert db.session.get(Facilitator, tpl.id) is not None


def test_business_page_links_only_the_work_the_reader_may_open(client, login_as, work, db):
    """Another TPL's activity on a shared business is listed without a link (it would answer 404)."""
    from decimal import Decimal

    from tpl_tracker.models import Activity

    other = Activity(
        facilitator=work["tpl2"],
        date=on(3, 11),
        type="pelatihan",
        description="Pelatihan",
        hours=Decimal(2),
        businesses=[work["business"]],
    )
    db.session.add(other)
    db.session.commit()
    login_as("facilitator")
    page = _page(client.get(f"/ikm/{work['business'].id}"))
    assert f'href="/kegiatan/{work["activity"].id}"' in page
    assert f'href="/kegiatan/{other.id}"' not in page
    assert client.get(f"/kegiatan/{other.id}").status_code == 404


def test_every_mistake_of_the_business_form_is_named_in_one_submit(app, client, login_as, work, db):
    """Four mistakes, one submit: each message stands next to its field, in Indonesian, and nothing is written."""
    login_as("facilitator")
    before, businesses = _changes(db), _count(db, Business)
    mistakes = {"name": "", "kbli": "47111", "nib": "812000099999", "phone": "12345", "workers": "banyak"}

    text = _page(client.post("/ikm/new", data=_form(**mistakes)))

    required = _message(app, "%(label)s is required.", label=_message(app, "The business name"))
    for message in (
        required,
        "The KBLI code must be in manufacturing (divisions 10 to 33).",
        "The NIB must be exactly 13 digits.",
        "This is not a valid Indonesian phone number.",
    ):
        assert _message(app, message) in text
    assert text.count("invalid-feedback") >= 5  # the workers' type error too
    assert "This field is required." not in text
    assert _count(db, Business) == businesses and _changes(db) == before


# --- fewer dead ends (issue 13, item 5) ---------------------------------------------------------------------


def test_registering_a_business_one_already_mentors_links_to_its_page(app, client, login_as, work, db):
    """The duplicate card offers no request (which would answer "you already mentor it") but the business's page."""
    login_as("facilitator")
    response = client.post("/ikm/new", data=_form(name="Sagu Lestari", nib=""))

    text = _page(response)
    business = work["business"]
    assert response.status_code == 200
    assert f'action="/ikm/{business.id}/request"' not in text
    assert f'href="/ikm/{business.id}"' in text
    assert _message(app, "You already mentor this business: log its work on its page.") in text
    # A request posted anyway is refused, and its page links to the business too.
    refused = _page(client.post(f"/ikm/{business.id}/request", data={}))
    assert _message(app, "You already mentor this business.") in refused
    assert f'href="/ikm/{business.id}"' in refused and f'action="/ikm/{business.id}/request"' not in refused


def test_a_business_one_has_asked_to_mentor_offers_no_second_request(app, client, login_as, work, db):
    business2 = work["business2"]
    db.session.add(MentorshipRequest(business=business2, facilitator=work["tpl"], status="pending"))
    db.session.commit()
    login_as("facilitator")
    business2.nib = "7371000000001"
    db.session.commit()
    text = _page(client.post("/ikm/new", data=_form(nib="7371000000001")))
    assert _message(app, "You have already asked to mentor this business; your supervisor will decide.") in text
    assert f'action="/ikm/{business2.id}/request"' not in text


def test_the_business_page_offers_logging_work_to_its_mentor_only(app, client, login_as, work, db):
    business = work["business"]
    login_as("facilitator")
    text = _page(client.get(f"/ikm/{business.id}"))
    assert f'href="/kegiatan/new?business_id={business.id}"' in text
    assert f'href="/izin/new?business_id={business.id}"' in text
    assert _message(app, "Log an activity") in text and _message(app, "Add a permit") in text

    client.post("/auth/logout")
    login_as("supervisor")
    text = _page(client.get(f"/ikm/{business.id}"))
    assert "business_id=" not in text


def test_the_activity_form_comes_with_the_business_checked(client, login_as, work, db):
    business = work["business"]
    login_as("facilitator")
    text = _page(client.get(f"/kegiatan/new?business_id={business.id}"))
    (box,) = re.findall(rf'<input[^>]*name="business_ids"[^>]*value="{business.id}"[^>]*>', text)
    assert re.search(r"\bchecked\b", box)
    # An id that is not one of the TPL's businesses checks nothing (and answers no 404 either).
    text = _page(client.get(f"/kegiatan/new?business_id={work['business2'].id}"))
    assert not any(re.search(r"\bchecked\b", b) for b in re.findall(r'<input[^>]*name="business_ids"[^>]*>', text))
    assert client.get("/kegiatan/new?business_id=abc").status_code == 200


def test_turnover_is_asked_and_shown_per_month_like_in_assessments(app, client, login_as, work, db):
    login_as("facilitator")
    form = _page(client.get("/ikm/new"))
    assert "Omzet per bulan (Rupiah)" in form and "per tahun" not in form
    work["business"].turnover = 5_000_000
    db.session.commit()
    page = _page(client.get(f"/ikm/{work['business'].id}"))
    assert "Omzet per bulan" in page and "per tahun" not in page.lower()
    assert "Rp5.000.000" in page
