"""The outcome dashboard (issue 12): the stored WUB figures of an as-of date, their trend over the stored dates,
and the computation of a date that has none, queued for the `run-queued-work` job (never run in the request)."""

from dataclasses import asdict, dataclass, field
from datetime import date, datetime
from types import SimpleNamespace

import sqlalchemy as sa
from flask_babel import format_date
from flask_babel import gettext as _

from ..dates import now_utc, programme_today
from ..extensions import db
from ..models import JobRun, MetricSnapshot, User
from . import ServiceError
from .metric import DAYS_PER_MONTH, GROUP_BYS, TOTAL_KEY, figures_from_tallies
from .wub_people import Selection, list_people

COMPUTE_JOB = "compute-metrics"
EARLIEST_AS_OF = date(2007, 1, 1)  # the programme's first contracts: no figure before
TREND_POINTS = 24  # stored as-of dates shown in the trend, the latest
PENDING = ("queued", "running")
BREAKDOWNS = GROUP_BYS[1:]


@dataclass
class Figures:
    """The figures of one as-of date: the national row and each breakdown's rows (by key); stored ones, or, for a
    supervisor, computed now from the records of their scope (`live`)."""

    as_of: date
    total: sa.Row | None = None
    breakdowns: dict[str, list[sa.Row]] = field(default_factory=dict)
    live: bool = False

    @property
    def computed_at(self) -> datetime | None:
        """When the figures were computed (one run writes them all)."""
        return self.total.computed_at if self.total is not None else None

    @property
    def stored(self) -> bool:
        """Whether any figure is stored for the date."""
        return self.total is not None or any(self.breakdowns.values())


def check_as_of(as_of: date) -> None:
    """Refuse an as-of date in the future (Jakarta's today) or before the programme's first contracts."""
    if as_of > programme_today():
        raise ServiceError(_("The date cannot be in the future."), field="as_of")
    if as_of < EARLIEST_AS_OF:
        earliest = format_date(EARLIEST_AS_OF, "d MMMM yyyy")
        raise ServiceError(
            _("The date cannot be before %(date)s: the programme had no contracts yet.", date=earliest), field="as_of"
        )


SNAPSHOTS = MetricSnapshot.__table__


def stored_figures(as_of: date) -> Figures:
    """The snapshot rows of a date (a few hundred at most, read as plain rows: the page only shows them), split into
    the national row and the breakdowns, each by key."""
    figures = Figures(as_of=as_of, breakdowns={group_by: [] for group_by in BREAKDOWNS})
    rows = db.session.execute(sa.select(SNAPSHOTS).where(SNAPSHOTS.c.as_of == as_of)).all()
    # Sorted in Python, as load_snapshot does: database collations would order the keys differently.
    for row in sorted(rows, key=lambda row: row.key):
        if row.group_by == "total" and row.key == TOTAL_KEY:
            figures.total = row
        elif row.group_by in figures.breakdowns:
            figures.breakdowns[row.group_by].append(row)
    return figures


def trend(points: int = TREND_POINTS) -> list[sa.Row]:
    """The national row of the latest stored as-of dates (at most `points`), oldest first."""
    rows = db.session.execute(
        sa.select(SNAPSHOTS)
        .where(SNAPSHOTS.c.group_by == "total", SNAPSHOTS.c.key == TOTAL_KEY)
        .order_by(SNAPSHOTS.c.as_of.desc())
        .limit(points)
    ).all()
    return list(reversed(rows))


def latest_computation(as_of: date) -> JobRun | None:
    """The latest run of the metric computation for the date (queued, running or ended), or None."""
    return db.session.scalar(
        sa.select(JobRun)
        .where(JobRun.job_name == COMPUTE_JOB, JobRun.as_of == as_of)
        .order_by(JobRun.id.desc())
        .limit(1)
    )


def computing(as_of: date) -> bool:
    """Whether a computation of the date is queued or running."""
    run = latest_computation(as_of)
    return run is not None and run.outcome in PENDING


def request_computation(as_of: date, actor: User) -> JobRun:
    """Queue the metric computation of a date for the `run-queued-work` job (audited as `job_queued`); a run of
    that date already queued or running is returned instead of queuing another. A bad date is refused."""
    from ..jobs.runner import queue_job

    check_as_of(as_of)
    pending = latest_computation(as_of)
    if pending is not None and pending.outcome in PENDING:
        return pending
    return queue_job(COMPUTE_JOB, triggered_by=actor, as_of=as_of)


def scoped_figures(as_of: date, user: User) -> Figures:
    """The figures of the alumni in the user's scope (a supervisor's regions) as of a date, computed now from the
    records: the stored snapshots hold the whole country's groups only. Each alumnus's facts come from the
    drill-down's list (the one definition, docs/metric.md), grouped here as the metric job groups them."""
    counts: dict[tuple[str, str], list[int]] = {}
    months: dict[tuple[str, str], list[float]] = {}
    for person in list_people(Selection(as_of), user):
        wub = person.classification == "wub"
        unverified = person.classification == "wub_unverified"
        flags = (1, int(person.counted_surveys > 0), int(wub), int(person.wub_active), int(unverified))
        keys = (TOTAL_KEY, str(person.angkatan), person.province, str(person.exit_date.year), person.polytechnic)
        for group_by, key in zip(GROUP_BYS, keys, strict=True):
            tally = counts.setdefault((group_by, key), [0, 0, 0, 0, 0])
            for index, flag in enumerate(flags):
                tally[index] += flag
            if wub:
                months.setdefault((group_by, key), []).append(
                    (person.founded_date - person.exit_date).days / DAYS_PER_MONTH
                )
    figures = Figures(as_of=as_of, breakdowns={group_by: [] for group_by in BREAKDOWNS}, live=True)
    computed_at = now_utc()
    for group in figures_from_tallies(counts, {key: months.get(key, []) for key in counts}):
        row = SimpleNamespace(as_of=as_of, computed_at=computed_at, **asdict(group))
        if group.group_by == "total":
            figures.total = row
        else:
            figures.breakdowns[group.group_by].append(row)
    return figures
