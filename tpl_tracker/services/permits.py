"""Permit and certificate facilitation (NIB, P-IRT, Halal, ...): the pipeline rules, writes and the list."""

import calendar
import re
from dataclasses import dataclass
from datetime import date, timedelta

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.orm import selectinload

from ..dates import programme_today
from ..extensions import db
from ..models import (
    PERMIT_OPEN_STATUSES,
    Business,
    Facilitator,
    Mentorship,
    PermitFacilitation,
    PermitStatus,
    PermitType,
    User,
)
from . import Problems, ServiceError, audit
from .businesses import open_mentorship_of
from .constraints import OPEN_PERMIT_PER_TYPE, flush_or_refuse
from .months import assert_months_open, month_start, next_month
from .policy import counted_in_scope, in_regions, is_own_work, work_scope

# planned -> submitted -> issued or rejected; a status may not go back to a lower rank.
STATUS_RANK = {"planned": 0, "submitted": 1, "issued": 2, "rejected": 2}
STEP_DATES = ("planned_on", "submitted_on", "issued_on", "rejected_on")
# The step dates each status may carry (the others must stay empty).
ALLOWED_DATES = {
    "planned": {"planned_on"},
    "submitted": {"planned_on", "submitted_on"},
    "issued": {"planned_on", "submitted_on", "issued_on"},
    "rejected": {"planned_on", "submitted_on", "rejected_on"},
}
DIGIT_NUMBERS = ("nib", "pirt")
MAX_NUMBER = 40
MAX_NOTES = 2000
PIRT_VALID_YEARS = 5
EXPIRY_WARNING_DAYS = 60


@dataclass
class PermitData:
    """What a TPL types about a permit facilitation."""

    permit_type: str
    status: str
    planned_on: date | None = None
    submitted_on: date | None = None
    issued_on: date | None = None
    rejected_on: date | None = None
    document_number: str | None = None
    expires_on: date | None = None
    notes: str | None = None


def add_years(day: date, years: int) -> date:
    """The same day `years` later (29 February becomes 28 February)."""
    year = day.year + years
    return date(year, day.month, min(day.day, calendar.monthrange(year, day.month)[1]))


# --- reading --------------------------------------------------------------------------------


def open_mentorship_businesses(facilitator: Facilitator) -> list[Business]:
    """The businesses the TPL mentors now (open mentorship), by name."""
    return list(
        db.session.scalars(
            sa.select(Business)
            .where(
                sa.exists().where(
                    Mentorship.business_id == Business.id,
                    Mentorship.facilitator_id == facilitator.id,
                    Mentorship.end_date.is_(None),
                )
            )
            .order_by(Business.name, Business.id)
        )
    )


def permit_query(
    user: User,
    q: str | None = None,
    permit_type: str | None = None,
    status: str | None = None,
    region: str | None = None,
    month: date | None = None,
    expiring: bool = False,
    today: date | None = None,
    counting: bool = False,
):
    """A select of the permit facilitations in the user's scope, filtered, latest status date first (`counting`: the
    same rows, selected to be counted: without the businesses unless filtered by their region, nothing preloaded, a
    supervisor's scope in parts, `policy.counted_in_scope`)."""
    today = today or programme_today()
    status_on = PermitFacilitation.status_on
    query = sa.select(PermitFacilitation)  # within the user's scope at the end
    if region or not counting:  # every permit has its business: a count joins it only to filter by its region
        query = query.join(PermitFacilitation.business)
    if not counting:
        query = query.options(selectinload(PermitFacilitation.business), selectinload(PermitFacilitation.facilitator))
    if q:
        term = f"%{q.strip().lower()}%"
        named = sa.select(Business.id).where(sa.func.lower(Business.name).like(term))  # an index per table
        query = query.where(
            sa.or_(
                PermitFacilitation.business_id.in_(named), sa.func.lower(PermitFacilitation.document_number).like(term)
            )
        )
    if permit_type:
        query = query.where(PermitFacilitation.permit_type == permit_type)
    if status:
        query = query.where(PermitFacilitation.status == status)
    if region:
        query = query.where(in_regions(Business.region_code, [region]))
    if month:
        period = month_start(month)
        query = query.where(status_on >= period, status_on < next_month(period))
    if expiring:
        query = query.where(
            PermitFacilitation.status == "issued",
            PermitFacilitation.expires_on.is_not(None),
            PermitFacilitation.expires_on <= today + timedelta(days=EXPIRY_WARNING_DAYS),
        )
    if counting:  # in parts, unless within a month: its rows are then read by date, and once costs less than twice
        return counted_in_scope(user, PermitFacilitation, query, in_parts=month is None)
    return query.where(work_scope(user, PermitFacilitation)).order_by(status_on.desc(), PermitFacilitation.id.desc())


def expiry_state(permit: PermitFacilitation, today: date | None = None) -> str | None:
    """'expired', 'expiring' (within 60 days) or None, for an issued permit with an expiry date."""
    if permit.status != "issued" or permit.expires_on is None:
        return None
    today = today or programme_today()
    if permit.expires_on < today:
        return "expired"
    if permit.expires_on <= today + timedelta(days=EXPIRY_WARNING_DAYS):
        return "expiring"
    return None


# --- checks ---------------------------------------------------------------------------------


def _check_owner(actor: User, facilitator_id: int) -> None:
    if not is_own_work(actor, facilitator_id):
        raise ServiceError(_("Only the TPL who facilitates this permit can record or change it."))


def normalize_number(permit_type: str, number: str | None) -> str | None:
    """A document number in its stored form (digits only for NIB and P-IRT); ServiceError when malformed."""
    number = " ".join((number or "").split())
    if not number:
        return None
    if permit_type in DIGIT_NUMBERS:
        digits = re.sub(r"[\s.-]", "", number)
        if permit_type == "nib" and not re.fullmatch(r"\d{13}", digits):
            raise ServiceError(_("The NIB has exactly 13 digits."), field="document_number")
        if permit_type == "pirt" and not re.fullmatch(r"\d{15,40}", digits):
            raise ServiceError(_("The P-IRT number has at least 15 digits."), field="document_number")
        return digits
    if len(number) > MAX_NUMBER:
        raise ServiceError(
            _("The document number may have at most %(count)d characters.", count=MAX_NUMBER), field="document_number"
        )
    return number


def check_permit(
    facilitator: Facilitator, data: PermitData, today: date, permit: PermitFacilitation | None = None
) -> dict:
    """The cleaned values of a permit facilitation of `facilitator` (new, or a change of `permit`); a refusal lists
    every problem at once. Rules that compare dates skip a date that already has a problem."""
    problems = Problems()
    if data.permit_type not in PermitType.values():
        problems.add(_("Choose the type of permit or certificate."), "permit_type")
    elif permit is not None and data.permit_type != permit.permit_type and permit.status != "planned":
        problems.add(_("The permit type can only change while the facilitation is planned."), "permit_type")
    if data.status not in PermitStatus.values():
        problems.add(_("Choose the status."), "status")
    elif permit is not None and data.status != permit.status and STATUS_RANK[data.status] <= STATUS_RANK[permit.status]:
        problems.add(
            _("The status cannot go back (or change once decided): correct the dates of the current step instead."),
            "status",
        )
    status = None if problems.has("status") else data.status
    dates = {name: getattr(data, name) for name in STEP_DATES}
    for name, value in dates.items():
        if value is None:
            continue
        if status is not None and name not in ALLOWED_DATES[status]:
            problems.add(_("This date does not apply to the chosen status: leave it empty."), name)
        elif value > today:
            problems.add(_("This date cannot be in the future."), name)
        elif (permit is None or getattr(permit, name) != value) and facilitator.current_contract(value) is None:
            # A step is work of the contract: none on a day the TPL was not under contract (a step recorded
            # earlier keeps its date, so a permit whose contract has since ended can still be read and advanced).
            problems.add(_("This date must lie within one of your contract periods."), name)
    sound = {name: None if problems.has(name) else value for name, value in dates.items()}
    planned, submitted = sound["planned_on"], sound["submitted_on"]
    if status == "planned" and dates["planned_on"] is None:
        problems.add(_("A planned facilitation needs the planning date."), "planned_on")
    if status == "submitted" and dates["submitted_on"] is None:
        problems.add(_("A submitted application needs the submission date."), "submitted_on")
    if submitted is not None and planned is not None and submitted < planned:
        problems.add(_("The submission date cannot be before the planning date."), "submitted_on")
    earlier = submitted or planned
    number = problems.check(normalize_number, data.permit_type, data.document_number)
    expires_on = data.expires_on
    if status == "issued":
        issued = sound["issued_on"]
        if dates["issued_on"] is None:
            problems.add(_("An issued permit needs the issue date."), "issued_on")
        elif issued is not None and earlier is not None and issued < earlier:
            problems.add(_("The issue date cannot be before the submission date."), "issued_on")
        if number is None and not problems.has("document_number"):
            problems.add(_("An issued permit needs its document number."), "document_number")
        if expires_on is None and data.permit_type == "pirt" and issued is not None:
            expires_on = add_years(issued, PIRT_VALID_YEARS)
        if expires_on is not None and issued is not None and expires_on <= issued:
            problems.add(_("The expiry date must be after the issue date."), "expires_on")
    elif status is not None and expires_on is not None:
        problems.add(_("Only an issued permit has an expiry date."), "expires_on")
    if status == "rejected":
        rejected = sound["rejected_on"]
        if dates["rejected_on"] is None:
            problems.add(_("A rejected application needs the rejection date."), "rejected_on")
        elif rejected is not None and earlier is not None and rejected < earlier:
            problems.add(_("The rejection date cannot be before the submission date."), "rejected_on")
    notes = (data.notes or "").strip() or None
    if notes is not None and len(notes) > MAX_NOTES:
        problems.add(_("The notes may have at most %(count)d characters.", count=MAX_NOTES), "notes")
    problems.raise_if_any()
    return {
        "permit_type": data.permit_type,
        "status": status,
        **dates,
        "document_number": number,
        "expires_on": expires_on,
        "notes": notes,
    }


def _check_single_open(business: Business, values: dict, permit: PermitFacilitation | None) -> None:
    """Only one planned or submitted facilitation per business and permit type."""
    if values["status"] not in PERMIT_OPEN_STATUSES:
        return
    query = sa.select(PermitFacilitation.id).where(
        PermitFacilitation.business_id == business.id,
        PermitFacilitation.permit_type == values["permit_type"],
        PermitFacilitation.status.in_(PERMIT_OPEN_STATUSES),
    )
    if permit is not None:
        query = query.where(PermitFacilitation.id != permit.id)
    if db.session.scalar(query.limit(1)) is not None:
        _refuse_second_open()


def _refuse_second_open() -> None:
    raise ServiceError(_("This business already has an open facilitation for this permit type."), field="permit_type")


def _check_nib(business: Business, values: dict) -> bool:
    """Whether the business's NIB must be set from an issued NIB permit; refuses a NIB held by another business."""
    if values["permit_type"] != "nib" or values["status"] != "issued" or business.nib:
        return False
    holder = db.session.scalar(
        sa.select(Business).where(Business.nib == values["document_number"], Business.id != business.id)
    )
    if holder is not None:
        raise ServiceError(
            _("Another business (%(name)s) already has this NIB.", name=holder.name), field="document_number"
        )
    return True


def _set_business_nib(actor: User, business: Business, nib: str) -> None:
    before = audit.snapshot(business)
    business.nib = nib
    db.session.flush()
    old, new = audit.changed(before, audit.snapshot(business))
    audit.record("update", actor=actor, entity=business, before=old, after=new, note="NIB from permit")


# --- writes ---------------------------------------------------------------------------------


def create_permit(
    actor: User, facilitator: Facilitator, business: Business, data: PermitData, today: date | None = None
) -> PermitFacilitation:
    """Record a permit facilitation for a business the TPL mentors now."""
    _check_owner(actor, facilitator.id)
    problems = Problems()
    if open_mentorship_of(business, facilitator.id) is None:
        problems.add(_("You can only record permits of businesses you mentor now."), "business_id")
    values = problems.check(check_permit, facilitator, data, today or programme_today())
    problems.raise_if_any()
    _check_single_open(business, values, None)
    set_nib = _check_nib(business, values)
    assert_months_open(facilitator.id, *(values[name] for name in STEP_DATES))
    permit = PermitFacilitation(business=business, facilitator_id=facilitator.id, **values)
    db.session.add(permit)
    flush_or_refuse(OPEN_PERMIT_PER_TYPE, _refuse_second_open)
    audit.record("create", actor=actor, entity=permit, after=audit.snapshot(permit))
    if set_nib:
        _set_business_nib(actor, business, values["document_number"])
    db.session.flush()
    return permit


def _months_touched(permit: PermitFacilitation, values: dict) -> list[date | None]:
    """Old and new values of every changed step date; with other changes, also the (new) current status date.

    Advancing the status fills in the new step's date, so a permit planned in a locked month can still be
    submitted or issued in an open one.
    """
    days = []
    for name in STEP_DATES:
        if getattr(permit, name) != values[name]:
            days += [getattr(permit, name), values[name]]
    others = [k for k in values if k not in STEP_DATES and k != "status"]
    if any(getattr(permit, name) != values[name] for name in others):
        days.append(values[f"{values['status']}_on"])
    return days


def update_permit(
    actor: User, permit: PermitFacilitation, data: PermitData, today: date | None = None
) -> PermitFacilitation:
    """Change a permit facilitation; advancing its status is an edit, going back is refused."""
    _check_owner(actor, permit.facilitator_id)
    values = check_permit(permit.facilitator, data, today or programme_today(), permit)
    business = permit.business
    _check_single_open(business, values, permit)
    set_nib = _check_nib(business, values)
    assert_months_open(permit.facilitator_id, *_months_touched(permit, values))
    before = audit.snapshot(permit)
    for key, value in values.items():
        setattr(permit, key, value)
    flush_or_refuse(OPEN_PERMIT_PER_TYPE, _refuse_second_open)
    old, new = audit.changed(before, audit.snapshot(permit))
    if new:
        audit.record("update", actor=actor, entity=permit, before=old, after=new)
    if set_nib:
        _set_business_nib(actor, business, values["document_number"])
    db.session.flush()
    return permit


def delete_permit(actor: User, permit: PermitFacilitation) -> None:
    """Delete a facilitation that is still only planned (its months must be open)."""
    _check_owner(actor, permit.facilitator_id)
    if permit.status != "planned":
        raise ServiceError(_("Only a planned facilitation can be deleted."))
    assert_months_open(permit.facilitator_id, *(getattr(permit, name) for name in STEP_DATES))
    audit.record("delete", actor=actor, entity=permit, before=audit.snapshot(permit))
    db.session.delete(permit)
    db.session.flush()
