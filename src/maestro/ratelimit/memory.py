"""In-process rate limiter for embedded mode and single-replica deployments."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from maestro.ratelimit.base import MICROS, RateLimitDecision, RateLimitPolicy, gcra


class MemoryRateLimiter:
    """GCRA over a dict of key to theoretical arrival time, guarded by one lock.

    `clock` returns seconds (monotonic by default; tests inject their own).

    A key whose TAT is in the past carries no state (it behaves exactly like an unseen key), so
    such keys are swept whenever the table has doubled since the last sweep: memory stays
    proportional to the keys active within their windows, at amortised O(1) per hit.
    """

    def __init__(
        self, clock: Callable[[], float] = time.monotonic, *, min_sweep_size: int = 1024
    ) -> None:
        self._clock = clock
        self._tats: dict[str, int] = {}
        self._lock = threading.Lock()
        self._min_sweep_size = min_sweep_size
        self._sweep_at = min_sweep_size

    def __len__(self) -> int:
        return len(self._tats)

    def hit(self, key: str, policy: RateLimitPolicy) -> RateLimitDecision:
        with self._lock:
            now = round(self._clock() * MICROS)
            tat, decision = gcra(self._tats.get(key, now), now, policy)
            if decision.allowed:
                self._tats[key] = tat
                if len(self._tats) > self._sweep_at:
                    self._sweep(now)
        return decision

    def _sweep(self, now: int) -> None:
        self._tats = {key: tat for key, tat in self._tats.items() if tat > now}
        self._sweep_at = max(self._min_sweep_size, 2 * len(self._tats))
