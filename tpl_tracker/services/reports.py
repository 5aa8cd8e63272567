"""The WUB report in CSV, JSON and Excel, read from the stored snapshots (computed first if missing)."""

import csv
import io
import json
from datetime import date

from flask_babel import lazy_gettext as _l

from ..models.codes import Grouping
from . import ServiceError
from .exports import Column
from .metric import CSV_COLUMNS, load_snapshot
from .regions import region_name

RATE_COLUMNS = {"wub_rate", "ci_low", "ci_high", "tracked_rate"}
FORMATS = ("csv", "json", "xlsx")


def _cell(column: str, value):
    """Rates as fractions with 4 decimals, the median with 1, empty values empty."""
    if value is None:
        return ""
    if column in RATE_COLUMNS:
        return f"{value:.4f}"
    if column == "median_months_to_business":
        return f"{value:.1f}"
    return value


def _json_value(column: str, value):
    if value is None:
        return None
    if column in RATE_COLUMNS:
        return round(value, 4)
    if column == "median_months_to_business":
        return round(value, 1)
    return value


def wub_rows(as_of: date, group_by: str, triggered_by=None) -> list[dict]:
    """The snapshot rows of a date and grouping as dicts of CSV_COLUMNS; computes the snapshot if none exists."""
    if not load_snapshot(as_of):
        from ..jobs.runner import run_job

        run = run_job("compute-metrics", as_of=as_of, triggered_by=triggered_by)
        if run.outcome != "success":
            raise ServiceError(f"The metric computation did not succeed ({run.outcome}): {run.error or ''}".strip())
    return [{column: getattr(row, column) for column in CSV_COLUMNS} for row in load_snapshot(as_of, group_by)]


def render(rows: list[dict], fmt: str) -> bytes:
    """The rows in the chosen format."""
    if fmt == "csv":
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(CSV_COLUMNS)
        for row in rows:
            writer.writerow([_cell(column, row[column]) for column in CSV_COLUMNS])
        return buffer.getvalue().encode("utf-8")
    if fmt == "json":
        data = [{column: _json_value(column, row[column]) for column in CSV_COLUMNS} for row in rows]
        return (json.dumps(data, ensure_ascii=False, indent=2) + "\n").encode("utf-8")
    if fmt == "xlsx":
        from openpyxl import Workbook

        workbook = Workbook(write_only=True)
        sheet = workbook.create_sheet("wub")
        sheet.append(CSV_COLUMNS)
        for row in rows:
            sheet.append([_json_value(column, row[column]) for column in CSV_COLUMNS])
        buffer = io.BytesIO()
        workbook.save(buffer)
        return buffer.getvalue()
    raise ServiceError(f"Unknown format {fmt!r}.")


def group_name(group_by: str, key: str) -> str:
    """A group's name for people: the province's name for a province code, the whole country for the total."""
    if group_by == "total":
        return str(Grouping.TOTAL.label)
    return region_name(key) if group_by == "province" else key


def wub_columns() -> list[Column]:
    """The WUB figures as a download for people (the web's): headers in the reader's language, each group's code
    beside its name, rates as fractions (percentages in Excel), the dates the figures are for and were computed."""
    counts = ["alumni", "tracked", "wub", "wub_active", "wub_unverified"]
    rates = ["wub_rate", "ci_low", "ci_high", "tracked_rate"]
    headers = {
        "grouping": _l("grouping"),
        "code": _l("code"),
        "name": _l("name"),
        "alumni": _l("alumni"),
        "tracked": _l("tracked"),
        "wub": _l("wub"),
        "wub_active": _l("wub_active"),
        "wub_unverified": _l("wub_unverified"),
        "wub_rate": _l("wub_rate"),
        "ci_low": _l("ci_low_95"),
        "ci_high": _l("ci_high_95"),
        "tracked_rate": _l("tracked_rate"),
        "median_months_to_business": _l("median_months_exit_to_founding"),
        "as_of": _l("as_of"),
        "computed_at": _l("computed_at_wib"),
    }
    return [
        Column("grouping", lambda row: Grouping(row.group_by).label, headers["grouping"]),
        Column("code", lambda row: row.key, headers["code"]),
        Column("name", lambda row: group_name(row.group_by, row.key), headers["name"]),
        *[Column(name, lambda row, name=name: getattr(row, name), headers[name], "int") for name in counts],
        *[Column(name, lambda row, name=name: getattr(row, name), headers[name], "percent") for name in rates],
        Column(
            "median_months_to_business",
            lambda row: None if row.median_months_to_business is None else round(row.median_months_to_business, 1),
            headers["median_months_to_business"],
            "number",
        ),
        Column("as_of", lambda row: row.as_of, headers["as_of"], "date"),
        Column("computed_at", lambda row: row.computed_at, headers["computed_at"], "datetime"),
    ]
