"""The supervisor's tools: the roster of TPL with their figures and flags, targets, and handover of businesses.

Roster flags (shown on the roster page):
- no activity in 14 days: the TPL is under contract today and has no activity dated in the 14 days up to today;
- month not submitted: today is at least the 6th of the month, the TPL's contract covered (part of) the previous
  month, and that month is neither submitted nor approved;
- below target: a target is set for this year, the TPL's contract covers (part of) this month, and visits
  (activities of type kunjungan) this month < visits per month x days gone in the month / days in the month (rounded
  down: the whole target on the month's last day), or open mentorships < businesses, or permits issued this year <
  permits per year x months completed this year / 12 (rounded down).

The roster is computed for a month: the current one ("today" is today) or a past one, whose "today" is its last day.
A flag filter of today reads each TPL's flags from services/roster_flags.py's table, which stores what `flag_values`
computes here.
"""

import calendar
import functools
from dataclasses import dataclass
from datetime import date, timedelta

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.orm import aliased, contains_eager, selectinload
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.orm.util import identity_key

from ..database import in_list, list_param, one_of
from ..dates import programme_today
from ..extensions import db
from ..formatting import day
from ..models import (
    LOCKED_STATUSES,
    Activity,
    Assessment,
    Business,
    Contract,
    Facilitator,
    Mentorship,
    MonthlyReport,
    PermitFacilitation,
    Role,
    RosterFlag,
    Target,
    User,
)
from . import Problems, audit
from .businesses import open_mentorship
from .months import covers_month, month_start, month_statuses, next_month, previous_month
from .policy import copied_scope, facilitator_scope, in_regions, one_of_select

FLAGS = ["no_activity", "month_late", "below_target"]
QUIET_DAYS = 14
SUBMISSION_GRACE_DAYS = 5
TARGET_MAX = 999
TARGET_YEARS = (2000, 2100)  # the first and the last year a target may be set for
MAX_HANDOVER_REASON = 300


@dataclass
class RosterPeriod:
    """The dates a roster is computed for."""

    today: date
    month: date
    month_end: date
    previous: date
    previous_end: date
    year_start: date
    quiet_since: date  # an activity after this day keeps the "no activity" flag down
    flags_since: date  # the first day whose activities the flags read
    year: int
    months_completed: int
    days_gone: int  # days of the month up to and including `today`
    days_in_month: int
    late_due: bool  # whether the previous month can be late yet (the grace days are over)

    @classmethod
    def of(cls, today: date) -> "RosterPeriod":
        """The periods around `today`."""
        month = month_start(today)
        previous = previous_month(month)
        quiet_since = today - timedelta(days=QUIET_DAYS)
        return cls(
            today=today,
            month=month,
            month_end=next_month(month) - timedelta(days=1),
            previous=previous,
            previous_end=month - timedelta(days=1),
            year_start=date(today.year, 1, 1),
            quiet_since=quiet_since,
            flags_since=min(month, quiet_since),
            year=today.year,
            months_completed=today.month - 1,
            days_gone=today.day,
            days_in_month=days_in_month(today),
            late_due=today >= month + timedelta(days=SUBMISSION_GRACE_DAYS),
        )

    @classmethod
    def bound(cls, late_due: bool) -> "RosterPeriod":
        """A period whose dates and numbers are bind parameters (`params` gives their values): a statement built
        from it is built once and reused, instead of being built again at every request."""
        fields = {name: sa.bindparam(f"period_{name}", type_=sa.Date) for name in _PERIOD_DATES}
        fields |= {name: sa.bindparam(f"period_{name}", type_=sa.Integer) for name in _PERIOD_NUMBERS}
        return cls(**fields, late_due=late_due)

    def params(self) -> dict:
        """The values of the bind parameters of a `bound` period."""
        return {f"period_{name}": getattr(self, name) for name in (*_PERIOD_DATES, *_PERIOD_NUMBERS)}


_PERIOD_DATES = ("today", "month", "month_end", "previous", "previous_end", "year_start", "quiet_since", "flags_since")
_PERIOD_NUMBERS = ("year", "months_completed", "days_gone", "days_in_month")


def days_in_month(day: date) -> int:
    """How many days the month of `day` has."""
    return calendar.monthrange(day.year, day.month)[1]


def roster_today(month: date | None, today: date) -> date:
    """The "today" a roster of `month` is computed for: today in the current month (or without a month), the last
    day of a past month. A future month is the caller's to refuse."""
    if month is None or month_start(month) >= month_start(today):
        return today
    return next_month(month_start(month)) - timedelta(days=1)


def _contract_overlaps(start: date, end: date):
    """SQL condition: the facilitator (outer row) has a contract overlapping start..end."""
    return sa.exists().where(
        Contract.facilitator_id == Facilitator.id, Contract.start_date <= end, Contract.effective_end >= start
    )


# The roster's aliases, made once: an alias builds its columns on first use, which took milliseconds per request.
_THIS_MONTH = aliased(MonthlyReport, name="this_month")
_LAST_MONTH = aliased(MonthlyReport, name="last_month")
_TARGET = aliased(Target, name="target")


def _figures(p: RosterPeriod, ids: sa.BindParameter | sa.Select | None = None, flags_only: bool = False) -> dict:
    """Aggregate subqueries grouped by facilitator and the columns and flags built from them.

    With `ids` (a page of the roster, or a select of the TPL a filter keeps) the aggregates read only those TPL's
    rows instead of every TPL's. With `flags_only` they read only the activities the flags look at (this month's
    and the last QUIET_DAYS'), so that filtering by a flag does not grow with years of history; the
    `last_activity` column is then the last one in that window.
    """

    def only_page(column):
        if ids is None:
            return sa.true()
        return in_list(column, ids) if isinstance(ids, sa.BindParameter) else column.in_(ids)

    window = Activity.date >= p.flags_since if flags_only else sa.true()

    activities = (
        sa.select(
            Activity.facilitator_id.label("fid"),
            sa.func.count().filter(Activity.date >= p.month, Activity.date <= p.month_end).label("month_count"),
            sa.func.count()
            .filter(Activity.date >= p.month, Activity.date <= p.month_end, Activity.type == "kunjungan")
            .label("month_visits"),
            sa.func.max(Activity.date).filter(Activity.date <= p.today).label("last_date"),
        )
        .where(only_page(Activity.facilitator_id), window)
        .group_by(Activity.facilitator_id)
        .subquery("act")
    )
    mentorships = (
        sa.select(Mentorship.facilitator_id.label("fid"), sa.func.count().label("open_count"))
        .where(_mentorship_open_on(p.today), only_page(Mentorship.facilitator_id))
        .group_by(Mentorship.facilitator_id)
        .subquery("men")
    )
    permits = (
        sa.select(
            PermitFacilitation.facilitator_id.label("fid"),
            sa.func.count().label("year_count"),
            sa.func.count().filter(PermitFacilitation.issued_on >= p.month).label("month_count"),
        )
        .where(
            PermitFacilitation.status == "issued",
            PermitFacilitation.issued_on >= p.year_start,
            PermitFacilitation.issued_on <= p.today,
            only_page(PermitFacilitation.facilitator_id),
        )
        .group_by(PermitFacilitation.facilitator_id)
        .subquery("per")
    )
    this_month, last_month, target = _THIS_MONTH, _LAST_MONTH, _TARGET
    month_count = sa.func.coalesce(activities.c.month_count, 0)
    month_visits = sa.func.coalesce(activities.c.month_visits, 0)
    open_count = sa.func.coalesce(mentorships.c.open_count, 0)
    permits_year = sa.func.coalesce(permits.c.year_count, 0)
    no_activity = sa.and_(
        _contract_overlaps(p.today, p.today),
        sa.or_(activities.c.last_date.is_(None), activities.c.last_date < p.quiet_since),
    )
    if p.late_due:
        month_late = sa.and_(
            _contract_overlaps(p.previous, p.previous_end),
            sa.or_(last_month.status.is_(None), last_month.status.not_in(LOCKED_STATUSES)),
        )
    else:
        month_late = sa.false()
    # Whole numbers only, the same on SQLite and PostgreSQL (see expected_visits and expected_permits):
    # visits < floor(per_month * gone / days)  <=>  days * (visits + 1) <= per_month * gone
    # permits < floor(per_year * completed / 12)  <=>  12 * (permits + 1) <= per_year * completed
    below_target = sa.and_(
        target.id.is_not(None),
        _contract_overlaps(p.month, p.month_end),
        sa.or_(
            p.days_in_month * (month_visits + 1) <= target.visits_per_month * p.days_gone,
            open_count < target.businesses,
            12 * (permits_year + 1) <= target.permits_per_year * p.months_completed,
        ),
    )
    joins = [
        (activities, activities.c.fid == Facilitator.id),
        (mentorships, mentorships.c.fid == Facilitator.id),
        (permits, permits.c.fid == Facilitator.id),
        # The page's TPL named on the months and targets too: each is then read by its index for those TPL, not as
        # every TPL's month of the country hashed against the page.
        (this_month, _for_page(this_month, p.month, this_month.period, only_page)),
        (last_month, _for_page(last_month, p.previous, last_month.period, only_page)),
        (target, _for_page(target, p.year, target.year, only_page)),
    ]
    columns = {
        "month_activities": month_count,
        "month_visits": month_visits,
        "open_mentorships": open_count,
        "permits_year": permits_year,
        "permits_month": sa.func.coalesce(permits.c.month_count, 0),
        "last_activity": activities.c.last_date,
        "month_status": this_month.status,
        "previous_status": last_month.status,
        "target_visits": target.visits_per_month,
        "target_businesses": target.businesses,
        "target_permits": target.permits_per_year,
    }
    flags = {"no_activity": no_activity, "month_late": month_late, "below_target": below_target}
    return {"joins": joins, "columns": columns, "flags": flags}


def _for_page(table, value, column, only_page):
    """The join condition of a TPL's month or target row: theirs, of that month or year, among the page's TPL."""
    return sa.and_(table.facilitator_id == Facilitator.id, column == value, only_page(table.facilitator_id))


def _mentorship_open_on(day: date):
    """SQL condition: the mentorship runs on `day` (started on or before it, not ended by then)."""
    return sa.and_(Mentorship.start_date <= day, sa.or_(Mentorship.end_date.is_(None), Mentorship.end_date > day))


def _joined(query, figures: dict):
    for table, condition in figures["joins"]:
        query = query.outerjoin(table, condition)
    return query


def _under_contract(start: date, end: date, scope=None):
    """SQL condition: the TPL (outer row) has a contract overlapping start..end, read from the contracts that end on or
    after `start` (ix_contracts_current: the running ones, not the programme's whole history).

    `scope`: a supervisor's scope on the contracts' copies of their TPL's supervisor and region
    (`policy.copied_scope`): their running contracts are then read from the indexes by supervisor or region and
    effective end, and their TPL by id, instead of the province's TPL of every year against the country's contracts.
    """
    running = sa.select(Contract.facilitator_id).where(Contract.effective_end >= start, Contract.start_date <= end)
    if scope is None:
        return Facilitator.id.in_(running)
    return one_of_select(Facilitator.id, running.where(scope))


# A national roster's capped count (pagination.paginate's `count_order`) reads the newest TPL first: those under
# contract are the latest cohorts, whose ids come last among the TPL of every year since 2007 (counted from the first
# id, PostgreSQL walked 91,000 ids to find 1,026 at 100,000 TPL: 10 to 19 ms, 1 ms this way). The same count either way.
ROSTER_COUNT_ORDER = (Facilitator.id.desc(),)


def gathers_whole(user: User, flag: str | None, include_all: bool) -> bool:
    """Whether the roster gathers its TPL whole before sorting them by name (a supervisor's TPL under contract, or
    with a flag raised), so that their number can come with the page (`pagination.with_total`). Nationally a page is
    read in name order and its count is capped, as for the other national lists."""
    if user.has_role(Role.ADMIN, Role.EVALUATOR):
        return False
    return bool(flag) or not include_all


def _roster_base(user: User, p: RosterPeriod, q: str | None, region: str | None, include_all: bool):
    """A select of the TPL in scope the roster's filters other than the flag keep."""
    query = sa.select(Facilitator).where(facilitator_scope(user))
    if not include_all:
        query = query.where(_under_contract(p.month, p.month_end, copied_scope(user, Contract)))
    if q and q.strip():
        query = query.where(sa.func.lower(Facilitator.full_name).like(f"%{q.strip().lower()}%"))
    if region:
        query = query.where(in_regions(Facilitator.region_code, [region]))
    return query


def _labelled(figures: dict) -> list:
    """The figures' columns and flags, each labelled with its name (a flag as true or false)."""
    labelled = [column.label(name) for name, column in figures["columns"].items()]
    return labelled + [
        sa.case((condition, True), else_=False).label(name) for name, condition in figures["flags"].items()
    ]


def _raised(flags: dict, flag: str):
    """SQL condition: `flag` (or any flag, "any") is raised among `flags` (name: condition or column)."""
    return sa.or_(*flags.values()) if flag == "any" else flags[flag]


def _flagged_live(ids: sa.Select, p: RosterPeriod, flag: str, name: str = "roster"):
    """A CTE of the ids (of the select `ids`) of the TPL with `flag` (or any flag) raised, computed here."""
    # The figures are needed only to filter by a flag, and then only for the TPL the other filters keep.
    # The TPL the other filters keep, found once (a CTE the database computes once) for the three aggregates.
    kept = ids.cte(f"{name}_kept").prefix_with("MATERIALIZED")
    figures = _figures(p, sa.select(kept.c.id), flags_only=True)
    # The TPL with the flag raised, computed whole and once (each aggregate joined by hash), then paged: joined
    # under the page's LIMIT, PostgreSQL would loop over every aggregate row for each TPL.
    flagged = _joined(sa.select(Facilitator.id).where(Facilitator.id.in_(sa.select(kept.c.id))), figures)
    return flagged.where(_raised(figures["flags"], flag)).cte(f"{name}_flagged").prefix_with("MATERIALIZED")


def _flagged(query, p: RosterPeriod, flag: str, include_all: bool, gathered: bool, scope=None) -> sa.Select:
    """A select of ids among which the TPL of `query` with `flag` (or any flag) raised are (`gathered`: the caller
    gathers them whole, see `gathers_whole`, and the ids are those TPL exactly; otherwise the caller keeps those of
    `query`). `scope`: the user's scope on the table's copies of supervisor and region (`policy.copied_scope`).

    Today's flags are read from services/roster_flags.py's table where a TPL has a row of today that the
    transaction under way has not made stale; the others (a past month's roster, a new day before the job, a TPL
    changed in this transaction) are computed here, so the answer is the same either way.
    """
    from .roster_flags import complete, flaggable_ids, touched

    ids = query.with_only_columns(Facilitator.id)
    if p.today != programme_today():
        return sa.select(_flagged_live(ids, p, flag).c.id)
    changed = sorted(touched())
    raised = _raised({name: getattr(RosterFlag, name) for name in FLAGS}, flag)
    whole = not changed and complete(p.today)  # no TPL kept can lack a row of today
    if whole and not gathered:
        # The rows with the flag raised, which the roster's own conditions then narrow: nationally a page is read
        # in name order until it is full.
        return sa.select(RosterFlag.facilitator_id).where(RosterFlag.as_of == p.today, raised)
    if whole and scope is not None:
        # A supervisor's: the rows of their scope with the flag raised, read by the rows' copies of the TPL's supervisor
        # and region, each TPL then checked against the roster's conditions (finding their TPL under contract first
        # read the province's TPL of every year: 17 ms at 100,000 TPL).
        candidates = sa.select(RosterFlag.facilitator_id).where(RosterFlag.as_of == p.today, raised, scope)
        return ids.where(Facilitator.id.in_(candidates))
    # The TPL kept, found once (read in name order under a scope's condition, PostgreSQL walked every TPL).
    kept = ids.cte("stored_kept").prefix_with("MATERIALIZED")
    fresh = sa.and_(RosterFlag.as_of == p.today, RosterFlag.facilitator_id.not_in(changed))
    stored = (
        sa.select(RosterFlag.facilitator_id.label("id"))
        .join(kept, kept.c.id == RosterFlag.facilitator_id)
        .where(fresh, raised)
    )
    if whole:
        return stored
    # The TPL without a row to read; without `include_all` every TPL kept is under contract this month, and so may
    # have a flag raised.
    without_row = sa.select(kept.c.id).where(~sa.exists().where(RosterFlag.facilitator_id == kept.c.id, fresh))
    if include_all:
        without_row = without_row.where(kept.c.id.in_(flaggable_ids(p.today)))
    live = _flagged_live(without_row, p, flag, name="live")
    flagged = sa.union_all(stored, sa.select(live.c.id)).cte("roster_flagged")
    return sa.select(flagged.c.id)


def flag_values(ids: list[int], today: date) -> sa.Select:
    """A select of (facilitator_id, as_of, no_activity, month_late, below_target) of the given TPL as of `today`:
    what services/roster_flags.py stores."""
    p = RosterPeriod.of(today)
    return flag_values_statement(p.late_due, _dialect()).params(p.params() | {"ids": ids})


@functools.cache
def flag_values_statement(late_due: bool, dialect: str) -> sa.Select:
    """flag_values' statement, built once per database kind: the period (`RosterPeriod.params`) and the TPL
    (`ids`) are bind parameters."""
    p = RosterPeriod.bound(late_due)
    ids = list_param(dialect, sa.Integer(), "ids")
    figures = _figures(p, ids, flags_only=True)
    flags = [sa.case((figures["flags"][name], True), else_=False).label(name) for name in FLAGS]
    query = sa.select(Facilitator.id.label("facilitator_id"), p.today.label("as_of"), *flags)
    return _joined(query, figures).where(in_list(Facilitator.id, ids))


@functools.cache
def _rows_statement(late_due: bool, dialect: str) -> sa.Select:
    """roster_rows' statement, built once per database kind: its period and TPL ids are bind parameters."""
    p = RosterPeriod.bound(late_due)
    ids = list_param(dialect, sa.Integer(), "ids")
    figures = _figures(p, ids)
    return _joined(sa.select(Facilitator.id, *_labelled(figures)), figures).where(in_list(Facilitator.id, ids))


def _dialect() -> str:
    return db.session.get_bind().dialect.name


def roster_query(
    user: User,
    q: str | None = None,
    region: str | None = None,
    flag: str | None = None,
    include_all: bool = False,
    today: date | None = None,
):
    """A select of the TPL on the roster (TPL in scope, under contract this month unless `include_all`)."""
    p = RosterPeriod.of(today or programme_today())
    query = _roster_base(user, p, q, region, include_all)
    if flag == "any" or flag in FLAGS:
        gathered = gathers_whole(user, flag, include_all)
        flagged = _flagged(query, p, flag, include_all, gathered, copied_scope(user, RosterFlag))
        query = (sa.select(Facilitator) if gathered else query).where(Facilitator.id.in_(flagged))
    elif gathers_whole(user, flag, include_all):
        # A supervisor's TPL under contract, found first and then sorted by name: read in name order instead,
        # PostgreSQL walked the province's TPL of every year since 2007 to fill a page. Nationally the name order
        # fills a page sooner (about one TPL in twelve is under contract).
        kept = query.with_only_columns(Facilitator.id).cte("roster_kept").prefix_with("MATERIALIZED")
        query = sa.select(Facilitator).where(Facilitator.id.in_(sa.select(kept.c.id)))
    return query.options(selectinload(Facilitator.contracts)).order_by(Facilitator.full_name, Facilitator.id)


def _row_values(row, p: RosterPeriod) -> dict:
    """A roster row's figures as read, with the names of its flags raised and the targets it misses."""
    values = dict(row)
    values["flags"] = [name for name in FLAGS if values[name]]
    values["missed"] = (
        missed_targets(
            {
                "visits_per_month": values["target_visits"],
                "businesses": values["target_businesses"],
                "permits_per_year": values["target_permits"],
            },
            {
                "visits": values["month_visits"],
                "businesses": values["open_mentorships"],
                "permits": values["permits_year"],
            },
            p.today,
        )
        if values["below_target"]
        else []
    )
    return values


def roster_rows(facilitators: list[Facilitator], today: date | None = None) -> dict[int, dict]:
    """The figures and flags of a page of TPL, in one query: {facilitator_id: {name: value}}."""
    if not facilitators:
        return {}
    p = RosterPeriod.of(today or programme_today())
    params = p.params() | {"ids": [f.id for f in facilitators]}
    rows = {}
    for row in db.session.execute(_rows_statement(p.late_due, _dialect()), params).mappings():
        values = _row_values(row, p)
        rows[values.pop("id")] = values
    return rows


def flagged_head(user: User, today: date | None = None, limit: int = 5) -> tuple[list[tuple[Facilitator, dict]], int]:
    """The first `limit` TPL by name of the roster filtered by `flag=any` (this month, the user's scope), each with
    its roster row (flags and targets missed), and the number of all of them: the roster's own flag query."""
    p = RosterPeriod.of(today or programme_today())
    base = _roster_base(user, p, None, None, False)
    query = (
        sa.select(Facilitator, sa.func.count().over().label("head_total"))
        .where(Facilitator.id.in_(_flagged(base, p, "any", False, True, copied_scope(user, RosterFlag))))
        .order_by(Facilitator.full_name, Facilitator.id)
        .limit(limit)
    )
    rows = db.session.execute(query).all()
    figures = roster_rows([row[0] for row in rows], p.today)
    return [(row[0], figures[row[0].id]) for row in rows], rows[0].head_total if rows else 0


def expected_visits(per_month: int, today: date) -> int:
    """Visits expected by `today` in its month: per month x days gone / days in the month, rounded down (the whole
    target on the month's last day)."""
    return per_month * today.day // days_in_month(today)


def expected_permits(per_year: int, today: date) -> int:
    """Permits expected by now: per year x months completed this year / 12, rounded down."""
    return per_year * (today.month - 1) // 12


@dataclass
class MissedTarget:
    """One target a TPL is below on a day: which (`visits`, `businesses`, `permits`), the actual and the expected
    figure, and whether the expected figure is pro-rated (`so_far`)."""

    kind: str
    actual: int
    expected: int
    so_far: bool


def missed_targets(target, actuals: dict[str, int], today: date) -> list[MissedTarget]:
    """The targets (a Target or a dict of its three figures) that `actuals` (visits this month, open mentorships,
    permits issued this year) are below on `today`, as the roster's "below target" flag judges them."""
    if target is None:
        return []

    def figure(name):
        return target[name] if isinstance(target, dict) else getattr(target, name)

    month_complete = today.day == days_in_month(today)
    candidates = [
        MissedTarget(
            "visits", actuals["visits"], expected_visits(figure("visits_per_month"), today), not month_complete
        ),
        MissedTarget("businesses", actuals["businesses"], figure("businesses"), False),
        MissedTarget("permits", actuals["permits"], expected_permits(figure("permits_per_year"), today), True),
    ]
    return [missed for missed in candidates if missed.actual < missed.expected]


def target_of(facilitator_id: int, year: int) -> Target | None:
    """A TPL's target of one year, if set."""
    return db.session.scalar(sa.select(Target).where(Target.facilitator_id == facilitator_id, Target.year == year))


def year_actuals(facilitator_id: int, today: date) -> dict[str, int]:
    """Visits this month, open mentorships, and permits issued this year up to today (one statement)."""
    month = month_start(today)

    def count(model, *conditions):
        return sa.select(sa.func.count()).select_from(model).where(*conditions).scalar_subquery()

    row = db.session.execute(
        sa.select(
            count(
                Activity,
                Activity.facilitator_id == facilitator_id,
                Activity.type == "kunjungan",
                Activity.date >= month,
                Activity.date < next_month(month),
            ).label("visits"),
            count(Mentorship, Mentorship.facilitator_id == facilitator_id, Mentorship.end_date.is_(None)).label(
                "businesses"
            ),
            count(
                PermitFacilitation,
                PermitFacilitation.facilitator_id == facilitator_id,
                PermitFacilitation.status == "issued",
                PermitFacilitation.issued_on >= date(today.year, 1, 1),
                PermitFacilitation.issued_on <= today,
            ).label("permits"),
        )
    ).one()
    return {"visits": row.visits or 0, "businesses": row.businesses or 0, "permits": row.permits or 0}


def facilitator_work(facilitator: Facilitator, today: date | None = None) -> dict:
    """One TPL's work for the supervisor's page: mentorships, recent activities, permits, assessments, months."""
    today = today or programme_today()
    activities = list(
        db.session.scalars(
            sa.select(Activity)
            .where(Activity.facilitator_id == facilitator.id)
            .options(selectinload(Activity.businesses))
            .order_by(Activity.date.desc(), Activity.id.desc())
            .limit(50)
        )
    )
    mentorships = list(
        db.session.scalars(
            sa.select(Mentorship)
            .where(Mentorship.facilitator_id == facilitator.id)
            .order_by(Mentorship.end_date.is_not(None), Mentorship.start_date.desc(), Mentorship.id.desc())
        )
    )
    permits = list(
        db.session.scalars(
            sa.select(PermitFacilitation)
            .where(PermitFacilitation.facilitator_id == facilitator.id)
            .order_by(PermitFacilitation.id.desc())
        )
    )
    permits_by_status = {
        status: [p for p in permits if p.status == status] for status in ("planned", "submitted", "issued", "rejected")
    }
    assessments = list(
        db.session.scalars(
            sa.select(Assessment)
            .where(Assessment.facilitator_id == facilitator.id)
            .order_by(Assessment.assessed_on.desc(), Assessment.id.desc())
        )
    )
    _attach_businesses([*mentorships, *permits, *assessments])
    first = month_start(today)
    periods = [first]
    for _i in range(11):
        periods.append(previous_month(periods[-1]))
    covered = [period for period in periods if covers_month(facilitator, period)]
    statuses = month_statuses((facilitator.id, period) for period in covered)
    months = [(period, statuses[(facilitator.id, period)]) for period in covered]
    target = target_of(facilitator.id, today.year)
    actuals = year_actuals(facilitator.id, today)
    return {
        "mentorships": mentorships,
        "activities": activities,
        "permits_by_status": permits_by_status,
        "assessments": assessments,
        "months": months,
        "target": target,
        "actuals": actuals,
        "expected_permits": expected_permits(target.permits_per_year, today) if target else None,
        "expected_visits": expected_visits(target.visits_per_month, today) if target else None,
        "missed": missed_targets(target, actuals, today) if covers_month(facilitator, month_start(today)) else [],
    }


def _attach_businesses(records: list) -> None:
    """Give the TPL's mentorships, permits and assessments their business, reading those not in the session yet
    in one statement (the businesses are mostly the same few, often already read with the activities)."""
    ids = {record.business_id for record in records}
    businesses = {i: db.session.identity_map.get(identity_key(Business, i)) for i in ids}
    missing = [i for i, business in businesses.items() if business is None]
    if missing:
        query = sa.select(Business).where(one_of(Business.id, missing))
        businesses.update((business.id, business) for business in db.session.scalars(query))
    for record in records:
        set_committed_value(record, "business", businesses[record.business_id])


def handover_due(facilitator: Facilitator, today: date | None = None, days: int = 30) -> bool:
    """True when the TPL's last contract has ended or ends within `days`: time to hand the businesses over."""
    today = today or programme_today()
    end = facilitator.exit_date
    return end is not None and end <= today + timedelta(days=days)


# --- the supervisor's home -----------------------------------------------------------------------------------

HOME_ROWS = 5  # rows of the review queue and of the TPL needing attention on the supervisor's home page


@dataclass
class SupervisorHome:
    """What the supervisor's home page shows of the review queue and of the TPL with a roster flag raised."""

    queue: list[MonthlyReport]
    queue_total: int
    attention: list[tuple[Facilitator, dict]]  # (TPL, their roster row: flags and targets missed)
    attention_total: int


def supervisor_home(user: User, today: date | None = None, limit: int = HOME_ROWS) -> SupervisorHome:
    """The oldest months waiting for the user's review and the TPL with a roster flag raised this month (the
    roster's `flag=any` query, cut to `limit` rows), each with the number of all of them: two statements whatever the
    scope's size."""
    from .reviews import review_queue

    queue = review_queue(user).add_columns(sa.func.count().over().label("head_total"))  # as pagination.with_total
    rows = db.session.execute(queue.limit(limit)).unique().all()
    attention, attention_total = flagged_head(user, today or programme_today(), limit)
    return SupervisorHome(
        queue=[row[0] for row in rows],
        queue_total=rows[0].head_total if rows else 0,
        attention=attention,
        attention_total=attention_total,
    )


# --- targets ------------------------------------------------------------------------------------------------


@dataclass
class TargetData:
    """What a supervisor types as a TPL's target for a year."""

    year: int
    visits_per_month: int
    businesses: int
    permits_per_year: int


def targets_of(facilitator_id: int) -> list[Target]:
    """Every target set for a TPL, newest year first."""
    return list(
        db.session.scalars(
            sa.select(Target).where(Target.facilitator_id == facilitator_id).order_by(Target.year.desc())
        )
    )


def check_target(data: TargetData) -> None:
    """Refuse a target that is not a year from 2000 to 2100 with whole numbers from 0 to TARGET_MAX, naming every
    problem."""
    problems = Problems()
    first, last = TARGET_YEARS
    if data.year is None:
        problems.add(_("This field is required."), "year")
    elif not first <= data.year <= last:
        problems.add(_("Give a year between 2000 and 2100."), "year")
    for name in ("visits_per_month", "businesses", "permits_per_year"):
        value = getattr(data, name)
        if value is None:
            problems.add(_("This field is required."), name)
        elif not 0 <= value <= TARGET_MAX:
            problems.add(_("Give a whole number from 0 to %(max)d.", max=TARGET_MAX), name)
    problems.raise_if_any()


def set_target(actor: User, facilitator: Facilitator, data: TargetData) -> Target:
    """Create or update a TPL's target for one year."""
    check_target(data)
    target = target_of(facilitator.id, data.year)
    values = {
        "visits_per_month": data.visits_per_month,
        "businesses": data.businesses,
        "permits_per_year": data.permits_per_year,
        "set_by_id": actor.id,
    }
    if target is None:
        target = Target(facilitator_id=facilitator.id, year=data.year, **values)
        db.session.add(target)
        db.session.flush()
        audit.record("create", actor=actor, entity=target, after=audit.snapshot(target))
    else:
        before = audit.snapshot(target)
        for key, value in values.items():
            setattr(target, key, value)
        db.session.flush()
        old, new = audit.changed(before, audit.snapshot(target))
        new.pop("updated_at", None)
        old.pop("updated_at", None)
        if new:
            audit.record("update", actor=actor, entity=target, before=old, after=new)
    db.session.flush()
    return target


# --- handover -----------------------------------------------------------------------------------------------


def open_mentorships(facilitator: Facilitator) -> list[Mentorship]:
    """The businesses a TPL mentors now, with the business loaded, by business name."""
    return list(
        db.session.scalars(
            sa.select(Mentorship)
            .join(Business)
            .where(Mentorship.facilitator_id == facilitator.id, Mentorship.end_date.is_(None))
            .options(contains_eager(Mentorship.business))
            .order_by(Business.name, Mentorship.id)
        )
    )


def handover_candidates_query(actor: User, facilitator: Facilitator, on: date | None = None) -> sa.Select:
    """A select of the TPL in the actor's scope, other than `facilitator`, with a contract running on `on` (default
    today), by name: what the handover picker searches."""
    on = on or programme_today()
    return (
        sa.select(Facilitator)
        .where(facilitator_scope(actor), Facilitator.id != facilitator.id, _contract_overlaps(on, on))
        .order_by(Facilitator.full_name, Facilitator.id)
    )


def handover_candidates(actor: User, facilitator: Facilitator, on: date | None = None) -> list[Facilitator]:
    """TPL in the actor's scope, other than `facilitator`, with a contract running on `on` (default today)."""
    return list(db.session.scalars(handover_candidates_query(actor, facilitator, on)))


@dataclass
class HandoverData:
    """What a supervisor chooses on the handover form."""

    mentorship_ids: list[int]
    new_facilitator_id: int | None
    on: date | None
    reason: str


def check_handover(
    actor: User, facilitator: Facilitator, data: HandoverData, today: date
) -> tuple[Facilitator, list[Mentorship], str]:
    """The successor, the selected open mentorships and the cleaned reason of a handover; a refusal names every
    problem."""
    problems = Problems()
    reason = (data.reason or "").strip()
    if not reason:
        problems.add(_("Give the reason for the handover."), "reason")
    elif len(reason) > MAX_HANDOVER_REASON:
        problems.add(
            _("%(label)s is too long (at most %(max)d characters).", label=_("The reason"), max=MAX_HANDOVER_REASON),
            "reason",
        )
    if data.on is None:
        problems.add(_("Give the handover date."), "on")
    elif data.on > today:
        problems.add(_("The handover date cannot be in the future."), "on")
    successor = None
    if not data.new_facilitator_id:
        problems.add(_("Choose the TPL who takes the businesses over."), "new_facilitator_id")
    elif data.new_facilitator_id == facilitator.id:
        problems.add(_("Choose another TPL: a TPL cannot hand businesses over to themselves."), "new_facilitator_id")
    else:
        successor = db.session.scalar(
            sa.select(Facilitator).where(Facilitator.id == data.new_facilitator_id, facilitator_scope(actor))
        )
        if successor is None:
            problems.add(_("Choose a TPL in your scope."), "new_facilitator_id")
        elif not problems.has("on") and successor.current_contract(data.on) is None:
            problems.add(
                _("%(name)s has no contract running on the handover date.", name=successor.full_name),
                "new_facilitator_id",
            )
    selected = set(data.mentorship_ids or [])
    mentorships = [m for m in open_mentorships(facilitator) if m.id in selected]
    if not mentorships or len(mentorships) != len(selected):
        problems.add(_("Select at least one business the TPL mentors now."), "mentorship_ids")
    elif not problems.has("on"):
        latest = max(mentorships, key=lambda m: m.start_date)
        if data.on < latest.start_date:
            problems.add(
                _(
                    "%(business)s has been mentored only since %(date)s: choose a later handover date.",
                    business=latest.business.name,
                    date=day(latest.start_date),
                ),
                "on",
            )
    problems.raise_if_any()
    return successor, mentorships, reason


def hand_over(actor: User, facilitator: Facilitator, data: HandoverData, today: date | None = None) -> int:
    """Move a TPL's selected businesses to another TPL in one transaction; return how many were moved.

    Each selected open mentorship ends on the handover date; the new TPL's mentorship starts that day (unless
    they already mentor the business). Past activities stay credited to the old TPL.
    """
    successor, mentorships, reason = check_handover(actor, facilitator, data, today or programme_today())
    already = set(
        db.session.scalars(
            sa.select(Mentorship.business_id).where(
                Mentorship.facilitator_id == successor.id,
                Mentorship.end_date.is_(None),
                Mentorship.business_id.in_([m.business_id for m in mentorships]),
            )
        )
    )
    end_reason = _("Handover to %(name)s: %(reason)s", name=successor.full_name, reason=reason)[:500]
    for mentorship in mentorships:
        before = audit.snapshot(mentorship)
        mentorship.end_date = data.on
        mentorship.end_reason = end_reason
        db.session.flush()
        old, new = audit.changed(before, audit.snapshot(mentorship))
        audit.record("update", actor=actor, entity=mentorship, before=old, after=new, note="handover")
        if mentorship.business_id not in already:
            open_mentorship(actor, mentorship.business, successor, data.on, note="handover")
    db.session.flush()
    return len(mentorships)
