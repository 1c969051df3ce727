"""What the MLflow-compatible API needs beyond Maestro's own tables.

An MLflow run *is* a Maestro experiment (`experiments` row, its params, tags and metric points);
`mlflow_runs` only adds the MLflow experiment it belongs to and its lifecycle stage. Registered
models and versions are Maestro's own `models` and `model_versions`.
"""

from typing import Any

from sqlalchemy import JSON, BigInteger, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from maestro.db.base import Base, IdMixin, TimestampMixin


class MlflowExperiment(IdMixin, TimestampMixin, Base):
    """An MLflow experiment: a named group of runs (`experiments.group` holds its name)."""

    __tablename__ = "mlflow_experiments"
    __table_args__ = (
        UniqueConstraint("tenant_id", "name", name="uq_mlflow_experiments_tenant_name"),
    )

    tenant_id: Mapped[str] = mapped_column(
        ForeignKey("tenants.id", ondelete="CASCADE"), index=True, nullable=False
    )
    name: Mapped[str] = mapped_column(String(200), nullable=False)
    lifecycle_stage: Mapped[str] = mapped_column(String(16), nullable=False, default="active")
    tags: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict, nullable=False)


class MlflowRun(TimestampMixin, Base):
    """The MLflow side of a Maestro experiment: its MLflow experiment and lifecycle stage."""

    __tablename__ = "mlflow_runs"
    __table_args__ = (Index("ix_mlflow_runs_tenant_experiment", "tenant_id", "experiment_id"),)

    run_id: Mapped[str] = mapped_column(
        ForeignKey("experiments.id", ondelete="CASCADE"), primary_key=True
    )
    tenant_id: Mapped[str] = mapped_column(
        ForeignKey("tenants.id", ondelete="CASCADE"), index=True, nullable=False
    )
    experiment_id: Mapped[str] = mapped_column(
        ForeignKey("mlflow_experiments.id", ondelete="CASCADE"), nullable=False
    )
    lifecycle_stage: Mapped[str] = mapped_column(String(16), nullable=False, default="active")


class MlflowArtifact(IdMixin, TimestampMixin, Base):
    """One file uploaded through the artifact proxy; its bytes count in `storage_bytes`."""

    __tablename__ = "mlflow_artifacts"
    __table_args__ = (
        UniqueConstraint("tenant_id", "path", name="uq_mlflow_artifacts_tenant_path"),
    )

    tenant_id: Mapped[str] = mapped_column(
        ForeignKey("tenants.id", ondelete="CASCADE"), index=True, nullable=False
    )
    path: Mapped[str] = mapped_column(String(1000), nullable=False)
    storage_key: Mapped[str] = mapped_column(String(255), nullable=False)
    size_bytes: Mapped[int] = mapped_column(BigInteger, nullable=False)


class MlflowLoggedModel(TimestampMixin, Base):
    """An MLflow 3 logged model: a model directory under its experiment's artifacts."""

    __tablename__ = "mlflow_logged_models"
    __table_args__ = (
        Index("ix_mlflow_logged_models_tenant_experiment", "tenant_id", "experiment_id"),
    )

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    tenant_id: Mapped[str] = mapped_column(
        ForeignKey("tenants.id", ondelete="CASCADE"), index=True, nullable=False
    )
    experiment_id: Mapped[str] = mapped_column(
        ForeignKey("mlflow_experiments.id", ondelete="CASCADE"), nullable=False
    )
    name: Mapped[str] = mapped_column(String(200), nullable=False)
    status: Mapped[str] = mapped_column(String(16), nullable=False)
    source_run_id: Mapped[str | None] = mapped_column(String(36))
    model_type: Mapped[str | None] = mapped_column(String(100))
    params: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict, nullable=False)
    tags: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict, nullable=False)
