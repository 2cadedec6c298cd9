"""Rate limits, counted in Redis (the default cache) so every process shares them.

The per-user, per-key and per-address limits run on every API call. Each is a sliding window
estimated from two fixed-window counters (this window's count plus the previous window's,
weighted by how much of it still overlaps), instead of DRF's list of timestamps that is read,
unpickled, extended and written back per request. Each process counts a caller's requests in
batches, up to 1 % of their limit, and asks Redis at once near the limit (core.rate_counts).
"""

import logging

from django.core.cache import cache
from rest_framework import throttling

from .models import ApiKey
from .rate_counts import RateCounts

logger = logging.getLogger(__name__)

counts = RateCounts(lambda: cache.client.get_client(write=True))


class WindowRateThrottle(throttling.SimpleRateThrottle):
    """SimpleRateThrottle's rates and keys, counted through `counts`."""

    def allow_request(self, request, view):
        if self.rate is None:
            return True
        self.key = self.get_cache_key(request, view)
        if self.key is None:
            return True
        now = self.timer()
        window = int(now // self.duration)
        self.window_left = self.duration - (now % self.duration)
        try:
            self.estimate = counts.count(
                cache.make_key(f"{self.key}:{window}"), cache.make_key(f"{self.key}:{window - 1}"),
                limit=self.num_requests, overlap=1 - (now % self.duration) / self.duration,
                lifetime=self.duration * 2, ends=(window + 2) * self.duration,
            )
            counts.flush_if_due()
        except Exception:  # Redis down: the limits pause, the portal does not
            logger.warning("rate limit counters unavailable for %s", self.key)
            return True
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

