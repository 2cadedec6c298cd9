"""Rate limits, counted in Redis (the default cache) so every process shares them.

The per-user, per-key and per-address limits run on every API call, so they cost one Redis
script call each: a sliding window estimated from two fixed-window counters (this window's
count plus the previous window's, weighted by how much of it still overlaps), instead of
DRF's list of timestamps that is read, unpickled, extended and written back per request.
"""

import logging

from django.core.cache import cache
from rest_framework import throttling

from .models import ApiKey

logger = logging.getLogger(__name__)


# This window's count, one up (its expiry set with the first), and the previous window's.
_WINDOW_COUNT_LUA = """
local current = redis.call('INCR', KEYS[1])
if current == 1 then redis.call('EXPIRE', KEYS[1], ARGV[1]) end
return {current, redis.call('GET', KEYS[2]) or 0}
"""
_scripts = {}


def _window_count(client):
    """The counting script (EVALSHA, loaded again by redis-py if Redis was restarted)."""
    script = _scripts.get("window")
    if script is None:
        script = _scripts["window"] = client.register_script(_WINDOW_COUNT_LUA)
    return script


class WindowRateThrottle(throttling.SimpleRateThrottle):
    """SimpleRateThrottle's rates and keys, counted with one Redis script call per request."""

    def allow_request(self, request, view):
        if self.rate is None:
            return True
        self.key = self.get_cache_key(request, view)
        if self.key is None:
            return True
        now = self.timer()
        window = int(now // self.duration)
        keys = [cache.make_key(f"{self.key}:{window}"), cache.make_key(f"{self.key}:{window - 1}")]
        try:
            client = cache.client.get_client(write=True)
            current, previous = _window_count(client)(keys=keys, args=[self.duration * 2], client=client)
        except Exception:  # Redis down: the limits pause, the portal does not
            logger.warning("rate limit counters unavailable for %s", self.key)
            return True
        overlap = 1 - (now % self.duration) / self.duration
        self.estimate = int(previous or 0) * overlap + current
        self.window_left = self.duration - (now % self.duration)
        return self.estimate <= self.num_requests

    def wait(self):
        return max(1, int(self.window_left))


class CallerRateThrottle(WindowRateThrottle):
    """The API's general limit, one per caller: a signed-in user by id (the "user" rate), a
    partner key by id ("api_key"), anyone else by address ("anon"). One throttle that picks the
    caller's scope is set up once per request, where a throttle per scope was set up three
    times, two of them to stand aside."""

    def __init__(self):
        # The scope, and with it the rate, is known once the caller is (get_cache_key).
        self.rate = "per caller"

    def get_cache_key(self, request, view):
        if request.user and request.user.is_authenticated:
            self.scope, ident = "user", request.user.pk
        elif isinstance(request.auth, ApiKey):
            self.scope, ident = "api_key", request.auth.pk
        else:
            self.scope, ident = "anon", self.get_ident(request)
        self.num_requests, self.duration = self.parse_rate(self.THROTTLE_RATES[self.scope])
        return self.cache_format % {"scope": self.scope, "ident": ident}


class TokenRateThrottle(throttling.SimpleRateThrottle):
    """Login attempts per client address (failures per account are counted by the lockout)."""

    scope = "token"

    def get_cache_key(self, request, view):
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}

