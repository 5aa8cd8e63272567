"""The importer's read-only workbook (services/xlsx.py) reads what openpyxl's own read-only mode reads."""

import io
import weakref
import zipfile
from datetime import date, datetime

from openpyxl import Workbook, load_workbook

from tpl_tracker.services import xlsx
from tpl_tracker.services.importer import template_workbook


def _values(workbook, reset: bool = False) -> dict[str, list[tuple]]:
    try:
        if reset:  # what the importer did with openpyxl's sheets: every row and cell, whatever size declared
            for sheet in workbook:
                sheet.reset_dimensions()
        return {sheet.title: [tuple(row) for row in sheet.iter_rows(values_only=True)] for sheet in workbook}
    finally:
        workbook.close()


def _with_sheet_xml(data: bytes, rows: str) -> bytes:
    """The workbook with its first sheet's cells replaced by the given <row> elements (a size declared too)."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as old, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as new:
        for info in old.infolist():
            content = old.read(info.filename)
            if info.filename == "xl/worksheets/sheet1.xml":
                content = (
                    '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
                    f'<dimension ref="A1:B2"/><sheetData>{rows}</sheetData></worksheet>'
                ).encode()
            new.writestr(info.filename, content)
    return out.getvalue()


def test_the_values_are_openpyxls():
    book = Workbook()
    sheet = book.active
    sheet.append(["text", 12, 3.5, date(2024, 2, 29), datetime(2024, 1, 2, 3, 4), True, None, "=1+1"])
    sheet.append([])
    sheet.append([None, None, "far"])
    sheet["F9"] = "alone"
    buffer = io.BytesIO()
    book.save(buffer)
    for data in (buffer.getvalue(), template_workbook()):
        openpyxl = load_workbook(io.BytesIO(data), read_only=True, data_only=True, keep_links=False)
        expected = _values(openpyxl, reset=True)
        assert _values(xlsx.load_read_only(io.BytesIO(data))) == expected


def test_rows_are_read_past_the_declared_size_and_in_file_order():
    """Rows left out come back empty; a row numbered below one read already is passed over, as openpyxl does."""
    rows = (
        '<row r="1"><c r="A1"><v>1</v></c></row>'
        '<row r="3"><c r="A3"><v>3</v></c><c r="D3"><v>4</v></c></row>'
        '<row r="2"><c r="A2"><v>2</v></c></row>'
        '<row r="5"><c r="C5"><v>5</v></c></row>'
    )
    data = _with_sheet_xml(template_workbook(), rows)
    first = xlsx.load_read_only(io.BytesIO(data)).worksheets[0]
    assert [tuple(row) for row in first.iter_rows(values_only=True)] == [
        (1,),
        (),
        (3, None, None, 4),
        (),
        (None, None, 5),
    ]


def test_each_row_leaves_the_tree_once_read():
    """openpyxl keeps every row read, emptied, until the sheet ends: here no row outlives its reading."""
    read: list[weakref.ref] = []

    class Watched(xlsx._RowParser):
        def parse_row(self, row):
            read.append(weakref.ref(row))
            return super().parse_row(row)

    rows = "".join(f'<row r="{n}"><c r="A{n}"><v>{n}</v></c></row>' for n in range(1, 101))
    data = _with_sheet_xml(template_workbook(), rows)
    with zipfile.ZipFile(io.BytesIO(data)) as archive, archive.open("xl/worksheets/sheet1.xml") as source:
        for number, (row_number, _cells) in enumerate(Watched(source, []).parse(), start=1):
            assert row_number == number
            assert all(ref() is None for ref in read[:-1])  # every row before this one is gone
    assert len(read) == 100
