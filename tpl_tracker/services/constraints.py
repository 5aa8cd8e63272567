"""Database constraints that repeat a service's own check: a refusal becomes the check's own message.

The services check each rule before writing; the constraint catches what a concurrent request wrote in between.
"""

from collections.abc import Callable

from sqlalchemy.exc import IntegrityError

from ..extensions import db

OPEN_PERMIT_PER_TYPE = "uq_permits_open_business_type"
OPEN_MENTORSHIP = "uq_mentorships_open_business_facilitator"
NO_CONTRACT_OVERLAP = "ex_contracts_no_overlap"


def refused_by(error: IntegrityError, constraint: str) -> bool:
    """True when the database refused a write because of the named constraint (or unique index)."""
    diagnostics = getattr(error.orig, "diag", None)  # psycopg names the constraint
    if diagnostics is not None:
        return diagnostics.constraint_name == constraint
    # SQLite names the columns of a unique index instead.
    index = next(
        (index for table in db.metadata.tables.values() for index in table.indexes if index.name == constraint), None
    )
    if index is None:
        return False
    columns = ", ".join(f"{index.table.name}.{column.name}" for column in index.columns)
    return str(error.orig) == f"UNIQUE constraint failed: {columns}"


def flush_or_refuse(constraint: str, refuse: Callable[[], None]) -> None:
    """Flush; when `constraint` refuses it, roll back everything and call `refuse` (it raises the ServiceError).

    Any other integrity error, or a `refuse` that finds nothing to refuse, propagates the database's error.
    """
    try:
        db.session.flush()
    except IntegrityError as error:
        db.session.rollback()
        if refused_by(error, constraint):
            refuse()
        raise
