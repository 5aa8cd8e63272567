"""Figures for the home page of each role (read-only)."""

from datetime import date, datetime, timedelta

import sqlalchemy as sa
from flask import current_app

from ..extensions import cache, db
from ..models import AuditEntry, Contract, Facilitator, Role, User, utcnow
from .policy import copied_scope, facilitator_scope


def scope_key(user: User) -> str:
    """Who sees the same figures: every evaluator (or admin) nationally, or one supervisor with their regions."""
    if user.has_role(Role.ADMIN, Role.EVALUATOR):
        return f"national:{user.role}"
    return f"user{user.id}:{','.join(user.region_codes)}"


def counted(key: str, compute, seconds: int):
    """`compute()` and the time it was counted, kept `seconds` in the app's cache under `key` (computed on every
    call when `seconds` is 0): figures read from the records, which the page labels with that time."""
    if seconds <= 0:
        return compute(), utcnow()
    kept = cache.get(key)
    if kept is None:
        kept = (compute(), utcnow())
        cache.set(key, kept, timeout=seconds)
    return kept


def home_figures(user: User, today: date) -> tuple[dict, datetime]:
    """The home page's counts of the user's scope (and TPL per province for evaluators) with the time they were
    counted, kept HOME_COUNTS_SECONDS: they read every TPL and contract of the scope (README, "Performance")."""

    def count() -> dict:
        figures = {"counts": programme_counts(user, today)}
        if user.has_role(Role.EVALUATOR):
            figures["provinces"] = by_province(user)
        return figures

    key = f"home:{scope_key(user)}:{today.isoformat()}"
    return counted(key, count, current_app.config["HOME_COUNTS_SECONDS"])


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
        sa.select(sa.func.count()).where(Contract.facilitator_id.in_(in_scope), Contract.ends_soon(today))
    )
    return {"total": total or 0, "running": running or 0, "alumni": alumni or 0, "ending_soon": ending or 0}


HOME_ENDING_ROWS = 10  # contracts ending soon shown on a supervisor's home; the TPL list's filter has them all


def contracts_ending_soon(user: User, today: date, limit: int = HOME_ENDING_ROWS) -> tuple[list[Contract], int]:
    """The first `limit` running contracts in scope whose effective end falls within 30 days, soonest first, and
    how many there are (in December every yearly contract ends within 30 days: the home page shows the first)."""
    query = (
        sa.select(Contract, sa.func.count().over())
        .join(Facilitator)
        .where(facilitator_scope(user), Contract.ends_soon(today))
        .order_by(Contract.effective_end, Facilitator.full_name, Contract.id)
        .options(sa.orm.contains_eager(Contract.facilitator))
    )
    if (copied := copied_scope(user, Contract)) is not None:  # a supervisor's, by the contracts' copies (0023)
        query = query.where(copied)
    rows = db.session.execute(query.limit(limit)).all()
    return [contract for contract, _total in rows], rows[0][1] if rows else 0


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
    query = sa.select(AuditEntry).options(sa.orm.selectinload(AuditEntry.actor)).order_by(AuditEntry.id.desc())
    return list(db.session.scalars(query.limit(limit)))


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


def _returned_months(facilitator_id: int) -> list[dict]:
    """Months sent back to the TPL, each with its latest return: the whole-month comment and the item comments."""
    from sqlalchemy.orm import selectinload

    from ..models import Activity, Assessment, MonthlyReport, MonthlyReportEvent, PermitFacilitation

    reports = list(
        db.session.scalars(
            sa.select(MonthlyReport)
            .where(MonthlyReport.facilitator_id == facilitator_id, MonthlyReport.status == "returned")
            .options(
                selectinload(MonthlyReport.events).selectinload(MonthlyReportEvent.item_comments),
                selectinload(MonthlyReport.events).joinedload(MonthlyReportEvent.actor),
            )
            .order_by(MonthlyReport.period)
        )
    )
    months = []
    wanted = {"activity": set(), "permit": set(), "assessment": set()}
    for report in reports:
        returns = [event for event in report.events if event.action == "return"]
        event = returns[-1] if returns else None
        comments = list(event.item_comments) if event else []
        for comment in comments:
            wanted[comment.item_type].add(comment.item_id)
        months.append({"report": report, "event": event, "comments": comments})
    models = {"activity": Activity, "permit": PermitFacilitation, "assessment": Assessment}
    items = {}
    for item_type, ids in wanted.items():
        if ids:
            model = models[item_type]
            query = sa.select(model).where(model.id.in_(ids), model.facilitator_id == facilitator_id)
            if item_type != "activity":
                query = query.options(selectinload(model.business))
            items.update({(item_type, obj.id): obj for obj in db.session.scalars(query)})
    for month in months:
        month["commented"] = [
            (comment, items.get((comment.item_type, comment.item_id))) for comment in month["comments"]
        ]
    return months


def facilitator_home(facilitator: Facilitator, today: date) -> dict:
    """What a TPL's home page shows: businesses, this month's work and review state, returned items, permits
    in progress or expiring, and progress against this year's targets."""
    from sqlalchemy.orm import contains_eager, selectinload

    from ..models import Activity, Business, Mentorship, MonthlyReport, PermitFacilitation
    from .months import month_start, next_month
    from .supervision import expected_permits, target_of, year_actuals

    month = month_start(today)
    open_mentorships = (
        sa.select(Mentorship)
        .join(Business)
        .where(Mentorship.facilitator_id == facilitator.id, Mentorship.end_date.is_(None))
    )
    businesses = list(
        db.session.scalars(
            open_mentorships.options(contains_eager(Mentorship.business))
            .order_by(Business.name, Mentorship.id)
            .limit(10)
        )
    )
    in_month = sa.and_(
        Activity.facilitator_id == facilitator.id, Activity.date >= month, Activity.date < next_month(month)
    )
    month_activity_count = db.session.scalar(sa.select(sa.func.count()).select_from(Activity).where(in_month))
    month_activities = list(
        db.session.scalars(
            sa.select(Activity)
            .where(in_month)
            .options(selectinload(Activity.businesses))
            .order_by(Activity.date.desc(), Activity.id.desc())
            .limit(5)
        )
    )
    report = db.session.scalar(
        sa.select(MonthlyReport).where(MonthlyReport.facilitator_id == facilitator.id, MonthlyReport.period == month)
    )
    permits_open = list(
        db.session.scalars(
            sa.select(PermitFacilitation)
            .where(
                PermitFacilitation.facilitator_id == facilitator.id,
                PermitFacilitation.status.in_(["planned", "submitted"]),
            )
            .options(selectinload(PermitFacilitation.business))
            .order_by(PermitFacilitation.id.desc())
            .limit(20)
        )
    )
    permits_expiring = list(
        db.session.scalars(
            sa.select(PermitFacilitation)
            .where(
                PermitFacilitation.facilitator_id == facilitator.id,
                PermitFacilitation.status == "issued",
                PermitFacilitation.expires_on >= today,
                PermitFacilitation.expires_on <= today + timedelta(days=60),
            )
            .options(selectinload(PermitFacilitation.business))
            .order_by(PermitFacilitation.expires_on)
        )
    )
    target = target_of(facilitator.id, today.year)
    return {
        "businesses": businesses,
        "business_count": db.session.scalar(sa.select(sa.func.count()).select_from(open_mentorships.subquery())),
        "month": month,
        "month_status": report.status if report else "draft",
        "month_activity_count": month_activity_count or 0,
        "month_activities": month_activities,
        "returned": _returned_months(facilitator.id),
        "permits_open": permits_open,
        "permits_expiring": permits_expiring,
        "target": target,
        "actuals": year_actuals(facilitator.id, today),
        "expected_permits": expected_permits(target.permits_per_year, today) if target else None,
    }
