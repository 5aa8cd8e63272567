"""Each TPL's roster flags of today, kept in a table so that the roster's flag filters do not compute the month of
every TPL in scope at each request (issue 10).

The flags are those of services/supervision.py, computed by its own query (one definition). A row holds one TPL's
flags as of one day (`as_of`) and is read only on that day and only when the TPL's records have not changed since:
- when a transaction commits that changed (through the ORM) a TPL's activities, permits, mentorships, months,
  targets or contracts, the TPL's row is computed again before the commit, in the same transaction; services that
  change such records with a plain SQL statement say so with `touch`;
- the flags also change with the date alone (a quiet fortnight, the 6th of the month, the pro-rated targets): the
  `refresh-roster-flags` job computes every TPL's row again once the day has changed;
- a TPL changed in the transaction still under way, or without a row of today, has its flags computed at the
  request, as before: a stale row is never read, so the table only makes the roster faster, never different.
"""

from collections.abc import Container, Iterable
from datetime import date

import sqlalchemy as sa
from flask import current_app

from ..dates import programme_today
from ..extensions import cache, db
from ..models import Activity, Contract, Facilitator, Mentorship, MonthlyReport, PermitFacilitation, RosterFlag, Target

# The table's flag columns (named as services/supervision.py's FLAGS: the tests compare what each computes).
FLAG_COLUMNS = tuple(column.name for column in RosterFlag.__table__.columns if isinstance(column.type, sa.Boolean))
BATCH = 2000  # TPL computed per statement
TOUCHED = "roster_flags_touched"  # session.info key: ids of the TPL whose records changed in the transaction
CREATED = "roster_flags_created"  # session.info key: those of them the transaction itself created
# The records the flags are computed from, each naming its TPL in `facilitator_id`.
TRACKED = (Activity, PermitFacilitation, Mentorship, MonthlyReport, Target, Contract)


def touched(session=None) -> set[int]:
    """The ids of the TPL whose records the transaction under way has changed (flushed or not yet computed)."""
    session = session or db.session()
    return session.info.setdefault(TOUCHED, set())


def touch(facilitator_ids: Iterable[int], session=None, created: bool = False) -> None:
    """Mark TPL whose records a plain SQL statement changed: their flags are computed again at commit. `created`:
    TPL the transaction itself created (an import's new TPL), which no other transaction can see or change, so
    that they are computed without being held and have no row to drop."""
    session = session or db.session()
    ids = [i for i in facilitator_ids if i is not None]
    touched(session).update(ids)
    if created:
        session.info.setdefault(CREATED, set()).update(ids)


def _collect(session, _flush_context) -> None:
    """After a flush: note the TPL of every tracked record written (its old TPL too, when it moved)."""
    ids = touched(session)
    for obj in (*session.new, *session.dirty, *session.deleted):
        if isinstance(obj, TRACKED):
            # Read from the object's state, never loaded: a deleted record's row is gone by now.
            history = sa.inspect(obj).attrs.facilitator_id.history
            ids.update(i for i in (*history.added, *history.unchanged, *history.deleted) if i is not None)


def _compute_before_commit(session) -> None:
    """Before a commit: compute again the rows of the TPL the transaction changed."""
    session.flush()  # what is still pending is part of the transaction (and names its TPL in `_collect`)
    ids = sorted(session.info.pop(TOUCHED, set()))
    created = session.info.pop(CREATED, set())
    if ids:
        compute(ids, programme_today(), session=session, created=created)
    session.info.pop(TOUCHED, None)  # the flush of our own rows touches nothing, but stay clean


def _forget(session, *_args) -> None:
    """After a rollback: nothing the transaction changed is left to compute."""
    session.info.pop(TOUCHED, None)
    session.info.pop(CREATED, None)


def register(session_class) -> None:
    """Keep the table current for every session of `session_class` (and its subclasses); idempotent."""
    for name, listener in (
        ("after_flush", _collect),
        ("before_commit", _compute_before_commit),
        ("after_rollback", _forget),
    ):
        if not sa.event.contains(session_class, name, listener):
            sa.event.listen(session_class, name, listener)


# Written as text: SQLAlchemy compiles an ON CONFLICT insert anew at every execution (it has no cache key), which
# cost milliseconds a commit. The same statement on SQLite and PostgreSQL.
_UPSERT = """
INSERT INTO roster_flags (facilitator_id, as_of, no_activity, month_late, below_target)
VALUES (:facilitator_id, :as_of, :no_activity, :month_late, :below_target)
ON CONFLICT (facilitator_id) DO UPDATE SET as_of = excluded.as_of, no_activity = excluded.no_activity,
    month_late = excluded.month_late, below_target = excluded.below_target
"""
_UPSERT_TYPES = [
    sa.bindparam("facilitator_id", type_=sa.Integer),
    sa.bindparam("as_of", type_=sa.Date),
    *(sa.bindparam(name, type_=sa.Boolean) for name in FLAG_COLUMNS),
]
UPSERT = sa.text(_UPSERT).bindparams(*_UPSERT_TYPES)
# The daily job leaves alone a row a commit has already computed today: it may be newer than the job's.
UPSERT_OLDER = sa.text(_UPSERT + "WHERE roster_flags.as_of < excluded.as_of").bindparams(*_UPSERT_TYPES)


def _upsert(session, ids: list[int], today: date, only_older: bool) -> int:
    """Compute and store the flags of the TPL `ids` as of `today`; the rows computed."""
    from .supervision import RosterPeriod, flag_values_statement

    p = RosterPeriod.of(today)
    statement = flag_values_statement(p.late_due, session.get_bind().dialect.name)
    rows = session.execute(statement, p.params() | {"ids": ids}).mappings().all()
    if rows:
        session.execute(UPSERT_OLDER if only_older else UPSERT, [dict(row, as_of=today) for row in rows])
    return len(rows)


def compute(facilitator_ids: list[int], today: date, session=None, created: Container[int] = ()) -> int:
    """Compute and store the flags of the given TPL as of `today`, and drop the rows of those who can have none (no
    contract this month or the last: an import of past years' TPL computes nothing); return the rows written.

    The TPL are held until commit on PostgreSQL, so that two transactions changing one TPL compute it one after the
    other; those in `created` (made by this transaction, invisible to any other) are not, and have no row to drop."""
    session = session or db.session()
    written = 0
    for start in range(0, len(facilitator_ids), BATCH):
        ids = facilitator_ids[start : start + BATCH]
        stored = [i for i in ids if i not in created]
        # FOR NO KEY UPDATE: a second transaction computing the same TPL waits for this one's commit and then
        # reads what it wrote (its contracts too); a record inserted for the TPL (a foreign key's KEY SHARE lock)
        # does not wait.
        if stored and session.get_bind().dialect.name == "postgresql":  # SQLite lets one writer in at a time
            session.execute(
                sa.select(Facilitator.id)
                .where(Facilitator.id.in_(stored))
                .order_by(Facilitator.id)
                .with_for_update(key_share=True)
            ).all()
        flaggable = list(
            session.scalars(
                sa.select(Facilitator.id).where(Facilitator.id.in_(ids), Facilitator.id.in_(flaggable_ids(today)))
            )
        )
        others = sorted(set(stored) - set(flaggable))
        if others:
            session.execute(sa.delete(RosterFlag).where(RosterFlag.facilitator_id.in_(others)))
        if flaggable:
            written += _upsert(session, flaggable, today, only_older=False)
    return written


def flaggable_ids(today: date) -> sa.Select:
    """A select of the ids of the TPL with a contract in the month of `today` or the month before, without which no
    flag can be raised (a TPL without one needs no row)."""
    from .supervision import RosterPeriod

    p = RosterPeriod.of(today)
    return sa.select(Contract.facilitator_id).where(
        Contract.effective_end >= p.previous, Contract.start_date <= p.month_end
    )


def may_be_flagged(today: date):
    """SQL condition: the TPL (outer row) is one of `flaggable_ids`."""
    return Facilitator.id.in_(flaggable_ids(today))


def refresh_due(today: date | None = None) -> bool:
    """Whether a TPL who may have a flag raised has no row of today (a new day, a new database): the running
    contracts against the table's rows of today (counted: asked for the first one, PostgreSQL read every contract)."""
    today = today or programme_today()
    fresh = sa.exists().where(RosterFlag.facilitator_id == Contract.facilitator_id, RosterFlag.as_of == today)
    missing = flaggable_ids(today).where(~fresh).with_only_columns(sa.func.count())
    return bool(db.session.scalar(missing))


def complete(today: date) -> bool:
    """Whether every TPL who may have a flag raised has a row of `today`, so that the roster reads the table alone.

    Once true it stays true for the day (a commit computes the rows of the TPL it changed, and the job drops only
    the rows of earlier days), so a true answer is kept ROSTER_FLAGS_CHECK_SECONDS in the app's cache.
    """
    seconds = current_app.config["ROSTER_FLAGS_CHECK_SECONDS"]
    key = f"roster-flags-complete:{today.isoformat()}"
    if seconds > 0 and cache.get(key):
        return True
    done = not refresh_due(today)
    if done and seconds > 0:
        cache.set(key, True, timeout=seconds)
    return done


def refresh(today: date | None = None) -> int:
    """Compute the rows of today of every TPL who may have a flag raised, and drop the rows of earlier days;
    return the rows written."""
    today = today or programme_today()
    ids = list(db.session.scalars(sa.select(Facilitator.id).where(may_be_flagged(today)).order_by(Facilitator.id)))
    written = 0
    for start in range(0, len(ids), BATCH):
        written += _upsert(db.session, ids[start : start + BATCH], today, only_older=True)
    db.session.execute(sa.delete(RosterFlag).where(RosterFlag.as_of < today))
    if db.session.get_bind().dialect.name == "postgresql":
        # Every row was just written: the planner's statistics of the table follow at once (with none yet, it
        # expected ten rows of today and looped over every row for each TPL).
        db.session.execute(sa.text("ANALYZE roster_flags"))
    return written
