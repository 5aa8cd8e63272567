"""Each mentorship's copies of its TPL's and its business's region, kept by the database (migration 0021), and the
supervisor's business scope read from them."""

import sqlalchemy as sa

from tpl_tracker.models import AuditEntry, Business, Mentorship
from tpl_tracker.services import businesses, policy

from ..clock import on
from ..factories import FacilitatorFactory


def _copies(db, mentorship) -> tuple:
    """The regions the database keeps on the mentorship's row (not the session's idea of them)."""
    row = db.session.execute(
        sa.select(Mentorship.facilitator_region_code, Mentorship.business_region_code).where(
            Mentorship.id == mentorship.id
        )
    ).one()
    return tuple(row)


def _business(name: str, region: str) -> Business:
    return Business(
        name=name, normalized_name=name.lower(), owner_name="Pemilik", region_code=region, kbli="10792", workers=1
    )


def _visible(db, user, business) -> bool:
    condition = sa.select(Business.id).where(Business.id == business.id, policy.business_scope(user))
    return db.session.scalar(condition) is not None


def test_a_new_mentorship_keeps_the_regions_of_its_tpl_and_business(db, work):
    assert _copies(db, work["mentorship"]) == ("82.71", "82.71")
    assert _copies(db, work["mentorship2"]) == ("73.71", "73.71")


def test_the_copies_follow_a_business_or_a_tpl_moving(db, work):
    work["business"].region_code = "73.71"
    db.session.commit()
    assert _copies(db, work["mentorship"]) == ("82.71", "73.71")

    work["tpl"].region_code = None
    db.session.commit()
    assert _copies(db, work["mentorship"]) == (None, "73.71")

    work["tpl"].region_code = "82.72"  # from no region to one
    db.session.commit()
    assert _copies(db, work["mentorship"]) == ("82.72", "73.71")
    assert _copies(db, work["mentorship2"]) == ("73.71", "73.71")  # the others stay


def test_the_copies_follow_a_mentorship_given_to_another_tpl_and_cannot_be_written(db, work):
    mentorship = work["mentorship"]
    mentorship.facilitator = work["tpl2"]
    db.session.commit()
    assert _copies(db, mentorship) == ("73.71", "82.71")

    db.session.execute(sa.update(Mentorship).where(Mentorship.id == mentorship.id).values(business_region_code="31.71"))
    assert _copies(db, mentorship) == ("73.71", "82.71")


def test_a_supervisor_sees_what_their_region_s_tpl_mentored_elsewhere_wherever_either_moves(db, world):
    supervisor = world["supervisor"]  # province 82
    alumnus = FacilitatorFactory(region_code="82.72", angkatan=2009)  # supervised by no one: in scope by region
    away = _business("Bambu Makassar", "73.71")
    db.session.add_all([away, Mentorship(business=away, facilitator=alumnus, start_date=on(1, 5))])
    db.session.commit()
    assert _visible(db, supervisor, away)

    away.region_code = "31.71"  # still elsewhere
    db.session.commit()
    assert _visible(db, supervisor, away)

    alumnus.region_code = "73.72"  # the TPL leaves the province
    db.session.commit()
    assert not _visible(db, supervisor, away)
    assert _visible(db, world["supervisor2"], away)

    alumnus.region_code = None
    db.session.commit()
    assert not _visible(db, supervisor, away)

    alumnus.region_code = "82.71"  # back, from no region
    db.session.commit()
    assert _visible(db, supervisor, away)
    assert not _visible(db, world["supervisor2"], away)


def test_a_supervisor_sees_what_their_own_tpl_placed_nowhere_or_elsewhere_mentored(db, world):
    supervisor = world["supervisor"]
    unplaced = FacilitatorFactory(supervisor=supervisor, region_code=None)
    placed_away = FacilitatorFactory(supervisor=supervisor, region_code="73.72", district="737201")
    near, far = _business("Cengkeh Makassar", "73.71"), _business("Enau Jakarta", "31.71")
    db.session.add_all(
        [
            near,
            far,
            Mentorship(business=near, facilitator=unplaced, start_date=on(1, 5)),
            Mentorship(business=far, facilitator=placed_away, start_date=on(1, 5), end_date=on(2, 1)),
        ]
    )
    db.session.commit()

    assert _visible(db, supervisor, near)
    assert _visible(db, supervisor, far)
    assert _visible(db, world["supervisor2"], far)  # by the TPL's region, 73.72

    placed_away.supervisor = world["supervisor2"]
    db.session.commit()
    assert not _visible(db, supervisor, far)


def test_the_copies_stay_out_of_the_audit_trail(db, world):
    business = _business("Anggrek Ternate", "82.71")
    db.session.add(business)
    db.session.flush()

    mentorship = businesses.open_mentorship(world["supervisor"], business, world["tpl"], on(3, 1))
    db.session.commit()

    entry = db.session.scalar(
        sa.select(AuditEntry).where(AuditEntry.entity_type == "mentorships", AuditEntry.entity_id == str(mentorship.id))
    )
    assert entry.after["business_id"] == business.id
    assert "facilitator_region_code" not in entry.after
    assert "business_region_code" not in entry.after
    assert _copies(db, mentorship) == ("82.71", "82.71")
