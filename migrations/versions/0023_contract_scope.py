"""Each contract keeps its TPL's supervisor and region, kept by the database (issue 10, question Q3 step 3).

A supervisor's roster, home page (the TPL with a flag raised, the contracts ending within 30 days) found their TPL
under contract first by reading the province's TPL of every year, alumni included (7,279 at 100,000 TPL), against the
contracts running this month (8,220 nationally). With the TPL's supervisor and region on the contract, the running
contracts of a supervisor's scope are read from two indexes by supervisor or region and effective end, whose ranges
hold the scope's current contracts only.

The two columns are copies, never written by the app: triggers fill them when a contract is inserted (a direct write
is undone) and follow a TPL's change of supervisor or region, as migrations 0021 and 0022 do. On SQLite, a later
migration that rebuilds `contracts` or `facilitators` (a batch "move and copy") drops their triggers and must create
them again; tests/unit/test_contract_scope.py fails if they are missing.

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-04 03:30:00.000000

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0023"
down_revision = "0022"
branch_labels = None
depends_on = None

COPIED = "supervisor_id, region_code"
EFFECTIVE_END = "coalesce(terminated_on, end_date)"  # Contract.effective_end, as ix_contracts_current spells it
FOLLOW = "UPDATE contracts SET supervisor_id = NEW.supervisor_id, region_code = NEW.region_code "
FOLLOW += "WHERE facilitator_id = NEW.id;"
POSTGRESQL = [
    """
    CREATE FUNCTION contract_scope() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        SELECT supervisor_id, region_code INTO NEW.supervisor_id, NEW.region_code
        FROM facilitators WHERE id = NEW.facilitator_id;
        RETURN NEW;
    END $$
    """,
    f"""
    CREATE TRIGGER contract_scope BEFORE INSERT OR UPDATE OF facilitator_id, {COPIED} ON contracts
    FOR EACH ROW EXECUTE FUNCTION contract_scope()
    """,
    f"""
    CREATE FUNCTION facilitator_scope_to_contracts() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN {FOLLOW} RETURN NULL; END $$
    """,
    f"""
    CREATE TRIGGER facilitator_scope_to_contracts AFTER UPDATE OF {COPIED} ON facilitators
    FOR EACH ROW WHEN (OLD.supervisor_id IS DISTINCT FROM NEW.supervisor_id
                       OR OLD.region_code IS DISTINCT FROM NEW.region_code)
    EXECUTE FUNCTION facilitator_scope_to_contracts()
    """,
]
# SQLite's triggers cannot assign NEW: the row is completed right after it is written (recursive triggers are off,
# so these updates fire nothing further).
SQLITE_COMPLETE_ROW = """
    UPDATE contracts SET
        supervisor_id = (SELECT supervisor_id FROM facilitators WHERE id = NEW.facilitator_id),
        region_code = (SELECT region_code FROM facilitators WHERE id = NEW.facilitator_id)
    WHERE id = NEW.id;
"""
SQLITE = [
    f"CREATE TRIGGER contract_scope_insert AFTER INSERT ON contracts BEGIN {SQLITE_COMPLETE_ROW} END",
    f"""
    CREATE TRIGGER contract_scope_update AFTER UPDATE OF facilitator_id, {COPIED} ON contracts
    BEGIN {SQLITE_COMPLETE_ROW} END
    """,
    f"""
    CREATE TRIGGER facilitator_scope_to_contracts AFTER UPDATE OF {COPIED} ON facilitators
    WHEN OLD.supervisor_id IS NOT NEW.supervisor_id OR OLD.region_code IS NOT NEW.region_code
    BEGIN {FOLLOW} END
    """,
]


def upgrade():
    op.add_column("contracts", sa.Column("supervisor_id", sa.Integer(), nullable=True))
    op.add_column("contracts", sa.Column("region_code", sa.String(13), nullable=True))
    op.execute(
        """
        UPDATE contracts SET
            supervisor_id = (SELECT supervisor_id FROM facilitators WHERE id = contracts.facilitator_id),
            region_code = (SELECT region_code FROM facilitators WHERE id = contracts.facilitator_id)
        """
    )
    for statement in POSTGRESQL if op.get_bind().dialect.name == "postgresql" else SQLITE:
        op.execute(statement)
    with_supervisor = sa.text("supervisor_id IS NOT NULL")
    op.create_index(
        "ix_contracts_supervisor_current",
        "contracts",
        ["supervisor_id", sa.text(EFFECTIVE_END), "start_date", "facilitator_id"],
        postgresql_where=with_supervisor,
        sqlite_where=with_supervisor,
    )
    op.create_index(
        "ix_contracts_region_current",
        "contracts",
        ["region_code", sa.text(EFFECTIVE_END), "start_date", "facilitator_id"],
    )


def downgrade():
    op.drop_index("ix_contracts_region_current", table_name="contracts")
    op.drop_index("ix_contracts_supervisor_current", table_name="contracts")
    if op.get_bind().dialect.name == "postgresql":
        for name, table in [("contract_scope", "contracts"), ("facilitator_scope_to_contracts", "facilitators")]:
            op.execute(f"DROP TRIGGER {name} ON {table}")
            op.execute(f"DROP FUNCTION {name}()")
    else:
        for name in ["contract_scope_insert", "contract_scope_update", "facilitator_scope_to_contracts"]:
            op.execute(f"DROP TRIGGER {name}")
    # Not a batch: on SQLite a batch would rebuild the table and lose its indexes on expressions (ix_contracts_last,
    # ix_contracts_current), which cannot be reflected. SQLite drops a column that no index names in place.
    op.execute("ALTER TABLE contracts DROP COLUMN region_code")
    op.execute("ALTER TABLE contracts DROP COLUMN supervisor_id")
