"""The importer's overlapped writes (`services/bulk.py`, `overlapped_writes`).

On PostgreSQL the bulk writers' COPYs are sent by a thread of their own while the caller prepares the next batch:
whatever the caller runs next sees them, in the order they were written, a failed COPY is raised to the caller,
and nothing is left half-written. On SQLite nothing changes (the same assertions hold, written in the caller's
thread).
"""

import threading
from dataclasses import replace
from datetime import date

import pytest
import sqlalchemy as sa

from tpl_tracker.models import AuditEntry, Contract, Facilitator
from tpl_tracker.services import bulk
from tpl_tracker.services.facilitators import FacilitatorData, check_facilitator_values
from tpl_tracker.transactions import unit_of_work

from ..factories import UserFactory, make_nik

BIRTH = date(2000, 5, 17)
BASE = FacilitatorData(
    nik=make_nik("827101", BIRTH, "L", 1),
    full_name="Rahmat Hidayat",
    gender="L",
    birth_date=BIRTH,
    angkatan=2022,
    polytechnic="STMI Jakarta",
    phone=None,
    email=None,
)
MANY = bulk.BATCH_SIZE * 2 + 500  # three batches of each table, more than the writer's queue holds at once


def _tpl_rows(count: int, first_serial: int = 1) -> list[dict]:
    return [
        check_facilitator_values(
            replace(BASE, nik=make_nik("827101", BIRTH, "L", first_serial + n), full_name=f"TPL {n}")
        )
        for n in range(count)
    ]


def _count(db, model, *where) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model).where(*where))


@pytest.fixture
def admin(db):
    return UserFactory(email="admin@example.id", role="admin")


@pytest.fixture
def copy_threads(monkeypatch) -> list[str]:
    """The names of the threads that sent each COPY."""
    names: list[str] = []
    send = bulk._copy

    def recorded(*arguments):
        names.append(threading.current_thread().name)
        return send(*arguments)

    monkeypatch.setattr(bulk, "_copy", recorded)
    return names


def _writer_threads() -> list[threading.Thread]:
    return [thread for thread in threading.enumerate() if thread.name == "bulk-writer"]


def test_what_follows_the_queued_copies_sees_them_in_order(db, admin, copy_threads):
    with bulk.overlapped_writes():
        ids = bulk.insert_many(Facilitator, _tpl_rows(MANY), admin, "facilitator_created", "Bulk import")
        # A statement of the caller waits for the COPYs queued before it.
        assert _count(db, Facilitator, Facilitator.id.in_(ids)) == MANY
        contracts = [
            {
                "facilitator_id": tpl_id,
                "number": f"KTR-{n}",
                "start_date": date(2025, 1, 2),
                "end_date": date(2025, 12, 31),
                "placement_code": "82.71",
            }
            for n, tpl_id in enumerate(ids)
        ]
        # Their foreign keys need the TPL written first: the COPYs go in the order given.
        contract_ids = bulk.insert_many(Contract, contracts, admin, "contract_created", "Bulk import")

    names = dict(
        db.session.execute(sa.select(Facilitator.id, Facilitator.full_name).where(Facilitator.id.in_(ids))).all()
    )
    assert [names[tpl_id] for tpl_id in ids] == [f"TPL {n}" for n in range(MANY)]
    owners = dict(
        db.session.execute(sa.select(Contract.id, Contract.facilitator_id).where(Contract.id.in_(contract_ids))).all()
    )
    assert [owners[contract_id] for contract_id in contract_ids] == ids
    audited = db.session.scalars(sa.select(AuditEntry.entity_id).where(AuditEntry.action == "facilitator_created"))
    assert sorted(int(entity_id) for entity_id in audited) == sorted(ids)
    assert _count(db, AuditEntry, AuditEntry.action == "contract_created") == MANY
    # Three batches of TPL and of contracts, each with its audit entries, as one COPY each.
    if db.engine.dialect.name == "postgresql":
        assert copy_threads == ["bulk-writer"] * 12
    else:
        assert copy_threads == []  # SQLite: executemany in the caller's thread
    assert not _writer_threads() and bulk._writer.get() is None


def test_a_failed_copy_is_raised_to_the_caller_and_nothing_is_written(db, admin):
    db.session.add(Facilitator(**_tpl_rows(1, first_serial=MANY)[0]))
    db.session.commit()
    before = (_count(db, Facilitator), _count(db, AuditEntry))
    rows = _tpl_rows(MANY)  # the last row has the stored TPL's NIK: its batch fails, after two good ones

    with pytest.raises(sa.exc.IntegrityError), unit_of_work(), bulk.overlapped_writes():
        bulk.insert_many(Facilitator, rows, admin, "facilitator_created", "Bulk import")
        db.session.scalar(sa.select(sa.literal(1)))  # the next statement raises it (SQLite: the insert did)
        pytest.fail("the failed COPY was not raised")

    assert (_count(db, Facilitator), _count(db, AuditEntry)) == before
    assert not _writer_threads() and bulk._writer.get() is None


def test_a_failure_of_the_caller_drops_the_queued_copies_and_frees_the_connection(db, admin):
    before = (_count(db, Facilitator), _count(db, AuditEntry))

    with pytest.raises(RuntimeError, match="stop"), bulk.overlapped_writes():
        bulk.insert_many(Facilitator, _tpl_rows(MANY), admin, "facilitator_created", "Bulk import")
        raise RuntimeError("stop")

    assert not _writer_threads() and bulk._writer.get() is None
    db.session.rollback()  # the connection is free again: the thread has finished
    assert (_count(db, Facilitator), _count(db, AuditEntry)) == before
