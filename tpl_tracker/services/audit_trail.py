"""Reading the audit trail: its filters, each entry's changes as rows of field, before and after (labelled, secrets
left out, NIK and phone masked for readers who see them masked), and its export as CSV or Excel, itself audited.
Writing the trail is services/audit.py; the labels are services/audit_labels.py."""

from collections.abc import Iterator
from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime, timedelta
from operator import itemgetter

import sqlalchemy as sa
from flask_babel import format_date
from flask_babel import gettext as _

from .. import formatting
from ..dates import day_start, programme_time
from ..extensions import db
from ..models import AuditEntry, User
from . import Problems, audit, throttle
from .audit_labels import HIDDEN_FIELDS, action_label, field_label, record_label
from .exports import Column
from .people import like_term

EXPORT_FORMATS = ("csv", "xlsx")
XLSX_MAX_ROWS = 1_048_575  # an Excel sheet's rows, less the header
EXPORT_BATCH = 1000
NIK_FIELDS = frozenset({"nik", "owner_nik"})
PHONE_FIELDS = frozenset({"phone"})
REGION_FIELDS = frozenset({"region_code", "placement_code", "business_region_code"})
RUPIAH_FIELDS = frozenset({"capital", "turnover", "monthly_revenue"})
FIRST_DAY, LAST_DAY = date(1990, 1, 1), date(2100, 12, 31)  # the days a filter may name


# --- filters --------------------------------------------------------------------------------------------------


@dataclass
class AuditFilter:
    """What the audit page is filtered by (each empty when not used)."""

    user: str | None = None  # part of the actor's name or email
    action: str | None = None
    entity_type: str | None = None
    entity_id: str | None = None
    since: date | None = None
    until: date | None = None
    typed_email: str | None = None  # the address typed in a failed attempt (kept only as its keyed hash)

    def described(self) -> dict:
        """The filters used, as the export's audit entry keeps them: a typed email only as its keyed hash."""
        values = {key: value for key, value in asdict(self).items() if value not in (None, "")}
        if "typed_email" in values:
            values["typed_email"] = f"account {throttle.account_digest(values['typed_email'])}"
        return {key: value.isoformat() if isinstance(value, date) else value for key, value in values.items()}


def check_filter(filters: AuditFilter) -> None:
    """Refuse filters that cannot select anything sensible, naming every problem."""
    problems = Problems()
    for field, day in (("since", filters.since), ("until", filters.until)):
        if day is not None and not FIRST_DAY <= day <= LAST_DAY:
            message = _("Give a date between %(first)d and %(last)d.", first=FIRST_DAY.year, last=LAST_DAY.year)
            problems.add(message, field)
    if not problems.found and filters.since and filters.until and filters.since > filters.until:
        problems.add(_("The first day comes after the last day."), "until")
    problems.raise_if_any()


def entries_query(filters: AuditFilter) -> sa.Select:
    """The entries the filters select, newest first, with their actors."""
    return _filtered(filters).order_by(AuditEntry.id.desc()).options(sa.orm.joinedload(AuditEntry.actor))


def _filtered(filters: AuditFilter) -> sa.Select:
    query = sa.select(AuditEntry)
    if filters.user:
        term = like_term(" ".join(filters.user.split()))
        actors = sa.select(User.id).where(
            sa.or_(sa.func.lower(User.full_name).like(term, escape="\\"), User.email.like(term, escape="\\"))
        )
        query = query.where(AuditEntry.actor_id.in_(actors))
    if filters.action:
        query = query.where(AuditEntry.action == filters.action)
    if filters.entity_type:
        query = query.where(AuditEntry.entity_type == filters.entity_type)
    if filters.entity_id:
        query = query.where(AuditEntry.entity_id == filters.entity_id.strip())
    if filters.since:
        query = query.where(AuditEntry.at >= day_start(filters.since))
    if filters.until:
        query = query.where(AuditEntry.at < day_start(filters.until + timedelta(days=1)))
    if filters.typed_email:
        # Failed checks keep only a keyed hash of the typed address: look for that hash.
        query = query.where(AuditEntry.note.contains(throttle.account_digest(filters.typed_email)))
    return query


# --- one entry, readable --------------------------------------------------------------------------------------


@dataclass
class Change:
    """One field of an entry: its label and the values before and after, as shown."""

    label: str
    before: str
    after: str


def _code_labels() -> dict[tuple[str, str], type]:
    """The code list (a CodeEnum) of each coded column, by (table, column), from the CHECK constraints."""
    if not hasattr(_code_labels, "cache"):
        found = {}
        for table in db.metadata.tables.values():
            for constraint in table.constraints:
                codes = getattr(constraint, "info", {}).get("codes")
                if codes is not None:
                    found[(table.name, str(constraint.name).removeprefix(f"ck_{table.name}_"))] = codes
        _code_labels.cache = found
    return _code_labels.cache


def _column_type(table: str | None, key: str) -> type | None:
    columns = db.metadata.tables[table].columns if table in db.metadata.tables else {}
    column = columns.get(key)
    try:
        return column.type.python_type if column is not None else None
    except NotImplementedError:
        return None


def shown_value(table: str | None, key: str, value, masked: bool) -> str:
    """A stored value as the reader sees it: codes by their labels, dates and money the Indonesian way, NIK and
    phone masked when the reader sees them masked."""
    if value is None or value == "" or value == []:
        return "–"
    if isinstance(value, bool):
        return _("Yes") if value else _("No")
    if key in NIK_FIELDS:
        return formatting.nik(str(value), masked)
    if key in PHONE_FIELDS:
        return formatting.phone(str(value), masked)
    if isinstance(value, list):
        return ", ".join(shown_value(table, key, item, masked) for item in value)
    if isinstance(value, dict):
        return "; ".join(f"{field_label(table, k)}: {shown_value(table, k, v, masked)}" for k, v in value.items())
    codes = _code_labels().get((table or "", key))
    if codes is not None:
        return str(codes.label_of(value))
    if key in REGION_FIELDS:
        return f"{value} {formatting.region(str(value))}".strip()
    if key in RUPIAH_FIELDS and isinstance(value, int):
        return formatting.rupiah(value)
    kind = _column_type(table, key)
    if isinstance(value, str) and kind in (date, datetime):
        try:
            moment = datetime.fromisoformat(value)
        except ValueError:
            return value
        if kind is date:
            return format_date(moment.date(), "dd/MM/yyyy")
        return formatting.stamp(moment if moment.tzinfo else moment.replace(tzinfo=UTC))
    return str(value)


def changes_of(entry: AuditEntry, masked: bool) -> list[Change]:
    """The fields an entry recorded, labelled, with their values before and after (secrets left out)."""
    before, after = entry.before or {}, entry.after or {}
    if not isinstance(before, dict) or not isinstance(after, dict):
        return []
    keys = [key for key in after if key not in HIDDEN_FIELDS]
    keys += [key for key in before if key not in after and key not in HIDDEN_FIELDS]
    if entry.entity_id is not None and str(after.get("id", before.get("id"))) == entry.entity_id:
        keys.remove("id")  # the record's own id: shown with the record already
    table = entry.entity_type
    return [
        Change(
            label=str(field_label(table, key)),
            before=shown_value(table, key, before[key], masked) if key in before else "–",
            after=shown_value(table, key, after[key], masked) if key in after else "–",
        )
        for key in keys
    ]


@dataclass
class EntryView:
    """An audit entry as the page shows it."""

    entry: AuditEntry
    action: str
    record: str
    changes: list[Change]


def entry_views(entries: list[AuditEntry], masked: bool) -> list[EntryView]:
    """The entries of a page, each with its labels and changes."""
    return [
        EntryView(
            entry, str(action_label(entry.action)), str(record_label(entry.entity_type)), changes_of(entry, masked)
        )
        for entry in entries
    ]


# --- export ---------------------------------------------------------------------------------------------------


def export_bound(filters: AuditFilter) -> tuple[int, int]:
    """The newest entry an export includes (the latest id now: entries written later, the export's own among them,
    stay out) and how many entries it holds."""
    bound = db.session.scalar(sa.select(sa.func.max(AuditEntry.id))) or 0
    query = _filtered(filters).where(AuditEntry.id <= bound)
    count = db.session.scalar(sa.select(sa.func.count()).select_from(query.subquery()))
    return bound, count


def record_export(actor: User, filters: AuditFilter, fmt: str, rows: int) -> AuditEntry:
    """Audit an export of the trail: who, in which format, with which filters, how many entries."""
    return audit.record(
        "audit_exported",
        actor=actor,
        entity_type="audit_entries",
        after={"format": fmt, "filters": filters.described(), "rows": rows},
    )


def export_columns() -> list[Column]:
    """The columns of an export (over the rows of `export_rows`), titled in the interface language."""
    titles = [
        (_("Id"), "int"),
        (_("Time (WIB)"), "datetime"),
        (_("User"), "text"),
        (_("User's email"), "text"),
        (_("Action"), "text"),
        (_("Action code"), "text"),
        (_("Record type"), "text"),
        (_("Record id"), "int"),
        (_("Changes (field: before → after)"), "text"),
        (_("Note"), "text"),
        (_("IP address"), "text"),
    ]
    return [
        Column(key=f"c{index}", header=title, kind=kind, value=itemgetter(index))
        for index, (title, kind) in enumerate(titles)
    ]


def export_rows(filters: AuditFilter, bound: int, masked: bool) -> Iterator[list]:
    """The exported entries (up to `bound`), newest first, one row each, read a batch at a time by id."""
    query = entries_query(filters).where(AuditEntry.id <= bound)
    last = None
    while True:
        batch = query if last is None else query.where(AuditEntry.id < last)
        entries = list(db.session.scalars(batch.limit(EXPORT_BATCH)).unique())
        for entry in entries:
            changes = "\n".join(f"{c.label}: {c.before} → {c.after}" for c in changes_of(entry, masked))
            actor = entry.actor
            yield [
                entry.id,
                programme_time(entry.at).replace(tzinfo=None),
                actor.full_name if actor else _("system"),
                actor.email if actor else "",
                str(action_label(entry.action)),
                entry.action,
                str(record_label(entry.entity_type)),
                entry.entity_id or "",
                changes,
                entry.note or "",
                entry.ip or "",
            ]
        if len(entries) < EXPORT_BATCH:
            return
        last = entries[-1].id
        for entry in entries:  # a batch at a time: the session keeps none of them
            db.session.expunge(entry)
