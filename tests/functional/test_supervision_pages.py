"""Supervision pages over HTTP: the roster, one TPL's work, targets and handover."""

import re
from decimal import Decimal

import pytest
import sqlalchemy as sa

from tpl_tracker.models import (
    Activity,
    Assessment,
    AuditEntry,
    Business,
    Mentorship,
    MonthlyReport,
    PermitFacilitation,
    Target,
)

from ..clock import YEAR, dmy, iso, moment, on
from ..conftest import page_text as _page
from ..conftest import statements_for_get as _queries
from ..conftest import ui_message as _message
from ..factories import ContractFactory, FacilitatorFactory

TODAY = on(4, 20)


@pytest.fixture(autouse=True)
def fixed_today(time_machine):
    """The whole app lives on 20 April of the tests' year, inside the world's contracts of that year."""
    time_machine.move_to(moment(4, 20), tick=False)


def _switch(client, login_as, name):
    """Sign out, then sign in as another user of the world."""
    client.post("/auth/logout")
    return login_as(name)


def _count(db, model, *where) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model).where(*where))


def _changes(db) -> int:
    return _count(db, AuditEntry, AuditEntry.action.not_in(["login", "logout", "access_denied"]))


def _tpl(db, world, n=1):
    """`n` more TPL of the supervisor in Kota Ternate, under contract through the tests' year."""
    made = []
    for _i in range(n):
        tpl = FacilitatorFactory(supervisor=world["supervisor"], region_code="82.71")
        ContractFactory(facilitator=tpl, start_date=on(1, 1), end_date=on(12, 31))
        made.append(tpl)
    db.session.commit()
    return made


# --- roster ---------------------------------------------------------------------------------------------------


def test_roster_shows_scope_figures_and_flags(app, client, login_as, work, db):
    login_as("supervisor")
    page = _page(client.get("/supervisi/"))
    assert work["tpl"].full_name in page and work["tpl2"].full_name not in page
    assert f'href="/supervisi/tpl/{work["tpl"].id}"' in page
    # last activity 10/03 and March still a draft on 20/04: two flags, and the rule is written on the page
    assert _message(app, "No activity in 14 days") in page
    assert _message(app, "Month not submitted") in page
    assert _message(app, "How the flags are set") in page

    _switch(client, login_as, "evaluator")
    page = _page(client.get("/supervisi/"))
    assert work["tpl"].full_name in page and work["tpl2"].full_name in page


def test_roster_filters(app, client, login_as, work, db):
    login_as("evaluator")
    page = _page(client.get("/supervisi/?region=73"))
    assert work["tpl2"].full_name in page and work["tpl"].full_name not in page
    assert _message(app, "%(total)d records", total=1) in page
    work["month"].status = "submitted"
    db.session.commit()
    page = _page(client.get("/supervisi/?flag=month_late"))
    assert work["tpl2"].full_name in page and work["tpl"].full_name not in page
    assert _message(app, "%(total)d records", total=1) in page  # the total read beside the flagged rows
    page = _page(client.get("/supervisi/?q=" + work["tpl"].full_name.split()[-1]))
    assert work["tpl"].full_name in page


def test_the_region_filter_offers_a_supervisor_their_own_regions(client, login_as, work, db):
    """A supervisor of Maluku Utara (82) is offered its kabupaten/kota, and the region of a TPL assigned to them
    elsewhere; an evaluator every region of the country."""
    FacilitatorFactory(supervisor=work["supervisor"], region_code="73.71", district="737101")
    db.session.commit()
    login_as("supervisor")
    offered = re.findall(r'<option[^>]*value="([0-9.]+)"', _page(client.get("/supervisi/")))
    assert {"82", "82.71", "82.01", "73", "73.71"} <= set(offered)
    assert {code.split(".")[0] for code in offered} == {"82", "73"} and "73.01" not in offered
    assert "31" not in offered and "31.71" not in offered
    _switch(client, login_as, "evaluator")
    offered = re.findall(r'<option[^>]*value="([0-9.]+)"', _page(client.get("/supervisi/")))
    assert {"31", "31.71", "73.01", "82.71"} <= set(offered) and len(offered) > 500


def test_a_supervisor_with_a_tpl_not_placed_yet_is_offered_their_regions(client, login_as, work, db):
    """A TPL assigned to the supervisor without a region (not placed yet) adds no region and breaks nothing."""
    FacilitatorFactory(supervisor=work["supervisor"], region_code=None, full_name="Belum Ditempatkan")
    db.session.commit()
    login_as("supervisor")
    page = _page(client.get("/supervisi/?all=y"))
    offered = re.findall(r'<option[^>]*value="([0-9.]+)"', page)
    assert {code.split(".")[0] for code in offered} == {"82"}
    assert "Belum Ditempatkan" in page


def test_roster_toggle_includes_tpl_without_contract_this_month(client, login_as, work, db):
    work["contract"].end_date = on(3, 31)
    db.session.commit()
    login_as("supervisor")
    assert work["tpl"].full_name not in _page(client.get("/supervisi/"))
    assert work["tpl"].full_name in _page(client.get("/supervisi/?all=y"))


def test_roster_bad_filter_shows_a_message(client, login_as, work):
    login_as("supervisor")
    response = client.get("/supervisi/?region=zz")
    assert response.status_code == 200
    assert "text-danger" in _page(response)


def test_roster_query_count_does_not_grow_with_rows(app, client, login_as, work, db):
    app.config["PER_PAGE"] = 100
    try:
        login_as("supervisor")
        for tpl in _tpl(db, work, 4):
            db.session.add(
                Activity(facilitator=tpl, date=on(4, 2), type="kunjungan", description="x", hours=Decimal("1.0"))
            )
            db.session.add(MonthlyReport(facilitator=tpl, period=on(3, 1), status="approved"))
        db.session.commit()
        five = _queries(app, client, "/supervisi/")
        assert _page(client.get("/supervisi/")).count('href="/supervisi/tpl/') == 5
        for tpl in _tpl(db, work, 45):
            db.session.add(
                Activity(facilitator=tpl, date=on(4, 2), type="kunjungan", description="x", hours=Decimal("1.0"))
            )
            db.session.add(Target(facilitator=tpl, year=YEAR, visits_per_month=2, businesses=1, permits_per_year=6))
        db.session.commit()
        fifty = _queries(app, client, "/supervisi/")
        assert _page(client.get("/supervisi/")).count('href="/supervisi/tpl/') == 50
        assert five == fifty
    finally:
        app.config["PER_PAGE"] = 25


def test_a_national_roster_counts_its_tpl_newest_first(app, client, login_as, work, db, monkeypatch):
    """The capped count reads the TPL by id descending (the latest cohorts, under contract, come last by id): the
    count and the page are those of any order."""
    from tpl_tracker import pagination

    monkeypatch.setattr(pagination, "COUNT_CAP", 2)
    app.config["PER_PAGE"] = 2
    try:
        _tpl(db, work, 4)  # six TPL under contract: two shown, two more counted, one past the cap
        login_as("evaluator")
        statements = []

        def seen(_connection, _cursor, statement, *_args):
            statements.append(statement)

        sa.event.listen(db.engine, "before_cursor_execute", seen)
        try:
            text = _page(client.get("/supervisi/"))
        finally:
            sa.event.remove(db.engine, "before_cursor_execute", seen)
        assert text.count('href="/supervisi/tpl/') == 2
        assert _message(app, "More than %(count)s records", count=4) in text
        counts = [s for s in statements if s.lstrip().upper().startswith("SELECT COUNT") and "LIMIT" in s.upper()]
        assert len(counts) == 1 and "ORDER BY facilitators.id DESC" in counts[0], counts
    finally:
        app.config["PER_PAGE"] = 25


# --- one TPL's work -------------------------------------------------------------------------------------------


def test_work_page_shows_the_tpls_work(app, client, login_as, work, db):
    db.session.add(Target(facilitator=work["tpl"], year=YEAR, visits_per_month=4, businesses=5, permits_per_year=12))
    db.session.commit()
    login_as("supervisor")
    page = _page(client.get(f"/supervisi/tpl/{work['tpl'].id}"))
    assert work["business"].name in page
    assert "progress-bar" in page and "1 / 5" in page  # one open mentorship of five
    assert f"/supervisi/tpl/{work['tpl'].id}/targets" in page
    with app.test_request_context():
        from tpl_tracker import formatting as fmt

        assert fmt.day(on(3, 10)) in page  # the activity
        assert fmt.month(on(3, 1)) in page  # the month
    assert 'src="/static/supervision.js"' in page


def test_work_page_reads_the_businesses_of_its_records_in_one_statement(app, client, login_as, work, db):
    """Mentorships, permits and assessments of businesses the TPL logged no activity for: one statement reads all
    their businesses, however many; none when the activities' businesses are the same."""
    login_as("supervisor")
    url = f"/supervisi/tpl/{work['tpl'].id}"
    client.get(url)  # what the first request reads once (and caches) stays out
    same_businesses = _queries(app, client, url)

    def business_without_activity(n):
        business = Business(
            name=f"Roti Kenari {n}",
            normalized_name=f"roti kenari {n}",
            owner_name="Pak Arif",
            region_code="82.71",
            kbli="10710",
            size_class="mikro",
            workers=2,
            created_by_id=work["facilitator"].id,
        )
        db.session.add_all(
            [
                business,
                Mentorship(business=business, facilitator=work["tpl"], start_date=on(2, 1)),
                PermitFacilitation(
                    business=business,
                    facilitator=work["tpl"],
                    permit_type="nib",
                    status="planned",
                    planned_on=on(3, 12),
                ),
                Assessment(
                    business=business,
                    facilitator=work["tpl"],
                    kind="baseline",
                    assessed_on=on(3, 2),
                    turnover=1_000_000,
                    workers=2,
                    market_reach="local",
                ),
            ]
        )
        return business

    one = [business_without_activity(1)]
    db.session.commit()
    with_one = _queries(app, client, url)
    many = [business_without_activity(n) for n in range(2, 6)]
    db.session.commit()
    with_many = _queries(app, client, url)
    assert with_one == with_many == same_businesses + 1
    page = _page(client.get(url))
    assert all(business.name in page for business in one + many)


def test_work_page_offers_handover_when_the_contract_ends_soon(app, client, login_as, work, db):
    login_as("supervisor")
    page = _page(client.get(f"/supervisi/tpl/{work['tpl'].id}"))
    assert "alert-warning" not in page
    work["contract"].end_date = on(5, 10)
    db.session.commit()
    page = _page(client.get(f"/supervisi/tpl/{work['tpl'].id}"))
    assert "alert-warning" in page and f"/supervisi/tpl/{work['tpl'].id}/handover" in page


def test_work_page_is_read_only_for_evaluators(client, login_as, work):
    login_as("evaluator")
    page = _page(client.get(f"/supervisi/tpl/{work['tpl'].id}"))
    assert "/targets" not in page and "/handover" not in page


@pytest.mark.parametrize("path", ["", "/targets", "/handover"])
def test_out_of_scope_and_wrong_role(client, login_as, work, path):
    login_as("supervisor2")
    assert client.get(f"/supervisi/tpl/{work['tpl'].id}{path}").status_code == 404
    assert client.get("/supervisi/tpl/999999" + path).status_code == 404
    _switch(client, login_as, "facilitator")
    assert client.get(f"/supervisi/tpl/{work['tpl'].id}{path}").status_code == 403
    assert client.get("/supervisi/").status_code == 403


# --- targets --------------------------------------------------------------------------------------------------

TARGETS = {"year": str(YEAR), "visits_per_month": "8", "businesses": "10", "permits_per_year": "12"}


def test_supervisor_sets_then_changes_targets(client, login_as, work, db):
    login_as("supervisor")
    url = f"/supervisi/tpl/{work['tpl'].id}/targets"
    page = _page(client.get(url))
    assert f'value="{YEAR}"' in page
    response = client.post(url, data=TARGETS)
    assert response.status_code == 302
    assert response.headers["Location"] == f"/supervisi/tpl/{work['tpl'].id}"
    target = db.session.scalar(sa.select(Target))
    assert (target.year, target.visits_per_month, target.businesses, target.permits_per_year) == (YEAR, 8, 10, 12)

    assert 'value="8"' in _page(client.get(url + f"?year={YEAR}"))
    client.post(url, data={**TARGETS, "visits_per_month": "0"})
    db.session.expire_all()
    assert _count(db, Target) == 1 and db.session.scalar(sa.select(Target)).visits_per_month == 0
    assert _count(db, AuditEntry, AuditEntry.entity_type == "targets") == 2


@pytest.mark.parametrize(
    "field,value,message",
    [
        ("visits_per_month", "", "This field is required."),
        ("businesses", "-1", "Give a whole number from 0 to %(max)d."),
        ("permits_per_year", "1000", "Give a whole number from 0 to %(max)d."),
        ("visits_per_month", "lots", "Not a valid integer value."),
        ("year", "1999", "Give a year between 2000 and 2100."),
    ],
)
def test_targets_bad_input_writes_nothing(app, client, login_as, work, db, field, value, message):
    login_as("supervisor")
    before = _changes(db)
    response = client.post(f"/supervisi/tpl/{work['tpl'].id}/targets", data={**TARGETS, field: value})
    assert response.status_code == 200
    assert _message(app, message, max=999) in _page(response)
    assert _count(db, Target) == 0 and _changes(db) == before


def test_targets_name_every_mistake_in_one_submit(app, client, login_as, work, db):
    login_as("supervisor")
    before = _changes(db)
    data = {"year": "1999", "visits_per_month": "", "businesses": "-1", "permits_per_year": "banyak"}
    response = client.post(f"/supervisi/tpl/{work['tpl'].id}/targets", data=data)
    assert response.status_code == 200
    text = _page(response)
    for message in (
        "Give a year between 2000 and 2100.",
        "This field is required.",
        "Give a whole number from 0 to %(max)d.",
        "Not a valid integer value.",  # a number that cannot be read says so, not that it is missing
    ):
        assert _message(app, message, max=999) in text
    assert text.count("invalid-feedback") == 4
    assert _count(db, Target) == 0 and _changes(db) == before


# --- handover -------------------------------------------------------------------------------------------------


def _handover_form(work, successor, **changes) -> dict:
    data = {
        "mentorship_ids": [str(work["mentorship"].id)],
        "new_facilitator_id": str(successor.id),
        "on": dmy(4, 15),
        "reason": "Contract ends",
    }
    data.update(changes)
    return data


def test_handover_form_lists_every_business_unchecked_and_offers_tpl_in_scope(client, login_as, work, db):
    (successor,) = _tpl(db, work)
    login_as("supervisor")
    page = _page(client.get(f"/supervisi/tpl/{work['tpl'].id}/handover"))
    assert re.search(rf'<input (?!checked)[^>]*name="mentorship_ids"[^>]*value="{work["mentorship"].id}"', page)
    assert successor.full_name in page and work["tpl2"].full_name not in page
    assert f'value="{iso(4, 20)}"' in page
    assert "data-confirm" in page


def test_handover_moves_businesses_and_keeps_activities(app, client, login_as, work, db):
    (successor,) = _tpl(db, work)
    login_as("supervisor")
    response = client.post(f"/supervisi/tpl/{work['tpl'].id}/handover", data=_handover_form(work, successor))
    assert response.status_code == 302, _page(response)[:3000]
    db.session.expire_all()
    old = db.session.get(Mentorship, work["mentorship"].id)
    assert old.end_date == on(4, 15) and "Contract ends" in old.end_reason
    new = db.session.scalar(sa.select(Mentorship).where(Mentorship.facilitator_id == successor.id))
    assert new.business_id == work["business"].id and new.start_date == on(4, 15)
    assert db.session.get(Activity, work["activity"].id).facilitator_id == work["tpl"].id
    page = _page(client.get(response.headers["Location"]))
    assert _message(app, "%(count)d businesses have been handed over.", count=1) in page


@pytest.mark.parametrize("case", ["same", "out_of_scope", "nothing", "future", "no_reason", "bad_date"])
def test_handover_refusals_write_nothing(app, client, login_as, work, db, case):
    (successor,) = _tpl(db, work)
    changes = {
        "same": {"new_facilitator_id": str(work["tpl"].id)},
        "out_of_scope": {"new_facilitator_id": str(work["tpl2"].id)},
        "nothing": {"mentorship_ids": []},
        "future": {"on": dmy(4, 21)},
        "no_reason": {"reason": ""},
        "bad_date": {"on": f"31/02/{YEAR}"},
    }[case]
    message = {
        "same": "Choose another TPL: a TPL cannot hand businesses over to themselves.",
        "out_of_scope": "Choose a TPL in your scope.",
        "nothing": "Select at least one business the TPL mentors now.",
        "future": "The handover date cannot be in the future.",
        "no_reason": "Give the reason for the handover.",
        "bad_date": "Not a valid date: use DD/MM/YYYY.",
    }[case]
    login_as("supervisor")
    mentorships, changes_before = _count(db, Mentorship), _changes(db)
    response = client.post(f"/supervisi/tpl/{work['tpl'].id}/handover", data=_handover_form(work, successor, **changes))
    assert response.status_code == 200
    assert _message(app, message) in _page(response)
    assert _count(db, Mentorship) == mentorships and _changes(db) == changes_before
    assert _count(db, Mentorship, Mentorship.end_date.is_not(None)) == 0


def test_handover_names_every_mistake_in_one_submit(app, client, login_as, work, db):
    (successor,) = _tpl(db, work)
    login_as("supervisor")
    mentorships, changes_before = _count(db, Mentorship), _changes(db)
    data = _handover_form(
        work, successor, mentorship_ids=[], new_facilitator_id=str(work["tpl"].id), on=dmy(4, 21), reason="x" * 301
    )
    response = client.post(f"/supervisi/tpl/{work['tpl'].id}/handover", data=data)
    assert response.status_code == 200
    text = _page(response)
    for message, values in (
        ("Select at least one business the TPL mentors now.", {}),
        ("Choose another TPL: a TPL cannot hand businesses over to themselves.", {}),
        ("The handover date cannot be in the future.", {}),
        ("%(label)s is too long (at most %(max)d characters).", {"label": _message(app, "The reason"), "max": 300}),
    ):
        assert _message(app, message, **values) in text
    # A date that cannot be read is named as such, beside the rules of the other fields.
    data = _handover_form(work, successor, on=f"31/02/{YEAR}", reason="", new_facilitator_id="")
    text = _page(client.post(f"/supervisi/tpl/{work['tpl'].id}/handover", data=data))
    for message in (
        "Not a valid date: use DD/MM/YYYY.",
        "Give the reason for the handover.",
        "Choose the TPL who takes the businesses over.",
    ):
        assert _message(app, message) in text
    assert _message(app, "Give the handover date.") not in text
    assert _count(db, Mentorship) == mentorships and _changes(db) == changes_before
    assert _count(db, Mentorship, Mentorship.end_date.is_not(None)) == 0


def test_handover_refused_to_evaluators_and_other_supervisors(client, login_as, work, db):
    (successor,) = _tpl(db, work)
    before = _changes(db)
    login_as("evaluator")
    assert (
        client.post(f"/supervisi/tpl/{work['tpl'].id}/handover", data=_handover_form(work, successor)).status_code
        == 403
    )
    _switch(client, login_as, "supervisor2")
    assert (
        client.post(f"/supervisi/tpl/{work['tpl'].id}/handover", data=_handover_form(work, successor)).status_code
        == 404
    )
    assert _count(db, Mentorship, Mentorship.end_date.is_not(None)) == 0 and _changes(db) == before


# --- the roster's month and the targets missed ---------------------------------------------------------------


def test_roster_of_a_past_month_shows_that_months_figures(app, client, login_as, work, db):
    """March (the world's activity, a draft month) is computed as on 31 March; April as today."""
    login_as("supervisor")
    page = _page(client.get("/supervisi/?month=" + iso(3, 1)[:7]))
    with app.test_request_context():
        from tpl_tracker import formatting as fmt

        march, february = fmt.month(on(3, 1)), fmt.month(on(2, 1))
    assert f'<small class="text-muted fs-6">{march}</small>' in page
    assert f'value="{iso(3, 1)[:7]}"' in page and f'max="{iso(4, 1)[:7]}"' in page
    assert f"<th>{march}</th><th>{february}</th>" in page
    assert re.search(r'<td class="text-end">1</td>\s*<td class="text-end">1</td>', page)  # 1 activity, 1 business
    assert _message(app, 'For a past month, "today" in these rules is its last day.') in page
    # On 31 March the last activity (10/03) is 21 days old; February was not a contract month to submit.
    assert _message(app, "No activity in 14 days") in page
    page = _page(client.get("/supervisi/"))
    assert re.search(r'<td class="text-end">0</td>\s*<td class="text-end">1</td>', page)  # nothing in April yet
    assert _message(app, 'For a past month, "today" in these rules is its last day.') not in page


def test_roster_refuses_a_future_month_and_shows_the_current_one(app, client, login_as, work, db):
    login_as("supervisor")
    response = client.get(f"/supervisi/?month={iso(5, 1)[:7]}&flag=no_activity")
    assert response.status_code == 200
    page = _page(response)
    with app.test_request_context():
        from tpl_tracker import formatting as fmt

        may, april = fmt.month(on(5, 1)), fmt.month(on(4, 1))
    assert (
        _message(app, "%(month)s has not started yet: the roster shows %(current)s.", month=may, current=april) in page
    )
    assert f'value="{iso(4, 1)[:7]}"' in page and f'<small class="text-muted fs-6">{april}</small>' in page
    assert work["tpl"].full_name in page  # the flag filter still applies (the last activity is of 10/03)
    response = client.get("/supervisi/?month=April&flag=no_activity")
    assert response.status_code == 200 and "text-danger" in _page(response)
    assert work["tpl"].full_name in _page(response)
    assert client.get(f"/supervisi/?month={YEAR}-13").status_code == 200


def test_the_roster_pages_keep_the_month(app, client, login_as, work, db):
    app.config["PER_PAGE"] = 1
    try:
        _tpl(db, work, 1)
        login_as("supervisor")
        page = _page(client.get(f"/supervisi/?month={iso(3, 1)[:7]}"))
        assert f"month={iso(3, 1)[:7]}" in page and "page=2" in page
    finally:
        app.config["PER_PAGE"] = 25


def test_roster_and_work_page_name_the_target_missed(app, client, login_as, work, db, time_machine):
    """6 visits a month, 20 of April's 30 days gone: 4 expected so far; one made."""
    db.session.add(Activity(facilitator=work["tpl"], date=on(4, 2), type="kunjungan", description="x", hours=1))
    db.session.add(Target(facilitator=work["tpl"], year=YEAR, visits_per_month=6, businesses=1, permits_per_year=0))
    db.session.commit()
    login_as("supervisor")
    expected = _message(app, "visits (%(actual)d of %(expected)d expected so far)", actual=1, expected=4)
    page = _page(client.get("/supervisi/"))
    assert _message(app, "Below target") in page and expected in page
    page = _page(client.get(f"/supervisi/tpl/{work['tpl'].id}"))
    assert _message(app, "Below target: %(targets)s", targets=expected) in page
    # April as a whole, seen on 10 May: the whole target of 6.
    time_machine.move_to(moment(5, 10), tick=False)
    _switch(client, login_as, "supervisor")  # the session of 20 April has expired
    page = _page(client.get(f"/supervisi/?month={iso(4, 1)[:7]}&flag=below_target"))
    assert work["tpl"].full_name in page
    assert _message(app, "visits (%(actual)d of %(expected)d expected)", actual=1, expected=6) in page
