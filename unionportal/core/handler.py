"""The portal's WSGI handler: Django's, remembering which view each path resolves to.

Django resolves every request's path by trying the URL patterns in order, through each
include: an API call walked five resolvers and about thirty patterns. The answer depends on
the path alone, so each process keeps the last few thousand paths' matches (a path that
resolves to nothing is tried afresh each time). A remembered match serves many requests: its
`kwargs` are read (Django and DRF pass views a copy), never changed.
"""

from functools import lru_cache

from django.conf import settings
from django.core.handlers.wsgi import WSGIHandler
from django.urls import get_resolver

PATHS_REMEMBERED = 4096


class PortalWSGIHandler(WSGIHandler):
    def resolve_request(self, request):
        if hasattr(request, "urlconf"):  # a middleware chose another URLconf: Django's own way
            return super().resolve_request(request)
        match = resolved(settings.ROOT_URLCONF, request.path_info)
        request.resolver_match = match
        return match


@lru_cache(maxsize=PATHS_REMEMBERED)
def resolved(urlconf: str, path: str):
    """The ResolverMatch of `path`; raises Resolver404 (not remembered) when none."""
    return get_resolver(urlconf).resolve(path)
