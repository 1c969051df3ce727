"""Domain errors with the stable error codes of the HTTP API.

Services raise these; the API layer turns them into the `{"error": {...}}` envelope. Keeping
the code and status here means a service never needs HTTP, yet every failure maps to one code.
"""

from typing import Any

# Codes for errors raised outside our handlers (routing, the framework, a crash), by status.
CODE_BY_STATUS = {
    400: "bad_request",
    401: "unauthenticated",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "validation_error",
    429: "rate_limited",
    431: "request_header_fields_too_large",
}


def code_for_status(status: int) -> str:
    return CODE_BY_STATUS.get(status, "internal_error" if status >= 500 else "http_error")


class MaestroError(Exception):
    code: str = "internal_error"
    status_code: int = 500

    def __init__(self, message: str, *, details: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.details = details or {}


class ValidationFailed(MaestroError):
    code = "validation_error"
    status_code = 422


class Unauthenticated(MaestroError):
    code = "unauthenticated"
    status_code = 401


class Forbidden(MaestroError):
    code = "forbidden"
    status_code = 403


class NotFound(MaestroError):
    code = "not_found"
    status_code = 404


class Conflict(MaestroError):
    code = "conflict"
    status_code = 409


class QuotaExceeded(MaestroError):
    code = "quota_exceeded"
    status_code = 403

    def __init__(self, resource_type: str, limit: int, used: int) -> None:
        super().__init__(
            f"quota for {resource_type} exceeded: {used} of {limit} used",
            details={"resource_type": resource_type, "limit": limit, "used": used},
        )


class RateLimited(MaestroError):
    code = "rate_limited"
    status_code = 429


class PayloadTooLarge(MaestroError):
    code = "payload_too_large"
    status_code = 413


class UnsupportedMediaType(MaestroError):
    code = "unsupported_media_type"
    status_code = 415


class BadRequest(MaestroError):
    """A well-formed request the platform cannot act on (e.g. serving a non-servable artifact)."""

    code = "bad_request"
    status_code = 400

    def __init__(
        self, message: str, *, code: str | None = None, details: dict[str, Any] | None = None
    ) -> None:
        super().__init__(message, details=details)
        if code:
            self.code = code


class ServiceUnavailable(MaestroError):
    """A transient failure of a backing process (e.g. a serving worker); retrying can succeed."""

    code = "serving_unavailable"
    status_code = 503
