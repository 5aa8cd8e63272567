"""Engine tuning: SQLite as a web database next to a background scheduler; PostgreSQL without JIT."""

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.dialects import postgresql
from sqlalchemy.engine import Engine

from . import transactions


def configure_engine(engine: Engine, config) -> None:
    """On SQLite: WAL, a busy timeout, foreign keys ON; writing transactions begin immediately, reading ones not.

    On PostgreSQL: JIT compilation off for the app's connections.
    """
    if engine.dialect.name == "postgresql":
        _configure_postgresql(engine)
        return
    if engine.dialect.name != "sqlite":
        return
    busy_ms = int(config.get("SQLITE_BUSY_TIMEOUT_MS", 15000))

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):
        # Let SQLAlchemy emit BEGIN itself (pysqlite would otherwise defer it to the first write).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={busy_ms}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection):
        # A writing transaction takes the write lock at BEGIN, so concurrent writers wait (busy_timeout) instead
        # of failing with "database is locked" when a read transaction later tries to write. A reading one
        # (a GET, a dry run: transactions.may_write) takes no lock and reads its WAL snapshot meanwhile.
        connection.exec_driver_sql("BEGIN IMMEDIATE" if transactions.may_write() else "BEGIN")


def _configure_postgresql(engine: Engine) -> None:
    """`jit = off`, `random_page_cost = 1.1` and `plan_cache_mode = force_custom_plan` on every new connection
    (README, "Performance").

    The scope conditions make the planner overestimate rows, and JIT then compiled for half a second a statement;
    the app's statements are short, so JIT never pays for itself. A random page read costs about what a sequential
    one does on SSD storage, or when the tables are in memory: with PostgreSQL's default (4, made for spinning
    disks) the planner reads every mentorship of the country rather than those of a supervisor's TPL by index.
    psycopg prepares a statement run five times on a connection, and PostgreSQL may then plan it once for any
    values of its parameters (a generic plan): not knowing that few months are `submitted`, nor the LIMIT, it
    read a supervisor's review queue by walking two million monthly reports (150 ms instead of 8) and their month
    list by the name index (11 ms instead of 1). Each statement is planned for its values instead, as EXPLAIN
    shows it; planning costs a fraction of a millisecond a statement (1.7 ms for the roster's figures), one to two
    milliseconds a page.
    """

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):
        cursor = dbapi_connection.cursor()
        cursor.execute("SET jit = off")
        cursor.execute("SET random_page_cost = 1.1")
        cursor.execute("SET plan_cache_mode = force_custom_plan")
        cursor.close()
        dbapi_connection.commit()  # outside any transaction of the app: a later rollback keeps the setting


# Indexes that only migrations create, on PostgreSQL only (migration 0011: trigram indexes for the searches);
# the models do not declare them, so comparing the models with the database passes them over.
DATABASE_ONLY_INDEX_PREFIX = "ix_trgm_"


# Indexes on a CASE expression (migration 0015): PostgreSQL writes their expression back with casts
# (`status::text = 'issued'::text`), which Alembic reads as a change from the models' text. Both sides are left out
# of the comparison; tests/unit/test_list_order_indexes.py checks that the lists' plans use them.
CAST_EXPRESSION_INDEXES = {"ix_permits_status_on", "ix_outcome_surveys_queue"}


def compared_with_models(obj, name, type_, reflected, compare_to) -> bool:
    """Alembic's include_object: False for the database-only and cast-expression indexes, True for the rest."""
    if type_ != "index":
        return True
    if name in CAST_EXPRESSION_INDEXES:
        return False
    return not (reflected and (name or "").startswith(DATABASE_ONLY_INDEX_PREFIX))


def list_param(dialect: str, item_type, name: str | None = None, value=None) -> sa.BindParameter:
    """A bind parameter holding a list of values: one array on PostgreSQL, an expanding list elsewhere (SQLite).

    An `IN` with one placeholder per value (SQLAlchemy's expanding parameter) is rendered again at every run, and
    its text differs with the number of values, so psycopg parses it afresh and PostgreSQL prepares one statement
    per length; an array is one placeholder whatever the length (`= ANY(...)`, planned as the `IN`).
    """
    if dialect == "postgresql":
        return sa.bindparam(name, value, type_=postgresql.ARRAY(item_type))
    return sa.bindparam(name, value, type_=item_type, expanding=True)


def in_list(column, values: sa.BindParameter):
    """SQL condition: `column` is one of the values of a `list_param`."""
    if isinstance(values.type, postgresql.ARRAY):
        return column == sa.any_(values)
    return column.in_(values)


def one_of(column, values):
    """SQL condition: `column` is one of `values` (a list known now), as one `list_param` of the column's type."""
    from .extensions import db

    return in_list(column, list_param(db.session.get_bind().dialect.name, column.type, value=list(values)))


def distinct_values(column, *conditions) -> sa.Select:
    """A select of the distinct values (not null) of `column` among the rows meeting `conditions`, one after the
    other: each is the first one past the last found, in the order of an index that leads with the conditions'
    columns and then `column` (a loose index scan, a recursive CTE). It costs one index lookup per value found,
    where a SELECT DISTINCT reads every row of the conditions (a supervisor's 14,000 TPL of every year, for their
    forty regions)."""
    first = sa.select(column).where(*conditions, column.is_not(None)).order_by(column).limit(1)
    found = sa.select(first.scalar_subquery().label("value")).cte("found", recursive=True)
    following = sa.select(column).where(*conditions, column > found.c.value).order_by(column).limit(1)
    found = found.union_all(sa.select(following.scalar_subquery()).where(found.c.value.is_not(None)))
    return sa.select(found.c.value).where(found.c.value.is_not(None))
