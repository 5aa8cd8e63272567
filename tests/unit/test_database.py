"""The schema: migrations agree with the models; SQLite is set up for a web app with a scheduler."""

import threading
import time
import warnings

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from tpl_tracker.database import compared_with_models
from tpl_tracker.models import AuditEntry, Region


@pytest.mark.real_commits
def test_migrations_match_the_models(db):
    """Autogenerate finds no difference between the migrated database and the models."""
    with db.engine.connect() as connection, warnings.catch_warnings():
        # SQLite's indexes on an expression (ix_contracts_last, and the list orders of migration 0015) cannot be
        # reflected: SQLAlchemy and Alembic say so and leave them out of the comparison. PostgreSQL compares them.
        expressions = ["ix_contracts_last", "ix_contracts_current", "ix_permits_status_on", "ix_outcome_surveys_queue"]
        expressions += ["ix_contracts_supervisor_current", "ix_contracts_region_current"]  # migration 0023
        for index in expressions:
            warnings.filterwarnings("ignore", message=rf".*expression-based index '?{index}\b")
        opts = {"compare_type": True, "include_object": compared_with_models}
        context = MigrationContext.configure(connection, opts=opts)
        differences = compare_metadata(context, db.metadata)
    assert differences == []


def test_regions_are_loaded_by_the_migration(db):
    assert db.session.get(Region, "82").name == "Maluku Utara"
    assert db.session.get(Region, "82.71").name == "Kota Ternate"
    assert db.session.get(Region, "82.71").parent_code == "82"
    counts = dict(db.session.execute(sa.select(Region.level, sa.func.count()).group_by(Region.level)).all())
    assert counts[1] == 38
    assert counts[2] > 500


@pytest.fixture
def sqlite_only(db):
    if db.engine.dialect.name != "sqlite":
        pytest.skip("SQLite settings")


@pytest.mark.real_commits
def test_sqlite_pragmas(db, sqlite_only):
    with db.engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert connection.exec_driver_sql("PRAGMA busy_timeout").scalar() >= 5000


def test_foreign_keys_are_enforced(db):
    db.session.add(AuditEntry(action="x", actor_id=999999))
    with pytest.raises(sa.exc.IntegrityError):
        db.session.commit()
    db.session.rollback()


@pytest.mark.real_commits
def test_concurrent_read_then_write_transactions_wait_instead_of_failing(db, sqlite_only):
    """Two transactions that read and then write at the same time both succeed (BEGIN IMMEDIATE)."""
    errors, engine = [], db.engine

    def read_then_write(name):
        try:
            with engine.begin() as connection:
                connection.execute(sa.select(sa.func.count()).select_from(AuditEntry.__table__))
                time.sleep(0.3)
                connection.execute(AuditEntry.__table__.insert().values(action=name, at=sa.func.now()))
        except Exception as error:
            errors.append(error)

    threads = [threading.Thread(target=read_then_write, args=(f"writer{i}",)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    actions = set(db.session.scalars(sa.select(AuditEntry.action)))
    assert {"writer0", "writer1"} <= actions


def test_one_of_is_one_parameter_whatever_the_number_of_values(db):
    """`one_of` selects the rows whose column holds one of the values; on PostgreSQL the values are one array
    parameter, so that the statement's text is the same for 1 and 3 values (SQLAlchemy and psycopg cache it)."""
    from tpl_tracker.database import one_of

    def codes(values):
        query = sa.select(Region.code).where(one_of(Region.code, values)).order_by(Region.code)
        return list(db.session.scalars(query)), str(query.compile(dialect=db.engine.dialect))

    one, one_text = codes(["82.71"])
    three, three_text = codes(["82", "82.71", "99.99"])
    assert one == ["82.71"] and three == ["82", "82.71"]
    assert codes([])[0] == []
    if db.engine.dialect.name == "postgresql":
        assert one_text == three_text and "= ANY" in one_text


def test_distinct_values_are_those_of_a_select_distinct_read_one_by_one(db):
    """`distinct_values` (a loose index scan) finds each value once, in order, and leaves out the empty ones."""
    import random

    from tpl_tracker.database import distinct_values
    from tpl_tracker.models import Facilitator

    from ..factories import FacilitatorFactory, UserFactory

    rng = random.Random(7)
    supervisors = [UserFactory(role="supervisor") for _ in range(3)]
    regions = ["82.71", "82.72", "73.71", "11.71", None]
    for _ in range(40):
        FacilitatorFactory(supervisor=rng.choice(supervisors[:2]), region_code=rng.choice(regions))
    db.session.flush()

    for supervisor in supervisors:
        mine = Facilitator.supervisor_id == supervisor.id
        every = sa.select(Facilitator.region_code).where(mine, Facilitator.region_code.is_not(None)).distinct()
        found = list(db.session.scalars(distinct_values(Facilitator.region_code, mine)))
        assert found == sorted(db.session.scalars(every))
    assert len(found) == 0 and len(set(db.session.scalars(distinct_values(Facilitator.region_code)))) == 4
