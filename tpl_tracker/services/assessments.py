"""Assessments of a business: its condition when mentoring starts (baseline) and later (follow-ups).

Rules: a business has at most one baseline, its first assessment must be the baseline, and no follow-up is
dated before it. Only a TPL mentoring the business assesses it; only the assessment's own TPL changes it;
dates lie within one of the TPL's contracts and never in the future; submitted or approved months are locked.
"""

from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa
from flask_babel import gettext as _

from ..dates import programme_today
from ..extensions import db
from ..models import Assessment, AssessmentKind, Business, Facilitator, MarketReach, User
from . import Problems, ServiceError, audit
from .months import assert_months_open
from .policy import can_assess, can_edit_assessment

MAX_WORKERS = 100_000
MAX_MONTHLY_TURNOVER = 10**13


@dataclass
class AssessmentData:
    """What a TPL records about a business on one day."""

    kind: str
    assessed_on: date
    turnover: int | None = None
    workers: int | None = None
    production_capacity: str | None = None
    products: str | None = None
    market_reach: str = "local"
    has_packaging_label: bool = False
    notes: str | None = None


def _clean(value: str | None, limit: int | None, field: str, label: str) -> str | None:
    value = (value or "").strip()
    if not value:
        return None
    if limit and len(value) > limit:
        raise ServiceError(
            _("%(label)s is too long (at most %(max)d characters).", label=label, max=limit), field=field
        )
    return value


def _check_sequence(business: Business, kind: str, assessed_on: date, assessment: Assessment | None) -> None:
    """After the change, the business keeps one baseline, first, and no follow-up before it."""
    others = [
        a
        for a in db.session.scalars(sa.select(Assessment).where(Assessment.business_id == business.id))
        if assessment is None or a.id != assessment.id
    ]
    baselines = [a for a in others if a.kind == "baseline"]
    if kind == "baseline":
        if baselines:
            raise ServiceError(_("This business already has a baseline assessment."), field="kind")
        earlier = [a.assessed_on for a in others if a.assessed_on < assessed_on]
        if earlier:
            raise ServiceError(
                _("The baseline cannot be dated after a follow-up (%(date)s).", date=min(earlier).strftime("%d/%m/%Y")),
                field="assessed_on",
            )
        return
    if not baselines:
        raise ServiceError(_("The first assessment of a business must be the baseline."), field="kind")
    baseline = baselines[0]
    if assessed_on < baseline.assessed_on:
        raise ServiceError(
            _(
                "A follow-up cannot be dated before the baseline (%(date)s).",
                date=baseline.assessed_on.strftime("%d/%m/%Y"),
            ),
            field="assessed_on",
        )


def check_assessment(
    business: Business, facilitator: Facilitator, data: AssessmentData, assessment: Assessment | None
) -> dict:
    """The cleaned values of an assessment by `facilitator` (new, or a change of `assessment`); a refusal lists
    every problem at once."""
    problems = Problems()
    if data.kind not in AssessmentKind.values():
        problems.add(_("Choose baseline or follow-up."), "kind")
    if data.assessed_on is None:
        problems.add(_("Give the assessment date."), "assessed_on")
    elif data.assessed_on > programme_today():
        problems.add(_("The assessment date cannot be in the future."), "assessed_on")
    elif facilitator.current_contract(data.assessed_on) is None:
        problems.add(_("The assessment date must fall within one of your contracts."), "assessed_on")
    if data.turnover is not None and not 0 <= data.turnover <= MAX_MONTHLY_TURNOVER:
        problems.add(_("Give an amount of zero Rupiah or more."), "turnover")
    if data.workers is not None and not 0 <= data.workers <= MAX_WORKERS:
        problems.add(_("The number of workers is not plausible."), "workers")
    if data.market_reach not in MarketReach.values():
        problems.add(_("Choose the market reach."), "market_reach")
    production_capacity = problems.check(
        _clean, data.production_capacity, 200, "production_capacity", _("The production capacity")
    )
    products = problems.check(_clean, data.products, 2000, "products", _("The products"))
    notes = problems.check(_clean, data.notes, 2000, "notes", _("The notes"))
    if not problems.has("kind") and not problems.has("assessed_on"):
        problems.check(_check_sequence, business, data.kind, data.assessed_on, assessment)
    problems.raise_if_any()
    return {
        "kind": data.kind,
        "assessed_on": data.assessed_on,
        "turnover": data.turnover,
        "workers": data.workers,
        "production_capacity": production_capacity,
        "products": products,
        "market_reach": data.market_reach,
        "has_packaging_label": bool(data.has_packaging_label),
        "notes": notes,
    }


def create_assessment(actor: User, business: Business, data: AssessmentData) -> Assessment:
    """Record an assessment of a business the actor mentors."""
    if not can_assess(actor, business):
        raise ServiceError(_("Only a TPL currently mentoring this business can assess it."))
    facilitator = actor.facilitator
    values = check_assessment(business, facilitator, data, None)
    assert_months_open(facilitator.id, data.assessed_on)
    assessment = Assessment(business=business, facilitator=facilitator, **values)
    db.session.add(assessment)
    db.session.flush()
    audit.record("create", actor=actor, entity=assessment, after=audit.snapshot(assessment))
    db.session.flush()
    return assessment


def _check_owner(actor: User, assessment: Assessment) -> None:
    if not can_edit_assessment(actor, assessment):
        raise ServiceError(_("Only the TPL who made this assessment can change it."))


def update_assessment(actor: User, assessment: Assessment, data: AssessmentData) -> Assessment:
    """Change an assessment (its own TPL, months of the old and new dates open)."""
    _check_owner(actor, assessment)
    values = check_assessment(assessment.business, assessment.facilitator, data, assessment)
    assert_months_open(assessment.facilitator_id, assessment.assessed_on, data.assessed_on)
    before = audit.snapshot(assessment)
    for key, value in values.items():
        setattr(assessment, key, value)
    db.session.flush()
    old, new = audit.changed(before, audit.snapshot(assessment))
    if new:
        audit.record("update", actor=actor, entity=assessment, before=old, after=new)
    db.session.flush()
    return assessment


def delete_assessment(actor: User, assessment: Assessment) -> None:
    """Delete an assessment; a baseline with follow-ups cannot go."""
    _check_owner(actor, assessment)
    assert_months_open(assessment.facilitator_id, assessment.assessed_on)
    if assessment.kind == "baseline":
        follow_ups = db.session.scalar(
            sa.select(sa.func.count())
            .select_from(Assessment)
            .where(Assessment.business_id == assessment.business_id, Assessment.id != assessment.id)
        )
        if follow_ups:
            raise ServiceError(_("The baseline cannot be deleted while the business has follow-ups."))
    audit.record("delete", actor=actor, entity=assessment, before=audit.snapshot(assessment))
    db.session.delete(assessment)
    db.session.flush()


def is_locked(assessment: Assessment) -> bool:
    """True when the assessment's month has been submitted or approved."""
    from .months import locked_periods

    return bool(locked_periods(assessment.facilitator_id, [assessment.assessed_on]))


def change_since_baseline(assessments: list[Assessment]) -> dict | None:
    """Baseline against the latest follow-up: rows (label, kind, baseline, latest, difference).

    None until the business has a baseline and at least one follow-up. Differences only for numbers.
    """
    baseline = next((a for a in assessments if a.kind == "baseline"), None)
    follow_ups = [a for a in assessments if a.kind == "follow_up"]
    if baseline is None or not follow_ups:
        return None
    latest = max(follow_ups, key=lambda a: (a.assessed_on, a.id))

    def difference(old, new):
        return new - old if old is not None and new is not None else None

    rows = [
        {
            "label": _("Turnover per month"),
            "kind": "rupiah",
            "baseline": baseline.turnover,
            "latest": latest.turnover,
            "difference": difference(baseline.turnover, latest.turnover),
        },
        {
            "label": _("Workers"),
            "kind": "number",
            "baseline": baseline.workers,
            "latest": latest.workers,
            "difference": difference(baseline.workers, latest.workers),
        },
        {
            "label": _("Market reach"),
            "kind": "text",
            "baseline": str(MarketReach.label_of(baseline.market_reach)),
            "latest": str(MarketReach.label_of(latest.market_reach)),
            "difference": None,
        },
        {
            "label": _("Packaging and label"),
            "kind": "bool",
            "baseline": baseline.has_packaging_label,
            "latest": latest.has_packaging_label,
            "difference": None,
        },
        {
            "label": _("Production capacity"),
            "kind": "text",
            "baseline": baseline.production_capacity,
            "latest": latest.production_capacity,
            "difference": None,
        },
    ]
    return {"baseline": baseline, "latest": latest, "rows": rows}
