"""Accounts (create, change, deactivate, reset) and who sees which TPL."""

from datetime import timedelta

import pytest
import sqlalchemy as sa
from email_validator import EmailNotValidError, validate_email

from tpl_tracker.models import AuditEntry, Facilitator, SupervisorRegion, User
from tpl_tracker.services import ServiceError
from tpl_tracker.services.passwords import verify_password
from tpl_tracker.services.policy import facilitator_scope
from tpl_tracker.services.users import (
    UserData,
    create_user,
    normalize_email,
    reset_password,
    set_enabled,
    update_user,
)

from ..clock import NOW
from ..factories import FacilitatorFactory, UserFactory

GOOD_PASSWORD = "sagu lempeng dan teh manis"


def _count(db, model) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def _actions(db) -> list[str]:
    return list(db.session.scalars(sa.select(AuditEntry.action).order_by(AuditEntry.id)))


@pytest.fixture
def admin(db):
    return UserFactory(email="admin@example.id", role="admin")


# --- create_user ----------------------------------------------------------------------------


def test_create_user_saves_a_lowercase_email_and_audits(db, admin):
    user = create_user(
        admin,
        UserData(
            email="Siti.Aminah@Example.ID", full_name=" Siti Aminah ", role="supervisor", region_codes=["82", "73.71"]
        ),
        GOOD_PASSWORD,
    )

    saved = db.session.get(User, user.id)
    assert saved.email == "siti.aminah@example.id"
    assert saved.full_name == "Siti Aminah"
    assert saved.region_codes == ["73.71", "82"]
    assert verify_password(saved.password_hash, GOOD_PASSWORD)
    entry = db.session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "user_created"))
    assert entry.actor_id == admin.id and entry.entity_id == str(user.id)
    assert entry.after["region_codes"] == ["73.71", "82"]
    assert "password_hash" not in entry.after and "session_token" not in entry.after


@pytest.mark.parametrize(
    "data, password, field",
    [
        (UserData(email="ADMIN@example.ID", full_name="Dup", role="evaluator"), GOOD_PASSWORD, "email"),
        (UserData(email="not-an-email", full_name="Bad", role="evaluator"), GOOD_PASSWORD, "email"),
        (UserData(email="a@example", full_name="Bad", role="evaluator"), GOOD_PASSWORD, "email"),
        (
            UserData(email="new@example.id", full_name="Bad", role="evaluator", region_codes=["82"]),
            GOOD_PASSWORD,
            "region_codes",
        ),
        (
            UserData(email="new@example.id", full_name="Bad", role="facilitator", region_codes=["82.71"]),
            GOOD_PASSWORD,
            "region_codes",
        ),
        (
            UserData(email="new@example.id", full_name="Bad", role="supervisor", region_codes=["99"]),
            GOOD_PASSWORD,
            "region_codes",
        ),
        (UserData(email="new@example.id", full_name="Bad", role="root"), GOOD_PASSWORD, "role"),
        (UserData(email="new@example.id", full_name="  ", role="evaluator"), GOOD_PASSWORD, "full_name"),
        (UserData(email="new@example.id", full_name="Weak", role="evaluator"), "password123", "password"),
        (UserData(email="new@example.id", full_name="Weak", role="evaluator"), "new@example.id", "password"),
    ],
    ids=[
        "duplicate-email-other-case",
        "invalid-email",
        "email-without-tld",
        "scope-for-evaluator",
        "scope-for-facilitator",
        "unknown-region",
        "unknown-role",
        "no-name",
        "common-password",
        "password-is-email",
    ],
)
def test_create_user_refuses_bad_input_and_writes_nothing(db, admin, data, password, field):
    users, entries = _count(db, User), _count(db, AuditEntry)

    with pytest.raises(ServiceError) as caught:
        create_user(admin, data, password)

    assert caught.value.field == field, caught.value.message
    db.session.rollback()
    assert _count(db, User) == users
    assert _count(db, SupervisorRegion) == 0
    assert _count(db, AuditEntry) == entries


def test_supervisor_may_be_assigned_tpl(db, admin):
    tpl = FacilitatorFactory(region_code="73.71", district="737101")
    user = create_user(
        admin,
        UserData(email="pembina@example.id", full_name="Pembina", role="supervisor", facilitator_ids=[tpl.id]),
        GOOD_PASSWORD,
    )
    db.session.expire_all()
    assert db.session.get(Facilitator, tpl.id).supervisor_id == user.id


# --- update_user, set_enabled, reset_password -----------------------------------------------


def _data(user: User, **changes) -> UserData:
    values = {"email": user.email, "full_name": user.full_name, "role": user.role, "region_codes": user.region_codes}
    values.update(changes)
    return UserData(**values)


def test_role_change_rotates_the_session_token(db, admin):
    user = UserFactory(role="supervisor")
    token = user.session_token

    update_user(admin, user, _data(user, role="evaluator"))

    db.session.refresh(user)
    assert user.role == "evaluator"
    assert user.session_token != token, "a changed role must end the user's sessions"
    entry = db.session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "user_updated"))
    assert entry.before == {"role": "supervisor"} and entry.after == {"role": "evaluator"}


def test_name_change_keeps_the_session(db, admin):
    user = UserFactory(role="supervisor")
    token = user.session_token

    update_user(admin, user, _data(user, full_name="Nama Baru"))

    db.session.refresh(user)
    assert user.full_name == "Nama Baru"
    assert user.session_token == token


def test_update_user_may_keep_its_own_email(db, admin):
    user = UserFactory(email="keep@example.id")
    update_user(admin, user, _data(user, email="KEEP@example.id"))
    assert db.session.get(User, user.id).email == "keep@example.id"


def test_update_user_refuses_another_accounts_email(db, admin):
    user = UserFactory(email="mine@example.id")
    with pytest.raises(ServiceError) as caught:
        update_user(admin, user, _data(user, email="Admin@Example.id"))
    assert caught.value.field == "email"
    db.session.rollback()
    assert db.session.get(User, user.id).email == "mine@example.id"


def test_admin_cannot_change_own_role(db, admin):
    with pytest.raises(ServiceError) as caught:
        update_user(admin, admin, _data(admin, role="evaluator"))
    assert caught.value.field == "role"
    db.session.rollback()
    db.session.refresh(admin)
    assert admin.role == "admin"
    assert "user_updated" not in _actions(db)


def test_admin_cannot_deactivate_self(db, admin):
    token = admin.session_token
    with pytest.raises(ServiceError):
        set_enabled(admin, admin, False)
    db.session.rollback()
    db.session.refresh(admin)
    assert admin.is_enabled is True
    assert admin.session_token == token
    assert "user_deactivated" not in _actions(db)


def test_deactivation_rotates_the_token_and_is_audited(db, admin):
    user = UserFactory()
    token = user.session_token

    set_enabled(admin, user, False)

    db.session.refresh(user)
    assert user.is_enabled is False
    assert user.session_token != token
    entry = db.session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "user_deactivated"))
    assert entry.actor_id == admin.id and entry.entity_id == str(user.id)
    assert entry.before == {"is_enabled": True} and entry.after == {"is_enabled": False}


def test_reactivation_is_audited(db, admin):
    user = UserFactory(is_enabled=False)
    set_enabled(admin, user, True)
    db.session.refresh(user)
    assert user.is_enabled is True
    assert _actions(db) == ["user_activated"]


def test_reset_password_clears_the_lock_ends_sessions_and_audits(db, admin):
    user = UserFactory(failed_login_count=3, locked_until=NOW + timedelta(minutes=10))
    token = user.session_token

    reset_password(admin, user, GOOD_PASSWORD)

    db.session.refresh(user)
    assert user.locked_until is None
    assert user.failed_login_count == 0
    assert user.session_token != token
    assert verify_password(user.password_hash, GOOD_PASSWORD)
    entry = db.session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "password_reset"))
    assert entry.actor_id == admin.id and entry.entity_id == str(user.id)


def test_reset_password_refuses_a_weak_password(db, admin):
    user = UserFactory()
    hashed = user.password_hash
    with pytest.raises(ServiceError) as caught:
        reset_password(admin, user, "qwerty123")
    assert caught.value.field == "password"
    db.session.rollback()
    db.session.refresh(user)
    assert user.password_hash == hashed
    assert "password_reset" not in _actions(db)


# --- facilitator_scope ----------------------------------------------------------------------


def _visible(db, user) -> set[int]:
    return set(db.session.scalars(sa.select(Facilitator.id).where(facilitator_scope(user))))


def test_province_supervisor_sees_tpl_in_the_province_only(db, world):
    assert _visible(db, world["supervisor"]) == {world["tpl"].id}
    assert world["tpl2"].id not in _visible(db, world["supervisor"])
    assert _visible(db, world["supervisor2"]) == {world["tpl2"].id}


def test_kabupaten_kota_supervisor_sees_that_kabupaten_kota_only(db, world):
    tpl_tidore = FacilitatorFactory(region_code="82.72", district="827201")
    supervisor = UserFactory(role="supervisor")
    db.session.add(SupervisorRegion(user=supervisor, region_code="82.72"))
    db.session.commit()

    assert _visible(db, supervisor) == {tpl_tidore.id}
    assert world["tpl"].id not in _visible(db, supervisor)  # 82.71, same province


def test_assigned_tpl_is_visible_whatever_the_region(db, world):
    world["tpl"].supervisor_id = world["supervisor2"].id  # a TPL in 82, supervisor of 73
    db.session.commit()

    assert _visible(db, world["supervisor2"]) == {world["tpl"].id, world["tpl2"].id}


def test_supervisor_without_scope_sees_nothing(db, world):
    assert _visible(db, UserFactory(role="supervisor")) == set()


def test_facilitator_sees_only_own_profile(db, world):
    assert _visible(db, world["facilitator"]) == {world["tpl"].id}
    assert _visible(db, world["facilitator2"]) == {world["tpl2"].id}
    assert _visible(db, UserFactory(role="facilitator")) == set()


@pytest.mark.parametrize("name", ["evaluator", "admin"])
def test_evaluator_and_admin_see_all(db, world, name):
    extra = FacilitatorFactory(region_code=None)
    assert _visible(db, world[name]) == {world["tpl"].id, world["tpl2"].id, extra.id}


def _by_email_validator(email: str) -> str | None:
    try:
        return validate_email(email.strip(), check_deliverability=False).normalized.lower()
    except EmailNotValidError:
        return None


def test_normalize_email_answers_as_email_validator_does(app):
    """Addresses of a domain seen before are put together without the full check: never another answer."""
    locals_ = ["siti", "Siti.Aminah", "a+b", "x_y-z", "o'neil", "a..b", ".a", "a.", "sîti", '"a b"', "", "a" * 64]
    locals_ += ["a" * 65, "postmaster", "a b", "<a>", "a@b"]
    domains = ["example.id", "Example.ID", "gmail.com", "xn--bcher-kva.de", "bücher.de", "localhost", "a.test"]
    domains += ["example", "example.id.", "-a.id", "a_b.id", "[127.0.0.1]", "", "e.123", "a" * 63 + ".id"]
    domains += [("b" * 60 + ".") * 3 + "id", ("b" * 60 + ".") * 4 + "id", "exa mple.id", "example.id>"]
    for _round in range(2):  # the second time, every domain is known
        for local in locals_:
            for domain in domains:
                for email in (f"{local}@{domain}", f" {local}@{domain} "):
                    expected = _by_email_validator(email)
                    if expected is None:
                        with pytest.raises(ServiceError):
                            normalize_email(email)
                    else:
                        assert normalize_email(email) == expected, email
