"""Writing many checked records at once (the importer's path): batched inserts and updates, one audit entry each.

The domain services (`facilitators.import_*`, `outcomes.import_surveys`) decide what is written; this module only
writes it fast: a multi-row INSERT ... RETURNING per batch instead of one ORM object per row, and the audit entries
as one multi-row INSERT per batch. Like every service it flushes and never commits.
"""

from collections.abc import Callable, Iterable, Iterator
from typing import Any

import sqlalchemy as sa

from ..extensions import db
from ..models import AuditEntry, utcnow
from . import audit

BATCH_SIZE = 1000


def batches(items: list, size: int = BATCH_SIZE) -> Iterator[list]:
    """The items in consecutive slices of at most `size`."""
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _entry(action: str, actor, table: str, entity_id, before, after, note: str | None, at) -> dict[str, Any]:
    return {
        "at": at,
        "action": action,
        "actor_id": getattr(actor, "id", None),
        "entity_type": table,
        "entity_id": str(entity_id),
        "before": before,
        "after": after,
        "note": note[:500] if note else None,
        "ip": audit.client_ip.get(),
    }


def _write_audit(entries: list[dict[str, Any]]) -> None:
    if entries:
        db.session.execute(sa.insert(AuditEntry), entries)


def _by_columns(batch: list[dict[str, Any]]) -> dict[tuple[str, ...], list[int]]:
    """The positions of the batch's rows grouped by the columns they give (one INSERT needs the same columns)."""
    groups: dict[tuple[str, ...], list[int]] = {}
    for position, values in enumerate(batch):
        groups.setdefault(tuple(sorted(values)), []).append(position)
    return groups


def insert_many(
    model,
    rows: Iterable[dict[str, Any]],
    actor,
    action: str,
    note: str | None,
    audit_extra: list[dict[str, Any]] | None = None,
) -> list[int]:
    """Insert the rows (column values, already checked) and audit each as `action`; their new ids, in row order.

    A column a row leaves out gets its default, as when the record is built with the model. `audit_extra`, one
    per row, adds to each audit entry what the record holds besides its columns (an account's scope)."""
    table = model.__table__
    statement = sa.insert(table).returning(*table.columns, sort_by_parameter_order=True)
    ids: list[int] = []
    rows = list(rows)
    extras = iter(audit_extra) if audit_extra is not None else None
    for batch in batches(rows):
        at = utcnow()
        created: list = [None] * len(batch)
        for positions in _by_columns(batch).values():
            returned = db.session.execute(statement, [batch[p] for p in positions]).all()
            for position, row in zip(positions, returned, strict=True):
                created[position] = row
        ids.extend(row.id for row in created)
        entries = [_entry(action, actor, table.name, row.id, None, _after(row, extras), note, at) for row in created]
        _write_audit(entries)
    return ids


def _after(row, extras: Iterator[dict[str, Any]] | None) -> dict[str, Any]:
    after = audit.snapshot_values(row._mapping)
    return after | next(extras) if extras is not None else after


def update_many(
    changes: Iterable[tuple[Any, dict[str, Any]]],
    actor,
    action: str,
    note: str | None,
    before_update: Callable[[Any, dict[str, Any]], None] | None = None,
    state: Callable[[Any], dict[str, Any]] = audit.snapshot,
) -> int:
    """Give each loaded record its new values (already checked) and audit what changed; how many changed.

    `before_update` makes the changes the values do not name (called before they are set); `state` is what the
    audit compares, the record's columns unless the record holds more (an account's scope)."""
    changed = 0
    for batch in batches(list(changes)):
        snapshots = []
        for record, values in batch:
            before = state(record)
            if before_update is not None:
                before_update(record, values)
            for key, value in values.items():
                setattr(record, key, value)
            snapshots.append((record, before))
        db.session.flush()
        at = utcnow()
        entries = []
        for record, before in snapshots:
            old, new = audit.changed(before, state(record))
            if new:
                entries.append(_entry(action, actor, record.__tablename__, record.id, old, new, note, at))
        _write_audit(entries)
        changed += len(entries)
    return changed
