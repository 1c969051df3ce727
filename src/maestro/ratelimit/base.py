"""Rate limit policy, decision and the GCRA arithmetic the backends share."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

MICROS = 1_000_000


@dataclass(frozen=True, slots=True)
class RateLimitPolicy:
    """Sustained `requests_per_minute`, with up to `burst` requests allowed back to back."""

    requests_per_minute: int
    burst: int

    def __post_init__(self) -> None:
        if self.requests_per_minute < 1 or self.burst < 1:
            raise ValueError("requests_per_minute and burst must be at least 1")

    @property
    def interval_us(self) -> int:
        """Microseconds between requests at the sustained rate (GCRA's T)."""
        return max(1, round(MICROS * 60 / self.requests_per_minute))

    @property
    def emission_interval(self) -> float:
        return self.interval_us / MICROS

    @property
    def window(self) -> float:
        """Seconds for a fully spent burst to refill: `burst` requests per `window`."""
        return self.interval_us * self.burst / MICROS


@dataclass(frozen=True, slots=True)
class RateLimitDecision:
    """Outcome of one hit; `reset_after` is seconds until the full burst is available again,
    `retry_after` is seconds until the next request would be allowed (0 when allowed)."""

    allowed: bool
    limit: int
    remaining: int
    reset_after: float
    retry_after: float

    @classmethod
    def from_micros(
        cls, policy: RateLimitPolicy, allowed: bool, remaining: int, reset_us: int, retry_us: int
    ) -> RateLimitDecision:
        return cls(allowed, policy.burst, remaining, reset_us / MICROS, retry_us / MICROS)


class RateLimiter(Protocol):
    def hit(self, key: str, policy: RateLimitPolicy) -> RateLimitDecision:
        """Count one request against `key` and say whether it may proceed."""
        ...


def gcra(tat: int, now: int, policy: RateLimitPolicy) -> tuple[int, RateLimitDecision]:
    """One GCRA step in integer microseconds: the theoretical arrival time to store, and the
    decision. Integers keep the boundary exact (floats deny the last burst request by 1e-13 s)
    and match the Redis script bit for bit.

    `tat` is the stored theoretical arrival time (pass `now` for an unseen key). A request is
    allowed if, after adding one emission interval, the TAT is at most `burst` intervals ahead.
    A denied request does not move the TAT, so hammering does not extend the wait.
    """
    interval = policy.interval_us
    tolerance = interval * policy.burst
    tat = max(tat, now)
    new_tat = tat + interval
    allow_at = new_tat - tolerance
    if now < allow_at:
        return tat, RateLimitDecision.from_micros(policy, False, 0, tat - now, allow_at - now)
    remaining = (tolerance - (new_tat - now)) // interval
    return new_tat, RateLimitDecision.from_micros(policy, True, remaining, new_tat - now, 0)
