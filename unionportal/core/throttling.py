"""Rate limits, counted in Redis (the default cache) so every process shares them."""

from rest_framework import throttling

from .models import ApiKey


class UserRateThrottle(throttling.UserRateThrottle):
    def get_cache_key(self, request, view):
        if not request.user or not request.user.is_authenticated:
            return None
        return self.cache_format % {"scope": self.scope, "ident": request.user.pk}


class AnonymousRateThrottle(throttling.AnonRateThrottle):
    def get_cache_key(self, request, view):
        if (request.user and request.user.is_authenticated) or isinstance(request.auth, ApiKey):
            return None
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}


class ApiKeyRateThrottle(throttling.SimpleRateThrottle):
    scope = "api_key"

    def get_cache_key(self, request, view):
        if not isinstance(request.auth, ApiKey):
            return None
        return self.cache_format % {"scope": self.scope, "ident": request.auth.pk}


class TokenRateThrottle(throttling.SimpleRateThrottle):
    """Login attempts: per client address and per phone number tried."""

    scope = "token"

    def get_cache_key(self, request, view):
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}
