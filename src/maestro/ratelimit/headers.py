"""HTTP fields for rate limits, per draft-ietf-httpapi-ratelimit-headers-09 (March 2025).

`RateLimit-Policy: "default";q=10;w=10` advertises the quota (q units per w seconds; for GCRA,
q is the burst and w the time a spent burst takes to refill) and
`RateLimit: "default";r=3;t=7` the units remaining and seconds until the quota is full again.
Both are Structured Field Lists (RFC 9651) of Strings with Integer parameters. A denied
request also gets `Retry-After` (RFC 9110) in whole seconds, never 0.
"""

from __future__ import annotations

import math

from maestro.ratelimit.base import RateLimitDecision, RateLimitPolicy


def rate_limit_headers(
    decision: RateLimitDecision, policy: RateLimitPolicy, policy_name: str = "default"
) -> list[tuple[str, str]]:
    name = _sf_string(policy_name)
    headers = [
        ("RateLimit-Policy", f"{name};q={policy.burst};w={_seconds(policy.window)}"),
        ("RateLimit", f"{name};r={max(0, decision.remaining)};t={_seconds(decision.reset_after)}"),
    ]
    if not decision.allowed:
        headers.append(("Retry-After", str(max(1, _seconds(decision.retry_after)))))
    return headers


def _seconds(value: float) -> int:
    """Round up, so a client waiting that long is never early (slack absorbs float noise)."""
    return max(0, math.ceil(value - 1e-6))


def _sf_string(value: str) -> str:
    if not value.isascii() or not value.isprintable():
        raise ValueError(f"policy name must be printable ASCII: {value!r}")
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
