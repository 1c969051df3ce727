"""Python SDK for the Maestro HTTP API.

    from maestro.client import MaestroClient
    with MaestroClient("http://localhost:8000", api_key="mst_...") as client:
        client.me()

Each resource area is a mixin over one shared transport, so the SDK grows one module per area.
"""

from maestro.client.base import BaseClient
from maestro.client.cards import CardsMixin
from maestro.client.datasets import DatasetsMixin
from maestro.client.discovery import DiscoveryMixin
from maestro.client.errors import (
    AuthenticationError,
    ConflictError,
    MaestroAPIError,
    NotFoundError,
    PayloadTooLargeError,
    PermissionDeniedError,
    QuotaExceededError,
    RateLimitedError,
    ServerError,
    ValidationError,
)
from maestro.client.experiments import ExperimentsMixin
from maestro.client.model_health import ModelHealthMixin
from maestro.client.registry import RegistryMixin
from maestro.client.tenancy import TenancyMixin
from maestro.client.training import TrainingMixin


class MaestroClient(
    TenancyMixin,
    RegistryMixin,
    ExperimentsMixin,
    DatasetsMixin,
    TrainingMixin,
    DiscoveryMixin,
    CardsMixin,
    ModelHealthMixin,
    BaseClient,
):
    """The full SDK: every resource area on one authenticated connection pool."""


__all__ = [
    "AuthenticationError",
    "ConflictError",
    "MaestroAPIError",
    "MaestroClient",
    "NotFoundError",
    "PayloadTooLargeError",
    "PermissionDeniedError",
    "QuotaExceededError",
    "RateLimitedError",
    "ServerError",
    "ValidationError",
]
