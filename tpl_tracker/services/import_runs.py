"""Large imports leave the web request: the upload is queued here and imported by the `run-queued-work` job
(tpl_tracker/jobs/background.py); its status page follows it."""

import sqlalchemy as sa
from flask import current_app

from ..extensions import db
from ..models import ImportRun, User
from . import audit
from .importer import count_rows


def runs_in_background(content: bytes) -> bool:
    """Whether the workbook has more data rows than IMPORT_INLINE_MAX_ROWS (counting stops just past it).

    Raises ServiceError, as the import would, for a file that is not a workbook or is too large."""
    inline = current_app.config.get("IMPORT_INLINE_MAX_ROWS", 2000)
    return count_rows(content, stop_after=inline) > inline


def queue_import(content: bytes, filename: str, actor: User, dry_run: bool = False) -> ImportRun:
    """Keep the workbook as a queued import run of the actor, audited (the caller commits)."""
    run = ImportRun(
        created_by_id=actor.id, filename=(filename or "")[:255], content=content, dry_run=dry_run, status="queued"
    )
    db.session.add(run)
    db.session.flush()
    audit.record(
        "import_queued",
        actor=actor,
        entity=run,
        after={"filename": run.filename, "dry_run": dry_run, "bytes": len(content)},
    )
    return run


def recent_import_runs(limit: int = 10) -> list[ImportRun]:
    """The latest background imports, newest first."""
    return list(db.session.scalars(sa.select(ImportRun).order_by(ImportRun.id.desc()).limit(limit)))
