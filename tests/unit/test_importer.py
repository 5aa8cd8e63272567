"""Bulk import from a workbook: round trip, updates with audit, every kind of bad row, all or nothing."""

import io
from datetime import date, datetime

import pytest
import sqlalchemy as sa
from flask_babel import gettext
from openpyxl import Workbook, load_workbook

from tpl_tracker.models import AuditEntry, Contract, Facilitator, OutcomeSurvey
from tpl_tracker.services import ServiceError, importer
from tpl_tracker.services.importer import (
    OPTIONAL_COLUMNS,
    SHEETS,
    RowError,
    import_workbook,
    template_workbook,
)
from tpl_tracker.services.metric import compute_figures
from tpl_tracker.transactions import unit_of_work

from ..clock import TODAY, TOMORROW, YEAR, iso, on
from ..factories import ContractFactory, FacilitatorFactory, UserFactory, make_nik

BIRTH = date(1999, 5, 17)
NIK1 = make_nik("827101", BIRTH, "L", 1)
NIK2 = make_nik("827101", date(2000, 2, 3), "P", 2)


def facilitator_row(**change):
    row = {
        "nik": NIK1,
        "full_name": "Rahmat Hidayat",
        "email": "rahmat@example.id",
        "phone": "0812-3456-7890",
        "gender": "L",
        "birth_date": "1999-05-17",
        "angkatan": 2022,
        "polytechnic": "STMI Jakarta",
    }
    row.update(change)
    return row


def contract_row(**change):
    row = {
        "nik": NIK1,
        "contract_number": "KP/TPL/2024/001",
        "start_date": iso(1, 1, years=-2),
        "end_date": iso(12, 31, years=-2),
        "placement_region": "82.71",
        "status": "completed",
        "terminated_on": None,
    }
    row.update(change)
    return row


def outcome_row(**change):
    row = {
        "nik": NIK1,
        "survey_date": iso(6, 30, years=-1),
        "status": "wirausaha",
        "business_name": "Keripik Mulia",
        "founded_date": iso(2, 1, years=-1),
        "nib": "9120001234567",
        "kbli": "10794",
        "workers": 2,
        "monthly_revenue": 15000000,
        "verification": "unverified",
    }
    row.update(change)
    return row


def valid_rows():
    """Two TPL, three contracts (one terminated), two surveys."""
    return {
        "facilitators": [
            facilitator_row(),
            facilitator_row(
                nik=NIK2,
                full_name="Siti Aminah",
                email=None,
                phone=None,
                gender="P",
                birth_date="2000-02-03",
                angkatan=2023,
                polytechnic="Politeknik ATI Makassar",
            ),
        ],
        "contracts": [
            contract_row(),
            contract_row(
                contract_number="KP/TPL/2025/001",
                start_date=iso(1, 1, years=-1),
                end_date=iso(12, 31, years=-1),
                placement_region="73.71",
            ),
            contract_row(
                nik=NIK2,
                contract_number="KP/TPL/2025/002",
                start_date=iso(1, 1, years=-1),
                end_date=iso(12, 31, years=-1),
                status="terminated",
                terminated_on=iso(6, 30, years=-1),
            ),
        ],
        "outcomes": [
            outcome_row(),
            outcome_row(
                nik=NIK2,
                survey_date=iso(1, 15, years=-1),
                status="bekerja",
                business_name=None,
                founded_date=None,
                nib=None,
                kbli=None,
                workers=None,
                monthly_revenue=None,
            ),
        ],
    }


def write_workbook(path, sheets, columns=None):
    """An .xlsx file with one sheet per entry; rows are dicts written in the sheet's column order."""
    workbook = Workbook()
    workbook.remove(workbook.active)
    for name, rows in sheets.items():
        header = (columns or {}).get(name) or SHEETS[name]
        sheet = workbook.create_sheet(name)
        sheet.append(header)
        for row in rows:
            sheet.append([row.get(column) for column in header])
    workbook.save(path)
    return path


def table_counts(db) -> dict[str, int]:
    """Rows in every table: to prove that a refused import wrote nothing at all."""
    return {
        table.name: db.session.scalar(sa.select(sa.func.count()).select_from(table))
        for table in db.metadata.sorted_tables
    }


def _count(db, model) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


@pytest.fixture
def admin(db):
    return UserFactory(email="admin@example.id", role="admin")


@pytest.fixture
def valid_file(tmp_path):
    return write_workbook(tmp_path / "valid.xlsx", valid_rows())


# --- round trip -----------------------------------------------------------------------------


def test_import_creates_the_records_and_audits_each(db, admin, valid_file):
    result = import_workbook(valid_file, actor=admin)

    assert result.errors == []
    assert result.created == {"facilitators": 2, "contracts": 3, "outcomes": 2}
    assert result.updated == {"facilitators": 0, "contracts": 0, "outcomes": 0}
    assert result.unchanged == {"facilitators": 0, "contracts": 0, "outcomes": 0}
    rahmat = db.session.scalar(sa.select(Facilitator).where(Facilitator.nik == NIK1))
    assert rahmat.phone == "+6281234567890" and rahmat.birth_date == BIRTH
    # The TPL's region is the placement of the latest contract.
    assert rahmat.region_code == "73.71"
    terminated = db.session.scalar(sa.select(Contract).where(Contract.number == "KP/TPL/2025/002"))
    assert terminated.terminated_on == on(6, 30, years=-1) and terminated.termination_reason
    survey = db.session.scalar(sa.select(OutcomeSurvey).where(OutcomeSurvey.facilitator_id == rahmat.id))
    assert survey.nib == "9120001234567" and survey.monthly_revenue == 15000000
    assert survey.recorded_by_id is None  # recorded outside the app: the audit entry names the importer
    # Rahmat's email made his account (Siti has no email: no account).
    assert result.accounts == {"created": 1, "linked": 0, "unchanged": 0}
    assert rahmat.user.email == "rahmat@example.id" and rahmat.user.role == "facilitator"
    actions = [e.action for e in db.session.scalars(sa.select(AuditEntry))]
    expected = ["user_created"] + ["facilitator_created"] * 2 + ["contract_created"] * 3 + ["survey_recorded"] * 2
    assert sorted(actions) == sorted(expected)
    assert all(e.actor_id == admin.id for e in db.session.scalars(sa.select(AuditEntry)))


def test_importing_the_same_file_twice_changes_nothing(db, admin, valid_file):
    import_workbook(valid_file, actor=admin)
    before = table_counts(db)
    audit_before = _count(db, AuditEntry)

    again = import_workbook(valid_file, actor=admin)

    assert again.errors == []
    assert again.created == {"facilitators": 0, "contracts": 0, "outcomes": 0}
    assert again.updated == {"facilitators": 0, "contracts": 0, "outcomes": 0}
    assert again.unchanged == {"facilitators": 2, "contracts": 3, "outcomes": 2}
    assert table_counts(db) == before
    assert _count(db, AuditEntry) == audit_before


def test_a_changed_row_updates_its_record_and_is_audited(db, admin, tmp_path, valid_file):
    import_workbook(valid_file, actor=admin)
    rows = valid_rows()
    rows["facilitators"][0]["full_name"] = "Rahmat Hidayat Saputra"
    rows["contracts"][1]["end_date"] = iso(11, 30, years=-1)
    rows["outcomes"][0]["workers"] = 5

    result = import_workbook(write_workbook(tmp_path / "changed.xlsx", rows), actor=admin)

    assert result.errors == []
    assert result.updated == {"facilitators": 1, "contracts": 1, "outcomes": 1}
    assert result.unchanged == {"facilitators": 1, "contracts": 2, "outcomes": 1}
    assert result.created == {"facilitators": 0, "contracts": 0, "outcomes": 0}
    (entry,) = db.session.scalars(sa.select(AuditEntry).where(AuditEntry.action == "facilitator_updated"))
    assert entry.actor_id == admin.id
    assert entry.before == {"full_name": "Rahmat Hidayat"}
    assert entry.after == {"full_name": "Rahmat Hidayat Saputra"}
    (entry,) = db.session.scalars(sa.select(AuditEntry).where(AuditEntry.action == "contract_updated"))
    assert entry.before == {"end_date": iso(12, 31, years=-1)}
    assert entry.after == {"end_date": iso(11, 30, years=-1)}
    (entry,) = db.session.scalars(sa.select(AuditEntry).where(AuditEntry.action == "survey_updated"))
    assert entry.before == {"workers": 2} and entry.after == {"workers": 5}
    assert db.session.scalar(sa.select(Contract.end_date).where(Contract.number == "KP/TPL/2025/001")) == on(
        11, 30, years=-1
    )


def test_rows_may_refer_to_tpl_already_in_the_database(db, admin, tmp_path):
    tpl = FacilitatorFactory(nik=NIK1, region_code="82.71")
    ContractFactory(facilitator=tpl, number="KP/OLD/1", start_date=on(1, 1, years=-3), end_date=on(12, 31, years=-3))
    path = write_workbook(tmp_path / "x.xlsx", {"contracts": [contract_row()], "outcomes": [outcome_row()]})

    result = import_workbook(path, actor=admin)

    assert result.errors == []
    assert result.created == {"contracts": 1, "outcomes": 1}
    assert _count(db, Contract) == 2
    db.session.refresh(tpl)
    assert tpl.region_code == "82.71"


def test_a_terminated_contract_without_a_reason_column_gets_imported_as_reason(db, admin, valid_file):
    import_workbook(valid_file, actor=admin)
    reason = db.session.scalar(sa.select(Contract.termination_reason).where(Contract.number == "KP/TPL/2025/002"))
    assert reason == gettext("Imported")


def test_a_reason_column_is_used_and_a_stored_reason_kept(db, admin, tmp_path, valid_file):
    rows = valid_rows()
    rows["contracts"][2]["termination_reason"] = "Diangkat menjadi ASN"
    columns = {"contracts": SHEETS["contracts"] + ["termination_reason"]}
    import_workbook(write_workbook(tmp_path / "reason.xlsx", rows, columns), actor=admin)

    again = import_workbook(valid_file, actor=admin)  # no reason column: the stored reason stays

    assert again.unchanged["contracts"] == 3
    reason = db.session.scalar(sa.select(Contract.termination_reason).where(Contract.number == "KP/TPL/2025/002"))
    assert reason == "Diangkat menjadi ASN"


def test_verified_surveys_record_who_verified(db, admin, tmp_path):
    rows = valid_rows()
    rows["outcomes"][0]["verification"] = "verified"
    import_workbook(write_workbook(tmp_path / "v.xlsx", rows), actor=admin)
    survey = db.session.scalar(sa.select(OutcomeSurvey).where(OutcomeSurvey.verification == "verified"))
    assert survey.verified_by_id == admin.id and survey.verified_at is not None
    assert survey.recorded_by_id is None  # four eyes: the importer is not also its recorder


def test_imported_unverified_surveys_stay_open_to_every_checker(db, admin, valid_file):
    from tpl_tracker.services.policy import can_verify_survey

    evaluator = UserFactory(role="evaluator")
    import_workbook(valid_file, actor=admin)
    surveys = list(db.session.scalars(sa.select(OutcomeSurvey).where(OutcomeSurvey.verification == "unverified")))
    assert surveys and all(can_verify_survey(evaluator, survey) for survey in surveys)


def test_an_import_does_not_check_a_survey_its_importer_recorded(db, admin, tmp_path, valid_file):
    import_workbook(valid_file, actor=admin)
    stored = db.session.scalar(sa.select(OutcomeSurvey).order_by(OutcomeSurvey.id))
    stored.recorded_by_id = admin.id  # e.g. imported before imports left the recorder empty
    db.session.commit()
    rows = valid_rows()
    for row in rows["outcomes"]:
        row["verification"] = "verified"

    result = import_workbook(write_workbook(tmp_path / "v.xlsx", rows), actor=admin)

    message = gettext("You recorded this survey yourself: another supervisor or an evaluator must check it.")
    assert [(e.sheet, e.column, e.message) for e in result.errors] == [("outcomes", "verification", message)]
    db.session.rollback()
    assert _verified(db) == 0


def _verified(db) -> int:
    query = sa.select(sa.func.count()).select_from(OutcomeSurvey).where(OutcomeSurvey.verification == "verified")
    return db.session.scalar(query)


# --- bad rows: an error with its place, and nothing written ---------------------------------


def _set(rows, sheet, index, **change):
    rows[sheet][index].update(change)
    return rows


def _add(rows, sheet, row):
    rows[sheet].append(row)
    return rows


BAD_ROWS = [
    # (description, mutate rows, sheet, Excel row, column)
    ("bad nik", lambda r: _add(r, "facilitators", facilitator_row(nik="82710117059900")), "facilitators", 4, "nik"),
    (
        "nik not digits",
        lambda r: _add(r, "facilitators", facilitator_row(nik="827101170599ABCD")),
        "facilitators",
        4,
        "nik",
    ),
    (
        "nik of an unknown region",
        lambda r: _add(r, "facilitators", facilitator_row(nik="9999991705990001")),
        "facilitators",
        4,
        "nik",
    ),
    ("nik/gender mismatch", lambda r: _set(r, "facilitators", 0, gender="P"), "facilitators", 2, "gender"),
    (
        "nik/birth date mismatch",
        lambda r: _set(r, "facilitators", 0, birth_date="1999-05-18"),
        "facilitators",
        2,
        "birth_date",
    ),
    ("unknown gender", lambda r: _set(r, "facilitators", 0, gender="X"), "facilitators", 2, "gender"),
    ("bad phone", lambda r: _set(r, "facilitators", 0, phone="12345"), "facilitators", 2, "phone"),
    ("bad email", lambda r: _set(r, "facilitators", 0, email="not-an-address"), "facilitators", 2, "email"),
    ("unknown polytechnic", lambda r: _set(r, "facilitators", 0, polytechnic="MIT"), "facilitators", 2, "polytechnic"),
    ("angkatan not plausible", lambda r: _set(r, "facilitators", 0, angkatan=1950), "facilitators", 2, "angkatan"),
    ("name missing", lambda r: _set(r, "facilitators", 1, full_name=None), "facilitators", 3, "full_name"),
    (
        "duplicate email in file",
        lambda r: _set(r, "facilitators", 1, email="Rahmat@Example.id"),
        "facilitators",
        3,
        "email",
    ),
    (
        "birth date not a date",
        lambda r: _set(r, "facilitators", 0, birth_date="17/05/1999"),
        "facilitators",
        2,
        "birth_date",
    ),
    (
        "duplicate nik in file",
        lambda r: _add(r, "facilitators", facilitator_row(full_name="Copy", email="copy@example.id")),
        "facilitators",
        4,
        "nik",
    ),
    ("unknown region", lambda r: _set(r, "contracts", 0, placement_region="99.99"), "contracts", 2, "placement_region"),
    (
        "province instead of kab/kota",
        lambda r: _set(r, "contracts", 0, placement_region="82"),
        "contracts",
        2,
        "placement_region",
    ),
    ("end before start", lambda r: _set(r, "contracts", 0, end_date=iso(12, 31, years=-3)), "contracts", 2, "end_date"),
    ("unknown contract status", lambda r: _set(r, "contracts", 0, status="paused"), "contracts", 2, "status"),
    ("terminated without date", lambda r: _set(r, "contracts", 2, terminated_on=None), "contracts", 4, "terminated_on"),
    (
        "termination outside the period",
        lambda r: _set(r, "contracts", 2, terminated_on=iso(2, 1)),
        "contracts",
        4,
        "terminated_on",
    ),
    (
        "termination date on an active contract",
        lambda r: _set(r, "contracts", 0, terminated_on=iso(6, 1, years=-2)),
        "contracts",
        2,
        "terminated_on",
    ),
    (
        "nik neither in file nor database",
        lambda r: _set(r, "contracts", 1, nik=make_nik("827101", BIRTH, "L", 77)),
        "contracts",
        3,
        "nik",
    ),
    (
        "duplicate contract number in file",
        lambda r: _set(r, "contracts", 2, contract_number="KP/TPL/2024/001"),
        "contracts",
        4,
        "contract_number",
    ),
    (
        "overlapping contracts in file",
        lambda r: _set(r, "contracts", 1, start_date=iso(12, 1, years=-2)),
        "contracts",
        3,
        "start_date",
    ),
    ("unknown outcome status", lambda r: _set(r, "outcomes", 0, status="retired"), "outcomes", 2, "status"),
    ("unknown verification", lambda r: _set(r, "outcomes", 1, verification="maybe"), "outcomes", 3, "verification"),
    ("nib not 13 digits", lambda r: _set(r, "outcomes", 0, nib="12345"), "outcomes", 2, "nib"),
    ("kbli not 5 digits", lambda r: _set(r, "outcomes", 0, kbli="107"), "outcomes", 2, "kbli"),
    ("negative workers", lambda r: _set(r, "outcomes", 0, workers=-1), "outcomes", 2, "workers"),
    (
        "revenue not a number",
        lambda r: _set(r, "outcomes", 0, monthly_revenue="lots"),
        "outcomes",
        2,
        "monthly_revenue",
    ),
    (
        "survey in the future",
        lambda r: _set(r, "outcomes", 0, survey_date=TOMORROW.isoformat()),
        "outcomes",
        2,
        "survey_date",
    ),
    (
        "duplicate survey in file",
        lambda r: _add(r, "outcomes", outcome_row(status="bekerja")),
        "outcomes",
        4,
        "survey_date",
    ),
    ("survey of an unknown nik", lambda r: _set(r, "outcomes", 1, nik="1234"), "outcomes", 3, "nik"),
]


@pytest.mark.parametrize("mutate,sheet,row,column", [case[1:] for case in BAD_ROWS], ids=[case[0] for case in BAD_ROWS])
@pytest.mark.parametrize("dry_run", [False, True], ids=["write", "dry-run"])
def test_a_bad_row_is_reported_and_nothing_is_written(db, admin, tmp_path, mutate, sheet, row, column, dry_run):
    path = write_workbook(tmp_path / "bad.xlsx", mutate(valid_rows()))
    before = table_counts(db)

    result = import_workbook(path, actor=admin, dry_run=dry_run)

    assert result.dry_run is dry_run
    assert [(e.sheet, e.row, e.column) for e in result.errors] == [(sheet, row, column)], result.errors
    assert result.errors[0].message
    assert table_counts(db) == before


def test_overlap_with_a_contract_in_the_database_is_refused(db, admin, tmp_path):
    tpl = FacilitatorFactory(nik=NIK1)
    ContractFactory(facilitator=tpl, number="KP/OLD/1", start_date=on(6, 1, years=-2), end_date=on(5, 31, years=-1))
    path = write_workbook(tmp_path / "x.xlsx", {"contracts": [contract_row()]})
    before = table_counts(db)

    result = import_workbook(path, actor=admin)

    assert [(e.sheet, e.row, e.column) for e in result.errors] == [("contracts", 2, "start_date")]
    assert "KP/OLD/1" in result.errors[0].message
    assert table_counts(db) == before


def test_a_contract_number_of_another_tpl_is_refused(db, admin, tmp_path):
    other = FacilitatorFactory(nik=NIK2, gender="P", birth_date=date(2000, 2, 3))
    ContractFactory(facilitator=other, number="KP/TPL/2024/001")
    path = write_workbook(tmp_path / "x.xlsx", {"facilitators": [facilitator_row()], "contracts": [contract_row()]})

    result = import_workbook(path, actor=admin)

    assert [(e.sheet, e.row, e.column) for e in result.errors] == [("contracts", 2, "contract_number")]


def test_every_error_is_reported_at_once(db, admin, tmp_path):
    rows = valid_rows()
    _set(rows, "facilitators", 0, angkatan=1950)
    _set(rows, "contracts", 1, placement_region="99.99", status="paused")
    _set(rows, "outcomes", 0, nib="1", verification="maybe")
    before = table_counts(db)

    result = import_workbook(write_workbook(tmp_path / "bad.xlsx", rows), actor=admin)

    assert [(e.sheet, e.row, e.column) for e in result.errors] == [
        ("facilitators", 2, "angkatan"),
        ("contracts", 3, "placement_region"),
        ("contracts", 3, "status"),
        ("outcomes", 2, "nib"),
        ("outcomes", 2, "verification"),
    ]
    assert result.created == {"facilitators": 0, "contracts": 0, "outcomes": 0}
    assert table_counts(db) == before


def test_every_mistake_of_a_survey_row_is_named_with_the_services_messages(app, db, admin, tmp_path):
    rows = valid_rows()
    _set(rows, "outcomes", 0, survey_date=TOMORROW.isoformat(), business_name=" ", nib="1", workers="lots")
    _set(rows, "outcomes", 0, monthly_revenue=-5)

    result = import_workbook(write_workbook(tmp_path / "bad.xlsx", rows), actor=admin)

    with app.test_request_context():
        assert [(e.row, e.column, e.message) for e in result.errors] == [
            (2, "survey_date", gettext("The survey date cannot be in the future.")),
            (2, "business_name", gettext("Give the name of the business.")),
            (2, "nib", gettext("The NIB has exactly 13 digits.")),
            (2, "workers", result.errors[3].message),  # the cell is not a whole number: the type error alone
            (2, "monthly_revenue", gettext("The monthly revenue cannot be negative or implausibly large.")),
        ]
        assert result.errors[3].message != gettext("The number of workers cannot be negative or implausibly large.")
    assert result.created == {"facilitators": 0, "contracts": 0, "outcomes": 0}


def test_every_problem_of_a_row_is_reported_on_its_column_with_the_services_reason(db, admin, tmp_path):
    """The importer checks each row with the service's checkers; a field named otherwise is its sheet's column."""
    rows = valid_rows()
    _set(rows, "facilitators", 0, full_name="", gender="X", phone="12345", birth_date="kemarin")
    _set(rows, "contracts", 0, contract_number="K" * 61, placement_region="")

    result = import_workbook(write_workbook(tmp_path / "bad.xlsx", rows), actor=admin)

    assert [(e.sheet, e.row, e.column) for e in result.errors] == [
        ("facilitators", 2, "full_name"),
        ("facilitators", 2, "phone"),
        ("facilitators", 2, "gender"),
        ("facilitators", 2, "birth_date"),  # its type only: the service's rule is not named again
        ("contracts", 2, "contract_number"),
        ("contracts", 2, "placement_region"),
    ]
    messages = {e.column: e.message for e in result.errors}
    assert messages["full_name"] == gettext("The name is required.")
    assert messages["placement_region"] == gettext("Choose a kabupaten/kota for the placement.")


def test_a_missing_column_is_reported_on_the_first_row(db, admin, tmp_path):
    columns = {"facilitators": [c for c in SHEETS["facilitators"] if c != "polytechnic"]}
    path = write_workbook(tmp_path / "x.xlsx", {"facilitators": [facilitator_row()]}, columns)

    result = import_workbook(path, actor=admin)

    assert [(e.sheet, e.row, e.column) for e in result.errors] == [("facilitators", 1, "polytechnic")]
    assert _count(db, Facilitator) == 0


def test_the_error_list_is_capped(db, admin, tmp_path, monkeypatch):
    monkeypatch.setattr(importer, "MAX_ERRORS", 3)
    rows = {"facilitators": [facilitator_row(nik=f"12{i}") for i in range(5)]}

    result = import_workbook(write_workbook(tmp_path / "x.xlsx", rows), actor=admin)

    assert len(result.errors) == 4
    assert result.errors[-1].sheet == "" and "2" in result.errors[-1].message


def test_an_unexpected_failure_rolls_everything_back(db, admin, valid_file, monkeypatch):
    def boom(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(importer, "import_surveys", boom)  # the last sheet written
    db.session.commit()
    before = table_counts(db)
    with pytest.raises(RuntimeError), unit_of_work():  # as the import command and the upload page run it
        import_workbook(valid_file, actor=admin)
    assert table_counts(db) == before


# --- dry run ------------------------------------------------------------------------------


def test_dry_run_reports_the_counts_and_writes_nothing(db, admin, valid_file):
    before = table_counts(db)

    result = import_workbook(valid_file, actor=admin, dry_run=True)

    assert result.dry_run and result.errors == []
    assert result.created == {"facilitators": 2, "contracts": 3, "outcomes": 2}
    assert table_counts(db) == before


# --- reading the workbook ------------------------------------------------------------------


def test_excel_dates_and_iso_text_are_both_accepted(db, admin, tmp_path):
    rows = valid_rows()
    rows["facilitators"][0]["birth_date"] = datetime(1999, 5, 17)  # an Excel date cell
    rows["contracts"][0].update(start_date=on(1, 1, years=-2), end_date=iso(12, 31, years=-2))
    rows["outcomes"][0].update(survey_date=datetime(YEAR - 1, 6, 30), founded_date=iso(2, 1, years=-1))

    result = import_workbook(write_workbook(tmp_path / "dates.xlsx", rows), actor=admin)

    assert result.errors == []
    contract = db.session.scalar(sa.select(Contract).where(Contract.number == "KP/TPL/2024/001"))
    assert contract.start_date == on(1, 1, years=-2) and contract.end_date == on(12, 31, years=-2)
    assert db.session.scalar(sa.select(Facilitator.birth_date).where(Facilitator.nik == NIK1)) == BIRTH


def test_numbers_typed_as_numbers_are_read_as_codes(db, admin, tmp_path):
    rows = valid_rows()
    rows["facilitators"][0]["nik"] = int(NIK1)
    rows["outcomes"][0].update(nib=9120001234567, kbli=10794)
    rows["contracts"][0]["placement_region"] = 82.71

    result = import_workbook(write_workbook(tmp_path / "numbers.xlsx", rows), actor=admin)

    assert result.errors == []
    assert db.session.scalar(sa.select(OutcomeSurvey.kbli).where(OutcomeSurvey.nib == "9120001234567")) == "10794"


def test_a_missing_sheet_is_skipped(db, admin, tmp_path):
    rows = valid_rows()
    path = write_workbook(tmp_path / "x.xlsx", {"facilitators": rows["facilitators"]})

    result = import_workbook(path, actor=admin)

    assert result.errors == []
    assert result.created == {"facilitators": 2}
    assert _count(db, Contract) == 0 and _count(db, OutcomeSurvey) == 0


def test_columns_may_come_in_any_order(db, admin, tmp_path):
    columns = {name: list(reversed(cols)) for name, cols in SHEETS.items()}
    columns["contracts"] = [
        "status",
        "nik",
        "end_date",
        "contract_number",
        "terminated_on",
        "start_date",
        "placement_region",
    ]

    result = import_workbook(write_workbook(tmp_path / "x.xlsx", valid_rows(), columns), actor=admin)

    assert result.errors == []
    assert result.created == {"facilitators": 2, "contracts": 3, "outcomes": 2}


def test_a_file_like_source_works(db, admin, valid_file):
    result = import_workbook(io.BytesIO(valid_file.read_bytes()), actor=admin, dry_run=True)
    assert result.errors == [] and result.created["facilitators"] == 2


def test_a_file_that_is_not_a_workbook_is_refused(db, tmp_path):
    path = tmp_path / "fake.xlsx"
    path.write_text("nik,full_name\n123,x\n")
    with pytest.raises(ServiceError):
        import_workbook(path)


def test_an_error_reads_as_sheet_row_column():
    assert str(RowError("facilitators", 3, "nik", "bad")) == "facilitators!3 nik: bad"


# --- the template ---------------------------------------------------------------------------


def test_the_template_has_the_exact_headers_and_an_example_row(db):
    workbook = load_workbook(io.BytesIO(template_workbook()), read_only=True)
    assert workbook.sheetnames == [*SHEETS, "accepted_values"]
    for name in SHEETS:
        rows = list(workbook[name].iter_rows(values_only=True))
        assert list(rows[0]) == SHEETS[name] + OPTIONAL_COLUMNS.get(name, [])
        assert len(rows) == 2
    assert OPTIONAL_COLUMNS == {"supervisors": ["assigned_niks"], "contracts": ["termination_reason"]}
    assert SHEETS == {
        "facilitators": ["nik", "full_name", "email", "phone", "gender", "birth_date", "angkatan", "polytechnic"],
        "supervisors": ["email", "full_name", "phone", "region_codes"],
        "contracts": [
            "nik",
            "contract_number",
            "start_date",
            "end_date",
            "placement_region",
            "status",
            "terminated_on",
        ],
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


def test_the_template_lists_the_accepted_values_and_offers_them_as_drop_downs(app, db):
    workbook = load_workbook(io.BytesIO(template_workbook()))  # not read-only: data validations are read
    values = workbook["accepted_values"]
    rows = list(values.iter_rows(values_only=True))
    listed = {(sheet, column, shown): (stored, also) for sheet, column, shown, stored, also in rows[1:]}
    assert listed["contracts", "status", "Diberhentikan"][0] == "terminated"
    assert "diputus" in listed["contracts", "status", "Diberhentikan"][1]
    assert listed["facilitators", "polytechnic", "Politeknik ATI Makassar"][0] == "Politeknik ATI Makassar"
    assert "ATI Makassar" in listed["facilitators", "polytechnic", "Politeknik ATI Makassar"][1].split("; ")
    assert "PTKI Medan" in listed["facilitators", "polytechnic", "Politeknik Teknologi Kimia Industri Medan"][1]
    assert listed["outcomes", "verification", "Terverifikasi"][0] == "verified"
    drop_downs = {}
    for name in SHEETS:
        for validation in workbook[name].data_validations.dataValidation:
            (cells,) = validation.sqref.ranges
            column = SHEETS[name][cells.min_col - 1]
            assert cells.min_row == 2 and cells.min_col == cells.max_col
            assert validation.type == "list" and validation.errorStyle == "warning"
            sheet, cell_range = validation.formula1.split("!")
            drop_downs[name, column] = [cell.value for (cell,) in workbook[sheet][cell_range.replace("$", "")]]
    assert drop_downs == {key: vocabulary.shown for key, vocabulary in importer.VOCABULARIES.items()}
    assert drop_downs["outcomes", "status"] == [
        "Berwirausaha",
        "Bekerja",
        "ASN",
        "Melanjutkan studi",
        "Belum bekerja",
        "Lainnya",
    ]


def test_the_template_example_imports_cleanly(db, admin):
    result = import_workbook(io.BytesIO(template_workbook()), actor=admin)
    assert result.errors == []
    assert result.created == {"facilitators": 1, "supervisors": 1, "contracts": 1, "outcomes": 1}
    assert result.accounts == {"created": 2, "linked": 0, "unchanged": 0}
    tpl = db.session.scalar(sa.select(Facilitator))
    assert tpl.user.email == "rahmat@example.id" and tpl.supervisor.email == "pembina.ternate@example.id"
    assert tpl.supervisor.region_codes == ["82.71", "82.72"]


# --- the spreadsheet vocabulary -------------------------------------------------------------


def test_short_school_names_and_indonesian_words_are_stored_as_the_official_values(db, admin, tmp_path):
    rows = valid_rows()
    _set(rows, "facilitators", 0, polytechnic="ATI Makassar", gender="laki-laki")
    _set(rows, "facilitators", 1, polytechnic="poltek  PTKI medan", gender="Perempuan")
    _set(rows, "contracts", 0, status="Selesai")
    _set(rows, "contracts", 1, status="AKTIF")
    _set(rows, "contracts", 2, status="diputus")
    _set(rows, "outcomes", 0, status="berwirausaha", verification="Terverifikasi")
    _set(rows, "outcomes", 1, status="Bekerja", verification="belum diverifikasi")

    result = import_workbook(write_workbook(tmp_path / "words.xlsx", rows), actor=admin)

    assert result.errors == []
    stored = dict(db.session.execute(sa.select(Facilitator.nik, Facilitator.polytechnic)).all())
    assert stored == {NIK1: "Politeknik ATI Makassar", NIK2: "Politeknik Teknologi Kimia Industri Medan"}
    assert dict(db.session.execute(sa.select(Facilitator.nik, Facilitator.gender)).all()) == {NIK1: "L", NIK2: "P"}
    statuses = dict(db.session.execute(sa.select(Contract.number, Contract.status)).all())
    assert statuses == {"KP/TPL/2024/001": "completed", "KP/TPL/2025/001": "active", "KP/TPL/2025/002": "terminated"}
    surveys = set(db.session.execute(sa.select(OutcomeSurvey.status, OutcomeSurvey.verification)).all())
    assert surveys == {("wirausaha", "verified"), ("bekerja", "unverified")}
    # The report groups by the official names.
    groups = [figures.key for figures in compute_figures(TODAY, "polytechnic")]
    assert groups == ["Politeknik ATI Makassar", "Politeknik Teknologi Kimia Industri Medan"]

    again = import_workbook(write_workbook(tmp_path / "words.xlsx", rows), actor=admin)
    assert again.errors == [] and sum(again.created.values()) == sum(again.updated.values()) == 0


@pytest.mark.parametrize(
    "sheet,index,column,typed,shown",
    [
        ("facilitators", 0, "polytechnic", "ATI", "STMI Jakarta, Politeknik STTT Bandung"),
        ("facilitators", 0, "gender", "X", "L, P"),
        ("contracts", 0, "status", "ditunda", "Aktif, Selesai, Diberhentikan"),
        ("outcomes", 0, "status", "pensiun", "Berwirausaha, Bekerja, ASN"),
        ("outcomes", 1, "verification", "mungkin", "Belum diverifikasi, Terverifikasi, Ditolak"),
    ],
)
def test_an_unknown_word_is_an_error_that_names_the_accepted_values(
    db, admin, tmp_path, sheet, index, column, typed, shown
):
    rows = _set(valid_rows(), sheet, index, **{column: typed})

    result = import_workbook(write_workbook(tmp_path / "bad.xlsx", rows), actor=admin)

    (error,) = result.errors
    assert (error.sheet, error.row, error.column) == (sheet, index + 2, column)
    assert typed in error.message and shown in error.message


def test_a_nik_may_be_written_with_separators(db, admin, tmp_path):
    rows = valid_rows()
    rows["contracts"][0]["nik"] = f"{NIK1[:4]}.{NIK1[4:8]}.{NIK1[8:12]}.{NIK1[12:]}"
    rows["outcomes"][0]["nik"] = f"{NIK1[:6]} {NIK1[6:12]} {NIK1[12:]}"

    result = import_workbook(write_workbook(tmp_path / "x.xlsx", rows), actor=admin)

    assert result.errors == []
    assert result.created == {"facilitators": 2, "contracts": 3, "outcomes": 2}


def test_a_workbook_without_any_known_sheet_is_an_error(db, tmp_path):
    workbook = Workbook()
    workbook.active.title = "Sheet1"
    workbook.active.append(["nik"])
    workbook.save(tmp_path / "x.xlsx")

    result = import_workbook(tmp_path / "x.xlsx")

    assert len(result.errors) == 1 and result.errors[0].sheet == ""
    assert result.created == {}


def test_the_cycle_collector_runs_less_often_during_an_import_and_as_before_after(db, monkeypatch):
    import gc

    seen = []
    monkeypatch.setattr(importer._Importer, "check", lambda self: seen.append(gc.get_threshold()[0]))
    before = gc.get_threshold()
    with importer._fewer_collections():  # an import running in another thread of the process
        import_workbook(io.BytesIO(template_workbook()), dry_run=True)
        assert gc.get_threshold()[0] == importer.GC_YOUNG_THRESHOLD  # still raised for the other import
    assert seen == [importer.GC_YOUNG_THRESHOLD]
    assert gc.get_threshold() == before
    with pytest.raises(ServiceError):
        import_workbook(io.BytesIO(b"not a workbook"))
    assert gc.get_threshold() == before
