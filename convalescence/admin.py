"""Back office for convalescence: catalogue, sessions and quotas, nominations, settlements, reports.

State changes (nominating, approving, checking in, closing rosters, settling) go through
the services; counters and statuses are read-only here.
"""

from django import forms
from django.contrib import admin, messages
from django.http import HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from leaflet.admin import LeafletGeoAdminMixin

from members.admin import UnionTreeFilter
from members.admin_scoping import ListAtScaleAdmin, ScopedAdmin, role_allows
from unionportal.core.admin_search import ExactSearchMixin
from unionportal.core.errors import DomainError
from unionportal.core.pii import mask_name
from unionportal.core.services import audit_log

from . import exports, selectors, services
from .models import Base, Nomination, NominationStatus, Program, SeatQuota, Session, Settlement, SettlementLine, SubsidyRate


def _run(request, action, *, success):
    """Call a service; a rule's refusal becomes an error message instead of a 500."""
    try:
        result = action()
    except DomainError as error:
        messages.error(request, str(error.message))
        return None
    messages.success(request, success)
    return result


def _xlsx(content: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


class ThemesField(forms.MultipleChoiceField):
    widget = forms.CheckboxSelectMultiple


@admin.register(Base)
class BaseAdmin(LeafletGeoAdminMixin, ScopedAdmin):
    list_display = ("name", "level", "beds", "themes_display", "accredited_until", "is_active")
    list_filter = ("level", "is_active", "is_out_of_province")
    search_fields = ("name", "address")
    show_full_result_count = False
    list_select_related = ("organization",)
    autocomplete_fields = ("organization",)
    fieldsets = (
        (None, {"fields": ("name", "level", "organization", "is_active")}),
        (_("Place"), {"fields": ("address", "location", "is_out_of_province", "beds", "themes")}),
        (_("Contact and accreditation"), {"fields": ("contact_name", "contact_phone", "accredited_from", "accredited_until")}),
    )

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        if db_field.name == "themes":
            return ThemesField(choices=db_field.base_field.choices, required=False, label=db_field.verbose_name)
        return super().formfield_for_dbfield(db_field, request, **kwargs)

    @admin.display(description=_("themes"))
    def themes_display(self, base):
        from .models import Theme

        return "、".join(str(Theme(t).label) for t in base.themes)


@admin.register(Program)
class ProgramAdmin(ScopedAdmin):
    list_display = ("name", "base", "kind", "days", "is_active")
    list_filter = ("kind", "is_active")
    search_fields = ("name", "base__name")
    list_select_related = ("base",)
    autocomplete_fields = ("base",)
    show_full_result_count = False

    def get_readonly_fields(self, request, obj=None):
        # Sessions copied the length when they were made; changing it later would split the two.
        if obj is not None and obj.sessions.exists():
            return ("base", "kind", "days")
        return ()


class SeatQuotaFormSet(forms.BaseInlineFormSet):
    def clean(self):
        super().clean()
        total = sum(
            form.cleaned_data.get("seats") or 0 for form in self.forms
            if form.cleaned_data and not form.cleaned_data.get("DELETE")
        )
        if self.instance.pk and total > self.instance.seats:
            raise forms.ValidationError(
                gettext("The quotas add up to more than the session's %(seats)d seats.") % {"seats": self.instance.seats}
            )


class SeatQuotaInline(admin.TabularInline):
    model = SeatQuota
    formset = SeatQuotaFormSet
    extra = 1
    autocomplete_fields = ("organization",)
    verbose_name_plural = _("seat quotas (seats not given out stay open to all unions below the organiser)")

    # The session's page decides who may see it; quotas follow the staff role.
    def has_view_permission(self, request, obj=None):
        return role_allows(request.user, "view")

    def has_add_permission(self, request, obj=None):
        return role_allows(request.user, "change")

    def has_change_permission(self, request, obj=None):
        return role_allows(request.user, "change")

    def has_delete_permission(self, request, obj=None):
        return role_allows(request.user, "change")


class SessionForm(forms.ModelForm):
    class Meta:
        model = Session
        fields = ("program", "organising_union", "starts_on", "seats", "nomination_opens_at", "nomination_closes_at",
                  "confirmation_deadline")

    def clean_seats(self):
        seats = self.cleaned_data["seats"]
        if self.instance.pk and seats < self.instance.confirmed_count:
            raise forms.ValidationError(gettext("%(count)d members have already confirmed.") % {"count": self.instance.confirmed_count})
        return seats


@admin.register(Session)
class SessionAdmin(ScopedAdmin):
    form = SessionForm
    list_display = ("__str__", "base_name", "starts_on", "ends_on", "seats", "confirmed_count", "attended_count",
                    "organising_union", "roster_closed_at", "roster_link")
    list_filter = ("program__kind", "starts_on")
    date_hierarchy = "starts_on"
    search_fields = ("program__name", "program__base__name")
    list_select_related = ("program__base", "organising_union")
    autocomplete_fields = ("program", "organising_union")
    readonly_fields = ("ends_on", "confirmed_count", "attended_count", "roster_closed_at")
    inlines = [SeatQuotaInline]
    show_full_result_count = False
    actions = ["approve_nominations", "close_roster", "settle", "export_rosters"]

    @admin.display(description=_("base"))
    def base_name(self, session):
        return session.program.base.name

    @admin.display(description=_("check-in"))
    def roster_link(self, session):
        return format_html('<a href="{}">{}</a>', reverse("convalescence:roster", args=[session.pk]), gettext("Roster"))

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return ()
        return ("program", "organising_union", "starts_on", *self.readonly_fields)

    def get_fields(self, request, obj=None):
        fields = list(SessionForm.Meta.fields)
        return fields if obj is None else [*fields, "ends_on", "confirmed_count", "attended_count", "roster_closed_at"]

    def save_model(self, request, obj, form, change):
        if change:
            super().save_model(request, obj, form, change)
            audit_log(actor=request.user, action="convalescence.session.change", obj=obj,
                      changes={f: str(form.cleaned_data.get(f)) for f in form.changed_data},
                      organization_path=obj.organising_union.path)
            return
        data = form.cleaned_data
        session = services.session_create(
            actor=request.user, program=data["program"], organising_union=data["organising_union"],
            starts_on=data["starts_on"], seats=data["seats"], nomination_opens_at=data["nomination_opens_at"],
            nomination_closes_at=data["nomination_closes_at"], confirmation_deadline=data["confirmation_deadline"],
        )
        obj.pk, obj.ends_on = session.pk, session.ends_on
        obj._state.adding = False

    def save_related(self, request, form, formsets, change):
        # Quotas go through the service: it locks the session and checks the sum against the seats.
        for formset in formsets:
            if formset.model is SeatQuota:
                quotas = {
                    f.cleaned_data["organization"]: f.cleaned_data["seats"] for f in formset.forms
                    if f.cleaned_data and not f.cleaned_data.get("DELETE") and f.cleaned_data.get("organization")
                }
                _run(request, lambda: services.session_quotas_set(actor=request.user, session=form.instance, quotas=quotas),
                     success=gettext("Seat quotas saved."))
                # The service saved them; the admin's history message reads these.
                formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []
        form.save_m2m()

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change, **kwargs)

        class ServiceCheckedForm(form):
            def clean(inner):
                cleaned = super().clean()
                if obj is None and not inner.errors:
                    # The service's own checks, run before anything is saved.
                    if cleaned["nomination_closes_at"] <= cleaned["nomination_opens_at"]:
                        inner.add_error("nomination_closes_at", gettext("Nominations must close after they open."))
                return cleaned

        return ServiceCheckedForm

    def add_view(self, request, form_url="", extra_context=None):
        try:
            return super().add_view(request, form_url, extra_context)
        except DomainError as error:
            messages.error(request, str(error.message))
            return redirect(request.get_full_path())

    @admin.action(description=_("Approve pending nominations in priority order"))
    def approve_nominations(self, request, queryset):
        for session in queryset:
            _run(request, lambda s=session: services.session_nominations_approve(actor=request.user, session=s),
                 success=gettext("%(session)s: nominations approved.") % {"session": session})

    @admin.action(description=_("Close the roster (mark no-shows)"))
    def close_roster(self, request, queryset):
        for session in queryset:
            _run(request, lambda s=session: services.session_roster_close(actor=request.user, session=s),
                 success=gettext("%(session)s: roster closed.") % {"session": session})

    @admin.action(description=_("Settle the subsidy"))
    def settle(self, request, queryset):
        for session in queryset:
            _run(request, lambda s=session: services.session_settle(actor=request.user, session=s),
                 success=gettext("%(session)s: settled.") % {"session": session})

    @admin.action(description=_("Export rosters (.xlsx)"))
    def export_rosters(self, request, queryset):
        sessions = list(queryset.select_related("program__base", "organising_union")[:200])
        for session in sessions:
            audit_log(actor=request.user, action="convalescence.roster.export", obj=session,
                      organization_path=session.organising_union.path)
        return _xlsx(exports.rosters_workbook(sessions), f"rosters-{timezone.localdate():%Y%m%d}.xlsx")


class NominationAddForm(forms.ModelForm):
    class Meta:
        model = Nomination
        fields = ("session", "member")


@admin.register(Nomination)
class NominationAdmin(ExactSearchMixin, ScopedAdmin):
    list_display = ("member_name", "card_number", "union", "session", "status", "priority_score", "respond_by",
                    "checked_in_at")
    list_filter = ("status", "session__program__kind", UnionTreeFilter)
    search_fields = ("member__card_number", "session__id")
    list_select_related = ("member", "organization", "session__program__base")
    show_full_result_count = False
    actions = ["approve", "check_in"]
    autocomplete_fields = ("member",)

    class Media:
        css = {"all": ("core/one_line_rows.css",)}

    readonly_fields = ("session", "member_name", "status", "priority_score", "priority_reasons", "trip_starts_on",
                       "trip_ends_on", "nominated_by", "nominated_at", "decided_by", "decided_at", "respond_by",
                       "responded_at", "checked_in_at", "checked_in_by", "note")

    @admin.display(description=_("member"))
    def member_name(self, nomination):
        return mask_name(nomination.member.name)

    @admin.display(description=_("card number"))
    def card_number(self, nomination):
        return nomination.member.card_number

    @admin.display(description=_("grassroots union"))
    def union(self, nomination):
        return nomination.organization

    def get_form(self, request, obj=None, change=False, **kwargs):
        if obj is None:
            kwargs["form"] = NominationAddForm
            kwargs["fields"] = ("session", "member")
        return super().get_form(request, obj, change, **kwargs)

    def get_fields(self, request, obj=None):
        return ("session", "member") if obj is None else self.readonly_fields

    def get_readonly_fields(self, request, obj=None):
        return () if obj is None else self.readonly_fields

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "session":
            # Staff nominate for sessions offered to their part of the tree whose nominations are
            # open now: the service refuses the others, and a year's sessions made a long list.
            now = timezone.now()
            kwargs["queryset"] = selectors.sessions_visible_to(request.user).filter(
                starts_on__gt=timezone.localdate(), nomination_opens_at__lte=now, nomination_closes_at__gte=now)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def has_change_permission(self, request, obj=None):
        return False if obj is not None else super().has_change_permission(request, obj)

    def save_model(self, request, obj, form, change):
        nomination = services.nomination_create(actor=request.user, session=form.cleaned_data["session"],
                                                member=form.cleaned_data["member"])
        obj.pk = nomination.pk
        obj._state.adding = False

    def save_related(self, request, form, formsets, change):
        return None

    def add_view(self, request, form_url="", extra_context=None):
        try:
            return super().add_view(request, form_url, extra_context)
        except DomainError as error:
            messages.error(request, str(error.message))
            return redirect(request.get_full_path())

    def get_actions(self, request):
        actions = super().get_actions(request)
        if not role_allows(request.user, "change"):
            actions.pop("approve", None)
            actions.pop("check_in", None)
        return actions

    @admin.action(description=_("Approve (a seat if one is free, else the waiting list)"))
    def approve(self, request, queryset):
        for nomination in queryset.filter(status=NominationStatus.NOMINATED).order_by("-priority_score", "nominated_at"):
            _run(request, lambda n=nomination: services.nomination_approve(actor=request.user, nomination=n),
                 success=gettext("%(member)s: decided.") % {"member": mask_name(nomination.member.name)})

    @admin.action(description=_("Check in (tick the roster)"))
    def check_in(self, request, queryset):
        for nomination in queryset.select_related("session__organising_union"):
            _run(request, lambda n=nomination: services.nomination_check_in(
                actor=request.user, session=n.session, nomination_id=n.pk),
                success=gettext("%(member)s: checked in.") % {"member": mask_name(nomination.member.name)})


class SubsidyRateForm(forms.ModelForm):
    class Meta:
        model = SubsidyRate
        fields = ("program_kind", "paying_level", "amount_per_person_day", "valid_from", "valid_until")


@admin.register(SubsidyRate)
class SubsidyRateAdmin(ListAtScaleAdmin):
    """Every staff member may read the rates; only the city federation's superusers set them."""

    form = SubsidyRateForm
    list_display = ("program_kind", "paying_level", "amount_per_person_day", "valid_from", "valid_until")
    list_filter = ("program_kind", "paying_level")

    def has_module_permission(self, request):
        return role_allows(request.user, "view")

    def has_view_permission(self, request, obj=None):
        return role_allows(request.user, "view")

    def has_add_permission(self, request):
        return request.user.is_active and request.user.is_superuser

    def has_change_permission(self, request, obj=None):
        return self.has_add_permission(request)

    def has_delete_permission(self, request, obj=None):
        # A rate that settled sessions used is history; close it with "valid until" instead.
        return False

    def save_model(self, request, obj, form, change):
        # The form validated the exclusion constraint (no overlapping periods) already.
        super().save_model(request, obj, form, change)
        audit_log(actor=request.user, action="convalescence.rate.save", obj=obj,
                  changes={f: str(form.cleaned_data.get(f)) for f in form.changed_data})


class SettlementLineInline(admin.TabularInline):
    model = SettlementLine
    fields = ("paying_level", "rate", "amount")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_view_permission(self, request, obj=None):
        return role_allows(request.user, "view")


@admin.register(Settlement)
class SettlementAdmin(ScopedAdmin):
    list_display = ("session", "organising_union", "first_day", "attendees", "days", "total", "settled_at")
    list_filter = ("session__program__kind",)
    date_hierarchy = "session__starts_on"
    search_fields = ("session__program__base__name", "session__organising_union__name")
    list_select_related = ("session__program__base", "session__organising_union")
    readonly_fields = ("session", "attendees", "days", "total", "settled_at", "settled_by")
    inlines = [SettlementLineInline]
    show_full_result_count = False
    actions = ["export_settlements"]
    staff_may_add = False

    @admin.display(description=_("organising union"))
    def organising_union(self, settlement):
        return settlement.session.organising_union

    @admin.display(description=_("first day"), ordering="session__starts_on")
    def first_day(self, settlement):
        return settlement.session.starts_on

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.action(description=_("Export settlements (.xlsx)"))
    def export_settlements(self, request, queryset):
        settlements = queryset.select_related("session__program__base", "session__organising_union").prefetch_related("lines")
        return _xlsx(exports.settlements_workbook(settlements[:5000]), f"settlements-{timezone.localdate():%Y%m%d}.xlsx")

    def get_urls(self):
        return [
            path("report/", self.admin_site.admin_view(self.report_view), name="convalescence_settlement_report"),
            *super().get_urls(),
        ]

    def report_view(self, request):
        """Yearly figures as the federation reports them: sessions held, workers taken, subsidy, per district."""
        if not self.has_view_permission(request):
            return redirect("admin:index")
        years = selectors.yearly_totals(request.user)
        try:
            year = int(request.GET.get("year") or (years[0]["year"] if years else timezone.localdate().year))
        except ValueError:
            year = timezone.localdate().year
        districts = selectors.yearly_figures_by_district(request.user, year)
        top = max((row["workers"] or 0 for row in districts), default=0) or 1
        for row in districts:
            row["percent"] = round(100 * (row["workers"] or 0) / top)
        total = next((row for row in years if row["year"] == year), None)
        context = {
            **self.admin_site.each_context(request), "title": gettext("Convalescence figures %(year)d") % {"year": year},
            "opts": self.model._meta, "year": year, "years": years, "total": total, "districts": districts,
            "organisers": selectors.yearly_figures_by_organiser(request.user, year),
            "settlements_url": reverse("admin:convalescence_settlement_changelist"),
        }
        return TemplateResponse(request, "admin/convalescence/report.html", context)
