"""Notification rules: who is told what, once; the bell and mark-as-read."""

import sqlalchemy as sa

from tpl_tracker.models import Business, Notification, OutcomeSurvey, PermitFacilitation
from tpl_tracker.services import notifications as rules

from ..clock import on
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


def test_bell_list_and_mark_as_read(client, db, world, login_as):
    user = login_as("facilitator")
    rules.notify(user.id, "contract_ending", "Kontrak berakhir", "/tpl/1", "k1")
    rules.notify(user.id, "tracer_due", "Survei jatuh tempo", None, "k2")
    db.session.commit()
    page = client.get("/").get_data(as_text=True)
    assert 'text-bg-danger">2<' in page
    assert "Kontrak berakhir" in client.get("/notifications/").get_data(as_text=True)
    first = db.session.scalar(sa.select(Notification).where(Notification.dedupe_key == "k1"))
    response = client.post(f"/notifications/{first.id}/read", data={"next": first.link})
    assert response.headers["Location"].endswith("/tpl/1")
    assert 'text-bg-danger">1<' in client.get("/").get_data(as_text=True)
    client.post("/notifications/read-all")
    assert "text-bg-danger" not in client.get("/").get_data(as_text=True)


def test_one_cannot_mark_someone_elses_notification(client, db, world, login_as):
    rules.notify(world["facilitator2"].id, "x", "Pesan", None, "k3")
    db.session.commit()
    note = db.session.scalar(sa.select(Notification))
    login_as("facilitator")
    client.post(f"/notifications/{note.id}/read")
    db.session.expire_all()
    assert db.session.get(Notification, note.id).read_at is None


def test_email_digest_over_smtp(app, db, world, monkeypatch):
    import socket

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
        assert rules.send_email_digests(on(12, 1)) == 0  # no MAIL_SERVER: nothing sent
        monkeypatch.setitem(app.config, "MAIL_SERVER", "127.0.0.1")
        monkeypatch.setitem(app.config, "MAIL_PORT", port)
        rules.contracts_ending(on(12, 1))
        assert rules.send_email_digests(on(12, 1)) == 4  # one digest per user
        recipients = sorted(r for rcpts, _body in inbox.messages for r in rcpts)
        assert world["facilitator"].email in recipients
        assert any("KP/TPL" in body for _rcpts, body in inbox.messages)
        assert rules.send_email_digests(on(12, 2)) == 0  # already emailed
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
