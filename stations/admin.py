"""Back office for stations: registry with a map, import, sessions, service orders, readings, usage."""

import csv
import json
from datetime import timedelta

from django import forms
from django.contrib import admin, messages
from django.contrib.postgres.forms import SimpleArrayField
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from leaflet.admin import LeafletGeoAdminMixin

from members.admin_scoping import RecordAdmin, ScopedAdmin, role_allows
from members.models import Organization
from members.scoping import scope_prefix, scope_queryset
from unionportal.core.errors import DomainError
from unionportal.core.pii import mask_name

from . import importing, selectors, services
from .models import (
    Amenity, HealthReading, MobileStop, OpeningException, OpeningHours, Rating, ServiceOffering, ServiceOrder,
    ServiceSession, SessionBooking, Station, StationPhoto, Visit,
)


class StationForm(forms.ModelForm):
    amenities = forms.MultipleChoiceField(
        label=_("amenities"), choices=Amenity.choices, widget=forms.CheckboxSelectMultiple, required=False,
    )
    honours = SimpleArrayField(
        forms.CharField(max_length=128), delimiter="\n", required=False, label=_("honours"),
        widget=forms.Textarea(attrs={"rows": 2}), help_text=_("One honour per line, e.g. 最美工会户外劳动者服务站点."),
    )

    class Meta:
        model = Station
        fields = "__all__"

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.initial["honours"] = "\n".join(self.instance.honours)


class RoleInline:
    """Inlines follow the staff role, like ScopedAdmin (the parent admin has checked the scope).

    Django's own inline checks ask for model permissions, which staff roles do not grant.
    """

    def has_view_permission(self, request, obj=None):
        return role_allows(request.user, "view")

    def has_add_permission(self, request, obj=None):
        return role_allows(request.user, "change")

    def has_change_permission(self, request, obj=None):
        return role_allows(request.user, "change")

    def has_delete_permission(self, request, obj=None):
        return role_allows(request.user, "change")


class OpeningHoursInline(RoleInline, admin.TabularInline):
    model = OpeningHours
    extra = 0


class OpeningExceptionInline(RoleInline, admin.TabularInline):
    model = OpeningException
    extra = 0

    def get_queryset(self, request):
        # Past exceptions stay in the database; the form shows the ones still ahead.
        return super().get_queryset(request).filter(date__gte=timezone.localdate() - timedelta(days=1))


class MobileStopInline(RoleInline, LeafletGeoAdminMixin, admin.StackedInline):
    model = MobileStop
    extra = 0

    def get_queryset(self, request):
        return super().get_queryset(request).filter(date__gte=timezone.localdate())


class PhotoInline(RoleInline, admin.TabularInline):
    model = StationPhoto
    extra = 0


class SessionInline(RoleInline, admin.TabularInline):
    model = ServiceSession
    extra = 0
    fields = ("kind", "title", "starts_at", "ends_at", "capacity", "booked")
    readonly_fields = ("booked",)

    def get_queryset(self, request):
        return super().get_queryset(request).filter(ends_at__gte=timezone.now())


class OfferingInline(RoleInline, admin.TabularInline):
    model = ServiceOffering
    extra = 0


class StationImportForm(forms.Form):
    file = forms.FileField(label=_("CSV or GeoJSON file"), help_text=_("At most 5,000 rows; UTF-8."))
    organization = forms.ModelChoiceField(
        queryset=Organization.objects.none(), required=False, label=_("run by (rows without one)"),
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["organization"].queryset = scope_queryset(
            Organization.objects.filter(kind__in=[Organization.Kind.DISTRICT, Organization.Kind.STREET]), user,
        ).order_by("path")

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if not upload.name.lower().endswith((".csv", ".geojson", ".json")):
            raise forms.ValidationError(_("Upload a .csv or a .geojson file."))
        if upload.size > 5 * 1024 * 1024:
            raise forms.ValidationError(_("The file is larger than 5 MB."))
        try:
            rows = importing.read_rows(upload.name, upload.read())
        except (UnicodeDecodeError, json.JSONDecodeError, csv.Error) as error:
            raise forms.ValidationError(_("The file cannot be read: %(error)s") % {"error": error}) from None
        except ValueError as error:
            raise forms.ValidationError(str(error)) from None
        if not rows:
            raise forms.ValidationError(_("The file has no rows."))
        if len(rows) > importing.MAX_ROWS:
            raise forms.ValidationError(_("At most 5,000 rows per file."))
        return rows


@admin.register(Station)
class StationAdmin(LeafletGeoAdminMixin, ScopedAdmin):
    form = StationForm
    list_display = ("name", "kind", "organization", "host", "is_open_24h", "rating_display", "is_active")
    list_filter = ("kind", "is_active", "is_open_24h")
    search_fields = ("name", "address", "host")
    list_select_related = ("organization",)
    autocomplete_fields = ("organization",)
    show_full_result_count = False
    readonly_fields = ("rating_display", "poster_link")
    fieldsets = (
        (None, {"fields": ("name", "kind", "organization", "host", "address", "location", "is_active")}),
        (_("Service"), {"fields": ("amenities", "is_open_24h", "contact_phone", "partner_clinic", "description")}),
        (_("Honours and ratings"), {"fields": ("honours", "rating_display", "poster_link")}),
    )
    inlines = [OpeningHoursInline, OpeningExceptionInline, MobileStopInline, SessionInline, OfferingInline, PhotoInline]
    settings_overrides = {"DEFAULT_ZOOM": 13}

    @admin.display(description=_("average rating"))
    def rating_display(self, obj):
        average = obj.rating_average
        return "—" if average is None else f"{average} ({obj.rating_count})"

    @admin.display(description=_("QR poster"))
    def poster_link(self, obj):
        if not obj.pk:
            return "—"
        return format_html('<a href="{}" target="_blank">{}</a>', reverse("stations:poster", args=[obj.pk]),
                           gettext("Print the check-in poster"))

    def get_urls(self):
        return [
            path("import/", self.admin_site.admin_view(self.import_view), name="stations_station_import"),
            path("usage/", self.admin_site.admin_view(self.usage_view), name="stations_station_usage"),
        ] + super().get_urls()

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        from unionportal.core.services import audit_log

        audit_log(actor=request.user, action="station_changed" if change else "station_added", obj=obj,
                  changes={"fields": form.changed_data}, organization_path=obj.organization.path)

    def import_view(self, request):
        if not self.has_add_permission(request):
            raise PermissionDenied
        rows, saved = None, None
        form = StationImportForm(request.POST or None, request.FILES or None, user=request.user)
        if request.method == "POST" and form.is_valid():
            rows = importing.validate_rows(
                form.cleaned_data["file"], user=request.user, default_organization=form.cleaned_data["organization"],
            )
            if all(not row.errors for row in rows):
                saved = importing.stations_import(rows=rows, user=request.user)
                messages.success(request, gettext("%(count)d stations imported.") % {"count": len(saved)})
                return redirect("admin:stations_station_changelist")
        context = {
            **self.admin_site.each_context(request), "title": gettext("Import stations"), "form": form,
            "bad_rows": [row for row in rows or [] if row.errors], "row_count": len(rows or []),
            "opts": self.model._meta,
        }
        return TemplateResponse(request, "admin/stations/station/import.html", context)

    def usage_view(self, request):
        if not self.has_view_permission(request):
            raise PermissionDenied
        today = timezone.localdate()
        by = "month" if request.GET.get("by") == "month" else "day"
        since = today.replace(day=1) - timedelta(days=330) if by == "month" else today - timedelta(days=29)
        station_id = request.GET.get("station")
        station = None
        if station_id and station_id.isdecimal():
            station = selectors.stations_visible_to(request.user).filter(pk=int(station_id)).first()
        periods = selectors.visits_per_period(request.user, station_id=station.pk if station else None, by=by, since=since)
        top = max((p["visits"] for p in periods), default=0) or 1
        for period in periods:
            period["percent"] = round(100 * period["visits"] / top)
        most, least = selectors.stations_by_use(request.user, since=today - timedelta(days=29))
        context = {
            **self.admin_site.each_context(request), "title": gettext("Station usage"), "periods": periods, "by": by,
            "station": station, "most": most, "least": least, "opts": self.model._meta,
        }
        return TemplateResponse(request, "admin/stations/station/usage.html", context)


class StationChildAdmin(ScopedAdmin):
    """Records that hang off a station: scoped through the station's union."""

    list_select_related = ("station",)
    show_full_result_count = False

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "station":
            kwargs["queryset"] = selectors.stations_visible_to(request.user)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


@admin.register(ServiceSession)
class ServiceSessionAdmin(StationChildAdmin):
    list_display = ("title", "kind", "station", "starts_at", "capacity", "booked")
    list_filter = ("kind",)
    date_hierarchy = "starts_at"
    search_fields = ("title", "station__name")
    readonly_fields = ("booked",)
    raw_id_fields = ("station",)


@admin.register(SessionBooking)
class SessionBookingAdmin(ScopedAdmin):
    list_display = ("session", "member_name", "status", "created_at")
    list_filter = ("status",)
    list_select_related = ("session", "member")
    show_full_result_count = False
    readonly_fields = ("session", "member_name", "status", "created_at", "cancelled_at")
    fields = readonly_fields

    @admin.display(description=_("member"))
    def member_name(self, obj):
        return mask_name(obj.member.name)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(ServiceOffering)
class ServiceOfferingAdmin(StationChildAdmin):
    list_display = ("title", "kind", "station", "max_head_count", "is_active")
    list_filter = ("kind", "is_active")
    raw_id_fields = ("station",)


class DeclineForm(forms.Form):
    reason = forms.CharField(label=_("reason"), max_length=255, widget=forms.Textarea(attrs={"rows": 3}))


@admin.register(ServiceOrder)
class ServiceOrderAdmin(ScopedAdmin):
    """The ordering union's staff add orders; the providing station's staff confirm or decline them."""

    list_display = ("offering", "organization", "date", "head_count", "status")
    list_filter = ("status",)
    list_select_related = ("offering__station", "organization")
    autocomplete_fields = ("organization",)
    show_full_result_count = False
    fields = ("offering", "organization", "date", "head_count", "note", "status", "decline_reason", "decided_by")
    readonly_fields = ("status", "decline_reason", "decided_by")
    actions = ["confirm_orders", "decline_orders"]

    def get_queryset(self, request):
        prefix = scope_prefix(request.user)
        qs = ServiceOrder.objects.all()
        if prefix is None:
            return qs.none()
        return qs.filter(Q(organization__path__startswith=prefix) | Q(offering__station__organization__path__startswith=prefix))

    def _in_scope(self, request, obj):
        return obj is None or self.get_queryset(request).filter(pk=obj.pk).exists()

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "offering":
            kwargs["queryset"] = ServiceOffering.objects.filter(is_active=True, station__is_active=True).select_related("station")
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def get_readonly_fields(self, request, obj=None):
        if obj is not None:  # an order is changed by deciding on it, not by editing it
            return self.fields
        return self.readonly_fields

    def save_model(self, request, obj, form, change):
        if not change:
            obj.ordered_by = request.user
        super().save_model(request, obj, form, change)

    def _decidable(self, request, queryset):
        prefix = scope_prefix(request.user) or ""
        return queryset.filter(offering__station__organization__path__startswith=prefix)

    @admin.action(description=_("Confirm the selected orders"))
    def confirm_orders(self, request, queryset):
        self._decide(request, self._decidable(request, queryset), confirm=True)

    @admin.action(description=_("Decline the selected orders (asks for a reason)"))
    def decline_orders(self, request, queryset):
        form = DeclineForm(request.POST if "reason" in request.POST else None)
        if form.is_valid():
            self._decide(request, self._decidable(request, queryset), confirm=False, reason=form.cleaned_data["reason"])
            return None
        context = {
            **self.admin_site.each_context(request), "title": gettext("Decline orders"), "form": form,
            "orders": queryset, "opts": self.model._meta, "action": "decline_orders",
        }
        return TemplateResponse(request, "admin/stations/serviceorder/decline.html", context)

    def _decide(self, request, queryset, *, confirm, reason=""):
        done = 0
        for order in queryset:
            try:
                services.service_order_decide(order=order, staff=request.user, confirm=confirm, reason=reason)
                done += 1
            except DomainError as error:
                messages.error(request, f"{order}: {error.message}")
        if done:
            messages.success(request, gettext("%(count)d orders decided.") % {"count": done})


@admin.register(HealthReading)
class HealthReadingAdmin(RecordAdmin):
    """Station staff's follow-up list. Every look at readings is written to the access log."""

    list_display = ("measured_at", "station", "member_name", "is_abnormal", "followed_up_at")
    list_filter = ("is_abnormal", ("followed_up_at", admin.EmptyFieldListFilter))
    list_select_related = ("station__organization", "member")
    show_full_result_count = False
    fields = ("station", "member_name", "measured_at", "readings_display", "is_abnormal", "followed_up_at", "followed_up_by")
    readonly_fields = fields
    actions = ["mark_followed_up"]

    @admin.display(description=_("member"))
    def member_name(self, obj):
        return f"{mask_name(obj.member.name)} ({obj.member.card_number})"

    @admin.display(description=_("readings"))
    def readings_display(self, obj):
        from .rules import REFERENCE_RANGES

        data = services.health_reading_data(obj)
        rows = format_html_join(
            "", "<tr><td>{}</td><td>{}</td><td>{}</td></tr>",
            ((REFERENCE_RANGES[name].label, f"{value} {REFERENCE_RANGES[name].unit}", data["flags"][name])
             for name, value in data["values"].items()),
        )
        return format_html("<table>{}</table><p>{}</p>", rows, data["advice"])

    def changelist_view(self, request, extra_context=None):
        response = super().changelist_view(request, extra_context)
        change_list = getattr(response, "context_data", {}).get("cl")
        if change_list is not None:
            services.health_readings_viewed(viewer=request.user, readings=list(change_list.result_list),
                                            context="admin_follow_up_list")
        return response

    def change_view(self, request, object_id, form_url="", extra_context=None):
        response = super().change_view(request, object_id, form_url, extra_context)
        reading = self.get_queryset(request).filter(pk=object_id).select_related("station__organization").first() \
            if str(object_id).isdecimal() else None
        if reading is not None and response.status_code == 200:
            services.health_readings_viewed(viewer=request.user, readings=[reading], context="admin_reading_detail")
        return response

    @admin.action(description=_("Mark as followed up"))
    def mark_followed_up(self, request, queryset):
        if not role_allows(request.user, "change"):
            raise PermissionDenied
        for reading in queryset:
            services.health_reading_follow_up(reading=reading, staff=request.user)


@admin.register(Visit)
class VisitAdmin(StationChildAdmin):
    list_display = ("visited_at", "station", "visitor_category", "source")
    # A date filter rather than a date hierarchy: the hierarchy's years and months are each a
    # SELECT DISTINCT over every visit in the tree (millions a year).
    list_filter = ("source", "visitor_category", "visited_on")
    fields = ("station", "visitor_category", "visited_at")
    raw_id_fields = ("station",)

    def has_change_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        visit = services.visit_record(station=obj.station, source=Visit.Source.STAFF,
                                      visitor_category=obj.visitor_category, at=obj.visited_at)
        obj.pk, obj.visited_on, obj.source = visit.pk, visit.visited_on, visit.source

    def get_changeform_initial_data(self, request):
        return {"visited_at": timezone.now()}

    def changelist_view(self, request, extra_context=None):
        extra_context = {**(extra_context or {}), "usage_url": reverse("admin:stations_station_usage")}
        return super().changelist_view(request, extra_context)


@admin.register(Rating)
class RatingAdmin(StationChildAdmin):
    list_display = ("created_at", "station", "score", "comment")
    list_filter = ("score",)
    readonly_fields = ("station", "score", "comment", "rated_on", "created_at")
    fields = readonly_fields

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
