from django.utils.translation import gettext_lazy as _
from rest_framework.permissions import BasePermission

from members.scoping import scope_prefix

from .models import ApiKey


def api_key_scope(scope: str) -> type[BasePermission]:
    """Permission class: the request carries an active partner key with `scope`."""

    class HasApiKeyScope(BasePermission):
        message = _("This API key may not do this.")

        def has_permission(self, request, view):
            return isinstance(request.auth, ApiKey) and request.auth.has_scope(scope)

    HasApiKeyScope.__name__ = f"HasApiKeyScope_{scope.replace(':', '_')}"
    HasApiKeyScope.required_scope = scope
    return HasApiKeyScope


class IsStaffInTree(BasePermission):
    """An authenticated staff member with a part of the union tree."""

    def has_permission(self, request, view):
        return bool(request.user and request.user.is_staff and scope_prefix(request.user) is not None)


class IsMember(BasePermission):
    """A logged-in user with a membership (any status; views narrow it further)."""

    def has_permission(self, request, view):
        return bool(request.user and request.user.is_authenticated and hasattr(request.user, "member"))


class HasCredentials(BasePermission):
    """Any valid credentials: a logged-in user or a partner key (a partner is no user)."""

    def has_permission(self, request, view):
        return bool(request.user and request.user.is_authenticated) or isinstance(request.auth, ApiKey)
