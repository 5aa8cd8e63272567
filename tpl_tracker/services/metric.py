"""The WUB metric of docs/metric.md: set-based figures per grouping, and their stored snapshots."""

import math
import statistics
from collections import defaultdict
from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa

from ..extensions import db
from ..models import Contract, Facilitator, MetricSnapshot, OutcomeSurvey, utcnow

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


def _alumni(as_of: date):
    """Subquery, one row per alumnus as of the date: first start, exit date and every grouping key."""
    effective_end = Contract.effective_end
    per_tpl = Contract.facilitator_id
    ranked = sa.select(
        Contract.facilitator_id.label("facilitator_id"),
        _date(sa.func.min(Contract.start_date).over(partition_by=per_tpl), "first_start"),
        _date(sa.func.max(effective_end).over(partition_by=per_tpl), "exit_date"),
        Contract.placement_code.label("placement_code"),
        sa.func.row_number()
        .over(
            partition_by=per_tpl,
            order_by=(effective_end.desc(), Contract.start_date.desc(), Contract.id.desc()),
        )
        .label("recency"),
    ).subquery("ranked_contracts")
    return (
        sa.select(
            ranked.c.facilitator_id,
            ranked.c.first_start,
            ranked.c.exit_date,
            Facilitator.angkatan.label("angkatan"),
            sa.func.substr(ranked.c.placement_code, 1, 2).label("province"),
            sa.extract("year", ranked.c.exit_date).label("exit_year"),
            Facilitator.polytechnic.label("polytechnic"),
        )
        .join(Facilitator, Facilitator.id == ranked.c.facilitator_id)
        .where(ranked.c.recency == 1, ranked.c.exit_date < as_of)  # recency 1 = the last contract
        .subquery("alumni")
    )


def _flags(alumni, as_of: date):
    """Subquery, one row per alumnus with a counted survey: is_wub, is_active, has_unverified, first_founded."""
    survey = OutcomeSurvey
    wirausaha = survey.status == "wirausaha"
    qualifying = sa.and_(
        wirausaha,
        survey.verification == "verified",
        survey.founded_date.is_not(None),
        survey.founded_date >= alumni.c.first_start,
    )
    counted = (
        sa.select(
            survey.facilitator_id.label("facilitator_id"),
            sa.case((qualifying, 1), else_=0).label("qualifying"),
            sa.case((sa.and_(wirausaha, survey.verification == "unverified"), 1), else_=0).label("unverified"),
            _date(sa.case((qualifying, survey.founded_date)), "qualifying_founded"),
            sa.func.row_number()
            .over(partition_by=survey.facilitator_id, order_by=(survey.survey_date.desc(), survey.id.desc()))
            .label("recency"),
        )
        .join(alumni, alumni.c.facilitator_id == survey.facilitator_id)
        .where(survey.survey_date > alumni.c.exit_date, survey.survey_date <= as_of)
        .subquery("counted_surveys")
    )
    return (
        sa.select(
            counted.c.facilitator_id,
            sa.func.max(counted.c.qualifying).label("is_wub"),
            sa.func.max(sa.case((counted.c.recency == 1, counted.c.qualifying), else_=0)).label("is_active"),
            sa.func.max(counted.c.unverified).label("has_unverified"),
            _date(sa.func.min(counted.c.qualifying_founded), "first_founded"),
        )
        .group_by(counted.c.facilitator_id)
        .subquery("flags")
    )


def _key(group_by: str, value) -> str:
    if group_by == "total":
        return TOTAL_KEY
    if group_by in ("angkatan", "exit_year"):
        return str(int(value))  # PostgreSQL's EXTRACT gives a Decimal
    return str(value)


def _figures(group_by: str, key: str, counts, months: list[float]) -> Figures:
    alumni, tracked, wub, wub_active, wub_unverified = (int(value or 0) for value in counts)
    low, high = wilson_interval(wub, alumni)
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
    )


def compute_figures(as_of: date, group_by: str = "total") -> list[Figures]:
    """The figures of docs/metric.md as of a date for one grouping; groups without alumni left out; sorted by key."""
    if group_by not in GROUP_BYS:
        raise ValueError(f"unknown grouping {group_by!r}")
    alumni = _alumni(as_of)
    flags = _flags(alumni, as_of)
    group_column = alumni.c[group_by] if group_by != "total" else None
    keyed = [group_column] if group_column is not None else []

    counts_query = (
        sa.select(
            *keyed,
            sa.func.count(),
            sa.func.count(flags.c.facilitator_id),
            sa.func.sum(sa.func.coalesce(flags.c.is_wub, 0)),
            sa.func.sum(sa.func.coalesce(flags.c.is_active, 0)),
            sa.func.sum(sa.case((sa.and_(flags.c.is_wub == 0, flags.c.has_unverified == 1), 1), else_=0)),
        )
        .select_from(alumni)
        .outerjoin(flags, flags.c.facilitator_id == alumni.c.facilitator_id)
    )
    if keyed:
        counts_query = counts_query.group_by(*keyed)
    counts = {}
    for row in db.session.execute(counts_query):
        values = tuple(row)
        key = _key(group_by, values[0] if keyed else None)
        if values[len(keyed)]:  # a total over no alumni still returns one row
            counts[key] = values[len(keyed) :]

    months: dict[str, list[float]] = defaultdict(list)
    wub_dates = (
        sa.select(*keyed, alumni.c.exit_date, flags.c.first_founded)
        .select_from(alumni)
        .join(flags, flags.c.facilitator_id == alumni.c.facilitator_id)
        .where(flags.c.is_wub == 1)
    )
    for row in db.session.execute(wub_dates):
        *group_value, exit_date, founded = tuple(row)
        key = _key(group_by, group_value[0] if keyed else None)
        months[key].append((founded - exit_date).days / DAYS_PER_MONTH)  # in Python: SQLite has no date maths

    return [_figures(group_by, key, counts[key], months[key]) for key in sorted(counts)]


def compute_all(as_of: date) -> list[Figures]:
    """The figures of every grouping as of a date, total first, in GROUP_BYS order."""
    return [figures for group_by in GROUP_BYS for figures in compute_figures(as_of, group_by)]


def store_snapshot(as_of: date) -> int:
    """Replace the snapshot rows of an as-of date with every grouping (the caller's transaction makes it all or
    nothing); returns rows written."""
    figures = compute_all(as_of)
    computed_at = utcnow()
    db.session.execute(sa.delete(MetricSnapshot).where(MetricSnapshot.as_of == as_of))
    for row in figures:
        db.session.add(_snapshot_row(as_of, row, computed_at))
    db.session.flush()
    return len(figures)


def _snapshot_row(as_of: date, figures: Figures, computed_at) -> MetricSnapshot:
    return MetricSnapshot(as_of=as_of, computed_at=computed_at, **figures.as_row())


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
