"""A readable audit trail (issue 11, item 6): actions and fields named in the interface language, changes as a table
of field, before and after (secrets never shown), filters by user, record type, action and dates, NIK and phone
masked for readers who see them masked, and exports (CSV, Excel) with the same filters, themselves audited."""

import csv
import io
import re

import pytest
import sqlalchemy as sa
from openpyxl import load_workbook

from tpl_tracker.models import AuditEntry
from tpl_tracker.services import audit

from ..clock import iso, moment
from ..conftest import page_text, ui_message


def _entry(db, action, at, actor=None, **fields) -> AuditEntry:
    entry = audit.record(action, actor=actor, **fields)
    entry.at = at
    db.session.commit()
    return entry


@pytest.fixture
def trail(world, db):
    """A few entries of several users, kinds and days (and the world's own sign-ins to come)."""
    tpl = world["tpl"]
    return {
        "created": _entry(
            db,
            "facilitator_created",
            moment(3, 2),
            world["admin"],
            entity=tpl,
            after=audit.snapshot(tpl),
        ),
        "changed": _entry(
            db,
            "facilitator_updated",
            moment(3, 5),
            world["admin"],
            entity=tpl,
            before={"phone": "+6281234567890", "angkatan": 2021},
            after={"phone": "+6281298765432", "angkatan": 2022},
        ),
        "contract": _entry(
            db,
            "contract_updated",
            moment(4, 1),
            world["admin"],
            entity=world["contract"],
            before={"status": "active"},
            after={"status": "terminated"},
        ),
        "verified": _entry(
            db,
            "survey_verified",
            moment(5, 10),
            world["supervisor"],
            entity_type="outcome_surveys",
            entity_id=7,
            before={"verification": "unverified"},
            after={"verification": "verified"},
            note="NIB checked in OSS",
        ),
        # An old entry that holds secrets: they are never shown.
        "secret": _entry(
            db,
            "user_updated",
            moment(5, 11),
            world["admin"],
            entity=world["evaluator"],
            before={"password_hash": "$argon2id$rahasia", "token_hash": "abc123", "full_name": "Lama"},
            after={"password_hash": "$argon2id$baru", "full_name": "Baru"},
        ),
    }


def _audit(client, **filters):
    return page_text(client.get("/admin/audit", query_string=filters))


def test_actions_records_and_fields_are_named_not_coded(app, client, login_as, world, trail):
    login_as("admin")
    page = _audit(client)
    for label in ("TPL profile created", "TPL profile changed", "Contract changed", "Tracer survey verified"):
        assert ui_message(app, label) in page
    assert ">facilitator_created<" not in page and "<code>" not in page
    # Fields by their labels, values the way people read them.
    for label in ("Birth date", "Home polytechnic", "Angkatan", "Verification", "Status"):
        assert f">{ui_message(app, label)}<" in page
    assert ">birth_date<" not in page and ">angkatan<" not in page
    assert ui_message(app, "Terminated") in page and ui_message(app, "Verified") in page
    assert "0812-9876-5432" in page  # phone numbers as people write them
    assert world["tpl"].nik in page  # admins see NIK (policy.can_see_personal_numbers)
    assert "17/05/1999" in page  # a birth date, the Indonesian way
    # A long change is folded away; a short one is shown as it is.
    assert page.count("<details>") == 1


def test_secrets_are_never_shown(client, login_as, world, trail):
    login_as("admin")
    page = _audit(client)
    assert "argon2" not in page and "abc123" not in page and "password_hash" not in page
    assert "Lama" in page and "Baru" in page


def test_nik_and_phone_are_masked_for_readers_who_see_them_masked(client, login_as, world, trail, monkeypatch):
    """Only admins read the trail, and they see personal numbers; the page asks the policy all the same."""
    import tpl_tracker.admin.routes as routes

    monkeypatch.setattr(routes, "can_see_personal_numbers", lambda user: False)
    login_as("admin")
    page = _audit(client)
    nik = world["tpl"].nik
    assert nik not in page and f"{nik[:4]}********{nik[-4:]}" in page
    assert "0812-9876-5432" not in page and "+6281298765432" not in page
    rows = _csv(client.post("/admin/audit/export", data={"fmt": "csv"}))
    assert nik not in "".join(map(str, rows)) and "+6281298765432" not in "".join(map(str, rows))


def test_the_views_of_an_entry_follow_the_readers_policy(db, world, trail):
    from tpl_tracker.services.audit_trail import entry_views
    from tpl_tracker.services.policy import can_see_personal_numbers

    entry = db.session.get(AuditEntry, trail["created"].id)
    shown = {
        name: {c.label: c.after for c in entry_views([entry], not can_see_personal_numbers(world[name]))[0].changes}
        for name in ("admin", "evaluator")
    }
    nik = world["tpl"].nik
    assert nik in shown["admin"].values() and nik not in shown["evaluator"].values()
    assert f"{nik[:4]}********{nik[-4:]}" in shown["evaluator"].values()


def _ids(html: str) -> list[str]:
    return re.findall(r"<span title=\"([a-z_]+)\">", html)


def test_filters_by_user_action_record_type_and_dates(app, client, login_as, world, trail, db):
    supervisor = world["supervisor"]
    supervisor.full_name = "Pembina Hasanuddin"
    db.session.commit()
    login_as("admin")
    by_user = _ids(_audit(client, user=supervisor.email.split("@")[0].upper()))
    assert by_user == ["survey_verified"]
    by_name = _ids(_audit(client, user=supervisor.full_name.split()[0].lower()))
    assert "survey_verified" in by_name and "facilitator_created" not in by_name

    assert _ids(_audit(client, action="contract_updated")) == ["contract_updated"]
    assert _ids(_audit(client, entity_type="facilitators")) == ["facilitator_updated", "facilitator_created"]
    assert _ids(_audit(client, since=iso(3, 3), until=iso(4, 30))) == ["contract_updated", "facilitator_updated"]
    assert _ids(_audit(client, since=f"02/03/{moment(3, 2).year}", until=iso(3, 2))) == ["facilitator_created"]
    assert _ids(_audit(client, entity_type="facilitators", action="facilitator_updated")) == ["facilitator_updated"]

    # The action and record type selects offer the labels.
    page = _audit(client)
    assert f'<option value="survey_verified">{ui_message(app, "Tracer survey verified")}</option>' in page
    assert f'<option value="contracts">{ui_message(app, "Contract")}</option>' in page


def test_impossible_filters_say_why(app, client, login_as, world, trail):
    login_as("admin")
    page = _audit(client, since=iso(5, 1), until=iso(4, 1))
    assert ui_message(app, "The first day comes after the last day.") in page
    page = _audit(client, until="9999-12-31", action="no_such_action")
    assert ui_message(app, "Give a date between %(first)d and %(last)d.", first=1990, last=2100) in page
    assert "Not a valid choice" in page or ui_message(app, "Not a valid choice.") in page


def test_a_page_holds_25_entries(client, login_as, world, db):
    for n in range(30):
        _entry(db, "notifications_read", moment(6, 1), world["tpl"].user, entity_type="notifications", note=f"{n}")
    login_as("admin")
    page = _audit(client, action="notifications_read")
    assert len(_ids(page)) == 25 and 'rel="next"' in page


# --- exports --------------------------------------------------------------------------------------------------


def _csv(response) -> list[list[str]]:
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    raw = response.get_data()
    assert raw.startswith("\ufeff".encode())  # Excel reads UTF-8 with its byte order mark
    return list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))


def _exports(db) -> list[AuditEntry]:
    return list(db.session.scalars(sa.select(AuditEntry).where(AuditEntry.action == "audit_exported")))


def test_the_csv_export_has_the_filtered_rows_and_is_audited(app, client, login_as, world, trail, db):
    admin = login_as("admin")
    response = client.post(
        "/admin/audit/export",
        query_string={"entity_type": "facilitators", "since": iso(3, 1), "typed_email": "x@contoh.id"},
        data={"fmt": "csv"},
    )
    assert response.headers["Content-Disposition"].startswith('attachment; filename="riwayat-perubahan-')
    header, *rows = _csv(response)
    assert header[4] == ui_message(app, "Action") and len(header) == 11
    assert rows == []  # the typed email matched nothing
    response = client.post(
        "/admin/audit/export", query_string={"entity_type": "facilitators", "since": iso(3, 1)}, data={"fmt": "csv"}
    )
    header, *rows = _csv(response)
    assert [row[5] for row in rows] == ["facilitator_updated", "facilitator_created"]
    assert rows[0][4] == ui_message(app, "TPL profile changed") and rows[0][2] == admin.full_name
    assert f"{ui_message(app, 'Angkatan')}: 2021 → 2022" in rows[0][8]

    exports = _exports(db)
    assert len(exports) == 2 and {e.actor_id for e in exports} == {admin.id}
    latest = max(exports, key=lambda e: e.id)
    assert latest.after == {"format": "csv", "filters": {"entity_type": "facilitators", "since": iso(3, 1)}, "rows": 2}
    first = min(exports, key=lambda e: e.id)
    assert first.after["rows"] == 0 and "x@contoh.id" not in str(first.after)  # the typed email only as its hash
    assert first.after["filters"]["typed_email"].startswith("account ")
    # The export is in the trail, named.
    assert ui_message(app, "Audit trail exported") in _audit(client, action="audit_exported")


def test_the_excel_export_has_the_same_rows(app, client, login_as, world, trail, db):
    login_as("admin")
    response = client.post("/admin/audit/export", query_string={"user": "supervisor"}, data={"fmt": "xlsx"})
    assert response.status_code == 200 and response.mimetype.endswith("spreadsheetml.sheet")
    sheet = load_workbook(io.BytesIO(response.get_data()), read_only=True).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][5] == ui_message(app, "Action code")
    # The supervisor's survey check, and the supervisor's own sign-in if any: only the supervisor's entries.
    assert {row[3] for row in rows[1:]} == {world["supervisor"].email}
    assert "survey_verified" in [row[5] for row in rows[1:]]
    assert _exports(db)[0].after["rows"] == len(rows) - 1 and _exports(db)[0].after["format"] == "xlsx"


def test_exported_cells_never_run_as_formulas(client, login_as, world, db):
    notes = ['=HYPERLINK("http://x","klik")', "+62 811", "-1+2", "@SUM(A1)", "\tTab", "\rCR", "aman = ya"]
    for note in notes:
        _entry(db, "notifications_read", moment(6, 1), world["admin"], entity_type="notifications", note=note)
    login_as("admin")
    rows = _csv(client.post("/admin/audit/export", query_string={"action": "notifications_read"}, data={"fmt": "csv"}))
    exported = [row[9] for row in rows[1:]]
    assert sorted(exported) == sorted(["'" + n for n in notes[:-1]] + [notes[-1]])

    response = client.post("/admin/audit/export", query_string={"action": "notifications_read"}, data={"fmt": "xlsx"})
    sheet = load_workbook(io.BytesIO(response.get_data())).active
    cells = [row[9] for row in sheet.iter_rows(min_row=2)]
    assert all(cell.data_type == "s" for cell in cells)  # text, never a formula
    # A carriage return is written as Excel's escape _x000D_ (Excel shows a CR; openpyxl leaves the escape as is).
    expected = ["'" + n.replace("\r", "_x000D_") for n in notes[:-1]] + [notes[-1]]
    assert sorted(cell.value for cell in cells) == sorted(expected)


def test_an_export_with_impossible_filters_is_refused_and_not_audited(app, client, login_as, world, db):
    login_as("admin")
    response = client.post(
        "/admin/audit/export", query_string={"since": iso(5, 1), "until": iso(4, 1)}, data={"fmt": "csv"}
    )
    assert response.status_code == 302 and "/admin/audit?" in response.headers["Location"]
    response = client.post("/admin/audit/export", data={"fmt": "pdf"})
    assert response.status_code == 302
    assert _exports(db) == []
