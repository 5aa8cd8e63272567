"""Tracer surveys: what a former TPL is doing after the contract (docs/metric.md)."""

from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .base import UTCDateTime, utcnow
from .codes import SurveyStatus, Verification


class OutcomeSurvey(db.Model):
    """A dated record of a TPL's situation; only `wirausaha` ones carry a business."""

    __tablename__ = "outcome_surveys"
    __table_args__ = (
        sa.UniqueConstraint("facilitator_id", "survey_date", name="facilitator_date"),
        SurveyStatus.check_constraint("status"),
        Verification.check_constraint("verification"),
        sa.CheckConstraint("nib IS NULL OR length(nib) = 13", name="nib_length"),
        sa.CheckConstraint("kbli IS NULL OR length(kbli) = 5", name="kbli_length"),
        sa.CheckConstraint("workers IS NULL OR workers >= 0", name="workers"),
        sa.CheckConstraint("monthly_revenue IS NULL OR monthly_revenue >= 0", name="monthly_revenue"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    facilitator_id: Mapped[int] = mapped_column(sa.ForeignKey("facilitators.id", ondelete="CASCADE"), index=True)
    survey_date: Mapped[date] = mapped_column(index=True)
    status: Mapped[str] = mapped_column(sa.String(15))
    business_name: Mapped[str | None] = mapped_column(sa.String(160))
    founded_date: Mapped[date | None]
    nib: Mapped[str | None] = mapped_column(sa.String(13))
    kbli: Mapped[str | None] = mapped_column(sa.String(5))
    workers: Mapped[int | None]
    monthly_revenue: Mapped[int | None] = mapped_column(sa.BigInteger)  # whole Rupiah
    business_region_code: Mapped[str | None] = mapped_column(sa.ForeignKey("regions.code"))
    verification: Mapped[str] = mapped_column(sa.String(10), default="unverified")
    verification_note: Mapped[str | None] = mapped_column(sa.String(500))
    verified_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    verified_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Who typed it in: the TPL themself, or a supervisor/evaluator on their behalf.
    recorded_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    business_id: Mapped[int | None] = mapped_column(sa.ForeignKey("businesses.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    facilitator: Mapped["Facilitator"] = relationship()  # noqa: F821


# The survey list is a verification queue: unverified first, then oldest first (services/outcomes.py). The constants
# are written out, as in ix_outcome_surveys_queue, so that SQLite and PostgreSQL read a page in the index's order.
SURVEY_QUEUE_ORDER = (
    sa.case(
        (OutcomeSurvey.verification == sa.literal_column("'unverified'"), sa.literal_column("0")),
        else_=sa.literal_column("1"),
    ),
    OutcomeSurvey.survey_date,
    OutcomeSurvey.id,
)
sa.Index("ix_outcome_surveys_queue", *SURVEY_QUEUE_ORDER)
