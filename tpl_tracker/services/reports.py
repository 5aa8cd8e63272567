"""The WUB report in CSV, JSON and Excel, read from the stored snapshots (computed first if missing)."""

import csv
import io
import json
from datetime import date

from . import ServiceError
from .metric import CSV_COLUMNS, load_snapshot

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
