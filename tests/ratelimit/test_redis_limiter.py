from __future__ import annotations

import time

import pytest
import redis

from maestro.ratelimit import RateLimitPolicy, RedisRateLimiter

from .conftest import REDIS_URL

POLICY = RateLimitPolicy(requests_per_minute=60, burst=10)


def test_burst_then_denied(redis_client, redis_prefix):
    limiter = RedisRateLimiter(redis_client, prefix=redis_prefix)

    decisions = [limiter.hit("tenant-a", POLICY) for _ in range(30)]

    allowed = [d for d in decisions if d.allowed]
    denied = [d for d in decisions if not d.allowed]
    assert 9 <= len(allowed) <= 11
    assert allowed[0].remaining == 9
    assert all(d.retry_after > 0 and d.remaining == 0 for d in denied)
    assert 0 < denied[0].retry_after <= 1.0
    assert 9.0 < denied[0].reset_after <= 10.0


def test_tokens_come_back_over_time(redis_client, redis_prefix):
    limiter = RedisRateLimiter(redis_client, prefix=redis_prefix)
    fast = RateLimitPolicy(requests_per_minute=1_200, burst=2)  # one request per 50 ms
    while limiter.hit("tenant-a", fast).allowed:
        pass
    denied = limiter.hit("tenant-a", fast)
    assert not denied.allowed
    assert 0 < denied.retry_after <= fast.emission_interval

    deadline = time.monotonic() + 5
    while not (decision := limiter.hit("tenant-a", fast)).allowed:
        assert time.monotonic() < deadline, "no token came back within 5 s"
        time.sleep(decision.retry_after)

    assert decision.allowed


def test_two_instances_share_one_budget(redis_prefix):
    first = RedisRateLimiter(redis.Redis.from_url(REDIS_URL), prefix=redis_prefix)
    second = RedisRateLimiter(REDIS_URL, prefix=redis_prefix)

    decisions = [(first if i % 2 else second).hit("tenant-a", POLICY) for i in range(30)]

    assert 9 <= sum(d.allowed for d in decisions) <= 11
    first.client.close()
    second.client.close()


def test_keys_are_independent(redis_client, redis_prefix):
    limiter = RedisRateLimiter(redis_client, prefix=redis_prefix)
    for _ in range(12):
        limiter.hit("tenant-a", POLICY)

    assert not limiter.hit("tenant-a", POLICY).allowed
    assert limiter.hit("tenant-b", POLICY).allowed


def test_state_expires_with_its_window(redis_client, redis_prefix):
    limiter = RedisRateLimiter(redis_client, prefix=redis_prefix)

    for _ in range(3):
        limiter.hit("tenant-a", POLICY)

    ttl_ms = redis_client.pttl(f"{redis_prefix}tenant-a")
    assert 2_000 < ttl_ms <= 3_000


def test_survives_script_cache_flush(redis_client, redis_prefix):
    limiter = RedisRateLimiter(redis_client, prefix=redis_prefix)
    limiter.hit("tenant-a", POLICY)

    redis_client.script_flush()

    assert limiter.hit("tenant-a", POLICY).remaining == 8


@pytest.mark.parametrize("rpm", [1, 7, 60, 6_000, 10**7])
def test_remaining_counts_down_exactly(redis_client, redis_prefix, rpm):
    limiter = RedisRateLimiter(redis_client, prefix=redis_prefix)
    policy = RateLimitPolicy(requests_per_minute=rpm, burst=5)

    remaining = [limiter.hit(f"k{rpm}", policy).remaining for _ in range(3)]

    if rpm < 6_000:  # slow enough that no token returns during the three calls
        assert remaining == [4, 3, 2]
    else:
        assert remaining[0] == 4
