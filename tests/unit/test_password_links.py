"""Invitations and password reset links (services/password_links.py): single use, expiring, replaced by a newer
one, stored only as hashes, audited; accounts without a usable password (services/users.py)."""

import hashlib
from datetime import timedelta

import pytest
import sqlalchemy as sa

from tpl_tracker.models import AuditEntry, LinkState, PasswordLink, User
from tpl_tracker.services import ServiceError
from tpl_tracker.services import password_links as links
from tpl_tracker.services.auth import authenticate, change_password
from tpl_tracker.services.passwords import verify_password
from tpl_tracker.services.throttle import account_digest
from tpl_tracker.services.users import (
    UserData,
    create_user,
    has_usable_password,
    reset_password,
    set_unusable_password,
)

from ..clock import NOW
from ..conftest import link_in, refused_use_case
from ..factories import PASSWORD, FacilitatorFactory, UserFactory

NEW_PASSWORD = "sagu lempeng dan teh manis"
NO_LONGER = "Tautan ini sudah tidak berlaku"  # the refusal of a dead link, in the default language


@pytest.fixture
def admin(db):
    return UserFactory(email="admin@example.id", role="admin")


@pytest.fixture
def invited(db):
    """An account created to be invited: no usable password, never signed in."""
    user = UserFactory(email="rina@example.id", full_name="Rina Wati")
    set_unusable_password(user)
    db.session.commit()
    return user


def _actions(db, action: str) -> list[AuditEntry]:
    return list(db.session.scalars(sa.select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id)))


def _token(url: str) -> str:
    return url.rsplit("/", 1)[1]


def _link(db, token: str) -> PasswordLink:
    return db.session.scalar(
        sa.select(PasswordLink).where(PasswordLink.token_hash == hashlib.sha256(token.encode()).hexdigest())
    )


# --- accounts without a usable password ---------------------------------------------------------------------------


def test_an_account_without_a_usable_password_signs_in_with_no_password(app, db, invited):
    assert has_usable_password(invited) is False
    for typed in (PASSWORD, "x", invited.password_hash, invited.password_hash[1:]):
        with pytest.raises(ServiceError, match="Email atau kata sandi salah"):
            authenticate(invited.email, typed, client="203.0.113.9")
    db.session.commit()  # the sign-in page answers 200: its failures are kept
    assert len(_actions(db, "login_failed")) == 4


def test_create_user_without_a_password_leaves_it_unusable_and_says_so(db, admin):
    user = create_user(admin, UserData(email="baru@example.id", full_name="Baru", role="facilitator"))

    assert not has_usable_password(user)
    assert not verify_password(user.password_hash, "")
    (entry,) = _actions(db, "user_created")
    assert entry.after["has_password"] is False and "password_hash" not in entry.after
    with_password = create_user(admin, UserData(email="lama@example.id", full_name="Lama", role="evaluator"), PASSWORD)
    assert has_usable_password(with_password)


def test_two_unusable_passwords_differ(db):
    first, second = UserFactory(), UserFactory()
    set_unusable_password(first)
    set_unusable_password(second)
    assert first.password_hash != second.password_hash
    assert first.password_hash.startswith("!")


# --- links by hand --------------------------------------------------------------------------------------------------


def test_a_link_is_stored_only_as_the_hash_of_its_token(app, db, admin, invited):
    with app.test_request_context(base_url="https://tpl.example.id"):
        url, link = links.hand_over_link(admin, invited, "invitation")
    db.session.commit()

    token = _token(url)
    assert url == f"https://tpl.example.id/auth/invitation/{token}"
    assert len(token) >= 43  # 32 random bytes
    assert link.token_hash == hashlib.sha256(token.encode()).hexdigest()
    stored = " ".join(str(value) for row in db.session.execute(sa.select(PasswordLink.__table__)) for value in row)
    audited = " ".join(
        str(value)
        for row in db.session.execute(sa.select(AuditEntry.note, AuditEntry.before, AuditEntry.after))
        for value in row
    )
    assert token not in stored and token not in audited
    (entry,) = _actions(db, "invitation_link_shown")
    assert entry.actor_id == admin.id and entry.entity_id == str(invited.id)
    assert link.expires_at == NOW + timedelta(days=7)


def test_public_url_is_the_base_of_every_link(app, db, admin, invited, monkeypatch):
    monkeypatch.setitem(app.config, "PUBLIC_URL", "https://tpl.kemenperin.go.id/app")
    with app.test_request_context(base_url="http://evil.example"):
        url, _link = links.hand_over_link(admin, invited, "reset")
    assert url.startswith("https://tpl.kemenperin.go.id/app/auth/reset/")


def test_without_public_url_no_link_is_made_outside_a_request(app, db, admin, invited):
    with refused_use_case("PUBLIC_URL"):
        links.hand_over_link(None, invited, "invitation")


def test_an_invitation_link_works_once_and_signs_the_owner_in(app, db, invited):
    with app.test_request_context():
        url, link = links.hand_over_link(None, invited, "invitation")
    old_session = invited.session_token
    db.session.commit()

    user = links.use_link(links.find_link(_token(url), "invitation"), NEW_PASSWORD, NEW_PASSWORD)
    db.session.commit()

    assert user.id == invited.id
    assert has_usable_password(user) and verify_password(user.password_hash, NEW_PASSWORD)
    assert user.session_token != old_session
    assert user.last_login_at == NOW
    assert links.find_link(_token(url), "invitation").state() == LinkState.USED
    (entry,) = _actions(db, "invitation_used")
    assert entry.actor_id == invited.id
    with refused_use_case(NO_LONGER):
        links.use_link(links.find_link(_token(url), "invitation"), "another long passphrase", "another long passphrase")
    assert authenticate(invited.email, NEW_PASSWORD).id == invited.id


def test_a_link_of_one_purpose_does_not_open_the_other(app, db, invited):
    with app.test_request_context():
        url, _link = links.hand_over_link(None, invited, "invitation")
    assert links.find_link(_token(url), "reset") is None
    assert links.find_link(_token(url) + "x", "invitation") is None
    assert links.find_link("x" * 500, "invitation") is None
    assert links.find_link("", "invitation") is None and links.find_link(None, "reset") is None


def test_the_password_rules_apply_and_a_refusal_leaves_the_link_valid(app, db, invited):
    with app.test_request_context():
        url, _link = links.hand_over_link(None, invited, "invitation")
    db.session.commit()
    for weak in ("short", "password123", invited.email):
        with refused_use_case() as refusal:
            links.use_link(links.find_link(_token(url), "invitation"), weak, weak)
        assert refusal.value.field == "password"
    assert links.find_link(_token(url), "invitation").state() == LinkState.VALID


@pytest.mark.parametrize(
    "purpose, lifetime", [("invitation", timedelta(days=7)), ("reset", timedelta(hours=1))], ids=["7-days", "1-hour"]
)
def test_a_link_expires(app, db, invited, time_machine, purpose, lifetime):
    invited.last_login_at = None
    with app.test_request_context():
        url, _link = links.hand_over_link(None, invited, purpose)
    db.session.commit()

    time_machine.move_to(NOW + lifetime - timedelta(seconds=1), tick=False)
    assert links.find_link(_token(url), purpose).state() == LinkState.VALID
    time_machine.move_to(NOW + lifetime, tick=False)
    link = links.find_link(_token(url), purpose)
    assert link.state() == LinkState.EXPIRED
    with refused_use_case(NO_LONGER):
        links.use_link(link, NEW_PASSWORD, NEW_PASSWORD)
    links.refuse_link(links.find_link(_token(url), purpose))
    db.session.commit()
    (entry,) = _actions(db, f"{links.ACTION_PREFIX[purpose]}_refused")
    assert entry.note.endswith("expired") and entry.entity_id == str(invited.id)


def test_a_newer_link_replaces_the_older_one_of_its_purpose_only(app, db, admin, invited):
    with app.test_request_context():
        first, _link = links.hand_over_link(admin, invited, "invitation")
        reset, _link = links.hand_over_link(admin, invited, "reset")
        second, _link = links.hand_over_link(admin, invited, "invitation")
    db.session.commit()

    assert links.find_link(_token(first), "invitation").state() == LinkState.REPLACED
    assert links.find_link(_token(reset), "reset").state() == LinkState.VALID
    with refused_use_case(NO_LONGER):
        links.use_link(links.find_link(_token(first), "invitation"), NEW_PASSWORD, NEW_PASSWORD)
    links.use_link(links.find_link(_token(second), "invitation"), NEW_PASSWORD, NEW_PASSWORD)
    db.session.commit()
    assert links.find_link(_token(reset), "reset").state() == LinkState.REPLACED, "using one link withdraws the rest"


def test_a_deactivated_accounts_link_does_not_work(app, db, invited):
    with app.test_request_context():
        url, _link = links.hand_over_link(None, invited, "invitation")
    invited.is_enabled = False
    db.session.commit()
    link = links.find_link(_token(url), "invitation")
    assert links.usable_state(link) == LinkState.REPLACED
    with refused_use_case(NO_LONGER):
        links.use_link(link, NEW_PASSWORD, NEW_PASSWORD)


def test_only_an_account_that_never_signed_in_is_invited(app, db, invited):
    invited.last_login_at = NOW
    with app.test_request_context(), refused_use_case("sudah pernah masuk"):
        links.hand_over_link(None, invited, "invitation")
    invited.last_login_at, invited.is_enabled = None, False
    with app.test_request_context(), refused_use_case("dinonaktifkan"):
        links.hand_over_link(None, invited, "invitation")


def test_setting_the_password_another_way_withdraws_the_open_links(app, db, admin):
    user = UserFactory(email="budi@example.id")
    with app.test_request_context():
        first, _link = links.hand_over_link(admin, user, "reset")
    reset_password(admin, user, NEW_PASSWORD)
    with app.test_request_context():
        second, _link = links.hand_over_link(admin, user, "reset")
    change_password(user, NEW_PASSWORD, "another long passphrase", "another long passphrase")
    db.session.commit()
    assert links.find_link(_token(first), "reset").state() == LinkState.REPLACED
    assert links.find_link(_token(second), "reset").state() == LinkState.REPLACED


# --- by email -------------------------------------------------------------------------------------------------------


def test_an_invitation_is_emailed_in_the_recipients_language(app, db, admin, invited, mailbox):
    english = UserFactory(email="john@example.id", full_name="John", language="en")
    set_unusable_password(english)

    assert links.send_invitation(admin, invited) is True
    assert links.send_invitation(admin, english) is True
    db.session.commit()

    (indonesian,) = mailbox.to(invited.email)
    assert indonesian["Subject"] == "TPL Tracker: buat kata sandi akun Anda"
    assert "Halo Rina Wati," in indonesian.get_content()
    assert link_in(indonesian).startswith("https://tpl.example.id/auth/invitation/")
    (message,) = mailbox.to(english.email)
    assert message["Subject"] == "TPL Tracker: set the password of your account"
    assert "WIB" in message.get_content(), "a time shown to people carries its zone"
    link = links.find_link(_token(link_in(indonesian)), "invitation")
    assert link.state() == LinkState.VALID and link.delivery == "email" and link.created_by_id == admin.id
    assert [e.entity_id for e in _actions(db, "invitation_sent")] == [str(invited.id), str(english.id)]


def test_an_emailed_invitation_replaces_the_one_before(app, db, admin, invited, mailbox):
    links.send_invitation(admin, invited)
    links.send_invitation(admin, invited)
    db.session.commit()
    first, second = (link_in(message) for message in mailbox.to(invited.email))
    assert links.find_link(_token(first), "invitation").state() == LinkState.REPLACED
    assert links.find_link(_token(second), "invitation").state() == LinkState.VALID


def test_a_refused_email_leaves_a_failed_link_without_token(app, db, admin, mailbox):
    user = UserFactory(email="refused@example.id")
    assert links.send_invitation(admin, user) is False
    db.session.commit()
    link = db.session.scalar(sa.select(PasswordLink).where(PasswordLink.user_id == user.id))
    assert link.state() == LinkState.FAILED and link.token_hash is None
    (entry,) = _actions(db, "invitation_failed")
    assert entry.note == f"link {link.id}: SMTPRecipientsRefused"


def test_no_server_no_email(app, db, admin, invited):
    with refused_use_case("MAIL_SERVER"):
        links.send_invitation(admin, invited)


def test_a_reset_request_is_audited_alike_and_queued_only_for_an_active_account(app, db, mailbox):
    from tpl_tracker.jobs import send_account_emails

    user = UserFactory(email="siti@example.id", language="en")
    disabled = UserFactory(email="off@example.id", is_enabled=False)
    for typed in (" Siti@Example.ID ", "nobody@example.id", disabled.email, "siti@example.id"):
        links.request_reset(typed)
    db.session.commit()

    queued = list(db.session.scalars(sa.select(PasswordLink)))
    assert [(link.user_id, link.state()) for link in queued] == [(user.id, LinkState.QUEUED)], "queued once"
    entries = _actions(db, "password_reset_requested")
    assert [entry.note for entry in entries] == [
        f"account {account_digest(email)}"
        for email in ("siti@example.id", "nobody@example.id", disabled.email, "siti@example.id")
    ]
    assert all(entry.actor_id is None for entry in entries)
    assert mailbox.messages == [], "nothing is sent from the request itself"

    assert send_account_emails(NOW.date()) == 1
    (message,) = mailbox.messages
    assert message["To"] == user.email and message["Subject"] == "TPL Tracker: reset your password"
    link = links.find_link(_token(link_in(message)), "reset")
    assert link.expires_at == NOW + timedelta(hours=1)
    assert [e.entity_id for e in _actions(db, "password_reset_sent")] == [str(user.id)]
    assert send_account_emails(NOW.date()) == 0


def test_a_reset_link_ends_every_other_session(app, db, mailbox):
    from tpl_tracker.jobs import send_account_emails

    user = UserFactory(email="siti@example.id")
    user.last_login_at = NOW - timedelta(days=3)
    old_token = user.session_token
    links.request_reset(user.email)
    send_account_emails(NOW.date())
    link = links.find_link(_token(link_in(mailbox.messages[0])), "reset")
    links.use_link(link, NEW_PASSWORD, NEW_PASSWORD)
    db.session.commit()
    assert db.session.get(User, user.id).session_token != old_token
    assert _actions(db, "password_reset_used")[0].entity_id == str(user.id)


def test_without_email_a_reset_request_queues_nothing(app, db):
    UserFactory(email="siti@example.id")
    links.request_reset("siti@example.id")
    db.session.commit()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(PasswordLink)) == 0
    assert len(_actions(db, "password_reset_requested")) == 1


# --- group invitations ----------------------------------------------------------------------------------------------


@pytest.fixture
def programme(db):
    """TPL of two provinces and angkatan, a supervisor of Maluku Utara, and accounts that a group invitation skips."""
    made = {}
    for name, region, district, angkatan in (
        ("ternate22", "82.71", "827101", 2022),
        ("ternate23", "82.71", "827101", 2023),
        ("makassar22", "73.71", "737101", 2022),
    ):
        user = UserFactory(email=f"{name}@example.id")
        set_unusable_password(user)
        FacilitatorFactory(user=user, region_code=region, district=district, angkatan=angkatan)
        made[name] = user
    supervisor = UserFactory(email="pembina82@example.id", role="supervisor")
    from tpl_tracker.models import SupervisorRegion

    db.session.add(SupervisorRegion(user=supervisor, region_code="82"))
    made["supervisor"] = supervisor
    made["signed_in"] = UserFactory(email="aktif@example.id", last_login_at=NOW - timedelta(days=1))
    made["disabled"] = UserFactory(email="off@example.id", is_enabled=False)
    db.session.commit()
    return made


def _candidates(**filters) -> set[str]:
    from tpl_tracker.extensions import db

    return set(
        db.session.scalars(links.invitation_candidates(links.InvitationFilter(**filters)).with_only_columns(User.email))
    )


def test_a_group_invitation_reaches_who_has_not_signed_in_by_province_and_angkatan(db, programme):
    assert _candidates(province="82") == {"ternate22@example.id", "ternate23@example.id", "pembina82@example.id"}
    assert _candidates(angkatan=2022) == {"ternate22@example.id", "makassar22@example.id"}
    assert _candidates(province="82", angkatan=2022) == {"ternate22@example.id"}
    assert _candidates(role="supervisor") == {"pembina82@example.id"}
    everyone = _candidates()
    assert "aktif@example.id" not in everyone and "off@example.id" not in everyone
    assert links.count_candidates(links.InvitationFilter(province="82")) == 3
    assert links.count_candidates(links.InvitationFilter(province="82", signed_in=False)) == 3
    assert links.count_candidates(links.InvitationFilter(signed_in=True)) == 0


def test_a_group_invitation_is_queued_then_sent_by_the_job_and_not_repeated(app, db, admin, programme, mailbox):
    from tpl_tracker.jobs import account_emails_waiting, send_account_emails

    assert links.queue_invitations(admin, links.InvitationFilter(province="82")) == 3
    db.session.commit()
    (entry,) = _actions(db, "invitations_queued")
    assert entry.note == "3 invitations queued (province=82)" and entry.actor_id == admin.id
    assert account_emails_waiting() is True
    assert mailbox.messages == []
    assert links.count_candidates(links.InvitationFilter(province="82")) == 0, "a queued invitation counts"

    assert send_account_emails(NOW.date()) == 3
    assert {message["To"] for message in mailbox.messages} == {
        "ternate22@example.id",
        "ternate23@example.id",
        "pembina82@example.id",
    }
    assert len(_actions(db, "invitation_sent")) == 3
    assert all(entry.actor_id == admin.id for entry in _actions(db, "invitation_sent"))
    assert account_emails_waiting() is False
    assert links.queue_invitations(admin, links.InvitationFilter(province="82")) == 0


def test_a_queued_invitation_of_an_account_deactivated_meanwhile_is_withdrawn(app, db, admin, programme, mailbox):
    from tpl_tracker.jobs import send_account_emails

    links.queue_invitations(admin, links.InvitationFilter(angkatan=2023))
    programme["ternate23"].is_enabled = False
    db.session.commit()
    assert send_account_emails(NOW.date()) == 0
    assert mailbox.messages == []
    link = db.session.scalar(sa.select(PasswordLink))
    assert link.state() == LinkState.REPLACED


def test_a_group_invitation_needs_email(db, admin, programme):
    with refused_use_case("MAIL_SERVER"):
        links.queue_invitations(admin, links.InvitationFilter())


def test_an_expired_invitation_may_be_sent_again(app, db, admin, programme, mailbox, time_machine):
    links.send_invitation(admin, programme["ternate22"])
    db.session.commit()
    assert "ternate22@example.id" not in _candidates()
    time_machine.move_to(NOW + timedelta(days=8), tick=False)
    assert "ternate22@example.id" in _candidates()


def test_a_chosen_password_names_every_problem_at_once(db):
    user = UserFactory(email="baru@example.id", role="facilitator")

    with pytest.raises(ServiceError) as empty:
        links.check_chosen_password(user, "", None)
    with pytest.raises(ServiceError) as weak:
        links.check_chosen_password(user, "short", "shorter")

    assert [problem.field for problem in empty.value.errors] == ["password", "confirm"]
    assert [problem.field for problem in weak.value.errors] == ["password", "confirm"]
    assert weak.value.errors[1].message == "Kedua kata sandi tidak sama."  # Indonesian first
    links.check_chosen_password(user, "another long passphrase", "another long passphrase")
