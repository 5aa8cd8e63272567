"""The import page and the `flask import-data` command."""

import io

import sqlalchemy as sa
from openpyxl import load_workbook

from tpl_tracker.models import AuditEntry, Contract, Facilitator, User
from tpl_tracker.services.importer import SHEETS

from ..clock import iso
from ..conftest import page_text, ui_message
from ..unit.test_importer import (
    NIK1,
    contract_row,
    facilitator_row,
    table_counts,
    valid_rows,
    write_workbook,
)

ACCOUNTS_DONE = (
    "Accounts: %(created)d created, %(linked)d linked to their TPL, %(unchanged)d already there (left as they are)."
)
ACCOUNTS_DRY_RUN = (
    "Accounts: %(created)d to create, %(linked)d to link to their TPL, %(unchanged)d already there (left as they are)."
)


def _upload(client, data: bytes, name: str = "x.xlsx", dry_run: bool = False):
    form = {"file": (io.BytesIO(data), name), "dry_run": "y" if dry_run else ""}
    return client.post("/admin/import/", data=form, content_type="multipart/form-data")


def test_the_page_links_the_template(client, login_as):
    login_as("admin")
    response = client.get("/admin/import/")
    assert response.status_code == 200
    html = page_text(response)
    assert 'enctype="multipart/form-data"' in html
    assert "/admin/import/template.xlsx" in html
    assert "<script>" not in html and "style=" not in html


def test_admin_uploads_a_workbook(app, client, login_as, db, tmp_path):
    admin = login_as("admin")
    path = write_workbook(tmp_path / "data.xlsx", valid_rows())

    response = _upload(client, path.read_bytes())

    assert response.status_code == 200
    assert ui_message(app, "The workbook has been imported.") in page_text(response)
    tpl = db.session.scalar(sa.select(Facilitator).where(Facilitator.nik == NIK1))
    assert tpl is not None
    entry = db.session.scalar(
        sa.select(AuditEntry).where(AuditEntry.action == "facilitator_created", AuditEntry.entity_id == str(tpl.id))
    )
    assert entry.actor_id == admin.id and entry.ip == "127.0.0.1"
    accounts = ACCOUNTS_DONE
    assert ui_message(app, accounts, created=1, linked=0, unchanged=0) in page_text(response)
    assert tpl.user.email == "rahmat@example.id"


def test_a_dry_run_upload_writes_nothing(app, client, login_as, db, tmp_path):
    login_as("admin")
    path = write_workbook(tmp_path / "data.xlsx", valid_rows())
    before = table_counts(db)

    response = _upload(client, path.read_bytes(), dry_run=True)

    assert response.status_code == 200
    assert ui_message(app, "The workbook has no errors. Nothing was written (dry run).") in page_text(response)
    accounts = ACCOUNTS_DRY_RUN
    assert ui_message(app, accounts, created=1, linked=0, unchanged=0) in page_text(response)
    after = table_counts(db)
    assert after["facilitators"] == before["facilitators"] and after["contracts"] == before["contracts"]


def test_errors_are_listed_with_sheet_row_and_column(app, client, login_as, db, tmp_path):
    login_as("admin")
    rows = valid_rows()
    rows["contracts"][1]["placement_region"] = "99.99"
    path = write_workbook(tmp_path / "data.xlsx", rows)
    before = db.session.scalar(sa.select(sa.func.count()).select_from(Contract))

    response = _upload(client, path.read_bytes())

    html = page_text(response)
    assert ui_message(app, "The workbook has errors: nothing was imported.") in html
    assert 'id="import-errors"' in html
    assert "<code>placement_region</code>" in html
    assert ui_message(app, "Choose a kabupaten/kota for the placement.") in html
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Contract)) == before


def test_a_file_that_is_not_xlsx_is_refused(app, client, login_as, db):
    login_as("admin")
    before = table_counts(db)

    response = _upload(client, b"nik,full_name\n8271011705990001,Rahmat\n", name="renamed.xlsx")

    assert response.status_code == 200
    assert ui_message(app, "The file is not an xlsx workbook.") in page_text(response)
    assert table_counts(db) == before


def test_another_extension_is_refused_by_the_form(app, client, login_as):
    login_as("admin")
    response = _upload(client, b"x", name="data.csv")
    assert ui_message(app, "Only .xlsx workbooks can be imported.") in page_text(response)


def test_the_template_downloads(client, login_as):
    login_as("admin")
    response = client.get("/admin/import/template.xlsx")
    assert response.status_code == 200
    assert response.mimetype == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert "attachment" in response.headers["Content-Disposition"]
    workbook = load_workbook(io.BytesIO(response.data), read_only=True)
    for name, columns in SHEETS.items():
        assert list(next(workbook[name].iter_rows(values_only=True)))[: len(columns)] == columns


def test_the_admin_menu_links_the_import_page(client, login_as):
    login_as("admin")
    assert 'href="/admin/import/"' in client.get("/").get_data(as_text=True)


# --- the command ----------------------------------------------------------------------------


def test_cli_imports_a_valid_workbook(app, db, tmp_path):
    path = write_workbook(tmp_path / "data.xlsx", valid_rows())

    result = app.test_cli_runner().invoke(args=["import-data", str(path)])

    assert result.exit_code == 0, result.output
    assert "facilitators" in result.output and "contracts" in result.output
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Facilitator)) == 2
    accounts = ACCOUNTS_DONE
    assert ui_message(app, accounts, created=1, linked=0, unchanged=0) in result.output
    assert db.session.scalar(sa.select(User.role).where(User.email == "rahmat@example.id")) == "facilitator"


def test_cli_dry_run_writes_nothing(app, db, tmp_path):
    path = write_workbook(tmp_path / "data.xlsx", valid_rows())

    result = app.test_cli_runner().invoke(args=["import-data", str(path), "--dry-run"])

    assert result.exit_code == 0, result.output
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Facilitator)) == 0


def test_cli_with_errors_exits_1_and_prints_the_locations(app, db, tmp_path):
    rows = {
        "facilitators": [facilitator_row(), facilitator_row(nik="123", full_name="Bad")],
        "contracts": [contract_row(end_date=iso(1, 1, years=-3))],
    }
    path = write_workbook(tmp_path / "data.xlsx", rows)

    result = app.test_cli_runner().invoke(args=["import-data", str(path)])

    assert result.exit_code == 1
    assert "facilitators!3 nik:" in result.output
    assert "contracts!2 end_date:" in result.output
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Facilitator)) == 0


def test_cli_refuses_a_file_that_is_not_a_workbook(app, db, tmp_path):
    path = tmp_path / "data.xlsx"
    path.write_bytes(b"not a workbook")
    result = app.test_cli_runner().invoke(args=["import-data", str(path)])
    assert result.exit_code != 0
    assert ui_message(app, "The file is not an xlsx workbook.") in result.output


def test_an_imported_supervisor_shows_with_phone_and_scope_on_the_account_page(client, login_as, db, tmp_path):
    from ..unit.test_import_accounts import supervisor_row, workbook

    login_as("admin")
    path = workbook(tmp_path, facilitators=[facilitator_row()], supervisors=[supervisor_row()])

    assert _upload(client, path.read_bytes()).status_code == 200

    supervisor = db.session.scalar(sa.select(User).where(User.email == "pembina.ternate@example.id"))
    assert supervisor.role == "supervisor" and supervisor.region_codes == ["82", "82.71"]
    html = page_text(client.get(f"/admin/users/{supervisor.id}"))
    assert "0812-9876-5432" in html
