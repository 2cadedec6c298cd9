from datetime import timedelta

from django.contrib.auth.models import AnonymousUser
from django.db import DEFAULT_DB_ALIAS
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import HTTP_HEADER_ENCODING, authentication, exceptions

from .compiled import CompiledQuery
from .models import ApiKey
from .services import hash_secret
from .token_lookup import token_find

# Every partner call starts with it: compiled once (core.compiled).
_API_KEY = CompiledQuery(
    lambda prefix: ApiKey.objects.filter(prefix=prefix, is_active=True).select_related("merchant", "station"),
    prefix="api-key-prefix-placeholder",
)
# How stale a partner key's "last used" may get: writing it on every call would cost the
# hottest partner endpoints one UPDATE each.
LAST_USED_PRECISION = timedelta(minutes=1)


def authorization_words(request) -> list[bytes]:
    """The `Authorization` header, split into words. Read from the WSGI environ: DRF's
    get_authorization_header reads `request.headers`, which first builds a dictionary of every
    header the request carries."""
    header = request._request.META.get("HTTP_AUTHORIZATION", b"")
    return (header.encode(HTTP_HEADER_ENCODING) if isinstance(header, str) else header).split()


class BearerTokenAuthentication(authentication.BaseAuthentication):
    """`Authorization: Bearer <token>` from POST /api/v1/auth/token/."""

    keyword = "Bearer"

    def authenticate(self, request):
        parts = authorization_words(request)
        if not parts or parts[0].lower() != self.keyword.lower().encode():
            return None
        if len(parts) != 2:
            raise exceptions.AuthenticationFailed(_("Invalid token header."))
        # One query answers the whole request's "who is this": the user, their membership
        # (if any) and its union, which the member endpoints and IsMember read next.
        token = token_find(hash_secret(parts[1].decode(errors="replace")))
        if token is None or not token.user.is_active:
            raise exceptions.AuthenticationFailed(_("The token is invalid or has expired."), code="invalid_token")
        return token.user, token

    def authenticate_header(self, request):
        return self.keyword


class ApiKeyAuthentication(authentication.BaseAuthentication):
    """`Authorization: Api-Key <prefix>.<secret>` for partner systems."""

    keyword = "Api-Key"

    def authenticate(self, request):
        parts = authorization_words(request)
        if not parts or parts[0].lower() != self.keyword.lower().encode():
            return None
        if len(parts) != 2:
            raise exceptions.AuthenticationFailed(_("Invalid API key header."))
        prefix, _dot, secret = parts[1].decode(errors="replace").partition(".")
        key = _API_KEY.first(DEFAULT_DB_ALIAS, prefix=prefix)
        if key is None or not secret or hash_secret(secret) != key.key_hash:
            raise exceptions.AuthenticationFailed(_("The API key is invalid."), code="invalid_api_key")
        now = timezone.now()
        if key.last_used_at is None or now - key.last_used_at >= LAST_USED_PRECISION:
            ApiKey.objects.filter(pk=key.pk).update(last_used_at=now)
        return AnonymousUser(), key


class BearerTokenScheme(OpenApiAuthenticationExtension):
    target_class = BearerTokenAuthentication
    name = "bearerAuth"

    def get_security_definition(self, auto_schema):
        return {"type": "http", "scheme": "bearer",
                "description": _("`Bearer <token>` from POST /api/v1/auth/token/.")}


class ApiKeyScheme(OpenApiAuthenticationExtension):
    target_class = ApiKeyAuthentication
    name = "apiKeyAuth"

    def get_security_definition(self, auto_schema):
        return {
            "type": "apiKey", "in": "header", "name": "Authorization",
            "description": _("`Api-Key <key>` as issued in the back office."),
        }
