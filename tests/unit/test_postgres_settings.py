"""PostgreSQL settings the app depends on are set by the app on its own connections (README, "Performance")."""

import pytest
import sqlalchemy as sa

from tpl_tracker.database import configure_engine

SETTINGS = {"jit": "off", "random_page_cost": "1.1", "plan_cache_mode": "force_custom_plan"}


def settings(connection) -> dict[str, str]:
    """The values of the settings the app sets, as the connection sees them."""
    return {name: connection.execute(sa.text(f"SHOW {name}")).scalar() for name in SETTINGS}


def test_settings_hold_on_every_connection_even_after_a_rollback(db):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("a PostgreSQL setting")
    engine = sa.create_engine(db.engine.url)
    configure_engine(engine, {})
    try:
        for _ in range(2):
            with engine.connect() as connection:
                assert settings(connection) == SETTINGS
                connection.rollback()
                assert settings(connection) == SETTINGS
    finally:
        engine.dispose()


def test_the_app_engine_has_the_settings(db):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("a PostgreSQL setting")
    assert settings(db.session) == SETTINGS
