"""Writing many checked records at once (the importer's path): batched inserts and updates, one audit entry each.

The domain services (`facilitators.import_*`, `outcomes.import_surveys`) decide what is written; this module only
writes it fast. New rows and audit entries skip SQLAlchemy's per-row work: each column's value is completed with
its Python default and converted by its type's bind processor once, then a batch goes to the driver in one call
(PostgreSQL `COPY`, its ids drawn from the table's sequence first; SQLite `executemany`, its ids the consecutive
rowids the insert took), and the audit entry is built from the same values. A table with a default computed by
the database takes the slower multi-row INSERT ... RETURNING. Like every service it flushes and never commits:
everything goes through the session's connection, in its transaction.
"""

import enum
import operator
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


def _write_audit(action: str, actor, note: str | None, at, entries: list[tuple[str, Any, Any, Any]]) -> None:
    """Insert one audit entry per (table, record id, before, after), all with the same action, actor, note and
    time: the columns they share are converted for the driver once, not once per entry."""
    if not entries:
        return
    table = AuditEntry.__table__
    dialect = db.session.connection().dialect
    shared = {
        "at": at,
        "action": action,
        "actor_id": getattr(actor, "id", None),
        "note": note[:500] if note else None,
        "ip": audit.client_ip.get(),
    }
    own = ["entity_type", "entity_id", "before", "after"]
    convert = {column.key: column.type._cached_bind_processor(dialect) or _same for column in table.columns}
    constants = [convert[key](value) for key, value in shared.items()]
    entity_type, before, after = convert["entity_type"], convert["before"], convert["after"]
    values = [
        [*constants, entity_type(table_name), str(entity_id), before(old), after(new)]
        for table_name, entity_id, old, new in entries
    ]
    _insert(table, [*shared, *own], values, with_ids=False)


def _same(value: Any) -> Any:
    return value


def _python_defaults(table: sa.Table) -> dict[str, Any] | None:
    """Per column but the primary key and the copies the database writes: its default (a callable or a constant),
    None for none; None in all when one is computed by the database (a SQL expression or a server default without a
    Python one)."""
    defaults: dict[str, Any] = {}
    for column in table.columns:
        if column.primary_key or column.info.get("copy"):  # a copy the database's triggers write (migrations 0021-0025)
            continue
        default = column.default
        if default is None:
            if column.server_default is not None:
                return None
            defaults[column.key] = None
        elif default.is_scalar or default.is_callable:
            defaults[column.key] = default.arg
        else:
            return None
    return defaults


def _complete(defaults: dict[str, Any], batch: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each row of the batch with every column but the primary key, a missing one given its default (a callable
    one called for each row, as an INSERT does: a session token differs from row to row), and a code list member
    as its stored value (the driver's own adapters would not all agree on it)."""
    constants = {key: _plain(default) for key, default in defaults.items() if not callable(default)}
    computed = [(key, default) for key, default in defaults.items() if callable(default)]
    complete = []
    for row in batch:
        own = {key: default(None) for key, default in computed if key not in row} | row
        for key, value in own.items():
            if isinstance(value, enum.Enum):
                own[key] = value.value
        complete.append(constants | own)
    return complete


def _plain(value: Any) -> Any:
    return value.value if isinstance(value, enum.Enum) else value


def _copy_in(table: sa.Table, rows: list[dict[str, Any]], with_ids: bool) -> list[int]:
    """Write complete rows (every column but the primary key) in one driver call; their new ids when `with_ids`."""
    dialect = db.session.connection().dialect
    columns = [column for column in table.columns if not column.primary_key and column.key in rows[0]]
    processors = [column.type._cached_bind_processor(dialect) for column in columns]
    converted = [(position, process) for position, process in enumerate(processors) if process is not None]
    cells = operator.itemgetter(*(column.key for column in columns))
    values: list = []
    for row in rows:
        value = list(cells(row)) if len(columns) > 1 else [cells(row)]
        for position, process in converted:
            value[position] = process(value[position])
        values.append(value)
    return _insert(table, [column.name for column in columns], values, with_ids)


def _insert(table: sa.Table, names: list[str], values: list[list], with_ids: bool) -> list[int]:
    """Insert rows already converted for the driver (values in the order of `names`) with the session's
    connection; their new ids when `with_ids`. A driver error is raised as SQLAlchemy would (an IntegrityError
    stays one)."""
    connection = db.session.connection()
    dialect = connection.dialect
    cursor = connection.connection.dbapi_connection.cursor()
    try:
        return _driver_insert(cursor, dialect.name, table, names, values, with_ids)
    except dialect.loaded_dbapi.Error as error:
        statement = f"bulk insert into {table.name}"
        raise sa.exc.DBAPIError.instance(statement, None, error, dialect.loaded_dbapi.Error) from error
    finally:
        cursor.close()


def _driver_insert(cursor, dialect: str, table: sa.Table, names: list[str], values: list[list], with_ids: bool) -> list:
    """Insert the rows (values in the order of `names`) with the driver's cursor; their new ids when `with_ids`."""
    if dialect == "postgresql":
        ids: list[int] = []
        if with_ids:
            (key,) = table.primary_key.columns
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
                (table.name, key.name, len(values)),
            )
            ids = [row[0] for row in cursor.fetchall()]
            names = [key.name, *names]
            values = [[new_id, *row] for new_id, row in zip(ids, values, strict=True)]
        with cursor.copy(f"COPY {table.name} ({', '.join(names)}) FROM STDIN") as copy:
            for row in values:
                copy.write_row(row)
        return ids
    marks = ", ".join("?" for _name in names)
    cursor.executemany(f"INSERT INTO {table.name} ({', '.join(names)}) VALUES ({marks})", values)
    if not with_ids:
        return []
    # The rows took consecutive rowids (the write lock is held, and each new rowid is the largest plus one).
    last = cursor.execute("SELECT last_insert_rowid()").fetchone()[0]
    first = last - len(values) + 1
    (key,) = table.primary_key.columns
    count = cursor.execute(f"SELECT count(*) FROM {table.name} WHERE {key.name} BETWEEN ? AND ?", (first, last))
    if count.fetchone()[0] != len(values):
        raise RuntimeError(f"bulk insert into {table.name}: the new rows' ids are not consecutive")
    return list(range(first, last + 1))


def insert_rows(table: sa.Table, rows: list[dict[str, Any]]) -> None:
    """Insert rows that give every column but the primary key, unaudited (derived records: the WUB snapshot), in
    one driver call."""
    if rows:
        db.session.flush()  # the driver call bypasses the session: what it holds goes first
        _copy_in(table, rows, with_ids=False)


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
    defaults = _python_defaults(table)
    if rows:
        db.session.flush()  # the driver calls below bypass the session: what it holds goes first
    for batch in batches(rows):
        at = utcnow()
        if defaults is not None:
            complete = _complete(defaults, batch)
            new_ids = _copy_in(table, complete, with_ids=True)
            (key,) = table.primary_key.columns
            ids.extend(new_ids)
            entries = [
                (table.name, new_id, None, _after({key.key: new_id, **values}, extras))
                for new_id, values in zip(new_ids, complete, strict=True)
            ]
            _write_audit(action, actor, note, at, entries)
            continue
        created: list = [None] * len(batch)
        for positions in _by_columns(batch).values():
            returned = db.session.execute(statement, [batch[p] for p in positions]).all()
            for position, row in zip(positions, returned, strict=True):
                created[position] = row
        ids.extend(row.id for row in created)
        entries = [(table.name, row.id, None, _after(row._mapping, extras)) for row in created]
        _write_audit(action, actor, note, at, entries)
    return ids


def _after(row, extras: Iterator[dict[str, Any]] | None) -> dict[str, Any]:
    after = audit.snapshot_values(row)
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
                entries.append((record.__tablename__, record.id, old, new))
        _write_audit(action, actor, note, at, entries)
        changed += len(entries)
    return changed
