"""All ORM models; importing this package registers every table on `Base.metadata`."""

from maestro.db.base import Base
from maestro.db.models.console import ConsoleSession
from maestro.db.models.datasets import Dataset
from maestro.db.models.experiments import Experiment, LatestMetric, MetricPoint
from maestro.db.models.jobs import Job
from maestro.db.models.ml_jobs import JobMetricEvent, JobObservation, ModelCardSections
from maestro.db.models.mlflow import MlflowArtifact, MlflowExperiment, MlflowLoggedModel, MlflowRun
from maestro.db.models.model_health import (
    DriftRun,
    ModelMonitoring,
    ModelReference,
    PredictionRecord,
)
from maestro.db.models.registry import ModelAlias, ModelDeployment, ModelVersion, RegisteredModel
from maestro.db.models.tenancy import ApiKey, QuotaUsage, Tenant, User

__all__ = [
    "ApiKey",
    "Base",
    "ConsoleSession",
    "Dataset",
    "DriftRun",
    "Experiment",
    "Job",
    "JobMetricEvent",
    "JobObservation",
    "LatestMetric",
    "MetricPoint",
    "MlflowArtifact",
    "MlflowExperiment",
    "MlflowLoggedModel",
    "MlflowRun",
    "ModelAlias",
    "ModelCardSections",
    "ModelDeployment",
    "ModelMonitoring",
    "ModelReference",
    "ModelVersion",
    "PredictionRecord",
    "QuotaUsage",
    "RegisteredModel",
    "Tenant",
    "User",
]
