"""openpyxl's read-only workbook as the importer reads it: every cell of a sheet, whatever size the sheet declares.

openpyxl's read-only loader parses each worksheet once when the workbook is opened, only to find the size it may
declare (`<dimension>`), and the whole sheet when it declares none (openpyxl's own write-only mode writes none).
The importer reads every cell anyway, as some writers declare a wrong size, so its sheets skip that pass: a
workbook is parsed once. Everything else is openpyxl's own loading (`load_workbook`).
"""

from openpyxl.reader.excel import ExcelReader
from openpyxl.workbook import Workbook
from openpyxl.worksheet._read_only import ReadOnlyWorksheet


class _Sheet(ReadOnlyWorksheet):
    """A read-only worksheet read to its last cell; its size is not looked for."""

    def _get_size(self) -> None:
        pass  # _min_row/_min_column 1, _max_row/_max_column None: every row and cell (reset_dimensions())


class _Reader(ExcelReader):
    def read_worksheets(self) -> None:
        for sheet, rel in self.parser.find_sheets():
            if rel.target not in self.valid_files:
                continue
            if "chartsheet" in rel.Type:
                self.read_chartsheet(sheet, rel)
                continue
            worksheet = _Sheet(self.wb, sheet.name, rel.target, self.shared_strings)
            worksheet.sheet_state = sheet.state
            self.wb._sheets.append(worksheet)


def load_read_only(handle) -> Workbook:
    """The workbook in a binary file, read-only with cached values (no formulas, no external links)."""
    reader = _Reader(handle, read_only=True, data_only=True, keep_links=False)
    reader.read()
    return reader.wb
