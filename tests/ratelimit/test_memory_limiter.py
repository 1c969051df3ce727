from __future__ import annotations

import threading
import time

import pytest

from maestro.ratelimit import MemoryRateLimiter, RateLimitPolicy

POLICY = RateLimitPolicy(requests_per_minute=60, burst=10)


def test_burst_then_denied(clock):
    limiter = MemoryRateLimiter(clock)

    decisions = [limiter.hit("tenant-a", POLICY) for _ in range(30)]

    allowed = [d for d in decisions if d.allowed]
    denied = [d for d in decisions if not d.allowed]
    assert len(allowed) == 10
    assert [d.remaining for d in allowed] == list(range(9, -1, -1))
    assert all(d.retry_after > 0 and d.remaining == 0 for d in denied)
    assert denied[0].retry_after == pytest.approx(1.0)
    assert denied[0].reset_after == pytest.approx(10.0)
    assert all(d.limit == 10 for d in decisions)


def test_tokens_come_back_one_per_interval(clock):
    limiter = MemoryRateLimiter(clock)
    for _ in range(10):
        limiter.hit("tenant-a", POLICY)

    clock.advance(0.5)
    half_way = limiter.hit("tenant-a", POLICY)
    clock.advance(0.5)
    one_interval = limiter.hit("tenant-a", POLICY)
    again = limiter.hit("tenant-a", POLICY)

    assert not half_way.allowed
    assert half_way.retry_after == pytest.approx(0.5)
    assert one_interval.allowed
    assert not again.allowed


def test_full_burst_returns_after_window(clock):
    limiter = MemoryRateLimiter(clock)
    for _ in range(15):
        limiter.hit("tenant-a", POLICY)

    clock.advance(POLICY.window)
    decisions = [limiter.hit("tenant-a", POLICY) for _ in range(11)]

    assert [d.allowed for d in decisions] == [True] * 10 + [False]


def test_keys_are_independent(clock):
    limiter = MemoryRateLimiter(clock)
    for _ in range(10):
        limiter.hit("tenant-a", POLICY)

    assert not limiter.hit("tenant-a", POLICY).allowed
    assert limiter.hit("tenant-b", POLICY).allowed


def test_expired_keys_are_evicted(clock):
    limiter = MemoryRateLimiter(clock, min_sweep_size=100)
    for i in range(5_000):
        limiter.hit(f"client-{i}", POLICY)
    assert len(limiter) == 5_000

    clock.advance(POLICY.window)
    sizes = []
    for i in range(7_000):
        limiter.hit(f"later-{i}", POLICY)
        sizes.append(len(limiter))

    assert len(limiter) == 7_000  # every expired client-* key is gone
    assert max(sizes) <= 2 * 5_000 + 100  # never more than twice the live keys


def test_concurrent_hits_never_exceed_burst():
    limiter = MemoryRateLimiter(clock=lambda: 50.0)
    results: list[bool] = []
    barrier = threading.Barrier(8)

    def worker() -> None:
        barrier.wait()
        results.extend(limiter.hit("shared", POLICY).allowed for _ in range(100))

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert len(results) == 800
    assert sum(results) == 10


def test_policy_rejects_nonsense():
    with pytest.raises(ValueError):
        RateLimitPolicy(requests_per_minute=0, burst=1)
    with pytest.raises(ValueError):
        RateLimitPolicy(requests_per_minute=1, burst=0)


def test_hit_cost_micro_check():
    limiter = MemoryRateLimiter()
    policy = RateLimitPolicy(requests_per_minute=10**9, burst=10**6)
    keys = [f"tenant-{i}" for i in range(100)]
    n = 100_000

    start = time.perf_counter()
    for i in range(n):
        limiter.hit(keys[i % 100], policy)
    elapsed = time.perf_counter() - start

    print(f"\nMemoryRateLimiter.hit: {elapsed / n * 1e6:.2f} us per hit")
