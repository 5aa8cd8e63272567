"""Users, roles and supervisor scopes."""

import secrets
from datetime import datetime
from typing import Optional

import sqlalchemy as sa
from flask_login import UserMixin
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .base import UTCDateTime, utcnow
from .codes import LinkDelivery, LinkPurpose, LinkState, Role


def new_session_token() -> str:
    """A fresh random token identifying the user's valid sessions."""
    return secrets.token_urlsafe(32)


class User(UserMixin, db.Model):
    """A person who signs in."""

    __tablename__ = "users"
    __table_args__ = (
        Role.check_constraint("role"),
        sa.CheckConstraint("failed_login_count >= 0", name="failed_login_count"),
        # The account lists (users, invitations) by name: a page read from the index (migration 0020).
        sa.Index("ix_users_full_name_id", "full_name", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(sa.String(254), unique=True)
    full_name: Mapped[str] = mapped_column(sa.String(120))
    phone: Mapped[str | None] = mapped_column(sa.String(20))  # E.164; a supervisor's, from the import
    role: Mapped[str] = mapped_column(sa.String(20))
    # Argon2id; or, for an account created without a password (an import), a value no password matches
    # (services/passwords.py, unusable_hash) until its owner sets one.
    password_hash: Mapped[str] = mapped_column(sa.String(255))
    is_enabled: Mapped[bool] = mapped_column(sa.Boolean, default=True, server_default=sa.true())
    session_token: Mapped[str] = mapped_column(sa.String(64), unique=True, default=new_session_token)
    failed_login_count: Mapped[int] = mapped_column(default=0, server_default="0")
    failed_login_window_start: Mapped[datetime | None] = mapped_column(UTCDateTime)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    password_changed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    language: Mapped[str | None] = mapped_column(sa.String(5))  # the interface language last chosen

    scope_regions: Mapped[list["SupervisorRegion"]] = relationship(back_populates="user", cascade="all, delete-orphan")
    facilitator: Mapped[Optional["Facilitator"]] = relationship(  # noqa: F821
        back_populates="user", foreign_keys="Facilitator.user_id"
    )

    def get_id(self) -> str:
        """Flask-Login identity: the rotating session token, not the row id."""
        return self.session_token

    @property
    def is_active(self) -> bool:
        """Deactivated users cannot sign in or keep a session."""
        return bool(self.is_enabled)

    def has_role(self, *roles: Role) -> bool:
        """True when the user holds one of the given roles."""
        return self.role in {r.value for r in roles}

    @property
    def role_enum(self) -> Role:
        """The role as an enum member."""
        return Role(self.role)

    @property
    def region_codes(self) -> list[str]:
        """Region codes (province or kabupaten/kota) in a supervisor's scope."""
        return sorted(s.region_code for s in self.scope_regions)

    def __repr__(self) -> str:
        return f"<User {self.email} {self.role}>"


class SupervisorRegion(db.Model):
    """A province or kabupaten/kota in a supervisor's scope."""

    __tablename__ = "supervisor_regions"
    __table_args__ = (sa.UniqueConstraint("user_id", "region_code", name="user_region"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    region_code: Mapped[str] = mapped_column(sa.ForeignKey("regions.code"))

    user: Mapped[User] = relationship(back_populates="scope_regions")
    region: Mapped["Region"] = relationship()  # noqa: F821


class SignInThrottle(db.Model):
    """Failed password checks of one account typed from one client: the progressive delay that client must wait.

    `account` is a keyed hash of the normalised email as typed (unknown addresses count too), never the address.
    """

    __tablename__ = "sign_in_throttles"
    __table_args__ = (
        sa.UniqueConstraint("client", "account", name="client_account"),
        sa.CheckConstraint("failures >= 0", name="failures"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    client: Mapped[str] = mapped_column(sa.String(45))
    account: Mapped[str] = mapped_column(sa.String(32), index=True)
    failures: Mapped[int] = mapped_column(default=0, server_default="0")
    last_failure_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    blocked_until: Mapped[datetime | None] = mapped_column(UTCDateTime)


class PasswordLink(db.Model):
    """A single-use link that lets its owner set a password: an invitation to a new account or a reset.

    Only the SHA-256 of the link's random token is stored (`token_hash`); the token itself exists in the email or
    on the administrator's screen, never here. A link waiting for the mail job has no token yet: the job makes it
    when it sends (so a queue holds no secret). A link is valid until it expires, is used, or is replaced (a newer
    link of the same purpose was issued, or the password was set another way).
    """

    __tablename__ = "password_links"
    __table_args__ = (
        LinkPurpose.check_constraint("purpose"),
        LinkDelivery.check_constraint("delivery"),
        sa.CheckConstraint(
            "(token_hash IS NULL AND issued_at IS NULL AND expires_at IS NULL)"
            " OR (token_hash IS NOT NULL AND issued_at IS NOT NULL AND expires_at IS NOT NULL)",
            name="issued",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    purpose: Mapped[str] = mapped_column(sa.String(12))
    delivery: Mapped[str] = mapped_column(sa.String(8))
    token_hash: Mapped[str | None] = mapped_column(sa.String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    issued_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    failed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship(foreign_keys=[user_id])
    created_by: Mapped[User | None] = relationship(foreign_keys=[created_by_id])

    def state(self, now: datetime | None = None) -> LinkState:
        """Where the link stands at `now` (UTC; default: this moment)."""
        if self.used_at is not None:
            return LinkState.USED
        if self.revoked_at is not None:
            return LinkState.REPLACED
        if self.failed_at is not None:
            return LinkState.FAILED
        if self.token_hash is None:
            return LinkState.QUEUED
        if self.expires_at <= (now or utcnow()):
            return LinkState.EXPIRED
        return LinkState.VALID
