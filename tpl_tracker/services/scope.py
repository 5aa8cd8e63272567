"""Which records a user may see: one SQL condition per role, and loaders that answer 404 outside it."""
import sqlalchemy as sa
from flask import abort

from ..extensions import db
from ..models import Facilitator, Role, User


def facilitator_scope(user: User):
    """SQL condition selecting the TPL profiles `user` may see."""
    if user.has_role(Role.ADMIN, Role.EVALUATOR):
        return sa.true()
    if user.has_role(Role.FACILITATOR):
        return Facilitator.user_id == user.id
    if user.has_role(Role.SUPERVISOR):
        conditions = [Facilitator.supervisor_id == user.id]
        for code in user.region_codes:
            if "." in code:
                conditions.append(Facilitator.region_code == code)
            else:
                conditions.append(Facilitator.region_code.like(f"{code}.%"))
        return sa.or_(*conditions)
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


def can_manage_facilitators(user: User) -> bool:
    """Only admins create and edit TPL profiles and contracts."""
    return user.has_role(Role.ADMIN)


def sees_personal_numbers(user: User) -> bool:
    """Evaluators read NIK and phone masked (UU PDP: only what the purpose needs)."""
    return not user.has_role(Role.EVALUATOR)
