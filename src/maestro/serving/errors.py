"""What serving can fail with, as the API process sees it (no HTTP here: services map these)."""

from typing import Any


class ServingError(Exception):
    def __init__(self, message: str, details: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.details = details or {}


class ArtifactRefused(ServingError):
    """The artifact cannot be served: refused by policy, corrupt, or not a model."""


class InvalidInstances(ServingError):
    """The instances do not fit the model's input, or the model failed on them."""


class WorkerUnavailable(ServingError):
    """The worker died, was killed or overran its time; the request can be retried."""
