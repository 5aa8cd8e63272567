"""Each activity and permit keeps its TPL's supervisor and region, kept by the database (issue 10, Q3 step 3).

A supervisor's activity and permit lists counted their rows against the province's TPL of every year, alumni
included (7,279 at 100,000 TPL): a hash of every TPL id, 11 ms of each page's 20 ms of SQL, growing with the years of
the programme. With the TPL's supervisor and region on the activity and the permit, a supervisor's rows are read by
those copies: an activity list from two indexes by supervisor or region and date, a permit list from two indexes by
supervisor or region.

The two columns are copies, never written by the app: triggers fill them when a row is inserted (a direct write is
undone) and follow a TPL's change of supervisor or region, as migrations 0021 to 0024 do. On SQLite, a later
migration that rebuilds `activities`, `permits` or `facilitators` (a batch "move and copy") drops their triggers and
must create them again; tests/unit/test_work_scope.py fails if they are missing.

Revision ID: 0025
Revises: 0024
Create Date: 2026-12-04 07:00:00.000000

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0025"
down_revision = "0024"
branch_labels = None
depends_on = None

COPIED = "supervisor_id, region_code"
TABLES = {"activities": "activity", "permits": "permit"}  # table: the name of its triggers' "<name>_scope"


def _postgresql(table: str, name: str) -> list[str]:
    return [
        f"""
        CREATE FUNCTION {name}_scope() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            SELECT supervisor_id, region_code INTO NEW.supervisor_id, NEW.region_code
            FROM facilitators WHERE id = NEW.facilitator_id;
            RETURN NEW;
        END $$
        """,
        f"""
        CREATE TRIGGER {name}_scope BEFORE INSERT OR UPDATE OF facilitator_id, {COPIED} ON {table}
        FOR EACH ROW EXECUTE FUNCTION {name}_scope()
        """,
        f"""
        CREATE FUNCTION facilitator_scope_to_{table}() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            UPDATE {table} SET supervisor_id = NEW.supervisor_id, region_code = NEW.region_code
            WHERE facilitator_id = NEW.id;
            RETURN NULL;
        END $$
        """,
        f"""
        CREATE TRIGGER facilitator_scope_to_{table} AFTER UPDATE OF {COPIED} ON facilitators
        FOR EACH ROW WHEN (OLD.supervisor_id IS DISTINCT FROM NEW.supervisor_id
                           OR OLD.region_code IS DISTINCT FROM NEW.region_code)
        EXECUTE FUNCTION facilitator_scope_to_{table}()
        """,
    ]


def _sqlite(table: str, name: str) -> list[str]:
    # SQLite's triggers cannot assign NEW: the row is completed right after it is written (recursive triggers are
    # off, so these updates fire nothing further).
    complete_row = f"""
        UPDATE {table} SET
            supervisor_id = (SELECT supervisor_id FROM facilitators WHERE id = NEW.facilitator_id),
            region_code = (SELECT region_code FROM facilitators WHERE id = NEW.facilitator_id)
        WHERE id = NEW.id;
    """
    return [
        f"CREATE TRIGGER {name}_scope_insert AFTER INSERT ON {table} BEGIN {complete_row} END",
        f"""
        CREATE TRIGGER {name}_scope_update AFTER UPDATE OF facilitator_id, {COPIED} ON {table}
        BEGIN {complete_row} END
        """,
        f"""
        CREATE TRIGGER facilitator_scope_to_{table} AFTER UPDATE OF {COPIED} ON facilitators
        WHEN OLD.supervisor_id IS NOT NEW.supervisor_id OR OLD.region_code IS NOT NEW.region_code
        BEGIN
            UPDATE {table} SET supervisor_id = NEW.supervisor_id, region_code = NEW.region_code
            WHERE facilitator_id = NEW.id;
        END
        """,
    ]


def upgrade():
    postgresql = op.get_bind().dialect.name == "postgresql"
    for table, name in TABLES.items():
        op.add_column(table, sa.Column("supervisor_id", sa.Integer(), nullable=True))
        op.add_column(table, sa.Column("region_code", sa.String(13), nullable=True))
        if postgresql:
            op.execute(
                f"""
                UPDATE {table} SET supervisor_id = facilitators.supervisor_id, region_code = facilitators.region_code
                FROM facilitators WHERE facilitators.id = {table}.facilitator_id
                """
            )
        else:
            op.execute(
                f"""
                UPDATE {table} SET
                    supervisor_id = (SELECT supervisor_id FROM facilitators WHERE id = {table}.facilitator_id),
                    region_code = (SELECT region_code FROM facilitators WHERE id = {table}.facilitator_id)
                """
            )
        for statement in _postgresql(table, name) if postgresql else _sqlite(table, name):
            op.execute(statement)
    op.create_index("ix_activities_supervisor_date", "activities", ["supervisor_id", "date", "id"])
    op.create_index("ix_activities_region_date", "activities", ["region_code", "date", "id"])
    op.create_index("ix_permits_supervisor_id", "permits", ["supervisor_id"])
    op.create_index("ix_permits_region_code", "permits", ["region_code"])


def downgrade():
    op.drop_index("ix_permits_region_code", table_name="permits")
    op.drop_index("ix_permits_supervisor_id", table_name="permits")
    op.drop_index("ix_activities_region_date", table_name="activities")
    op.drop_index("ix_activities_supervisor_date", table_name="activities")
    postgresql = op.get_bind().dialect.name == "postgresql"
    for table, name in TABLES.items():
        if postgresql:
            for trigger, on in [(f"{name}_scope", table), (f"facilitator_scope_to_{table}", "facilitators")]:
                op.execute(f"DROP TRIGGER {trigger} ON {on}")
                op.execute(f"DROP FUNCTION {trigger}()")
        else:
            for trigger in [f"{name}_scope_insert", f"{name}_scope_update", f"facilitator_scope_to_{table}"]:
                op.execute(f"DROP TRIGGER {trigger}")
        # Not a batch (a rebuild of the table on SQLite, losing the triggers): SQLite drops a column that no index
        # names in place.
        op.execute(f"ALTER TABLE {table} DROP COLUMN region_code")
        op.execute(f"ALTER TABLE {table} DROP COLUMN supervisor_id")
