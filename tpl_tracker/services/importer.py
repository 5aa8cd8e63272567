"""Bulk import of TPL (with their accounts), supervisors, contracts and tracer surveys from an .xlsx workbook:
every row or none.

The workbook is read row by row (openpyxl read-only mode), every row is checked against the rules
of the facilitator, user and outcome services, existing records are loaded in bulk, and only a workbook
without a single error is written, in one transaction.
"""

import gc
import io
import os
import pickle
import re
import sys
import tempfile
import threading
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any
from xml.parsers import expat

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _
from flask_babel import ngettext
from lokal import parse_nik

from ..dates import programme_today
from ..extensions import db
from ..models import (
    CONTRACT_STATUS_WORDS,
    GENDER_WORDS,
    POLYTECHNIC_WORDS,
    SURVEY_STATUS_WORDS,
    VERIFICATION_WORDS,
    Contract,
    Facilitator,
    OutcomeSurvey,
    Region,
    Role,
    SupervisorRegion,
    User,
    Verification,
    Vocabulary,
)
from . import Problems, ServiceError
from .facilitators import (
    ContractData,
    ContractPeriod,
    FacilitatorData,
    check_contract_values,
    check_facilitator_values,
    facilitator_ids,
    find_overlaps,
    import_contracts,
    import_facilitators,
    import_placements,
    latest_placement,
)
from .outcomes import SurveyData, check_survey_answers, import_surveys
from .users import UserData, check_user_values, import_accounts, import_supervisor_changes

# The sheets in import order, each with its columns (the first row of the sheet names them).
SHEETS: dict[str, list[str]] = {
    "facilitators": ["nik", "full_name", "email", "phone", "gender", "birth_date", "angkatan", "polytechnic"],
    "supervisors": ["email", "full_name", "phone", "region_codes"],
    "contracts": ["nik", "contract_number", "start_date", "end_date", "placement_region", "status", "terminated_on"],
    "outcomes": [
        "nik",
        "survey_date",
        "status",
        "business_name",
        "founded_date",
        "nib",
        "kbli",
        "workers",
        "monthly_revenue",
        "verification",
    ],
}
# Columns a sheet may have besides its own; absent means "keep / default".
OPTIONAL_COLUMNS: dict[str, list[str]] = {"supervisors": ["assigned_niks"], "contracts": ["termination_reason"]}
LIST_SEPARATOR = ";"  # between the codes or NIKs of one cell (region_codes, assigned_niks)
# What the import did with the accounts the workbook names (a TPL's email, a supervisor's row).
ACCOUNT_OUTCOMES = ("created", "linked", "unchanged")
# The columns with a fixed list of values: the words each accepts (models/vocabulary.py), also offered as a
# drop-down by the template workbook.
VOCABULARIES: dict[tuple[str, str], Vocabulary] = {
    ("facilitators", "gender"): GENDER_WORDS,
    ("facilitators", "polytechnic"): POLYTECHNIC_WORDS,
    ("contracts", "status"): CONTRACT_STATUS_WORDS,
    ("outcomes", "status"): SURVEY_STATUS_WORDS,
    ("outcomes", "verification"): VERIFICATION_WORDS,
}
VALUES_SHEET = "accepted_values"  # the template's list of the accepted words (not read by the import)
# The contract fields whose column in the sheet has another name (the other fields are their own column).
CONTRACT_COLUMNS = {"number": "contract_number", "placement_code": "placement_region"}

MAX_ERRORS = 1000
CHUNK = 2000  # rows checked together: the stored records they name are loaded in a few queries
SPOOL_BATCH = 2000  # created records per batch kept in the spool file, and written together
QUERY_CHUNK = 900  # bound parameters per IN (...) query: below SQLite's oldest limit of 999
AUDIT_NOTE_MAX = 500
MB = 1024 * 1024
PACKAGE_ELEMENTS = 10_000  # the XML elements of a workbook's theme, styles and the like, besides its cells

_DATE_TEXT = re.compile(r"\d{4}-\d{2}-\d{2}")
_INT_TEXT = re.compile(r"[+-]?\d+")
_NIK_FORM = re.compile(r"\d{16}")


@dataclass
class RowError:
    """One problem of the workbook: where it is (sheet, Excel row number, column) and why."""

    sheet: str
    row: int
    column: str
    message: str

    def __str__(self) -> str:
        if not self.sheet:
            return self.message
        where = f"{self.sheet}!{self.row}"
        return f"{where} {self.column}: {self.message}" if self.column else f"{where}: {self.message}"


@dataclass
class ImportResult:
    """Per sheet found in the workbook: records created, updated and unchanged; and every error.

    `accounts` (when the workbook has a facilitators or supervisors sheet): how many of the accounts it names were
    created, linked to their TPL, or left alone as they were (ACCOUNT_OUTCOMES)."""

    created: dict[str, int]
    updated: dict[str, int]
    unchanged: dict[str, int]
    errors: list[RowError]
    dry_run: bool
    accounts: dict[str, int] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        """True when the workbook had no error (and so was imported, unless a dry run)."""
        return not self.errors

    def accounts_summary(self) -> str:
        """What the import does with the accounts it names, in one sentence ("" without any such sheet)."""
        if not self.accounts:
            return ""
        if self.dry_run:
            return _(
                "Accounts: %(created)d to create, %(linked)d to link to their TPL, %(unchanged)d already there "
                "(left as they are).",
                **self.accounts,
            )
        return _(
            "Accounts: %(created)d created, %(linked)d linked to their TPL, %(unchanged)d already there "
            "(left as they are).",
            **self.accounts,
        )

    def to_json(self) -> dict[str, Any]:
        """The result as plain JSON values, to keep with a background import."""
        return {
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "errors": [[e.sheet, e.row, e.column, e.message] for e in self.errors],
            "dry_run": self.dry_run,
            "accounts": self.accounts,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> "ImportResult":
        """The result kept by `to_json`."""
        errors = [RowError(*error) for error in data["errors"]]
        return cls(
            data["created"], data["updated"], data["unchanged"], errors, data["dry_run"], data.get("accounts", {})
        )


class _Invalid(Exception):
    """A cell that cannot be read as the column's type."""


@dataclass(slots=True)
class _Plan:
    """A checked row: the values to write and the record it creates (existing None) or updates."""

    row: int
    values: dict[str, Any]
    existing: Any = None
    nik: str | None = None
    changed: bool = True
    # Accounts: the row's checked cells (to note a problem found once every account is loaded), the email of its
    # account and what becomes of that account (ACCOUNT_OUTCOMES); a TPL's account to create, the email of a
    # supervisor created by this import (their ids are known once written), the NIKs a supervisor is assigned.
    source: "_Row | None" = None
    email: str | None = None
    account: str | None = None
    new_account: dict[str, Any] | None = None
    new_supervisor: str | None = None
    assigned: list[str] = field(default_factory=list)


class _Spool:
    """The values of the records a checked workbook creates, kept in a temporary file in batches until they are
    written (a large workbook's rows never all sit in memory); only counted in a dry run."""

    def __init__(self, keep: bool):
        self.keep, self.count = keep, 0
        self._buffer: list = []
        self._file = None

    def append(self, item) -> None:
        self.count += 1
        if not self.keep:
            return
        self._buffer.append(item)
        if len(self._buffer) >= SPOOL_BATCH:
            if self._file is None:
                self._file = tempfile.TemporaryFile()  # noqa: SIM115 - closed by close()
            pickle.dump(self._buffer, self._file, protocol=pickle.HIGHEST_PROTOCOL)
            self._buffer = []

    def batches(self):
        """The items appended, in order, in lists of at most SPOOL_BATCH (read once)."""
        if self._file is not None:
            self._file.seek(0)
            while True:
                try:
                    yield pickle.load(self._file)  # a file this process wrote a moment ago
                except EOFError:
                    break
        if self._buffer:
            yield self._buffer

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None
        self._buffer = []


# --- reading cells --------------------------------------------------------------------------


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _text(value: Any) -> str:
    """A cell as trimmed text; whole numbers without '.0' (NIK, NIB typed as numbers)."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, datetime):
        value = value.date()
    if isinstance(value, date):
        return value.isoformat()
    return str(value).strip()


def _region_code(value: Any) -> str:
    """A kabupaten/kota code; Excel turns 11.10 typed in a cell into the number 11.1."""
    if isinstance(value, float) and not value.is_integer():
        return f"{value:.2f}"
    return _text(value)


def _date(value: Any) -> date | None:
    if _blank(value):
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, str) and _DATE_TEXT.fullmatch(value.strip()):
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            pass
    raise _Invalid(_("Not a date: use an Excel date or YYYY-MM-DD."))


def _int(value: Any) -> int | None:
    if _blank(value):
        return None
    if isinstance(value, bool):
        raise _Invalid(_("Not a whole number."))
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and _INT_TEXT.fullmatch(value.strip()):
        return int(value.strip())
    raise _Invalid(_("Not a whole number."))


class _Row:
    """One data row being checked: typed access to its cells, errors collected on the way."""

    def __init__(self, sheet: str, number: int, cells: dict[str, Any], errors: list[RowError]):
        self.sheet, self.number, self.cells, self._errors = sheet, number, cells, errors
        self.valid = True
        self.failed: set[str] = set()

    def error(self, column: str, message: str) -> None:
        self.valid = False
        self.failed.add(column)
        self._errors.append(RowError(self.sheet, self.number, column, message))

    def checked(self, check, *args, columns: dict[str, str] | None = None) -> dict | None:
        """The values cleaned by a service's checker, or None after noting each of its problems on the column of
        its field (`columns` maps the fields named otherwise); a column whose cell could not be read is not
        noted again."""
        try:
            return check(*args)
        except ServiceError as refusal:
            for problem in refusal.errors:
                column = (columns or {}).get(problem.field, problem.field or "")
                if column not in self.failed:
                    self.error(column, problem.message)
            return None

    def has(self, column: str) -> bool:
        return column in self.cells

    def text(self, column: str, required: bool = False, max_length: int | None = None) -> str | None:
        value = _text(self.cells.get(column)) or None
        if value is None and required:
            self.error(column, _("This cell is required."))
        elif value is not None and max_length is not None and len(value) > max_length:
            self.error(column, _("At most %(count)d characters.", count=max_length))
            return None
        return value

    def date(self, column: str, required: bool = False) -> date | None:
        try:
            value = _date(self.cells.get(column))
        except _Invalid as invalid:
            self.error(column, str(invalid))
            return None
        if value is None and required:
            self.error(column, _("This cell is required."))
        return value

    def integer(
        self,
        column: str,
        required: bool = False,
        low: int | None = None,
        high: int | None = None,
        message: str | None = None,
    ) -> int | None:
        try:
            value = _int(self.cells.get(column))
        except _Invalid as invalid:
            self.error(column, str(invalid))
            return None
        if value is None:
            if required:
                self.error(column, _("This cell is required."))
            return None
        if (low is not None and value < low) or (high is not None and value > high):
            self.error(column, message or _("The number is out of range."))
            return None
        return value

    def term(self, column: str, default: str | None = None) -> str | None:
        """The stored value the cell's word stands for (any spelling its column's vocabulary accepts); a blank cell
        is `default`, or an error when there is none. An unknown word is an error naming the words offered."""
        vocabulary = VOCABULARIES[self.sheet, column]
        typed = _text(self.cells.get(column))
        if not typed:
            if default is None:
                self.error(column, _("This cell is required."))
            return default
        value = vocabulary.value_of(typed)
        if value is None:
            allowed = ", ".join(vocabulary.shown)
            self.error(column, _("Unknown value %(value)s: use one of %(allowed)s.", value=typed, allowed=allowed))
        return value


@dataclass(frozen=True)
class Limits:
    """How large a workbook may be (the IMPORT_MAX_* settings): checked before and while it is read."""

    rows: int = 100_000  # rows per sheet (the header row included)
    cells: int = 2_000_000  # cells of the sheets read, in all
    sheet_bytes: int = 128 * MB  # unpacked size of a worksheet part (streamed)
    part_bytes: int = 50 * MB  # unpacked size of any other part (shared strings, styles, ...: read whole)
    ratio: int = 100  # how much better a part larger than 1 MB may be compressed
    parts: int = 1000  # files inside the zip

    @classmethod
    def from_config(cls, config) -> "Limits":
        """The limits of the app's configuration (the defaults for settings it lacks)."""
        default = cls()
        return cls(
            rows=config.get("IMPORT_MAX_ROWS", default.rows),
            cells=config.get("IMPORT_MAX_CELLS", default.cells),
            sheet_bytes=config["IMPORT_MAX_SHEET_MB"] * MB if "IMPORT_MAX_SHEET_MB" in config else default.sheet_bytes,
            part_bytes=config["IMPORT_MAX_PART_MB"] * MB if "IMPORT_MAX_PART_MB" in config else default.part_bytes,
            ratio=config.get("IMPORT_MAX_RATIO", default.ratio),
            parts=config.get("IMPORT_MAX_PARTS", default.parts),
        )


def _too_many_rows(sheet: str, limits: Limits) -> ServiceError:
    return ServiceError(
        _("The workbook is too large: the sheet %(sheet)s has more than %(max)d rows.", sheet=sheet, max=limits.rows),
        field="file",
    )


def _too_many_cells(limits: Limits) -> ServiceError:
    return ServiceError(
        _("The workbook is too large: its sheets may have at most %(max)d cells in all.", max=limits.cells),
        field="file",
    )


def _check_part(part: zipfile.ZipInfo, limits: Limits) -> None:
    """Refuse a part of the zip that would unpack to too much, or that is compressed suspiciously well."""
    if part.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
        raise ValueError("xlsx workbooks are deflated")
    maximum = limits.sheet_bytes if part.filename.startswith("xl/worksheets/") else limits.part_bytes
    name, megabytes = part.filename, maximum // MB
    if part.file_size > maximum:
        message = _(
            "The workbook is too large: its part %(part)s unpacks to more than %(max)d MB.", part=name, max=megabytes
        )
        raise ServiceError(message, field="file")
    if part.file_size > MB and part.file_size > limits.ratio * max(part.compress_size, 1):
        message = _(
            "The workbook cannot be read safely: its part %(part)s is compressed more than %(ratio)d times.",
            part=name,
            ratio=limits.ratio,
        )
        raise ServiceError(message, field="file")


def _check_archive(handle, limits: Limits) -> None:
    """Refuse a workbook whose zip would unpack too much, judged from its directory before any part is parsed.

    zipfile never unpacks more than the size a part declares (it fails on the checksum instead), so the
    declared sizes bound what openpyxl can be made to read.
    """
    with zipfile.ZipFile(handle) as archive:  # a BadZipFile for anything but a zip: "not an xlsx workbook"
        parts = archive.infolist()
        if len(parts) > limits.parts:
            message = _("The workbook is too large: it may have at most %(max)d parts.", max=limits.parts)
            raise ServiceError(message, field="file")
        for part in parts:
            _check_part(part, limits)
        elements = 0
        for part in parts:
            elements = _scan_part(archive, part.filename, limits, elements)
    handle.seek(0)


def _scan_part(archive: zipfile.ZipFile, name: str, limits: Limits, elements: int) -> int:
    """Count the XML elements of one part with a bare streaming parser that keeps nothing.

    openpyxl keeps whole trees of some parts, and the children of some elements until they end (a row's cells,
    the shared strings): no element may have more children than the cell limit, and the package may hold at most
    three elements per cell of that limit (besides those of its theme, styles and the like). A workbook has no
    document type declarations (entities). A part that is not XML is passed over (openpyxl fails on it if it is
    one it reads). Returns the elements counted so far.
    """
    children = [0]
    most_children, most_elements = max(limits.cells, PACKAGE_ELEMENTS), 3 * limits.cells + PACKAGE_ELEMENTS

    def start(_name, _attributes) -> None:  # called for every element: as little work as can be
        nonlocal elements
        elements += 1
        children[-1] += 1
        if children[-1] > most_children or elements > most_elements:
            raise _too_many_cells(limits)
        children.append(0)

    def end(_name) -> None:
        children.pop()

    def doctype(*_args) -> None:
        raise ValueError("a workbook part has no document type declaration")

    parser = expat.ParserCreate()
    parser.ordered_attributes = True  # a list is cheaper to build than a dict, and the attributes are not read
    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.StartDoctypeDeclHandler = doctype
    with archive.open(name) as source:
        try:
            while chunk := source.read(64 * 1024):
                parser.Parse(chunk, False)
            parser.Parse(b"", True)
        except expat.ExpatError:
            pass
    return elements


def _open(source, limits: Limits):
    """The workbook, opened read-only; ServiceError when the content is not an xlsx workbook or is too large."""
    from .xlsx import load_read_only

    handle = source
    if isinstance(source, (str, os.PathLike)):
        handle = open(source, "rb")  # noqa: SIM115 - closed by the caller; openpyxl would judge a path by its extension
    elif isinstance(source, (bytes, bytearray)):
        handle = io.BytesIO(source)
    try:
        _check_archive(handle, limits)
        # Shared strings and styles are read whole (their size was checked), worksheets row by row; the XML parser
        # (expat) refuses entity expansion bombs and never fetches external entities.
        return load_read_only(handle), handle
    except Exception as error:  # openpyxl raises zipfile, KeyError, XML and its own errors for foreign files
        if handle is not source:
            handle.close()
        if isinstance(error, ServiceError):
            raise
        raise ServiceError(_("The file is not an xlsx workbook."), field="file") from None


class _Workbook:
    """The known sheets of an open workbook (case-insensitive names), read row by row within the limits."""

    def __init__(self, workbook, errors: list[RowError], limits: Limits):
        self.workbook, self.errors, self.limits = workbook, errors, limits
        by_name = {name.strip().lower(): name for name in workbook.sheetnames}
        self.titles = {name: by_name[name] for name in SHEETS if name in by_name}
        self.cells = 0

    def _header(self, name: str):
        """The sheet's title, its remaining rows and the position of each known column (None: an empty sheet)."""
        try:
            worksheet = self.workbook[self.titles[name]]  # read to its last cell, whatever size it declares
            rows = _unreadable_as_damaged(worksheet.iter_rows(values_only=True))
        except ServiceError:
            raise
        except Exception:
            raise ServiceError(_("The workbook could not be read: it may be damaged."), field="file") from None
        header = next(rows, None)
        if header is None or all(_blank(v) for v in header):
            return worksheet.title, None, {}
        self.cells += len(header)
        wanted = SHEETS[name] + OPTIONAL_COLUMNS.get(name, [])
        index: dict[str, int] = {}
        for position, title in enumerate(header):
            key = _text(title).lower()
            if key in wanted and key not in index:
                index[key] = position
        return worksheet.title, rows, index

    def all_rows(self, name: str) -> Iterator[tuple[int, tuple]]:
        """The data rows of a sheet as read (counted against the limits), whatever its columns."""
        title, rows, _index = self._header(name)
        return iter(()) if rows is None else self._counted(title, rows)

    def rows(self, name: str) -> Iterator[tuple[int, dict[str, Any]]] | None:
        """The data rows of a sheet as (Excel row number, {column: cell value}); None when a required column is
        missing (noted as an error: its rows are not checked, only counted against the limits)."""
        title, rows, index = self._header(name)
        if rows is None:
            return iter(())  # an empty sheet imports nothing
        missing = [column for column in SHEETS[name] if column not in index]
        for column in missing:
            self.errors.append(RowError(name, 1, column, _("This column is missing from the first row.")))
        if missing:
            for _row in self._counted(title, rows):
                pass
            return None
        return self._cells(title, rows, index)

    def _counted(self, title: str, rows) -> Iterator[tuple[int, tuple]]:
        limits = self.limits
        for number, values in enumerate(rows, start=2):
            # Rows left out of the file and cells left out of a row come back empty: they count as well.
            self.cells += len(values)
            if number > limits.rows:
                raise _too_many_rows(title, limits)
            if self.cells > limits.cells:
                raise _too_many_cells(limits)
            if not values or all(_blank(v) for v in values):
                continue
            yield number, values

    def _cells(self, title: str, rows, index: dict[str, int]) -> Iterator[tuple[int, dict[str, Any]]]:
        positions = list(index.items())
        for number, values in self._counted(title, rows):
            size = len(values)
            yield number, {c: values[i] if i < size else None for c, i in positions}


def _unreadable_as_damaged(rows: Iterator) -> Iterator:
    """The rows of openpyxl's iterator; anything it raises (a damaged part) as the workbook's refusal."""
    while True:
        try:
            values = next(rows)
        except StopIteration:
            return
        except ServiceError:
            raise
        except Exception:
            raise ServiceError(_("The workbook could not be read: it may be damaged."), field="file") from None
        yield values


def _chunked(rows: Iterator, size: int = CHUNK) -> Iterator[list]:
    """Consecutive lists of at most `size` items."""
    chunk: list = []
    for item in rows:
        chunk.append(item)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


# --- loading what exists ------------------------------------------------------------------


def _chunks(values: list, size: int = QUERY_CHUNK):
    for start in range(0, len(values), size):
        yield values[start : start + size]


def _load(model, column, keys) -> list:
    """The rows of `model` whose `column` is one of `keys`, a few large IN queries in all."""
    keys = sorted(set(keys))
    found = []
    for chunk in _chunks(keys):
        found.extend(db.session.scalars(sa.select(model).where(column.in_(chunk))))
    return found


def _nik_of(value: Any) -> str:
    """A NIK cell as the 16 digits stored (dots, dashes and spaces removed) when valid, else as typed."""
    text = _text(value)
    if not text or _NIK_FORM.fullmatch(text):
        return sys.intern(text)  # valid or not, the NIK is the text; one string per NIK for every sheet's keys
    info = parse_nik(text)
    return info.nik if info.valid else text


def _listed(value: Any, read=_text) -> list[str]:
    """The items of a cell listing several (`;` between them), each read by `read`, empty ones left out. A single
    item typed as a number is read as one too (82.71, a NIK)."""
    if not isinstance(value, str):
        return [item for item in [read(value)] if item]
    return [item for item in (read(part.strip()) for part in value.split(LIST_SEPARATOR)) if item]


# --- checking each sheet -------------------------------------------------------------------


class _Importer:
    """Checks a workbook in full, sheet by sheet as it is read, then (when clean) writes it.

    Memory stays flat with the workbook's size: rows are checked in chunks (the stored records a chunk names are
    loaded together), the records to create wait in a spool file, and only keys that rows of other sheets refer to
    (NIKs, contract numbers, the periods of each TPL's contracts) stay in memory, besides the stored records the
    workbook changes."""

    def __init__(self, workbook: _Workbook, actor, errors: list[RowError], dry_run: bool):
        self.workbook, self.actor, self.errors = workbook, actor, errors
        self.sheets = list(workbook.titles)
        self.today = programme_today()
        # Records to create per sheet (spooled: {"nik": ..., "values": ...}) and the stored ones a row names
        # (updated or unchanged).
        self.created: dict[str, _Spool] = {name: _Spool(keep=not dry_run) for name in self.sheets}
        self.plans: dict[str, list[_Plan]] = {name: [] for name in self.sheets}
        self.accounts: dict[str, int] = dict.fromkeys(ACCOUNT_OUTCOMES, 0)
        # Stored TPL named by a row (loaded chunk by chunk), and the NIKs looked up already.
        self.facilitators: dict[str, Facilitator] = {}
        self.looked_up: set[str] = set()
        # NIK -> first row of the facilitators sheet (any NIK typed there, valid or not).
        self.file_niks: dict[str, int] = {}
        # Valid TPL rows with an email, when a supervisors sheet may not reuse it: email -> row.
        self.tpl_emails: dict[str, int] = {}
        # TPL created by this import whom a supervisors row assigns: NIK -> (supervisor id, or None and the email
        # of the supervisor account the import creates).
        self.new_tpl_supervisors: dict[str, tuple[int | None, str]] = {}
        self.existing_tpl: dict[str, _Plan] = {}
        self.placements: dict[str, str] = {}
        self.contracts_by_number: dict[str, Contract] = {}
        self.contracts_by_facilitator: dict[int, list[Contract]] = {}
        self.contracts_loaded: set[int] = set()
        # Stored TPL outside the facilitators sheet whose supervisor the supervisors sheet changes:
        # (TPL, the supervisor's id or None when the import creates the account, the supervisor's email).
        self.assignments: list[tuple[Facilitator, int | None, str]] = []

    def check(self) -> None:
        for name, check in (
            ("facilitators", self._check_facilitators),
            ("supervisors", self._check_supervisors),
            ("contracts", self._check_contracts),
            ("outcomes", self._check_outcomes),
        ):
            if name in self.workbook.titles:
                rows = self.workbook.rows(name)
                if rows is not None:
                    check(name, rows)
        self._plan_changes()

    def close(self) -> None:
        for spool in self.created.values():
            spool.close()

    def _load_tpl(self, niks, remember: bool = True) -> None:
        """Load the stored TPL with these NIKs (those not looked up yet; the NIKs of the facilitators sheet are
        looked up once, with their rows, and not remembered)."""
        wanted = {nik for nik in niks if nik and nik not in self.looked_up and _NIK_FORM.fullmatch(nik)}
        if not wanted:
            return
        if remember:
            self.looked_up.update(wanted)
        for facilitator in _load(Facilitator, Facilitator.nik, wanted):
            self.facilitators[facilitator.nik] = facilitator

    def _known_nik(self, row: _Row) -> str | None:
        nik = _nik_of(row.cells.get("nik"))
        if not nik:
            row.error("nik", _("This cell is required."))
            return None
        if nik not in self.file_niks and nik not in self.facilitators:
            row.error("nik", _("No TPL has this NIK, neither in the facilitators sheet nor in the database."))
            return None
        return nik

    def _duplicate(self, row: _Row, seen: dict, key, column: str) -> bool:
        if key in seen:
            row.error(column, _("Duplicate key: the same record is already on row %(row)d.", row=seen[key]))
            return True
        seen[key] = row.number
        return False

    def _note_rule_problems(self, row: _Row, problems: Problems, first_error: int) -> None:
        """Put a service checker's problems on their columns, except on a cell that could not be read at all."""
        unreadable = {error.column for error in self.errors[first_error:]}
        columns = SHEETS[row.sheet]
        for problem in problems.found:
            column = problem.field if problem.field in columns else ""
            if column not in unreadable:
                row.error(column, problem.message)

    def _in_column_order(self, sheet: str, first_error: int) -> None:
        """Sort the errors of the row just checked as its columns stand in the sheet."""
        if len(self.errors) - first_error < 2:
            return
        order = {column: index for index, column in enumerate(SHEETS[sheet])}
        self.errors[first_error:] = sorted(self.errors[first_error:], key=lambda e: order.get(e.column, len(order)))

    @staticmethod
    def _unchanged(existing, values: dict) -> bool:
        return all(getattr(existing, key) == value for key, value in values.items())

    def _keep(self, sheet: str, plan: _Plan) -> None:
        """A checked row: a record to create goes to the spool (nothing to keep once the workbook has an error),
        one to change or leave stays in memory."""
        if plan.existing is None:
            if not self.errors:
                self.created[sheet].append({"nik": plan.nik, "values": plan.values})
            else:
                self.created[sheet].count += 1
        else:
            self.plans[sheet].append(plan)

    # --- facilitators and their accounts ------------------------------------------------------

    def _check_facilitators(self, name: str, rows) -> None:
        emails: dict[str, int] = {}
        with_supervisors = "supervisors" in self.workbook.titles
        for chunk in _chunked(rows):
            niks = [_nik_of(cells.get("nik")) for _number, cells in chunk]
            self._load_tpl(niks, remember=False)
            plans = []
            for (number, cells), raw_nik in zip(chunk, niks, strict=True):
                row = _Row(name, number, cells, self.errors)
                data = FacilitatorData(
                    nik=raw_nik,
                    full_name=row.text("full_name"),
                    gender=row.term("gender"),
                    birth_date=row.date("birth_date"),
                    angkatan=row.integer("angkatan"),
                    polytechnic=row.term("polytechnic"),
                    phone=row.text("phone"),
                    email=row.text("email"),
                )
                values = row.checked(check_facilitator_values, data)
                self._duplicate(row, self.file_niks, values["nik"] if values else raw_nik, "nik")
                if raw_nik:
                    self.file_niks.setdefault(raw_nik, number)
                if values and values["email"]:
                    self._duplicate_email(row, emails, values["email"])
                if not row.valid:
                    continue
                existing = self.facilitators.get(values["nik"])
                plan = _Plan(number, values, existing, values["nik"], source=row, email=values["email"])
                plan.changed = existing is None or not self._unchanged(existing, values)
                if with_supervisors and plan.email:
                    self.tpl_emails[plan.email] = number
                plans.append(plan)
            self._plan_tpl_accounts(plans)
            for plan in plans:
                plan.source = None
                if plan.account:
                    self.accounts[plan.account] += 1
                if plan.existing is not None:
                    self.existing_tpl[plan.nik] = plan
                self._keep(name, plan)

    def _duplicate_email(self, row: _Row, seen: dict[str, int], email: str) -> None:
        """One account per email: a second row of the sheet with the same address is refused."""
        if email in seen:
            row.error(
                "email", _("This email address is already on row %(row)d: each account has its own.", row=seen[email])
            )
        else:
            seen[email] = row.number

    def _plan_tpl_accounts(self, plans: list[_Plan]) -> None:
        """What becomes of the account of each TPL of a chunk, the accounts with their addresses loaded at once.

        A TPL's email creates their account (role facilitator, linked to the profile) or links the unlinked TPL
        account with that address; a TPL who has an account keeps it (theirs is not loaded). An account of another
        role, or linked to another TPL, is refused."""
        wanted = [p.email for p in plans if p.email and (p.existing is None or p.existing.user_id is None)]
        accounts = {user.email: user for user in _load(User, User.email, wanted)} if wanted else {}
        linked = (
            {tpl.user_id: tpl for tpl in _load(Facilitator, Facilitator.user_id, [u.id for u in accounts.values()])}
            if accounts
            else {}
        )
        for plan in plans:
            self._plan_tpl_account(plan, accounts.get(plan.email), linked)

    def _plan_tpl_account(self, plan: _Plan, account: User | None, linked: dict[int, Facilitator]) -> None:
        if plan.existing is not None and plan.existing.user_id is not None:
            plan.account = "unchanged" if plan.email else None  # the TPL keeps the account they have
            return
        if not plan.email:
            return
        if account is None:
            plan.account = "created"
            plan.new_account = {
                "email": plan.email,
                "full_name": plan.values["full_name"],
                "role": Role.FACILITATOR.value,
                "phone": None,
                "region_codes": [],
            }
            plan.values["_account"] = True  # the spooled row: create the account when writing
        elif account.role != Role.FACILITATOR:
            plan.source.error("email", _("This email address belongs to an account with another role."))
        elif account.id in linked:
            plan.source.error("email", _("The account with this email address is linked to another TPL."))
        else:
            plan.account = "linked"
            plan.values["user_id"] = account.id

    # --- supervisors -------------------------------------------------------------------------

    def _check_supervisors(self, name: str, rows) -> None:
        """Supervisor accounts: email, name, phone and scope regions checked by the user service's rules, the TPL
        assigned to them known (in the file or the database) and assigned once."""
        regions = set(db.session.scalars(sa.select(Region.code)))  # provinces and kabupaten/kota
        emails: dict[str, int] = {}
        assigned: dict[str, int] = {}
        plans: list[_Plan] = []
        for chunk in _chunked(rows):
            listed = [_listed(cells.get("assigned_niks"), _nik_of) for _number, cells in chunk]
            self._load_tpl(nik for niks in listed for nik in niks if nik not in self.file_niks)
            for (number, cells), niks in zip(chunk, listed, strict=True):
                row = _Row(name, number, cells, self.errors)
                codes = _listed(cells.get("region_codes"), _region_code)
                data = UserData(
                    email=row.text("email", required=True) or "",
                    full_name=row.text("full_name", required=True) or "",
                    role=Role.SUPERVISOR.value,
                    region_codes=codes,
                    phone=row.text("phone"),
                )
                if not codes:
                    row.error("region_codes", _("Give at least one province or kabupaten/kota code."))
                values = row.checked(check_user_values, data, regions)
                if values:
                    self._duplicate_email(row, emails, values["email"])
                    if values["email"] in self.tpl_emails:
                        row.error(
                            "email",
                            _(
                                "This email address is a TPL's, on row %(row)d of the facilitators sheet.",
                                row=self.tpl_emails[values["email"]],
                            ),
                        )
                for nik in niks:
                    if nik not in self.file_niks and nik not in self.facilitators:
                        row.error(
                            "assigned_niks",
                            _(
                                "No TPL has the NIK %(nik)s, neither in the facilitators sheet nor in the database.",
                                nik=nik,
                            ),
                        )
                    elif nik in assigned:
                        message = _(
                            "The TPL with NIK %(nik)s is also assigned on row %(row)d.", nik=nik, row=assigned[nik]
                        )
                        row.error("assigned_niks", message)
                    else:
                        assigned[nik] = number
                if not row.valid:
                    continue
                plans.append(_Plan(number, values, source=row, email=values["email"], assigned=niks))
        self._plan_supervisor_accounts(plans)

    def _plan_supervisor_accounts(self, plans: list[_Plan]) -> None:
        """Each supervisor row creates the account or changes the supervisor account with its address (another
        role's is refused); the TPL it assigns then get them as supervisor."""
        accounts = {user.email: user for user in _load(User, User.email, [plan.email for plan in plans])}
        scopes: dict[int, set[str]] = {}
        supervisor_ids = [u.id for u in accounts.values() if u.role == Role.SUPERVISOR]
        for scope in _load(SupervisorRegion, SupervisorRegion.user_id, supervisor_ids):
            scopes.setdefault(scope.user_id, set()).add(scope.region_code)
        for plan in plans:
            account = accounts.get(plan.email)
            if account is None:
                plan.account = "created"
            elif account.role != Role.SUPERVISOR:
                plan.source.error("email", _("This email address belongs to an account with another role."))
                continue
            else:
                plan.existing, plan.account = account, "unchanged"
                stored = (account.full_name, account.phone, scopes.get(account.id, set()))
                wanted = (plan.values["full_name"], plan.values["phone"], set(plan.values["region_codes"]))
                plan.changed = stored != wanted
            for nik in plan.assigned:
                if self._assign(nik, plan):
                    plan.changed = True
        for plan in plans:
            plan.source = None
            if plan.account:
                self.accounts[plan.account] += 1
            if plan.account:  # not refused: few rows, kept in memory and written before the TPL
                self.plans["supervisors"].append(plan)

    def _assign(self, nik: str, supervisor: _Plan) -> bool:
        """Give a TPL the supervisor of a supervisors row (planned with the TPL's row, if the file has one);
        whether their supervisor changes."""
        supervisor_id = supervisor.existing.id if supervisor.existing is not None else None
        tpl = self.existing_tpl.get(nik)
        if tpl is not None:
            if supervisor_id is None:
                tpl.new_supervisor = supervisor.email
                return True
            tpl.values["supervisor_id"] = supervisor_id
            return tpl.existing.supervisor_id != supervisor_id
        if nik in self.file_niks:
            if nik not in self.facilitators:  # a TPL this import creates
                self.new_tpl_supervisors[nik] = (supervisor_id, supervisor.email)
                return True
            return False  # a stored TPL whose row has an error: nothing is written
        stored = self.facilitators.get(nik)
        if stored is None:
            return False
        if supervisor_id is not None and stored.supervisor_id == supervisor_id:
            return False
        self.assignments.append((stored, supervisor_id, supervisor.email))
        return True

    def _plan_changes(self) -> None:
        """Whether each stored TPL of the facilitators sheet changes, their account and supervisor included."""
        for plan in self.existing_tpl.values():
            plan.changed = bool(plan.new_account or plan.new_supervisor) or not self._unchanged(
                plan.existing, {key: value for key, value in plan.values.items() if key != "_account"}
            )

    # --- contracts ----------------------------------------------------------------------------

    def _load_contracts(self, numbers, niks) -> None:
        """Load the contracts with these numbers, and every contract of these TPL (for overlaps), not loaded yet."""
        ids = [
            f.id for nik in niks if (f := self.facilitators.get(nik)) is not None and f.id not in self.contracts_loaded
        ]
        numbers = [n for n in numbers if n and n not in self.contracts_by_number]
        known = {c.id: c for c in _load(Contract, Contract.number, numbers)} if numbers else {}
        if ids:
            self.contracts_loaded.update(ids)
            known.update({c.id: c for c in _load(Contract, Contract.facilitator_id, ids)})
        for contract in known.values():
            if contract.number in self.contracts_by_number:
                continue
            self.contracts_by_number[contract.number] = contract
            self.contracts_by_facilitator.setdefault(contract.facilitator_id, []).append(contract)

    def _check_contracts(self, name: str, rows) -> None:
        regencies = set(db.session.scalars(sa.select(Region.code).where(Region.level == 2)))
        imported = _("Imported")  # the termination reason when the sheet gives none
        seen: dict[str, int] = {}
        # Per TPL, the periods of the sheet's contracts: (start, effective end, number, placement, id, row), a
        # TPL's only one without a list around it (most TPL have one contract per sheet).
        planned: dict[str, tuple | list[tuple]] = {}
        dates: dict[date, date] = {}  # one object per date for all the periods (contracts share their dates)
        for chunk in _chunked(rows):
            niks = {_nik_of(cells.get("nik")) for _number, cells in chunk}
            self._load_tpl(nik for nik in niks if nik not in self.file_niks)
            self._load_contracts({_text(cells.get("contract_number")) for _number, cells in chunk}, niks)
            for number, cells in chunk:
                row = _Row(name, number, cells, self.errors)
                nik = self._known_nik(row)
                contract_number = row.text("contract_number")
                existing = self.contracts_by_number.get(contract_number) if contract_number else None
                status = row.term("status")
                reason = row.text("termination_reason") if row.has("termination_reason") else None
                if status == "terminated" and not reason:
                    keep = existing is not None and existing.status == "terminated"
                    reason = existing.termination_reason if keep and existing.termination_reason else imported
                data = ContractData(
                    number=contract_number,
                    start_date=row.date("start_date"),
                    end_date=row.date("end_date"),
                    placement_code=_region_code(cells.get("placement_region")),
                    status=status,
                    terminated_on=row.date("terminated_on"),
                    termination_reason=reason,
                )
                values = row.checked(check_contract_values, data, regencies, columns=CONTRACT_COLUMNS)
                if contract_number:
                    self._duplicate(row, seen, contract_number, "contract_number")
                if existing is not None and nik is not None:
                    owner = self.facilitators.get(nik)
                    if owner is None or existing.facilitator_id != owner.id:
                        row.error("contract_number", _("This contract number belongs to another TPL."))
                if status is not None and status != "terminated" and data.terminated_on is not None:
                    row.error("terminated_on", _("Only a terminated contract has a termination date."))
                if not row.valid:
                    continue
                plan = _Plan(number, values, existing, nik)
                plan.changed = existing is None or not self._unchanged(existing, values)
                period = ContractPeriod.planned(values, getattr(existing, "id", None))
                placement = sys.intern(period.placement_code)  # one string per region for all the placements
                start, end = dates.setdefault(period.start, period.start), dates.setdefault(period.end, period.end)
                entry = (start, end, period.number, placement, period.contract_id, number)
                earlier = planned.get(nik)
                if earlier is None:
                    planned[nik] = entry
                elif isinstance(earlier, list):
                    earlier.append(entry)
                else:
                    planned[nik] = [earlier, entry]
                self._keep(name, plan)
        seen.clear()  # the contract numbers are checked: their table's memory is given back before placements grow
        self._check_overlaps(name, planned)
        self._plan_placements(planned)

    def _stored_periods(self, nik: str) -> list[ContractPeriod]:
        """The periods of the contracts stored for a TPL (none for a TPL not stored yet)."""
        facilitator = self.facilitators.get(nik)
        if facilitator is None:
            return []
        return [ContractPeriod.of(contract) for contract in self.contracts_by_facilitator.get(facilitator.id, [])]

    def _check_overlaps(self, sheet: str, planned: dict[str, tuple | list[tuple]]) -> None:
        """No two contracts of one TPL may overlap (the service's rule): those of the file, and those already
        stored."""
        for nik, entries in planned.items():
            if not isinstance(entries, list):
                if self._stored_periods(nik) == []:
                    continue
                entries = [entries]
            stored = self._stored_periods(nik)
            periods = [ContractPeriod(*entry[:5]) for entry in entries]
            for entry, clash in zip(entries, find_overlaps(stored, periods), strict=True):
                if clash is not None:
                    message = _("This period overlaps contract %(number)s of the same TPL.", number=clash.number)
                    self.errors.append(RowError(sheet, entry[5], "start_date", message))

    def _plan_placements(self, planned: dict[str, tuple | list[tuple]]) -> None:
        """The region of each TPL whose contracts change: the placement of their latest contract (the service's
        rule, with the contracts of the sheet planned in sheet order)."""
        changed = {plan.nik for plan in self.plans["contracts"] if plan.changed}
        for nik, entries in planned.items():
            if not isinstance(entries, list):
                if entries[4] is None and nik not in self.facilitators:
                    self.placements[nik] = entries[3]  # a new TPL's only contract
                    continue
                entries = [entries]
            touched = nik in changed or any(entry[4] is None for entry in entries)
            if touched:
                periods = [ContractPeriod(*entry[:5]) for entry in entries]
                self.placements[nik] = latest_placement(self._stored_periods(nik), periods)

    # --- outcomes -----------------------------------------------------------------------------

    def _check_outcomes(self, name: str, rows) -> None:
        stored: dict[tuple, OutcomeSurvey] = {}
        loaded: set[int] = set()
        seen: dict[tuple, int] = {}
        for chunk in _chunked(rows):
            niks = {_nik_of(cells.get("nik")) for _number, cells in chunk}
            self._load_tpl(nik for nik in niks if nik not in self.file_niks)
            by_id = {f.id: nik for nik in niks if (f := self.facilitators.get(nik)) is not None and f.id not in loaded}
            if by_id:
                loaded.update(by_id)
                for survey in _load(OutcomeSurvey, OutcomeSurvey.facilitator_id, list(by_id)):
                    stored[by_id[survey.facilitator_id], survey.survey_date] = survey
            for number, cells in chunk:
                first_error = len(self.errors)
                row = _Row(name, number, cells, self.errors)
                nik = self._known_nik(row)
                survey_date = row.date("survey_date", required=True)
                status = row.term("status")
                verification = row.term("verification", default=Verification.UNVERIFIED)
                answers = SurveyData(
                    survey_date=survey_date,
                    status=status,
                    business_name=row.text("business_name"),
                    founded_date=row.date("founded_date"),
                    nib=row.text("nib"),
                    kbli=row.text("kbli"),
                    workers=row.integer("workers"),
                    monthly_revenue=row.integer("monthly_revenue"),
                )
                problems = Problems()
                values = check_survey_answers(answers, self.today, problems)
                self._note_rule_problems(row, problems, first_error)
                if nik and survey_date:
                    self._duplicate(row, seen, (nik, survey_date), "survey_date")
                    self._check_four_eyes(row, stored.get((nik, survey_date)), verification)
                self._in_column_order(name, first_error)
                if not row.valid:
                    continue
                values["verification"] = verification
                if status == "wirausaha":
                    del values["business_region_code"]  # the sheet has no such column: keep what is stored
                else:  # as the outcome service does: only a running business has business details
                    values["business_id"] = None
                existing = stored.get((nik, survey_date))
                plan = _Plan(number, values, existing, nik)
                plan.changed = existing is None or not self._unchanged(existing, values)
                self._keep(name, plan)

    def _check_four_eyes(self, row: _Row, stored: OutcomeSurvey | None, verification: str | None) -> None:
        """A stored survey the importing user recorded is not checked by their import (policy.can_verify_survey)."""
        recorder = getattr(self.actor, "id", None)
        if stored is None or recorder is None or stored.recorded_by_id != recorder:
            return
        if verification not in (None, Verification.UNVERIFIED, stored.verification):
            row.error(
                "verification",
                _("You recorded this survey yourself: another supervisor or an evaluator must check it."),
            )

    # --- writing -----------------------------------------------------------------------------

    def counts(self) -> tuple[dict, dict, dict]:
        created, updated, unchanged = {}, {}, {}
        for name in self.sheets:
            plans = self.plans[name]
            created[name] = self.created[name].count + sum(1 for p in plans if p.existing is None)
            updated[name] = sum(1 for p in plans if p.existing is not None and p.changed)
            unchanged[name] = sum(1 for p in plans if p.existing is not None and not p.changed)
        return created, updated, unchanged

    def account_counts(self) -> dict[str, int]:
        """How many accounts the workbook creates, links and leaves alone (none without a sheet naming any)."""
        if "facilitators" not in self.sheets and "supervisors" not in self.sheets:
            return {}
        return dict(self.accounts)

    def write(self) -> None:
        """Create and update every planned record through the services' bulk writers (the caller commits)."""
        note = _("Bulk import")
        self.file_niks, self.tpl_emails, self.looked_up = {}, {}, set()  # only needed for checking
        tpl_plans = list(self.existing_tpl.values())
        supervisor_plans = self.plans.get("supervisors", [])
        new_accounts = [p.new_account for p in tpl_plans if p.new_account] + [
            p.values for p in supervisor_plans if p.existing is None
        ]
        account_ids = import_accounts(self.actor, new_accounts, note) if new_accounts else {}
        changed = [(p.existing, p.values) for p in supervisor_plans if p.existing is not None and p.changed]
        if changed:
            import_supervisor_changes(self.actor, changed, note)
        for plan in tpl_plans:
            plan.values.pop("_account", None)
            if plan.new_account:
                plan.values["user_id"] = account_ids[plan.email]
            if plan.new_supervisor:
                plan.values["supervisor_id"] = account_ids[plan.new_supervisor]
        if "facilitators" in self.created:
            self._write_new_tpl(account_ids, note)
        assignments = [
            (tpl, {"supervisor_id": supervisor_id or account_ids[email]})
            for tpl, supervisor_id, email in self.assignments
        ]
        updated = [(plan.existing, plan.values) for plan in tpl_plans if plan.changed] + assignments
        if updated:
            import_facilitators(self.actor, [], updated, note)
        # TPL created above got their region when written; stored ones get theirs now.
        placements = [
            (self.facilitators[nik], code) for nik, code in self.placements.items() if nik in self.facilitators
        ]
        if "contracts" in self.created:
            stored = {facilitator.id for facilitator in self.facilitators.values()}
            for batch in self.created["contracts"].batches():
                values = self._with_tpl_ids(batch)
                new_tpl = {item["facilitator_id"] for item in values} - stored
                import_contracts(self.actor, values, [], note, new_tpl=new_tpl)
            import_contracts(self.actor, [], self._changes("contracts"), note)
            import_placements(placements)
        if "outcomes" in self.created:
            for batch in self.created["outcomes"].batches():
                import_surveys(self.actor, self._with_tpl_ids(batch), [], note)
            import_surveys(self.actor, [], self._changes("outcomes"), note)

    def _write_new_tpl(self, supervisor_ids: dict[str, int], note: str) -> None:
        """Create the TPL of the spool, batch by batch, each batch's new accounts first."""
        for batch in self.created["facilitators"].batches():
            accounts = [
                {
                    "email": item["values"]["email"],
                    "full_name": item["values"]["full_name"],
                    "role": Role.FACILITATOR.value,
                    "phone": None,
                    "region_codes": [],
                }
                for item in batch
                if item["values"].pop("_account", False)
            ]
            ids = import_accounts(self.actor, accounts, note) if accounts else {}
            created = []
            for item in batch:
                values = item["values"]
                if values["email"] in ids:
                    values["user_id"] = ids[values["email"]]
                assigned = self.new_tpl_supervisors.get(values["nik"])
                if assigned is not None:
                    supervisor_id, email = assigned
                    values["supervisor_id"] = supervisor_id or supervisor_ids[email]
                values["region_code"] = self.placements.get(values["nik"])
                created.append(values)
            import_facilitators(self.actor, created, [], note)

    def _with_tpl_ids(self, batch: list[dict]) -> list[dict]:
        """The values of spooled records with their TPL's id (stored TPL known, the new ones looked up at once)."""
        niks = {item["nik"] for item in batch if item["nik"] not in self.facilitators}
        ids = {nik: facilitator.id for nik, facilitator in self.facilitators.items() if nik in niks}
        missing = sorted(niks - set(ids))
        ids.update(facilitator_ids(missing))
        return [
            {
                "facilitator_id": ids[item["nik"]] if item["nik"] in ids else self.facilitators[item["nik"]].id,
                **item["values"],
            }
            for item in batch
        ]

    def _changes(self, sheet: str) -> list[tuple[Any, dict]]:
        return [(plan.existing, plan.values) for plan in self.plans[sheet] if plan.changed]


def _sorted(errors: list[RowError]) -> list[RowError]:
    order = {name: i for i, name in enumerate(SHEETS)}

    def key(error: RowError):
        columns = SHEETS.get(error.sheet, []) + OPTIONAL_COLUMNS.get(error.sheet, [])
        column = columns.index(error.column) if error.column in columns else len(columns)
        return order.get(error.sheet, -1), error.row, column

    return sorted(errors, key=key)


def _capped(errors: list[RowError]) -> list[RowError]:
    if len(errors) <= MAX_ERRORS:
        return errors
    rest = len(errors) - MAX_ERRORS
    more = ngettext("... and %(num)d more error.", "... and %(num)d more errors.", rest)
    return errors[:MAX_ERRORS] + [RowError("", 0, "", more)]


@contextmanager
def _opened(source, errors: list[RowError]) -> Iterator[_Workbook]:
    """The workbook (path, bytes or file-like), open for reading its known sheets within the IMPORT_MAX_* limits."""
    limits = Limits.from_config(current_app.config)
    workbook, handle = _open(source, limits)
    try:
        yield _Workbook(workbook, errors, limits)
    finally:
        workbook.close()
        if handle is not source:
            handle.close()


def count_rows(source, stop_after: int | None = None) -> int:
    """The data rows (not empty, below the header) of the workbook's known sheets; with `stop_after`, counting
    stops at the first row past that number, so a large workbook is judged large without reading it all.

    Raises ServiceError as `import_workbook` does for a file that is not a workbook or is too large."""
    found = 0
    with _opened(source, []) as book:
        for name in book.titles:
            for _row in book.all_rows(name):
                found += 1
                if stop_after is not None and found > stop_after:
                    return found
    return found


GC_YOUNG_THRESHOLD = 20_000  # new container objects between two collections of the youngest ones (Python: 700)
_gc_lock = threading.Lock()
_gc_users = 0
_gc_threshold = gc.get_threshold()


@contextmanager
def _fewer_collections() -> Iterator[None]:
    """Python's cycle collector runs less often while a workbook is imported.

    An import makes millions of small objects, many of them kept (the keys other rows refer to): with Python's
    default threshold, its collections took a tenth of a dry run's CPU time at 100,000 rows. The objects an
    import drops are freed by their reference counts; the collector only waits a little longer for cycles. The
    threshold is the process's: set by the first import that runs and set back by the last (imports may run in
    threads of one process)."""
    global _gc_users, _gc_threshold
    with _gc_lock:
        if _gc_users == 0:
            _gc_threshold = gc.get_threshold()
            gc.set_threshold(max(GC_YOUNG_THRESHOLD, _gc_threshold[0]), *_gc_threshold[1:])
        _gc_users += 1
    try:
        yield
    finally:
        with _gc_lock:
            _gc_users -= 1
            if _gc_users == 0:
                gc.set_threshold(*_gc_threshold)


def import_workbook(source, actor=None, dry_run: bool = False) -> ImportResult:
    """Check a workbook (path or file-like) in full; import it in one transaction when it has no error.

    Raises ServiceError when the file is not an xlsx workbook or is larger than the IMPORT_MAX_* settings allow.
    """
    errors: list[RowError] = []
    with _fewer_collections(), _opened(source, errors) as book:
        if not book.titles:
            message = _("The workbook has none of the sheets %(names)s.", names=", ".join(SHEETS))
            errors.append(RowError("", 0, "", message))
        importer = _Importer(book, actor, errors, dry_run)
        try:
            importer.check()
            if errors:
                zero = dict.fromkeys(book.titles, 0)
                return ImportResult(dict(zero), dict(zero), dict(zero), _capped(_sorted(errors)), dry_run)
            created, updated, unchanged = importer.counts()
            accounts = importer.account_counts()
            if not dry_run:
                importer.write()
                db.session.flush()
        finally:
            importer.close()
    return ImportResult(created, updated, unchanged, [], dry_run, accounts)


EXCEL_LAST_ROW = 1_048_576


def template_workbook() -> bytes:
    """An .xlsx file with the import's sheets, their column names (the optional ones last) and one example row
    each; a drop-down on each column with a fixed list, and the sheet `accepted_values` listing every word those
    columns accept."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    examples = {
        "facilitators": [
            "8271011705990001",
            "Rahmat Hidayat",
            "rahmat@example.id",
            "081234567890",
            "L",
            date(1999, 5, 17),
            2021,
            "STMI Jakarta",
        ],
        "supervisors": [
            "pembina.ternate@example.id",
            "Siti Aminah",
            "081298765432",
            "82.71; 82.72",
            "8271011705990001",
        ],
        "contracts": [
            "8271011705990001",
            "KP/TPL/2022/001",
            date(2022, 1, 3),
            date(2023, 12, 31),
            "82.71",
            "Selesai",
            None,
            None,
        ],
        "outcomes": [
            "8271011705990001",
            date(2024, 6, 30),
            "Berwirausaha",
            "Keripik Pisang Mulia",
            date(2024, 2, 1),
            "9120001234567",
            "10794",
            2,
            15000000,
            "Belum diverifikasi",
        ],
    }
    text_columns = {
        "nik",
        "phone",
        "contract_number",
        "placement_region",
        "nib",
        "kbli",
        "region_codes",
        "assigned_niks",
    }
    workbook = Workbook()
    workbook.remove(workbook.active)
    for name, required in SHEETS.items():
        columns = required + OPTIONAL_COLUMNS.get(name, [])
        sheet = workbook.create_sheet(name)
        sheet.append(columns)
        sheet.append(examples[name])
        for position, column in enumerate(columns, start=1):
            sheet.cell(row=1, column=position).font = Font(bold=True)
            cell = sheet.cell(row=2, column=position)
            if isinstance(cell.value, date):
                cell.number_format = "yyyy-mm-dd"
            elif column in text_columns:
                cell.number_format = "@"  # keep leading zeros and all 16 digits of a NIK
            letter = cell.column_letter
            sheet.column_dimensions[letter].width = max(len(column) + 4, 14)
        sheet.freeze_panes = "A2"
    _add_accepted_values(workbook)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _add_accepted_values(workbook) -> None:
    """The sheet listing, for each column with a fixed list, the word to choose for each value, the value stored
    and the other spellings accepted; and on that column a drop-down of the words to choose (other spellings may
    still be typed: Excel only warns)."""
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.datavalidation import DataValidation

    values = workbook.create_sheet(VALUES_SHEET)
    values.append([_("Sheet"), _("Column"), _("Value to choose"), _("Stored as"), _("Also accepted")])
    for cell in values[1]:
        cell.font = Font(bold=True)
    for (sheet_name, column), vocabulary in VOCABULARIES.items():
        first = values.max_row + 1
        for term in vocabulary.terms:
            others = [word for word in vocabulary.accepted(term) if word != term.shown]
            values.append([sheet_name, column, term.shown, term.value, "; ".join(others)])
        last = values.max_row
        sheet = workbook[sheet_name]
        letter = get_column_letter(SHEETS[sheet_name].index(column) + 1)
        drop_down = DataValidation(
            type="list",
            formula1=f"{VALUES_SHEET}!$C${first}:$C${last}",
            allow_blank=True,
            showErrorMessage=True,
            errorStyle="warning",
            error=_("Choose a value from the list; the other spellings on the sheet accepted_values are accepted too."),
        )
        drop_down.add(f"{letter}2:{letter}{EXCEL_LAST_ROW}")
        sheet.add_data_validation(drop_down)
    for letter, width in zip("ABCDE", (14, 14, 40, 40, 60), strict=True):
        values.column_dimensions[letter].width = width
    values.freeze_panes = "A2"
