"""All ORM models; importing this package registers every table on `Base.metadata`."""

from maestro.db.base import Base
from maestro.db.models.datasets import Dataset
from maestro.db.models.experiments import Experiment, MetricPoint
from maestro.db.models.jobs import Job
from maestro.db.models.ml_jobs import JobMetricEvent, JobObservation, ModelCardSections
from maestro.db.models.registry import ModelAlias, ModelDeployment, ModelVersion, RegisteredModel
from maestro.db.models.tenancy import ApiKey, QuotaUsage, Tenant, User

__all__ = [
    "ApiKey",
    "Base",
    "Dataset",
    "Experiment",
    "Job",
    "JobMetricEvent",
    "JobObservation",
    "MetricPoint",
    "ModelAlias",
    "ModelCardSections",
    "ModelDeployment",
    "ModelVersion",
    "QuotaUsage",
    "RegisteredModel",
    "Tenant",
    "User",
]
