"""Work that leaves the web request: large imports and job runs started with *Run now*, both queued by the web
pages and run here by the `run-queued-work` job (every minute), oldest first, one at a time.

This module is a transaction boundary, like the runner: each import commits its claim (`running`, the number of
rows) at once, so that the status page shows it, then its work together with its result in one transaction,
all of it or nothing. Progress inside that transaction cannot be shown (SQLite holds the write lock until the
commit), so the status page shows a running import with the time it has been running, and the rows once done.

An import records the job run working on it (`job_run_id`); one left `running` whose job run has ended, its
process killed say, is marked interrupted by the next run of the queue.
"""

import io
import logging

import sqlalchemy as sa
from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _

from ..extensions import db
from ..models import ImportRun, JobRun, User, WorkStatus, utcnow
from ..services import ServiceError
from ..services.importer import count_rows, import_workbook
from ..services.notifications import reader_language
from . import runner

log = logging.getLogger(__name__)

INTERRUPTED = "The process running this import ended before it finished (killed or stopped); nothing was written."


def run_queued_work() -> int:
    """Run every queued import and job run, oldest first (each import on its own, all or nothing); how many ran."""
    mark_interrupted_imports()
    done = 0
    while not runner.stop_requested():
        imports = db.session.scalar(
            sa.select(sa.func.min(ImportRun.id)).where(ImportRun.status == WorkStatus.QUEUED.value)
        )
        jobs = runner.queued_run_ids()
        db.session.commit()  # end the reading transaction: the work below takes its own
        if imports is None and not jobs:
            break
        if imports is not None and (not jobs or _queued_at(imports) <= _job_queued_at(jobs[0])):
            run_import(imports)
        else:
            runner.run_queued(jobs[0])
        done += 1
    return done


def work_waiting() -> bool:
    """Whether an import or a job run is queued, or an import was left running by a job run that has ended
    (ending the reading transaction)."""
    waiting = db.session.scalar(
        sa.select(
            sa.or_(
                sa.exists().where(ImportRun.status == WorkStatus.QUEUED.value),
                sa.exists().where(JobRun.outcome == "queued"),
                sa.exists().where(_left_running()),
            )
        )
    )
    db.session.commit()
    return bool(waiting)


def _queued_at(import_id: int):
    return db.session.get(ImportRun, import_id).created_at


def _job_queued_at(run_id: int):
    return db.session.get(JobRun, run_id).started_at


def _left_running():
    """The imports still `running` whose job run has ended (or that have none)."""
    ended = sa.select(JobRun.id).where(JobRun.outcome != "running")
    return sa.and_(
        ImportRun.status == WorkStatus.RUNNING.value,
        sa.or_(ImportRun.job_run_id.is_(None), ImportRun.job_run_id.in_(ended)),
    )


def mark_interrupted_imports() -> int:
    """Mark the imports left `running` by a job run that has ended (its process died) as interrupted, committing."""
    stale = db.session.scalars(sa.select(ImportRun).where(_left_running())).all()
    for run in stale:
        _end(run, WorkStatus.INTERRUPTED, error=INTERRUPTED)
    db.session.commit()
    return len(stale)


def _end(run: ImportRun, status: WorkStatus, result: dict | None = None, error: str | None = None) -> None:
    """Record how an import ended; the workbook (personal data) is not kept once it has."""
    run.status, run.finished_at, run.error, run.content = status.value, utcnow(), error, None
    if result is not None:
        run.result = result
        run.rows_done = run.rows_total or 0


def run_import(import_id: int) -> ImportRun:
    """Import one queued workbook as its uploader (their language, their name in the audit trail), committing its
    start, then its work with its result; a workbook with errors writes nothing and keeps the errors."""
    run = db.session.get(ImportRun, import_id)
    actor = db.session.get(User, run.created_by_id) if run.created_by_id else None
    run.status, run.started_at, run.job_run_id = WorkStatus.RUNNING.value, utcnow(), runner.current_run_id()
    content = run.content or b""
    language = reader_language(actor) if actor else current_app.config["BABEL_DEFAULT_LOCALE"]
    try:
        with force_locale(language):
            run.rows_total = count_rows(content)
    except ServiceError as refusal:
        _end(run, WorkStatus.FAILED, error=refusal.message)
        db.session.commit()
        return run
    db.session.commit()
    try:
        with force_locale(language):
            result = import_workbook(io.BytesIO(content), actor=actor, dry_run=run.dry_run)
        run = db.session.get(ImportRun, import_id)
        _end(run, WorkStatus.DONE, result=result.to_json())
        db.session.commit()
    except ServiceError as refusal:
        _fail(import_id, WorkStatus.FAILED, refusal.message)
    except Exception:
        current_app.logger.exception("Import run %s failed", import_id)
        with force_locale(language):
            _fail(import_id, WorkStatus.FAILED, _("The import failed unexpectedly: nothing was written."))
    except BaseException:  # stopped (SIGTERM): the runner records its own run as interrupted
        _fail(import_id, WorkStatus.INTERRUPTED, INTERRUPTED)
        raise
    return db.session.get(ImportRun, import_id)


def _fail(import_id: int, status: WorkStatus, error: str) -> None:
    """Roll back the import's work and record why it ended (committing)."""
    db.session.rollback()
    _end(db.session.get(ImportRun, import_id), status, error=error)
    db.session.commit()
