"""Operational records: metric snapshots, job runs, background imports, notifications and the audit trail."""

from datetime import date, datetime
from typing import Any, Optional

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .base import UTCDateTime, utcnow
from .codes import Grouping, JobOutcome, WorkStatus


class MetricSnapshot(db.Model):
    """The WUB figures of one group as of one date (docs/metric.md)."""

    __tablename__ = "metric_snapshots"
    __table_args__ = (
        sa.UniqueConstraint("as_of", "group_by", "key", name="as_of_group_key"),
        Grouping.check_constraint("group_by"),
        sa.CheckConstraint("alumni > 0", name="alumni"),
        sa.CheckConstraint("wub <= alumni AND tracked <= alumni AND wub_active <= wub", name="counts"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    as_of: Mapped[date] = mapped_column(index=True)
    group_by: Mapped[str] = mapped_column(sa.String(12))
    key: Mapped[str] = mapped_column(sa.String(120))
    alumni: Mapped[int]
    tracked: Mapped[int]
    wub: Mapped[int]
    wub_active: Mapped[int]
    wub_unverified: Mapped[int]
    wub_rate: Mapped[float | None]
    ci_low: Mapped[float | None]
    ci_high: Mapped[float | None]
    tracked_rate: Mapped[float | None]
    median_months_to_business: Mapped[float | None]
    # Of the wub alumni, their earliest qualifying business founded on or before the exit date, and after it
    # (migration 0016; empty in the snapshots computed before it).
    founded_during: Mapped[int | None]
    founded_after: Mapped[int | None]
    computed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class JobRun(db.Model):
    """One run of a scheduled job (or a skip because another process held the lock).

    A scheduled run carries its slot, the fire time it was scheduled for: one row per job and slot, so that a
    slot runs at most once however many schedulers fire it. Manual runs have no slot.
    """

    __tablename__ = "job_runs"
    __table_args__ = (
        JobOutcome.check_constraint("outcome"),
        sa.Index("uq_job_runs_slot", "job_name", "scheduled_for", unique=True),
        # The runs still `running` (a handful), which every run and the scheduler's start look for: not the years
        # of finished runs (migration 0015).
        sa.Index(
            "ix_job_runs_running",
            "job_name",
            postgresql_where=sa.text("outcome = 'running'"),
            sqlite_where=sa.text("outcome = 'running'"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    job_name: Mapped[str] = mapped_column(sa.String(60), index=True)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    outcome: Mapped[str] = mapped_column(sa.String(12), default="running")
    rows_written: Mapped[int] = mapped_column(default=0)
    error: Mapped[str | None] = mapped_column(sa.Text)
    as_of: Mapped[date | None]
    triggered_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    scheduled_for: Mapped[datetime | None] = mapped_column(UTCDateTime)
    holder: Mapped[str | None] = mapped_column(sa.String(120))


class ImportRun(db.Model):
    """A large workbook imported outside the web request: queued by the upload page, run by the
    `run-queued-work` job (one unit of work, all or nothing), its result kept for the status page.

    `job_run_id` names the job run working on it: a run left `running` whose job run is no longer running
    was interrupted. The workbook itself (`content`) is dropped once the run has ended.
    """

    __tablename__ = "import_runs"
    __table_args__ = (WorkStatus.check_constraint("status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"), index=True)
    filename: Mapped[str] = mapped_column(sa.String(255))
    content: Mapped[bytes | None] = mapped_column(sa.LargeBinary, deferred=True)
    dry_run: Mapped[bool] = mapped_column(default=False)
    status: Mapped[str] = mapped_column(sa.String(12), default=WorkStatus.QUEUED.value, index=True)
    rows_total: Mapped[int | None]
    rows_done: Mapped[int] = mapped_column(default=0)
    result: Mapped[dict[str, Any] | None] = mapped_column(sa.JSON)
    error: Mapped[str | None] = mapped_column(sa.Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    job_run_id: Mapped[int | None] = mapped_column(sa.ForeignKey("job_runs.id", ondelete="SET NULL"))

    created_by: Mapped[Optional["User"]] = relationship()  # noqa: F821
    job_run: Mapped[JobRun | None] = relationship()

    @property
    def shown_status(self) -> str:
        """The status as the pages show it: a run left running by a job run that has ended was interrupted."""
        if self.status == WorkStatus.RUNNING and (self.job_run is None or self.job_run.outcome != "running"):
            return WorkStatus.INTERRUPTED.value
        return self.status


class Notification(db.Model):
    """An in-app message for one user: its kind and plain parameters, rendered in the reader's language when shown
    (services/notification_kinds.py); `dedupe_key` keeps a rule from notifying twice."""

    __tablename__ = "notifications"
    __table_args__ = (sa.UniqueConstraint("user_id", "dedupe_key", name="user_dedupe"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(sa.String(40))
    params: Mapped[dict[str, Any]] = mapped_column(sa.JSON, default=dict)
    endpoint: Mapped[str | None] = mapped_column(sa.String(80))
    endpoint_args: Mapped[dict[str, Any]] = mapped_column(sa.JSON, default=dict)
    dedupe_key: Mapped[str] = mapped_column(sa.String(120))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    emailed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class AuditEntry(db.Model):
    """Who did what to which record, when, with the values before and after."""

    __tablename__ = "audit_entries"
    __table_args__ = (sa.Index("ix_audit_entries_entity", "entity_type", "entity_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    actor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"), index=True)
    action: Mapped[str] = mapped_column(sa.String(40), index=True)
    entity_type: Mapped[str | None] = mapped_column(sa.String(40))
    entity_id: Mapped[str | None] = mapped_column(sa.String(40))
    before: Mapped[dict[str, Any] | None] = mapped_column(sa.JSON)
    after: Mapped[dict[str, Any] | None] = mapped_column(sa.JSON)
    ip: Mapped[str | None] = mapped_column(sa.String(45))
    note: Mapped[str | None] = mapped_column(sa.String(500))

    actor: Mapped[Optional["User"]] = relationship()  # noqa: F821


class JobLock(db.Model):
    """A lease per job on SQLite (PostgreSQL uses advisory locks): renewed while the job runs, so a dead
    holder's lease lapses within JOB_LEASE_SECONDS. Times are the database's clock, shared by every process."""

    __tablename__ = "job_locks"

    job_name: Mapped[str] = mapped_column(sa.String(60), primary_key=True)
    holder: Mapped[str | None] = mapped_column(sa.String(120))
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
