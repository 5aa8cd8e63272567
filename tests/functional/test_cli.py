"""The `flask` commands: create-user, seed-demo (and its refusal in production)."""

import pytest
import sqlalchemy as sa

from tpl_tracker import create_app
from tpl_tracker.models import User

from ..factories import PASSWORD


def test_create_user(app, db):
    result = app.test_cli_runner().invoke(
        args=[
            "create-user",
            "--email",
            "Ops@Example.id",
            "--name",
            "Operator",
            "--role",
            "supervisor",
            "--region",
            "82",
            "--password",
            "a-long-passphrase-1",
        ]
    )
    assert result.exit_code == 0, result.output
    user = db.session.scalar(sa.select(User).where(User.email == "ops@example.id"))
    assert user.role == "supervisor" and user.region_codes == ["82"]


def test_create_user_refuses_a_weak_password(app, db):
    result = app.test_cli_runner().invoke(
        args=[
            "create-user",
            "--email",
            "ops@example.id",
            "--name",
            "Operator",
            "--role",
            "admin",
            "--password",
            "password",
        ]
    )
    assert result.exit_code != 0
    assert db.session.scalar(sa.select(sa.func.count()).select_from(User)) == 0


def test_production_refuses_to_start_without_secrets(monkeypatch):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.delenv("DATABASE_URL", raising=False)
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        create_app("production")


def test_production_refuses_a_short_secret_key(app, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", app.config["SQLALCHEMY_DATABASE_URI"])
    for short in ("x", "a" * 31, "é" * 15):
        monkeypatch.setenv("SECRET_KEY", short)
        with pytest.raises(RuntimeError, match="at least 32 bytes"):
            create_app("production")
    monkeypatch.setenv("SECRET_KEY", "é" * 16)  # 32 bytes in UTF-8
    assert create_app("production", {"SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"]})


def test_seed_demo_refuses_production(app, db, monkeypatch):
    monkeypatch.setenv("SECRET_KEY", "x" * 40)
    monkeypatch.setenv("DATABASE_URL", app.config["SQLALCHEMY_DATABASE_URI"])
    production = create_app("production", {"SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"]})
    result = production.test_cli_runner().invoke(args=["seed-demo"])
    assert result.exit_code != 0
    assert "production" in result.output
    assert db.session.scalar(sa.select(sa.func.count()).select_from(User)) == 0


def test_seed_demo_says_what_to_install_without_the_development_packages(app, db, monkeypatch):
    """Faker is not a production requirement: without it, seed-demo names the file to install."""
    import sys

    monkeypatch.delitem(sys.modules, "tpl_tracker.services.demo", raising=False)
    monkeypatch.setitem(sys.modules, "faker", None)  # import faker now raises ModuleNotFoundError
    result = app.test_cli_runner().invoke(args=["seed-demo"])
    assert result.exit_code != 0
    assert "requirements-dev.txt" in result.output and "faker" in result.output
    assert db.session.scalar(sa.select(sa.func.count()).select_from(User)) == 0


def test_behind_a_proxy_the_audit_trail_records_the_client_address(app, client, world, db, monkeypatch):
    """PROXY_FIX=1 trusts one proxy's X-Forwarded-For; without it the header is ignored (it could be forged)."""
    from werkzeug.middleware.proxy_fix import ProxyFix

    from tpl_tracker.models import AuditEntry

    behind = create_app("testing", {"SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"], "PROXY_FIX": 1})
    assert isinstance(behind.wsgi_app, ProxyFix) and behind.wsgi_app.x_for == 1 and behind.wsgi_app.x_proto == 1
    assert not isinstance(app.wsgi_app, ProxyFix)  # the default trusts no proxy

    def last_login_ip() -> str:
        return db.session.scalar(
            sa.select(AuditEntry.ip).where(AuditEntry.action == "login").order_by(AuditEntry.id.desc())
        )

    forwarded = {"X-Forwarded-For": "203.0.113.9"}
    client.post("/auth/login", data={"email": "tpl@example.id", "password": PASSWORD}, headers=forwarded)
    assert last_login_ip() == "127.0.0.1"
    client.post("/auth/logout")
    monkeypatch.setattr(app, "wsgi_app", ProxyFix(app.wsgi_app, x_for=1, x_proto=1, x_host=1, x_port=1))
    client.post("/auth/login", data={"email": "tpl@example.id", "password": PASSWORD}, headers=forwarded)
    assert last_login_ip() == "203.0.113.9"
