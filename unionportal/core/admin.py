from django.contrib import admin, messages
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from members.admin_scoping import CappedCountPaginator, ListAtScaleAdmin, RecordAdmin

from .admin_filters import AuditActionFilter, NotificationEventFilter
from .event_labels import AUDIT_ACTIONS, NOTIFICATION_EVENTS, label
from .models import ApiKey, AuditLog, Notification
from .services import api_key_issue


class SuperuserOnlyAdmin(ListAtScaleAdmin):
    """Platform records that only the federation's superusers manage."""

    def has_module_permission(self, request):
        return request.user.is_active and request.user.is_superuser

    def has_view_permission(self, request, obj=None):
        return self.has_module_permission(request)

    def has_add_permission(self, request):
        return self.has_module_permission(request)

    def has_change_permission(self, request, obj=None):
        return self.has_module_permission(request)

    def has_delete_permission(self, request, obj=None):
        return self.has_module_permission(request)


@admin.register(ApiKey)
class ApiKeyAdmin(SuperuserOnlyAdmin):
    list_display = ("name", "prefix", "scopes", "merchant", "station", "is_active", "created_at", "last_used_at")
    list_filter = ("is_active",)
    search_fields = ("name", "prefix")
    fields = ("name", "scopes", "merchant", "station", "is_active", "prefix", "created_by", "created_at", "last_used_at")
    readonly_fields = ("prefix", "created_by", "created_at", "last_used_at")
    raw_id_fields = ("merchant", "station")

    def save_model(self, request, obj, form, change):
        if change:
            return super().save_model(request, obj, form, change)
        raw, key = api_key_issue(
            name=obj.name, scopes=obj.scopes, merchant=obj.merchant, station=obj.station, created_by=request.user,
        )
        obj.pk, obj.prefix = key.pk, key.prefix
        messages.warning(
            request, _("The new key is %(key)s — copy it now: it is shown only this once.") % {"key": raw},
        )


@admin.register(Notification)
class NotificationAdmin(SuperuserOnlyAdmin):
    # Attempts and the last error are on each message's page: the list stays one screen wide.
    list_display = ("created_at", "event_label", "user", "status", "sent_at")
    list_filter = ("status", ("event", NotificationEventFilter))
    list_select_related = ("user",)
    paginator = CappedCountPaginator  # every message to every member
    readonly_fields = fields = ["event_label" if f.name == "event" else f.name for f in Notification._meta.fields]
    show_full_result_count = False

    class Media:
        css = {"all": ("core/event_labels.css", "core/message_list.css")}

    @admin.display(description=gettext_lazy("event"), ordering="event")
    def event_label(self, notification):
        return label(NOTIFICATION_EVENTS, notification.event)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(AuditLog)
class AuditLogAdmin(RecordAdmin):
    list_display = ("created_at", "actor", "action_label", "content_type", "object_id")
    list_select_related = ("actor", "content_type")  # not two queries per row
    list_filter = (("action", AuditActionFilter),)
    readonly_fields = fields = (
        "created_at", "actor", "action_label", "content_type", "object_id", "organization_path", "changes",
    )
    show_full_result_count = False

    class Media:
        css = {"all": ("core/event_labels.css",)}

    @admin.display(description=gettext_lazy("action"), ordering="action")
    def action_label(self, entry):
        return label(AUDIT_ACTIONS, entry.action)
