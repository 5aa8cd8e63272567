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


def _facts(as_of: date):
    """One statement, one row per alumnus as of the date: every grouping key and every per-TPL fact of
    docs/metric.md (exit date, tracked, is_wub, is_active, has_unverified, earliest qualifying founding)."""
    effective_end = Contract.effective_end
    tpl = (
        sa.select(
            Contract.facilitator_id.label("facilitator_id"),
            _date(sa.func.min(Contract.start_date), "first_start"),
            _date(sa.func.max(effective_end), "exit_date"),
        )
        .group_by(Contract.facilitator_id)
        .subquery("tpl")
    )
    # The last contract: the one ending on the exit date, then the greatest start date, then the greatest id.
    last, later = sa.orm.aliased(Contract, name="last_contract"), sa.orm.aliased(Contract, name="later_contract")
    later_exists = (
        sa.select(1)
        .where(
            later.facilitator_id == last.facilitator_id,
            later.effective_end == tpl.c.exit_date,
            sa.or_(
                later.start_date > last.start_date,
                sa.and_(later.start_date == last.start_date, later.id > last.id),
            ),
        )
        .exists()
    )
    survey = OutcomeSurvey
    counted = sa.and_(
        survey.facilitator_id == tpl.c.facilitator_id,
        survey.survey_date > tpl.c.exit_date,
        survey.survey_date <= as_of,
    )
    wirausaha = survey.status == "wirausaha"
    qualifying = sa.and_(
        wirausaha,
        survey.verification == "verified",
        survey.founded_date.is_not(None),
        survey.founded_date >= tpl.c.first_start,
    )
    latest = sa.orm.aliased(OutcomeSurvey, name="latest_survey")
    latest_qualifies = (
        sa.select(
            sa.case(
                (
                    sa.and_(
                        latest.status == "wirausaha",
                        latest.verification == "verified",
                        latest.founded_date.is_not(None),
                        latest.founded_date >= tpl.c.first_start,
                    ),
                    1,
                ),
                else_=0,
            )
        )
        .where(
            latest.facilitator_id == tpl.c.facilitator_id,
            latest.survey_date > tpl.c.exit_date,
            latest.survey_date <= as_of,
        )
        .order_by(latest.survey_date.desc(), latest.id.desc())
        .limit(1)
        .scalar_subquery()
    )
    keys = (
        tpl.c.facilitator_id,
        Facilitator.angkatan,
        sa.func.substr(last.placement_code, 1, 2),
        Facilitator.polytechnic,
        tpl.c.exit_date,
        tpl.c.first_start,
    )
    return (
        sa.select(
            *keys[:5],
            sa.func.count(survey.id).label("surveys"),
            sa.func.max(sa.case((qualifying, 1), else_=0)).label("is_wub"),
            sa.func.coalesce(latest_qualifies, 0).label("is_active"),  # not aggregated: its columns are grouped
            sa.func.max(sa.case((sa.and_(wirausaha, survey.verification == "unverified"), 1), else_=0)).label(
                "has_unverified"
            ),
            _date(sa.func.min(sa.case((qualifying, survey.founded_date))), "first_founded"),
        )
        .select_from(tpl)
        .join(Facilitator, Facilitator.id == tpl.c.facilitator_id)
        .join(last, sa.and_(last.facilitator_id == tpl.c.facilitator_id, last.effective_end == tpl.c.exit_date))
        .outerjoin(survey, counted)
        .where(tpl.c.exit_date < as_of, ~later_exists)
        .group_by(*keys)
    )


def _figures(group_by: str, key: str, counts, months: list[float]) -> Figures:
    alumni, tracked, wub, wub_active, wub_unverified = counts
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


def _compute(as_of: date, group_bys: tuple[str, ...]) -> list[Figures]:
    """The figures of the given groupings from one pass over the per-alumnus facts, each sorted by key."""
    counts = {group_by: defaultdict(lambda: [0, 0, 0, 0, 0]) for group_by in group_bys}
    months = {group_by: defaultdict(list) for group_by in group_bys}
    for (
        _tpl,
        angkatan,
        province,
        polytechnic,
        exit_date,
        surveys,
        is_wub,
        is_active,
        unverified,
        founded,
    ) in db.session.execute(_facts(as_of)):
        keys = {
            "total": TOTAL_KEY,
            "angkatan": str(angkatan),
            "province": province,
            "exit_year": str(exit_date.year),
            "polytechnic": polytechnic,
        }
        flags = (1, 1 if surveys else 0, is_wub, is_active, 1 if unverified and not is_wub else 0)
        # In Python: SQLite has no date maths.
        month = (founded - exit_date).days / DAYS_PER_MONTH if is_wub else None
        for group_by in group_bys:
            key = keys[group_by]
            tally = counts[group_by][key]
            for index, flag in enumerate(flags):
                tally[index] += flag
            if month is not None:
                months[group_by][key].append(month)
    return [
        _figures(group_by, key, counts[group_by][key], months[group_by][key])
        for group_by in group_bys
        for key in sorted(counts[group_by])
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
