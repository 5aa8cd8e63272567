"""The people behind every WUB figure (docs/metric.md, "Why a TPL is or is not counted"): each alumnus as of a date,
with their counted surveys, classification and the reason they are or are not counted.

The list is one SQL statement over the alumni of metric.py (the same alumni, exit dates and last placements as the
figures), so that a group's list has exactly as many people as its figure: the tests check it for every group.

Reason of an alumnus, the first that applies:

- `qualifying_survey`: a counted survey qualifies (they are WUB);
- `no_survey_after_exit`: no counted survey (none dated after the exit date, up to the as-of date);
- `not_wirausaha`: counted surveys, none of them `wirausaha`;
- `not_verified`: a counted `wirausaha` survey would qualify but is unverified or rejected (its business has a
  founding date on or after the first contract's start);
- `no_founded_date`: a counted `wirausaha` survey gives no founding date;
- `founded_before_first_contract`: every counted `wirausaha` survey names a business founded before the first
  contract started (not a new business).
"""

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from operator import attrgetter

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from .. import formatting
from ..extensions import db
from ..models import Contract, Facilitator, MetricSnapshot, OutcomeSurvey, User
from ..models.codes import SurveyStatus, Verification
from . import ServiceError
from .exports import Column
from .metric import AS_OF, GROUP_BYS, TOTAL_KEY, _alumni, _date, _flag
from .policy import facilitator_scope

FIGURES = ("alumni", "tracked", "wub", "wub_active", "wub_unverified")
CLASSIFICATIONS = ("wub", "wub_unverified", "tracked", "untracked")
REASONS = (
    "qualifying_survey",
    "no_survey_after_exit",
    "not_wirausaha",
    "not_verified",
    "no_founded_date",
    "founded_before_first_contract",
)
FIGURE_LABELS = {
    "alumni": _l("Alumni"),
    "tracked": _l("Tracked alumni"),
    "wub": _l("WUB"),
    "wub_active": _l("WUB active"),
    "wub_unverified": _l("WUB awaiting verification"),
}
CLASSIFICATION_LABELS = {
    "wub": _l("New entrepreneur (WUB)"),
    "wub_unverified": _l("Business awaiting verification"),
    "tracked": _l("Tracked, not WUB"),
    "untracked": _l("Not tracked"),
}
STREAM_BATCH = 500
GROUP_LABELS = {
    "angkatan": _l("angkatan %(key)s"),
    "province": _l("province %(key)s"),
    "exit_year": _l("exit year %(key)s"),
}


@dataclass(frozen=True)
class Selection:
    """Which people: the alumni as of a date, of one group (group_by and key) behind one figure."""

    as_of: date
    group_by: str = "total"
    key: str = TOTAL_KEY
    figure: str = "alumni"


def selection(as_of: date, group_by: str | None, key: str | None, figure: str | None = None) -> Selection:
    """A checked selection: group_by and key given together (or neither: every alumnus), known names; ServiceError
    with a message for the reader otherwise."""
    figure = figure or "alumni"
    if figure not in FIGURES:
        raise ServiceError(
            _("Unknown figure %(figure)s: choose one of %(names)s.", figure=figure, names=_names(FIGURES))
        )
    if group_by and group_by not in GROUP_BYS:
        raise ServiceError(
            _("Unknown grouping %(group_by)s: choose one of %(names)s.", group_by=group_by, names=_names(GROUP_BYS))
        )
    key = (key or "").strip()
    if bool(group_by) != bool(key):
        raise ServiceError(_("Give the grouping and the group's key together, or neither."))
    if not group_by:
        return Selection(as_of, "total", TOTAL_KEY, figure)
    if group_by == "total" and key != TOTAL_KEY:
        raise ServiceError(_("The whole country's key is %(key)s.", key=TOTAL_KEY))
    return Selection(as_of, group_by, key, figure)


def group_label(chosen: Selection) -> str:
    """The chosen group in words: "the whole country", "angkatan 2019", "province Maluku Utara"."""
    if chosen.group_by == "total":
        return _("the whole country")
    if chosen.group_by == "polytechnic":
        return chosen.key
    key = formatting.region(chosen.key) if chosen.group_by == "province" else chosen.key
    return str(GROUP_LABELS[chosen.group_by]) % {"key": key}


def stored_figure(chosen: Selection) -> tuple[int, datetime] | None:
    """The chosen figure as the snapshot of the as-of date stored it (0 for a group without alumni, which it does
    not list), with when it was computed; None when no snapshot of that date is stored."""
    computed_at = db.session.scalar(
        sa.select(MetricSnapshot.computed_at).where(MetricSnapshot.as_of == chosen.as_of).limit(1)
    )
    if computed_at is None:
        return None
    stored = db.session.scalar(
        sa.select(MetricSnapshot).where(
            MetricSnapshot.as_of == chosen.as_of,
            MetricSnapshot.group_by == chosen.group_by,
            MetricSnapshot.key == chosen.key,
        )
    )
    return (getattr(stored, chosen.figure) if stored else 0), (stored.computed_at if stored else computed_at)


def _names(names) -> str:
    return ", ".join(names)


def _people(dialect: str, chosen: Selection, user: User | None):
    """Every alumnus as of the date (bind parameter as_of) of the chosen group and in the user's scope, one row each:
    facilitator_id, nik, full_name, angkatan, polytechnic, province, exit_date, first_contract_start, counted_surveys,
    latest_survey_date, latest_status, classification, wub_active, founded_date, reason, and for the reason's words
    whether an unverified survey awaits (awaiting, 0 or 1)."""
    alumni = _alumni(dialect)
    first = (
        sa.select(Contract.facilitator_id, _date(sa.func.min(Contract.start_date), "first_start"))
        .group_by(Contract.facilitator_id)
        .subquery("first_starts")
    )
    survey = OutcomeSurvey
    wirausaha = survey.status == SurveyStatus.WIRAUSAHA
    verified = survey.verification == Verification.VERIFIED
    new_business = sa.and_(survey.founded_date.is_not(None), survey.founded_date >= first.c.first_start)
    # The same rule as metric._facts: verified wirausaha, founded on or after the first start.
    qualifying = sa.and_(wirausaha, verified, new_business)
    counted = sa.and_(
        survey.facilitator_id == alumni.c.facilitator_id,
        survey.survey_date > alumni.c.exit_date,
        survey.survey_date <= AS_OF,
    )
    per_alumnus = (
        sa.select(
            alumni.c.facilitator_id,
            sa.func.min(alumni.c.angkatan).label("angkatan"),
            sa.func.min(alumni.c.polytechnic).label("polytechnic"),
            sa.func.substr(sa.func.min(alumni.c.placement_code), 1, 2).label("province"),
            _date(sa.func.min(alumni.c.exit_date), "exit_date"),
            _date(sa.func.min(first.c.first_start), "first_start"),
            sa.func.count(survey.id).label("counted_surveys"),
            _date(sa.func.max(survey.survey_date), "latest"),
            _date(sa.func.max(sa.case((qualifying, survey.survey_date))), "latest_qualifying"),
            _date(sa.func.min(sa.case((qualifying, survey.founded_date))), "first_founded"),
            _date(sa.func.max(sa.case((wirausaha, survey.survey_date))), "latest_wirausaha"),
            sa.func.max(_flag(sa.and_(wirausaha, survey.verification == Verification.UNVERIFIED))).label("unverified"),
            sa.func.max(_flag(sa.and_(wirausaha, sa.not_(verified), new_business))).label("pending"),
            sa.func.max(_flag(sa.and_(wirausaha, survey.verification == Verification.UNVERIFIED, new_business))).label(
                "awaiting"
            ),
            sa.func.max(_flag(sa.and_(wirausaha, survey.founded_date.is_(None)))).label("missing_founded"),
        )
        .select_from(alumni)
        .join(first, first.c.facilitator_id == alumni.c.facilitator_id)
        .outerjoin(survey, counted)
        .where(*_alumni_conditions(alumni, chosen, user))
        .group_by(alumni.c.facilitator_id)
        .subquery("per_alumnus")
    )
    tpl = per_alumnus.c
    is_wub = tpl.first_founded.is_not(None)
    other = sa.orm.aliased(OutcomeSurvey, name="other_survey")
    latest_status = (
        sa.select(other.status)
        .where(other.facilitator_id == tpl.facilitator_id, other.survey_date == tpl.latest)
        .order_by(other.id.desc())
        .limit(1)
        .scalar_subquery()
    )
    latest_wirausaha_founded = (
        sa.select(other.founded_date)
        .where(other.facilitator_id == tpl.facilitator_id, other.survey_date == tpl.latest_wirausaha)
        .order_by(other.id.desc())
        .limit(1)
        .scalar_subquery()
    )
    classification = sa.case(
        (is_wub, "wub"),
        (tpl.unverified == 1, "wub_unverified"),
        (tpl.counted_surveys > 0, "tracked"),
        else_="untracked",
    )
    reason = sa.case(
        (is_wub, "qualifying_survey"),
        (tpl.counted_surveys == 0, "no_survey_after_exit"),
        (tpl.latest_wirausaha.is_(None), "not_wirausaha"),
        (tpl.pending == 1, "not_verified"),
        (tpl.missing_founded == 1, "no_founded_date"),
        else_="founded_before_first_contract",
    )
    return (
        sa.select(
            tpl.facilitator_id,
            Facilitator.nik,
            Facilitator.full_name,
            tpl.angkatan,
            tpl.polytechnic,
            tpl.province,
            _date(tpl.exit_date, "exit_date"),
            _date(tpl.first_start, "first_contract_start"),
            tpl.counted_surveys,
            _date(tpl.latest, "latest_survey_date"),
            latest_status.label("latest_status"),
            classification.label("classification"),
            _flag(tpl.latest_qualifying == tpl.latest).label("wub_active"),
            _date(sa.case((is_wub, tpl.first_founded), else_=latest_wirausaha_founded), "founded_date"),
            reason.label("reason"),
            tpl.awaiting,
        )
        .join(Facilitator, Facilitator.id == tpl.facilitator_id)
        .subquery("people")
    )


def _alumni_conditions(alumni, chosen: Selection, user: User | None) -> list:
    """SQL conditions on the alumni (before their surveys are read): the chosen group (an unknown key matches
    nobody), and the user's scope when a user is given."""
    conditions = []
    if user is not None:
        conditions.append(alumni.c.facilitator_id.in_(sa.select(Facilitator.id).where(facilitator_scope(user))))
    group_by, key = chosen.group_by, chosen.key
    if group_by == "province":
        conditions.append(sa.func.substr(alumni.c.placement_code, 1, 2) == key)
    elif group_by == "polytechnic":
        conditions.append(alumni.c.polytechnic == key)
    elif group_by in ("angkatan", "exit_year"):
        year = int(key) if key.isdigit() and len(key) <= 4 else 0
        if not 1 <= year < 9999:
            conditions.append(sa.false())
        elif group_by == "angkatan":
            conditions.append(alumni.c.angkatan == year)
        else:
            conditions.append(alumni.c.exit_date.between(date(year, 1, 1), date(year, 12, 31)))
    return conditions


def _figure_condition(people, figure: str):
    """SQL condition: the person counts in the figure (docs/metric.md, "The figures")."""
    c = people.c
    return {
        "alumni": sa.true(),
        "tracked": c.counted_surveys > 0,
        "wub": c.classification == "wub",
        "wub_active": c.wub_active == 1,
        "wub_unverified": c.classification == "wub_unverified",
    }[figure]


def people_query(chosen: Selection, user: User | None = None):
    """The select of the chosen people (ordered by name, then TPL id), within the user's scope when a user is given
    (None: the whole country, for the command line); execute it with {"as_of": chosen.as_of}."""
    people = _people(db.session.get_bind().dialect.name, chosen, user)
    query = sa.select(people).where(_figure_condition(people, chosen.figure))
    return query.order_by(people.c.full_name, people.c.facilitator_id)


def count_people(chosen: Selection, user: User | None = None) -> int:
    """How many people the selection lists: the figure of the group."""
    query = people_query(chosen, user).order_by(None)
    return db.session.scalar(sa.select(sa.func.count()).select_from(query.subquery()), {"as_of": chosen.as_of})


def list_people(chosen: Selection, user: User | None = None, limit: int | None = None, offset: int = 0) -> list:
    """The rows of the chosen people (one page with limit and offset)."""
    query = people_query(chosen, user)
    if limit is not None:
        query = query.limit(limit).offset(offset)
    return list(db.session.execute(query, {"as_of": chosen.as_of}))


def page_of_people(chosen: Selection, user: User | None, limit: int, offset: int = 0) -> tuple[list, int]:
    """One page of the chosen people and how many there are in all, in one statement (the total rides on each row
    as a window count; a page past the end counts them on its own)."""
    query = people_query(chosen, user)
    query = query.add_columns(sa.func.count().over().label("list_total")).limit(limit).offset(offset)
    rows = list(db.session.execute(query, {"as_of": chosen.as_of}))
    if rows:
        return rows, rows[0].list_total
    return [], (count_people(chosen, user) if offset else 0)


def stream_people(chosen: Selection, user: User | None = None) -> Iterator:
    """The rows of the chosen people, fetched a batch at a time (for files of the whole country). The statement, the
    user's scope with it, is built at once: the rows may be read later, once the user's session has ended."""
    query = people_query(chosen, user).execution_options(yield_per=STREAM_BATCH)

    def rows():
        yield from db.session.execute(query, {"as_of": chosen.as_of})

    return rows()


# --- files ----------------------------------------------------------------------------------------------------------

# The command line's columns, in this order (issue 12): codes and ISO dates, the full NIK.
CLI_COLUMNS = [
    Column("nik", attrgetter("nik")),
    Column("full_name", attrgetter("full_name")),
    Column("angkatan", attrgetter("angkatan"), kind="int"),
    Column("polytechnic", attrgetter("polytechnic")),
    Column("province", attrgetter("province")),
    Column("exit_date", attrgetter("exit_date"), kind="date"),
    Column("first_contract_start", attrgetter("first_contract_start"), kind="date"),
    Column("counted_surveys", attrgetter("counted_surveys"), kind="int"),
    Column("latest_survey_date", attrgetter("latest_survey_date"), kind="date"),
    Column("latest_status", attrgetter("latest_status")),
    Column("classification", attrgetter("classification")),
    Column("wub_active", attrgetter("wub_active"), kind="int"),
    Column("founded_date", attrgetter("founded_date"), kind="date"),
    Column("reason", attrgetter("reason")),
]


def reason_text(row) -> str:
    """Why the person is or is not counted, in the reader's language (docs/metric.md)."""
    if row.reason == "qualifying_survey":
        return _(
            "verified business founded %(month)s, after the first contract started",
            month=formatting.month(row.founded_date),
        )
    if row.reason == "not_verified":
        return _("survey not verified yet") if row.awaiting else _("survey rejected at verification")
    return str(REASON_LABELS[row.reason])


REASON_LABELS = {
    "founded_before_first_contract": _l("business founded before the first contract"),
    "no_founded_date": _l("business without a founding date"),
    "not_wirausaha": _l("not running a business"),
    "no_survey_after_exit": _l("no survey after the exit date"),
}


def download_columns(masked: bool) -> list[Column]:
    """The columns of a download from the web, titled in the reader's language, with codes beside names and the
    NIK masked when the reader may not see it."""
    return [
        Column("nik", lambda row: formatting.nik(row.nik, masked), header=_("NIK")),
        Column("full_name", attrgetter("full_name"), header=_("Name")),
        Column("angkatan", attrgetter("angkatan"), header=_("Angkatan"), kind="int"),
        Column("polytechnic", attrgetter("polytechnic"), header=_("Home polytechnic")),
        Column("province_code", attrgetter("province"), header=_("Province code")),
        Column("province", lambda row: formatting.region(row.province), header=_("Province")),
        Column("exit_date", attrgetter("exit_date"), header=_("Exit date"), kind="date"),
        Column(
            "first_contract_start", attrgetter("first_contract_start"), header=_("First contract start"), kind="date"
        ),
        Column("counted_surveys", attrgetter("counted_surveys"), header=_("Counted surveys"), kind="int"),
        Column("latest_survey_date", attrgetter("latest_survey_date"), header=_("Latest survey"), kind="date"),
        Column("latest_status", lambda row: SurveyStatus.label_of(row.latest_status), header=_("Latest status")),
        Column("classification", lambda row: CLASSIFICATION_LABELS[row.classification], header=_("Classification")),
        Column("wub_active", attrgetter("wub_active"), header=_("WUB active"), kind="int"),
        Column("founded_date", attrgetter("founded_date"), header=_("Founded"), kind="date"),
        Column("reason", reason_text, header=_("Why (not) counted")),
    ]
