"""Each contract's and monthly report's copies of its TPL's supervisor and region, kept by the database (migrations
0023 and 0024), and a supervisor's TPL under contract (roster, home page) and review queue read from them."""

import random

import sqlalchemy as sa

from tpl_tracker.models import AuditEntry, Contract, Facilitator, MonthlyReport
from tpl_tracker.services import bulk, dashboard, policy
from tpl_tracker.services.facilitators import facilitator_query
from tpl_tracker.services.reviews import review_queue
from tpl_tracker.services.supervision import roster_query

from ..clock import TODAY, moment, on
from ..factories import ContractFactory, FacilitatorFactory


def _copies(db, record) -> tuple:
    """The supervisor and region the database keeps on the contract's or month's row (not the session's idea)."""
    model = type(record)
    row = db.session.execute(sa.select(model.supervisor_id, model.region_code).where(model.id == record.id)).one()
    return tuple(row)


def _roster(db, user, **filters) -> set[int]:
    return {f.id for f in db.session.scalars(roster_query(user, today=TODAY, **filters))}


def test_a_new_contract_keeps_the_supervisor_and_region_of_its_tpl(db, world):
    assert _copies(db, world["contract"]) == (world["supervisor"].id, "82.71")
    assert _copies(db, world["contract2"]) == (world["supervisor2"].id, "73.71")


def test_the_copies_follow_the_tpl_and_cannot_be_written(db, world):
    tpl = world["tpl"]
    earlier = ContractFactory(facilitator=tpl, start_date=on(1, 1, years=-2), end_date=on(12, 31, years=-2))
    db.session.commit()
    tpl.supervisor = world["supervisor2"]
    db.session.commit()
    assert _copies(db, world["contract"]) == (world["supervisor2"].id, "82.71")
    assert _copies(db, earlier) == (world["supervisor2"].id, "82.71")  # every contract of the TPL

    tpl.region_code = None
    tpl.supervisor = None
    db.session.commit()
    assert _copies(db, world["contract"]) == (None, None)

    tpl.region_code = "73.72"  # from no region to one
    db.session.commit()
    assert _copies(db, world["contract"]) == (None, "73.72")
    assert _copies(db, world["contract2"]) == (world["supervisor2"].id, "73.71")  # the others stay

    db.session.execute(sa.update(Contract).where(Contract.id == world["contract"].id).values(region_code="82.71"))
    assert _copies(db, world["contract"]) == (None, "73.72")

    earlier.facilitator = world["tpl2"]  # a contract given to another TPL takes theirs
    db.session.commit()
    assert _copies(db, earlier) == (world["supervisor2"].id, "73.71")


def test_a_month_keeps_the_supervisor_and_region_of_its_tpl_wherever_they_move(db, work, world):
    month, month2 = work["month"], work["month2"]
    assert _copies(db, month) == (world["supervisor"].id, "82.71")
    assert _copies(db, month2) == (world["supervisor2"].id, "73.71")

    work["tpl"].region_code = "73.72"
    work["tpl"].supervisor = None
    db.session.commit()
    assert _copies(db, month) == (None, "73.72")
    assert _copies(db, month2) == (world["supervisor2"].id, "73.71")  # the others stay

    db.session.execute(sa.update(MonthlyReport).where(MonthlyReport.id == month.id).values(supervisor_id=None))
    db.session.execute(sa.update(MonthlyReport).where(MonthlyReport.id == month.id).values(region_code="82.71"))
    assert _copies(db, month) == (None, "73.72")


def test_contracts_written_in_bulk_get_their_copies_and_the_audit_trail_leaves_them_out(db, world):
    tpl = FacilitatorFactory(region_code="82.72", supervisor=world["supervisor"])
    db.session.commit()
    row = {
        "facilitator_id": tpl.id,
        "number": "KP/BULK/1",
        "start_date": on(1, 1),
        "end_date": on(12, 31),
        "placement_code": "82.72",
        "status": "active",
    }
    (contract_id,) = bulk.insert_many(Contract, [row], world["admin"], "contract_created", None)
    contract = db.session.get(Contract, contract_id)
    assert _copies(db, contract) == (world["supervisor"].id, "82.72")
    entry = db.session.scalar(
        sa.select(AuditEntry).where(AuditEntry.entity_type == "contracts", AuditEntry.entity_id == str(contract_id))
    )
    assert entry.after["number"] == "KP/BULK/1"
    assert "supervisor_id" not in entry.after and "region_code" not in entry.after


def test_a_supervisor_s_roster_and_home_follow_their_tpl_wherever_they_move(db, world):
    supervisor, supervisor2 = world["supervisor"], world["supervisor2"]  # provinces 82 and 73
    tpl = FacilitatorFactory(region_code="82.72", supervisor=None)
    ContractFactory(facilitator=tpl, start_date=on(1, 1), end_date=TODAY.replace(day=28))
    db.session.commit()
    assert policy.copied_scope(supervisor, Contract) is not None
    assert tpl.id in _roster(db, supervisor)  # in scope by region

    tpl.region_code = "73.71"  # leaves the province
    db.session.commit()
    assert tpl.id not in _roster(db, supervisor)
    assert tpl.id in _roster(db, supervisor2)

    tpl.supervisor = supervisor  # assigned to them while placed elsewhere
    db.session.commit()
    assert tpl.id in _roster(db, supervisor)
    ending, _total = dashboard.contracts_ending_soon(supervisor, TODAY, limit=50)
    assert tpl.id in {c.facilitator_id for c in ending}


def test_a_supervisor_s_tpl_under_contract_are_those_of_their_scope_on_a_random_programme(db, world):
    """TPL of two provinces and elsewhere, with or without a supervisor, with contracts past, running, ending within
    30 days, terminated or to come, and months of every status; some moved after their contracts and months were
    written. The roster, the home page's contracts ending, the TPL list's `status=ending` and the review queue read
    the copies; the answer is the one the TPL's own supervisor and region give."""
    rng = random.Random(23)
    regions = ["82.71", "82.72", "73.71", "73.72", "11.71", None]
    supervisors = [world["supervisor"], world["supervisor2"], None]
    tpl = []
    for i in range(40):
        facilitator = FacilitatorFactory(region_code=rng.choice(regions), supervisor=rng.choice(supervisors))
        start = on(1, 1, years=rng.choice([-3, -1, 0]))
        for year in range(rng.randint(1, 3)):
            begin = start.replace(year=start.year + year)
            end = begin.replace(month=12, day=31)
            terminated = rng.random() < 0.2
            ContractFactory(
                facilitator=facilitator,
                number=f"KP/RANDOM/{i}/{year}",
                placement_code=rng.choice(regions[:-1]),
                start_date=begin,
                end_date=end,
                status="terminated" if terminated else "active",
                terminated_on=begin.replace(month=rng.randint(2, 12), day=1) if terminated else None,
            )
        tpl.append(facilitator)
    db.session.commit()
    for facilitator in tpl:  # and their months, some waiting for review
        for month in rng.sample(range(1, 12), 3):
            status = rng.choice(["draft", "submitted", "submitted", "returned", "approved"])
            submitted_at = moment(month + 1, rng.randint(1, 5)) if status != "draft" else None
            db.session.add(
                MonthlyReport(facilitator=facilitator, period=on(month, 1), status=status, submitted_at=submitted_at)
            )
    db.session.commit()
    for facilitator in rng.sample(tpl, 12):  # moved after their contracts and months were written
        facilitator.region_code = rng.choice(regions)
        facilitator.supervisor = rng.choice(supervisors)
    db.session.commit()

    month_start, month_end = TODAY.replace(day=1), TODAY.replace(day=31)  # December
    for user in (world["supervisor"], world["supervisor2"]):
        in_scope = set(db.session.scalars(sa.select(Facilitator.id).where(policy.facilitator_scope(user))))
        contracts = db.session.scalars(sa.select(Contract).where(Contract.facilitator_id.in_(in_scope))).all()
        running = {c.facilitator_id for c in contracts if c.start_date <= month_end and c.effective_end >= month_start}
        assert running and _roster(db, user) == running
        ending = {c.id for c in contracts if c.start_date <= TODAY and 0 <= c.days_left(TODAY) <= 30}
        shown, total = dashboard.contracts_ending_soon(user, TODAY, limit=100)
        assert {c.id for c in shown} == ending and total == len(ending)
        listed = db.session.scalars(facilitator_query(user, status="ending", today=TODAY)).all()
        assert {f.id for f in listed} == {c.facilitator_id for c in contracts if c.id in ending}
        waiting = db.session.scalars(
            sa.select(MonthlyReport.id).where(
                MonthlyReport.facilitator_id.in_(in_scope), MonthlyReport.status == "submitted"
            )
        ).all()
        queue = db.session.scalars(review_queue(user)).unique().all()
        assert waiting and [m.id for m in queue] == sorted(
            waiting, key=lambda i: (db.session.get(MonthlyReport, i).submitted_at, i)
        )
