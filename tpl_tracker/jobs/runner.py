"""Running scheduled jobs: every run recorded, one run at a time per job across every process and host, each
scheduled slot at most once.

The job's lock: on PostgreSQL a session-level advisory lock, held by a connection of its own for the whole run,
so the server frees it the moment the process dies; on SQLite a lease in `job_locks` (JOB_LEASE_SECONDS, timed
by the database's clock, which every process shares), renewed by a heartbeat thread while the job works, so a
dead process's lease lapses within that time. Whoever takes a job's lock marks the job's runs still `running`
as interrupted: the process that recorded them held the lock, so it is gone.

A scheduled run carries its slot, the fire time (`scheduled_for`); the unique index on (job name, slot) lets
one process take it. Another process that fires the same slot records nothing (it logs that the slot was
taken); a slot that meets a running job (a manual run, say) is recorded as skipped. Manual runs have no slot.

Queued runs: *Run now* on the jobs page does not run the job inside the web request; it records a run `queued`
(queue_job), which the `run-queued-work` job starts (run_queued) under the job's lock like any other run.

SIGTERM (install_stop_handler, in the CLI commands): a job working in the main thread is interrupted at once,
its work rolled back and its run recorded as interrupted; no new run starts.

The runner is the transaction boundary of a job: the lock, the run record and the job's own work each commit
here (the job's work once, or not at all when it fails); the services it calls only flush. On SQLite a write
that still finds the database locked after the busy timeout is tried again, and a run that cannot take its lock
for that reason is recorded as skipped.
"""

import logging
import os
import secrets
import signal
import socket
import threading
import time
import traceback
import zlib
from collections.abc import Callable
from contextvars import ContextVar
from datetime import UTC, date, datetime, timedelta

import sqlalchemy as sa
from flask import current_app

from ..dates import programme_date, programme_today
from ..extensions import db
from ..models import JobLock, JobRun, User
from ..services import ServiceError, audit
from . import JOBS

log = logging.getLogger(__name__)

LOCKED_ATTEMPTS = 6  # a SQLite write that finds the database locked is tried this often (each waits the busy timeout)
ADVISORY_NAMESPACE = 827_1001  # first key of the jobs' PostgreSQL advisory locks (the second: the job name's CRC)


class JobInterrupted(BaseException):
    """Raised in the main thread by the SIGTERM handler while a job works there."""


_stop = threading.Event()
_working_in_main_thread = False
# The id of the job run whose work is being done in this context (the runs that work records refer to it).
_current_run: ContextVar[int | None] = ContextVar("current_job_run", default=None)


def _now() -> datetime:
    return datetime.now(UTC)


def _holder() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(3)}"


def request_stop(signum=None, _frame=None) -> None:
    """Stop this process's jobs: no new run starts, and a job working in the main thread is interrupted now."""
    first = not _stop.is_set()
    _stop.set()
    if first and _working_in_main_thread and threading.current_thread() is threading.main_thread():
        raise JobInterrupted(signal.Signals(signum).name if signum else "a stop request")


def stop_requested() -> bool:
    """Whether this process was asked to stop (SIGTERM)."""
    return _stop.is_set()


def install_stop_handler() -> None:
    """Make SIGTERM end this process's jobs cleanly (the `jobs run` and `jobs scheduler` commands)."""
    _stop.clear()
    signal.signal(signal.SIGTERM, request_stop)


def _set_working(working: bool) -> None:
    global _working_in_main_thread
    if threading.current_thread() is threading.main_thread():
        _working_in_main_thread = working


def current_run_id() -> int | None:
    """The id of the job run whose work calls this (None outside a job's work)."""
    return _current_run.get()


def _is_locked_database(error: Exception) -> bool:
    return isinstance(error, sa.exc.OperationalError) and "database is locked" in str(error)


def _retry_locked(step: Callable):
    """Run a step of one transaction; when SQLite is still locked after the busy timeout, roll back and retry."""
    for attempt in range(1, LOCKED_ATTEMPTS + 1):
        try:
            return step()
        except sa.exc.OperationalError as error:
            db.session.rollback()
            if not _is_locked_database(error) or attempt == LOCKED_ATTEMPTS:
                raise
            log.warning("Database locked (attempt %d of %d); trying again", attempt, LOCKED_ATTEMPTS)
            time.sleep(0.1 * attempt * (1 + secrets.randbelow(100) / 100))
    raise AssertionError("unreachable")


def database_now(connection) -> datetime:
    """The database server's current time (UTC), the one clock all processes share."""
    if connection.dialect.name == "sqlite":
        text = connection.scalar(sa.text("SELECT strftime('%Y-%m-%d %H:%M:%f', 'now')"))
        return datetime.fromisoformat(text).replace(tzinfo=UTC)
    return connection.scalar(sa.select(sa.func.clock_timestamp())).astimezone(UTC)


class AdvisoryLock:
    """A job's PostgreSQL advisory lock on a connection of its own, held until released or the process dies."""

    def __init__(self, name: str, holder: str):
        crc = zlib.crc32(name.encode())
        self.key = crc - 2**32 if crc >= 2**31 else crc
        self.holder = holder
        self.connection = None

    def acquire(self) -> bool:
        """Take the lock if no other process holds it (never waits)."""
        connection = db.engine.connect().execution_options(isolation_level="AUTOCOMMIT")
        taken = connection.scalar(
            sa.text("SELECT pg_try_advisory_lock(:namespace, :key)"), {"namespace": ADVISORY_NAMESPACE, "key": self.key}
        )
        if taken:
            self.connection = connection
        else:
            connection.close()
        return bool(taken)

    def start_heartbeat(self) -> None:
        """Nothing to renew: the server holds the lock as long as the connection lives."""

    def still_held(self) -> bool:
        """Whether the lock's connection still answers (the server frees the lock when it goes)."""
        try:
            self.connection.execute(sa.text("SELECT 1"))
        except sa.exc.DBAPIError:
            return False
        return True

    def release(self) -> None:
        """Give the lock back and return its connection (a broken one is discarded, which frees the lock too)."""
        if self.connection is None:
            return
        try:
            self.connection.execute(
                sa.text("SELECT pg_advisory_unlock(:namespace, :key)"),
                {"namespace": ADVISORY_NAMESPACE, "key": self.key},
            )
        except sa.exc.DBAPIError:
            self.connection.invalidate()
        finally:
            self.connection.close()
            self.connection = None


class Lease:
    """A job's lease on SQLite: a row of `job_locks` valid until `locked_until` (database clock), renewed while
    the job works. Taking and releasing it are part of the caller's transaction in `db.session`."""

    def __init__(self, name: str, holder: str, seconds: float):
        self.name, self.holder, self.seconds = name, holder, seconds
        self.engine = db.engine

    def acquire(self) -> bool:
        """Take the lease if it is free or lapsed (uncommitted: the caller commits it with the run)."""
        if self._take():
            return True
        if db.session.get(JobLock, self.name) is not None:
            return False  # another process holds it
        try:
            with db.session.begin_nested():
                db.session.add(JobLock(job_name=self.name))
        except sa.exc.IntegrityError:
            pass  # another process created it first
        return self._take()

    def _take(self) -> bool:
        now = database_now(db.session.connection())
        result = db.session.execute(
            sa.update(JobLock)
            .where(
                JobLock.job_name == self.name,
                sa.or_(JobLock.locked_until.is_(None), JobLock.locked_until < now),
            )
            .values(holder=self.holder, locked_until=now + timedelta(seconds=self.seconds))
            .execution_options(synchronize_session=False)
        )
        return result.rowcount == 1

    def _renew(self, connection) -> bool:
        now = database_now(connection)
        result = connection.execute(
            sa.update(JobLock)
            .where(JobLock.job_name == self.name, JobLock.holder == self.holder)
            .values(locked_until=now + timedelta(seconds=self.seconds))
        )
        return result.rowcount == 1

    def beat(self) -> None:
        """Renew the lease once, in a transaction of its own (the renewing thread's); a released one is left alone."""
        try:
            with self.engine.begin() as connection:
                if not self._renew(connection) and _renewer.renews(self):
                    log.error("Job %s lost its lease; another process may have taken it", self.name)
                    _renewer.remove(self)
        except sa.exc.OperationalError as error:  # locked by the job's own transaction, say: next beat
            log.warning("Job %s: lease not renewed this time (%s)", self.name, error.orig)

    def start_heartbeat(self) -> None:
        """Renew the lease every third of its duration, from this process's renewing thread, until released."""
        _renewer.add(self)

    def still_held(self) -> bool:
        """Renew the lease inside the session's transaction: false when another process took it over.

        A database locked by another writer means the session has no transaction open (it would hold the write
        lock), so nothing uncommitted needs the lease: true."""
        try:
            return self._renew(db.session.connection())
        except sa.exc.OperationalError as error:
            if not _is_locked_database(error):
                raise
            db.session.rollback()
            return True

    def release(self) -> None:
        """Stop renewing and free the lease (only if still ours), committing."""
        _renewer.remove(self)

        def free():
            db.session.execute(
                sa.update(JobLock)
                .where(JobLock.job_name == self.name, JobLock.holder == self.holder)
                .values(holder=None, locked_until=None)
                .execution_options(synchronize_session=False)
            )
            db.session.commit()

        _retry_locked(free)


class _Renewer:
    """The one thread of this process that renews the leases of the jobs it runs, each every third of its duration.

    Started with the first lease and then kept: a thread started per run would cost each run the wait for the new
    thread to be scheduled, several milliseconds on a busy machine. A renewal runs outside the lock, so releasing a
    lease never waits for one (a renewal that comes after the release finds the lease no longer held and says
    nothing)."""

    def __init__(self):
        self._next: dict[Lease, float] = {}  # each lease renewed -> when to renew it next (time.monotonic())
        self._changed = threading.Condition()
        self._thread: threading.Thread | None = None

    def add(self, lease: Lease) -> None:
        """Renew the lease from now on."""
        with self._changed:
            self._next[lease] = time.monotonic() + lease.seconds / 3
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name="job-leases", daemon=True)
                self._thread.start()
            self._changed.notify()

    def remove(self, lease: Lease) -> None:
        """Renew the lease no more (nothing when it was not renewed)."""
        with self._changed:
            self._next.pop(lease, None)

    def renews(self, lease: Lease) -> bool:
        """Whether the lease is still renewed (not yet released)."""
        with self._changed:
            return lease in self._next

    def _run(self) -> None:
        while True:
            with self._changed:
                now = time.monotonic()
                due = [lease for lease, at in self._next.items() if at <= now]
                for lease in due:
                    self._next[lease] = now + lease.seconds / 3
                if not due:
                    self._changed.wait(min(self._next.values()) - now if self._next else None)
                    continue
            for lease in due:
                try:
                    lease.beat()
                except Exception:  # one lease's failure must not stop the renewal of the others
                    log.exception("Job %s: lease not renewed", lease.name)


_renewer = _Renewer()


def job_lock(name: str, holder: str) -> AdvisoryLock | Lease:
    """The lock of a job for this database: an advisory lock on PostgreSQL, a lease elsewhere (SQLite)."""
    if db.engine.dialect.name == "postgresql":
        return AdvisoryLock(name, holder)
    return Lease(name, holder, float(current_app.config.get("JOB_LEASE_SECONDS", 60)))


def _mark_interrupted(name: str) -> int:
    """Mark the job's `running` runs as interrupted (the caller holds the job's lock, so their process is gone)."""
    result = db.session.execute(
        sa.update(JobRun)
        .where(JobRun.job_name == name, JobRun.outcome == "running")
        .values(
            outcome="interrupted",
            finished_at=_now(),
            error="The process running this job ended before the run finished (killed or stopped); "
            "its work was not committed.",
        )
        .execution_options(synchronize_session=False)
    )
    return result.rowcount


def mark_interrupted_runs() -> int:
    """Mark the runs left `running` by processes that died as interrupted (jobs whose lock is free).

    Housekeeping: on a database that stays locked it gives up (logged); each job's next run marks its own."""

    def running_jobs() -> list[str]:
        names = db.session.scalars(sa.select(JobRun.job_name).where(JobRun.outcome == "running").distinct()).all()
        db.session.commit()
        return names

    marked = 0
    try:
        for name in _retry_locked(running_jobs):
            lock = job_lock(name, _holder())

            def take_and_mark(lock=lock, name=name) -> int:
                if not lock.acquire():
                    db.session.rollback()
                    return 0
                count = _mark_interrupted(name)
                db.session.commit()
                return count

            try:
                marked += _retry_locked(take_and_mark)
            finally:
                lock.release()
    except sa.exc.OperationalError as error:
        if not _is_locked_database(error):
            raise
        log.warning("Runs of dead processes not marked now: the database stays locked")
    return marked


def _insert_run(run: JobRun) -> bool:
    """Add the run row; false when its slot already has one (another scheduler took the slot)."""
    if run.scheduled_for is None:  # a run without a slot meets no other (no savepoint, two statements fewer)
        db.session.add(run)
        db.session.flush()
        return True
    try:
        with db.session.begin_nested():
            db.session.add(run)
    except sa.exc.IntegrityError:
        return False
    return True


def run_job(
    name: str,
    as_of: date | None = None,
    triggered_by: User | None = None,
    scheduled_for: datetime | None = None,
) -> JobRun | None:
    """Run one job now under its lock and record the run (a held lock records a skip); None when the scheduled
    slot was already taken by another process (nothing is recorded)."""
    job = JOBS.get(name)
    if job is None:
        raise ServiceError(f"Unknown job {name!r}.")
    as_of = as_of or (programme_date(scheduled_for) if scheduled_for else programme_today())
    holder = _holder()
    lock = job_lock(name, holder)
    fields = {
        "job_name": name,
        "as_of": as_of,
        "triggered_by_id": getattr(triggered_by, "id", None),
        "scheduled_for": scheduled_for,
        "holder": holder,
    }

    def start(acquire: bool = True) -> tuple[str, int | None]:
        taken = lock.acquire() if acquire else False
        if taken:
            _mark_interrupted(name)
            run = JobRun(**fields, outcome="running")
        else:
            run = JobRun(**fields, outcome="skipped", finished_at=_now())
            run.error = "Another process is running this job; this run was skipped."
        if not _insert_run(run):
            db.session.rollback()
            if taken:
                lock.release()
            return "slot taken", None
        if triggered_by is not None:
            audit.record(
                "job_started", actor=triggered_by, entity_type="job", entity_id=name, after={"as_of": as_of.isoformat()}
            )
        outcome, run_id = run.outcome, run.id  # read before the commit expires them (no new transaction after it)
        db.session.commit()
        return outcome, run_id

    try:
        try:
            outcome, run_id = _retry_locked(start)
        except sa.exc.OperationalError as error:
            if not _is_locked_database(error):
                raise
            # Still locked after every attempt: another process keeps writing (running this job, most likely).
            outcome, run_id = _retry_locked(lambda: start(acquire=False))
    except BaseException:
        if isinstance(lock, AdvisoryLock):
            lock.release()
        raise
    if outcome == "slot taken":
        log.info("Job %s: the slot %s was already taken by another scheduler; nothing to do", name, scheduled_for)
        return None
    if outcome == "skipped":
        return db.session.get(JobRun, run_id)
    try:
        return _work(job, as_of, run_id, lock)
    finally:
        lock.release()


def queue_job(name: str, triggered_by: User, as_of: date | None = None) -> JobRun:
    """Record a run of the job as queued, as of the date (default today), for the `run-queued-work` job to start
    (the caller commits)."""
    if name not in JOBS:
        raise ServiceError(f"Unknown job {name!r}.")
    run = JobRun(job_name=name, outcome="queued", as_of=as_of or programme_today(), triggered_by_id=triggered_by.id)
    db.session.add(run)
    db.session.flush()
    audit.record(
        "job_queued",
        actor=triggered_by,
        entity_type="job",
        entity_id=name,
        after={"as_of": run.as_of.isoformat(), "run": run.id},
    )
    return run


def queued_run_ids() -> list[int]:
    """The job runs waiting to start, oldest first."""
    return list(db.session.scalars(sa.select(JobRun.id).where(JobRun.outcome == "queued").order_by(JobRun.id)))


def run_queued(run_id: int) -> JobRun | None:
    """Start a queued run under its job's lock, as run_job does (a held lock makes it a recorded skip); None when
    it is no longer queued."""
    name = db.session.get(JobRun, run_id).job_name
    job = JOBS.get(name)
    if job is None:  # the job was removed from the list since it was queued
        return _retry_locked(lambda: _end_queued(run_id, "failed", f"Unknown job {name!r}."))
    holder = _holder()
    lock = job_lock(name, holder)

    def start() -> tuple[str, date] | None:
        run = db.session.get(JobRun, run_id)
        if run.outcome != "queued":
            db.session.rollback()
            return None
        if not lock.acquire():
            db.session.rollback()
            return "skipped", run.as_of
        _mark_interrupted(name)
        run.outcome, run.started_at, run.holder = "running", _now(), holder
        actor = db.session.get(User, run.triggered_by_id) if run.triggered_by_id else None
        if actor is not None:
            audit.record("job_started", actor=actor, entity_type="job", entity_id=name, after={"as_of": str(run.as_of)})
        as_of = run.as_of
        db.session.commit()
        return "running", as_of

    try:
        started = _retry_locked(start)
    except BaseException:
        if isinstance(lock, AdvisoryLock):
            lock.release()
        raise
    if started is None:
        return None
    outcome, as_of = started
    if outcome == "skipped":
        return _retry_locked(
            lambda: _end_queued(run_id, "skipped", "Another process is running this job; this run was skipped.")
        )
    try:
        return _work(job, as_of or programme_today(), run_id, lock)
    finally:
        lock.release()


def _end_queued(run_id: int, outcome: str, error: str) -> JobRun:
    """Record a queued run as ended without working (committing)."""
    run = db.session.get(JobRun, run_id)
    run.outcome, run.started_at, run.finished_at, run.error = outcome, _now(), _now(), error
    db.session.commit()
    return run


def _work(job, as_of: date, run_id: int, lock: AdvisoryLock | Lease) -> JobRun:
    """Do the job's work under its lock and record how it ended (the work commits with the run's outcome)."""
    lock.start_heartbeat()
    rows, error = 0, None
    token = _current_run.set(run_id)
    working_before = _working_in_main_thread  # a run started by another job's work (run-queued-work) gives it back
    try:
        if _stop.is_set():
            raise JobInterrupted("a stop request before the job started")
        _set_working(True)
        rows = job.func(as_of)
        _set_working(working_before)
    except (JobInterrupted, KeyboardInterrupt) as stop:
        _set_working(working_before)
        _stop.set()
        db.session.rollback()
        outcome = "interrupted"
        error = f"Stopped by {stop or 'an interrupt'} before the run finished; its work was rolled back."
    except Exception:
        _set_working(working_before)
        db.session.rollback()
        current_app.logger.exception("Job %s failed", job.name)
        outcome, error = "failed", traceback.format_exc()[-4000:]
    else:
        outcome = "success"
        if not lock.still_held():
            db.session.rollback()
            outcome = "interrupted"
            error = "The job's lock was lost (its lease lapsed and another process took it); the work was rolled back."
    finally:
        _current_run.reset(token)

    def finish() -> JobRun:
        # One UPDATE, without loading the run first (its object is expired by the commit anyway).
        run = db.session.scalar(
            sa.update(JobRun)
            .where(JobRun.id == run_id)
            .values(
                outcome=outcome,
                finished_at=_now(),
                error=error,
                rows_written=int(rows or 0) if outcome == "success" else 0,
            )
            .returning(JobRun)
        )
        db.session.commit()
        return run

    # An open transaction of the work holds SQLite's write lock, so a retry (which rolls back) only happens
    # when there is no uncommitted work to lose.
    return _retry_locked(finish)


def cron_fields(name: str) -> str:
    """The job's schedule: JOB_SCHEDULE_<NAME> from the configuration or environment, else its default."""
    key = "JOB_SCHEDULE_" + name.upper().replace("-", "_")
    return current_app.config.get(key) or os.environ.get(key) or JOBS[name].schedule


def recent_runs(limit: int | None = None):
    """A select of job runs, newest first."""
    query = sa.select(JobRun).order_by(JobRun.id.desc())
    return query.limit(limit) if limit else query
