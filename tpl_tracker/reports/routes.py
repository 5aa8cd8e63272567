"""Routes of the reports blueprint."""

from flask import abort, render_template, request
from flask_babel import get_locale
from flask_login import current_user

from ..downloads import file_response
from ..models import Role
from ..security import roles_required
from ..services.exports import record_export
from ..services.metric import latest_snapshot_date, load_snapshot
from ..services.metric_definition import definition_html
from ..services.regions import region_name
from ..services.reports import FORMATS, wub_columns
from ..transactions import writing
from . import bp
from .forms import WubReportForm


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
    """The same figures as a CSV, JSON or Excel file, headed in the reader's language, names beside codes; the
    download is audited."""
    if fmt not in FORMATS:
        abort(404)
    with writing():  # a GET that records its audit entry: its transaction takes the write lock from the start
        _form, as_of, group_by = _selection()
        count = len(load_snapshot(as_of, group_by)) if as_of else 0
        if not count:
            abort(404)
        record_export(current_user, "metric_snapshots", fmt, {"as_of": as_of, "group_by": group_by}, count)
    filename = f"wub_{group_by}_{as_of.isoformat()}.{fmt}"
    return file_response(wub_columns(), lambda: load_snapshot(as_of, group_by), fmt, filename, sheet_title="wub")


@bp.route("/wub/definition")
@roles_required(Role.EVALUATOR, Role.ADMIN)
def definition():
    """How the WUB figures are computed, with a worked example (docs/metric.md), in the reader's language."""
    return render_template("reports/definition.html", body=definition_html(get_locale().language))
