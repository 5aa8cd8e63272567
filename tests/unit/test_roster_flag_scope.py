"""Each stored roster flag row's copies of its TPL's supervisor and region, kept by the database (migration 0022),
and a supervisor's flag filter read from them."""

import sqlalchemy as sa

from tpl_tracker.models import RosterFlag
from tpl_tracker.services import policy, roster_flags
from tpl_tracker.services.supervision import roster_query

from ..clock import TODAY
from ..factories import ContractFactory, FacilitatorFactory


def _copies(db, tpl) -> tuple:
    """The supervisor and region the database keeps on the TPL's row (not the session's idea of them)."""
    row = db.session.execute(
        sa.select(RosterFlag.supervisor_id, RosterFlag.region_code).where(RosterFlag.facilitator_id == tpl.id)
    ).one()
    return tuple(row)


def _flagged(db, user) -> set[int]:
    return {f.id for f in db.session.scalars(roster_query(user, flag="any", today=TODAY))}


def test_a_new_row_keeps_the_supervisor_and_region_of_its_tpl(db, work):
    assert roster_flags.compute([work["tpl"].id, work["tpl2"].id], TODAY) == 2
    assert _copies(db, work["tpl"]) == (work["tpl"].supervisor_id, "82.71")
    assert _copies(db, work["tpl2"]) == (work["tpl2"].supervisor_id, "73.71")


def test_the_copies_follow_the_tpl_and_cannot_be_written(db, work, world):
    tpl = work["tpl"]
    roster_flags.compute([tpl.id, work["tpl2"].id], TODAY)
    tpl.supervisor = world["supervisor2"]
    db.session.commit()
    assert _copies(db, tpl) == (world["supervisor2"].id, "82.71")

    tpl.region_code = None
    tpl.supervisor = None
    db.session.commit()
    assert _copies(db, tpl) == (None, None)

    tpl.region_code = "73.72"  # from no region to one
    db.session.commit()
    assert _copies(db, tpl) == (None, "73.72")
    assert _copies(db, work["tpl2"]) == (work["tpl2"].supervisor_id, "73.71")  # the others stay

    db.session.execute(sa.update(RosterFlag).where(RosterFlag.facilitator_id == tpl.id).values(region_code="82.71"))
    assert _copies(db, tpl) == (None, "73.72")


def test_a_supervisor_s_flag_filter_follows_their_tpl_wherever_they_move(db, world):
    """A TPL without a single activity this month has a flag raised; the rows are stored and complete, so that the
    supervisor's filter reads them by their copies."""
    supervisor = world["supervisor"]  # province 82
    tpl = FacilitatorFactory(region_code="82.72", supervisor=None)
    ContractFactory(facilitator=tpl)
    db.session.commit()
    roster_flags.refresh(TODAY)
    db.session.commit()
    assert roster_flags.complete(TODAY) and policy.copied_scope(supervisor, RosterFlag) is not None
    assert tpl.id in _flagged(db, supervisor)  # in scope by region

    tpl.region_code = "73.71"  # leaves the province
    db.session.commit()
    assert tpl.id not in _flagged(db, supervisor)
    assert tpl.id in _flagged(db, world["supervisor2"])

    tpl.supervisor = supervisor  # assigned to them while placed elsewhere
    db.session.commit()
    assert tpl.id in _flagged(db, supervisor)
    assert _copies(db, tpl) == (supervisor.id, "73.71")


def test_only_a_supervisor_reads_the_copies(world):
    assert policy.copied_scope(world["supervisor"], RosterFlag) is not None
    for role in ("evaluator", "admin", "facilitator"):
        assert policy.copied_scope(world[role], RosterFlag) is None
