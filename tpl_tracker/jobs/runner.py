"""Running scheduled jobs: one at a time per job across every process, every run recorded.

The runner is the transaction boundary of a job: the lock, the run record and the job's own work each commit
here (the job's work once, or not at all when it fails); the services it calls only flush.
"""

import os
import socket
import traceback
from datetime import UTC, date, datetime, timedelta

import sqlalchemy as sa
from flask import current_app

from ..dates import programme_today
from ..extensions import db
from ..models import JobLock, JobRun, User
from ..services import ServiceError, audit
from . import JOBS

LOCK_TTL = timedelta(hours=2)  # a crashed holder's lock expires after this


def _now() -> datetime:
    return datetime.now(UTC)


def _holder() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def acquire_lock(name: str, holder: str) -> bool:
    """Take the job's lock row (atomic UPDATE, so two processes cannot both win)."""
    now = _now()
    if db.session.get(JobLock, name) is None:
        try:
            with db.session.begin_nested():
                db.session.add(JobLock(job_name=name))
        except sa.exc.IntegrityError:
            pass  # another process created it first
    result = db.session.execute(
        sa.update(JobLock)
        .where(JobLock.job_name == name, sa.or_(JobLock.locked_until.is_(None), JobLock.locked_until < now))
        .values(holder=holder, locked_until=now + LOCK_TTL)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    return result.rowcount == 1


def release_lock(name: str, holder: str) -> None:
    """Give the lock back (only if still ours)."""
    db.session.execute(
        sa.update(JobLock)
        .where(JobLock.job_name == name, JobLock.holder == holder)
        .values(holder=None, locked_until=None)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()


def run_job(name: str, as_of: date | None = None, triggered_by: User | None = None) -> JobRun:
    """Run one job now under its lock and record the run (a held lock records a skip)."""
    job = JOBS.get(name)
    if job is None:
        raise ServiceError(f"Unknown job {name!r}.")
    as_of = as_of or programme_today()
    holder = _holder()
    run = JobRun(job_name=name, as_of=as_of, triggered_by_id=getattr(triggered_by, "id", None))
    db.session.add(run)
    if triggered_by is not None:
        audit.record(
            "job_started", actor=triggered_by, entity_type="job", entity_id=name, after={"as_of": as_of.isoformat()}
        )
    db.session.commit()
    if not acquire_lock(name, holder):
        run.outcome, run.finished_at = "skipped", _now()
        run.error = "Another process is running this job; this run was skipped."
        db.session.commit()
        return run
    try:
        rows = job.func(as_of)
    except Exception:
        db.session.rollback()
        current_app.logger.exception("Job %s failed", name)
        run = db.session.get(JobRun, run.id)
        run.outcome, run.error = "failed", traceback.format_exc()[-4000:]
    else:
        run = db.session.get(JobRun, run.id)
        run.outcome, run.rows_written = "success", int(rows or 0)
    run.finished_at = _now()
    db.session.commit()
    release_lock(name, holder)
    return run


def cron_fields(name: str) -> str:
    """The job's schedule: JOB_SCHEDULE_<NAME> from the configuration or environment, else its default."""
    key = "JOB_SCHEDULE_" + name.upper().replace("-", "_")
    return current_app.config.get(key) or os.environ.get(key) or JOBS[name].schedule


def recent_runs(limit: int | None = None):
    """A select of job runs, newest first."""
    query = sa.select(JobRun).order_by(JobRun.id.desc())
    return query.limit(limit) if limit else query
