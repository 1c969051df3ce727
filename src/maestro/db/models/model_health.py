"""Model health: prediction log, per-model monitoring settings, reference data, drift runs.

Prediction log rows keep their `model_id` with `SET NULL` on model delete rather than cascading:
their bytes count against `storage_bytes`, and the retention sweep that deletes orphaned rows is
the one place that gives those bytes back (a cascade would delete them silently).
"""

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, Float, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from maestro.db.base import Base, IdMixin, TimestampMixin, UTCDateTime, utcnow


class ModelMonitoring(IdMixin, TimestampMixin, Base):
    """Per-model monitoring settings and the drift schedule (one row per model, made lazily)."""

    __tablename__ = "model_monitoring"

    tenant_id: Mapped[str] = mapped_column(
        ForeignKey("tenants.id", ondelete="CASCADE"), index=True, nullable=False
    )
    model_id: Mapped[str] = mapped_column(
        ForeignKey("models.id", ondelete="CASCADE"), unique=True, nullable=False
    )
    # None: MAESTRO_PREDICTION_LOG_SAMPLE_RATE; 0 turns logging off for this model.
    log_sample_rate: Mapped[float | None] = mapped_column(Float)
    # The scheduler claims a drift run by moving this forward with a compare-and-set UPDATE.
    next_drift_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class ModelReference(IdMixin, TimestampMixin, Base):
    """A reference dataset set explicitly for a version (overrides the training dataset)."""

    __tablename__ = "model_references"

    tenant_id: Mapped[str] = mapped_column(
        ForeignKey("tenants.id", ondelete="CASCADE"), index=True, nullable=False
    )
    version_id: Mapped[str] = mapped_column(
        ForeignKey("model_versions.id", ondelete="CASCADE"), unique=True, nullable=False
    )
    # No foreign key (see migration 0008): a deleted dataset is treated as no reference.
    dataset_id: Mapped[str] = mapped_column(String(36), nullable=False)
    set_by: Mapped[str | None] = mapped_column(String(36))


class PredictionRecord(Base):
    """One logged prediction row; `id` is the prediction id returned by predict."""

    __tablename__ = "prediction_logs"
    __table_args__ = (
        Index("ix_prediction_logs_model_created", "model_id", "created_at"),
        Index("ix_prediction_logs_tenant_created", "tenant_id", "created_at"),
        Index("ix_prediction_logs_model_labelled", "model_id", "labelled_at"),
    )

    id: Mapped[str] = mapped_column(String(48), primary_key=True)
    tenant_id: Mapped[str] = mapped_column(
        ForeignKey("tenants.id", ondelete="CASCADE"), nullable=False
    )
    model_id: Mapped[str | None] = mapped_column(ForeignKey("models.id", ondelete="SET NULL"))
    version: Mapped[int] = mapped_column(Integer, nullable=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, nullable=False)
    inputs: Mapped[dict[str, Any] | list[Any]] = mapped_column(JSON, nullable=False)
    # {"prediction": ..., "probabilities": [...] | null}
    outputs: Mapped[dict[str, Any]] = mapped_column(JSON, nullable=False)
    size_bytes: Mapped[int] = mapped_column(Integer, nullable=False)
    label: Mapped[Any] = mapped_column(JSON, nullable=True)
    labelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Scored when the label arrives, so live accuracy and error are plain SQL averages.
    correct: Mapped[bool | None] = mapped_column(Boolean)
    abs_error: Mapped[float | None] = mapped_column(Float)


class DriftRun(IdMixin, Base):
    """The outcome of one drift computation for a deployed model (the history)."""

    __tablename__ = "drift_runs"
    __table_args__ = (Index("ix_drift_runs_model_created", "model_id", "created_at"),)

    tenant_id: Mapped[str] = mapped_column(
        ForeignKey("tenants.id", ondelete="CASCADE"), index=True, nullable=False
    )
    model_id: Mapped[str] = mapped_column(
        ForeignKey("models.id", ondelete="CASCADE"), nullable=False
    )
    version: Mapped[int] = mapped_column(Integer, nullable=False)
    job_id: Mapped[str | None] = mapped_column(String(36))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, nullable=False)
    # "completed", or "insufficient_data" / "no_reference" with `message` saying why.
    status: Mapped[str] = mapped_column(String(32), nullable=False)
    message: Mapped[str | None] = mapped_column(Text)
    reference_dataset_id: Mapped[str | None] = mapped_column(String(36))
    reference_rows: Mapped[int] = mapped_column(Integer, default=0, nullable=False)
    current_rows: Mapped[int] = mapped_column(Integer, default=0, nullable=False)
    drifted_features: Mapped[int] = mapped_column(Integer, default=0, nullable=False)
    drift_share: Mapped[float] = mapped_column(Float, default=0.0, nullable=False)
    dataset_drift: Mapped[bool] = mapped_column(Boolean, default=False, nullable=False)
    features: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list, nullable=False)
    prediction: Mapped[dict[str, Any] | None] = mapped_column(JSON)
