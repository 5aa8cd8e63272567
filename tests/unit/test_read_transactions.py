"""SQLite without lock-ups (hardening issue, item 11): reading transactions take no write lock, writing ones take it
at BEGIN; a request declares which it is before its first query."""

import pytest
import sqlalchemy as sa

from tpl_tracker import transactions
from tpl_tracker.database import configure_engine
from tpl_tracker.models import AuditEntry


@pytest.fixture
def sqlite_file(db):
    if db.engine.dialect.name != "sqlite":
        pytest.skip("SQLite's locking")
    return db.engine.url


@pytest.mark.real_commits
def test_a_reading_transaction_reads_while_a_job_holds_the_write_lock(sqlite_file):
    """A job writes (and holds SQLite's write lock); a page's reading transaction still reads at once, and a
    writing transaction waits for the lock (here: gives up after a short busy timeout)."""
    engine = sa.create_engine(sqlite_file)
    configure_engine(engine, {"SQLITE_BUSY_TIMEOUT_MS": 200})
    table = AuditEntry.__table__
    try:
        with engine.connect() as job:
            job_transaction = job.begin()  # BEGIN IMMEDIATE: the default intent writes
            job.execute(table.insert().values(action="job_work", at=sa.func.now()))

            token = transactions._may_write.set(False)
            try:
                with engine.connect() as page, page.begin():
                    assert page.execute(sa.select(sa.func.count()).select_from(table)).scalar() >= 0
            finally:
                transactions._may_write.reset(token)

            with pytest.raises(sa.exc.OperationalError, match="locked"), engine.connect() as writer, writer.begin():
                writer.execute(sa.select(1))
            job_transaction.rollback()
    finally:
        engine.dispose()


def _intent(app, path: str, method: str = "GET", **kwargs) -> bool:
    with app.test_request_context(path, method=method, **kwargs):
        app.preprocess_request()
        return transactions.may_write()


def test_a_request_declares_whether_it_writes_before_its_first_query(app, db):
    assert _intent(app, "/ikm/") is False
    assert _intent(app, "/auth/login", "POST", data={"email": "x@example.id"}) is True
    assert _intent(app, "/admin/import/", "POST", data={"dry_run": "y"}) is False  # a dry run writes nothing
    assert _intent(app, "/admin/import/", "POST", data={}) is True
    assert transactions.may_write() is True  # outside requests (commands, jobs) transactions write


def test_a_refusal_on_a_reading_page_is_still_audited_in_a_writing_transaction(app, client, login_as, world, db):
    from tpl_tracker.services import audit

    seen = []
    original = audit.record_access_denied

    def recording(user, path):
        seen.append(transactions.may_write())
        return original(user, path)

    login_as("facilitator")
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(audit, "record_access_denied", recording)
        assert client.get("/admin/users").status_code == 403
    assert seen == [True]
    assert db.session.scalar(
        sa.select(sa.func.count()).select_from(AuditEntry).where(AuditEntry.action == "access_denied")
    )
