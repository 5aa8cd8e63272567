"""The WUB metric of docs/metric.md: set-based figures per grouping, and their stored snapshots."""

import functools
import gc
import math
import statistics
from collections import Counter, defaultdict
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from operator import itemgetter

import sqlalchemy as sa

from ..extensions import db
from ..models import Contract, Facilitator, MetricSnapshot, OutcomeSurvey, utcnow
from ..models.codes import SurveyStatus, Verification
from . import bulk

GROUP_BYS = ("total", "angkatan", "province", "exit_year", "polytechnic")
CSV_COLUMNS = [
    "group_by",
    "key",
    "alumni",
    "tracked",
    "wub",
    "wub_active",
    "wub_unverified",
    "wub_rate",
    "ci_low",
    "ci_high",
    "tracked_rate",
    "median_months_to_business",
]
TOTAL_KEY = "all"
# The as-of date in the statements, which are built once (SQLAlchemy then reuses their compiled form).
AS_OF = sa.bindparam("as_of", type_=sa.Date)
FLAGS = ("tracked", "wub", "wub_active", "wub_unverified")
# PostgreSQL's GROUPING(angkatan, province, exit_year, polytechnic) of each grouping's rows (a bit set per key left
# out, the first key's the highest), as the grouping's position in GROUP_BYS.
GROUPING_BITS = {0b1111: 0, 0b0111: 1, 0b1011: 2, 0b1101: 3, 0b1110: 4}
Z_95 = 1.959964
DAYS_PER_MONTH = 30.4375


@dataclass(frozen=True)
class Figures:
    """The WUB figures of one group (docs/metric.md, "The figures")."""

    group_by: str
    key: str
    alumni: int
    tracked: int
    wub: int
    wub_active: int
    wub_unverified: int
    wub_rate: float | None
    ci_low: float | None
    ci_high: float | None
    tracked_rate: float | None
    median_months_to_business: float | None
    # Of the wub alumni, how many founded their earliest qualifying business on or before the exit date (during the
    # contract) and after it: stored in the snapshot, not in CSV_COLUMNS (the report's named columns).
    founded_during: int = 0
    founded_after: int = 0

    def as_row(self) -> dict:
        """The figures keyed by CSV_COLUMNS, in that order (None stays None)."""
        return {column: getattr(self, column) for column in CSV_COLUMNS}


def wilson_interval(successes: int, total: int, z: float = Z_95) -> tuple[float, float]:
    """The Wilson score interval (low, high) of successes / total; total must be positive."""
    if total <= 0:
        raise ValueError("the Wilson interval needs a positive total")
    if not 0 <= successes <= total:
        raise ValueError("successes must lie between 0 and total")
    p = successes / total
    z2 = z * z
    denominator = 1 + z2 / total
    centre = (p + z2 / (2 * total)) / denominator
    half = z * math.sqrt(p * (1 - p) / total + z2 / (4 * total * total)) / denominator
    # 0/n and n/n give exactly 0 and 1 in exact arithmetic; floats would leave noise there.
    low = 0.0 if successes == 0 else max(0.0, centre - half)
    high = 1.0 if successes == total else min(1.0, centre + half)
    return low, high


# --- the SQL ------------------------------------------------------------------------------------


def _date(expression, name: str):
    """A labelled date column that keeps its Date type through subqueries (SQLite stores dates as text)."""
    return sa.type_coerce(expression, sa.Date).label(name)


def _flag(condition):
    return sa.case((condition, 1), else_=0)


def _alumni(dialect: str):
    """Each alumnus as of the date, one row: facilitator_id, angkatan, polytechnic, and of their last contract
    (docs/metric.md: greatest effective end, then start date, then id) the placement and the effective end, their
    exit date.

    PostgreSQL reads the contracts once, in the order of ix_contracts_last (no sort), and DISTINCT ON keeps each
    TPL's last contract. SQLite has no DISTINCT ON (and sorts windows slowly): it looks the last contract up in
    ix_contracts_last, one index search per TPL."""
    exit_date = Contract.effective_end
    if dialect == "postgresql":
        last = (
            sa.select(Contract.facilitator_id, Contract.placement_code, exit_date.label("exit_date"))
            .distinct(Contract.facilitator_id)
            .order_by(Contract.facilitator_id, exit_date.desc(), Contract.start_date.desc(), Contract.id.desc())
            .subquery("last_contract")
        )
        return (
            sa.select(
                last.c.facilitator_id,
                Facilitator.angkatan,
                Facilitator.polytechnic,
                last.c.placement_code,
                _date(last.c.exit_date, "exit_date"),
            )
            .join(Facilitator, Facilitator.id == last.c.facilitator_id)
            .where(last.c.exit_date < AS_OF)
            .subquery("alumni")
        )
    probe, last = sa.orm.aliased(Contract, name="probe"), sa.orm.aliased(Contract, name="last_contract")
    last_id = (
        sa.select(probe.id)
        .where(probe.facilitator_id == Facilitator.id)
        .order_by(probe.effective_end.desc(), probe.start_date.desc(), probe.id.desc())
        .limit(1)
        .scalar_subquery()
    )
    return (
        sa.select(
            Facilitator.id.label("facilitator_id"),
            Facilitator.angkatan,
            Facilitator.polytechnic,
            last.placement_code,
            _date(last.effective_end, "exit_date"),
        )
        .join(last, last.id == last_id)
        .where(last.effective_end < AS_OF)
        .subquery("alumni")
    )


def _days_between(start, end, dialect: str):
    """Whole days from one date to another (None when either is), in SQL: SQLite stores dates as text and
    subtracts Julian days."""
    if dialect == "sqlite":
        return sa.case((end.is_not(None), sa.cast(sa.func.julianday(end) - sa.func.julianday(start), sa.Integer)))
    return end - start


def _year(day, dialect: str):
    """The year of a date, in SQL: on SQLite the first four characters of the stored text (parsing every date with
    strftime costs more); on PostgreSQL date_part(), a float (EXTRACT gives a numeric, slower to make an integer)."""
    if dialect == "sqlite":
        return sa.func.substr(day, 1, 4)
    return sa.cast(sa.func.date_part("year", day), sa.Integer)


def _facts(dialect: str):
    """The facts of every alumnus as of the date (docs/metric.md), one row each, computed once: the four grouping
    keys, the flags tracked, wub, wub_active and wub_unverified (0 or 1), and for a wub alumnus the days from the
    exit date to the founding of their earliest qualifying business (else None).

    The first start is a correlated subquery (one search in ix_contracts_last), which the databases only run for
    the verified wirausaha surveys it decides."""
    alumni = _alumni(dialect)
    survey, first = OutcomeSurvey, sa.orm.aliased(Contract, name="first_contract")
    first_start = (
        sa.select(sa.func.min(first.start_date))
        .where(first.facilitator_id == alumni.c.facilitator_id)
        .correlate(alumni)
    )
    wirausaha = survey.status == SurveyStatus.WIRAUSAHA
    qualifying = sa.and_(
        wirausaha,
        survey.verification == Verification.VERIFIED,
        survey.founded_date.is_not(None),
        survey.founded_date >= first_start.scalar_subquery(),
    )
    counted = sa.and_(
        survey.facilitator_id == alumni.c.facilitator_id,
        survey.survey_date > alumni.c.exit_date,
        survey.survey_date <= AS_OF,
    )
    aggregates = (
        _date(sa.func.max(survey.survey_date), "latest"),
        _date(sa.func.max(sa.case((qualifying, survey.survey_date))), "latest_qualifying"),
        _date(sa.func.min(sa.case((qualifying, survey.founded_date))), "first_founded"),
        sa.func.max(_flag(sa.and_(wirausaha, survey.verification == Verification.UNVERIFIED))).label("unverified"),
    )
    # Each alumnus joined to their counted surveys and grouped by TPL, in one pass in the order of the TPL: SQLite walks
    # the TPL in order, PostgreSQL merges the alumni (in that order) with the surveys (in the order of an index). The
    # keys come from the alumnus's one row: SQLite takes them as they are (a bare column of the group), PostgreSQL
    # wants them aggregated (min() of the one value).
    one = (lambda column: column) if dialect == "sqlite" else sa.func.min
    keys = (
        one(alumni.c.angkatan).label("angkatan"),
        sa.func.substr(one(alumni.c.placement_code), 1, 2).label("province"),
        _year(one(alumni.c.exit_date), dialect).label("exit_year"),
        one(alumni.c.polytechnic).label("polytechnic"),
    )
    per_alumnus = (
        sa.select(*keys, _date(one(alumni.c.exit_date), "exit_date"), *aggregates)
        .select_from(alumni)
        .outerjoin(survey, counted)
        .group_by(alumni.c.facilitator_id)
        .subquery("per_alumnus")
    )
    tpl = per_alumnus.c
    is_wub = tpl.first_founded.is_not(None)
    return sa.select(
        tpl.angkatan,
        tpl.province,
        tpl.exit_year,
        tpl.polytechnic,
        _flag(tpl.latest.is_not(None)).label("tracked"),
        _flag(is_wub).label("wub"),
        # A TPL has at most one survey a day (unique facilitator_date): the latest counted survey is the one on the
        # latest date, and it qualifies when the latest qualifying survey has that date.
        _flag(tpl.latest_qualifying == tpl.latest).label("wub_active"),
        _flag(sa.and_(sa.not_(is_wub), tpl.unverified == 1)).label("wub_unverified"),
        _days_between(tpl.exit_date, tpl.first_founded, dialect).label("days_to_business"),
    )


@functools.cache
def _grouped():
    """PostgreSQL: one statement that groups the facts in SQL, in one pass by GROUPING SETS (the facts are read
    once, never stored). A row per group: its GROUPING() bits (GROUPING_BITS), the four keys (the grouped one set),
    its counts, and the days to business of its wub alumni, for the median: (grouping, angkatan, province,
    exit_year, polytechnic, alumni, tracked, wub, wub_active, wub_unverified, days)."""
    facts = _facts("postgresql").subquery("facts")
    keys = [facts.c[group_by] for group_by in GROUP_BYS[1:]]
    flags = [facts.c[name] for name in FLAGS]
    return sa.select(
        sa.func.grouping(*keys),
        *keys,
        sa.func.count(),
        *[sa.func.sum(flag) for flag in flags],
        sa.func.array_agg(facts.c.days_to_business).filter(facts.c.wub == 1),
    ).group_by(sa.func.grouping_sets(sa.text("()"), *[sa.tuple_(key) for key in keys]))


def _figures(group_by: str, key: str, counts, months: list[float]) -> Figures:
    """The figures of one group from its counts and the months to business of its wub alumni (one each): a month
    count of zero or less is a business founded on or before the exit date (whole days over a positive constant)."""
    alumni, tracked, wub, wub_active, wub_unverified = counts
    low, high = wilson_interval(wub, alumni)
    founded_during = sum(1 for month in months if month <= 0)
    return Figures(
        group_by=group_by,
        key=key,
        alumni=alumni,
        tracked=tracked,
        wub=wub,
        wub_active=wub_active,
        wub_unverified=wub_unverified,
        wub_rate=round(wub / alumni, 4),
        ci_low=round(low, 4),
        ci_high=round(high, 4),
        tracked_rate=round(tracked / alumni, 4),
        median_months_to_business=round(statistics.median(months), 1) if months else None,
        founded_during=founded_during,
        founded_after=len(months) - founded_during,
    )


def _tallies_in_sql(as_of: date) -> tuple[dict, dict]:
    """PostgreSQL: the counts and the months to business of every group, grouped by the database."""
    counts, months = {}, {}
    for grouping, *keys, alumni, tracked, wub, active, unverified, days in db.session.execute(
        _grouped(), {"as_of": as_of}
    ):
        if not alumni:  # the total of no alumni: no group
            continue
        index = GROUPING_BITS[grouping]
        group = GROUP_BYS[index], TOTAL_KEY if index == 0 else str(keys[index - 1])
        counts[group] = (alumni, tracked, wub, active, unverified)
        months[group] = [day / DAYS_PER_MONTH for day in days or ()]
    return counts, months


# The four flags packed in one number (bit i: FLAGS[i]), as the increments of (alumni, *FLAGS).
UNPACKED = [(1, *(packed >> bit & 1 for bit in range(len(FLAGS)))) for packed in range(1 << len(FLAGS))]
# SQLite packs each alumnus's angkatan, exit year and flags in one number: (angkatan * YEARS + exit year) * FLAG_VALUES
# + flags (both are years of four digits).
YEARS, FLAG_VALUES = 10_000, 1 << len(FLAGS)


@contextmanager
def _collector_paused():
    """Pause Python's cyclic garbage collector: the fetched rows are tens of thousands of small objects (without
    cycles) that all live until the counting is done; the collector would walk them, and the whole process's
    objects, over and over meanwhile (a third of the SQLite job at 10,000 TPL). Free them before it resumes, or it
    walks them then."""
    paused = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if paused:
            gc.enable()


@functools.cache
def _packed_facts():
    """SQLite: the facts as (angkatan, exit year and flags packed in one number, province, polytechnic, flags,
    days_to_business)."""
    facts = _facts("sqlite").subquery("facts")
    flags = sum((facts.c[name] * (1 << bit) for bit, name in enumerate(FLAGS)), sa.literal(0))
    exit_year = sa.cast(facts.c.exit_year, sa.Integer)
    packed = (facts.c.angkatan * YEARS + exit_year) * FLAG_VALUES + flags
    return sa.select(packed, facts.c.province, facts.c.polytechnic, flags, facts.c.days_to_business)


def _tallies_in_python(as_of: date) -> tuple[dict, dict]:
    """SQLite: the counts and the months to business of every group, from the facts fetched as compact tuples
    (sorting them once per grouping in SQLite costs more than fetching them)."""
    with _collector_paused(), db.session.connection().execute(_packed_facts(), {"as_of": as_of}) as result:
        # The driver's plain tuples: its columns need no conversion, and a Row object per alumnus costs more than
        # the counting. They are gone again when the collector resumes.
        return _tally(result.cursor.fetchall())


def _tally(rows) -> tuple[dict, dict]:
    """The counts and months of every group from the SQLite facts. The alumni with the same packed number (a few
    hundred values), and with the same province, polytechnic and flags (a few thousand), are counted at once
    (Counter counts in C), then added up per key and flags, and the flags unpacked once per key and flags."""
    total, by_angkatan, by_province, by_exit_year, by_polytechnic = GROUP_BYS
    same: Counter = Counter()  # (group_by, key, flags) -> alumni
    for packed, n in Counter(map(itemgetter(0), rows)).items():
        angkatan, exit_year, flags = _unpack(packed)
        same[total, TOTAL_KEY, flags] += n
        same[by_angkatan, str(angkatan), flags] += n
        same[by_exit_year, str(exit_year), flags] += n
    for (province, polytechnic, flags), n in Counter(map(itemgetter(1, 2, 3), rows)).items():
        same[by_province, province, flags] += n
        same[by_polytechnic, polytechnic, flags] += n
    counts = {}
    for (group_by, key, flags), n in same.items():
        tally = counts.setdefault((group_by, key), [0, 0, 0, 0, 0])
        for index, flag in enumerate(UNPACKED[flags]):
            tally[index] += flag * n
    months = defaultdict(list)
    for packed, province, polytechnic, _flags, days in [row for row in rows if row[4] is not None]:
        angkatan, exit_year, _flags = _unpack(packed)
        month = days / DAYS_PER_MONTH
        for group_by, key in zip(GROUP_BYS, (TOTAL_KEY, angkatan, province, exit_year, polytechnic), strict=True):
            months[group_by, str(key)].append(month)
    return counts, months


def _unpack(packed: int) -> tuple[int, int, int]:
    years, flags = divmod(packed, FLAG_VALUES)
    angkatan, exit_year = divmod(years, YEARS)
    return angkatan, exit_year, flags


def _compute(as_of: date, group_bys: tuple[str, ...]) -> list[Figures]:
    """The figures of the given groupings, each alumnus's facts computed once by one statement, then grouped (by
    the database on PostgreSQL, in Python on SQLite); each grouping sorted by key."""
    if db.session.get_bind().dialect.name == "postgresql":
        counts, months = _tallies_in_sql(as_of)
    else:
        counts, months = _tallies_in_python(as_of)
    return figures_from_tallies(counts, months, group_bys)


def figures_from_tallies(counts: dict, months: dict, group_bys: tuple[str, ...] = GROUP_BYS) -> list[Figures]:
    """The figures of every group of the given groupings from its tallies: counts[(group_by, key)] = [alumni,
    tracked, wub, wub_active, wub_unverified] and months[(group_by, key)] = the months from exit to business of its
    wub alumni; each grouping sorted by key."""
    return [
        _figures(group_by, key, counts[group_by, key], months[group_by, key])
        for group_by in group_bys
        for key in sorted(key for grouping, key in counts if grouping == group_by)
    ]


def compute_figures(as_of: date, group_by: str = "total") -> list[Figures]:
    """The figures of docs/metric.md as of a date for one grouping; groups without alumni left out; sorted by key."""
    if group_by not in GROUP_BYS:
        raise ValueError(f"unknown grouping {group_by!r}")
    return _compute(as_of, (group_by,))


def compute_all(as_of: date) -> list[Figures]:
    """The figures of every grouping as of a date, total first, in GROUP_BYS order (the per-alumnus facts are
    computed once, in one statement, then grouped)."""
    return _compute(as_of, GROUP_BYS)


def store_snapshot(as_of: date) -> int:
    """Replace the snapshot rows of an as-of date with every grouping (the caller's transaction makes it all or
    nothing); returns rows written."""
    figures = compute_all(as_of)
    computed_at = utcnow()
    db.session.execute(sa.delete(MetricSnapshot).where(MetricSnapshot.as_of == as_of))
    # Plain rows in one driver call (COPY on PostgreSQL): ORM objects, or SQLAlchemy's executemany, would cost a
    # good part of the computation at 10,000 TPL.
    bulk.insert_rows(MetricSnapshot.__table__, [_snapshot_row(as_of, row, computed_at) for row in figures])
    return len(figures)


def _snapshot_row(as_of: date, figures: Figures, computed_at) -> dict:
    return {
        "as_of": as_of,
        "computed_at": computed_at,
        **figures.as_row(),
        "founded_during": figures.founded_during,
        "founded_after": figures.founded_after,
    }


def load_snapshot(as_of: date, group_by: str | None = None) -> list[MetricSnapshot]:
    """The stored rows of an as-of date (optionally one grouping), in GROUP_BYS order then by key."""
    query = sa.select(MetricSnapshot).where(MetricSnapshot.as_of == as_of)
    if group_by is not None:
        query = query.where(MetricSnapshot.group_by == group_by)
    rows = db.session.scalars(query).all()
    # Sorted in Python: database collations would order the keys differently on SQLite and PostgreSQL.
    order = {name: index for index, name in enumerate(GROUP_BYS)}
    return sorted(rows, key=lambda row: (order.get(row.group_by, len(order)), row.key))


def latest_snapshot_date() -> date | None:
    """The most recent as-of date with stored snapshot rows, or None."""
    return db.session.scalar(sa.select(sa.func.max(MetricSnapshot.as_of)))
