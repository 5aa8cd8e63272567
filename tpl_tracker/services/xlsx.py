"""openpyxl's read-only workbook as the importer reads it: every cell of a sheet, whatever size the sheet declares,
each row let go once read.

Two passes of openpyxl's read-only mode cost the importer time and memory, and are left out here; everything
else is openpyxl's own loading (`load_workbook`) and cell parsing:

- the loader parses each worksheet once when the workbook is opened, only to find the size it may declare
  (`<dimension>`), and the whole sheet when it declares none (openpyxl's own write-only mode writes none). The
  importer reads every cell anyway, as some writers declare a wrong size: a workbook is now parsed once.
- the sheet parser empties each row once read but keeps it in the sheet's tree until the sheet ends (about 90
  bytes a row, 18 MB for 200,000 rows); here the row leaves the tree as well.
"""

from openpyxl.cell.read_only import EMPTY_CELL
from openpyxl.reader.excel import ExcelReader
from openpyxl.workbook import Workbook
from openpyxl.worksheet._read_only import ReadOnlyWorksheet
from openpyxl.worksheet._reader import ROW_TAG, WorkSheetParser
from openpyxl.xml.constants import SHEET_MAIN_NS
from openpyxl.xml.functions import iterparse

SHEET_DATA_TAG = f"{{{SHEET_MAIN_NS}}}sheetData"


class _RowParser(WorkSheetParser):
    """openpyxl's worksheet parser for the rows alone (what a read-only sheet's values need)."""

    def parse(self):
        """(row number, cells) of each row, as openpyxl's `parse` yields them; each row leaves the tree once read."""
        sheet_data = None
        for event, element in iterparse(self.source, events=("start", "end")):
            if event == "start":
                if element.tag == SHEET_DATA_TAG:
                    sheet_data = element
            elif element.tag == ROW_TAG:
                yield self.parse_row(element)
                element.clear()
                if sheet_data is not None:
                    del sheet_data[:]  # the row just read, its only child left


class _Sheet(ReadOnlyWorksheet):
    """A read-only worksheet read to its last cell (its size is not looked for), by `_RowParser`."""

    def _get_size(self) -> None:
        pass  # _min_row/_min_column 1, _max_row/_max_column None: every row and cell (reset_dimensions())

    def _cells_by_row(self, min_col, min_row, max_col, max_row, values_only=False):
        """openpyxl's `ReadOnlyWorksheet._cells_by_row` with `_RowParser`: rows left out of the file come back
        empty, a row numbered below one read already is passed over."""
        filler = None if values_only else EMPTY_CELL
        max_col = max_col or self.max_column
        max_row = max_row or self.max_row
        empty_row = [] if max_col is None else (filler,) * (max_col + 1 - min_col)
        counter = min_row
        idx = 1
        with self._get_source() as src:
            parser = _RowParser(
                src,
                self._shared_strings,
                data_only=self.parent.data_only,
                epoch=self.parent.epoch,
                date_formats=self.parent._date_formats,
                timedelta_formats=self.parent._timedelta_formats,
            )
            for idx, row in parser.parse():
                if max_row is not None and idx > max_row:
                    break
                for _missing in range(counter, idx):
                    counter += 1
                    yield empty_row
                if counter <= idx:
                    counter += 1
                    yield self._get_row(row, min_col, max_col, values_only)
        if max_row is not None and max_row < idx:
            for _missing in range(counter, max_row + 1):
                yield empty_row


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
