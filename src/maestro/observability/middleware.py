"""Pure ASGI middleware recording the HTTP metrics of DESIGN section 6.

Pure ASGI rather than BaseHTTPMiddleware: no extra task per request, no response buffering, and
the in-progress gauge sees the whole request including streamed bodies.
"""

import time
from collections.abc import Iterable
from functools import lru_cache

from prometheus_client import Counter, Gauge, Histogram
from starlette.routing import compile_path
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from maestro.errors import code_for_status
from maestro.observability import metrics

UNMATCHED_ENDPOINT = "unmatched"
# Scrapes and probes are machine traffic at a fixed rate: counting them would inflate request
# rates and pull latency percentiles down, so they are left out of every HTTP metric.
EXCLUDED_PATHS = frozenset({"/metrics", "/healthz", "/readyz"})
_KNOWN_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
TENANT_KEY = "maestro.tenant"
ERROR_CODE_KEY = "maestro.error_code"


class RouteResolver:
    """Maps a raw path to its route template, so labels stay bounded whatever a client sends."""

    def __init__(self, templates: Iterable[str]) -> None:
        self._routes = [(compile_path(t)[0], t) for t in dict.fromkeys(templates)]
        self.resolve = lru_cache(maxsize=4096)(self._resolve)

    def _resolve(self, path: str) -> str:
        for pattern, template in self._routes:
            if pattern.match(path):
                return template
        return UNMATCHED_ENDPOINT


class _Instruments:
    """Label children cached per (method, endpoint): `.labels()` costs more than `.inc()`."""

    __slots__ = ("duration", "in_progress")

    def __init__(self, method: str, endpoint: str) -> None:
        self.duration: Histogram = metrics.HTTP_REQUEST_DURATION.labels(method, endpoint)
        self.in_progress: Gauge = metrics.HTTP_REQUESTS_IN_PROGRESS.labels(method, endpoint)


class PrometheusMiddleware:
    def __init__(self, app: ASGIApp, resolver: RouteResolver) -> None:
        self.app = app
        self.resolver = resolver
        self._instruments: dict[tuple[str, str], _Instruments] = {}
        self._requests: dict[tuple[str, str, int, str], Counter] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] in EXCLUDED_PATHS:
            await self.app(scope, receive, send)
            return
        method = scope["method"] if scope["method"] in _KNOWN_METHODS else "OTHER"
        endpoint = self.resolver.resolve(scope["path"])
        instruments = self._instruments.get((method, endpoint))
        if instruments is None:
            instruments = self._instruments.setdefault(
                (method, endpoint), _Instruments(method, endpoint)
            )
        request_state = scope.setdefault("state", {})
        status = 500

        async def send_with_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        instruments.in_progress.inc()
        start = time.perf_counter()
        try:
            await self.app(scope, receive, send_with_status)
        except BaseException:
            status = 500
            raise
        finally:
            instruments.duration.observe(time.perf_counter() - start)
            instruments.in_progress.dec()
            tenant = request_state.get(TENANT_KEY, metrics.ANONYMOUS_TENANT)
            self._count(method, endpoint, status, tenant)
            if status >= 400:
                error_type = request_state.get(ERROR_CODE_KEY) or code_for_status(status)
                metrics.API_ERRORS.labels(method, endpoint, error_type).inc()

    def _count(self, method: str, endpoint: str, status: int, tenant: str) -> None:
        key = (method, endpoint, status, tenant)
        child = self._requests.get(key)
        if child is None:
            child = metrics.HTTP_REQUESTS.labels(method, endpoint, str(status), tenant)
            self._requests[key] = child
        child.inc()
