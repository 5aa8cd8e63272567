"""Activities a TPL logs (visits, trainings, ...): rules, writes with their evidence files, and the list."""

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.orm import selectinload

from ..database import one_of
from ..dates import programme_today
from ..extensions import db
from ..models import (
    Activity,
    ActivityType,
    Business,
    Evidence,
    Facilitator,
    Mentorship,
    User,
    activity_businesses,
)
from . import Problems, ServiceError, audit
from . import evidence as evidence_service
from .months import assert_months_open, month_start, next_month
from .policy import counted_in_scope, in_regions, is_own_work, work_scope

MAX_DESCRIPTION = 2000


@dataclass
class ActivityData:
    """What a TPL types about an activity."""

    date: date | None
    type: str
    description: str
    hours: Decimal | None
    business_ids: list[int] = field(default_factory=list)
    latitude: float | None = None
    longitude: float | None = None


# --- reading --------------------------------------------------------------------------------


def mentored_businesses(facilitator: Facilitator) -> list[Business]:
    """Businesses the TPL mentors or mentored (any mentorship), by name: the choices of the activity form."""
    return list(
        db.session.scalars(
            sa.select(Business)
            .where(
                sa.exists().where(Mentorship.business_id == Business.id, Mentorship.facilitator_id == facilitator.id)
            )
            .order_by(Business.name, Business.id)
        )
    )


def activity_query(
    user: User,
    q: str | None = None,
    month: date | None = None,
    type: str | None = None,
    region: str | None = None,
    kbli_division: str | None = None,
    facilitator_id: int | None = None,
    facilitator_name: str | None = None,
    counting: bool = False,
):
    """A select of the activities in the user's scope, filtered, newest first, relations preloaded (`counting`: the
    same rows, selected to be counted: nothing preloaded, a supervisor's scope in parts, `policy.counted_in_scope`)."""
    query = sa.select(Activity)  # within the user's scope at the end
    if q:
        query = query.where(sa.func.lower(Activity.description).like(f"%{q.strip().lower()}%"))
    if month:
        period = month_start(month)
        query = query.where(Activity.date >= period, Activity.date < next_month(period))
    if type:
        query = query.where(Activity.type == type)
    if region:  # the TPL's region, as the activity keeps it (migration 0025)
        query = query.where(in_regions(Activity.region_code, [region]))
    if kbli_division:
        query = query.where(
            sa.exists().where(
                activity_businesses.c.activity_id == Activity.id,
                activity_businesses.c.business_id == Business.id,
                Business.kbli.like(f"{kbli_division}%"),
            )
        )
    if facilitator_id:
        query = query.where(Activity.facilitator_id == facilitator_id)
    if facilitator_name and facilitator_name.strip():
        name = sa.func.lower(Facilitator.full_name).contains(facilitator_name.strip().lower(), autoescape=True)
        query = query.where(sa.exists().where(Facilitator.id == Activity.facilitator_id, name))
    if counting:  # in parts, unless within a month: its rows are then read by date, and once costs less than twice
        return counted_in_scope(user, Activity, query, in_parts=month is None)
    return (
        query.where(work_scope(user, Activity))
        .options(selectinload(Activity.facilitator), selectinload(Activity.businesses))
        .order_by(Activity.date.desc(), Activity.id.desc())
    )


def evidence_counts(activities) -> dict[int, int]:
    """How many evidence files each activity has (one query, the files' bytes are not read)."""
    ids = [a.id for a in activities]
    if not ids:
        return {}
    return dict(
        db.session.execute(
            sa.select(Evidence.activity_id, sa.func.count(Evidence.id))
            .where(one_of(Evidence.activity_id, ids))
            .group_by(Evidence.activity_id)
        ).all()
    )


# --- checks ---------------------------------------------------------------------------------


def _check_owner(actor: User, facilitator_id: int) -> None:
    if not is_own_work(actor, facilitator_id):
        raise ServiceError(_("Only the TPL who did the activity can log or change it."))


def _eligible_business_ids(facilitator: Facilitator, day: date, ids: list[int]) -> set[int]:
    """Of `ids`, the businesses the TPL mentors now (open mentorship) or whose mentorship covered `day`."""
    return set(
        db.session.scalars(
            sa.select(Mentorship.business_id).where(
                Mentorship.facilitator_id == facilitator.id,
                Mentorship.business_id.in_(ids),
                sa.or_(
                    Mentorship.end_date.is_(None), sa.and_(Mentorship.start_date <= day, Mentorship.end_date >= day)
                ),
            )
        )
    )


def check_activity(facilitator: Facilitator, data: ActivityData, today: date) -> dict:
    """The cleaned values of an activity of `facilitator`; a refusal lists every problem at once. The businesses
    are checked against the date only when the date itself is sound."""
    problems = Problems()
    if data.date is None:
        problems.add(_("The date is required."), "date")
    elif data.date > today:
        problems.add(_("The date of an activity cannot be in the future."), "date")
    elif facilitator.current_contract(data.date) is None:
        problems.add(_("The date must lie within one of your contract periods."), "date")
    if data.type not in ActivityType.values():
        problems.add(_("Choose the type of activity."), "type")
    ids = sorted({int(i) for i in data.business_ids or []})
    if not ids:
        problems.add(_("Choose at least one business."), "business_ids")
    elif not problems.has("date") and set(ids) - _eligible_business_ids(facilitator, data.date, ids):
        problems.add(_("You can only choose businesses you mentor (or mentored on that date)."), "business_ids")
    description = (data.description or "").strip()
    if not description:
        problems.add(_("Describe the activity."), "description")
    elif len(description) > MAX_DESCRIPTION:
        problems.add(_("The description may have at most %(count)d characters.", count=MAX_DESCRIPTION), "description")
    hours = problems.check(check_hours, data.hours)
    latitude, longitude = data.latitude, data.longitude
    if (latitude is None) != (longitude is None):
        problems.add(_("Give both latitude and longitude, or neither."), "latitude")
    else:
        if latitude is not None and not -90 <= latitude <= 90:
            problems.add(_("The latitude must lie between -90 and 90."), "latitude")
        if longitude is not None and not -180 <= longitude <= 180:
            problems.add(_("The longitude must lie between -180 and 180."), "longitude")
    problems.raise_if_any()
    businesses = list(db.session.scalars(sa.select(Business).where(Business.id.in_(ids)).order_by(Business.id)))
    return {
        "date": data.date,
        "type": data.type,
        "description": description,
        "hours": hours,
        "latitude": latitude,
        "longitude": longitude,
        "businesses": businesses,
    }


def check_hours(value) -> Decimal:
    """Hours as a Decimal with one decimal place, more than 0 and at most 24."""
    try:
        hours = Decimal(str(value).replace(",", ".")) if value is not None else None
    except InvalidOperation:
        hours = None
    if hours is None or not hours.is_finite():
        raise ServiceError(_("Give the hours spent, e.g. 2 or 1.5."), field="hours")
    if not Decimal(0) < hours <= Decimal(24):
        raise ServiceError(_("The hours must be more than 0 and at most 24."), field="hours")
    if hours != hours.quantize(Decimal("0.1")):
        raise ServiceError(_("Give the hours with at most one decimal, e.g. 1.5."), field="hours")
    return hours.quantize(Decimal("0.1"))


def _snapshot(activity: Activity) -> dict:
    values = audit.snapshot(activity)
    values["business_ids"] = sorted(b.id for b in activity.businesses)
    return values


# --- writes ---------------------------------------------------------------------------------


def create_activity(
    actor: User,
    facilitator: Facilitator,
    data: ActivityData,
    uploads: list[evidence_service.Upload] | None = None,
    today: date | None = None,
) -> Activity:
    """Log an activity with its evidence files, in one commit."""
    _check_owner(actor, facilitator.id)
    problems = Problems()
    values = problems.check(check_activity, facilitator, data, today or programme_today())
    files = problems.check(evidence_service.check_uploads, uploads or [])
    problems.raise_if_any()
    assert_months_open(facilitator.id, values["date"])
    activity = Activity(facilitator_id=facilitator.id, **values)
    db.session.add(activity)
    db.session.flush()
    audit.record("create", actor=actor, entity=activity, after=_snapshot(activity))
    evidence_service.attach(actor, activity, files)
    db.session.flush()
    return activity


def update_activity(actor: User, activity: Activity, data: ActivityData, today: date | None = None) -> Activity:
    """Change an activity (its old and new months must both be open)."""
    _check_owner(actor, activity.facilitator_id)
    values = check_activity(activity.facilitator, data, today or programme_today())
    assert_months_open(activity.facilitator_id, activity.date, values["date"])
    before = _snapshot(activity)
    for key, value in values.items():
        setattr(activity, key, value)
    db.session.flush()
    old, new = audit.changed(before, _snapshot(activity))
    if new:
        audit.record("update", actor=actor, entity=activity, before=old, after=new)
    db.session.flush()
    return activity


def delete_activity(actor: User, activity: Activity) -> None:
    """Delete an activity and its evidence files (its month must be open)."""
    _check_owner(actor, activity.facilitator_id)
    assert_months_open(activity.facilitator_id, activity.date)
    before = _snapshot(activity)
    for evidence in activity.evidence:
        audit.record("delete", actor=actor, entity=evidence, before=evidence_service.evidence_snapshot(evidence))
    audit.record("delete", actor=actor, entity=activity, before=before)
    db.session.delete(activity)
    db.session.flush()


def add_evidence(actor: User, activity: Activity, uploads: list[evidence_service.Upload]) -> list[Evidence]:
    """Add evidence files to an activity (its month must be open)."""
    _check_owner(actor, activity.facilitator_id)
    files = evidence_service.check_uploads(uploads, existing=len(activity.evidence))
    if not files:
        raise ServiceError(_("Choose at least one file."), field="files")
    assert_months_open(activity.facilitator_id, activity.date)
    added = evidence_service.attach(actor, activity, files)
    db.session.flush()
    return added


def delete_evidence(actor: User, evidence: Evidence) -> None:
    """Remove one evidence file (the activity's month must be open)."""
    activity = evidence.activity
    _check_owner(actor, activity.facilitator_id)
    assert_months_open(activity.facilitator_id, activity.date)
    audit.record("delete", actor=actor, entity=evidence, before=evidence_service.evidence_snapshot(evidence))
    db.session.delete(evidence)
    db.session.flush()
