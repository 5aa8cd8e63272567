"""The mentorship output report (the province's yearly report): what the TPL achieved in a period, per region or TPL.

For a period [start, end] (both days included) and a level (`province`, `kabkota` or `tpl`), one row per region or
TPL with:

- tpl_active: TPL with a contract overlapping the period (start <= end of period, effective end >= its start;
  effective end as METRIC.md defines it), counted in the placement of the latest such contract (greatest effective
  end, then start date, then id);
- businesses_mentored: distinct businesses with a mentorship overlapping the period (open mentorships run on);
- businesses_new: businesses whose first mentorship ever started in the period;
- activities: activities dated in the period, in total and per type (ActivityType: the page and its download show
  them; the command line's columns do not); activities_approved: those of them whose TPL's month (the monthly report
  of the activity's month) is approved;
- permits_issued and permits_<type>: permits with status issued and an issue date in the period, in total and per
  type (PermitType: nib, pirt, halal, merek, sni, tkdn, bpom);
- assessed_businesses: businesses with a follow-up assessment dated in the period and a baseline dated on or before
  it (the business's earliest baseline: the assessment rules make it its earliest assessment);
  median_turnover_change_pct and median_workers_change: medians over those businesses of the change from the
  baseline to the latest follow-up in the period (by date, then id); the turnover change in % of the baseline,
  rounded to 1 decimal, leaves out a business whose baseline turnover is 0 or either turnover is unknown; the workers
  change leaves out a business with either count unknown; empty when no business is left.

Regions: a business's region is where the business is (its own kabupaten/kota), and the figures of businesses
(mentored, new, permits, assessments) count there; a TPL's region is their placement on the date in question (the
contract running on an activity's date, else the TPL's latest placement), and the figures of TPL (active, activities)
count there. At the `tpl` level every figure counts for the TPL who did the work: the mentorship's TPL (for a new
business, the TPL of its first mentorship), the activity's, the permit's, the latest follow-up's.

Rows without any activity, mentored business or issued permit in the period are left out; rows are sorted by key
(the Kemendagri code, `82` or `82.71`, or the TPL's NIK). A supervisor's report counts what happened in their regions
and the work of the TPL assigned to them; evaluators and admins (and the command line) see the whole country.

The figures come from eight statements (six GROUP BY, and the follow-ups and baselines of the period; one more for the
TPL's names), whatever the number of rows.
"""

import statistics
from dataclasses import dataclass, field
from datetime import date, datetime

import sqlalchemy as sa
from flask_babel import gettext as _

from ..extensions import db
from ..models import (
    Activity,
    ActivityType,
    Assessment,
    AssessmentKind,
    Business,
    Contract,
    Facilitator,
    Mentorship,
    MonthlyReport,
    MonthStatus,
    PermitFacilitation,
    PermitStatus,
    PermitType,
    Role,
    User,
)
from . import ServiceError
from .exports import Column
from .policy import in_regions
from .regions import region_name

LEVELS = ("province", "kabkota", "tpl")
PERMIT_TYPES = tuple(PermitType.values())  # nib, pirt, halal, merek, sni, tkdn, bpom: the permits_<type> columns
ACTIVITY_TYPES = tuple(ActivityType.values())  # the activities_<type> columns of the page and its download
MAX_PERIOD_YEARS = 10  # a period ends before the same day ten years after its first
COUNTS = ("tpl_active", "businesses_mentored", "businesses_new", "activities", "activities_approved")


@dataclass
class OutputRow:
    """The figures of one region or TPL (or the total of a report) for the period."""

    level: str
    key: str
    name: str
    tpl_active: int = 0
    businesses_mentored: int = 0
    businesses_new: int = 0
    activities: int = 0
    activities_approved: int = 0
    activity_types: dict[str, int] = field(default_factory=dict)
    permits: dict[str, int] = field(default_factory=dict)
    turnover_changes: list[float] = field(default_factory=list)
    workers_changes: list[int] = field(default_factory=list)
    assessed_businesses: int = 0
    median_turnover_change_pct: float | None = None  # set by `finish`
    median_workers_change: float | None = None  # set by `finish`

    @property
    def permits_issued(self) -> int:
        """Permits issued in the period, every type."""
        return sum(self.permits.values())

    def permits_of(self, permit_type: str) -> int:
        """Permits of one type issued in the period."""
        return self.permits.get(permit_type, 0)

    def activities_of(self, activity_type: str) -> int:
        """Activities of one type dated in the period."""
        return self.activity_types.get(activity_type, 0)

    def finish(self) -> None:
        """Take the medians of the pooled changes, once: a report is kept and shown many times (its total pools every
        assessed business), and the changes are then let go."""
        if self.turnover_changes:
            self.median_turnover_change_pct = round(statistics.median(self.turnover_changes), 1)
        if self.workers_changes:
            median = statistics.median(self.workers_changes)
            self.median_workers_change = int(median) if median == int(median) else round(median, 1)
        self.turnover_changes, self.workers_changes = [], []

    @property
    def has_work(self) -> bool:
        """True when the row has an activity, a mentored business or an issued permit (else it is left out)."""
        return bool(self.activities or self.businesses_mentored or self.permits_issued)

    def add(self, other: "OutputRow") -> None:
        """Add another row's figures to this one (counts summed, the changes pooled for the medians)."""
        for name in COUNTS:
            setattr(self, name, getattr(self, name) + getattr(other, name))
        for permit_type, count in other.permits.items():
            self.permits[permit_type] = self.permits.get(permit_type, 0) + count
        for activity_type, count in other.activity_types.items():
            self.activity_types[activity_type] = self.activity_types.get(activity_type, 0) + count
        self.assessed_businesses += other.assessed_businesses
        self.turnover_changes.extend(other.turnover_changes)
        self.workers_changes.extend(other.workers_changes)


@dataclass
class OutputReport:
    """The rows of a report, sorted by key, and their total (counts summed, medians over all the rows' businesses)."""

    level: str
    start: date
    end: date
    rows: list[OutputRow]
    total: OutputRow
    counted_at: datetime | None = None  # when the rows were counted from the records (a kept report shows it)


def check_request(level: str | None, start: date | None, end: date | None) -> None:
    """Refuse an unknown level, a missing date, a period that ends before it starts or lasts more than ten years."""
    if level not in LEVELS:
        raise ServiceError(_("Choose the level: province, kabupaten/kota or TPL."), field="level")
    if start is None or end is None:
        raise ServiceError(_("Give the first and the last day of the period."), field="start")
    if start > end:
        raise ServiceError(
            _(
                "The period starts (%(start)s) after it ends (%(end)s).",
                start=start.strftime("%d/%m/%Y"),
                end=end.strftime("%d/%m/%Y"),
            ),
            field="start",
        )
    if end >= _years_after(start, MAX_PERIOD_YEARS):
        raise ServiceError(_("The period may last ten years at most."), field="end")


def _years_after(day: date, years: int) -> date:
    """The same day `years` later (29 February: 1 March when that year has none)."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return date(day.year + years, 3, 1)


def output_report(level: str, start: date, end: date, user: User | None = None) -> OutputReport:
    """The report of a period at a level, in the user's scope (None: the whole country, for the command line)."""
    check_request(level, start, end)
    scope = _Scope(user)
    grains: dict = {}

    def row(grain) -> OutputRow:
        if grain not in grains:
            grains[grain] = OutputRow(level=level, key="", name="")
        return grains[grain]

    for grain, count in _tpl_active(level, start, end, scope):
        row(grain).tpl_active += count
    for grain, activity_type, count, approved in _activities(level, start, end, scope):
        target = row(grain)
        target.activities += int(count)  # a sum: Decimal on PostgreSQL
        target.activities_approved += int(approved)
        target.activity_types[activity_type] = target.activity_types.get(activity_type, 0) + int(count)
    for grain, count in _businesses_mentored(level, start, end, scope):
        row(grain).businesses_mentored += count
    for grain, count in _businesses_new(level, start, end, scope):
        row(grain).businesses_new += count
    for grain, permit_type, count in _permits_issued(level, start, end, scope):
        permits = row(grain).permits
        permits[permit_type] = permits.get(permit_type, 0) + count
    for grain, turnover, workers, baseline_turnover, baseline_workers in _assessed(level, start, end, scope):
        target = row(grain)
        target.assessed_businesses += 1
        if turnover is not None and baseline_turnover:
            target.turnover_changes.append((turnover - baseline_turnover) * 100 / baseline_turnover)
        if workers is not None and baseline_workers is not None:
            target.workers_changes.append(workers - baseline_workers)
    rows = _keyed(level, {grain: figures for grain, figures in grains.items() if grain is not None})
    total = OutputRow(level=level, key="", name=_("Total"))
    for figures in rows:
        total.add(figures)
    for figures in (*rows, total):
        figures.finish()
    return OutputReport(level=level, start=start, end=end, rows=rows, total=total)


def _keyed(level: str, grains: dict) -> list[OutputRow]:
    """The rows of the level, keyed and named, with work in the period, by key: a kabupaten/kota's figures make its
    province's (each business and each TPL counts in one kabupaten/kota)."""
    if level == "tpl":
        people = dict.fromkeys(grains)
        for facilitator_id, nik, full_name in db.session.execute(
            sa.select(Facilitator.id, Facilitator.nik, Facilitator.full_name).where(Facilitator.id.in_(list(grains)))
        ):
            people[facilitator_id] = (nik, full_name)
        keyed = {}
        for facilitator_id, figures in grains.items():
            figures.key, figures.name = people[facilitator_id]
            keyed[figures.key] = figures
    else:
        keyed = {}
        for code, figures in grains.items():
            key = code[:2] if level == "province" else code
            if key not in keyed:
                keyed[key] = OutputRow(level=level, key=key, name=region_name(key))
            keyed[key].add(figures)
    return [keyed[key] for key in sorted(keyed) if keyed[key].has_work]


class _Scope:
    """Which facts a user's report counts: a supervisor's, those in their regions or by the TPL assigned to them."""

    def __init__(self, user: User | None):
        self.everything = user is None or user.has_role(Role.ADMIN, Role.EVALUATOR)
        self.user = user

    def condition(self, region, facilitator_id):
        """SQL condition on a fact's region (a kabupaten/kota code) and TPL."""
        if self.everything:
            return sa.true()
        if not self.user.has_role(Role.SUPERVISOR):
            return sa.false()
        assigned = sa.select(Facilitator.id).where(Facilitator.supervisor_id == self.user.id)
        return sa.or_(in_regions(region, self.user.region_codes), facilitator_id.in_(assigned))


def _grain(level: str, region, facilitator_id):
    """What a statement groups by: the TPL at the tpl level, else the kabupaten/kota (provinces are summed from it)."""
    return facilitator_id if level == "tpl" else region


def _tpl_active(level: str, start: date, end: date, scope: _Scope):
    """(grain, TPL under contract in the period), each TPL in the placement of their latest overlapping contract."""
    latest_first = (Contract.effective_end.desc(), Contract.start_date.desc(), Contract.id.desc())
    ranked = (
        sa.select(
            Contract.facilitator_id,
            Contract.placement_code,
            sa.func.row_number().over(partition_by=Contract.facilitator_id, order_by=latest_first).label("rank"),
        )
        .where(Contract.start_date <= end, Contract.effective_end >= start)
        .subquery()
    )
    grain = _grain(level, ranked.c.placement_code, ranked.c.facilitator_id)
    query = (
        sa.select(grain, sa.func.count())
        .where(ranked.c.rank == 1, scope.condition(ranked.c.placement_code, ranked.c.facilitator_id))
        .group_by(grain)
    )
    return db.session.execute(query).all()


def _month_start(day):
    """SQL: the first day of the month of a date (a monthly report's period)."""
    if db.session.get_bind().dialect.name == "postgresql":
        return sa.cast(sa.func.date_trunc("month", day), sa.Date)
    return sa.func.date(day, "start of month")


def _activities(level: str, start: date, end: date, scope: _Scope):
    """(grain, type, activities in the period, of them in an approved month), by the TPL's placement on the day."""
    # Counted per TPL and day first: the contract and the month are then looked up once per day, in the TPL's order
    # (half the time of a lookup per activity on SQLite at 50,000 activities a year).
    per_day = (
        sa.select(
            Activity.facilitator_id,
            Activity.date.label("day"),
            Activity.type.label("type"),
            sa.func.count().label("count"),
        )
        .where(Activity.date.between(start, end))
        .group_by(Activity.facilitator_id, Activity.date, Activity.type)
        .subquery()
    )
    latest_placement = sa.select(Facilitator.region_code).where(Facilitator.id == per_day.c.facilitator_id)
    region = sa.func.coalesce(Contract.placement_code, latest_placement.scalar_subquery())
    grain = _grain(level, region, per_day.c.facilitator_id)
    approved = sa.case((MonthlyReport.id.is_not(None), per_day.c.count), else_=0)
    query = (
        sa.select(grain, per_day.c.type, sa.func.sum(per_day.c.count), sa.func.sum(approved))
        .select_from(per_day)
        .outerjoin(
            Contract,
            sa.and_(
                Contract.facilitator_id == per_day.c.facilitator_id,
                Contract.start_date <= per_day.c.day,
                Contract.effective_end >= per_day.c.day,
            ),
        )
        .outerjoin(
            MonthlyReport,
            sa.and_(
                MonthlyReport.facilitator_id == per_day.c.facilitator_id,
                MonthlyReport.period == _month_start(per_day.c.day),
                MonthlyReport.status == MonthStatus.APPROVED.value,
                # The months of the period only (PostgreSQL would otherwise hash every approved month ever).
                MonthlyReport.period.between(start.replace(day=1), end),
            ),
        )
        .where(scope.condition(region, per_day.c.facilitator_id))
        .group_by(grain, per_day.c.type)
    )
    return db.session.execute(query).all()


def _businesses_mentored(level: str, start: date, end: date, scope: _Scope):
    """(grain, distinct businesses with a mentorship overlapping the period)."""
    grain = _grain(level, Business.region_code, Mentorship.facilitator_id)
    query = (
        sa.select(grain, sa.func.count(sa.distinct(Mentorship.business_id)))
        .join(Business, Business.id == Mentorship.business_id)
        .where(
            Mentorship.start_date <= end,
            sa.or_(Mentorship.end_date.is_(None), Mentorship.end_date >= start),
            scope.condition(Business.region_code, Mentorship.facilitator_id),
        )
        .group_by(grain)
    )
    return db.session.execute(query).all()


def _businesses_new(level: str, start: date, end: date, scope: _Scope):
    """(grain, businesses whose first mentorship ever started in the period), counted for that mentorship's TPL."""
    earlier = sa.orm.aliased(Mentorship)
    grain = _grain(level, Business.region_code, Mentorship.facilitator_id)
    query = (
        sa.select(grain, sa.func.count(sa.distinct(Mentorship.business_id)))
        .join(Business, Business.id == Mentorship.business_id)
        .where(
            Mentorship.start_date.between(start, end),
            ~sa.exists().where(
                earlier.business_id == Mentorship.business_id, earlier.start_date < Mentorship.start_date
            ),
            scope.condition(Business.region_code, Mentorship.facilitator_id),
        )
        .group_by(grain)
    )
    return db.session.execute(query).all()


def _permits_issued(level: str, start: date, end: date, scope: _Scope):
    """(grain, permit type, permits issued in the period)."""
    grain = _grain(level, Business.region_code, PermitFacilitation.facilitator_id)
    # Spelled as ix_permits_status_on's expression (the status as a constant), so that the index finds the period.
    issued = PermitFacilitation.status == sa.literal_column(f"'{PermitStatus.ISSUED.value}'")
    query = (
        sa.select(grain, PermitFacilitation.permit_type, sa.func.count())
        .join(Business, Business.id == PermitFacilitation.business_id)
        .where(
            issued,
            PermitFacilitation.status_on.between(start, end),
            scope.condition(Business.region_code, PermitFacilitation.facilitator_id),
        )
        .group_by(grain, PermitFacilitation.permit_type)
    )
    return db.session.execute(query).all()


def _assessed(level: str, start: date, end: date, scope: _Scope):
    """(grain, turnover, workers, baseline turnover, baseline workers) of each business with a follow-up in the
    period (its latest) and a baseline on or before it (its earliest).

    Two plain statements and the choice in Python: a window over the assessments made SQLite read the whole table
    through the business index (a quarter of a second on the national data, against a twentieth)."""
    in_period = sa.and_(Assessment.kind == AssessmentKind.FOLLOW_UP.value, Assessment.assessed_on.between(start, end))
    grain = _grain(level, Business.region_code, Assessment.facilitator_id)
    follow_ups = db.session.execute(
        sa.select(
            Assessment.business_id,
            Assessment.assessed_on,
            Assessment.id,
            grain,
            Assessment.turnover,
            Assessment.workers,
            scope.condition(Business.region_code, Assessment.facilitator_id),
        )
        .join(Business, Business.id == Assessment.business_id)
        .where(in_period)
    )
    latest: dict[int, tuple] = {}
    for business_id, assessed_on, assessment_id, *rest in follow_ups:
        if business_id not in latest or (assessed_on, assessment_id) > latest[business_id][:2]:
            latest[business_id] = (assessed_on, assessment_id, *rest)
    baselines = db.session.execute(
        sa.select(
            Assessment.business_id, Assessment.assessed_on, Assessment.id, Assessment.turnover, Assessment.workers
        ).where(
            Assessment.kind == AssessmentKind.BASELINE.value,
            Assessment.business_id.in_(sa.select(Assessment.business_id).where(in_period)),
        )
    )
    earliest: dict[int, tuple] = {}
    for business_id, assessed_on, assessment_id, turnover, workers in baselines:
        if business_id not in earliest or (assessed_on, assessment_id) < earliest[business_id][:2]:
            earliest[business_id] = (assessed_on, assessment_id, turnover, workers)
    pairs = []
    for business_id, (assessed_on, _id, grain_value, turnover, workers, in_scope) in latest.items():
        baseline = earliest.get(business_id)
        if in_scope and baseline is not None and baseline[0] <= assessed_on:
            pairs.append((grain_value, turnover, workers, baseline[2], baseline[3]))
    return pairs


# --- as a file --------------------------------------------------------------------------------------------------------

FILE_FIGURES = (
    ("tpl_active", "int"),
    ("businesses_mentored", "int"),
    ("businesses_new", "int"),
    ("activities", "int"),
    ("activities_approved", "int"),
    ("permits_issued", "int"),
    *((f"permits_{permit_type}", "int") for permit_type in PERMIT_TYPES),
    ("assessed_businesses", "int"),
    ("median_turnover_change_pct", "number"),
    ("median_workers_change", "number"),
)


def figure(row: OutputRow, name: str):
    """A figure of a row by its column name (`permits_halal` and `activities_kunjungan` included)."""
    if name.startswith("permits_") and name != "permits_issued":
        return row.permits_of(name.removeprefix("permits_"))
    if name.startswith("activities_") and name != "activities_approved":
        return row.activities_of(name.removeprefix("activities_"))
    return getattr(row, name)


def file_columns() -> list[Column]:
    """The command line's columns: level, key, name, then every figure, headed by their names."""
    figures = [Column(name, lambda row, name=name: figure(row, name), kind=kind) for name, kind in FILE_FIGURES]
    return [
        Column("level", lambda row: row.level),
        Column("key", lambda row: row.key),
        Column("name", lambda row: row.name),
        *figures,
    ]
