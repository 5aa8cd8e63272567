"""Each monthly report keeps its TPL's supervisor and region, kept by the database (issue 10, question Q3 step 3).

A supervisor's review queue (its page and the head of it on their home page) read every submitted month of the country
(3,223 at 100,000 TPL) against the province's TPL of every year, alumni included (7,279): 10 of the home page's 25 ms
of SQL. With the TPL's supervisor and region on the month, the submitted months of a supervisor's scope are read from
two partial indexes of the submitted months by supervisor or region and submission time.

The two columns are copies, never written by the app: triggers fill them when a month is inserted (a direct write is
undone) and follow a TPL's change of supervisor or region, as migrations 0021 to 0023 do. On SQLite, a later
migration that rebuilds `monthly_reports` or `facilitators` (a batch "move and copy") drops their triggers and must
create them again; tests/unit/test_contract_scope.py fails if they are missing.

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-04 03:45:00.000000

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0024"
down_revision = "0023"
branch_labels = None
depends_on = None

COPIED = "supervisor_id, region_code"
FOLLOW = "UPDATE monthly_reports SET supervisor_id = NEW.supervisor_id, region_code = NEW.region_code "
FOLLOW += "WHERE facilitator_id = NEW.id;"
POSTGRESQL = [
    """
    CREATE FUNCTION month_scope() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        SELECT supervisor_id, region_code INTO NEW.supervisor_id, NEW.region_code
        FROM facilitators WHERE id = NEW.facilitator_id;
        RETURN NEW;
    END $$
    """,
    f"""
    CREATE TRIGGER month_scope BEFORE INSERT OR UPDATE OF facilitator_id, {COPIED} ON monthly_reports
    FOR EACH ROW EXECUTE FUNCTION month_scope()
    """,
    f"""
    CREATE FUNCTION facilitator_scope_to_months() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN {FOLLOW} RETURN NULL; END $$
    """,
    f"""
    CREATE TRIGGER facilitator_scope_to_months AFTER UPDATE OF {COPIED} ON facilitators
    FOR EACH ROW WHEN (OLD.supervisor_id IS DISTINCT FROM NEW.supervisor_id
                       OR OLD.region_code IS DISTINCT FROM NEW.region_code)
    EXECUTE FUNCTION facilitator_scope_to_months()
    """,
]
# SQLite's triggers cannot assign NEW: the row is completed right after it is written (recursive triggers are off,
# so these updates fire nothing further).
SQLITE_COMPLETE_ROW = """
    UPDATE monthly_reports SET
        supervisor_id = (SELECT supervisor_id FROM facilitators WHERE id = NEW.facilitator_id),
        region_code = (SELECT region_code FROM facilitators WHERE id = NEW.facilitator_id)
    WHERE id = NEW.id;
"""
SQLITE = [
    f"CREATE TRIGGER month_scope_insert AFTER INSERT ON monthly_reports BEGIN {SQLITE_COMPLETE_ROW} END",
    f"""
    CREATE TRIGGER month_scope_update AFTER UPDATE OF facilitator_id, {COPIED} ON monthly_reports
    BEGIN {SQLITE_COMPLETE_ROW} END
    """,
    f"""
    CREATE TRIGGER facilitator_scope_to_months AFTER UPDATE OF {COPIED} ON facilitators
    WHEN OLD.supervisor_id IS NOT NEW.supervisor_id OR OLD.region_code IS NOT NEW.region_code
    BEGIN {FOLLOW} END
    """,
]


def upgrade():
    op.add_column("monthly_reports", sa.Column("supervisor_id", sa.Integer(), nullable=True))
    op.add_column("monthly_reports", sa.Column("region_code", sa.String(13), nullable=True))
    op.execute(
        """
        UPDATE monthly_reports SET
            supervisor_id = (SELECT supervisor_id FROM facilitators WHERE id = monthly_reports.facilitator_id),
            region_code = (SELECT region_code FROM facilitators WHERE id = monthly_reports.facilitator_id)
        """
    )
    for statement in POSTGRESQL if op.get_bind().dialect.name == "postgresql" else SQLITE:
        op.execute(statement)
    submitted = sa.text("status = 'submitted'")
    op.create_index(
        "ix_monthly_reports_supervisor_submitted",
        "monthly_reports",
        ["supervisor_id", "submitted_at", "id"],
        postgresql_where=submitted,
        sqlite_where=submitted,
    )
    op.create_index(
        "ix_monthly_reports_region_submitted",
        "monthly_reports",
        ["region_code", "submitted_at", "id"],
        postgresql_where=submitted,
        sqlite_where=submitted,
    )


def downgrade():
    op.drop_index("ix_monthly_reports_region_submitted", table_name="monthly_reports")
    op.drop_index("ix_monthly_reports_supervisor_submitted", table_name="monthly_reports")
    if op.get_bind().dialect.name == "postgresql":
        for name, table in [("month_scope", "monthly_reports"), ("facilitator_scope_to_months", "facilitators")]:
            op.execute(f"DROP TRIGGER {name} ON {table}")
            op.execute(f"DROP FUNCTION {name}()")
    else:
        for name in ["month_scope_insert", "month_scope_update", "facilitator_scope_to_months"]:
            op.execute(f"DROP TRIGGER {name}")
    # Not a batch (a rebuild of the table on SQLite): SQLite drops a column that no index names in place.
    op.execute("ALTER TABLE monthly_reports DROP COLUMN region_code")
    op.execute("ALTER TABLE monthly_reports DROP COLUMN supervisor_id")
