"""Tracer surveys (survei penelusuran alumni): due dates, recording, verification, and the
step that turns a verified new business into a registry entry. See docs/metric.md."""

import calendar
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import NamedTuple

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from ..dates import programme_today
from ..extensions import db
from ..models import (
    SURVEY_QUEUE_ORDER,
    Business,
    Facilitator,
    OutcomeSurvey,
    Role,
    SurveyStatus,
    User,
    Verification,
    utcnow,
)
from . import Problems, ServiceError, audit, bulk
from .businesses import is_manufacturing, normalize_name
from .policy import (
    can_add_survey_business,
    can_record_survey,
    facilitator_scope,
    is_own_profile,
    verifies_surveys_of,
    wrote_survey,
)
from .regions import region_exists

DEFAULT_TRACER_MONTHS = (6, 12, 24)
# A survey taken a little before its due date still answers that round.
EARLY_DAYS = 45
MAX_WORKERS = 1_000_000
MAX_MONTHLY_REVENUE = 10**13  # Rp10 trillion a month: anything above is a typing error
# A verdict: verified or rejected (a survey becomes unverified only by being edited).
VERDICTS = (Verification.VERIFIED, Verification.REJECTED)
MAX_VERIFICATION_NOTE = 500
BUSINESS_FIELDS = ("business_name", "founded_date", "nib", "kbli", "workers", "monthly_revenue", "business_region_code")


@dataclass
class SurveyData:
    """What the former TPL (or a supervisor/evaluator on their behalf) answers."""

    survey_date: date
    status: str
    business_name: str | None = None
    founded_date: date | None = None
    nib: str | None = None
    kbli: str | None = None
    workers: int | None = None
    monthly_revenue: int | None = None
    business_region_code: str | None = None


# --- due dates ------------------------------------------------------------------------------


def add_months(day: date, months: int) -> date:
    """The same day `months` calendar months later (31 Aug + 6 -> 28/29 Feb)."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    month += 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def tracer_months() -> list[int]:
    """The configured months after the exit date at which surveys fall due (TRACER_MONTHS)."""
    return sorted({int(m) for m in current_app.config.get("TRACER_MONTHS", DEFAULT_TRACER_MONTHS)})


class TracerRound(NamedTuple):
    """One survey round of an alumnus: `months` after the exit date, due on `due`, answered by `answer` (a counted
    survey, or its date, or None), and closed from `closes` on, the day from which a survey answers no more this
    round (the next round's window opens; the last round stays open as long as the gap before it)."""

    months: int
    due: date
    answer: object
    closes: date

    @property
    def last_day(self) -> date:
        """The last day a survey still answers this round."""
        return self.closes - timedelta(days=1)

    def state(self, today: date) -> str:
        """answered; upcoming (not due yet); due; missed (closed unanswered: "terlewat", not due forever)."""
        if self.answer is not None:
            return "answered"
        if today < self.due:
            return "upcoming"
        return "missed" if today >= self.closes else "due"


def tracer_rounds(exit_date: date, survey_dates: Iterable[date], today: date) -> list[TracerRound]:
    """One TracerRound for each configured round, `answer` being the date of the counted survey answering it.

    A round is answered by the earliest counted survey (exit < survey_date <= today) dated from 45 days
    before its due date up to where the next round's window starts (45 days before the next due date),
    so that one survey never answers two rounds. The last round's window ends as long after its due date as the
    gap from the round before it (24 months after 12: at 36 months), so that it too is missed one day.
    """
    counted = sorted(day for day in survey_dates if exit_date < day <= today)
    months = tracer_months()
    gap = months[-1] - months[-2] if len(months) > 1 else months[-1]
    dues = [add_months(exit_date, m) for m in [*months, months[-1] + gap]]
    rounds = []
    for i, count in enumerate(months):
        due, start, end = dues[i], dues[i] - timedelta(days=EARLY_DAYS), dues[i + 1] - timedelta(days=EARLY_DAYS)
        answer = next((day for day in counted if start <= day < end), None)
        rounds.append(TracerRound(count, due, answer, end))
    return rounds


def due_surveys(facilitator: Facilitator, today: date) -> list[TracerRound]:
    """The TPL's rounds (tracer_rounds), each `answer` being the counted survey answering it or None."""
    exit_date = facilitator.exit_date
    if exit_date is None:
        return []
    surveys = {
        survey.survey_date: survey
        for survey in db.session.scalars(sa.select(OutcomeSurvey).where(OutcomeSurvey.facilitator_id == facilitator.id))
    }
    return [
        one._replace(answer=surveys.get(one.answer)) if one.answer else one
        for one in tracer_rounds(exit_date, surveys, today)
    ]


def tracer_open(facilitator: Facilitator, today: date) -> bool:
    """True once the TPL's last contract has ended (they may then fill in their own surveys)."""
    return facilitator.exit_date is not None and facilitator.exit_date < today


def _check_recorder(actor: User, facilitator: Facilitator) -> None:
    if not can_record_survey(actor, facilitator):
        if actor.has_role(Role.FACILITATOR):
            raise ServiceError(_("You can only fill in your own tracer surveys."))
        raise ServiceError(_("Only the TPL, a supervisor or an evaluator can record tracer surveys."))


def _check_verifier(actor: User, survey: OutcomeSurvey) -> None:
    """policy.can_verify_survey, each refusal with its reason."""
    if not verifies_surveys_of(actor, survey.facilitator):
        raise ServiceError(_("Only a supervisor or an evaluator can verify tracer surveys."))
    if wrote_survey(actor, survey):
        raise ServiceError(
            _("You recorded or changed this survey yourself: another supervisor or an evaluator must check it."),
            field="verification",
        )


# --- recording ------------------------------------------------------------------------------


def _digits(value: str | None) -> str | None:
    """A code with spaces removed, None when empty."""
    value = re.sub(r"\s+", "", value or "")
    return value or None


def check_survey_answers(data: SurveyData, today: date, problems: Problems) -> dict:
    """The cleaned values of a survey's answers, every problem noted on `problems` (the form and the importer)."""
    if data.survey_date is None:
        problems.add(_("The survey date is required."), "survey_date")
    elif data.survey_date > today:
        problems.add(_("The survey date cannot be in the future."), "survey_date")
    if data.status not in SurveyStatus.values():
        problems.add(_("Choose one answer: what are you doing now?"), "status")
    values = {"survey_date": data.survey_date, "status": data.status}
    if data.status != "wirausaha":
        values.update(dict.fromkeys(BUSINESS_FIELDS))
        return values

    name = " ".join((data.business_name or "").split())
    if not name:
        problems.add(_("Give the name of the business."), "business_name")
    elif len(name) > 160:
        problems.add(_("The business name may have at most 160 characters."), "business_name")
    if data.founded_date is not None and not problems.has("survey_date") and data.founded_date > data.survey_date:
        problems.add(_("The business cannot be founded after the survey date."), "founded_date")
    nib = _digits(data.nib)
    if nib is not None and not re.fullmatch(r"\d{13}", nib):
        problems.add(_("The NIB has exactly 13 digits."), "nib")
    kbli = _digits(data.kbli)
    if kbli is not None and not re.fullmatch(r"\d{5}", kbli):
        problems.add(_("The KBLI code has exactly 5 digits."), "kbli")
    if data.workers is not None and not 0 <= data.workers <= MAX_WORKERS:
        problems.add(_("The number of workers cannot be negative or implausibly large."), "workers")
    if data.monthly_revenue is not None and not 0 <= data.monthly_revenue <= MAX_MONTHLY_REVENUE:
        problems.add(_("The monthly revenue cannot be negative or implausibly large."), "monthly_revenue")
    region = data.business_region_code or None
    if region is not None and not region_exists(region, level=2):
        problems.add(_("Choose a kabupaten/kota for the business."), "business_region_code")
    values.update(
        {
            "business_name": name,
            "founded_date": data.founded_date,
            "nib": nib,
            "kbli": kbli,
            "workers": data.workers,
            "monthly_revenue": data.monthly_revenue,
            "business_region_code": region,
        }
    )
    return values


def check_survey(
    actor: User, facilitator: Facilitator, data: SurveyData, survey: OutcomeSurvey | None, today: date
) -> dict:
    """The cleaned values of a survey (new, or a change of `survey`); a refusal lists every problem at once."""
    _check_recorder(actor, facilitator)
    problems = Problems()
    values = check_survey_answers(data, today, problems)
    if not problems.has("survey_date"):
        exit_date = facilitator.exit_date
        if is_own_profile(actor, facilitator) and (exit_date is None or data.survey_date <= exit_date):
            problems.add(_("Tracer surveys start after your last contract ends."), "survey_date")
        elif _survey_date_taken(facilitator, data.survey_date, survey):
            problems.add(
                _(
                    "This TPL already has a survey dated %(date)s: edit that one instead.",
                    date=data.survey_date.strftime("%d/%m/%Y"),
                ),
                "survey_date",
            )
    problems.raise_if_any()
    return values


def _survey_date_taken(facilitator: Facilitator, survey_date: date, survey: OutcomeSurvey | None) -> bool:
    """True when another survey of the TPL has this date."""
    clash = db.session.scalar(
        sa.select(OutcomeSurvey.id).where(
            OutcomeSurvey.facilitator_id == facilitator.id, OutcomeSurvey.survey_date == survey_date
        )
    )
    return clash is not None and (survey is None or clash != survey.id)


def _flush_or_refuse(message: str, field: str | None = None) -> None:
    """Flush; a unique constraint hit by a concurrent request becomes a clear refusal."""
    try:
        db.session.flush()
    except IntegrityError:
        db.session.rollback()
        raise ServiceError(message, field=field) from None


def record_survey(actor: User, facilitator: Facilitator, data: SurveyData, today: date | None = None) -> OutcomeSurvey:
    """Record a tracer survey, by the TPL themself or by a supervisor/evaluator on their behalf."""
    today = today or programme_today()
    values = check_survey(actor, facilitator, data, None, today)
    survey = OutcomeSurvey(facilitator_id=facilitator.id, recorded_by_id=actor.id, verification="unverified", **values)
    db.session.add(survey)
    _flush_or_refuse(_("This TPL already has a survey on that date."), field="survey_date")
    audit.record("survey_recorded", actor=actor, entity=survey, after=audit.snapshot(survey))
    db.session.flush()
    return survey


def update_survey(actor: User, survey: OutcomeSurvey, data: SurveyData, today: date | None = None) -> OutcomeSurvey:
    """Change a survey; a verified (or rejected) one goes back to unverified."""
    today = today or programme_today()
    facilitator = survey.facilitator
    values = check_survey(actor, facilitator, data, survey, today)
    if values["status"] != "wirausaha":
        values["business_id"] = None  # no business any more, so no registry link either
    if all(getattr(survey, key) == value for key, value in values.items()):
        return survey
    before = audit.snapshot(survey)
    for key, value in values.items():
        setattr(survey, key, value)
    if survey.verification != "unverified":
        survey.verification = "unverified"
        survey.verified_by_id = None
        survey.verified_at = None
        survey.verification_note = None
    _flush_or_refuse(_("This TPL already has a survey on that date."), field="survey_date")
    old, new = audit.changed(before, audit.snapshot(survey))
    audit.record("survey_updated", actor=actor, entity=survey, before=old, after=new)
    db.session.flush()
    return survey


def check_verification(actor: User, survey: OutcomeSurvey, verification: str | None, note: str | None) -> str | None:
    """The cleaned note of a verdict on a survey; a refusal names every problem."""
    _check_verifier(actor, survey)
    problems = Problems()
    if verification not in VERDICTS:
        problems.add(_("Choose verified or rejected."), "verification")
    note = (note or "").strip() or None
    if note is None:
        if verification == Verification.REJECTED:
            problems.add(_("Give the reason for the rejection."), "note")
    elif len(note) > MAX_VERIFICATION_NOTE:
        problems.add(_("The note may have at most 500 characters."), "note")
    problems.raise_if_any()
    return note


def verify_survey(actor: User, survey: OutcomeSurvey, verification: str, note: str | None) -> OutcomeSurvey:
    """Mark a survey verified or rejected (a rejection needs a note), e.g. after checking the NIB in OSS."""
    note = check_verification(actor, survey, verification, note)
    before = audit.snapshot(survey)
    survey.verification = verification
    survey.verification_note = note
    survey.verified_by_id = actor.id
    survey.verified_at = utcnow()
    db.session.flush()
    old, new = audit.changed(before, audit.snapshot(survey))
    audit.record(f"survey_{verification}", actor=actor, entity=survey, before=old, after=new, note=note)
    db.session.flush()
    return survey


def add_business_from_survey(actor: User, survey: OutcomeSurvey) -> Business:
    """Put a verified new manufacturing business (KBLI divisions 10-33) in the IKM registry, or link the survey to the
    one already there; any other business stays out of the registry and still counts for the WUB figures."""
    if not can_add_survey_business(actor, survey.facilitator):
        raise ServiceError(_("Only a supervisor or an evaluator can verify tracer surveys."))
    if survey.status != "wirausaha" or survey.verification != "verified":
        raise ServiceError(_("Only a verified survey of a running business can be added to the registry."))
    if survey.business_id is not None:
        raise ServiceError(_("This business is already in the registry."))
    if not survey.kbli:
        raise ServiceError(_("The survey has no KBLI code yet: edit the survey first."), field="kbli")
    if not is_manufacturing(survey.kbli):
        raise ServiceError(
            _(
                "Only a manufacturing business (KBLI divisions 10 to 33) enters the IKM registry; "
                "for the WUB figures any business counts."
            ),
            field="kbli",
        )
    if not survey.business_region_code:
        raise ServiceError(
            _("The survey has no region for the business yet: edit the survey first."), field="business_region_code"
        )
    normalized = normalize_name(survey.business_name)
    business = None
    if survey.nib:
        business = db.session.scalar(sa.select(Business).where(Business.nib == survey.nib))
    if business is None:
        business = db.session.scalar(
            sa.select(Business).where(
                Business.normalized_name == normalized, Business.region_code == survey.business_region_code
            )
        )
        if business is not None and business.nib and survey.nib and business.nib != survey.nib:
            raise ServiceError(
                _("Another business with this name is registered in this region under NIB %(nib)s.", nib=business.nib)
            )
    before = audit.snapshot(survey)
    if business is None:
        facilitator = survey.facilitator
        business = Business(
            name=survey.business_name,
            normalized_name=normalized,
            owner_name=facilitator.full_name,
            region_code=survey.business_region_code,
            kbli=survey.kbli,
            nib=survey.nib,
            size_class="mikro",
            workers=survey.workers or 0,
            year_founded=survey.founded_date.year if survey.founded_date else None,
            founder_id=facilitator.id,
            created_by_id=actor.id,
        )
        db.session.add(business)
        _flush_or_refuse(_("The business was just registered by someone else: try again."))
        audit.record(
            "business_created",
            actor=actor,
            entity=business,
            after=audit.snapshot(business),
            note=f"outcome_surveys/{survey.id}",
        )
    survey.business_id = business.id
    db.session.flush()
    old, new = audit.changed(before, audit.snapshot(survey))
    audit.record("survey_business_linked", actor=actor, entity=survey, before=old, after=new)
    db.session.flush()
    return business


# --- reading --------------------------------------------------------------------------------


def facilitator_surveys(facilitator: Facilitator) -> list[OutcomeSurvey]:
    """A TPL's surveys, newest first."""
    return list(
        db.session.scalars(
            sa.select(OutcomeSurvey)
            .where(OutcomeSurvey.facilitator_id == facilitator.id)
            .order_by(OutcomeSurvey.survey_date.desc(), OutcomeSurvey.id.desc())
        )
    )


def survey_query(user: User, verification: str | None = None, status: str | None = None):
    """A select of the surveys in the user's scope: unverified first, then oldest first (a verification queue)."""
    query = (
        sa.select(OutcomeSurvey)
        .join(OutcomeSurvey.facilitator)
        .where(facilitator_scope(user))
        .options(selectinload(OutcomeSurvey.facilitator))
    )
    if verification:
        query = query.where(OutcomeSurvey.verification == verification)
    if status:
        query = query.where(OutcomeSurvey.status == status)
    return query.order_by(*SURVEY_QUEUE_ORDER)


def user_names(surveys) -> dict[int, str]:
    """Names of the users who recorded or verified the given surveys, by id."""
    ids = {s.recorded_by_id for s in surveys} | {s.verified_by_id for s in surveys}
    ids.discard(None)
    if not ids:
        return {}
    return dict(db.session.execute(sa.select(User.id, User.full_name).where(User.id.in_(ids))).all())


def import_surveys(
    actor: User | None, created: list[dict], updated: list[tuple[OutcomeSurvey, dict]], note: str
) -> None:
    """Write surveys checked by `check_survey_answers` in bulk (an import), with the workbook's verification.

    Four eyes on imports: a workbook row was recorded outside the app (by the programme's own tracer study), so an
    imported survey has no recorder in the app (the import's audit entry names who imported it). The importing
    user carries the workbook's verification and is named as its verifier, so imported history keeps counting in
    the WUB figures as verified; an imported unverified survey stays open to any supervisor in scope or evaluator.
    """
    verifier, now = getattr(actor, "id", None), utcnow()
    rows = []
    for values in created:
        row = {"recorded_by_id": None, **values}
        if row["verification"] != "unverified":
            row |= {"verified_by_id": verifier, "verified_at": now}
        rows.append(row)
    bulk.insert_many(OutcomeSurvey, rows, actor, "survey_recorded", note)

    def verification_changes(survey: OutcomeSurvey, values: dict) -> None:
        if values["verification"] == survey.verification:
            return
        if values["verification"] == "unverified":
            survey.verified_by_id, survey.verified_at, survey.verification_note = None, None, None
        else:
            survey.verified_by_id, survey.verified_at = verifier, now

    bulk.update_many(updated, actor, "survey_updated", note, before_update=verification_changes)
