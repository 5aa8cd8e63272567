"""A list's export: the list's own filtered query sent as CSV or Excel, audited before the file is streamed."""

from collections.abc import Callable, Iterable

from flask import flash, redirect, request
from flask_babel import gettext as _
from flask_login import current_user

from .dates import programme_today
from .downloads import file_response
from .forms import ListExportForm
from .services import exports
from .services.list_exports import XLSX_MAX_ROWS, count_rows


def export_list(
    what: str,
    query,
    filters: dict | None,
    columns: list[exports.Column],
    rows: Callable[[object], Iterable],
    filename: str,
    sheet_title: str,
    back: str,
):
    """Check the posted format and the filters, count the rows, audit the export, then stream the file.

    `filters` is None when the list's filters are invalid (nothing is exported then); `rows(query)` reads the
    rows once the response is under way. A refusal goes back to the list (`back`) with its reason.
    """
    form = ListExportForm()
    if not form.validate_on_submit():  # a missing CSRF token is refused before (400), so this is the format
        flash(_("Choose CSV or Excel (.xlsx) to export."), "danger")
        return redirect(back)
    if filters is None:
        flash(_("Nothing was exported: correct the filters first."), "danger")
        return redirect(back)
    fmt = form.fmt.data
    count = count_rows(query)
    if fmt == "xlsx" and count > XLSX_MAX_ROWS:
        flash(_("Too many rows for one Excel sheet: narrow the filters or export as CSV."), "danger")
        return redirect(back)
    exports.record_export(current_user, what, fmt, filters, count)  # committed by the request before the file is sent
    name = f"{filename}-{programme_today():%Y%m%d}.{fmt}"
    return file_response(columns, lambda: rows(query), fmt, name, sheet_title=sheet_title)


def list_args() -> dict:
    """The list's query arguments (its filters) as the export form posts them back."""
    return request.args.to_dict()
