"""Routes of the imports blueprint."""

import io
import os

from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ..extensions import db
from ..forms import show_service_error
from ..models import ImportRun, Role, utcnow
from ..security import roles_required
from ..services import ServiceError
from ..services.import_runs import queue_import, recent_import_runs, runs_in_background
from ..services.importer import SHEETS, ImportResult, import_workbook, template_workbook
from ..transactions import reads_only_when, writing
from . import bp
from .forms import ImportForm

MAX_UPLOAD_MB = 20
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _size(stream) -> int:
    """Bytes in an uploaded file (spooled to disk by Werkzeug, so seekable)."""
    stream.seek(0, os.SEEK_END)
    size = stream.tell()
    stream.seek(0)
    return size


@bp.route("/", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
@reads_only_when(lambda: bool(request.form.get("dry_run")))  # a dry run writes nothing: no write lock on SQLite
def upload():
    """Upload a workbook: every row is checked, and it is imported only when no row has an error. A workbook of
    more than IMPORT_INLINE_MAX_ROWS rows is queued and imported in the background: its status page follows."""
    form = ImportForm()
    result = None
    if form.validate_on_submit():
        stream = form.file.data.stream
        if _size(stream) > MAX_UPLOAD_MB * 1024 * 1024:
            form.file.errors = list(form.file.errors) + [_("The file is larger than %(size)d MB.", size=MAX_UPLOAD_MB)]
        else:
            actor, content = current_user._get_current_object(), stream.read()
            try:
                if runs_in_background(content):
                    # Queuing writes, also for a dry run (whose request began a reading transaction).
                    db.session.rollback()
                    with writing():
                        run = queue_import(content, form.file.data.filename, actor, dry_run=form.dry_run.data)
                    flash(_("The workbook is large: it is imported in the background."), "info")
                    return redirect(url_for("imports.run", run_id=run.id))
                result = import_workbook(io.BytesIO(content), actor=actor, dry_run=form.dry_run.data)
            except ServiceError as error:
                show_service_error(form, error)
            else:
                _flash_result(result)
    return render_template("imports/upload.html", form=form, result=result, sheets=SHEETS, runs=recent_import_runs())


def _flash_result(result: ImportResult) -> None:
    if result.errors:
        flash(_("The workbook has errors: nothing was imported."), "danger")
    elif result.dry_run:
        flash(_("The workbook has no errors. Nothing was written (dry run)."), "info")
    else:
        flash(_("The workbook has been imported."), "success")


@bp.route("/runs/<int:run_id>")
@roles_required(Role.ADMIN)
def run(run_id: int):
    """A background import: waiting, running (the page refreshes itself), then its result as the upload page shows
    it. Every admin sees every run (imports are the admins' shared work)."""
    import_run = db.session.get(ImportRun, run_id) or abort(404)
    result = ImportResult.from_json(import_run.result) if import_run.result else None
    status = import_run.shown_status
    started, ended = import_run.started_at, import_run.finished_at
    seconds = int(((ended or utcnow()) - started).total_seconds()) if started else None
    return render_template(
        "imports/run.html", run=import_run, status=status, result=result, sheets=SHEETS, seconds=seconds
    )


@bp.route("/template.xlsx")
@roles_required(Role.ADMIN)
def template():
    """An empty workbook with the expected sheets, columns and one example row each."""
    return Response(
        template_workbook(),
        mimetype=XLSX,
        headers={"Content-Disposition": 'attachment; filename="tpl_import_template.xlsx"'},
    )
