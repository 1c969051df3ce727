"""Rate limiting: GCRA with an in-memory backend (embedded mode) and a Redis one (scale-out)."""

from __future__ import annotations

from maestro.ratelimit.base import RateLimitDecision, RateLimiter, RateLimitPolicy, gcra
from maestro.ratelimit.headers import rate_limit_headers
from maestro.ratelimit.memory import MemoryRateLimiter
from maestro.ratelimit.redis_limiter import RedisRateLimiter

__all__ = [
    "MemoryRateLimiter",
    "RateLimitDecision",
    "RateLimitPolicy",
    "RateLimiter",
    "RedisRateLimiter",
    "gcra",
    "rate_limit_headers",
    "rate_limiter_from_url",
]


def rate_limiter_from_url(redis_url: str | None) -> RateLimiter:
    """The Redis limiter when `MAESTRO_REDIS_URL` is set, else the in-process one."""
    if redis_url:
        return RedisRateLimiter(redis_url)
    return MemoryRateLimiter()
