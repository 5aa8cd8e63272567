"""Finding people at scale (issue 11, item 5): the TPL pickers of the supervisor's account, the handover and the
survey recorded on someone's behalf search by name or email (GET too) and NIK (posted only), page, stay in the
reader's scope, and the chosen id is checked again."""

import re

import pytest
import sqlalchemy as sa

from tpl_tracker.models import AuditEntry, Facilitator, Mentorship

from ..clock import dmy, on
from ..conftest import page_text, ui_message
from ..factories import ContractFactory, FacilitatorFactory

MANY = 30  # more than a page (PER_PAGE 25)
NOT_FROM_ADDRESS = "Search a NIK with the Search button of the form: a NIK is never looked up from the address."


@pytest.fixture
def crowd(world, db):
    """MANY more TPL in Kota Ternate (the supervisor's province), under contract, named and addressed in order."""
    made = []
    for n in range(MANY):
        tpl = FacilitatorFactory(
            full_name=f"Anggota Kerumunan {n:02d}", email=f"kerumunan{n:02d}@contoh.id", region_code="82.71"
        )
        ContractFactory(facilitator=tpl, start_date=on(1, 1), end_date=on(12, 31))
        made.append(tpl)
    db.session.commit()
    return made


def _changes(db) -> int:
    return db.session.scalar(
        sa.select(sa.func.count())
        .select_from(AuditEntry)
        .where(AuditEntry.action.not_in(["login", "logout", "access_denied"]))
    )


def _offered(html: str, field: str) -> set[int]:
    """The TPL ids a page offers in the picker of `field` (chosen or matching)."""
    return {int(value) for value in re.findall(rf'name="{field}" value="(\d+)"', html)}


def _chosen(html: str, field: str) -> set[int]:
    return {int(value) for value in re.findall(rf'name="{field}" value="(\d+)"[^>]*checked', html)}


# --- the supervisor's assigned TPL (admin) -------------------------------------------------------------------


def test_the_account_page_lists_a_page_of_tpl_not_everyone(client, login_as, world, crowd, db):
    login_as("admin")
    page = page_text(client.get(f"/admin/users/{world['supervisor'].id}"))
    assert _chosen(page, "facilitator_ids") == {world["tpl"].id}  # assigned in the world
    offered = _offered(page, "facilitator_ids")
    assert len(offered) == 1 + 25  # the assigned one and one page of the others
    assert 'name="picker-page" value="2"' in page  # a next page, posted with the form


def test_the_account_picker_finds_by_name_or_email_in_the_address(client, login_as, world, crowd):
    login_as("admin")
    url = f"/admin/users/{world['supervisor'].id}"
    by_email = page_text(client.get(url, query_string={"picker-q": "KERUMUNAN07@contoh"}))
    assert _offered(by_email, "facilitator_ids") - {world["tpl"].id} == {crowd[7].id}
    by_name = page_text(client.get(url, query_string={"picker-q": "kerumunan 1"}))
    assert _offered(by_name, "facilitator_ids") - {world["tpl"].id} == {crowd[n].id for n in range(10, 20)}
    # A LIKE wildcard typed is taken literally.
    assert _offered(page_text(client.get(url, query_string={"picker-q": "%"})), "facilitator_ids") == {world["tpl"].id}


def test_a_nik_in_the_address_finds_nothing_a_posted_nik_finds_the_tpl(app, client, login_as, world, crowd, db):
    login_as("admin")
    url = f"/admin/users/{world['supervisor'].id}"
    nik = crowd[3].nik
    page = page_text(client.get(url, query_string={"picker-q": nik}))
    assert _offered(page, "facilitator_ids") == {world["tpl"].id}
    assert ui_message(app, NOT_FROM_ADDRESS) in page

    before = _changes(db)
    form = {
        "full_name": "Nama yang diketik",
        "email": world["supervisor"].email,
        "role": "supervisor",
        "region_codes": ["82"],
        "facilitator_ids": [str(world["tpl"].id)],
        "picker-q": f"{nik[:6]} {nik[6:12]} {nik[12:]}",  # spaces as people type them
        "picker-search": "1",
    }
    response = client.post(url, data=form)
    assert response.status_code == 200
    page = page_text(response)
    assert _offered(page, "facilitator_ids") == {world["tpl"].id, crowd[3].id}
    assert _chosen(page, "facilitator_ids") == {world["tpl"].id}
    assert 'value="Nama yang diketik"' in page  # the rest of the form comes back as typed
    assert ui_message(app, "Nothing is saved until you press the form's save button.") in page
    assert "invalid-feedback" not in page  # a search shows no error
    assert _changes(db) == before  # and saves nothing


def test_the_account_picker_pages_with_the_form_and_keeps_the_ticks(client, login_as, world, crowd, db):
    login_as("admin")
    url = f"/admin/users/{world['supervisor'].id}"
    form = {
        "full_name": world["supervisor"].full_name,
        "email": world["supervisor"].email,
        "role": "supervisor",
        "facilitator_ids": [str(world["tpl"].id), str(crowd[0].id)],  # crowd[0] ticked on the first page
        "picker-q": "kerumunan",
        "picker-page": "2",
    }
    page = page_text(client.post(url, data=form))
    assert _chosen(page, "facilitator_ids") == {world["tpl"].id, crowd[0].id}
    # Page 2 of the 29 others: the last 4 by name.
    assert _offered(page, "facilitator_ids") - {world["tpl"].id, crowd[0].id} == {crowd[n].id for n in range(26, 30)}
    assert 'name="picker-page" value="1"' in page

    del form["picker-page"]
    form["facilitator_ids"].append(str(crowd[29].id))
    response = client.post(url, data=form)  # saved with the form's own button
    assert response.status_code == 302
    db.session.expire_all()
    supervised = sa.select(Facilitator.id).where(Facilitator.supervisor_id == world["supervisor"].id)
    assigned = set(db.session.scalars(supervised))
    assert assigned == {world["tpl"].id, crowd[0].id, crowd[29].id}


def test_an_account_refuses_a_tpl_id_that_does_not_exist(app, client, login_as, world, db):
    login_as("admin")
    before = _changes(db)
    data = {
        "full_name": world["supervisor"].full_name,
        "email": world["supervisor"].email,
        "role": "supervisor",
        "facilitator_ids": [str(world["tpl"].id), "999999"],
    }
    response = client.post(f"/admin/users/{world['supervisor'].id}", data=data)
    assert response.status_code == 200
    message = "Choose the assigned TPL with the search: %(count)d of the chosen TPL cannot be found."
    assert ui_message(app, message, count=1) in page_text(response)
    assert _changes(db) == before


# --- the handover target (supervisor) --------------------------------------------------------------------------


def _handover(work, successor_id, **changes) -> dict:
    data = {
        "mentorship_ids": [str(work["mentorship"].id)],
        "new_facilitator_id": str(successor_id),
        "on": dmy(11, 15),
        "reason": "Kontrak berakhir",
    }
    data.update(changes)
    return data


def test_the_handover_picker_searches_and_pages_within_scope(client, login_as, work, crowd, db):
    login_as("supervisor")
    url = f"/supervisi/tpl/{work['tpl'].id}/handover"
    first = page_text(client.get(url))
    offered = _offered(first, "new_facilitator_id")
    assert len(offered) == 25 and work["tpl"].id not in offered and work["tpl2"].id not in offered
    assert 'type="radio" name="new_facilitator_id"' in first

    # Another supervisor's TPL cannot be found, by name, email or posted NIK.
    for text in (work["tpl2"].full_name, work["tpl2"].email or "tpl2", work["tpl2"].nik):
        page = page_text(client.post(url, data=_handover(work, "", **{"picker-q": text, "picker-search": "1"})))
        assert _offered(page, "new_facilitator_id") == set()

    # A posted NIK finds the TPL in scope; the typed reason stays; nothing is handed over.
    before = _changes(db)
    page = page_text(client.post(url, data=_handover(work, "", **{"picker-q": crowd[5].nik, "picker-search": "1"})))
    assert _offered(page, "new_facilitator_id") == {crowd[5].id}
    assert "Kontrak berakhir" in page
    assert _changes(db) == before

    # The chosen one stays chosen on the next page.
    page = page_text(client.post(url, data=_handover(work, crowd[2].id, **{"picker-page": "2"})))
    assert _chosen(page, "new_facilitator_id") == {crowd[2].id}
    assert len(_offered(page, "new_facilitator_id")) == 1 + (MANY - 1 - 25)


def test_the_handover_refuses_a_tpl_out_of_scope_posted_by_hand(app, client, login_as, work, db):
    login_as("supervisor")
    before = _changes(db)
    response = client.post(f"/supervisi/tpl/{work['tpl'].id}/handover", data=_handover(work, work["tpl2"].id))
    assert response.status_code == 200
    assert ui_message(app, "Choose a TPL in your scope.") in page_text(response)
    assert _changes(db) == before
    assert db.session.scalar(sa.select(Mentorship).where(Mentorship.facilitator_id == work["tpl2"].id)) is not None


def test_the_handover_takes_the_picked_tpl(client, login_as, work, crowd, db):
    login_as("supervisor")
    response = client.post(f"/supervisi/tpl/{work['tpl'].id}/handover", data=_handover(work, crowd[4].id))
    assert response.status_code == 302, page_text(response)[:2000]
    db.session.expire_all()
    assert db.session.scalar(sa.select(Mentorship).where(Mentorship.facilitator_id == crowd[4].id)) is not None


# --- the TPL a survey is recorded for (supervisor, evaluator) --------------------------------------------------


def test_the_survey_picker_finds_by_name_and_pages_in_scope(client, login_as, world, crowd):
    login_as("supervisor")
    page = page_text(client.get("/tracer/choose"))
    assert page.count('/new"') == 25 and world["tpl2"].full_name not in page
    assert "/tracer/choose?page=2" in page
    page = page_text(client.get("/tracer/choose", query_string={"q": "kerumunan07"}))
    assert f"/tracer/tpl/{crowd[7].id}/new" in page and page.count('/new"') == 1
    page = page_text(client.get("/tracer/choose", query_string={"q": world["tpl2"].full_name}))
    assert f"/tracer/tpl/{world['tpl2'].id}/new" not in page


def test_the_survey_picker_finds_a_nik_only_when_posted(app, client, login_as, world, crowd):
    login_as("supervisor")
    page = page_text(client.get("/tracer/choose", query_string={"q": crowd[3].nik}))
    assert f"/tracer/tpl/{crowd[3].id}/new" not in page
    assert ui_message(app, "A NIK is looked up with the Find by NIK form: it never goes into an address.") in page

    response = client.post("/tracer/choose", data={"nik": crowd[3].nik})
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/tracer/tpl/{crowd[3].id}/new")
    assert crowd[3].nik not in response.headers["Location"]

    other = page_text(client.post("/tracer/choose", data={"nik": world["tpl2"].nik}))
    assert ui_message(app, "No TPL in your scope has this NIK.") in other
    # The survey form checks the chosen id again: another supervisor's TPL is not found.
    assert client.get(f"/tracer/tpl/{world['tpl2'].id}/new").status_code == 404


def test_evaluators_pick_by_name_and_see_nik_masked(app, client, login_as, world, crowd):
    login_as("evaluator")
    page = page_text(client.get("/tracer/choose", query_string={"q": "kerumunan03"}))
    assert crowd[3].nik not in page and f"{crowd[3].nik[:4]}********{crowd[3].nik[-4:]}" in page
    assert 'action="/tracer/choose"' not in page  # no NIK form for a reader who sees NIK masked
    refused = page_text(client.post("/tracer/choose", data={"nik": crowd[3].nik}))
    assert ui_message(app, "You see NIK masked: search by name or email.") in refused
