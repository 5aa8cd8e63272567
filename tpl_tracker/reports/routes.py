"""Routes of the reports blueprint."""

from flask import Response, abort, render_template, request
from flask_babel import get_locale

from ..models import Role
from ..security import roles_required
from ..services.metric import latest_snapshot_date, load_snapshot
from ..services.metric_definition import definition_html
from ..services.regions import region_name
from ..services.reports import FORMATS, render
from . import bp
from .forms import WubReportForm

MIME = {
    "csv": "text/csv; charset=utf-8",
    "json": "application/json",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def _selection():
    form = WubReportForm(request.args)
    valid = form.validate()
    as_of = (form.as_of.data if valid else None) or latest_snapshot_date()
    group_by = form.group_by.data if valid and form.group_by.data else "total"
    return form, as_of, group_by


@bp.route("/wub")
@roles_required(Role.EVALUATOR, Role.ADMIN)
def wub():
    """The WUB figures of a stored snapshot (latest by default), by grouping."""
    form, as_of, group_by = _selection()
    rows = load_snapshot(as_of, group_by) if as_of else []
    total = load_snapshot(as_of, "total") if as_of else []
    return render_template(
        "reports/wub.html",
        form=form,
        rows=rows,
        as_of=as_of,
        group_by=group_by,
        total=total[0] if total else None,
        region_name=region_name,
    )


@bp.route("/wub.<fmt>")
@roles_required(Role.EVALUATOR, Role.ADMIN)
def wub_download(fmt: str):
    """The same figures as a CSV, JSON or Excel file."""
    if fmt not in FORMATS:
        abort(404)
    _form, as_of, group_by = _selection()
    if as_of is None:
        abort(404)
    rows = [
        {column: getattr(row, column) for column in row.__table__.columns.keys()}  # noqa: SIM118 - names
        for row in load_snapshot(as_of, group_by)
    ]
    if not rows:
        abort(404)
    filename = f"wub_{group_by}_{as_of.isoformat()}.{fmt}"
    return Response(
        render(rows, fmt), mimetype=MIME[fmt], headers={"Content-Disposition": f'attachment; filename="{filename}"'}
    )


@bp.route("/wub/definition")
@roles_required(Role.EVALUATOR, Role.ADMIN)
def definition():
    """How the WUB figures are computed, with a worked example (docs/metric.md), in the reader's language."""
    return render_template("reports/definition.html", body=definition_html(get_locale().language))
