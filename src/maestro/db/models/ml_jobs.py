"""Rows of the ML job areas: human-written model card sections and the job metrics outbox.

Job handlers run in worker processes (a local pool process or a Celery worker) whose Prometheus
registry nobody scrapes. What they would count is written here instead, in the database every
process shares, and the API process records it (see `maestro.services.job_metrics`).
"""

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Float, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from maestro.db.base import Base, IdMixin, TimestampMixin, UTCDateTime, utcnow


class ModelCardSections(IdMixin, TimestampMixin, Base):
    """The sections people write for one model version's card (`PUT .../card`)."""

    __tablename__ = "model_card_sections"

    tenant_id: Mapped[str] = mapped_column(
        ForeignKey("tenants.id", ondelete="CASCADE"), index=True, nullable=False
    )
    version_id: Mapped[str] = mapped_column(
        ForeignKey("model_versions.id", ondelete="CASCADE"), unique=True, nullable=False
    )
    sections: Mapped[dict[str, Any]] = mapped_column(JSON, nullable=False)
    updated_by: Mapped[str | None] = mapped_column(String(36))


class JobMetricEvent(IdMixin, Base):
    """One metric sample produced by job work, waiting to be recorded by an API process.

    Claimed by deleting it: whichever process's DELETE removes the row records the sample, so it
    is counted exactly once however many API replicas drain the outbox.
    """

    __tablename__ = "job_metric_events"

    tenant_id: Mapped[str] = mapped_column(
        ForeignKey("tenants.id", ondelete="CASCADE"), index=True, nullable=False
    )
    job_id: Mapped[str] = mapped_column(String(36), nullable=False)
    metric: Mapped[str] = mapped_column(String(100), nullable=False)
    labels: Mapped[dict[str, str]] = mapped_column(JSON, nullable=False)
    value: Mapped[float] = mapped_column(Float, nullable=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, nullable=False)


class JobObservation(Base):
    """A terminal job whose duration was recorded; the primary key makes that happen once."""

    __tablename__ = "job_observations"

    job_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    tenant_id: Mapped[str] = mapped_column(
        ForeignKey("tenants.id", ondelete="CASCADE"), index=True, nullable=False
    )
    observed_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, nullable=False)
