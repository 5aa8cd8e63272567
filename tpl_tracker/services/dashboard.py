"""Figures for the home page of each role (read-only)."""
from datetime import date, timedelta

import sqlalchemy as sa

from ..extensions import db
from ..models import AuditEntry, Contract, Facilitator, User
from .scope import facilitator_scope



def programme_counts(user: User, today: date) -> dict[str, int]:
    """TPL in scope, TPL under contract today, alumni, and contracts ending in 30 days."""
    end = Contract.effective_end
    in_scope = sa.select(Facilitator.id).where(facilitator_scope(user))
    total = db.session.scalar(sa.select(sa.func.count()).select_from(in_scope.subquery()))
    running = db.session.scalar(
        sa.select(sa.func.count(sa.distinct(Contract.facilitator_id))).where(
            Contract.facilitator_id.in_(in_scope), Contract.start_date <= today, end >= today
        )
    )
    exits = (
        sa.select(Contract.facilitator_id, sa.func.max(end).label("exit_date"))
        .where(Contract.facilitator_id.in_(in_scope))
        .group_by(Contract.facilitator_id)
        .subquery()
    )
    alumni = db.session.scalar(sa.select(sa.func.count()).where(exits.c.exit_date < today))
    ending = db.session.scalar(
        sa.select(sa.func.count()).where(
            Contract.facilitator_id.in_(in_scope), end >= today, end <= today + timedelta(days=30),
            Contract.start_date <= today,
        )
    )
    return {"total": total or 0, "running": running or 0, "alumni": alumni or 0, "ending_soon": ending or 0}


def contracts_ending_soon(user: User, today: date, days: int = 30) -> list[Contract]:
    """Running contracts in scope whose effective end falls within `days`."""
    end = Contract.effective_end
    return list(
        db.session.scalars(
            sa.select(Contract)
            .join(Facilitator)
            .where(facilitator_scope(user), Contract.start_date <= today, end >= today,
                   end <= today + timedelta(days=days))
            .order_by(end)
            .options(sa.orm.contains_eager(Contract.facilitator))
        )
    )


def by_province(user: User) -> list[tuple[str, int]]:
    """Number of TPL per province of current placement."""
    province = sa.func.substr(Facilitator.region_code, 1, 2)
    rows = db.session.execute(
        sa.select(province, sa.func.count())
        .where(facilitator_scope(user), Facilitator.region_code.is_not(None))
        .group_by(province)
        .order_by(province)
    )
    return [(code, count) for code, count in rows]


def recent_audit(limit: int = 10) -> list[AuditEntry]:
    """The latest audit entries (admin home)."""
    return list(db.session.scalars(sa.select(AuditEntry).order_by(AuditEntry.id.desc()).limit(limit)))


def user_counts() -> dict[str, int]:
    """Active accounts per role."""
    rows = db.session.execute(
        sa.select(User.role, sa.func.count()).where(User.is_enabled.is_(True)).group_by(User.role)
    )
    return dict(rows.all())


def latest_wub():
    """The national WUB figures of the latest snapshot, or None before the first computation."""
    from .metric import latest_snapshot_date, load_snapshot

    as_of = latest_snapshot_date()
    rows = load_snapshot(as_of, "total") if as_of else []
    return rows[0] if rows else None
