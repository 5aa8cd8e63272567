"""Who may see and do what: the one place for every access question.

Which rows a user may see (SQL conditions per role), loaders that raise NotFound outside them (audited, so
that the web layer answers 404 without confirming that the record exists), and one `can_<verb>` predicate
for each decision on an object. Routes, services and templates (the Jinja global `policy`) all ask here.
"""

from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa
from sqlalchemy.orm import aliased

from ..database import in_list, list_param, one_of
from ..extensions import db
from ..models import (
    CROSS_REGION,
    PERMIT_OPEN_STATUSES,
    Activity,
    Assessment,
    AuditEntry,
    Business,
    Evidence,
    Facilitator,
    Mentorship,
    MentorshipRequest,
    MonthlyReport,
    MonthStatus,
    OutcomeSurvey,
    PermitFacilitation,
    Role,
    User,
)
from . import NotFound
from .regions import regency_codes

SURVEY_RECORDERS = (Role.FACILITATOR, Role.SUPERVISOR, Role.EVALUATOR)
SURVEY_VERIFIERS = (Role.SUPERVISOR, Role.EVALUATOR)
SUBMITTABLE = (MonthStatus.DRAFT, MonthStatus.RETURNED)
# Evaluators may start the metric computation; admins any job.
EVALUATOR_JOBS = {"compute-metrics"}
QUEUE_JOB = "run-queued-work"  # runs what Run now queues (tpl_tracker/jobs/background.py)


# --- which rows -----------------------------------------------------------------------------


def in_regions(column, codes):
    """SQL condition: `column` (a kabupaten/kota code) lies in one of the regions (`82` province, `82.71` kab/kota).

    A province stands for the list of its kabupaten/kota codes, so that the condition is an `IN` the column's index
    answers (a `LIKE '82.%'` is a sequential scan under most collations, and makes PostgreSQL guess the rows).
    On PostgreSQL a list is one array parameter (`= ANY(...)`, the same plan): an `IN` of one parameter per code
    made the statement's text differ with the number of codes and be rebuilt at every run (its placeholders
    rendered by SQLAlchemy and parsed by psycopg, which caches only short statements: 2 ms of a supervisor's page).
    """
    regencies = _regencies(codes)
    if not regencies:
        return sa.false()
    if len(regencies) == 1:  # an equality, so that an index on (region, name) gives the rows in name order
        return column == regencies[0]
    return in_list(column, list_param(db.session.get_bind().dialect.name, column.type, value=regencies))


def _regencies(codes) -> list[str]:
    """The kabupaten/kota codes of regions (a province stands for all of its own), sorted."""
    return sorted({regency for code in codes for regency in ([code] if "." in code else regency_codes(code))})


def facilitator_scope(user: User):
    """SQL condition selecting the TPL profiles `user` may see."""
    if user.has_role(Role.ADMIN, Role.EVALUATOR):
        return sa.true()
    if user.has_role(Role.FACILITATOR):
        return Facilitator.user_id == user.id
    if user.has_role(Role.SUPERVISOR):
        return sa.or_(Facilitator.supervisor_id == user.id, in_regions(Facilitator.region_code, user.region_codes))
    return sa.false()


def copied_scope(user: User, model):
    """`facilitator_scope` on a table's copies of its TPL's supervisor and region (`roster_flags`, `contracts`,
    `monthly_reports`, `activities`, `permits`: migrations 0022 to 0025): a supervisor's condition, or None for the
    other roles, whose scope is not a matter of supervisor and region."""
    if not _reads_copies(user):
        return None
    return sa.or_(model.supervisor_id == user.id, in_regions(model.region_code, user.region_codes))


def _reads_copies(user: User) -> bool:
    """Whether the user's scope is a matter of supervisor and region, read on the copies (`copied_scope`)."""
    return user.has_role(Role.SUPERVISOR)


def in_copied_scope(user: User, record) -> bool:
    """`copied_scope` asked of a loaded record of a supervisor (or `facilitator_scope` of a loaded TPL): its TPL's
    supervisor is theirs, or its TPL's region lies in their regions."""
    return record.supervisor_id == user.id or record.region_code in _regencies(user.region_codes)


def work_scope_parts(user: User, model) -> list | None:
    """`work_scope` as conditions that no row meets twice, for counting the rows in scope as a UNION ALL of them:
    a supervisor's activities or permits on their copies of their TPL's supervisor, then of their region (those of
    another supervisor or none). Each part is answered by its own index, so that a capped count stops after its
    rows; PostgreSQL read the OR of both from the table's start (3 ms against 0.3 ms for an unfiltered activity
    list at 1,000,000 activities). None where the scope is one condition."""
    if model not in WORK_WITH_COPIES or not _reads_copies(user):
        return None
    return [
        model.supervisor_id == user.id,
        sa.and_(
            in_regions(model.region_code, user.region_codes),
            sa.or_(model.supervisor_id.is_(None), model.supervisor_id != user.id),
        ),
    ]


_FOUNDING = aliased(Business, name="founding")  # built once, not at each request: it proxies every column


def business_scope(user: User):
    """SQL condition selecting the businesses `user` may see.

    A TPL sees the businesses they mentor or mentored (or founded); a supervisor those mentored by a TPL in
    their scope or located in their regions; evaluators and admins all of them.
    """
    if user.has_role(Role.ADMIN, Role.EVALUATOR):
        return sa.true()
    # The businesses founded by a TPL are few: read from the founder index, each founder then checked against the
    # scope (probing the index with every TPL of a province, alumni included, took 9 ms at 100,000 TPL).
    founding = _FOUNDING
    founders = (
        sa.select(founding.id)
        .join(Facilitator, Facilitator.id == founding.founder_id)
        .where(founding.founder_id.is_not(None), facilitator_scope(user))
        .correlate(None)
    )
    founded = one_of_select(Business.id, founders)
    if not user.has_role(Role.SUPERVISOR):
        tpl_ids = sa.select(Facilitator.id).where(facilitator_scope(user))
        mentored = sa.select(Mentorship.business_id).where(one_of_select(Mentorship.facilitator_id, tpl_ids))
        return sa.or_(founded, one_of_select(Business.id, mentored))
    # Most of a supervisor's businesses lie in their regions: those are read from the region index. Of the
    # businesses their TPL mentored (alumni of every year included) only those located elsewhere are looked up,
    # without reading every mentorship of the province: see `_mentored_elsewhere`.
    here = in_regions(Business.region_code, user.region_codes)
    return sa.or_(here, founded, one_of_select(Business.id, _mentored_elsewhere(user)))


def _mentored_elsewhere(user: User) -> sa.Select:
    """The businesses outside a supervisor's regions mentored by a TPL in their scope (ids, maybe repeated).

    A TPL of the supervisor's regions mentoring a business outside them mentors outside their own kabupaten/kota:
    those mentorships are read from the partial index of such mentorships, by the regions each keeps (migration
    0021). The TPL assigned to the supervisor but placed outside their regions (or nowhere) are few: all their
    mentorships count.
    """
    regions = user.region_codes
    crossing = sa.select(Mentorship.business_id).where(
        sa.text(CROSS_REGION),
        in_regions(Mentorship.facilitator_region_code, regions),
        sa.not_(in_regions(Mentorship.business_region_code, regions)),
    )
    placed_elsewhere = sa.select(Facilitator.id).where(
        Facilitator.supervisor_id == user.id,
        sa.or_(Facilitator.region_code.is_(None), sa.not_(in_regions(Facilitator.region_code, regions))),
    )
    of_placed_elsewhere = sa.select(Mentorship.business_id).where(
        one_of_select(Mentorship.facilitator_id, placed_elsewhere)
    )
    return sa.union_all(crossing, of_placed_elsewhere)


def one_of_select(column, ids):
    """SQL condition: `column` is one of the ids a select gives.

    On PostgreSQL `column = ANY(ARRAY(select))`: the select runs once, and the condition is an index lookup that
    may be OR-ed with others (a bitmap OR), where `IN (select)` under an OR tests every row against a hashed set.
    """
    if db.session.get_bind().dialect.name == "postgresql":
        return column == sa.any_(sa.func.array(ids.scalar_subquery()))
    return column.in_(ids)


WORK_WITH_COPIES = (Activity, PermitFacilitation)  # the records that keep their TPL's supervisor and region (0025)


def work_scope(user: User, model):
    """SQL condition selecting the activities, permits, assessments, months, surveys or requests of TPL in scope.

    A supervisor's activities and permits are read by their own copies of their TPL's supervisor and region
    (migration 0025); otherwise each record's TPL is looked up (an EXISTS).
    """
    if user.has_role(Role.ADMIN, Role.EVALUATOR):
        return sa.true()
    if model in WORK_WITH_COPIES and (copied := copied_scope(user, model)) is not None:
        return copied
    return sa.exists().where(Facilitator.id == model.facilitator_id, facilitator_scope(user))


def counted_in_scope(user: User, model, query, in_parts: bool = True):
    """`query` (a select of `model`'s rows, not yet restricted to the user's scope) restricted to it, to be counted:
    a UNION ALL of the `work_scope_parts` where there are such (and `in_parts`), else the select within
    `work_scope`."""
    parts = work_scope_parts(user, model) if in_parts else None
    if parts is None:
        return query.where(work_scope(user, model))
    counted = query.with_only_columns(model.id)
    return sa.union_all(*[counted.where(part) for part in parts])


def visible_ids(user: User, model, records) -> set[int]:
    """The ids of the given activities, permits, assessments or months (loaded records of `model`) that the user may
    open: `work_scope` answered from what the records hold where it can be (everything for admins and evaluators,
    their own work for a TPL, a supervisor's by the activities' and permits' copies), else in one query."""
    records = [record for record in records if record.id is not None]
    if not records or user.has_role(Role.ADMIN, Role.EVALUATOR):
        return {record.id for record in records}
    if user.has_role(Role.FACILITATOR):
        return {record.id for record in records if is_own_work(user, record.facilitator_id)}
    if model in WORK_WITH_COPIES and _reads_copies(user):
        return {record.id for record in records if in_copied_scope(user, record)}
    ids = sorted({record.id for record in records})
    return set(db.session.scalars(sa.select(model.id).where(one_of(model.id, ids), work_scope(user, model))))


def in_scope(user: User, facilitator_id: int) -> bool:
    """True when the TPL is in the user's scope."""
    condition = sa.select(Facilitator.id).where(Facilitator.id == facilitator_id, facilitator_scope(user))
    return db.session.scalar(condition) is not None


# --- loaders: NotFound outside the scope ------------------------------------------------------


def _load(user: User, model, object_id: int, condition):
    """One record matching `condition`; out of scope is audited, and both cases raise NotFound."""
    obj = db.session.scalar(sa.select(model).where(model.id == object_id, condition))
    if obj is None:
        # Out of scope: audited by the boundary, but answered as "not found" so that its existence is not confirmed.
        exists = db.session.get(model, object_id) is not None
        raise NotFound(f"{model.__tablename__}/{object_id}", denied=user if exists else None)
    return obj


def load_facilitator(user: User, facilitator_id: int) -> Facilitator:
    """A TPL profile the user may see; NotFound otherwise."""
    return _load(user, Facilitator, facilitator_id, facilitator_scope(user))


def load_business(user: User, business_id: int) -> Business:
    """A business the user may see; NotFound otherwise."""
    return _load(user, Business, business_id, business_scope(user))


def load_activity(user: User, activity_id: int) -> Activity:
    """An activity of a TPL in the user's scope; NotFound otherwise."""
    return _load(user, Activity, activity_id, work_scope(user, Activity))


def load_permit(user: User, permit_id: int) -> PermitFacilitation:
    """A permit facilitation of a TPL in the user's scope; NotFound otherwise."""
    return _load(user, PermitFacilitation, permit_id, work_scope(user, PermitFacilitation))


def load_assessment(user: User, assessment_id: int) -> Assessment:
    """An assessment made by a TPL in the user's scope; NotFound otherwise."""
    return _load(user, Assessment, assessment_id, work_scope(user, Assessment))


def load_month(user: User, report_id: int) -> MonthlyReport:
    """A monthly report of a TPL in the user's scope; NotFound otherwise."""
    return _load(user, MonthlyReport, report_id, work_scope(user, MonthlyReport))


def load_evidence(user: User, evidence_id: int) -> Evidence:
    """An evidence file of an activity the user may see; NotFound otherwise."""
    condition = sa.exists().where(Activity.id == Evidence.activity_id, work_scope(user, Activity))
    return _load(user, Evidence, evidence_id, condition)


def load_survey(user: User, survey_id: int) -> OutcomeSurvey:
    """A tracer survey of a TPL in the user's scope; NotFound otherwise."""
    return _load(user, OutcomeSurvey, survey_id, work_scope(user, OutcomeSurvey))


def load_mentorship_request(user: User, request_id: int) -> MentorshipRequest:
    """A request to mentor a business, of a TPL in the user's scope; NotFound otherwise."""
    return _load(user, MentorshipRequest, request_id, work_scope(user, MentorshipRequest))


# --- who may do what ------------------------------------------------------------------------


def can_see_personal_numbers(user: User) -> bool:
    """Evaluators read NIK and phone masked (UU PDP: only what the purpose needs)."""
    return not user.has_role(Role.EVALUATOR)


def is_own_work(user: User, facilitator_id: int) -> bool:
    """True when `user` is the TPL whose work this is: only they log, edit and submit it."""
    return user.has_role(Role.FACILITATOR) and user.facilitator is not None and user.facilitator.id == facilitator_id


def can_log_work(user: User) -> bool:
    """A TPL linked to their profile logs activities and records permits."""
    return user.has_role(Role.FACILITATOR) and user.facilitator is not None


def can_edit_activity(user: User, activity: Activity) -> bool:
    """The owning TPL, while the activity's month is open."""
    from .months import month_status

    return is_own_work(user, activity.facilitator_id) and month_status(activity.facilitator_id, activity.date) not in (
        MonthStatus.SUBMITTED,
        MonthStatus.APPROVED,
    )


def can_edit_permit(user: User, permit: PermitFacilitation) -> bool:
    """The owning TPL, while the current step's month is open or the permit can still advance.

    In a locked month an open (planned or submitted) permit may still move to its next step, dated in an
    open month; every other change is refused by `update_permit`.
    """
    if not is_own_work(user, permit.facilitator_id):
        return False
    return permit.status in PERMIT_OPEN_STATUSES or not permit_month_locked(permit)


def can_delete_permit(user: User, permit: PermitFacilitation) -> bool:
    """The owning TPL, while the permit is planned and its month open."""
    return is_own_work(user, permit.facilitator_id) and permit.status == "planned" and not permit_month_locked(permit)


def permit_month_locked(permit: PermitFacilitation) -> bool:
    """True when the month of the permit's current status date is submitted or approved."""
    from .months import locked_periods

    return bool(locked_periods(permit.facilitator_id, [permit.status_on]))


def mentors_now(user: User, business: Business, mentorships: list[Mentorship] | None = None) -> bool:
    """True when `user` is a TPL currently mentoring the business (they may edit it, assess it, stop mentoring);
    answered from `mentorships`, every mentorship of the business, when the caller has them loaded."""
    if not user.has_role(Role.FACILITATOR) or user.facilitator is None:
        return False
    if mentorships is not None:
        own = user.facilitator.id
        return any(m.business_id == business.id and m.facilitator_id == own and m.is_open for m in mentorships)
    open_mentorship = sa.select(Mentorship.id).where(
        Mentorship.business_id == business.id,
        Mentorship.facilitator_id == user.facilitator.id,
        Mentorship.end_date.is_(None),
    )
    return db.session.scalar(open_mentorship) is not None


def can_log_work_for(user: User, business: Business) -> bool:
    """A TPL linked to their profile who mentors the business now logs activities and records permits for it."""
    return can_log_work(user) and mentors_now(user, business)


def can_edit_business(user: User, business: Business) -> bool:
    """Only a TPL currently mentoring the business changes it."""
    return mentors_now(user, business)


def can_stop_mentoring(user: User, business: Business) -> bool:
    """Only a TPL currently mentoring the business stops mentoring it."""
    return mentors_now(user, business)


def can_assess(user: User, business: Business) -> bool:
    """Only a TPL currently mentoring the business records an assessment of it."""
    return mentors_now(user, business)


@dataclass(frozen=True)
class BusinessActions:
    """What the reader may do on a business's page: one answer per button."""

    log_work: bool = False
    edit: bool = False
    assess: bool = False
    stop_mentoring: bool = False

    def __bool__(self) -> bool:
        return self.log_work or self.edit or self.assess or self.stop_mentoring


def business_actions(user: User, business: Business, mentorships: list[Mentorship] | None = None) -> BusinessActions:
    """The buttons of a business's page from one mentorship lookup, or from the page's `mentorships` of the business
    (the `can_*` predicates above, together)."""
    if not mentors_now(user, business, mentorships):
        return BusinessActions()
    return BusinessActions(log_work=can_log_work(user), edit=True, assess=True, stop_mentoring=True)


def can_edit_assessment(user: User, assessment: Assessment) -> bool:
    """Only the TPL who made the assessment changes or deletes it (the services also check its months)."""
    return is_own_work(user, assessment.facilitator_id)


def can_decide_request(user: User, request: MentorshipRequest) -> bool:
    """A supervisor of the TPL who asked decides their request to mentor a business."""
    return supervises(user, request.facilitator_id)


def supervises(user: User, facilitator_id: int) -> bool:
    """A supervisor with the TPL in their scope: reviews their months, sets targets, hands businesses over."""
    return user.has_role(Role.SUPERVISOR) and in_scope(user, facilitator_id)


def supervises_tpl(user: User, facilitator: Facilitator) -> bool:
    """`supervises` asked of a loaded TPL, from their supervisor and region as loaded (no query)."""
    return user.has_role(Role.SUPERVISOR) and in_copied_scope(user, facilitator)


def can_submit_month(user: User, facilitator: Facilitator, period: date, status: str, today: date) -> bool:
    """The TPL's own month, draft or returned, in a contract, from its last day (or the contract's) on."""
    opens = month_submission_opens(user, facilitator, period, status)
    return opens is not None and opens <= today


def month_submission_opens(user: User, facilitator: Facilitator, period: date, status: str) -> date | None:
    """The day from which the TPL may submit their own draft or returned month (months.submission_opens);
    None when it is not theirs to submit."""
    from .months import submission_opens

    if not (is_own_work(user, facilitator.id) and status in SUBMITTABLE):
        return None
    return submission_opens(facilitator, period)


def can_review_month(user: User, facilitator_id: int, status: str) -> bool:
    """A supervisor of the TPL approves or returns a submitted month."""
    return status == MonthStatus.SUBMITTED and supervises(user, facilitator_id)


def can_reopen_month(user: User, facilitator_id: int, status: str) -> bool:
    """A supervisor of the TPL reopens an approved month."""
    return status == MonthStatus.APPROVED and supervises(user, facilitator_id)


def is_own_profile(user: User, facilitator: Facilitator) -> bool:
    """True when the user is this TPL's own login."""
    return user.has_role(Role.FACILITATOR) and facilitator.user_id == user.id


def can_record_survey(user: User, facilitator: Facilitator) -> bool:
    """The TPL themself, a supervisor in scope, or an evaluator (admins do not record surveys)."""
    if not user.has_role(*SURVEY_RECORDERS):
        return False
    if user.has_role(Role.FACILITATOR):
        return is_own_profile(user, facilitator)
    return in_scope(user, facilitator.id)


def can_edit_survey(user: User, survey: OutcomeSurvey) -> bool:
    """Whoever may record the TPL's surveys may change them."""
    return can_record_survey(user, survey.facilitator)


def verifies_surveys_of(user: User, facilitator: Facilitator) -> bool:
    """A supervisor in scope or an evaluator: who checks a TPL's surveys (each one not of their own hand)."""
    return user.has_role(*SURVEY_VERIFIERS) and in_scope(user, facilitator.id)


def wrote_survey(user: User, survey: OutcomeSurvey) -> bool:
    """True when the user recorded the survey or changed its answers."""
    if survey.recorded_by_id == user.id:
        return True
    changed = sa.select(AuditEntry.id).where(
        AuditEntry.entity_type == OutcomeSurvey.__tablename__,
        AuditEntry.entity_id == str(survey.id),
        AuditEntry.action == "survey_updated",
        AuditEntry.actor_id == user.id,
    )
    return db.session.scalar(changed.limit(1)) is not None


def can_verify_survey(user: User, survey: OutcomeSurvey) -> bool:
    """A supervisor in scope or an evaluator verifies or rejects a survey, four eyes: not one they wrote.

    Whoever recorded a survey, or changed its answers, leaves its check to someone else, so that no one adds a
    WUB alone. The former TPL's own survey (recorded by their own login) is checked by anyone in scope.
    """
    return verifies_surveys_of(user, survey.facilitator) and not wrote_survey(user, survey)


def can_add_survey_business(user: User, facilitator: Facilitator) -> bool:
    """Whoever checks a TPL's surveys adds a verified new business to the registry."""
    return verifies_surveys_of(user, facilitator)


def can_start_job(user: User, name: str) -> bool:
    """Admins start any job now; evaluators only the metric computation. The queue's own job (run-queued-work,
    which starts the runs queued by Run now) runs every minute and is not queued itself."""
    if name == QUEUE_JOB:
        return False
    return user.has_role(Role.ADMIN) or (user.has_role(Role.EVALUATOR) and name in EVALUATOR_JOBS)
