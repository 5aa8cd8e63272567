"""The mentorship output report page and its downloads (services/output_report.py computes the figures)."""

from datetime import date

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import format_date, format_decimal, get_locale, pgettext
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from wtforms import IntegerField, SelectChoice, SelectField
from wtforms.validators import NumberRange, Optional

from ..dates import programme_today
from ..downloads import audit_download, file_response
from ..formatting import nik
from ..forms import Form, LocalDateField, MonthField
from ..models import ActivityType, Role
from ..pagination import Page
from ..security import roles_required
from ..services import ServiceError
from ..services.dashboard import counted, scope_key
from ..services.exports import FORMATS, Column
from ..services.months import next_month
from ..services.output_report import (
    ACTIVITY_TYPES,
    FILE_FIGURES,
    PERMIT_TYPES,
    OutputReport,
    figure,
    output_report,
)
from ..services.policy import can_see_personal_numbers
from . import bp

READERS = (Role.SUPERVISOR, Role.EVALUATOR, Role.ADMIN)
ROWS_PER_PAGE = 100
# Short names of the permit types for the table's narrow columns (the names the offices use in both languages).
PERMIT_SHORT_NAMES = {
    "nib": "NIB",
    "pirt": "P-IRT",
    "halal": "Halal",
    "merek": "Merek",
    "sni": "SNI",
    "tkdn": "TKDN",
    "bpom": "BPOM",
}


class OutputReportForm(Form):
    """The level and the period of the output report (GET): a year, a quarter, a month or two dates."""

    class Meta:
        csrf = False

    level = SelectField(
        _l("Level"),
        choices=[
            SelectChoice("province", _l("Province")),
            SelectChoice("kabkota", _l("Kabupaten/kota")),
            SelectChoice("tpl", _l("TPL")),
        ],
        default="province",
    )
    period = SelectField(
        _l("Period"),
        choices=[
            SelectChoice("year", _l("Year")),
            SelectChoice("quarter", _l("Quarter")),
            SelectChoice("month", _l("Month")),
            SelectChoice("dates", _l("Two dates")),
        ],
        default="dates",
    )
    year = IntegerField(_l("Year"), validators=[Optional(), NumberRange(1990, 2100)])
    quarter = SelectField(
        _l("Quarter"),
        choices=[
            SelectChoice("1", _l("I (January–March)")),
            SelectChoice("2", _l("II (April–June)")),
            SelectChoice("3", _l("III (July–September)")),
            SelectChoice("4", _l("IV (October–December)")),
        ],
        default="1",
    )
    month = MonthField(_l("Month"), validators=[Optional()], description=_l("YYYY-MM"))
    start = LocalDateField(_l("From"), validators=[Optional()])
    end = LocalDateField(_l("To"), validators=[Optional()])

    def dates(self) -> tuple[date, date] | None:
        """The period's first and last day; None (with the errors on the fields) when it is not given right."""
        if not self.validate():
            return None
        kind = self.period.data
        if kind in ("year", "quarter") and self.year.data is None:
            self.year.errors.append(_("Give the year."))
            return None
        if kind == "year":
            return date(self.year.data, 1, 1), date(self.year.data, 12, 31)
        if kind == "quarter":
            first = date(self.year.data, 3 * int(self.quarter.data) - 2, 1)
            return first, _last_day(next_month(next_month(first)))
        if kind == "month":
            if self.month.data is None:
                self.month.errors.append(_("Give the month."))
                return None
            return self.month.data, _last_day(self.month.data)
        if self.start.data is None or self.end.data is None:
            missing = self.start if self.start.data is None else self.end
            missing.errors.append(_("Give the first and the last day of the period."))
            return None
        return self.start.data, self.end.data


def _last_day(month: date) -> date:
    return date.fromordinal(next_month(month).toordinal() - 1)


def _form() -> OutputReportForm:
    """The form read from the address; without any filter, the current year to date, by province."""
    today = programme_today()
    return OutputReportForm(request.args, start=today.replace(month=1, day=1), end=today, year=today.year)


def _report(form: OutputReportForm) -> OutputReport | None:
    """The report the form asks for, in the reader's scope; None (the problem shown on the form) for bad input."""
    period = form.dates()
    if period is None:
        return None
    level, user = form.level.data, current_user._get_current_object()
    key = f"output:{scope_key(user)}:{get_locale()}:{level}:{period[0]}:{period[1]}"
    try:
        report, counted_at = counted(
            key, lambda: output_report(level, *period, user=user), current_app.config["REPORT_COUNTS_SECONDS"]
        )
    except ServiceError as error:
        getattr(form, error.field or "start", form.start).errors.append(error.message)
        return None
    report.counted_at = counted_at
    return report


def period_text(start: date, end: date) -> str:
    """'1 Januari–31 Desember 2019' (one year), '1–28 Februari 2019', '1 Desember 2018–31 Maret 2019', or one day."""
    if start == end:
        return format_date(start, "d MMMM yyyy")
    if (start.year, start.month) == (end.year, end.month):
        return f"{start.day}–{format_date(end, 'd MMMM yyyy')}"
    if start.year == end.year:
        return f"{format_date(start, 'd MMMM')}–{format_date(end, 'd MMMM yyyy')}"
    return f"{format_date(start, 'd MMMM yyyy')}–{format_date(end, 'd MMMM yyyy')}"


def report_title(report: OutputReport) -> str:
    """'Hasil pendampingan 1 Januari–31 Desember 2019, per provinsi'."""
    period = period_text(report.start, report.end)
    if report.level == "province":
        return _("Mentorship output %(period)s, by province", period=period)
    if report.level == "kabkota":
        return _("Mentorship output %(period)s, by kabupaten/kota", period=period)
    return _("Mentorship output %(period)s, by TPL", period=period)


def one_decimal(value) -> str:
    """A median with one decimal in the reader's format (62,5); empty for none."""
    return format_decimal(value, "#,##0.0") if value is not None else ""


def _key_columns(level: str, masked: bool) -> list[Column]:
    """The download's first two columns: the region's code and name, or the TPL's NIK (masked for evaluators) and
    name."""
    if level == "tpl":
        return [
            Column("nik", lambda row: nik(row.key, masked=masked), pgettext("output report column", "nik")),
            Column("tpl_name", lambda row: row.name, pgettext("output report column", "tpl_name")),
        ]
    if level == "kabkota":
        return [
            Column("regency_code", lambda row: row.key, pgettext("output report column", "regency_code")),
            Column("regency", lambda row: row.name, pgettext("output report column", "regency")),
        ]
    return [
        Column("province_code", lambda row: row.key, pgettext("output report column", "province_code")),
        Column("province", lambda row: row.name, pgettext("output report column", "province")),
    ]


def download_columns(level: str, masked: bool) -> list[Column]:
    """The download's columns, headed in the reader's language (`kode_provinsi`, `provinsi`, `tpl_aktif` ...)."""
    headers = {
        "tpl_active": pgettext("output report column", "tpl_active"),
        "businesses_mentored": pgettext("output report column", "businesses_mentored"),
        "businesses_new": pgettext("output report column", "businesses_new"),
        "activities": pgettext("output report column", "activities"),
        "activities_approved": pgettext("output report column", "activities_approved"),
        "permits_issued": pgettext("output report column", "permits_issued"),
        "permits_nib": pgettext("output report column", "permits_nib"),
        "permits_pirt": pgettext("output report column", "permits_pirt"),
        "permits_halal": pgettext("output report column", "permits_halal"),
        "permits_merek": pgettext("output report column", "permits_merek"),
        "permits_sni": pgettext("output report column", "permits_sni"),
        "permits_tkdn": pgettext("output report column", "permits_tkdn"),
        "permits_bpom": pgettext("output report column", "permits_bpom"),
        "assessed_businesses": pgettext("output report column", "assessed_businesses"),
        "median_turnover_change_pct": pgettext("output report column", "median_turnover_change_pct"),
        "median_workers_change": pgettext("output report column", "median_workers_change"),
    }
    figures = [
        Column(name, lambda row, name=name: figure(row, name), headers[name], kind) for name, kind in FILE_FIGURES
    ]
    # The activities per type, as on the page, after the activities in approved months (not in the command line's
    # columns, which the issue fixes).
    after = next(index for index, column in enumerate(figures) if column.key == "activities_approved") + 1
    per_type = [
        Column(
            f"activities_{code}",
            lambda row, code=code: row.activities_of(code),
            pgettext("output report column", "activities_%(type)s", type=code),
            "int",
        )
        for code in ACTIVITY_TYPES
    ]
    return _key_columns(level, masked) + figures[:after] + per_type + figures[after:]


def _page_of(rows: list) -> Page:
    """The rows of `?page=N` (ROWS_PER_PAGE of them): a national year has 500 kabupaten/kota and 2,000 TPL; the total
    and the downloads hold every row."""
    last = max(1, -(-len(rows) // ROWS_PER_PAGE))
    number = min(max(1, request.args.get("page", 1, type=int) or 1), last)
    shown = rows[(number - 1) * ROWS_PER_PAGE : number * ROWS_PER_PAGE]
    return Page(shown, number, ROWS_PER_PAGE, len(rows), True, number < last)


@bp.route("/output")
@roles_required(*READERS)
def output():
    """What the TPL achieved in a period, per province, kabupaten/kota or TPL (a supervisor's: their scope)."""
    form = _form()
    report = _report(form)
    return render_template(
        "reports/output.html",
        form=form,
        report=report,
        page=_page_of(report.rows) if report else None,
        title=report_title(report) if report else _("Mentorship output"),
        masked=not can_see_personal_numbers(current_user),
        permit_types=PERMIT_TYPES,
        permit_names=PERMIT_SHORT_NAMES,
        activity_types=[(code, ActivityType(code).label) for code in ACTIVITY_TYPES],
        one_decimal=one_decimal,
    )


@bp.route("/output.<fmt>")
@roles_required(*READERS)
def output_download(fmt: str):
    """The rows of the page as CSV or Excel, headed in the reader's language; the download is audited first."""
    if fmt not in FORMATS:
        abort(404)
    form = _form()
    report = _report(form)
    if report is None:
        flash(_("Nothing was downloaded: correct the period or the level first."), "danger")
        return redirect(url_for("reports.output", **request.args.to_dict()))
    filters = {"level": report.level, "from": report.start, "to": report.end}
    audit_download(current_user, "output_report", fmt, filters, len(report.rows))
    masked = not can_see_personal_numbers(current_user)
    filename = f"hasil-pendampingan_{report.level}_{report.start:%Y%m%d}-{report.end:%Y%m%d}.{fmt}"
    rows = report.rows
    return file_response(
        download_columns(report.level, masked), lambda: rows, fmt, filename, sheet_title=_("Mentorship output")
    )
