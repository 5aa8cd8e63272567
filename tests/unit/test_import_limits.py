"""Hostile workbooks: parts that unpack to gigabytes, too many rows or cells, entity bombs; refused before harm."""

import io
import zipfile

import pytest
import sqlalchemy as sa

from tpl_tracker.services.importer import SHEETS, count_rows, import_workbook, template_workbook

from ..conftest import refused_use_case, ui_message
from ..factories import UserFactory

MB = 1024 * 1024
SHEET_XML = (
    '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>{}</sheetData></worksheet>'
)
TOO_MANY_ROWS = "The workbook is too large: the sheet %(sheet)s has more than %(max)d rows."
TOO_MANY_CELLS = "The workbook is too large: its sheets may have at most %(max)d cells in all."
TOO_LARGE_PART = "The workbook is too large: its part %(part)s unpacks to more than %(max)d MB."
TOO_COMPRESSED = "The workbook cannot be read safely: its part %(part)s is compressed more than %(ratio)d times."
TOO_MANY_PARTS = "The workbook is too large: it may have at most %(max)d parts."
NOT_XLSX = "The file is not an xlsx workbook."


def table_counts(db) -> dict[str, int]:
    """Rows in every table: to prove that a refused import wrote nothing at all."""
    return {
        table.name: db.session.scalar(sa.select(sa.func.count()).select_from(table))
        for table in db.metadata.sorted_tables
    }


SHARED_STRINGS = "xl/sharedStrings.xml"
SHARED_STRINGS_TYPE = (
    '<Override PartName="/xl/sharedStrings.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/></Types>'
)


def with_part(name: str, write, compression: int = zipfile.ZIP_DEFLATED) -> bytes:
    """The import template with the part `name` written by `write(stream)`.

    The template keeps its text in the cells (openpyxl writes no shared strings); a shared-strings part is
    declared in the package's content types, as Excel does, so that openpyxl reads it.
    """
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(template_workbook())) as old,
        zipfile.ZipFile(out, "w", compression) as new,
    ):
        for info in old.infolist():
            content = old.read(info.filename)
            if info.filename == "[Content_Types].xml" and name == SHARED_STRINGS:
                content = content.replace(b"</Types>", SHARED_STRINGS_TYPE.encode())
            if info.filename != name:
                new.writestr(info.filename, content)
        with new.open(name, "w") as part:
            write(part)
    return out.getvalue()


def shared_strings_bomb(size: int = 200 * MB) -> bytes:
    """A workbook of a few hundred kilobytes whose shared-strings part unpacks to `size` bytes of one string.

    Written in chunks, so that building it never holds the string in memory.
    """

    def write(part):
        part.write(b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><si><t>')
        chunk = b"A" * MB
        for _ in range(size // MB):
            part.write(chunk)
        part.write(b"</t></si></sst>")

    return with_part(SHARED_STRINGS, write)


def sheet_part(rows: str, compression: int = zipfile.ZIP_DEFLATED) -> bytes:
    """The template with its first sheet (facilitators) replaced by the given <row> elements."""
    xml = SHEET_XML.format(rows).encode()
    return with_part("xl/worksheets/sheet1.xml", lambda part: part.write(xml), compression)


@pytest.fixture
def admin(db):
    return UserFactory(email="admin@example.id", role="admin")


def _refused(app, db, admin, data: bytes, message: str, **values) -> None:
    before = table_counts(db)
    with refused_use_case() as refusal:
        import_workbook(io.BytesIO(data), actor=admin)
    assert refusal.value.message == ui_message(app, message, **values)
    assert refusal.value.field == "file"
    assert table_counts(db) == before


def test_a_huge_shared_string_is_refused_before_it_is_read(app, db, admin):
    data = shared_strings_bomb()
    assert len(data) < 2 * MB  # 200 MB of one letter compress to a few hundred kilobytes
    _refused(app, db, admin, data, TOO_LARGE_PART, part="xl/sharedStrings.xml", max=50)


def test_a_part_compressed_too_well_is_refused(app, db, admin):
    data = shared_strings_bomb(5 * MB)  # within the size limit, but compressed about a thousand times
    _refused(app, db, admin, data, TOO_COMPRESSED, part="xl/sharedStrings.xml", ratio=100)


def test_the_part_limits_are_settings(app, db, admin, monkeypatch):
    monkeypatch.setitem(app.config, "IMPORT_MAX_SHEET_MB", 1)
    data = with_part("xl/worksheets/sheet1.xml", lambda part: part.write(b" " * (MB + 1)), compression=0)
    _refused(app, db, admin, data, TOO_LARGE_PART, part="xl/worksheets/sheet1.xml", max=1)
    monkeypatch.setitem(app.config, "IMPORT_MAX_PARTS", 5)
    _refused(app, db, admin, template_workbook(), TOO_MANY_PARTS, max=5)


def test_a_sheet_over_the_row_limit_is_refused(app, db, admin, monkeypatch):
    monkeypatch.setitem(app.config, "IMPORT_MAX_ROWS", 3)
    rows = "".join(f'<row r="{n}"><c r="A{n}"><v>{n}</v></c></row>' for n in range(1, 6))
    _refused(app, db, admin, sheet_part(rows), TOO_MANY_ROWS, sheet="facilitators", max=3)


def test_rows_left_out_of_the_file_count_as_well(app, db, admin, monkeypatch):
    monkeypatch.setitem(app.config, "IMPORT_MAX_ROWS", 100)
    rows = '<row r="1"><c r="A1"><v>1</v></c></row><row r="1048576"><c r="A1048576"><v>2</v></c></row>'
    _refused(app, db, admin, sheet_part(rows), TOO_MANY_ROWS, sheet="facilitators", max=100)


def test_a_row_of_millions_of_cells_is_refused_before_openpyxl_gathers_it(app, db, admin):
    """openpyxl keeps the cells of a row until the row ends."""
    rows = '<row r="1">' + "<c/>" * 2_000_001 + "</row>"
    # Stored, not deflated: the compression ratio would refuse it first (a cleverer file can avoid that).
    _refused(app, db, admin, sheet_part(rows, zipfile.ZIP_STORED), TOO_MANY_CELLS, max=2_000_000)


def test_the_cell_limit_counts_every_sheet_read(app, db, admin, monkeypatch):
    monkeypatch.setitem(app.config, "IMPORT_MAX_CELLS", 40)  # the template has 2 x (8 + 5 + 8 + 10) cells
    _refused(app, db, admin, template_workbook(), TOO_MANY_CELLS, max=40)
    monkeypatch.setitem(app.config, "IMPORT_MAX_CELLS", 62)
    assert import_workbook(io.BytesIO(template_workbook()), actor=admin, dry_run=True).ok


def test_cells_left_out_of_a_row_count_as_well(app, db, admin, monkeypatch):
    monkeypatch.setitem(app.config, "IMPORT_MAX_CELLS", 1000)
    rows = '<row r="1"><c r="A1"><v>1</v></c><c r="XFD1"><v>2</v></c></row>'  # 16,384 cells wide
    _refused(app, db, admin, sheet_part(rows), TOO_MANY_CELLS, max=1000)


def test_an_entity_bomb_is_refused(app, db, admin):
    entities = "".join(f'<!ENTITY e{i} "{f"&e{i - 1};" * 10}">' for i in range(1, 10))
    xml = (
        f'<?xml version="1.0"?><!DOCTYPE sst [<!ENTITY e0 "AAAAAAAAAA">{entities}]>'
        '<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><si><t>&e9;</t></si></sst>'
    )
    data = with_part(SHARED_STRINGS, lambda part: part.write(xml.encode()))
    _refused(app, db, admin, data, NOT_XLSX)
    doctype = '<?xml version="1.0"?><!DOCTYPE worksheet [<!ENTITY x "y">]>' + SHEET_XML.format("")
    data = with_part("xl/worksheets/sheet1.xml", lambda part: part.write(doctype.encode()))
    _refused(app, db, admin, data, NOT_XLSX)


def test_millions_of_elements_in_a_part_read_whole_are_refused(app, db, admin, monkeypatch):
    monkeypatch.setitem(app.config, "IMPORT_MAX_CELLS", 1000)
    styles = b"<styleSheet>" + b"<x/>" * 10_001 + b"</styleSheet>"  # more than 10,000 side by side
    _refused(app, db, admin, with_part("xl/styles.xml", lambda part: part.write(styles)), TOO_MANY_CELLS, max=1000)
    # 14,000 elements, at most 1,000 side by side: more than three per cell of the limit and the package's own
    many = b"<styleSheet>" + (b"<x>" + b"<y/>" * 999 + b"</x>") * 14 + b"</styleSheet>"
    _refused(app, db, admin, with_part("xl/styles.xml", lambda part: part.write(many)), TOO_MANY_CELLS, max=1000)


def test_a_zip_with_another_compression_is_refused(app, db, admin):
    data = with_part("xl/styles.xml", lambda part: part.write(b""), compression=zipfile.ZIP_BZIP2)
    _refused(app, db, admin, data, NOT_XLSX)


def test_a_workbook_within_the_limits_still_imports(db, admin):
    result = import_workbook(io.BytesIO(template_workbook()), actor=admin)
    assert result.ok and result.created == {"facilitators": 1, "supervisors": 1, "contracts": 1, "outcomes": 1}


def test_a_sheet_is_read_to_its_last_cell_whatever_size_it_declares(app, db, admin):
    """Some writers declare a wrong size (`<dimension>`): every row and every cell is read all the same."""

    def cell(ref: str, text: str) -> str:
        return f'<c r="{ref}" t="inlineStr"><is><t>{text}</t></is></c>'

    columns = zip("ABCDEFGH", SHEETS["facilitators"], strict=True)
    header = "".join(cell(f"{letter}1", column) for letter, column in columns)
    rows = f'<row r="1">{header}</row>' + "".join(
        f'<row r="{n}">{cell(f"A{n}", "x")}{cell(f"H{n}", "y")}</row>' for n in (2, 3, 7)
    )
    xml = SHEET_XML.format(rows).replace("<sheetData>", '<dimension ref="A1:B2"/><sheetData>').encode()
    data = with_part("xl/worksheets/sheet1.xml", lambda part: part.write(xml))
    assert count_rows(io.BytesIO(data)) == 3 + 3  # the three rows above, and the other sheets' example rows
    result = import_workbook(io.BytesIO(data), actor=admin, dry_run=True)
    facilitator_errors = [error for error in result.errors if error.sheet == "facilitators"]
    assert {error.row for error in facilitator_errors} == {2, 3, 7}
    assert not any(error.row == 1 for error in facilitator_errors)  # every column of the header was found
