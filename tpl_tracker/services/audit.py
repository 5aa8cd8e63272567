"""The audit trail: one entry for every change and every security event."""

from collections.abc import Mapping
from contextvars import ContextVar
from datetime import date, datetime
from decimal import Decimal
from functools import cache
from typing import Any

import sqlalchemy as sa

from ..extensions import db
from ..models import AuditEntry

# The client's address of the current request, set by the web layer (services never read `request`).
client_ip: ContextVar[str | None] = ContextVar("client_ip", default=None)

# Columns never copied into the audit trail.
SECRET_FIELDS = {"password_hash", "session_token"}
_NOT_JSON = (date, datetime, Decimal)  # the values `_jsonable` writes as text


def _jsonable(value: Any) -> Any:
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


@cache
def audited_columns(table: sa.Table) -> tuple[str, ...]:
    """The columns of a table an audit snapshot copies: not the secrets, nor the copies the database keeps of
    other records' values (`info={"copy": True}`, such as a mentorship's regions)."""
    return tuple(c.key for c in table.columns if c.key not in SECRET_FIELDS and not c.info.get("copy"))


def snapshot(obj) -> dict[str, Any]:
    """The column values of a model instance, JSON-ready, secrets and copies left out."""
    return {key: _jsonable(getattr(obj, key)) for key in audited_columns(obj.__table__)}


def snapshot_values(values: Mapping[str, Any]) -> dict[str, Any]:
    """The snapshot of a record given as column values (a row just inserted), as `snapshot` gives it."""
    return {
        key: _jsonable(value) if isinstance(value, _NOT_JSON) else value  # the test alone is cheaper than the call
        for key, value in values.items()
        if key not in SECRET_FIELDS
    }


def changed(before: dict[str, Any], after: dict[str, Any]) -> tuple[dict, dict]:
    """Only the fields that differ between two snapshots."""
    keys = [k for k in after if before.get(k) != after.get(k)]
    return {k: before.get(k) for k in keys}, {k: after.get(k) for k in keys}


def record(
    action: str, actor=None, entity=None, before=None, after=None, note=None, entity_type=None, entity_id=None
) -> AuditEntry:
    """Add an audit entry to the current transaction (the caller commits)."""
    if entity is not None:
        entity_type = entity_type or entity.__tablename__
        entity_id = entity_id if entity_id is not None else getattr(entity, "id", None)
    ip = client_ip.get()
    entry = AuditEntry(
        action=action,
        actor_id=getattr(actor, "id", None),
        entity_type=entity_type,
        entity_id=str(entity_id) if entity_id is not None else None,
        before=before,
        after=after,
        note=note[:500] if note else None,
        ip=ip,
    )
    db.session.add(entry)
    return entry


def record_access_denied(user, path: str) -> None:
    """Audit a refused access (the caller, a boundary, has undone the refused request's work and commits)."""
    record("access_denied", actor=user, entity_type="route", note=path[:500])


HISTORY_LIMIT = 200  # entries a record's page shows at most, unless it links to a page of its whole history
HISTORY_ORDER = [AuditEntry.at, AuditEntry.id]  # newest first (the keys of a history page, descending)


def history_query(*records):
    """A select of the audit entries of one or more records (model instances), newest first, with their actors
    loaded; one that selects nothing without records.

    Callers show it only to users who may see the records themselves.
    """
    import sqlalchemy as sa
    from sqlalchemy.orm import joinedload

    from ..database import one_of

    ids_by_table: dict[str, list[str]] = {}
    for obj in records:
        if obj is not None:
            ids_by_table.setdefault(obj.__tablename__, []).append(str(obj.id))
    # One condition per table, its ids one list: the statement's text depends on the tables only, so it is
    # compiled once and prepared once however many mentorships or assessments a business has.
    conditions = [
        sa.and_(AuditEntry.entity_type == table, one_of(AuditEntry.entity_id, ids))
        for table, ids in ids_by_table.items()
    ]
    return (
        sa.select(AuditEntry)
        .options(joinedload(AuditEntry.actor))
        .where(sa.or_(*conditions) if conditions else sa.false())
        .order_by(AuditEntry.at.desc(), AuditEntry.id.desc())
    )


def history(*records, limit: int = HISTORY_LIMIT) -> list[AuditEntry]:
    """The latest `limit` audit entries of one or more records (`history_query`)."""
    if not any(obj is not None for obj in records):
        return []
    return list(db.session.scalars(history_query(*records).limit(limit)))
