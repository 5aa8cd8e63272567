"""Lists and reports as files: CSV in UTF-8 (with a BOM for Excel), JSON, and XLSX with typed cells.

Every writer takes the rows as an iterator and writes them one by one (the XLSX through a temporary file, with
inline strings), so that 200,000 rows never sit in memory together. Text that a spreadsheet would read as a
formula (it begins with =, +, -, @, a tab or a carriage return) gets a leading apostrophe, in CSV and in XLSX
(where every text is written as a text cell, never a formula).
"""

import csv
import io
import json
import tempfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from ..dates import programme_zone
from . import ServiceError, audit

FORMATS = ("csv", "xlsx")
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
KINDS = ("text", "int", "number", "percent", "date", "datetime")
CSV_BATCH_ROWS = 500
CHUNK_BYTES = 64 * 1024
BOM = "\ufeff"
MIMETYPES = {
    "csv": "text/csv; charset=utf-8",
    "json": "application/json",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


@dataclass(frozen=True)
class Column:
    """One column of a file: its stable key, its header (the key when None), how to read a row, the cell type."""

    key: str
    value: Callable[[Any], Any]
    header: Any = None
    kind: str = "text"  # a percent is a fraction (0.2413), shown as 24.1% in XLSX

    def __post_init__(self):
        if self.kind not in KINDS:
            raise ValueError(f"unknown column kind {self.kind!r}")

    @property
    def title(self) -> str:
        """The header written in the file."""
        return str(self.header) if self.header is not None else self.key


def neutralise(text: str) -> str:
    """The text with a leading apostrophe when a spreadsheet would take it for a formula."""
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def _local(moment: datetime) -> datetime:
    """A moment as the programme's wall-clock time (WIB), without its zone (spreadsheets keep none)."""
    if moment.tzinfo is not None:
        moment = moment.astimezone(programme_zone())
    return moment.replace(tzinfo=None)


def _typed(column: Column, row: Any) -> Any:
    """The row's value for the column, as the column's type (None stays None)."""
    value = column.value(row)
    if value is None or value == "":
        return None
    if column.kind == "int":
        return int(value)
    if column.kind == "number":
        return float(value) if isinstance(value, Decimal) else value
    if column.kind == "percent":
        return round(float(value), 4)
    if column.kind == "datetime":
        return _local(value)
    if column.kind == "date":
        return value.date() if isinstance(value, datetime) else value
    return str(value)


def _csv_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, str):
        return neutralise(value)
    return str(value)


def csv_chunks(columns: list[Column], rows: Iterable[Any], bom: bool = True) -> Iterator[str]:
    """The CSV text in pieces of a few hundred rows: the header row first (with a BOM unless `bom` is False)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    if bom:
        buffer.write(BOM)
    writer.writerow([column.title for column in columns])
    for count, row in enumerate(rows, start=1):
        writer.writerow([_csv_text(_typed(column, row)) for column in columns])
        if count % CSV_BATCH_ROWS == 0:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


def _json_value(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, date):
        return value.isoformat()
    return value


def json_chunks(columns: list[Column], rows: Iterable[Any]) -> Iterator[str]:
    """A JSON array of objects keyed by the columns' keys, written row by row."""
    yield "["
    for index, row in enumerate(rows):
        item = {column.key: _json_value(_typed(column, row)) for column in columns}
        yield ("," if index else "") + "\n  " + json.dumps(item, ensure_ascii=False)
    yield "\n]\n"


def _width(column: Column) -> int:
    """The column's width in characters: its header's, or its values' when wider (at most 40)."""
    least = {"date": 12, "datetime": 19, "int": 8, "number": 10, "percent": 8}.get(column.kind, 12)
    return max(least, min(40, len(column.title) + 2))


def xlsx_chunks(columns: list[Column], rows: Iterable[Any], sheet_title: str = "data") -> Iterator[bytes]:
    """The workbook's bytes in pieces; the rows are written one by one to a temporary file first."""
    import xlsxwriter

    with tempfile.TemporaryFile() as handle:
        workbook = xlsxwriter.Workbook(
            handle,
            {
                "constant_memory": True,
                "strings_to_numbers": False,
                "strings_to_formulas": False,
                "strings_to_urls": False,
            },
        )
        sheet = workbook.add_worksheet(sheet_title[:31])
        header = workbook.add_format({"bold": True})
        formats = {
            "date": workbook.add_format({"num_format": "yyyy-mm-dd"}),
            "datetime": workbook.add_format({"num_format": "yyyy-mm-dd hh:mm:ss"}),
            "percent": workbook.add_format({"num_format": "0.0%"}),
        }
        for index, column in enumerate(columns):
            sheet.set_column(index, index, _width(column))
        sheet.freeze_panes(1, 0)
        for index, column in enumerate(columns):
            sheet.write_string(0, index, column.title, header)
        for number, row in enumerate(rows, start=1):
            for index, column in enumerate(columns):
                value = _typed(column, row)
                if value is None:
                    continue
                if column.kind in ("date", "datetime"):
                    sheet.write_datetime(number, index, value, formats[column.kind])
                elif column.kind in ("int", "number"):
                    sheet.write_number(number, index, value)
                elif column.kind == "percent":
                    sheet.write_number(number, index, value, formats["percent"])
                else:
                    sheet.write_string(number, index, neutralise(value))
        workbook.close()
        handle.seek(0)
        while chunk := handle.read(CHUNK_BYTES):
            yield chunk


def chunks(columns: list[Column], rows: Iterable[Any], fmt: str, bom: bool = True, sheet_title: str = "data"):
    """The file's pieces in the chosen format (csv, json or xlsx): text pieces for csv and json, bytes for xlsx."""
    if fmt == "csv":
        return csv_chunks(columns, rows, bom=bom)
    if fmt == "json":
        return json_chunks(columns, rows)
    if fmt == "xlsx":
        return xlsx_chunks(columns, rows, sheet_title=sheet_title)
    raise ServiceError(f"Unknown format {fmt!r}.")


def write_file(handle, columns: list[Column], rows: Iterable[Any], fmt: str, bom: bool = False) -> None:
    """Write the file to a binary handle (the command line's --output, or standard output)."""
    for piece in chunks(columns, rows, fmt, bom=bom):
        handle.write(piece.encode("utf-8") if isinstance(piece, str) else piece)


def record_export(actor, what: str, fmt: str, filters: dict, rows: int) -> None:
    """The audit entry of a download: who, which list, in which format, with which filters, how many rows."""
    used = {name: value for name, value in filters.items() if value not in (None, "", [], False)}
    audit.record(
        "export",
        actor=actor,
        entity_type=what,
        after={"format": fmt, "filters": {k: _json_value(v) for k, v in used.items()}, "rows": rows},
    )
