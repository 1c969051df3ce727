"""Redis rate limiter: one budget shared by every API replica."""

from __future__ import annotations

import redis

from maestro.ratelimit.base import RateLimitDecision, RateLimitPolicy

# maestro.ratelimit.base.gcra in Lua, in integer microseconds, timed by the Redis server's
# clock so that replicas with skewed clocks still agree. Runs atomically; replicated by effects
# (Redis >= 5), so reading TIME before a write is allowed.
# The TAT is written with %.0f: plain tostring() keeps only 14 significant digits.
_GCRA_LUA = """
local interval = tonumber(ARGV[1])
local tolerance = tonumber(ARGV[2])
local clock = redis.call('TIME')
local now = tonumber(clock[1]) * 1000000 + tonumber(clock[2])
local tat = tonumber(redis.call('GET', KEYS[1]))
if not tat or tat < now then
  tat = now
end
local new_tat = tat + interval
local allow_at = new_tat - tolerance
if now < allow_at then
  return {0, 0, tat - now, allow_at - now}
end
local ttl_ms = math.ceil((new_tat - now) / 1000)
redis.call('SET', KEYS[1], string.format('%.0f', new_tat), 'PX', ttl_ms)
return {1, math.floor((tolerance - (new_tat - now)) / interval), new_tat - now, 0}
"""


class RedisRateLimiter:
    """GCRA state lives in Redis under `prefix + key`, expiring when it would carry no state.

    Redis errors propagate: whether to fail open or closed is the caller's decision.
    """

    def __init__(self, client_or_url: redis.Redis | str, prefix: str = "maestro:rl:") -> None:
        if isinstance(client_or_url, str):
            client_or_url = redis.Redis.from_url(client_or_url)
        self.client = client_or_url
        self.prefix = prefix
        self._script = self.client.register_script(_GCRA_LUA)

    def hit(self, key: str, policy: RateLimitPolicy) -> RateLimitDecision:
        interval = policy.interval_us
        allowed, remaining, reset_us, retry_us = self._script(
            keys=[self.prefix + key], args=[interval, interval * policy.burst]
        )
        return RateLimitDecision.from_micros(
            policy, bool(allowed), int(remaining), int(reset_us), int(retry_us)
        )
