"""Each stored roster flag row keeps its TPL's supervisor and region, kept by the database (issue 10, question Q3).

A supervisor's roster filtered by a flag, and the TPL needing attention on their home page, found their TPL under
contract this month first (the province's TPL of every year, alumni included, against the month's contracts: 17 of
the home page's 50 ms of SQL at 100,000 TPL), and then kept those whose row of today has a flag raised. With the
TPL's supervisor and region on the row, the rows with a flag raised are read for the supervisor's scope from two
small indexes first, and only those TPL are checked against the roster's other conditions.

The two columns are copies, never written by the app: triggers fill them when a row is inserted (a direct write is
undone) and follow a TPL's change of supervisor or region, as migration 0021 does for the mentorships. On SQLite, a
later migration that rebuilds `roster_flags` or `facilitators` (a batch "move and copy") drops their triggers and
must create them again; tests/unit/test_roster_flags.py fails if they are missing.

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-04 01:15:00.000000

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0022"
down_revision = "0021"
branch_labels = None
depends_on = None

COPIED = "supervisor_id, region_code"
FOLLOW = "UPDATE roster_flags SET supervisor_id = NEW.supervisor_id, region_code = NEW.region_code "
FOLLOW += "WHERE facilitator_id = NEW.id;"
POSTGRESQL = [
    """
    CREATE FUNCTION roster_flag_scope() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        SELECT supervisor_id, region_code INTO NEW.supervisor_id, NEW.region_code
        FROM facilitators WHERE id = NEW.facilitator_id;
        RETURN NEW;
    END $$
    """,
    f"""
    CREATE TRIGGER roster_flag_scope BEFORE INSERT OR UPDATE OF facilitator_id, {COPIED} ON roster_flags
    FOR EACH ROW EXECUTE FUNCTION roster_flag_scope()
    """,
    f"""
    CREATE FUNCTION facilitator_scope_to_roster_flags() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN {FOLLOW} RETURN NULL; END $$
    """,
    f"""
    CREATE TRIGGER facilitator_scope_to_roster_flags AFTER UPDATE OF {COPIED} ON facilitators
    FOR EACH ROW WHEN (OLD.supervisor_id IS DISTINCT FROM NEW.supervisor_id
                       OR OLD.region_code IS DISTINCT FROM NEW.region_code)
    EXECUTE FUNCTION facilitator_scope_to_roster_flags()
    """,
]
# SQLite's triggers cannot assign NEW: the row is completed right after it is written (recursive triggers are off,
# so these updates fire nothing further).
SQLITE_COMPLETE_ROW = """
    UPDATE roster_flags SET
        supervisor_id = (SELECT supervisor_id FROM facilitators WHERE id = NEW.facilitator_id),
        region_code = (SELECT region_code FROM facilitators WHERE id = NEW.facilitator_id)
    WHERE facilitator_id = NEW.facilitator_id;
"""
SQLITE = [
    f"CREATE TRIGGER roster_flag_scope_insert AFTER INSERT ON roster_flags BEGIN {SQLITE_COMPLETE_ROW} END",
    f"""
    CREATE TRIGGER roster_flag_scope_update AFTER UPDATE OF facilitator_id, {COPIED} ON roster_flags
    BEGIN {SQLITE_COMPLETE_ROW} END
    """,
    f"""
    CREATE TRIGGER facilitator_scope_to_roster_flags AFTER UPDATE OF {COPIED} ON facilitators
    WHEN OLD.supervisor_id IS NOT NEW.supervisor_id OR OLD.region_code IS NOT NEW.region_code
    BEGIN {FOLLOW} END
    """,
]


def upgrade():
    with op.batch_alter_table("roster_flags") as batch:
        batch.add_column(sa.Column("supervisor_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("region_code", sa.String(13), nullable=True))
    op.execute(
        """
        UPDATE roster_flags SET
            supervisor_id = (SELECT supervisor_id FROM facilitators WHERE id = roster_flags.facilitator_id),
            region_code = (SELECT region_code FROM facilitators WHERE id = roster_flags.facilitator_id)
        """
    )
    for statement in POSTGRESQL if op.get_bind().dialect.name == "postgresql" else SQLITE:
        op.execute(statement)
    op.create_index("ix_roster_flags_supervisor_id", "roster_flags", ["supervisor_id"])
    op.create_index("ix_roster_flags_region_code", "roster_flags", ["region_code"])


def downgrade():
    op.drop_index("ix_roster_flags_region_code", table_name="roster_flags")
    op.drop_index("ix_roster_flags_supervisor_id", table_name="roster_flags")
    if op.get_bind().dialect.name == "postgresql":
        for name, table in [("roster_flag_scope", "roster_flags"), ("facilitator_scope_to_roster_flags", "facilitators")]:
            op.execute(f"DROP TRIGGER {name} ON {table}")
            op.execute(f"DROP FUNCTION {name}()")
    else:
        for name in ["roster_flag_scope_insert", "roster_flag_scope_update", "facilitator_scope_to_roster_flags"]:
            op.execute(f"DROP TRIGGER {name}")
    with op.batch_alter_table("roster_flags") as batch:
        batch.drop_column("region_code")
        batch.drop_column("supervisor_id")
