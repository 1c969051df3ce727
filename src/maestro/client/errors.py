"""Typed SDK errors, one per stable API error code."""

from typing import Any


class MaestroAPIError(Exception):
    def __init__(
        self, status_code: int, code: str, message: str, details: dict[str, Any] | None = None
    ) -> None:
        super().__init__(f"{status_code} {code}: {message}")
        self.status_code = status_code
        self.code = code
        self.message = message
        self.details = details or {}


class ValidationError(MaestroAPIError):
    pass


class AuthenticationError(MaestroAPIError):
    pass


class PermissionDeniedError(MaestroAPIError):
    pass


class QuotaExceededError(PermissionDeniedError):
    pass


class NotFoundError(MaestroAPIError):
    pass


class ConflictError(MaestroAPIError):
    pass


class PayloadTooLargeError(MaestroAPIError):
    pass


class RateLimitedError(MaestroAPIError):
    def __init__(self, *args: Any, retry_after: float | None = None) -> None:
        super().__init__(*args)
        self.retry_after = retry_after


class ServerError(MaestroAPIError):
    pass


_BY_CODE: dict[str, type[MaestroAPIError]] = {
    "validation_error": ValidationError,
    "unauthenticated": AuthenticationError,
    "forbidden": PermissionDeniedError,
    "quota_exceeded": QuotaExceededError,
    "not_found": NotFoundError,
    "conflict": ConflictError,
    "payload_too_large": PayloadTooLargeError,
}


def error_for(status_code: int, body: Any, retry_after: str | None = None) -> MaestroAPIError:
    error = body.get("error", {}) if isinstance(body, dict) else {}
    code = error.get("code") or ("internal_error" if status_code >= 500 else "http_error")
    message = error.get("message") or "request failed"
    details = error.get("details") or {}
    if status_code == 429:
        return RateLimitedError(
            status_code,
            code,
            message,
            details,
            retry_after=float(retry_after) if retry_after else None,
        )
    if status_code >= 500:
        return ServerError(status_code, code, message, details)
    return _BY_CODE.get(code, MaestroAPIError)(status_code, code, message, details)
