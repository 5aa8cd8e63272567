"""Supervision services: roster figures and flags, targets, and the handover of businesses."""

from datetime import timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa

from tpl_tracker.models import (
    Activity,
    AuditEntry,
    Business,
    Mentorship,
    MonthlyReport,
    PermitFacilitation,
    Target,
)
from tpl_tracker.services import ServiceError
from tpl_tracker.services.months import previous_month
from tpl_tracker.services.supervision import (
    FLAGS,
    HandoverData,
    MissedTarget,
    TargetData,
    expected_permits,
    expected_visits,
    flagged_head,
    hand_over,
    handover_candidates,
    missed_targets,
    roster_query,
    roster_rows,
    roster_today,
    set_target,
    year_actuals,
)

from ..clock import YEAR, on
from ..conftest import ui_message
from ..factories import ContractFactory, FacilitatorFactory

TODAY = on(4, 20)  # the world's contracts run through the tests' year; March is the previous month


def _count(db, model, *where) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model).where(*where))


def _roster(db, user, **filters) -> list:
    return list(db.session.scalars(roster_query(user, today=TODAY, **filters)))


def _row(facilitator, today=TODAY) -> dict:
    return roster_rows([facilitator], today)[facilitator.id]


def _activity(db, tpl, day, kind="kunjungan"):
    activity = Activity(facilitator=tpl, date=day, type=kind, description="Kunjungan", hours=Decimal("1.0"))
    db.session.add(activity)
    db.session.commit()
    return activity


def test_previous_month_wraps_the_year():
    assert previous_month(on(1, 1)) == on(12, 1, years=-1)
    assert previous_month(on(4, 1)) == on(3, 1)


def test_expected_permits_counts_completed_months_rounded_down():
    assert expected_permits(12, on(1, 31)) == 0
    assert expected_permits(12, on(4, 20)) == 3
    assert expected_permits(10, on(4, 20)) == 2  # 10 * 3 / 12 = 2.5


# --- roster ---------------------------------------------------------------------------------------------------


def test_roster_lists_tpl_in_scope_under_contract_this_month(db, work):
    assert _roster(db, work["supervisor"]) == [work["tpl"]]
    assert set(_roster(db, work["evaluator"])) == {work["tpl"], work["tpl2"]}
    work["contract"].end_date = on(3, 31)
    db.session.commit()
    assert _roster(db, work["supervisor"]) == []
    assert _roster(db, work["supervisor"], include_all=True) == [work["tpl"]]


def test_roster_search_and_region_filters(db, work):
    evaluator = work["evaluator"]
    assert _roster(db, evaluator, region="73") == [work["tpl2"]]
    assert _roster(db, evaluator, region="82.71") == [work["tpl"]]
    assert _roster(db, evaluator, q=work["tpl2"].full_name[:5].upper())[0] in (work["tpl"], work["tpl2"])
    assert _roster(db, evaluator, q="nobody-has-this-name") == []


def test_roster_figures(db, work):
    tpl = work["tpl"]
    _activity(db, tpl, on(4, 2))
    _activity(db, tpl, on(4, 15), kind="pelatihan")
    work["permit"].status = "issued"
    work["permit"].issued_on = on(4, 10)
    db.session.add(
        PermitFacilitation(
            business=work["business"], facilitator=tpl, permit_type="nib", status="issued", issued_on=on(2, 3)
        )
    )
    db.session.add(MonthlyReport(facilitator=tpl, period=on(4, 1), status="returned"))
    work["month"].status = "approved"
    db.session.commit()

    row = _row(tpl)

    assert row["month_activities"] == 2 and row["month_visits"] == 1
    assert row["open_mentorships"] == 1
    assert row["permits_year"] == 2 and row["permits_month"] == 1
    assert row["last_activity"] == on(4, 15)
    assert row["month_status"] == "returned" and row["previous_status"] == "approved"
    assert row["flags"] == []


def test_roster_rows_of_a_page_count_only_that_pages_tpl_and_flag_alike(db, work):
    """The figures of a page are read for the page's TPL only: each TPL's row is the same alone or together."""
    tpl, tpl2 = work["tpl"], work["tpl2"]
    _activity(db, tpl, on(4, 2))
    _activity(db, tpl2, on(4, 3))
    _activity(db, tpl2, on(4, 4), kind="pelatihan")
    both = roster_rows([tpl, tpl2], TODAY)
    assert set(both) == {tpl.id, tpl2.id}
    assert both[tpl.id] == _row(tpl) and both[tpl2.id] == _row(tpl2)
    assert both[tpl.id]["month_activities"] == 1 and both[tpl2.id]["month_activities"] == 2
    assert both[tpl2.id]["flags"] == _row(tpl2)["flags"]
    assert roster_rows([], TODAY) == {}


def test_flag_no_activity_in_14_days(db, work):
    tpl = work["tpl"]
    work["month"].status = "submitted"  # keep the other flag quiet
    db.session.commit()
    assert "no_activity" in _row(tpl)["flags"]  # the last activity is of 10/03
    _activity(db, tpl, on(4, 6))  # exactly 14 days before: still within the window
    assert "no_activity" not in _row(tpl)["flags"]
    assert "no_activity" in _row(tpl, today=on(4, 21))["flags"]
    assert _roster(db, work["supervisor"], flag="no_activity") == []


def test_the_flag_filter_reads_recent_activities_only_and_agrees_with_each_row(db, work):
    """Filtering by a flag reads only this month's and the last 14 days' activities (so its cost does not grow with
    years of history) and keeps exactly the TPL whose row shows that flag."""
    tpl, tpl2 = work["tpl"], work["tpl2"]
    for day in (on(1, 5), on(2, 20), on(4, 5)):  # tpl: old work only, the last 15 days before TODAY (20/04)
        _activity(db, tpl, day)
    for day in (on(1, 3), on(4, 6), on(4, 18)):  # tpl2: 14 days before TODAY, and this month
        _activity(db, tpl2, day)
    assert "no_activity" in _row(tpl)["flags"] and "no_activity" not in _row(tpl2)["flags"]
    evaluator = work["evaluator"]
    for flag in [*FLAGS, "any"]:
        shown = [t for t in (tpl, tpl2) if (_row(t)["flags"] if flag == "any" else flag in _row(t)["flags"])]
        assert sorted(_roster(db, evaluator, flag=flag), key=lambda t: t.id) == shown, flag


def test_flag_no_activity_needs_a_contract_today(db, work):
    work["contract"].end_date = on(4, 10)
    work["month"].status = "submitted"
    db.session.commit()
    assert _row(work["tpl"])["flags"] == []


def test_flag_month_not_submitted_after_five_days(db, work):
    tpl = work["tpl"]
    _activity(db, tpl, on(4, 1))
    assert _row(tpl, today=on(4, 5))["flags"] == []  # grace period
    assert _row(tpl, today=on(4, 6))["flags"] == ["month_late"]
    assert _roster(db, work["supervisor"], flag="month_late") == [tpl]
    assert _roster(db, work["supervisor"], flag="any") == [tpl]
    work["month"].status = "submitted"
    db.session.commit()
    assert _row(tpl, today=on(4, 6))["flags"] == []
    assert _roster(db, work["supervisor"], flag="month_late") == []


def test_flag_month_not_submitted_only_when_the_contract_covered_it(db, work):
    tpl = work["tpl"]
    _activity(db, tpl, on(4, 15))
    work["contract"].start_date = on(4, 1)
    db.session.delete(work["activity"])
    db.session.delete(work["month"])
    db.session.commit()
    assert "month_late" not in _row(tpl)["flags"]


def test_flag_below_target(db, work):
    tpl = work["tpl"]
    work["month"].status = "submitted"
    _activity(db, tpl, on(4, 14))
    db.session.add(Target(facilitator=tpl, year=YEAR, visits_per_month=1, businesses=1, permits_per_year=0))
    db.session.commit()
    assert _row(tpl)["flags"] == [] and _row(tpl)["missed"] == []

    # 3 visits a month, 20 of April's 30 days gone: 2 expected so far, 1 made.
    target = db.session.scalar(sa.select(Target))
    target.visits_per_month = 3
    db.session.commit()
    assert _row(tpl)["flags"] == ["below_target"]
    assert _row(tpl)["missed"] == [MissedTarget("visits", 1, 2, so_far=True)]
    target.visits_per_month = 2  # 2 x 20 / 30 = 1.33: 1 expected so far, 1 made
    db.session.commit()
    assert _row(tpl)["flags"] == []

    target.visits_per_month, target.businesses = 1, 2
    db.session.commit()
    assert _row(tpl)["flags"] == ["below_target"]
    assert _row(tpl)["missed"] == [MissedTarget("businesses", 1, 2, so_far=False)]

    # 12 a year, 3 months completed: 3 expected by 20/04; 2 issued is below, 3 is not.
    target.businesses, target.permits_per_year = 1, 12
    for day in (on(1, 5), on(2, 5)):
        db.session.add(
            PermitFacilitation(
                business=work["business"], facilitator=tpl, permit_type="halal", status="issued", issued_on=day
            )
        )
    db.session.commit()
    assert _row(tpl)["flags"] == ["below_target"]
    assert _row(tpl)["missed"] == [MissedTarget("permits", 2, 3, so_far=True)]
    assert _roster(db, work["supervisor"], flag="below_target") == [tpl]
    db.session.add(
        PermitFacilitation(
            business=work["business"], facilitator=tpl, permit_type="sni", status="issued", issued_on=on(3, 5)
        )
    )
    db.session.commit()
    assert _row(tpl)["flags"] == []


def test_expected_visits_are_pro_rated_to_the_days_gone_rounded_down():
    assert expected_visits(6, on(4, 1)) == 0  # 6 x 1 / 30
    assert expected_visits(6, on(4, 5)) == 1
    assert expected_visits(6, on(4, 15)) == 3
    assert expected_visits(6, on(4, 29)) == 5  # 5.8
    assert expected_visits(6, on(4, 30)) == 6  # the month's last day: the whole target
    assert expected_visits(31, on(1, 31)) == 31 and expected_visits(31, on(1, 30)) == 30
    assert expected_visits(4, on(4, 15)) == 2 and expected_visits(0, on(4, 30)) == 0
    february_end = on(3, 1) - timedelta(days=1)  # the 28th, or the 29th in a leap year
    assert expected_visits(20, february_end) == 20 and expected_visits(28, february_end - timedelta(days=1)) < 28


@pytest.mark.parametrize(
    ("today", "visits", "missed"),
    [
        (on(4, 1), 0, []),  # day 1: 6 x 1 / 30 rounds down to none expected yet
        (on(4, 5), 0, [MissedTarget("visits", 0, 1, so_far=True)]),
        (on(4, 15), 2, [MissedTarget("visits", 2, 3, so_far=True)]),  # mid-month
        (on(4, 15), 3, []),
        (on(4, 30), 5, [MissedTarget("visits", 5, 6, so_far=False)]),  # the last day: the whole target
        (on(4, 30), 6, []),
    ],
)
def test_below_target_on_visits_follows_the_days_gone(db, work, today, visits, missed):
    """The flag of each row, its named target and the flag filter agree on every day of the month."""
    tpl = work["tpl"]
    work["month"].status = "submitted"
    for i in range(visits):
        _activity(db, tpl, on(4, 1 + i))
    db.session.add(Target(facilitator=tpl, year=YEAR, visits_per_month=6, businesses=0, permits_per_year=0))
    db.session.commit()
    row = _row(tpl, today=today)
    assert row["missed"] == missed
    assert ("below_target" in row["flags"]) == bool(missed)
    filtered = list(db.session.scalars(roster_query(work["supervisor"], flag="below_target", today=today)))
    assert filtered == ([tpl] if missed else [])


def test_a_past_month_is_judged_whole_on_its_last_day(db, work):
    """The roster of a past month is computed as on its last day: the whole visits target, the mentorships open
    then, the permits issued up to then."""
    tpl = work["tpl"]
    work["month"].status = "submitted"
    for day in (on(4, 3), on(4, 20), on(5, 2)):
        _activity(db, tpl, day)
    db.session.add(Target(facilitator=tpl, year=YEAR, visits_per_month=3, businesses=1, permits_per_year=0))
    db.session.commit()
    april = roster_today(on(4, 1), on(5, 10))
    assert april == on(4, 30)
    assert roster_today(None, on(5, 10)) == on(5, 10) and roster_today(on(5, 1), on(5, 10)) == on(5, 10)
    row = _row(tpl, today=april)
    assert row["month_visits"] == 2 and row["month_activities"] == 2
    assert row["missed"] == [MissedTarget("visits", 2, 3, so_far=False)]
    # The mentorship ended on 31 May: open on 30 April; ended before, it no longer counts in April either.
    work["mentorship"].end_date = on(5, 31)
    db.session.commit()
    assert _row(tpl, today=april)["open_mentorships"] == 1
    work["mentorship"].end_date = on(4, 30)
    db.session.commit()
    assert _row(tpl, today=april)["open_mentorships"] == 0
    assert [m.kind for m in _row(tpl, today=april)["missed"]] == ["visits", "businesses"]
    assert _roster(db, work["supervisor"], flag="below_target") == []  # TODAY (20/04): 2 of 2 so far, not a flag
    assert list(db.session.scalars(roster_query(work["supervisor"], flag="below_target", today=april))) == [tpl]


def test_missed_targets_name_each_target_below():
    target = {"visits_per_month": 6, "businesses": 4, "permits_per_year": 12}
    assert missed_targets(None, {"visits": 0, "businesses": 0, "permits": 0}, on(4, 20)) == []
    assert missed_targets(target, {"visits": 3, "businesses": 2, "permits": 1}, on(4, 20)) == [
        MissedTarget("visits", 3, 4, so_far=True),
        MissedTarget("businesses", 2, 4, so_far=False),
        MissedTarget("permits", 1, 3, so_far=True),
    ]
    assert missed_targets(target, {"visits": 4, "businesses": 4, "permits": 3}, on(4, 20)) == []


def test_year_actuals_count_this_months_visits_open_mentorships_and_this_years_issued_permits(db, work):
    tpl = work["tpl"]
    before = year_actuals(tpl.id, TODAY)
    _activity(db, tpl, on(4, 2))
    _activity(db, tpl, on(4, 3), kind="pelatihan")  # not a visit
    _activity(db, tpl, on(3, 30))  # last month
    db.session.add_all(
        [
            PermitFacilitation(
                business=work["business"], facilitator=tpl, permit_type=kind, status="issued", issued_on=day
            )
            for kind, day in (("sni", on(1, 5)), ("merek", on(12, 20, years=-1)), ("bpom", on(4, 21)))
        ]
    )
    db.session.commit()

    after = year_actuals(tpl.id, TODAY)

    assert after == {
        "visits": before["visits"] + 1,
        "businesses": before["businesses"],
        "permits": before["permits"] + 1,  # not last year's, not tomorrow's
    }


def test_target_of_another_year_does_not_count(db, work):
    work["month"].status = "submitted"
    _activity(db, work["tpl"], on(4, 14))
    db.session.add(
        Target(facilitator=work["tpl"], year=YEAR - 1, visits_per_month=50, businesses=50, permits_per_year=50)
    )
    db.session.commit()
    assert _row(work["tpl"])["flags"] == []


# --- targets --------------------------------------------------------------------------------------------------


def test_set_target_creates_then_updates_with_audit(db, world):
    supervisor, tpl = world["supervisor"], world["tpl"]
    target = set_target(supervisor, tpl, TargetData(year=YEAR, visits_per_month=8, businesses=10, permits_per_year=12))
    assert (target.visits_per_month, target.businesses, target.permits_per_year) == (8, 10, 12)
    assert target.set_by_id == supervisor.id

    set_target(supervisor, tpl, TargetData(year=YEAR, visits_per_month=6, businesses=10, permits_per_year=12))

    assert _count(db, Target) == 1
    assert db.session.scalar(sa.select(Target)).visits_per_month == 6
    created, updated = db.session.scalars(
        sa.select(AuditEntry).where(AuditEntry.entity_type == "targets").order_by(AuditEntry.id)
    )
    assert created.action == "create" and created.after["visits_per_month"] == 8
    assert updated.action == "update" and updated.before == {"visits_per_month": 8}
    assert updated.after == {"visits_per_month": 6}


@pytest.mark.parametrize(
    "changes,field",
    [
        ({"visits_per_month": -1}, "visits_per_month"),
        ({"businesses": 1000}, "businesses"),
        ({"permits_per_year": None}, "permits_per_year"),
        ({"year": 1999}, "year"),
    ],
)
def test_set_target_refuses_out_of_range(db, world, changes, field):
    values = {"year": YEAR, "visits_per_month": 8, "businesses": 10, "permits_per_year": 12, **changes}
    with pytest.raises(ServiceError) as error:
        set_target(world["supervisor"], world["tpl"], TargetData(**values))
    assert error.value.field == field
    db.session.rollback()
    assert _count(db, Target) == 0


def test_every_problem_of_a_target_is_named_at_once(app, db, world):
    entries = _count(db, AuditEntry)
    data = TargetData(year=2101, visits_per_month=None, businesses=-1, permits_per_year=1000)
    with pytest.raises(ServiceError) as error:
        set_target(world["supervisor"], world["tpl"], data)
    whole = ui_message(app, "Give a whole number from 0 to %(max)d.", max=999)
    assert [(e.field, e.message) for e in error.value.errors] == [
        ("year", ui_message(app, "Give a year between 2000 and 2100.")),
        ("visits_per_month", ui_message(app, "This field is required.")),
        ("businesses", whole),
        ("permits_per_year", whole),
    ]
    db.session.rollback()
    assert _count(db, Target) == 0 and _count(db, AuditEntry) == entries


# --- handover -------------------------------------------------------------------------------------------------


@pytest.fixture
def successor(work, db):
    """A second TPL in the supervisor's region (Kota Ternate), under contract through the tests' year."""
    tpl3 = FacilitatorFactory(supervisor=work["supervisor"], region_code="82.71")
    ContractFactory(facilitator=tpl3, start_date=on(1, 1), end_date=on(12, 31))
    db.session.commit()
    return tpl3


def _second_business(db, work):
    business = Business(
        name="Kopi Gamalama",
        normalized_name="kopi gamalama",
        owner_name="Pak Ridwan",
        region_code="82.71",
        kbli="10761",
        size_class="mikro",
        workers=2,
    )
    mentorship = Mentorship(business=business, facilitator=work["tpl"], start_date=on(3, 1))
    db.session.add_all([business, mentorship])
    db.session.commit()
    return mentorship


def _data(work, successor, **changes) -> HandoverData:
    values = {
        "mentorship_ids": [work["mentorship"].id],
        "new_facilitator_id": successor.id,
        "on": on(4, 15),
        "reason": "Contract ends",
    }
    values.update(changes)
    return HandoverData(**values)


def test_handover_moves_mentorships_and_keeps_activities(app, db, work, successor):
    other = _second_business(db, work)
    moved = hand_over(
        work["supervisor"],
        work["tpl"],
        _data(work, successor, mentorship_ids=[work["mentorship"].id, other.id]),
        today=TODAY,
    )

    assert moved == 2
    db.session.expire_all()
    old = db.session.get(Mentorship, work["mentorship"].id)
    assert old.end_date == on(4, 15)
    assert old.end_reason == ui_message(
        app, "Handover to %(name)s: %(reason)s", name=successor.full_name, reason="Contract ends"
    )
    new = db.session.scalars(sa.select(Mentorship).where(Mentorship.facilitator_id == successor.id)).all()
    assert {(m.business_id, m.start_date, m.end_date) for m in new} == {
        (work["business"].id, on(4, 15), None),
        (other.business_id, on(4, 15), None),
    }
    assert db.session.get(Activity, work["activity"].id).facilitator_id == work["tpl"].id
    actions = [
        (e.action, e.entity_type)
        for e in db.session.scalars(
            sa.select(AuditEntry).where(AuditEntry.entity_type == "mentorships").order_by(AuditEntry.id)
        )
    ]
    assert actions.count(("update", "mentorships")) == 2 and actions.count(("create", "mentorships")) == 2


def test_handover_of_a_business_the_successor_already_mentors_only_ends_the_old_one(db, work, successor):
    db.session.add(Mentorship(business=work["business"], facilitator=successor, start_date=on(2, 1)))
    db.session.commit()
    hand_over(work["supervisor"], work["tpl"], _data(work, successor), today=TODAY)
    assert _count(db, Mentorship, Mentorship.facilitator_id == successor.id) == 1
    assert _count(db, Mentorship, Mentorship.end_date.is_(None)) == 2  # successor's, and tpl2's own


def test_handover_candidates_are_in_scope_and_under_contract(db, work, successor):
    assert handover_candidates(work["supervisor"], work["tpl"], TODAY) == [successor]
    assert handover_candidates(work["supervisor"], work["tpl"], on(1, 5, years=1)) == []


@pytest.mark.parametrize(
    "case,field",
    [
        ("same", "new_facilitator_id"),
        ("out_of_scope", "new_facilitator_id"),
        ("no_contract", "new_facilitator_id"),
        ("nothing", "mentorship_ids"),
        ("foreign_mentorship", "mentorship_ids"),
        ("future", "on"),
        ("before_start", "on"),
        ("no_reason", "reason"),
        ("long_reason", "reason"),
    ],
)
def test_handover_refusals_write_nothing(db, work, successor, case, field):
    changes = {
        "same": {"new_facilitator_id": work["tpl"].id},
        "out_of_scope": {"new_facilitator_id": work["tpl2"].id},
        "no_contract": {"on": on(12, 20, years=-1)},
        "nothing": {"mentorship_ids": []},
        "foreign_mentorship": {"mentorship_ids": [work["mentorship2"].id]},
        "future": {"on": on(4, 21)},
        "before_start": {"on": on(1, 15)},
        "no_reason": {"reason": "   "},
        "long_reason": {"reason": "x" * 301},
    }[case]
    if case == "no_contract":
        work["mentorship"].start_date = on(12, 1, years=-1)
        db.session.commit()
    mentorships, entries = _count(db, Mentorship), _count(db, AuditEntry)

    with pytest.raises(ServiceError) as error:
        hand_over(work["supervisor"], work["tpl"], _data(work, successor, **changes), today=TODAY)

    assert error.value.field == field
    db.session.rollback()
    assert _count(db, Mentorship) == mentorships and _count(db, AuditEntry) == entries
    assert _count(db, Mentorship, Mentorship.end_date.is_not(None)) == 0


def test_every_problem_of_a_handover_is_named_at_once(app, db, work, successor):
    mentorships, entries = _count(db, Mentorship), _count(db, AuditEntry)
    data = _data(work, successor, mentorship_ids=[work["mentorship2"].id], new_facilitator_id=None, on=None, reason="")
    with pytest.raises(ServiceError) as error:
        hand_over(work["supervisor"], work["tpl"], data, today=TODAY)
    assert [(e.field, e.message) for e in error.value.errors] == [
        ("reason", ui_message(app, "Give the reason for the handover.")),
        ("on", ui_message(app, "Give the handover date.")),
        ("new_facilitator_id", ui_message(app, "Choose the TPL who takes the businesses over.")),
        ("mentorship_ids", ui_message(app, "Select at least one business the TPL mentors now.")),
    ]
    # The successor's contract and the businesses' start dates are checked against a date that was given.
    work["mentorship"].start_date = on(4, 1)
    db.session.commit()
    data = _data(work, successor, on=on(12, 20, years=-1), reason="x" * 301)
    with pytest.raises(ServiceError) as error:
        hand_over(work["supervisor"], work["tpl"], data, today=TODAY)
    assert [e.field for e in error.value.errors] == ["reason", "new_facilitator_id", "on"]
    db.session.rollback()
    assert _count(db, Mentorship) == mentorships and _count(db, AuditEntry) == entries


def test_the_homes_flagged_head_is_the_rosters_flag_any_cut(db, work):
    """The supervisor's home lists the first TPL of the roster filtered by flag=any, with the same flags and targets
    missed as their roster rows, and the number of all of them."""
    supervisor = work["supervisor"]
    tpls = [work["tpl"]]
    for _i in range(3):
        tpl = FacilitatorFactory(supervisor=supervisor, region_code="82.71")
        ContractFactory(facilitator=tpl, start_date=on(1, 1), end_date=on(12, 31))
        tpls.append(tpl)
    quiet = tpls[-1]
    _activity(db, quiet, on(4, 19))
    db.session.add(MonthlyReport(facilitator=quiet, period=on(3, 1), status="approved"))
    db.session.add(Target(facilitator=tpls[1], year=YEAR, visits_per_month=9, businesses=1, permits_per_year=12))
    db.session.commit()
    flagged = _roster(db, supervisor, flag="any")
    assert quiet not in flagged and len(flagged) == 3
    rows = roster_rows(flagged, TODAY)

    head, total = flagged_head(supervisor, TODAY, limit=2)

    assert total == 3 and [tpl for tpl, _row in head] == flagged[:2]
    for tpl, row in head:
        assert row["flags"] == rows[tpl.id]["flags"] and row["missed"] == rows[tpl.id]["missed"]
    assert any(row["missed"] for _tpl, row in head + [(None, rows[flagged[2].id])])
    assert flagged_head(work["supervisor2"], TODAY)[1] == 1 and flagged_head(supervisor, on(1, 1, years=-1)) == ([], 0)
