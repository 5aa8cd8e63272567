"""Migration 0012: a business's stored yearly turnover becomes a monthly one (and back), each change audited."""

import pytest
import sqlalchemy as sa

from tpl_tracker.models import AuditEntry, Business

from ..conftest import load_migration


@pytest.fixture
def migration():
    """The migration module 0012."""
    return load_migration("0012_turnover_per_month.py")


def _business(db, name: str, turnover: int | None) -> Business:
    business = Business(
        name=name, normalized_name=name.lower(), owner_name="Ibu Ani", region_code="82.71", kbli="10792"
    )
    business.turnover = turnover
    db.session.add(business)
    db.session.flush()
    return business


def _turnovers(db, businesses) -> list[int | None]:
    db.session.expire_all()
    return [db.session.get(Business, b.id).turnover for b in businesses]


def test_the_head_is_0012_after_0011(migration):
    assert (migration.revision, migration.down_revision) == ("0012", "0011")


@pytest.mark.parametrize(("yearly", "monthly"), [(60_000_000, 5_000_000), (100, 8), (6, 1), (5, 0), (0, 0)])
def test_monthly_rounds_to_the_whole_rupiah_halves_up(migration, yearly, monthly):
    assert migration.monthly(yearly) == monthly


def test_upgrade_divides_by_12_and_downgrade_multiplies_back_on_this_database(db, world, migration):
    """Runs the migration's own statements on the test database (SQLite, or PostgreSQL in the PostgreSQL run)."""
    rows = [
        _business(db, "Sagu A", 60_000_000),
        _business(db, "Sagu B", 1_000_000_006),  # 83,333,333.83 a month: rounds up
        _business(db, "Sagu C", None),
        _business(db, "Sagu D", 10**15),
    ]
    connection = db.session.connection()
    audited = sa.select(sa.func.count()).select_from(AuditEntry).where(AuditEntry.entity_type == "businesses")
    before = db.session.scalar(audited)

    assert migration.convert_turnover(connection, to_monthly=True) == 3

    assert _turnovers(db, rows) == [5_000_000, 83_333_334, None, 83_333_333_333_333]
    entries = list(
        db.session.scalars(
            sa.select(AuditEntry).where(AuditEntry.entity_type == "businesses").order_by(AuditEntry.id).offset(before)
        )
    )
    assert [(e.entity_id, e.action, e.actor_id, e.before, e.after) for e in entries] == [
        (str(rows[0].id), "update", None, {"turnover": 60_000_000}, {"turnover": 5_000_000}),
        (str(rows[1].id), "update", None, {"turnover": 1_000_000_006}, {"turnover": 83_333_334}),
        (str(rows[3].id), "update", None, {"turnover": 10**15}, {"turnover": 83_333_333_333_333}),
    ]
    assert all("0012" in e.note for e in entries)

    assert migration.convert_turnover(db.session.connection(), to_monthly=False) == 3

    assert _turnovers(db, rows) == [60_000_000, 1_000_000_008, None, 999_999_999_999_996]
