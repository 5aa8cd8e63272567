"""PostgreSQL settings the app depends on are set by the app on its own connections (README, "Performance")."""

import pytest
import sqlalchemy as sa

from tpl_tracker.database import configure_engine


def test_jit_is_off_on_every_connection_even_after_a_rollback(db):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("a PostgreSQL setting")
    engine = sa.create_engine(db.engine.url)
    configure_engine(engine, {})
    try:
        for _ in range(2):
            with engine.connect() as connection:
                assert connection.execute(sa.text("SHOW jit")).scalar() == "off"
                connection.rollback()
                assert connection.execute(sa.text("SHOW jit")).scalar() == "off"
    finally:
        engine.dispose()


def test_the_app_engine_has_jit_off(db):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("a PostgreSQL setting")
    assert db.session.execute(sa.text("SHOW jit")).scalar() == "off"
