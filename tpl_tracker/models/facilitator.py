"""TPL profiles and their contracts."""

from datetime import date, datetime, timedelta
from typing import Optional

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import ExcludeConstraint
from sqlalchemy.ext.hybrid import hybrid_property
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .base import UTCDateTime, utcnow
from .business import REGION_COPY
from .codes import ContractStatus, Gender

POLYTECHNICS = [
    "STMI Jakarta",
    "Politeknik STTT Bandung",
    "Politeknik AKA Bogor",
    "Politeknik ATI Makassar",
    "Politeknik ATI Padang",
    "Politeknik ATK Yogyakarta",
    "Politeknik Teknologi Kimia Industri Medan",
    "Politeknik APP Jakarta",
    "Politeknik Industri Logam Morowali",
    "Politeknik Industri Petrokimia Banten",
    "Politeknik Industri Furnitur dan Pengolahan Kayu Kendal",
    "Akademi Komunitas Industri Tekstil dan Produk Tekstil Surakarta",
]


class Facilitator(db.Model):
    """A TPL IKM: one person, possibly with a login, across all their contracts."""

    __tablename__ = "facilitators"
    __table_args__ = (
        Gender.check_constraint("gender"),
        sa.CheckConstraint("angkatan BETWEEN 1990 AND 2100", name="angkatan"),
        sa.CheckConstraint("length(nik) = 16", name="nik_length"),
        # A supervisor's own TPL, the regions they are placed in and those placed elsewhere, read from the index
        # alone (migrations 0019 and 0021). Partial, so that a scope's `supervisor_id = … OR region_code IN (…)`
        # is not answered by scanning all of it with that filter.
        sa.Index(
            "ix_facilitators_supervisor_region_id",
            "supervisor_id",
            "region_code",
            "id",
            postgresql_where=sa.text("supervisor_id IS NOT NULL"),
            sqlite_where=sa.text("supervisor_id IS NOT NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"), unique=True)
    nik: Mapped[str] = mapped_column(sa.String(16), unique=True)
    full_name: Mapped[str] = mapped_column(sa.String(120), index=True)
    gender: Mapped[str] = mapped_column(sa.String(1))
    birth_date: Mapped[date]
    phone: Mapped[str | None] = mapped_column(sa.String(20))
    email: Mapped[str | None] = mapped_column(sa.String(254))
    angkatan: Mapped[int] = mapped_column(sa.SmallInteger, index=True)
    polytechnic: Mapped[str] = mapped_column(sa.String(120))
    supervisor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    # Placement of the latest contract (kabupaten/kota), kept by the contract service for scope queries.
    region_code: Mapped[str | None] = mapped_column(sa.ForeignKey("regions.code"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    user: Mapped[Optional["User"]] = relationship(  # noqa: F821
        back_populates="facilitator", foreign_keys=[user_id]
    )
    supervisor: Mapped[Optional["User"]] = relationship(foreign_keys=[supervisor_id])  # noqa: F821
    region: Mapped[Optional["Region"]] = relationship()  # noqa: F821
    contracts: Mapped[list["Contract"]] = relationship(
        back_populates="facilitator", order_by="Contract.start_date", cascade="all, delete-orphan"
    )

    def current_contract(self, on: date) -> Optional["Contract"]:
        """The contract running on a given date, if any."""
        for contract in self.contracts:
            if contract.start_date <= on <= contract.effective_end:
                return contract
        return None

    @property
    def exit_date(self) -> date | None:
        """Latest effective end over all contracts (docs/metric.md)."""
        ends = [c.effective_end for c in self.contracts]
        return max(ends) if ends else None

    def __repr__(self) -> str:
        return f"<Facilitator {self.id} {self.full_name}>"


# A running contract "ends soon" when its effective end falls within this many days.
ENDING_SOON_DAYS = 30


class Contract(db.Model):
    """One signed contract period of a TPL."""

    __tablename__ = "contracts"
    __table_args__ = (
        sa.CheckConstraint("end_date >= start_date", name="end_after_start"),
        ContractStatus.check_constraint("status"),
        sa.CheckConstraint(
            "(status = 'terminated' AND terminated_on IS NOT NULL"
            " AND terminated_on >= start_date AND terminated_on <= end_date)"
            " OR (status <> 'terminated' AND terminated_on IS NULL)",
            name="terminated_on",
        ),
        # No two contracts of one TPL overlap, up to their effective ends (both days included).
        # PostgreSQL only (btree_gist); on SQLite every write is serialised and the service's check suffices.
        ExcludeConstraint(
            ("facilitator_id", "="),
            (sa.text("daterange(start_date, COALESCE(terminated_on, end_date), '[]')"), "&&"),
            name="ex_contracts_no_overlap",
            using="gist",
        ).ddl_if(dialect="postgresql"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    facilitator_id: Mapped[int] = mapped_column(sa.ForeignKey("facilitators.id", ondelete="CASCADE"), index=True)
    number: Mapped[str] = mapped_column(sa.String(60), unique=True)
    start_date: Mapped[date]
    end_date: Mapped[date]
    placement_code: Mapped[str] = mapped_column(sa.ForeignKey("regions.code"), index=True)
    status: Mapped[str] = mapped_column(sa.String(12), default="active")
    terminated_on: Mapped[date | None]
    termination_reason: Mapped[str | None] = mapped_column(sa.String(500))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Copies of the TPL's supervisor and region, kept by the database's triggers (migration 0023) for a supervisor's
    # TPL under contract; never set, not in the audit trail, not read by the app's Python.
    supervisor_id: Mapped[int | None] = mapped_column(**REGION_COPY)
    region_code: Mapped[str | None] = mapped_column(sa.String(13), **REGION_COPY)

    facilitator: Mapped[Facilitator] = relationship(back_populates="contracts")
    placement: Mapped["Region"] = relationship()  # noqa: F821

    @hybrid_property
    def effective_end(self) -> date:
        """`terminated_on` if terminated, else the planned end date (docs/metric.md), in Python and in SQL."""
        if self.status == "terminated" and self.terminated_on:
            return self.terminated_on
        return self.end_date

    @effective_end.inplace.expression
    @classmethod
    def _effective_end_expression(cls):
        # The CHECK constraint `terminated_on` gives a date exactly to terminated contracts, so COALESCE is the rule
        # above; it is also the expression of ix_contracts_last and of the no-overlap constraint.
        return sa.type_coerce(sa.func.coalesce(cls.terminated_on, cls.end_date), sa.Date)

    @classmethod
    def ends_soon(cls, today: date):
        """SQL condition: the contract runs on `today` and its effective end falls within ENDING_SOON_DAYS (the
        home page, the TPL list's filter and the notifications all use this one rule)."""
        end = cls.effective_end
        return sa.and_(cls.start_date <= today, end >= today, end <= today + timedelta(days=ENDING_SOON_DAYS))

    def days_left(self, on: date) -> int:
        """Days from a date to the effective end (negative once ended)."""
        return (self.effective_end - on).days

    def __repr__(self) -> str:
        return f"<Contract {self.number}>"


# A TPL's last contract (docs/metric.md: greatest effective end, then start date, then id) is the first entry of the
# TPL in this index: the metric job finds it with one index lookup per alumnus (SQLite), or reads every TPL's
# contracts in this order without sorting them (PostgreSQL).
# The contracts running on a date are among those ending on or after it: the roster and the home pages read them from
# this index, whose range holds the programme's current contracts, not its whole history (migration 0015).
sa.Index("ix_contracts_current", Contract.effective_end, Contract.start_date, Contract.facilitator_id)
# The same for a supervisor's scope, by the contracts' copies of their TPL's supervisor and region (migration 0023).
_WITH_SUPERVISOR = sa.text("supervisor_id IS NOT NULL")
sa.Index(
    "ix_contracts_supervisor_current",
    Contract.supervisor_id,
    Contract.effective_end,
    Contract.start_date,
    Contract.facilitator_id,
    postgresql_where=_WITH_SUPERVISOR,
    sqlite_where=_WITH_SUPERVISOR,
)
sa.Index(
    "ix_contracts_region_current",
    Contract.region_code,
    Contract.effective_end,
    Contract.start_date,
    Contract.facilitator_id,
)

sa.Index(
    "ix_contracts_last",
    Contract.facilitator_id,
    Contract.effective_end.desc(),
    Contract.start_date.desc(),
    Contract.id.desc(),
)
