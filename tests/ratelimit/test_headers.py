from __future__ import annotations

import re

import pytest

from maestro.ratelimit import (
    MemoryRateLimiter,
    RateLimitDecision,
    RateLimitPolicy,
    RedisRateLimiter,
    rate_limit_headers,
    rate_limiter_from_url,
)

from .conftest import REDIS_URL

POLICY = RateLimitPolicy(requests_per_minute=60, burst=10)
POLICY_FIELD = re.compile(r'^"[^"\\]*";q=\d+;w=\d+$')
STATE_FIELD = re.compile(r'^"[^"\\]*";r=\d+;t=\d+$')


def test_allowed_response_headers():
    decision = RateLimitDecision(True, 10, 7, reset_after=3.2, retry_after=0.0)

    headers = rate_limit_headers(decision, POLICY)

    assert headers == [
        ("RateLimit-Policy", '"default";q=10;w=10'),
        ("RateLimit", '"default";r=7;t=4'),
    ]


def test_denied_response_adds_retry_after_of_at_least_one_second():
    decision = RateLimitDecision(False, 10, 0, reset_after=9.9, retry_after=0.2)

    headers = dict(rate_limit_headers(decision, POLICY, policy_name="tenant"))

    assert POLICY_FIELD.match(headers["RateLimit-Policy"])
    assert headers["RateLimit"] == '"tenant";r=0;t=10'
    assert headers["Retry-After"] == "1"


def test_headers_from_a_real_limiter_are_well_formed(clock):
    limiter = MemoryRateLimiter(clock)
    policy = RateLimitPolicy(requests_per_minute=7, burst=3)

    for _ in range(5):
        headers = dict(rate_limit_headers(limiter.hit("k", policy), policy))
        assert POLICY_FIELD.match(headers["RateLimit-Policy"])
        assert STATE_FIELD.match(headers["RateLimit"])
        assert "Retry-After" not in headers or int(headers["Retry-After"]) >= 1

    assert headers["RateLimit-Policy"] == '"default";q=3;w=26'
    assert headers["Retry-After"] == "9"


def test_policy_name_is_escaped_or_rejected():
    decision = RateLimitDecision(True, 10, 9, reset_after=1.0, retry_after=0.0)

    headers = dict(rate_limit_headers(decision, POLICY, policy_name='a"b'))

    assert headers["RateLimit"] == '"a\\"b";r=9;t=1'
    with pytest.raises(ValueError):
        rate_limit_headers(decision, POLICY, policy_name="caf\u00e9")
    with pytest.raises(ValueError):
        rate_limit_headers(decision, POLICY, policy_name="a\r\nX-Injected: 1")


def test_rate_limiter_from_url():
    assert isinstance(rate_limiter_from_url(None), MemoryRateLimiter)
    assert isinstance(rate_limiter_from_url(""), MemoryRateLimiter)
    limiter = rate_limiter_from_url(REDIS_URL)
    assert isinstance(limiter, RedisRateLimiter)
    limiter.client.close()
