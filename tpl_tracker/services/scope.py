"""Which records a user may see: one SQL condition per role, and loaders that answer 404 outside it."""

import sqlalchemy as sa
from flask import abort

from ..extensions import db
from ..models import (
    Activity,
    Assessment,
    Business,
    Evidence,
    Facilitator,
    Mentorship,
    MonthlyReport,
    PermitFacilitation,
    Role,
    User,
)


def facilitator_scope(user: User):
    """SQL condition selecting the TPL profiles `user` may see."""
    if user.has_role(Role.ADMIN, Role.EVALUATOR):
        return sa.true()
    if user.has_role(Role.FACILITATOR):
        return Facilitator.user_id == user.id
    if user.has_role(Role.SUPERVISOR):
        return sa.or_(Facilitator.supervisor_id == user.id, in_regions(Facilitator.region_code, user.region_codes))
    return sa.false()


def get_facilitator_or_404(user: User, facilitator_id: int) -> Facilitator:
    """Load a TPL profile the user may see; 404 otherwise (never confirm it exists)."""
    facilitator = db.session.scalar(
        sa.select(Facilitator).where(Facilitator.id == facilitator_id, facilitator_scope(user))
    )
    if facilitator is None:
        if db.session.get(Facilitator, facilitator_id) is not None:
            from .audit import record_access_denied

            # Out of scope: audited, but answered as "not found" so that its existence is not confirmed.
            record_access_denied(user, f"facilitators/{facilitator_id}")
        abort(404)
    return facilitator


def sees_personal_numbers(user: User) -> bool:
    """Evaluators read NIK and phone masked (UU PDP: only what the purpose needs)."""
    return not user.has_role(Role.EVALUATOR)


def in_regions(column, codes):
    """SQL condition: `column` (a kabupaten/kota code) lies in one of the regions (`82` province, `82.71` kab/kota)."""
    conditions = [column == code if "." in code else column.like(f"{code}.%") for code in codes]
    return sa.or_(*conditions) if conditions else sa.false()


def business_scope(user: User):
    """SQL condition selecting the businesses `user` may see.

    A TPL sees the businesses they mentor or mentored (or founded); a supervisor those mentored by a TPL in
    their scope or located in their regions; evaluators and admins all of them.
    """
    if user.has_role(Role.ADMIN, Role.EVALUATOR):
        return sa.true()
    mentored = sa.exists().where(
        Mentorship.business_id == Business.id,
        Mentorship.facilitator_id == Facilitator.id,
        facilitator_scope(user),
    )
    founded = sa.exists().where(Facilitator.id == Business.founder_id, facilitator_scope(user))
    if user.has_role(Role.SUPERVISOR):
        return sa.or_(mentored, founded, in_regions(Business.region_code, user.region_codes))
    return sa.or_(mentored, founded)


def work_scope(user: User, model):
    """SQL condition selecting the activities, permits, assessments or months of TPL in the user's scope."""
    if user.has_role(Role.ADMIN, Role.EVALUATOR):
        return sa.true()
    return sa.exists().where(Facilitator.id == model.facilitator_id, facilitator_scope(user))


def _load_or_404(user: User, model, object_id: int, condition):
    """Load one record matching `condition`; out of scope is audited and answered as not found."""
    obj = db.session.scalar(sa.select(model).where(model.id == object_id, condition))
    if obj is None:
        if db.session.get(model, object_id) is not None:
            from .audit import record_access_denied

            record_access_denied(user, f"{model.__tablename__}/{object_id}")
        abort(404)
    return obj


def get_business_or_404(user: User, business_id: int) -> Business:
    """A business the user may see; 404 otherwise."""
    return _load_or_404(user, Business, business_id, business_scope(user))


def get_activity_or_404(user: User, activity_id: int) -> Activity:
    """An activity of a TPL in the user's scope; 404 otherwise."""
    return _load_or_404(user, Activity, activity_id, work_scope(user, Activity))


def get_permit_or_404(user: User, permit_id: int) -> PermitFacilitation:
    """A permit facilitation of a TPL in the user's scope; 404 otherwise."""
    return _load_or_404(user, PermitFacilitation, permit_id, work_scope(user, PermitFacilitation))


def get_assessment_or_404(user: User, assessment_id: int) -> Assessment:
    """An assessment made by a TPL in the user's scope; 404 otherwise."""
    return _load_or_404(user, Assessment, assessment_id, work_scope(user, Assessment))


def get_month_or_404(user: User, report_id: int) -> MonthlyReport:
    """A monthly report of a TPL in the user's scope; 404 otherwise."""
    return _load_or_404(user, MonthlyReport, report_id, work_scope(user, MonthlyReport))


def get_evidence_or_404(user: User, evidence_id: int) -> Evidence:
    """An evidence file of an activity the user may see; 404 otherwise."""
    condition = sa.exists().where(Activity.id == Evidence.activity_id, work_scope(user, Activity))
    return _load_or_404(user, Evidence, evidence_id, condition)


def is_own_work(user: User, facilitator_id: int) -> bool:
    """True when `user` is the TPL whose work this is: only they log and edit it."""
    return user.has_role(Role.FACILITATOR) and user.facilitator is not None and user.facilitator.id == facilitator_id


def can_review(user: User) -> bool:
    """Supervisors review months, set targets and hand businesses over (within their scope)."""
    return user.has_role(Role.SUPERVISOR)


def visible_ids(user: User, model, ids) -> set[int]:
    """Which of the given activity, permit, assessment or month ids the user may open (one query)."""
    ids = {i for i in ids if i is not None}
    if not ids:
        return set()
    return set(db.session.scalars(sa.select(model.id).where(model.id.in_(ids), work_scope(user, model))))
