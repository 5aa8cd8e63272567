"""Accounts from the import: a TPL's email creates or links their account; the supervisors sheet creates
supervisor accounts with their scope and assigned TPL. All or nothing, and a second import changes nothing."""

from datetime import date, timedelta

import pytest
import sqlalchemy as sa
from flask_babel import gettext

from tpl_tracker.models import AuditEntry, Facilitator, Region, SupervisorRegion, User
from tpl_tracker.services import ServiceError, auth
from tpl_tracker.services.importer import SHEETS, ImportResult, RowError, import_workbook
from tpl_tracker.services.passwords import is_usable_hash, unusable_hash, verify_password
from tpl_tracker.services.policy import facilitator_scope
from tpl_tracker.services.users import has_usable_password, reset_password

from ..factories import FacilitatorFactory, UserFactory, make_nik
from .test_importer import NIK1, NIK2, facilitator_row, table_counts, valid_rows, write_workbook

GOOD_PASSWORD = "sagu lempeng dan teh manis"
SUPERVISOR_COLUMNS = {"supervisors": SHEETS["supervisors"] + ["assigned_niks"]}


def supervisor_row(**change):
    row = {
        "email": "Pembina.Ternate@Example.id",
        "full_name": "Siti Aminah",
        "phone": "0812-9876-5432",
        "region_codes": "82; 82.71",
        "assigned_niks": NIK1,
    }
    row.update(change)
    return row


def workbook(tmp_path, name="x.xlsx", **sheets):
    return write_workbook(tmp_path / name, sheets, SUPERVISOR_COLUMNS)


def _count(db, model) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def _tpl(db, nik) -> Facilitator:
    return db.session.scalar(sa.select(Facilitator).where(Facilitator.nik == nik))


def _user(db, email) -> User | None:
    return db.session.scalar(sa.select(User).where(User.email == email))


def _problems(result) -> list[tuple[str, int, str]]:
    return [(e.sheet, e.row, e.column) for e in result.errors]


@pytest.fixture
def admin(db):
    return UserFactory(email="admin@example.id", role="admin")


# --- TPL accounts ---------------------------------------------------------------------------


def test_a_tpl_email_creates_their_account_without_a_usable_password(db, admin, tmp_path):
    result = import_workbook(workbook(tmp_path, facilitators=valid_rows()["facilitators"]), actor=admin)

    assert result.errors == []
    assert result.accounts == {"created": 1, "linked": 0, "unchanged": 0}
    tpl = _tpl(db, NIK1)
    account = tpl.user
    assert (account.email, account.full_name, account.role) == ("rahmat@example.id", "Rahmat Hidayat", "facilitator")
    assert account.is_enabled and account.session_token
    assert not has_usable_password(account)
    assert _tpl(db, NIK2).user_id is None  # no email, no account
    created = db.session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "user_created"))
    assert created.actor_id == admin.id and created.entity_id == str(account.id)
    assert created.after["email"] == "rahmat@example.id" and created.after["region_codes"] == []
    assert "password_hash" not in created.after and "session_token" not in created.after
    profile = db.session.scalar(
        sa.select(AuditEntry).where(AuditEntry.action == "facilitator_created", AuditEntry.entity_id == str(tpl.id))
    )
    assert profile.after["user_id"] == account.id


def test_nobody_signs_in_to_an_imported_account_until_a_password_is_set(db, admin, tmp_path, monkeypatch):
    import_workbook(workbook(tmp_path, facilitators=[facilitator_row()]), actor=admin)
    account = _user(db, "rahmat@example.id")
    checked = []
    real_verify = auth.verify_password

    def verify(stored, typed):
        checked.append(stored)
        return real_verify(stored, typed)

    monkeypatch.setattr(auth, "verify_password", verify)

    for guess in ("", account.password_hash, account.password_hash[1:], "not-a-real-password"):
        with pytest.raises(ServiceError) as refused:
            auth.authenticate("rahmat@example.id", guess, client=f"10.0.0.{len(checked)}")
        assert refused.value.message == gettext("Wrong email or password.")
    # Each refusal computed a real hash, as for a wrong password: timing does not tell that the account has none.
    assert checked and all(is_usable_hash(stored) for stored in checked)

    reset_password(admin, account, GOOD_PASSWORD)
    assert has_usable_password(account)
    assert auth.authenticate("rahmat@example.id", GOOD_PASSWORD, client="10.0.1.1") == account


def test_unusable_password_values_differ_and_match_no_password():
    first, second = unusable_hash(), unusable_hash()
    assert first != second
    assert not is_usable_hash(first) and not verify_password(first, first) and not verify_password(first, "")
    assert not is_usable_hash("") and not is_usable_hash(None)


def test_an_unlinked_tpl_account_with_the_email_is_linked(db, admin, tmp_path):
    account = UserFactory(email="rahmat@example.id", role="facilitator")
    stored = FacilitatorFactory(nik=NIK1, email=None)
    row = facilitator_row(email="Rahmat@EXAMPLE.id", full_name=stored.full_name)
    row["phone"], row["polytechnic"] = stored.phone, stored.polytechnic

    result = import_workbook(workbook(tmp_path, facilitators=[row]), actor=admin)

    assert result.errors == []
    assert result.accounts == {"created": 0, "linked": 1, "unchanged": 0}
    assert result.updated == {"facilitators": 1}
    db.session.refresh(stored)
    assert stored.user_id == account.id
    assert has_usable_password(account)  # a linked account keeps its password
    entry = db.session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "facilitator_updated"))
    assert entry.before["user_id"] is None and entry.after["user_id"] == account.id
    assert _count(db, User) == 2


def test_a_tpl_who_has_an_account_keeps_it(db, admin, tmp_path):
    account = UserFactory(email="old.address@example.id", role="facilitator")
    FacilitatorFactory(nik=NIK1, user=account)
    users = _count(db, User)

    result = import_workbook(workbook(tmp_path, facilitators=[facilitator_row()]), actor=admin)

    assert result.errors == []
    assert result.accounts == {"created": 0, "linked": 0, "unchanged": 1}
    assert _tpl(db, NIK1).user_id == account.id and _count(db, User) == users


@pytest.mark.parametrize("role", ["supervisor", "evaluator", "admin"])
def test_an_account_of_another_role_is_refused(db, admin, tmp_path, role):
    UserFactory(email="rahmat@example.id", role=role)
    before = table_counts(db)

    result = import_workbook(workbook(tmp_path, facilitators=[facilitator_row()]), actor=admin)

    assert _problems(result) == [("facilitators", 2, "email")]
    assert result.errors[0].message == gettext("This email address belongs to an account with another role.")
    assert table_counts(db) == before


def test_an_account_linked_to_another_tpl_is_refused(db, admin, tmp_path):
    account = UserFactory(email="rahmat@example.id", role="facilitator")
    FacilitatorFactory(nik=NIK2, gender="P", birth_date=date(2000, 2, 3), user=account)
    before = table_counts(db)

    result = import_workbook(workbook(tmp_path, facilitators=[facilitator_row()]), actor=admin)

    assert _problems(result) == [("facilitators", 2, "email")]
    assert table_counts(db) == before


# --- supervisors ----------------------------------------------------------------------------


def test_the_supervisors_sheet_creates_accounts_with_their_scope_and_tpl(db, admin, tmp_path):
    stored = FacilitatorFactory(nik=NIK2, gender="P", birth_date=date(2000, 2, 3), region_code="73.71")
    rows = {
        "facilitators": [facilitator_row()],
        "supervisors": [
            supervisor_row(assigned_niks=f"{NIK1}; {NIK2}"),
            supervisor_row(
                email="pembina.malut@example.id", full_name="Budi", phone=None, region_codes=82, assigned_niks=None
            ),
        ],
    }

    result = import_workbook(workbook(tmp_path, **rows), actor=admin)

    assert result.errors == []
    assert result.created == {"facilitators": 1, "supervisors": 2}
    assert result.updated == {"facilitators": 0, "supervisors": 0}
    assert result.accounts == {"created": 3, "linked": 0, "unchanged": 0}
    siti = _user(db, "pembina.ternate@example.id")
    assert (siti.role, siti.full_name, siti.phone) == ("supervisor", "Siti Aminah", "+6281298765432")
    assert siti.region_codes == ["82", "82.71"] and not has_usable_password(siti)
    assert _user(db, "pembina.malut@example.id").region_codes == ["82"]
    # Both TPL, the new one and the stored one, have her as supervisor: they are in her scope.
    assert _tpl(db, NIK1).supervisor_id == siti.id
    db.session.refresh(stored)
    assert stored.supervisor_id == siti.id
    visible = set(db.session.scalars(sa.select(Facilitator.nik).where(facilitator_scope(siti))))
    assert {NIK1, NIK2} <= visible
    created = db.session.scalar(
        sa.select(AuditEntry).where(AuditEntry.action == "user_created", AuditEntry.entity_id == str(siti.id))
    )
    assert created.after["region_codes"] == ["82", "82.71"] and created.after["phone"] == "+6281298765432"
    assigned = db.session.scalar(
        sa.select(AuditEntry).where(AuditEntry.action == "facilitator_updated", AuditEntry.entity_id == str(stored.id))
    )
    assert assigned.before == {"supervisor_id": None} and assigned.after == {"supervisor_id": siti.id}


def test_an_existing_supervisor_gets_the_sheets_name_phone_and_scope(db, admin, tmp_path):
    siti = UserFactory(email="pembina.ternate@example.id", role="supervisor", full_name="Siti")
    siti.scope_regions.append(SupervisorRegion(region_code="73.71"))
    db.session.commit()
    path = workbook(tmp_path, supervisors=[supervisor_row(assigned_niks=None)])

    result = import_workbook(path, actor=admin)

    assert result.errors == []
    assert result.accounts == {"created": 0, "linked": 0, "unchanged": 1}
    assert result.updated == {"supervisors": 1}
    db.session.refresh(siti)
    assert (siti.full_name, siti.phone, siti.region_codes) == ("Siti Aminah", "+6281298765432", ["82", "82.71"])
    assert has_usable_password(siti)  # an existing account keeps its password
    entry = db.session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "user_updated"))
    assert entry.before == {"full_name": "Siti", "phone": None, "region_codes": ["73.71"]}
    assert entry.after == {"full_name": "Siti Aminah", "phone": "+6281298765432", "region_codes": ["82", "82.71"]}

    again = import_workbook(path, actor=admin)
    assert again.unchanged == {"supervisors": 1} and again.updated == {"supervisors": 0}


def test_supervisor_rows_may_assign_stored_tpl_without_a_facilitators_sheet(db, admin, tmp_path):
    stored = FacilitatorFactory(nik=NIK1)
    path = workbook(tmp_path, supervisors=[supervisor_row()])

    first = import_workbook(path, actor=admin)
    again = import_workbook(path, actor=admin)

    assert first.errors == [] and again.errors == []
    db.session.refresh(stored)
    assert stored.supervisor.email == "pembina.ternate@example.id"
    assert (first.created, again.unchanged) == ({"supervisors": 1}, {"supervisors": 1})


UNKNOWN_NIK = make_nik("827101", date(1990, 1, 1), "L", 9)
SUPERVISOR_MISTAKES = [
    ("no email", supervisor_row(email=None), "email"),
    ("bad email", supervisor_row(email="pembina"), "email"),
    ("no name", supervisor_row(full_name=" "), "full_name"),
    ("bad phone", supervisor_row(phone="12345"), "phone"),
    ("no region", supervisor_row(region_codes=None), "region_codes"),
    ("unknown region", supervisor_row(region_codes="82; 99.99"), "region_codes"),
    ("unknown nik", supervisor_row(assigned_niks=f"{NIK1}; {UNKNOWN_NIK}"), "assigned_niks"),
    ("a tpl's email", supervisor_row(email="rahmat@example.id"), "email"),
]


@pytest.mark.parametrize(
    "row,column", [case[1:] for case in SUPERVISOR_MISTAKES], ids=[case[0] for case in SUPERVISOR_MISTAKES]
)
def test_a_bad_supervisor_row_is_reported_and_nothing_is_written(db, admin, tmp_path, row, column):
    before = table_counts(db)

    result = import_workbook(workbook(tmp_path, facilitators=[facilitator_row()], supervisors=[row]), actor=admin)

    assert _problems(result) == [("supervisors", 2, column)], result.errors
    assert table_counts(db) == before


def test_a_tpl_assigned_twice_and_a_repeated_email_are_refused(db, admin, tmp_path):
    rows = [supervisor_row(), supervisor_row(email="lain@example.id"), supervisor_row(assigned_niks=None)]

    result = import_workbook(workbook(tmp_path, facilitators=[facilitator_row()], supervisors=rows), actor=admin)

    assert _problems(result) == [("supervisors", 3, "assigned_niks"), ("supervisors", 4, "email")]
    assert NIK1 in result.errors[0].message


def test_a_supervisor_email_of_an_account_of_another_role_is_refused(db, admin, tmp_path):
    UserFactory(email="pembina.ternate@example.id", role="facilitator")
    before = table_counts(db)

    result = import_workbook(workbook(tmp_path, supervisors=[supervisor_row(assigned_niks=None)]), actor=admin)

    assert _problems(result) == [("supervisors", 2, "email")]
    assert table_counts(db) == before


# --- the whole import: counts, dry run, idempotence, scale ----------------------------------


def test_the_dry_run_counts_the_accounts_and_writes_nothing(db, admin, tmp_path):
    UserFactory(email="rahmat@example.id", role="facilitator")
    rows = valid_rows()
    rows["facilitators"][1]["email"] = "siti@example.id"
    before = table_counts(db)

    result = import_workbook(
        workbook(tmp_path, facilitators=rows["facilitators"], supervisors=[supervisor_row()]), actor=admin, dry_run=True
    )

    assert result.errors == []
    assert result.accounts == {"created": 2, "linked": 1, "unchanged": 0}
    assert table_counts(db) == before


def test_the_accounts_survive_the_result_round_trip():
    result = ImportResult(
        {"supervisors": 1},
        {"supervisors": 0},
        {"supervisors": 0},
        [RowError("s", 2, "c", "m")],
        True,
        {"created": 3, "linked": 1, "unchanged": 2},
    )
    assert ImportResult.from_json(result.to_json()) == result
    stored_before_accounts = {k: v for k, v in result.to_json().items() if k != "accounts"}
    assert ImportResult.from_json(stored_before_accounts).accounts == {}


def _large_workbook(tmp_path, db, tpl_count: int, supervisor_count: int):
    """TPL with emails, and supervisors each with a province or a kabupaten/kota and an equal share of the TPL."""
    start = date(1994, 1, 1)
    people = []
    for i in range(tpl_count):
        gender = "P" if i % 2 else "L"
        birth = start + timedelta(days=i)
        people.append(
            facilitator_row(
                nik=make_nik("827101", birth, gender, 1 + i % 7),
                full_name=f"TPL Nomor {i}",
                email=f"tpl{i}@example.id",
                phone=f"0812{i:08d}",
                gender=gender,
                birth_date=birth.isoformat(),
                angkatan=2020 + i % 5,
                polytechnic=["ATI Makassar", "AKA Bogor", "STMI Jakarta", "Poltek PTKI Medan"][i % 4],
            )
        )
    provinces = list(db.session.scalars(sa.select(Region.code).where(Region.level == 1).order_by(Region.code)))
    regencies = list(db.session.scalars(sa.select(Region.code).where(Region.level == 2).order_by(Region.code)))
    share = tpl_count // supervisor_count
    supervisors = [
        supervisor_row(
            email=f"pembina{j}@example.id",
            full_name=f"Pembina {j}",
            phone=f"0813{j:08d}",
            region_codes=provinces[j % len(provinces)] if j % 2 else f"{regencies[j]};{regencies[j + 1]}",
            assigned_niks="; ".join(p["nik"] for p in people[j * share : (j + 1) * share]),
        )
        for j in range(supervisor_count)
    ]
    return workbook(tmp_path, "large.xlsx", facilitators=people, supervisors=supervisors)


def test_2000_tpl_and_40_supervisors_get_their_accounts_in_one_import_and_a_second_changes_nothing(db, admin, tmp_path):
    path = _large_workbook(tmp_path, db, 2000, 40)

    result = import_workbook(path, actor=admin)
    db.session.commit()

    assert result.errors == []
    assert result.created == {"facilitators": 2000, "supervisors": 40}
    assert result.accounts == {"created": 2040, "linked": 0, "unchanged": 0}
    linked = db.session.execute(
        sa.select(User.email, Facilitator.email).join(Facilitator, Facilitator.user_id == User.id)
    ).all()
    assert len(linked) == 2000 and all(login == contact for login, contact in linked)
    supervised = sa.select(sa.func.count()).select_from(Facilitator).where(Facilitator.supervisor_id.is_not(None))
    assert db.session.scalar(supervised) == 2000
    roles = dict(db.session.execute(sa.select(User.role, sa.func.count()).group_by(User.role)).all())
    assert roles == {"admin": 1, "facilitator": 2000, "supervisor": 40}
    assert _count(db, SupervisorRegion) == 60
    imported = db.session.scalars(sa.select(User.password_hash).where(User.id != admin.id))
    assert not any(is_usable_hash(stored) for stored in imported)
    assert len(set(db.session.scalars(sa.select(User.session_token)))) == 2041
    before, audit_before = table_counts(db), _count(db, AuditEntry)

    again = import_workbook(path, actor=admin)

    assert again.errors == []
    assert again.created == {"facilitators": 0, "supervisors": 0}
    assert again.updated == {"facilitators": 0, "supervisors": 0}
    assert again.unchanged == {"facilitators": 2000, "supervisors": 40}
    assert again.accounts == {"created": 0, "linked": 0, "unchanged": 2040}
    assert table_counts(db) == before and _count(db, AuditEntry) == audit_before
