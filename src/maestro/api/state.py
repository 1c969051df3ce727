"""Keys under which handlers leave facts in the ASGI scope for the outer middlewares.

`scope["state"]` is one dict shared by every layer of a request, so the metrics middleware can
learn the tenant and error code, and the header middleware the rate-limit decision, without any
of them re-doing authentication.
"""

from typing import Any

from starlette.types import Scope

TENANT = "maestro.tenant"
ERROR_CODE = "maestro.error_code"
RATE_LIMIT = "maestro.rate_limit"
PRINCIPAL = "maestro.principal"  # set when authenticated before the body was read


def request_state(scope: Scope) -> dict[str, Any]:
    return scope.setdefault("state", {})
