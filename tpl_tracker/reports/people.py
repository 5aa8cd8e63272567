"""The people behind every WUB figure (drill-down): the list of a group's alumni and why each is or is not counted,
and its download."""

import re
from datetime import date
from types import SimpleNamespace

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ..dates import programme_today
from ..downloads import audit_download, file_response
from ..models import Role
from ..pagination import Page
from ..security import roles_required
from ..services import ServiceError
from ..services.dashboard import counted, scope_key
from ..services.exports import FORMATS
from ..services.metric import TOTAL_KEY, latest_snapshot_date
from ..services.policy import can_see_personal_numbers
from ..services.wub_people import (
    CLASSIFICATION_LABELS,
    FIGURE_LABELS,
    FIGURES,
    count_people,
    download_columns,
    group_label,
    page_of_people,
    reason_text,
    selection,
    stored_figure,
    stream_people,
)
from . import bp

READERS = (Role.EVALUATOR, Role.ADMIN, Role.SUPERVISOR)


def _chosen():
    """The selection the query string asks for, and None; or None and a message saying what is wrong with it."""
    args = request.args
    text = args.get("as_of", "").strip()
    if text:
        try:
            as_of = date.fromisoformat(text)
        except ValueError:
            return None, _("%(value)s is not a date: give the as-of date as YYYY-MM-DD.", value=text)
        if as_of > programme_today():
            return None, _("The as-of date cannot be in the future.")
    else:
        as_of = latest_snapshot_date() or programme_today()
    group_by, key = args.get("group_by") or None, args.get("key") or None
    if group_by == "total" and key is None:
        key = TOTAL_KEY
    try:
        return selection(as_of, group_by, key, args.get("figure") or None), None
    except ServiceError as error:
        return None, error.message


def _plain(rows, count) -> tuple[list, int]:
    """A page's rows as plain objects (kept in the cache between requests) and the count."""
    return [SimpleNamespace(**row._asdict()) for row in rows], count


def _national(user) -> bool:
    return not user.has_role(Role.SUPERVISOR)


@bp.route("/wub/people")
@roles_required(*READERS)
def wub_people():
    """The alumni behind one figure of one group as of a date, a page at a time, each with why they are or are not
    counted; evaluators and admins nationally, supervisors only the TPL in their scope."""
    chosen, error = _chosen()
    if error:
        return render_template("reports/people.html", error=error, figures=FIGURES, figure_labels=FIGURE_LABELS), 400
    per_page = current_app.config["PER_PAGE"]
    number = max(1, request.args.get("page", 1, type=int) or 1)
    user = current_user._get_current_object()
    offset = (number - 1) * per_page
    stored = stored_figure(chosen) if _national(user) else None
    # A page asked again within REPORT_COUNTS_SECONDS shows the rows listed first (a new snapshot of the date lists
    # them anew: its computing time is in the key).
    key = f"people:{scope_key(user)}:{chosen}:{offset}:{per_page}:{stored}"
    (rows, count), counted_at = counted(
        key,
        lambda: _plain(*page_of_people(chosen, user, per_page, offset)),
        current_app.config["REPORT_COUNTS_SECONDS"],
    )
    page = Page(rows, number, per_page, count, True, number * per_page < count)
    return render_template(
        "reports/people.html",
        error=None,
        chosen=chosen,
        count=count,
        page=page,
        group=group_label(chosen),
        national=_national(user),
        stored=stored,
        counted_at=counted_at,
        masked=not can_see_personal_numbers(current_user),
        figures=FIGURES,
        figure_labels=FIGURE_LABELS,
        classification_labels=CLASSIFICATION_LABELS,
        reason_text=reason_text,
    )


@bp.route("/wub/people.<fmt>")
@roles_required(*READERS)
def wub_people_download(fmt: str):
    """The same list as a CSV or Excel file (headers in the reader's language, NIK masked for evaluators); the
    export is audited before the file is streamed."""
    if fmt not in FORMATS:
        abort(404)
    chosen, error = _chosen()
    if error:
        flash(error, "danger")
        return redirect(url_for("reports.wub_people", **request.args))
    user = current_user._get_current_object()
    count = count_people(chosen, user)
    filters = {
        "as_of": chosen.as_of,
        "group_by": chosen.group_by,
        "key": chosen.key,
        "figure": chosen.figure,
    }
    audit_download(user, "wub_people", fmt, filters, count)
    rows = stream_people(chosen, user)  # the statement is built now, the rows read as the file is sent
    key = re.sub(r"[^A-Za-z0-9]+", "-", chosen.key).strip("-") or "x"
    filename = f"wub-people-{chosen.figure}-{chosen.group_by}-{key}-{chosen.as_of.isoformat()}.{fmt}"
    return file_response(
        download_columns(not can_see_personal_numbers(user)),
        lambda: rows,
        fmt,
        filename,
        sheet_title=_("WUB people"),
    )
