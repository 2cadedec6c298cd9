"""Guessing protection for redemption: after a few wrong codes a minute, a partner key is turned away.

Only failures count (the API and the counter page record them), so a busy cinema is never slowed.
"""

from django.conf import settings
from rest_framework.throttling import SimpleRateThrottle

from unionportal.core.models import ApiKey


class RedeemGuessThrottle(SimpleRateThrottle):
    scope = "coupon_redeem_failures"

    def get_rate(self):
        return settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"].get(self.scope, "5/min")

    def key_for(self, api_key_id: int) -> str:
        return self.cache_format % {"scope": self.scope, "ident": api_key_id}

    def get_cache_key(self, request, view):
        return self.key_for(request.auth.pk) if isinstance(request.auth, ApiKey) else None

    def throttle_success(self):
        return True  # a request is not a failure until the view says so

    def _recent(self, key: str) -> list[float]:
        now = self.timer()
        return [t for t in self.cache.get(key, []) if t > now - self.duration]

    def is_blocked(self, api_key_id: int) -> bool:
        return len(self._recent(self.key_for(api_key_id))) >= self.num_requests

    def record_failure(self, api_key_id: int) -> None:
        key = self.key_for(api_key_id)
        history = self._recent(key)
        history.insert(0, self.timer())
        self.cache.set(key, history, self.duration)
