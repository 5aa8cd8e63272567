"""The file writers of every export: CSV with a BOM, JSON, XLSX with typed cells, formulas neutralised."""

import csv
import io
import json
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from tpl_tracker.services import ServiceError
from tpl_tracker.services.exports import Column, chunks, neutralise, write_file

COLUMNS = [
    Column("name", lambda row: row["name"], header="nama"),
    Column("workers", lambda row: row["workers"], kind="int"),
    Column("share", lambda row: row["share"], kind="number"),
    Column("founded", lambda row: row["founded"], kind="date"),
    Column("at", lambda row: row["at"], kind="datetime"),
]
ROWS = [
    {
        "name": '=HYPERLINK("x")',
        "workers": 3,
        "share": Decimal("0.25"),
        "founded": date(2021, 2, 3),
        "at": datetime(2026, 3, 4, 1, 2, 3, tzinfo=UTC),
    },
    {"name": "Kopi Ternate", "workers": None, "share": None, "founded": None, "at": None},
]


def _text(fmt, **options):
    return "".join(chunks(COLUMNS, iter(ROWS), fmt, **options))


@pytest.mark.parametrize("text", ["=1+1", "+62", "-5", "@SUM(A1)", "\tx", "\rx"])
def test_text_a_spreadsheet_would_run_gets_an_apostrophe(text):
    assert neutralise(text) == "'" + text
    assert neutralise("aman = ya") == "aman = ya"


def test_csv_has_a_bom_the_headers_and_iso_values():
    text = _text("csv")
    assert text.startswith("\ufeffnama,workers,share,founded,at\r\n")
    rows = list(csv.reader(io.StringIO(text.removeprefix("\ufeff"))))
    # 01:02 UTC is 08:02 in Jakarta (WIB): times are the programme's wall clock.
    assert rows[1] == ['\'=HYPERLINK("x")', "3", "0.25", "2021-02-03", "2026-03-04 08:02:03"]
    assert rows[2] == ["Kopi Ternate", "", "", "", ""]
    assert not _text("csv", bom=False).startswith("\ufeff")


def test_csv_comes_in_pieces_of_rows():
    many = [ROWS[1]] * 1200
    pieces = list(chunks(COLUMNS, iter(many), "csv"))
    assert len(pieces) == 3 and sum(piece.count("\r\n") for piece in pieces) == 1201


def test_json_is_keyed_by_the_columns_keys():
    data = json.loads(_text("json"))
    assert data[0] == {
        "name": '=HYPERLINK("x")',
        "workers": 3,
        "share": 0.25,
        "founded": "2021-02-03",
        "at": "2026-03-04 08:02:03",
    }
    assert data[1]["workers"] is None


def test_xlsx_cells_are_typed():
    workbook = load_workbook(io.BytesIO(b"".join(chunks(COLUMNS, iter(ROWS), "xlsx", sheet_title="ikm"))))
    sheet = workbook["ikm"]
    header, first, second = list(sheet.iter_rows())
    assert [cell.value for cell in header] == ["nama", "workers", "share", "founded", "at"]
    assert first[0].data_type == "s" and first[0].value == '\'=HYPERLINK("x")'
    assert first[1].value == 3 and first[2].value == 0.25 and first[1].data_type == "n"
    assert first[3].is_date and first[3].value == datetime(2021, 2, 3)
    assert first[4].is_date and first[4].value == datetime(2026, 3, 4, 8, 2, 3)
    assert [cell.value for cell in second] == ["Kopi Ternate", None, None, None, None]


def test_write_file_writes_bytes_and_unknown_formats_are_refused():
    handle = io.BytesIO()
    write_file(handle, COLUMNS, iter(ROWS), "csv")
    assert handle.getvalue().startswith(b"nama,")
    with pytest.raises(ServiceError):
        chunks(COLUMNS, iter(ROWS), "pdf")
    with pytest.raises(ValueError):
        Column("x", str, kind="money")
