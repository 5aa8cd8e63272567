"""One transaction per request: a use case that fails half-way writes nothing, its audit entries included.

Every route that writes (each POST row of the access table that succeeds for some role) is posted again with
the audit trail failing right after its first entry has been written: the request fails, and no table has
changed. A route that finishes without writing an audit entry must not have changed any table either.
"""

import pytest
import sqlalchemy as sa

from tpl_tracker.services import audit
from tpl_tracker.transactions import unit_of_work

from . import test_access
from .test_access import TABLE, _url

world = test_access.world  # the access table's world (its surveys included)

WRITES = sorted(
    {
        (endpoint, tuple(sorted(arguments.items())), tuple(sorted((data or {}).items())), role)
        for endpoint, method, arguments, data, expected in TABLE
        for role, status in expected.items()
        if method == "POST" and status == 302 and role != "anonymous"
    }
)


class AuditFailed(RuntimeError):
    """The simulated failure: the database went away after the first audit entry was written."""


# Rows of the access table whose form data changes nothing (the route answers 302 with a message), and marking
# notifications as read, which is not an audited change.
WRITES_NOTHING = {
    "activities.evidence_add",  # the row posts no file
    "admin.user_set_active",  # the row sets the state the account already has
    "notifications.read",
    "notifications.read_all",
    "outcomes.add_business",  # the row's survey is not verified yet
    "auth.login",  # a signed-in user is sent on
    "admin.invite_group",  # without SMTP (the tests' setting) a group invitation is refused with a message
    "admin.user_invite",  # likewise an emailed invitation
    # The rows post the record's own values: an unchanged save writes (and audits) nothing.
    "businesses.assessment_edit",
    "facilitators.edit",
    "facilitators.contract_edit",
    "outcomes.create",
    "outcomes.edit",
    "permits.edit",
}


def _database_contents(db) -> dict[str, list]:
    """Every row of every table the app writes (not the regions), to compare before and after a request."""
    return {
        table.name: sorted(map(repr, db.session.execute(sa.select(table)).all()))
        for table in db.metadata.sorted_tables
        if table.name != "regions"
    }


@pytest.mark.parametrize("endpoint,arguments,data,role", WRITES, ids=[f"{row[0]}-{row[3]}" for row in WRITES])
def test_a_use_case_failing_half_way_writes_nothing(
    app, client, login_as, db, monkeypatch, request, endpoint, arguments, data, role
):
    world = request.getfixturevalue("world")
    login_as(role)
    url = _url(app, world, endpoint, dict(arguments))
    db.session.commit()
    before = _database_contents(db)
    real_record = audit.record

    def record_then_fail(*args, **kwargs):
        real_record(*args, **kwargs)
        from tpl_tracker.extensions import db as session_db

        session_db.session.flush()  # the entry is really in the transaction when the failure comes
        raise AuditFailed("database went away")

    monkeypatch.setattr(audit, "record", record_then_fail)
    if endpoint in WRITES_NOTHING:
        client.post(url, data=dict(data))
    else:
        with pytest.raises(AuditFailed):
            client.post(url, data=dict(data))
    db.session.expire_all()
    assert _database_contents(db) == before


def test_unit_of_work_commits_or_rolls_back_everything(app, db, request):
    world = request.getfixturevalue("world")
    from tpl_tracker.models import AuditEntry

    db.session.commit()
    before = db.session.scalar(sa.select(sa.func.count()).select_from(AuditEntry))
    with pytest.raises(AuditFailed), unit_of_work():
        audit.record("test", actor=world["admin"], entity_type="route", note="first")
        db.session.flush()
        raise AuditFailed("half-way")
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditEntry)) == before
    with unit_of_work():
        audit.record("test", actor=world["admin"], entity_type="route", note="kept")
    db.session.rollback()  # nothing left to undo: the unit of work committed
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditEntry)) == before + 1
