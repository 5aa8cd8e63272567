"""Notification rules: who is told what, once; the bell and mark-as-read."""

import pytest
import sqlalchemy as sa

from tpl_tracker.jobs import email_digest
from tpl_tracker.models import Business, Notification, OutcomeSurvey, PermitFacilitation
from tpl_tracker.services import notifications as rules
from tpl_tracker.services.notification_kinds import (
    KINDS,
    LEGACY,
    as_count,
    as_day,
    as_month,
    as_region,
    as_text,
    notification_text,
)

from ..clock import iso, on
from ..factories import ContractFactory, FacilitatorFactory, UserFactory


def _notes(db, kind=None):
    query = sa.select(Notification)
    if kind:
        query = query.where(Notification.kind == kind)
    return list(db.session.scalars(query))


def test_contract_ending_within_30_days_notifies_tpl_and_supervisor_once(db, world):
    # world: contracts of tpl and tpl2 end on 31 December
    assert rules.contracts_ending(on(11, 30)) == 0  # 31 days before: not yet
    added = rules.contracts_ending(on(12, 1))
    recipients = {n.user_id for n in _notes(db, "contract_ending")}
    assert recipients == {
        world["facilitator"].id,
        world["supervisor"].id,
        world["facilitator2"].id,
        world["supervisor2"].id,
    }
    assert added == 4
    assert rules.contracts_ending(on(12, 2)) == 0  # created once, not every night again
    assert len(_notes(db, "contract_ending")) == 4


def test_terminated_contract_uses_its_termination_date(db):
    tpl = FacilitatorFactory(user=UserFactory(), supervisor=None)
    ContractFactory(
        facilitator=tpl, start_date=on(1, 1), end_date=on(12, 31), status="terminated", terminated_on=on(7, 15)
    )
    assert rules.contracts_ending(on(7, 1)) == 1
    assert rules.contracts_ending(on(12, 1)) == 0


def test_deactivated_users_are_not_notified(db, world):
    world["supervisor"].is_enabled = False
    db.session.commit()
    rules.contracts_ending(on(12, 1))
    assert world["supervisor"].id not in {n.user_id for n in _notes(db)}


def test_tracer_due_then_overdue_and_satisfied_by_a_survey(db):
    user = UserFactory()
    tpl = FacilitatorFactory(user=user, supervisor=None)
    ContractFactory(facilitator=tpl, start_date=on(1, 1, years=-1), end_date=on(12, 31, years=-1), status="completed")
    assert rules.tracer_due(on(6, 29)) == 0  # 6 months after exit (31 December last year): 30 June
    assert rules.tracer_due(on(6, 30)) == 1
    assert [n.kind for n in _notes(db)] == ["tracer_due"]
    assert rules.tracer_due(on(7, 15)) == 0  # once
    assert rules.tracer_due(on(8, 1)) == 1  # 30 days later: overdue
    assert {n.kind for n in _notes(db)} == {"tracer_due", "tracer_overdue"}
    # The 12-month survey is filled in on time: no reminder for it.
    db.session.add(OutcomeSurvey(facilitator_id=tpl.id, survey_date=on(12, 20), status="bekerja"))
    db.session.commit()
    assert rules.tracer_due(on(1, 5, years=+1)) == 0


def test_a_missed_tracer_round_is_not_reminded(db):
    """Rounds that closed unanswered (missed: a survey now answers none of them) are not reminded of."""
    user = UserFactory()
    tpl = FacilitatorFactory(user=user, supervisor=None)
    # Exit on 31 December four years back: the 24-month round closed 45 days before the 36th month.
    ContractFactory(facilitator=tpl, start_date=on(1, 1, years=-5), end_date=on(12, 31, years=-4), status="completed")
    assert rules.tracer_due(on(6, 1)) == 0
    # A later contract moves the exit to 31 December two years back, 17 months ago: 6 missed, 12 due, 24 upcoming.
    ContractFactory(facilitator=tpl, start_date=on(1, 1, years=-2), end_date=on(12, 31, years=-2), status="completed")
    assert rules.tracer_due(on(6, 1)) == 1
    assert [n.params["months"] for n in _notes(db)] == [12]


def test_permits_expiring_within_60_days(db, world):
    business = Business(
        name="Keripik Sagu", normalized_name="keripik sagu", owner_name="Ibu Ani", region_code="82.71", kbli="10792"
    )
    db.session.add(business)
    db.session.flush()
    db.session.add(
        PermitFacilitation(
            business_id=business.id,
            facilitator_id=world["tpl"].id,
            permit_type="pirt",
            status="issued",
            document_number="2068271010123456",
            issued_on=on(9, 1, years=-5),
            expires_on=on(9, 1),
        )
    )
    db.session.commit()
    assert rules.permits_expiring(on(7, 1)) == 0
    assert rules.permits_expiring(on(7, 3)) == 2  # TPL and supervisor
    assert rules.permits_expiring(on(7, 4)) == 0


def _contract_ending(user_id, dedupe_key="k1", facilitator_id=1):
    """A contract_ending notification for one user, as the nightly rule writes it."""
    return rules.notify(
        user_id,
        "contract_ending",
        {"number": "KP/TPL/001", "name": "Rina Wati", "date": on(12, 31), "place": "82.71"},
        dedupe_key,
        "facilitators.detail",
        {"facilitator_id": facilitator_id},
    )


def test_bell_list_and_mark_as_read(client, db, world, login_as):
    user = login_as("facilitator")
    _contract_ending(user.id)
    rules.notify(user.id, "month_approved", {"month": on(3, 1)}, "k2")
    db.session.commit()
    page = client.get("/").get_data(as_text=True)
    assert 'text-bg-danger">2<' in page
    assert "Kontrak KP/TPL/001 atas nama Rina Wati berakhir" in client.get("/notifications/").get_data(as_text=True)
    first = db.session.scalar(sa.select(Notification).where(Notification.dedupe_key == "k1"))
    response = client.post(f"/notifications/{first.id}/read", data={"next": "/tpl/1"})
    assert response.headers["Location"].endswith("/tpl/1")
    assert 'text-bg-danger">1<' in client.get("/").get_data(as_text=True)
    client.post("/notifications/read-all")
    assert "text-bg-danger" not in client.get("/").get_data(as_text=True)


def test_one_cannot_mark_someone_elses_notification(client, db, world, login_as):
    rules.notify(world["facilitator2"].id, "month_approved", {"month": on(3, 1)}, "k3")
    db.session.commit()
    note = db.session.scalar(sa.select(Notification))
    login_as("facilitator")
    client.post(f"/notifications/{note.id}/read")
    db.session.expire_all()
    assert db.session.get(Notification, note.id).read_at is None


def test_stored_as_kind_parameters_and_target(db, world):
    assert _contract_ending(world["facilitator"].id) is True
    assert _contract_ending(world["facilitator"].id) is False  # same dedupe key: not again
    db.session.commit()
    (note,) = _notes(db)
    assert note.kind == "contract_ending"
    assert note.params == {"number": "KP/TPL/001", "name": "Rina Wati", "date": iso(12, 31), "place": "82.71"}
    assert (note.endpoint, note.endpoint_args) == ("facilitators.detail", {"facilitator_id": 1})


def test_wrong_parameters_are_refused(db, world):
    with pytest.raises(ValueError):
        rules.notify(world["facilitator"].id, "month_approved", {"name": "Rina"}, "k4")
    with pytest.raises(KeyError):
        rules.notify(world["facilitator"].id, "no_such_kind", {}, "k5")


def test_the_same_notification_in_each_readers_language(client, db, world, login_as):
    user = login_as("facilitator")
    _contract_ending(user.id, facilitator_id=world["tpl"].id)
    rules.notify(user.id, "month_approved", {"month": on(3, 1)}, "k2")
    db.session.commit()
    page = client.get("/notifications/").get_data(as_text=True)
    assert f"Kontrak KP/TPL/001 atas nama Rina Wati berakhir pada 31/12/{on(1, 1).year} (Kota Ternate)." in page
    assert f"Laporan bulanan Anda untuk Maret {on(1, 1).year} telah disetujui." in page
    client.post("/language", data={"lang": "en", "next": "/notifications/"})
    page = client.get("/notifications/").get_data(as_text=True)
    assert f"Contract KP/TPL/001 of Rina Wati ends on 31/12/{on(1, 1).year} (Kota Ternate)." in page
    assert f"Your monthly report for March {on(1, 1).year} has been approved." in page
    assert "berakhir" not in page


def test_the_link_is_built_by_url_for_when_shown(client, db, world, login_as):
    user = login_as("facilitator")
    _contract_ending(user.id, facilitator_id=world["tpl"].id)
    db.session.commit()
    assert f'value="/tpl/{world["tpl"].id}"' in client.get("/notifications/").get_data(as_text=True)
    # Served under a prefix, the same stored notification leads to the prefixed address.
    page = client.get("/notifications/", base_url="http://localhost/pantau").get_data(as_text=True)
    assert f'value="/pantau/tpl/{world["tpl"].id}"' in page


def test_rows_from_before_the_migration_show_as_stored(client, db, world, login_as):
    user = login_as("facilitator")
    db.session.add(
        Notification(
            user_id=user.id,
            kind=LEGACY,
            params={"message": "Kontrak lama akan berakhir.", "link": "/tpl/7", "kind": "contract_ending"},
            dedupe_key="old",
        )
    )
    db.session.commit()
    client.post("/language", data={"lang": "en"})
    page = client.get("/notifications/").get_data(as_text=True)
    assert "Kontrak lama akan berakhir." in page and 'value="/tpl/7"' in page


def _sample(show):
    """A stored value of the sort each parameter renderer reads."""
    return {as_text: "Rina Wati", as_count: 6, as_day: iso(12, 31), as_month: iso(3, 1), as_region: "82.71"}[show]


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_every_kind_renders_in_both_languages(app, kind):
    from flask_babel import force_locale

    shows = KINDS[kind].params
    note = Notification(kind=kind, params={name: _sample(show) for name, show in shows.items()})
    texts = {}
    with app.test_request_context():
        for language in ("id", "en"):
            with force_locale(language):
                texts[language] = notification_text(note)
                shown = [str(show(_sample(show))) for show in shows.values()]
            assert "%" not in texts[language]
            assert all(value in texts[language] for value in shown), (texts[language], shown)
    assert texts["id"] != texts["en"]


def test_the_chosen_language_is_remembered_for_the_user(client, db, world, login_as):
    user = login_as("facilitator")
    client.post("/language", data={"lang": "en"})
    db.session.expire_all()
    assert db.session.get(type(user), user.id).language == "en"
    with client.session_transaction() as session:
        session.pop("lang")  # another browser: the user's last choice applies
    assert 'lang="en"' in client.get("/").get_data(as_text=True)


def test_email_digest_over_smtp(app, db, world, monkeypatch):
    import socket
    from email import message_from_string
    from email.policy import default

    from aiosmtpd.controller import Controller

    class Inbox:
        def __init__(self):
            self.messages = []

        async def handle_DATA(self, server, session, envelope):
            self.messages.append((envelope.rcpt_tos, envelope.content.decode("utf-8", "replace")))
            return "250 OK"

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        assert email_digest(on(12, 1)) == 0  # no MAIL_SERVER: nothing sent
        monkeypatch.setitem(app.config, "MAIL_SERVER", "127.0.0.1")
        monkeypatch.setitem(app.config, "MAIL_PORT", port)
        world["facilitator"].language = "en"  # chose English in the app; the others never chose
        rules.contracts_ending(on(12, 1))
        assert email_digest(on(12, 1)) == 4  # one digest per user
        mails = {rcpts[0]: message_from_string(body, policy=default) for rcpts, body in inbox.messages}
        assert set(mails) == {
            world[name].email for name in ("facilitator", "supervisor", "facilitator2", "supervisor2")
        }
        english = mails[world["facilitator"].email]
        assert english["Subject"] == "TPL Tracker: 1 new notifications"
        assert "Contract KP/TPL" in english.get_content()
        assert f"ends on 31/12/{on(1, 1).year} (Kota Ternate)." in english.get_content()
        indonesian = mails[world["supervisor"].email]
        assert indonesian["Subject"] == "TPL Tracker: 1 pemberitahuan baru"
        assert f"berakhir pada 31/12/{on(1, 1).year} (Kota Ternate)." in indonesian.get_content()
        assert email_digest(on(12, 2)) == 0  # already emailed
        assert len(inbox.messages) == 4
    finally:
        controller.stop()


def test_no_activity_in_14_days(db, world):
    from tpl_tracker.models import Activity

    # world: tpl and tpl2 under contract since 1 January, no activity at all
    assert rules.inactive_facilitators(on(1, 10)) == 0  # contract younger than 14 days
    assert rules.inactive_facilitators(on(3, 1)) == 4  # both TPL and both supervisors
    assert rules.inactive_facilitators(on(3, 2)) == 0  # once per quiet spell
    db.session.add(
        Activity(
            facilitator_id=world["tpl"].id, date=on(3, 5), type="kunjungan", description="Kunjungan ke IKM", hours=2
        )
    )
    db.session.commit()
    assert rules.inactive_facilitators(on(3, 10)) == 0  # tpl is active; tpl2 already told
    added = rules.inactive_facilitators(on(3, 25))  # tpl quiet again since 5 March
    assert added == 2
    assert {n.kind for n in _notes(db)} == {"no_activity"}
