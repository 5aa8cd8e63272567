"""The roster flags' table (services/roster_flags.py): kept current by each commit and by the daily job, and the
roster's flag filters give the same TPL with it as when every TPL's month is computed at the request."""

import random
from datetime import timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa
import time_machine

from tpl_tracker.jobs import JOBS
from tpl_tracker.models import Activity, Mentorship, MonthlyReport, PermitFacilitation, RosterFlag, Target
from tpl_tracker.services import roster_flags, supervision
from tpl_tracker.services.reviews import submit_month
from tpl_tracker.services.supervision import FLAGS, RosterPeriod, roster_query

from ..clock import NOW, TODAY, on
from ..factories import ContractFactory, FacilitatorFactory

ALL_FLAGS = [*FLAGS, "any"]


def _rows(db) -> dict[int, tuple]:
    """The stored rows: {facilitator_id: (as_of, no_activity, month_late, below_target)}."""
    rows = db.session.execute(
        sa.select(RosterFlag.facilitator_id, RosterFlag.as_of, *(getattr(RosterFlag, n) for n in FLAGS))
    )
    return {row[0]: tuple(row[1:]) for row in rows}


def _live(db, user, flag, today=TODAY, **filters) -> list[int]:
    """The roster filtered by `flag` with every TPL's flags computed at the request."""
    p = RosterPeriod.of(today)
    base = supervision._roster_base(user, p, filters.get("q"), filters.get("region"), filters.get("include_all", False))
    flagged = supervision._flagged_live(base.with_only_columns(supervision.Facilitator.id), p, flag)
    query = sa.select(supervision.Facilitator.id).where(supervision.Facilitator.id.in_(sa.select(flagged.c.id)))
    return sorted(db.session.scalars(query))


def _roster(db, user, flag, today=TODAY, **filters) -> list[int]:
    return sorted(f.id for f in db.session.scalars(roster_query(user, flag=flag, today=today, **filters)))


def _computed(db, facilitator_ids, today=TODAY) -> dict[int, tuple]:
    """The flags of the TPL as the roster computes them now."""
    rows = db.session.execute(supervision.flag_values(sorted(facilitator_ids), today))
    return {row[0]: tuple(row[1:]) for row in rows}


def _activity(tpl, day, kind="kunjungan") -> Activity:
    return Activity(facilitator=tpl, date=day, type=kind, description="Kunjungan", hours=Decimal("1.0"))


def test_a_commit_computes_the_rows_of_the_tpl_it_changed(db, work):
    tpl = work["tpl"]
    assert _rows(db)[tpl.id] == _computed(db, [tpl.id])[tpl.id]
    assert _rows(db)[tpl.id][1] is True  # no activity in the last 14 days
    db.session.add(_activity(tpl, TODAY - timedelta(days=3)))
    db.session.commit()
    assert _rows(db)[tpl.id] == (TODAY, False, False, False)


@pytest.mark.parametrize("change", ["activity", "permit", "mentorship", "month", "target", "contract"])
def test_every_kind_of_record_keeps_the_row_current(db, work, change):
    tpl, tpl2 = work["tpl"], work["tpl2"]
    db.session.add(Target(facilitator=tpl, year=TODAY.year, visits_per_month=0, businesses=1, permits_per_year=0))
    db.session.commit()
    if change == "activity":
        db.session.add(_activity(tpl, TODAY))
    elif change == "permit":
        work["permit"].status = "issued"
        work["permit"].issued_on = TODAY
        db.session.add(Target(facilitator=tpl2, year=TODAY.year, visits_per_month=0, businesses=0, permits_per_year=1))
    elif change == "mentorship":
        work["mentorship"].end_date = TODAY - timedelta(days=1)
    elif change == "month":
        db.session.add(MonthlyReport(facilitator=tpl, period=on(11, 1), status="submitted"))
    elif change == "target":
        db.session.scalar(sa.select(Target).where(Target.facilitator_id == tpl.id)).businesses = 5
    elif change == "contract":
        work["contract"].end_date = TODAY - timedelta(days=1)
    db.session.commit()
    assert _rows(db) == {**_rows(db), **_computed(db, [tpl.id, tpl2.id])}
    for flag in ALL_FLAGS:
        assert _roster(db, work["evaluator"], flag) == _live(db, work["evaluator"], flag)


def test_a_month_submitted_through_the_review_service_clears_month_late(db, work):
    tpl = work["tpl"]
    for month in (10, 11):  # the TPL's November has no report yet: late on 2 December? only after the 5th
        db.session.add(MonthlyReport(facilitator=tpl, period=on(month, 1), status="draft"))
    db.session.commit()
    with time_machine.travel(NOW + timedelta(days=5), tick=False):
        today = TODAY + timedelta(days=5)
        roster_flags.refresh(today)
        db.session.commit()
        assert _rows(db)[tpl.id][2] is True
        submit_month(work["facilitator"], tpl, on(11, 1))  # a plain UPDATE of the month's status
        db.session.commit()
        assert _rows(db)[tpl.id] == (today, *_computed_on(db, tpl.id, today))
        assert _rows(db)[tpl.id][2] is False


def _computed_on(db, facilitator_id, today) -> tuple:
    return tuple(db.session.execute(supervision.flag_values([facilitator_id], today)).one()[2:])


def test_a_change_not_yet_committed_is_seen_by_the_roster(db, work):
    tpl = work["tpl"]
    assert tpl.id in _roster(db, work["supervisor"], "no_activity")
    db.session.add(_activity(tpl, TODAY))
    db.session.flush()
    assert tpl.id not in _roster(db, work["supervisor"], "no_activity")
    db.session.rollback()
    assert tpl.id in _roster(db, work["supervisor"], "no_activity")
    assert roster_flags.touched() == set()


def test_a_new_day_makes_every_row_stale_until_the_job_runs(db, work):
    db.session.commit()
    assert not roster_flags.refresh_due(TODAY)
    tomorrow = TODAY + timedelta(days=1)
    with time_machine.travel(NOW + timedelta(days=1), tick=False):
        assert roster_flags.refresh_due()
        # Stale rows are not read: the roster computes the flags as of the new day.
        for flag in ALL_FLAGS:
            p_roster = sorted(
                f.id for f in db.session.scalars(roster_query(work["evaluator"], flag=flag, today=tomorrow))
            )
            assert p_roster == _live_on(db, work["evaluator"], flag, tomorrow)
        assert JOBS["refresh-roster-flags"].due()
        written = JOBS["refresh-roster-flags"].func(tomorrow)
        db.session.commit()
        assert written == 2
        assert not roster_flags.refresh_due()
        assert {row[0] for row in _rows(db).values()} == {tomorrow}


def _live_on(db, user, flag, today) -> list[int]:
    p = RosterPeriod.of(today)
    base = supervision._roster_base(user, p, None, None, False)
    flagged = supervision._flagged_live(base.with_only_columns(supervision.Facilitator.id), p, flag)
    return sorted(db.session.scalars(sa.select(flagged.c.id)))


def test_the_job_keeps_a_row_a_commit_wrote_today_and_drops_the_rows_of_earlier_days(db, work):
    tpl, tpl2 = work["tpl"], work["tpl2"]
    db.session.execute(sa.update(RosterFlag).where(RosterFlag.facilitator_id == tpl2.id).values(as_of=on(11, 30)))
    db.session.execute(
        sa.update(RosterFlag).where(RosterFlag.facilitator_id == tpl.id).values(no_activity=False)
    )  # as a commit of today would have left it
    roster_flags.refresh(TODAY)
    db.session.commit()
    rows = _rows(db)
    assert rows[tpl.id][1] is False  # left alone: written today
    assert rows[tpl2.id] == (TODAY, *_computed_on(db, tpl2.id, TODAY))
    db.session.execute(sa.update(RosterFlag).values(as_of=on(11, 30)))
    roster_flags.refresh(TODAY + timedelta(days=70))  # no contract in January or February: every row goes
    assert _rows(db) == {}


@pytest.mark.parametrize("days_on", [0, 7])  # 2 December, and the 9th: months not submitted are late by then
def test_the_roster_gives_the_same_tpl_with_the_table_as_without_it(db, world, days_on):
    """A programme of random TPL and records; each flag filter of each role, with every row stored, with some rows
    of another day, and with none, against the flags computed at the request."""
    with time_machine.travel(NOW + timedelta(days=days_on), tick=False):
        _same_with_the_table_as_without_it(db, world, TODAY + timedelta(days=days_on))


def _same_with_the_table_as_without_it(db, world, today):
    rnd = random.Random(2007)
    tpls = [world["tpl"], world["tpl2"]]
    for i in range(24):
        tpl = FacilitatorFactory(region_code=rnd.choice(["82.71", "73.71", "82.01"]))
        if i % 4 == 1:  # assigned to the supervisor of province 82, wherever placed (their flags read by its copies)
            tpl.supervisor = world["supervisor"]
        start = TODAY - timedelta(days=rnd.randint(20, 500))
        end = TODAY + timedelta(days=rnd.randint(-60, 200))
        ContractFactory(facilitator=tpl, start_date=start, end_date=max(end, start + timedelta(days=30)))
        tpls.append(tpl)
        for _ in range(rnd.randint(0, 6)):
            day = TODAY - timedelta(days=rnd.randint(0, 70))
            db.session.add(_activity(tpl, day, rnd.choice(["kunjungan", "pelatihan"])))
        if rnd.random() < 0.6:
            db.session.add(
                Target(
                    facilitator=tpl,
                    year=TODAY.year,
                    visits_per_month=rnd.randint(0, 3),
                    businesses=rnd.randint(0, 2),
                    permits_per_year=rnd.randint(0, 12),
                )
            )
        if rnd.random() < 0.5:
            db.session.add(MonthlyReport(facilitator=tpl, period=on(11, 1), status=rnd.choice(["draft", "approved"])))
        if i % 3 == 0:
            mentorship = Mentorship(business=world_business(db, world, i), facilitator=tpl, start_date=start)
            db.session.add(mentorship)
            if rnd.random() < 0.5:
                db.session.add(
                    PermitFacilitation(
                        business=mentorship.business,
                        facilitator=tpl,
                        permit_type="nib",
                        status="issued",
                        issued_on=TODAY - timedelta(days=rnd.randint(0, 300)),
                    )
                )
    db.session.commit()
    users = [world["evaluator"], world["supervisor"], world["admin"]]
    ids = [t.id for t in tpls]
    assert set(_rows(db)) >= {t.id for t in tpls if t.contracts[-1].effective_end >= on(11, 1)}
    computed = _computed(db, ids, today).values()
    for index, flag in enumerate(FLAGS, start=1):  # the programme raises each flag for some TPL, not for others
        if flag != "month_late" or today.day > 5:
            assert {values[index] for values in computed} == {True, False}, flag
    for state in ("stored", "some stale", "none"):
        if state == "some stale":
            stale = sa.update(RosterFlag).where(RosterFlag.facilitator_id.in_(ids[::3]))
            db.session.execute(stale.values(as_of=on(11, 1)))
        elif state == "none":
            db.session.execute(sa.delete(RosterFlag))
        for user in users:
            for flag in ALL_FLAGS:
                for filters in ({}, {"include_all": True}, {"region": "82"}):
                    assert _roster(db, user, flag, today, **filters) == _live(db, user, flag, today, **filters), (
                        state,
                        flag,
                    )


def world_business(db, world, i):
    from tpl_tracker.models import Business

    business = Business(
        name=f"Usaha {i}",
        normalized_name=f"usaha {i}",
        owner_name="Ibu Hasna",
        region_code="82.71",
        kbli="10792",
        size_class="mikro",
        workers=3,
        created_by_id=world["admin"].id,
    )
    db.session.add(business)
    return business


@pytest.mark.real_commits
def test_computing_a_tpl_holds_it_against_a_second_computation_not_against_new_records(db, work):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("SQLite serialises writers with BEGIN IMMEDIATE; row locks are PostgreSQL's")
    tpl_id = work["tpl"].id
    db.session.commit()
    second = sa.text("SELECT id FROM facilitators WHERE id = :id FOR NO KEY UPDATE")
    new_record = sa.text(
        "INSERT INTO targets (facilitator_id, year, visits_per_month, businesses, permits_per_year, updated_at)"
        " VALUES (:id, 1999, 1, 1, 1, now())"
    )

    roster_flags.compute([tpl_id], TODAY)  # as a commit that changed the TPL does before committing
    with db.engine.connect() as other:
        other.execute(sa.text("SET lock_timeout = '300ms'"))
        with pytest.raises(sa.exc.OperationalError):
            other.execute(second, {"id": tpl_id})  # another commit of the same TPL waits for this one
        other.rollback()
        other.execute(sa.text("SET lock_timeout = '300ms'"))
        other.execute(new_record, {"id": tpl_id})  # a record of the TPL (its foreign key's lock) does not wait
        other.rollback()
    db.session.commit()


def test_the_table_alone_is_read_once_every_tpl_who_may_have_a_flag_has_a_row_and_that_is_kept(
    app, db, work, monkeypatch
):
    from tpl_tracker.extensions import cache

    monkeypatch.setitem(app.config, "ROSTER_FLAGS_CHECK_SECONDS", 300)
    cache.clear()
    try:
        tpl2 = work["tpl2"].id
        db.session.execute(sa.update(RosterFlag).where(RosterFlag.facilitator_id == tpl2).values(as_of=on(11, 30)))
        assert not roster_flags.complete(TODAY)  # a TPL under contract has no row of today: not kept
        for flag in ALL_FLAGS:
            assert _roster(db, work["evaluator"], flag) == _live(db, work["evaluator"], flag)
        roster_flags.refresh(TODAY)
        assert roster_flags.complete(TODAY)
        db.session.execute(sa.delete(RosterFlag))  # not what the app does within a day: the answer was kept
        assert roster_flags.complete(TODAY)
        assert not roster_flags.complete(TODAY + timedelta(days=1))  # a new day is checked again
    finally:
        cache.clear()


def test_a_tpl_who_can_no_longer_have_a_flag_loses_the_row(db, work):
    tpl = work["tpl"]
    assert tpl.id in _rows(db)
    work["contract"].start_date, work["contract"].end_date = on(1, 1, years=-2), on(12, 31, years=-2)
    db.session.commit()  # the contract of two years ago: no contract this month or the last
    assert tpl.id not in _rows(db)
    for flag in ALL_FLAGS:
        assert _roster(db, work["evaluator"], flag, include_all=True) == _live(
            db, work["evaluator"], flag, include_all=True
        )


def test_an_import_computes_the_rows_of_its_new_tpl_and_of_the_stored_ones_it_changed(db, tmp_path, work):
    """A new TPL under contract this year and a contract for a stored TPL: both rows are what the roster computes."""
    from tpl_tracker.models import Facilitator
    from tpl_tracker.services.importer import import_workbook

    from ..clock import iso
    from .test_importer import NIK1, contract_row, facilitator_row, write_workbook

    stored = FacilitatorFactory(region_code="82.71")
    db.session.commit()
    this_year = {"start_date": iso(1, 1), "end_date": iso(12, 31), "status": "active"}
    path = write_workbook(
        tmp_path / "x.xlsx",
        {
            "facilitators": [facilitator_row()],
            "contracts": [
                contract_row(**this_year),
                contract_row(nik=stored.nik, contract_number="KP/TPL/2026/777", **this_year),
            ],
        },
    )
    assert import_workbook(path, actor=work["admin"]).errors == []
    db.session.commit()
    new = db.session.scalar(sa.select(Facilitator.id).where(Facilitator.nik == NIK1))
    rows = _rows(db)
    assert rows[new] == _computed(db, [new])[new] and rows[stored.id] == _computed(db, [stored.id])[stored.id]
    assert rows[new][1] is True  # under contract, no activity in 14 days


def test_a_tpl_the_transaction_created_is_computed_without_being_held(db, work):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("SQLite serialises writers with BEGIN IMMEDIATE; row locks are PostgreSQL's")
    tpl_id = work["tpl"].id
    db.session.commit()
    roster_flags.compute([tpl_id], TODAY, created={tpl_id})  # as if this transaction had created the TPL
    with db.engine.connect() as other:
        other.execute(sa.text("SET lock_timeout = '300ms'"))
        other.execute(sa.text("SELECT id FROM facilitators WHERE id = :id FOR NO KEY UPDATE"), {"id": tpl_id})
        other.rollback()
    assert _rows(db)[tpl_id] == _computed(db, [tpl_id])[tpl_id]
    db.session.commit()


def test_a_late_month_of_a_contract_that_ended_last_month_keeps_its_tpl_off_the_national_roster(db, world):
    """Nationally today's stored flags stand in for the roster's own condition of a contract this month: a late month
    is raised for last month's contract, so a TPL whose contract ended then stays off the roster's flag filters."""
    today = TODAY + timedelta(days=7)  # November's months are late by then
    with time_machine.travel(NOW + timedelta(days=7), tick=False):
        ended, running = FacilitatorFactory(region_code="82.71"), FacilitatorFactory(region_code="82.71")
        ContractFactory(facilitator=ended, start_date=on(1, 1), end_date=on(11, 30))
        ContractFactory(facilitator=running, start_date=on(1, 1), end_date=on(12, 31))
        db.session.commit()
        roster_flags.refresh(today)
        db.session.commit()
        assert roster_flags.complete(today)
        assert _rows(db)[ended.id][2] and _rows(db)[running.id][2]  # both months late
        for user in (world["evaluator"], world["admin"]):
            for flag in ("month_late", "any"):
                found = _roster(db, user, flag, today)
                assert running.id in found and ended.id not in found, flag
                assert found == _live(db, user, flag, today), flag
            assert ended.id in _roster(db, user, "month_late", today, include_all=True)
