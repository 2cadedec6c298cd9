"""The one scoping mechanism: what part of the union tree a user may see.

A staff member holds one StaffAssignment; they see that organisation and everything
below it. A model opts in by naming the lookup of its organisation's path in
`SCOPE_PATH` (e.g. "organization__path" or "member__organization__path"). Anything not
visible behaves as if it did not exist: querysets are filtered, never checked afterwards.
"""

from django.db.models import Model, QuerySet

from .models import StaffAssignment

_ALL = ""  # the empty prefix matches every path


def scope_prefix(user) -> str | None:
    """The path prefix of the user's tree, "" for everything, None for nothing."""
    if user is None or not user.is_authenticated or not user.is_active:
        return None
    if user.is_superuser:
        return _ALL
    assignment = cached_staff_assignment(user)
    return assignment.organization.path if assignment else None


def staff_assignment(user) -> StaffAssignment | None:
    """The staff member's assignment as it stands: for a service deciding what they may do."""
    if user is None or not user.is_authenticated or not user.is_staff:
        return None
    return StaffAssignment.objects.filter(user=user).select_related("organization").first()


def cached_staff_assignment(user) -> StaffAssignment | None:
    """The assignment read once per user object, that is once per request: a back-office page
    asks for it in its scope, each model's permissions and its union filter."""
    cached = getattr(user, "_staff_assignment_cache", False)
    if cached is False:
        cached = staff_assignment(user)
        if user is not None:
            user._staff_assignment_cache = cached
    return cached


def scope_queryset(queryset: QuerySet, user) -> QuerySet:
    """Filter `queryset` to the rows in the user's tree (its model must define SCOPE_PATH)."""
    prefix = scope_prefix(user)
    if prefix is None:
        return queryset.none()
    if prefix == _ALL:
        return queryset
    path_lookup = queryset.model.SCOPE_PATH
    return queryset.filter(**{f"{path_lookup}__startswith": prefix})


def is_scoped_model(model: type[Model]) -> bool:
    return hasattr(model, "SCOPE_PATH")


def is_in_scope(user, organization) -> bool:
    prefix = scope_prefix(user)
    return prefix is not None and organization.path.startswith(prefix)
