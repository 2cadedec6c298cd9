"""The member change list away from its page: the members it shows a staff member with given
filters, and those filters in words. An export written later by a worker holds the same rows
the staff member was looking at, read in their tree as it stands then."""

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, QueryDict
from django.urls import reverse
from django.utils.translation import gettext, pgettext

from .models import Member

# Longer filters than this are not a list a person made.
QUERY_STRING_MAX = 2000
# The list's page, sort order and error flag say nothing about which members it holds.
NOT_FILTERS = ("p", "o", "e", "_changelist_filters")


def filters_only(query_string: str) -> str:
    query = QueryDict(query_string, mutable=True)
    for name in NOT_FILTERS:
        query.pop(name, None)
    return query.urlencode()


def member_changelist(user, query_string: str, model=Member):
    """The change list of `model` (members, or pending applications) `user` would see at `query_string`.

    Raises PermissionDenied when they may not see members (any more), and the admin's
    IncorrectLookupParameters for filters it cannot read.
    """
    request = HttpRequest()
    request.method = "GET"
    request.user = user
    request.GET = QueryDict(query_string)
    request.path = request.path_info = reverse(f"admin:members_{model._meta.model_name}_changelist")
    model_admin = admin.site.get_model_admin(model)
    if not model_admin.has_view_permission(request):
        raise PermissionDenied
    return model_admin.get_changelist_instance(request)


def describe(changelist) -> str:
    """The list's filters and search in words, e.g. "状态：待审核；工会：丰泽区总工会"."""
    used = changelist.get_filters_params()
    parts = []
    for spec in changelist.filter_specs:
        if not any(name in used for name in spec.expected_parameters()):
            continue
        chosen = [str(choice["display"]) for choice in spec.choices(changelist) if choice["selected"]]
        parts.append(gettext("%(filter)s: %(choice)s") % {"filter": spec.title, "choice": ", ".join(chosen)})
    if changelist.query:
        parts.append(gettext("search: “%(term)s”") % {"term": changelist.query})
    return pgettext("between a list's filters", "; ").join(parts) or gettext("every member in your tree")
