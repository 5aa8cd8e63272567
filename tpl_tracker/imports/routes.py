"""Routes of the imports blueprint."""

import os

from flask import Response, flash, render_template, request
from flask_babel import gettext as _
from flask_login import current_user

from ..forms import show_service_error
from ..models import Role
from ..security import roles_required
from ..services import ServiceError
from ..services.importer import SHEETS, import_workbook, template_workbook
from ..transactions import reads_only_when
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
    """Upload a workbook: every row is checked, and it is imported only when no row has an error."""
    form = ImportForm()
    result = None
    if form.validate_on_submit():
        stream = form.file.data.stream
        if _size(stream) > MAX_UPLOAD_MB * 1024 * 1024:
            form.file.errors = list(form.file.errors) + [_("The file is larger than %(size)d MB.", size=MAX_UPLOAD_MB)]
        else:
            try:
                result = import_workbook(stream, actor=current_user._get_current_object(), dry_run=form.dry_run.data)
            except ServiceError as error:
                show_service_error(form, error)
            else:
                if result.errors:
                    flash(_("The workbook has errors: nothing was imported."), "danger")
                elif result.dry_run:
                    flash(_("The workbook has no errors. Nothing was written (dry run)."), "info")
                else:
                    flash(_("The workbook has been imported."), "success")
    return render_template("imports/upload.html", form=form, result=result, sheets=SHEETS)


@bp.route("/template.xlsx")
@roles_required(Role.ADMIN)
def template():
    """An empty workbook with the expected sheets, columns and one example row each."""
    return Response(
        template_workbook(),
        mimetype=XLSX,
        headers={"Content-Disposition": 'attachment; filename="tpl_import_template.xlsx"'},
    )
