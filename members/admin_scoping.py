"""Admin side of the scoping mechanism: every ModelAdmin of a scoped model uses ScopedAdmin.

Change lists, change pages, history, delete, actions and autocompletes all go through
get_queryset, so an object outside the staff member's tree is "not found". Foreign-key
choices are scoped through the related model's SCOPE_PATH.
"""

from django.contrib import admin
from django.contrib.admin import helpers
from django.core.exceptions import EmptyResultSet
from django.core.paginator import Paginator
from django.db import connection
from django.utils.functional import cached_property
from django.utils.html import format_html
from django.utils.translation import gettext as _

from .models import StaffAssignment
from .scoping import cached_staff_assignment, is_scoped_model, scope_prefix, scope_queryset

# What each role may do in the back office.
ROLE_PERMISSIONS = {
    StaffAssignment.Role.ADMIN: {"view", "add", "change", "delete"},
    StaffAssignment.Role.REVIEWER: {"view", "change"},
    StaffAssignment.Role.VIEWER: {"view"},
}


def role_allows(user, action: str) -> bool:
    if not (user.is_active and user.is_staff):
        return False
    if user.is_superuser:
        return True
    assignment = cached_staff_assignment(user)
    return assignment is not None and action in ROLE_PERMISSIONS[assignment.role]


class AtLeast(int):
    """A count that stopped at its cap. It compares and pages as the cap, and reads "10,000+"
    wherever the admin prints it: the result count, the paginator line, "Select all"."""

    def __str__(self):
        return f"{int(self):,}+"


class CappedCountPaginator(Paginator):
    """Counts at most CAP rows: a change list over a million members never counts them all."""

    CAP = 10_000

    @cached_property
    def count(self):
        query = self.object_list.order_by().values("pk")[: self.CAP + 1].query
        try:
            sql, params = query.sql_with_params()
        except EmptyResultSet:  # e.g. a filter that can match nothing
            return 0
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT count(*) FROM ({sql}) AS capped", params)
            counted = cursor.fetchone()[0]
        return AtLeast(self.CAP) if counted > self.CAP else counted


class ListAtScaleAdmin(admin.ModelAdmin):
    """Change lists that stay cheap at a city's millions of rows."""

    # Per-option counts ("show counts") would count every filter option over the whole table.
    show_facets = admin.ShowFacets.NEVER
    # A page a person reads, the same on every list: rows are most of a list's rendering, and
    # Django's 100 took a district's claims or nominations past 150 ms on a slow server.
    list_per_page = 50

    def action_checkbox(self, obj):
        # Django renders a form widget template per row; on a long change list that was
        # the largest part of the page's time. Same markup, written directly.
        return format_html(
            '<input type="checkbox" name="{}" value="{}" class="action-select" aria-label="{}">',
            helpers.ACTION_CHECKBOX_NAME, obj.pk, format_html(_("Select this object for an action - {}"), str(obj)),
        )


class ScopedAdmin(ListAtScaleAdmin):
    """ModelAdmin for a model with SCOPE_PATH; permissions come from the staff role."""

    # Set to False for models only the city federation's superusers change (e.g. plans).
    staff_may_add = True
    # A city's coupons, visits or audit rows: no change list counts a whole table.
    paginator = CappedCountPaginator

    def get_queryset(self, request):
        return scope_queryset(super().get_queryset(request), request.user)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        related = db_field.remote_field.model
        if is_scoped_model(related) and "queryset" not in kwargs:
            kwargs["queryset"] = scope_queryset(related._default_manager.all(), request.user)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        related = db_field.remote_field.model
        if is_scoped_model(related) and "queryset" not in kwargs:
            kwargs["queryset"] = scope_queryset(related._default_manager.all(), request.user)
        return super().formfield_for_manytomany(db_field, request, **kwargs)

    def has_module_permission(self, request):
        return role_allows(request.user, "view") and scope_prefix(request.user) is not None

    def has_view_permission(self, request, obj=None):
        return role_allows(request.user, "view") and self._in_scope(request, obj)

    def has_add_permission(self, request):
        return self.staff_may_add and role_allows(request.user, "add")

    def has_change_permission(self, request, obj=None):
        return role_allows(request.user, "change") and self._in_scope(request, obj)

    def has_delete_permission(self, request, obj=None):
        return role_allows(request.user, "delete") and self._in_scope(request, obj)

    def _in_scope(self, request, obj) -> bool:
        if obj is None or request.user.is_superuser:
            return True
        return scope_queryset(type(obj)._default_manager.filter(pk=obj.pk), request.user).exists()


class RecordAdmin(ScopedAdmin):
    """Records the portal writes itself (access and audit logs, readings, exports): staff in
    scope view them and never add, change or delete one."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
