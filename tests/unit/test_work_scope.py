"""Each activity's and permit's copies of its TPL's supervisor and region, kept by the database (migration 0025),
and a supervisor's activities and permits read from them."""

import random
from decimal import Decimal

import sqlalchemy as sa

from tpl_tracker.models import Activity, AuditEntry, Facilitator, PermitFacilitation
from tpl_tracker.services import bulk, policy
from tpl_tracker.services.activities import activity_query
from tpl_tracker.services.permits import permit_query

from ..clock import TODAY, on
from ..factories import FacilitatorFactory, UserFactory


def _copies(db, record) -> tuple:
    """The supervisor and region the database keeps on the record's row (not the session's idea)."""
    model = type(record)
    row = db.session.execute(sa.select(model.supervisor_id, model.region_code).where(model.id == record.id)).one()
    return tuple(row)


def _counted(db, query) -> list[int]:
    """The ids of the rows a list's count reads (a select of ids in parts, or of the records)."""
    return sorted(row if isinstance(row, int) else row.id for row in db.session.scalars(query))


def test_activities_and_permits_keep_their_tpl_s_supervisor_and_region_wherever_they_move(db, work, world):
    records = [work[name] for name in ("activity", "permit")]
    for record in records:
        assert _copies(db, record) == (world["supervisor"].id, "82.71")
    for record in (work["activity2"], work["permit2"]):
        assert _copies(db, record) == (world["supervisor2"].id, "73.71")

    work["tpl"].region_code = "73.72"
    work["tpl"].supervisor = None
    db.session.commit()
    for record in records:
        assert _copies(db, record) == (None, "73.72")
    assert _copies(db, work["activity2"]) == (world["supervisor2"].id, "73.71")  # the others stay

    for record in records:  # a direct write is undone
        model = type(record)
        db.session.execute(sa.update(model).where(model.id == record.id).values(supervisor_id=world["supervisor"].id))
        db.session.execute(sa.update(model).where(model.id == record.id).values(region_code="82.71"))
        assert _copies(db, record) == (None, "73.72")

    work["activity"].facilitator = work["tpl2"]  # given to another TPL: takes theirs
    db.session.commit()
    assert _copies(db, work["activity"]) == (world["supervisor2"].id, "73.71")


def test_activities_written_in_bulk_get_their_copies_and_the_audit_trail_leaves_them_out(db, world):
    tpl = FacilitatorFactory(region_code="82.72", supervisor=world["supervisor"])
    db.session.commit()
    row = {"facilitator_id": tpl.id, "date": on(3, 2), "type": "kunjungan", "description": "Bulk", "hours": 2}
    (activity_id,) = bulk.insert_many(Activity, [row], world["admin"], "activity_created", None)
    assert _copies(db, db.session.get(Activity, activity_id)) == (world["supervisor"].id, "82.72")
    entry = db.session.scalar(
        sa.select(AuditEntry).where(AuditEntry.entity_type == "activities", AuditEntry.entity_id == str(activity_id))
    )
    assert entry.after["description"] == "Bulk"
    assert "supervisor_id" not in entry.after and "region_code" not in entry.after


def test_a_supervisor_s_activities_and_permits_are_those_of_their_scope_on_a_random_programme(db, work, world):
    """Activities and permits of TPL of two provinces and elsewhere, with or without a supervisor; some TPL moved
    after their work was written. A supervisor's lists, their counts and the records they may open read the copies;
    the answer is the one the TPL's own supervisor and region give."""
    rng = random.Random(25)
    regions = ["82.71", "82.72", "73.71", "73.72", "11.71", None]
    supervisors = [world["supervisor"], world["supervisor2"], None]
    tpl = [FacilitatorFactory(region_code=rng.choice(regions), supervisor=rng.choice(supervisors)) for _ in range(40)]
    db.session.commit()
    for i, facilitator in enumerate(tpl):
        for day in rng.sample(range(1, 28), 3):
            db.session.add(
                Activity(
                    facilitator=facilitator,
                    date=on(3, day),
                    type=rng.choice(["kunjungan", "pelatihan"]),
                    description=f"Kegiatan {i}",
                    hours=Decimal(2),
                )
            )
        if rng.random() < 0.6:
            db.session.add(
                PermitFacilitation(
                    business=work["business"],
                    facilitator=facilitator,
                    permit_type=rng.choice(["nib", "halal"]),
                    status="issued",
                    issued_on=on(3, rng.randint(1, 28)),
                )
            )
    db.session.commit()
    for facilitator in rng.sample(tpl, 12):
        facilitator.region_code = rng.choice(regions)
        facilitator.supervisor = rng.choice(supervisors)
    db.session.commit()

    # The other roles' records they may open, answered from the records themselves: the same as their SQL scope.
    tpl_user = FacilitatorFactory(user=UserFactory(role="facilitator")).user
    db.session.add(
        Activity(facilitator=tpl_user.facilitator, date=on(3, 2), type="kunjungan", description="x", hours=2)
    )
    db.session.commit()
    for user in (world["admin"], world["evaluator"], world["facilitator"], tpl_user, UserFactory(role="facilitator")):
        for model in (Activity, PermitFacilitation):
            records = db.session.scalars(sa.select(model)).all()
            in_scope = set(db.session.scalars(sa.select(model.id).where(policy.work_scope(user, model))))
            assert policy.visible_ids(user, model, records) == in_scope
            assert user.role == "facilitator" or in_scope == {record.id for record in records}
    assert policy.visible_ids(tpl_user, Activity, db.session.scalars(sa.select(Activity)).all())  # their own

    for user in (world["supervisor"], world["supervisor2"]):
        assert policy.copied_scope(user, Activity) is not None
        in_scope = set(db.session.scalars(sa.select(Facilitator.id).where(policy.facilitator_scope(user))))
        for model, query, counted in (
            (Activity, activity_query(user), activity_query(user, counting=True)),
            (PermitFacilitation, permit_query(user, today=TODAY), permit_query(user, today=TODAY, counting=True)),
        ):
            expected = set(db.session.scalars(sa.select(model.id).where(model.facilitator_id.in_(in_scope))))
            assert expected and {r.id for r in db.session.scalars(query)} == expected
            every = db.session.scalars(sa.select(model)).all()
            assert policy.visible_ids(user, model, every) == expected
            assert _counted(db, counted) == sorted(expected)  # in parts (policy.work_scope_parts): none twice
        for reader in (user, world["evaluator"], world["facilitator"]):  # asked of the loaded TPL: no query
            assert [policy.supervises_tpl(reader, f) for f in tpl] == [policy.supervises(reader, f.id) for f in tpl]
        assert any(policy.supervises_tpl(user, f) for f in tpl) and not all(policy.supervises_tpl(user, f) for f in tpl)
        kunjungan = Activity.facilitator_id.in_(in_scope), Activity.type == "kunjungan"
        visits = sorted(db.session.scalars(sa.select(Activity.id).where(*kunjungan)))  # all of them in March
        assert visits and _counted(db, activity_query(user, type="kunjungan", counting=True)) == visits
        in_march = activity_query(user, type="kunjungan", month=on(3, 1), counting=True)  # one pass: not in parts
        assert policy.work_scope_parts(user, Activity) is not None and _counted(db, in_march) == visits
        region_code = user.region_codes[0]
        in_region = set(
            db.session.scalars(
                sa.select(Activity.id).join(Facilitator).where(Facilitator.region_code.startswith(region_code))
            )
        )
        filtered = db.session.scalars(activity_query(world["evaluator"], region=region_code))
        assert in_region and {a.id for a in filtered} == in_region  # the province filter reads the copies too
