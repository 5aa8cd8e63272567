"""The month lock under concurrency: checking a month holds its row until the change commits (PostgreSQL)."""

import pytest
import sqlalchemy as sa

from tpl_tracker.services.months import assert_months_open

from ..clock import on


@pytest.mark.real_commits
def test_a_change_being_checked_holds_the_month_against_a_submission(db, work):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("SQLite serialises writers with BEGIN IMMEDIATE; row locks are PostgreSQL's")
    month_id, tpl_id = work["month"].id, work["tpl"].id
    db.session.commit()
    submit = sa.text("UPDATE monthly_reports SET status = 'submitted' WHERE id = :id")

    assert_months_open(tpl_id, on(3, 10))  # an activity of March is about to be written
    with db.engine.connect() as other:
        other.execute(sa.text("SET lock_timeout = '300ms'"))
        with pytest.raises(sa.exc.OperationalError):
            other.execute(submit, {"id": month_id})  # the submission has to wait for that write
        other.rollback()
        db.session.commit()  # the write is done
        other.execute(sa.text("SET lock_timeout = '300ms'"))
        other.execute(submit, {"id": month_id})
        other.commit()
