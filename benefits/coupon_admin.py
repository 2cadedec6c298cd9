"""Back office for coupons: campaigns with their batches, merchants, coupons, redemptions, draws.

Money and status are read-only here: budgets and batches are made through the services
(so the budget check holds), coupons change status only through redemption, expiry, or the
"void" action (with a reason, audited).
"""

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.helpers import ActionForm
from django.db.models import Count, F, OuterRef, Subquery, Sum
from django.db.models.functions import Coalesce
from django.http import HttpResponse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext, gettext_lazy as _

from members.admin_scoping import ScopedAdmin, role_allows
from members.models import WorkerCategory
from members.scoping import cached_staff_assignment
from unionportal.core.admin_filters import IndexedValuesFilter
from unionportal.core.admin_search import ExactSearchMixin
from unionportal.core.errors import DomainError
from unionportal.core.pii import mask_name

from . import coupon_chart
from . import coupon_selectors as selectors
from . import coupon_services as services
from .models import Campaign, Coupon, CouponBatch, CouponKind, LotteryDraw, Merchant, Redemption


def _with_counts(queryset):
    """Claimed is a column; redeemed and expired are counted for each listed batch through the
    (batch, status) index. A Count() over the join grouped every coupon of every batch before a
    page was taken: a city's coupons, read for each page."""
    def counted(status):
        coupons = Coupon.objects.filter(batch=OuterRef("pk"), status=status).order_by().values("batch")
        return Coalesce(Subquery(coupons.annotate(total=Count("pk")).values("total")), 0)

    return queryset.annotate(
        redeemed_count=counted(Coupon.Status.REDEEMED), expired_count=counted(Coupon.Status.EXPIRED),
    )


class MerchantForm(forms.ModelForm):
    accepted_kinds = forms.MultipleChoiceField(
        label=_("accepted coupon kinds"), choices=CouponKind.choices, widget=forms.CheckboxSelectMultiple,
    )

    class Meta:
        model = Merchant
        fields = ("name", "organization", "accepted_kinds", "is_vending_machine", "is_active")


@admin.register(Merchant)
class MerchantAdmin(ScopedAdmin):
    form = MerchantForm
    autocomplete_fields = ("organization",)
    list_display = ("name", "organization", "kinds", "is_vending_machine", "is_active")
    list_filter = ("is_vending_machine", "is_active")
    search_fields = ("name",)
    list_select_related = ("organization",)
    fields = ("name", "organization", "accepted_kinds", "is_vending_machine", "is_active")

    @admin.display(description=_("accepted coupon kinds"))
    def kinds(self, merchant):
        labels = dict(Merchant._meta.get_field("accepted_kinds").base_field.choices)
        return "、".join(str(labels.get(kind, kind)) for kind in merchant.accepted_kinds)


class BatchInline(admin.TabularInline):
    """The campaign's batches with live counts; new batches are added on the batch page."""

    model = CouponBatch
    extra = 0
    can_delete = False
    show_change_link = True
    fields = ("kind", "title", "mode", "face_value", "quantity", "claimed", "redeemed", "expired", "value_claimed")
    readonly_fields = fields

    def get_queryset(self, request):
        return _with_counts(super().get_queryset(request))

    def has_view_permission(self, request, obj=None):
        return role_allows(request.user, "view")  # the campaign page already checked the scope

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description=_("used"))
    def redeemed(self, batch):
        return batch.redeemed_count

    @admin.display(description=_("expired"))
    def expired(self, batch):
        return batch.expired_count

    @admin.display(description=_("value claimed (CNY)"))
    def value_claimed(self, batch):
        return f"{batch.face_value * batch.claimed:.2f}"


class StatsExport:
    """An action that writes the selected batches' (or campaigns' batches') counts and values to .xlsx."""

    def batches_of(self, queryset):
        return queryset

    @admin.action(description=_("Export counts and values (.xlsx)"))
    def export_stats(self, request, queryset):
        from io import BytesIO

        from openpyxl import Workbook

        book = Workbook()
        sheet = book.active
        sheet.title = gettext("coupon batches")
        columns = ["quantity", "claimed", "redeemed", "expired", "void", "remaining",
                   "quantity_value", "claimed_value", "redeemed_value", "expired_value", "remaining_value"]
        sheet.append([gettext("campaign"), gettext("coupon kind"), gettext("face value (CNY)"), *columns])
        for batch in self.batches_of(queryset).select_related("campaign").order_by("campaign", "pk"):
            stats = selectors.batch_stats(batch)
            sheet.append([batch.campaign.title, str(batch.get_kind_display()), batch.face_value,
                          *[stats[name] for name in columns]])
        buffer = BytesIO()
        book.save(buffer)
        response = HttpResponse(
            buffer.getvalue(), content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
        response["Content-Disposition"] = f'attachment; filename="coupon-stats-{timezone.localdate():%Y%m%d}.xlsx"'
        return response


class CampaignForm(forms.ModelForm):
    worker_categories = forms.MultipleChoiceField(
        label=_("only these worker categories"), choices=WorkerCategory.choices, required=False,
        widget=forms.CheckboxSelectMultiple, help_text=_("Tick none for every worker category."),
    )

    class Meta:
        model = Campaign
        fields = (
            "organization", "title", "description", "budget", "claim_starts_at", "claim_ends_at", "use_ends_at",
            "per_member_limit", "worker_categories", "eligible_organization", "frontline_only",
        )

    def clean(self):
        """The service's checks, as form errors (a new campaign is made by the service)."""
        cleaned = super().clean()
        if self.instance.pk is not None:
            return cleaned
        starts, ends, use = (cleaned.get(k) for k in ("claim_starts_at", "claim_ends_at", "use_ends_at"))
        if starts and ends and ends <= starts:
            self.add_error("claim_ends_at", gettext("Claiming must close after it opens."))
        if ends and use and use < ends:
            self.add_error("use_ends_at", gettext("Coupons must stay valid at least until claiming closes."))
        organization, part = cleaned.get("organization"), cleaned.get("eligible_organization")
        if organization and part and not part.path.startswith(organization.path):
            self.add_error("eligible_organization", gettext(
                "The eligible part of the tree must lie under the campaign's organisation."))
        return cleaned


@admin.register(Campaign)
class CampaignAdmin(StatsExport, ScopedAdmin):
    form = CampaignForm
    list_display = ("title", "organization", "claim_starts_at", "claim_ends_at", "budget", "batch_count",
                    "claimed_total")
    actions = ["export_stats"]
    list_select_related = ("organization",)
    search_fields = ("title",)
    date_hierarchy = "claim_starts_at"
    inlines = [BatchInline]
    show_full_result_count = False
    autocomplete_fields = ("organization", "eligible_organization")

    def has_delete_permission(self, request, obj=None):
        # A campaign with batches has claims behind it: it stays, for the record.
        return super().has_delete_permission(request, obj) and not (obj and obj.batches.exists())

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(
            batch_total=Count("batches"), claimed_count=Sum("batches__claimed"),
            claimed_value=Sum(F("batches__claimed") * F("batches__face_value")),
        )

    def batches_of(self, queryset):
        return CouponBatch.objects.filter(campaign__in=queryset)

    @admin.display(description=_("claimed (value, CNY)"))
    def claimed_total(self, campaign):
        return f"{campaign.claimed_count or 0} ({campaign.claimed_value or 0:.2f})"

    @admin.display(description=_("claims and redemptions per day"))
    def activity_chart(self, campaign):
        return coupon_chart.daily_chart_svg(selectors.campaign_daily_activity(campaign))

    def get_readonly_fields(self, request, obj=None):
        # Windows and money are fixed once a campaign exists: members plan around them.
        if obj is None:
            return ()
        return ("organization", "budget", "claim_starts_at", "claim_ends_at", "use_ends_at", "per_member_limit",
                "activity_chart")

    def get_fields(self, request, obj=None):
        fields = list(CampaignForm.Meta.fields)
        return fields if obj is None else [*fields, "activity_chart"]

    def get_changeform_initial_data(self, request):
        initial = super().get_changeform_initial_data(request)
        assignment = cached_staff_assignment(request.user)
        if assignment:
            initial.setdefault("organization", assignment.organization.pk)
        return initial

    @admin.display(description=_("batches"))
    def batch_count(self, campaign):
        return campaign.batch_total

    def save_model(self, request, obj, form, change):
        if change:
            super().save_model(request, obj, form, change)
            return
        values = {name: form.cleaned_data[name] for name in CampaignForm.Meta.fields}
        obj.pk = services.campaign_create(actor=request.user, **values).pk


class BatchForm(forms.ModelForm):
    class Meta:
        model = CouponBatch
        fields = (
            "campaign", "kind", "title", "face_value", "quantity", "per_member_limit", "mode", "claim_starts_at",
            "claim_ends_at", "use_ends_at", "merchants",
        )

    def clean(self):
        cleaned = super().clean()
        campaign, kind = cleaned.get("campaign"), cleaned.get("kind")
        face_value, quantity = cleaned.get("face_value"), cleaned.get("quantity")
        if self.instance.pk is None and campaign and face_value and quantity:
            from . import coupon_rules as rules

            existing = [rules.batch_value(b.face_value, b.quantity) for b in campaign.batches.all()]
            if not rules.budget_allows(campaign.budget, existing, rules.batch_value(face_value, quantity)):
                self.add_error("quantity", gettext(
                    "The batches together would exceed the campaign's budget of %(budget)s CNY.",
                ) % {"budget": campaign.budget})
        for merchant in cleaned.get("merchants") or ():
            if kind and kind not in merchant.accepted_kinds:
                self.add_error("merchants", gettext("%(merchant)s does not accept this coupon kind.") % {
                    "merchant": merchant.name})
        return cleaned


@admin.register(CouponBatch)
class CouponBatchAdmin(StatsExport, ScopedAdmin):
    form = BatchForm
    list_display = ("__str__", "mode", "face_value", "quantity", "claimed", "redeemed", "expired", "values")
    list_filter = ("kind", "mode")
    list_select_related = ("campaign",)
    search_fields = ("campaign__title", "title")
    autocomplete_fields = ("campaign",)
    filter_horizontal = ("merchants",)
    actions = ["export_stats"]
    show_full_result_count = False

    def get_queryset(self, request):
        return _with_counts(super().get_queryset(request))

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return ()
        return ("campaign", "kind", "face_value", "quantity", "per_member_limit", "mode", "claimed",
                "issues_pickup_codes", "stats")

    def get_fields(self, request, obj=None):
        fields = list(BatchForm.Meta.fields)
        return fields if obj is None else [*fields, "claimed", "issues_pickup_codes", "stats"]

    @admin.display(description=_("used"))
    def redeemed(self, batch):
        return batch.redeemed_count

    @admin.display(description=_("expired"))
    def expired(self, batch):
        return batch.expired_count

    @admin.display(description=_("value claimed / used (CNY)"))
    def values(self, batch):
        return f"{batch.face_value * batch.claimed:.2f} / {batch.face_value * batch.redeemed_count:.2f}"

    @admin.display(description=_("counts and values"))
    def stats(self, batch):
        data = selectors.batch_stats(batch)
        return format_html(
            "{}: {} · {}: {} ({} CNY) · {}: {} ({} CNY) · {}: {} · {}: {}",
            gettext("quantity"), data["quantity"], gettext("claimed"), data["claimed"], data["claimed_value"],
            gettext("used"), data["redeemed"], data["redeemed_value"], gettext("expired"), data["expired"],
            gettext("remaining"), data["remaining"],
        )

    def save_model(self, request, obj, form, change):
        if change:
            super().save_model(request, obj, form, change)
            return
        values = {name: form.cleaned_data[name] for name in BatchForm.Meta.fields}
        created = services.batch_create(actor=request.user, **values)
        obj.pk = created.pk

    def save_related(self, request, form, formsets, change):
        if change:  # a new batch got its merchants from the service
            super().save_related(request, form, formsets, change)


class VoidActionForm(ActionForm):
    reason = forms.CharField(label=_("reason for voiding"), required=False, max_length=255)


@admin.register(Coupon)
class CouponAdmin(ExactSearchMixin, ScopedAdmin):
    list_display = ("code", "member_name", "batch", "status", "issued_at", "expires_at", "redeemed_by")
    list_filter = ("status", "batch__kind")
    list_select_related = ("member", "batch__campaign", "redeemed_by")
    search_fields = ("code", "pickup_code")
    show_full_result_count = False
    action_form = VoidActionForm
    actions = ["void_coupons"]
    fields = ("code", "pickup_code", "member_name", "batch", "status", "issued_at", "expires_at", "redeemed_at",
              "redeemed_by", "void_reason")
    readonly_fields = fields
    staff_may_add = False

    def get_search_results(self, request, queryset, search_term):
        # Staff type codes as printed (groups with dashes, lower case): search the stored form.
        from . import coupon_rules as rules

        return super().get_search_results(request, queryset, rules.normalize_code(search_term))

    @admin.display(description=_("member"))
    def member_name(self, coupon):
        return mask_name(coupon.member.name)

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.action(description=_("Void the selected unused coupons (give a reason)"), permissions=["change"])
    def void_coupons(self, request, queryset):
        try:
            voided = services.coupons_void(actor=request.user, coupons=queryset, reason=request.POST.get("reason", ""))
        except DomainError as error:
            self.message_user(request, str(error.message), messages.ERROR)
            return
        self.message_user(request, gettext("%(count)d coupons voided.") % {"count": voided}, messages.SUCCESS)


class ReadOnlyAdmin(ScopedAdmin):
    staff_may_add = False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Redemption)
class RedemptionAdmin(ExactSearchMixin, ReadOnlyAdmin):
    list_display = ("created_at", "merchant", "coupon", "response_status", "idempotency_key")
    list_filter = (("response_status", IndexedValuesFilter),)
    list_select_related = ("merchant", "coupon")
    search_fields = ("idempotency_key", "coupon__code")
    show_full_result_count = False


@admin.register(LotteryDraw)
class LotteryDrawAdmin(ReadOnlyAdmin):
    list_display = ("batch", "drawn_at", "applicants", "winners", "seed")
    list_select_related = ("batch__campaign",)
    fields = ("batch", "drawn_at", "applicants", "winners", "seed", "how_to_check")
    readonly_fields = fields

    @admin.display(description=_("how to check"))
    def how_to_check(self, draw):
        return gettext(
            "Sort the application ids, shuffle them with Python's random.Random(seed); walking that order, "
            "the first applicants who could still receive a coupon won. Each application shows its position.",
        )

