"""Back office for mutual aid: plans, enrolments (incl. bulk), the claims queue, payment batches.

Money and status are read-only here: they change only through the actions, which call
`benefits.aid_services` (the same functions as the API and the mobile pages).
"""

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.views.main import SEARCH_VAR
from django.db.models import Count, OuterRef, Subquery
from django.db.models.functions import Coalesce
from django.http import Http404
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext, gettext_lazy as _

from members.admin import UnionTreeFilter, organization_autocomplete
from members.admin_scoping import RecordAdmin, ScopedAdmin, role_allows
from members.models import Member, Organization
from members.scoping import scope_prefix, scope_queryset
from unionportal.core.admin_search import ExactSearchMixin
from unionportal.core.errors import DomainError
from unionportal.core.pii import mask_name

from . import aid_exports, aid_reports, aid_selectors, aid_services
from .models import AidClaim, AidClaimDocument, AidEnrolment, AidPayment, AidPlan, MemberAidYear


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("Reason (the member reads it)"), max_length=255,
                             widget=forms.Textarea(attrs={"rows": 3}))


class BankReferenceForm(forms.Form):
    bank_reference = forms.CharField(label=_("Bank transfer reference"), max_length=64)


def _intermediate(model_admin, request, queryset, form, action, title, rows):
    context = {
        **model_admin.admin_site.each_context(request), "title": title, "form": form, "action": action,
        "rows": rows, "opts": model_admin.model._meta, "media": model_admin.media + form.media,
        "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
        "selected": request.POST.getlist(admin.helpers.ACTION_CHECKBOX_NAME),
        "select_across": request.POST.get("select_across", "0"),
    }
    return TemplateResponse(request, "admin/benefits/aid/action_form.html", context)


# --- Plans -----------------------------------------------------------------------------------------

@admin.register(AidPlan)
class AidPlanAdmin(ScopedAdmin):
    """Every staff member may read the terms; only the federation's superusers change them."""

    list_display = ("title", "year", "organization", "coverage_starts_on", "coverage_ends_on", "premium",
                    "deductible_per_year", "yearly_cap", "is_open_for_enrolment", "report_link")
    list_filter = ("year", "is_open_for_enrolment")
    list_select_related = ("organization",)
    staff_may_add = False
    fieldsets = (
        (None, {"fields": ("organization", "year", "title", "description", "premium", "coverage_starts_on",
                           "coverage_ends_on", "filing_deadline_days", "is_open_for_enrolment")}),
        (_("Terms"), {"fields": ("deductible_per_year", "segments", "minimum_payout", "yearly_cap",
                                 "allowance_per_day", "allowance_max", "accident_terms", "major_illness_terms")}),
    )

    def get_queryset(self, request):
        # Terms are public to members, so every staff member may read every plan.
        queryset = AidPlan.objects.select_related("organization")
        return queryset if scope_prefix(request.user) is not None else queryset.none()

    def _in_scope(self, request, obj) -> bool:
        return obj is None or self.get_queryset(request).filter(pk=obj.pk).exists()

    def has_add_permission(self, request):
        return request.user.is_superuser

    def has_change_permission(self, request, obj=None):
        return request.user.is_superuser

    @admin.display(description=_("report"))
    def report_link(self, plan):
        return format_html('<a href="{}">{}</a>', reverse("admin:benefits_aidplan_report", args=[plan.pk]),
                           gettext("By district"))

    def get_urls(self):
        return [
            path("<int:pk>/report/", self.admin_site.admin_view(self.report_view), name="benefits_aidplan_report"),
            path("<int:pk>/report.xlsx", self.admin_site.admin_view(self.report_export),
                 name="benefits_aidplan_report_xlsx"),
        ] + super().get_urls()

    def _report(self, request, pk):
        plan = self.get_queryset(request).filter(pk=pk).first()
        if plan is None or not self.has_view_permission(request, plan):
            raise Http404
        return plan, aid_reports.aid_plan_district_report(plan, request.user)

    def report_view(self, request, pk):
        plan, rows = self._report(request, pk)
        top = max([row.coverage_percent or 0 for row in rows] + [1])
        bars = [{"row": row, "width": float((row.coverage_percent or 0) * 100 / top)} for row in rows]
        context = {**self.admin_site.each_context(request), "title": _("Mutual aid by district"), "plan": plan,
                   "rows": rows, "bars": bars, "opts": self.model._meta}
        return TemplateResponse(request, "admin/benefits/aid/report.html", context)

    def report_export(self, request, pk):
        from django.http import HttpResponse

        plan, rows = self._report(request, pk)
        response = HttpResponse(aid_reports.aid_report_workbook(plan, rows), content_type=aid_exports.XLSX)
        response["Content-Disposition"] = f'attachment; filename="aid-report-{plan.year}.xlsx"'
        return response

    def has_delete_permission(self, request, obj=None):
        return False  # claims refer to a plan's terms for ever

    def get_readonly_fields(self, request, obj=None):
        if request.user.is_superuser:
            return ()
        return [name for fieldset in self.fieldsets for name in fieldset[1]["fields"]]

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "organization":
            kwargs["queryset"] = scope_queryset(Organization.objects.filter(kind=Organization.Kind.CITY), request.user)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def save_model(self, request, obj, form, change):
        from unionportal.core.services import audit_log

        super().save_model(request, obj, form, change)
        audit_log(actor=request.user, action="aid_plan.changed" if change else "aid_plan.created", obj=obj,
                  organization_path=obj.organization.path,
                  changes={name: str(form.cleaned_data.get(name)) for name in form.changed_data})


# --- Enrolments ------------------------------------------------------------------------------------

class BulkEnrolmentForm(forms.Form):
    plan = forms.ModelChoiceField(label=_("Plan"), queryset=AidPlan.objects.none())
    organization = forms.ModelChoiceField(label=_("Grassroots union"), queryset=Organization.objects.none(),
                                          widget=organization_autocomplete())
    payment_reference = forms.CharField(label=_("Payment reference of the union's transfer"), max_length=64)
    roster = forms.FileField(
        label=_("Roster (.xlsx, optional)"), required=False,
        help_text=_("A column 会员卡号 or 身份证号. Leave empty to enrol every active member of the union."),
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["plan"].queryset = AidPlan.objects.filter(is_open_for_enrolment=True)
        self.fields["organization"].queryset = scope_queryset(
            Organization.objects.filter(kind__in=Organization.GRASSROOTS_KINDS), user).order_by("path")


@admin.register(AidEnrolment)
class AidEnrolmentAdmin(ExactSearchMixin, ScopedAdmin):
    list_display = ("member_name", "card_number", "union", "plan", "paid_by", "payment_reference", "enrolled_at")
    list_filter = ("plan", "paid_by", UnionTreeFilter)
    list_select_related = ("member__organization", "plan")
    search_fields = ("member__card_number", "payment_reference")
    search_help_text = _("Card number or payment reference, exactly.")
    show_full_result_count = False
    ordering = ("-enrolled_at", "-pk")
    readonly_fields = ("member", "plan", "paid_by", "payment_reference", "enrolled_by", "enrolled_at")
    change_list_template = "admin/benefits/aid/enrolment_change_list.html"

    @admin.display(description=_("member"))
    def member_name(self, enrolment):
        return mask_name(enrolment.member.name)

    @admin.display(description=_("card number"))
    def card_number(self, enrolment):
        return enrolment.member.card_number

    @admin.display(description=_("grassroots union"))
    def union(self, enrolment):
        return enrolment.member.organization

    def has_add_permission(self, request):
        return False  # members enrol themselves; unions use the bulk enrolment

    def has_delete_permission(self, request, obj=None):
        return False

    def get_urls(self):
        return [path("bulk/", self.admin_site.admin_view(self.bulk_view), name="benefits_aidenrolment_bulk")] + \
            super().get_urls()

    def bulk_view(self, request):
        if not role_allows(request.user, "add"):
            raise Http404
        form = BulkEnrolmentForm(request.POST or None, request.FILES or None, user=request.user)
        if request.method == "POST" and form.is_valid():
            organization = form.cleaned_data["organization"]
            roster = Member.objects.filter(organization__path__startswith=organization.path)
            problems = []
            upload = form.cleaned_data["roster"]
            if upload:
                members, problems = aid_exports.roster_members(upload.read(), roster)
            else:
                members = list(roster.filter(status=Member.Status.ACTIVE))
            try:
                result = aid_services.aid_enrolment_bulk(
                    plan=form.cleaned_data["plan"], members=members, actor=request.user,
                    payment_reference=form.cleaned_data["payment_reference"])
            except DomainError as error:
                form.add_error(None, str(error.message))
            else:
                self.message_user(request, gettext("%(enrolled)d members enrolled, %(skipped)d already enrolled or "
                                                   "not active.") % result, messages.SUCCESS)
                for problem in problems[:50]:
                    self.message_user(request, problem, messages.WARNING)
                return redirect(reverse("admin:benefits_aidenrolment_changelist"))
        context = {**self.admin_site.each_context(request), "title": _("Enrol a union's roster"), "form": form,
                   "opts": self.model._meta, "media": self.media + form.media}
        return TemplateResponse(request, "admin/benefits/aid/bulk_enrolment.html", context)


# --- Claims ----------------------------------------------------------------------------------------

class AidClaimDocumentInline(admin.TabularInline):
    model = AidClaimDocument
    extra = 0
    can_delete = False
    fields = ("download", "content_type", "size", "uploaded_at")
    readonly_fields = fields

    @admin.display(description=_("file"))
    def download(self, document):
        url = reverse("benefits_api:aid-claim-document", args=[document.claim_id, document.pk])
        return format_html('<a href="{}">{}</a>', url, document.original_name)

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class ClaimStatusFilter(admin.SimpleListFilter):
    """The queue opens on the claims waiting for a decision; one status, or all, on request.

    Django's own status filter opens on every claim, so a reviewer's first page was last
    January's paid claims. "All" is a value of its own here, since no value means waiting; a
    search with no status chosen looks through all claims (a claim is found by its number
    whatever its status).
    """

    title = _("status")
    parameter_name = "status"
    WAITING, ALL = "waiting", "all"

    def __init__(self, request, params, model, model_admin):
        super().__init__(request, params, model, model_admin)
        self.default = self.ALL if request.GET.get(SEARCH_VAR, "").strip() else self.WAITING

    def lookups(self, request, model_admin):
        return [(self.WAITING, _("Waiting for a decision")), *AidClaim.Status.choices, (self.ALL, _("All"))]

    def value(self):
        return super().value() or self.default

    def queryset(self, request, queryset):
        value = self.value()
        if value == self.WAITING:
            return queryset.filter(status__in=AidClaim.OPEN_STATUSES)
        if value in AidClaim.Status.values:
            return queryset.filter(status=value)
        if value == self.ALL:
            return queryset
        return queryset.none()

    def choices(self, changelist):
        for lookup, title in self.lookup_choices:
            yield {
                "selected": self.value() == str(lookup),
                "query_string": changelist.get_query_string({self.parameter_name: lookup}),
                "display": title,
            }


@admin.register(AidClaim)
class AidClaimAdmin(ExactSearchMixin, ScopedAdmin):
    """The review queue: oldest waiting first; decisions through the actions."""

    list_display = ("id", "member_name", "kind", "hospital", "admitted_on", "discharged_on", "self_paid", "status",
                    "payout", "document_count", "submitted_at")
    list_filter = (ClaimStatusFilter, "kind", "plan", UnionTreeFilter)
    list_select_related = ("member__organization", "plan")
    search_fields = ("id", "invoices__invoice_number", "member__card_number")
    search_help_text = _("Claim number, invoice number or card number, exactly.")
    show_full_result_count = False
    ordering = ("submitted_at", "pk")
    inlines = [AidClaimDocumentInline]
    actions = ["start_review", "approve_selected", "return_selected", "reject_selected", "pay_selected"]
    staff_may_add = False

    class Media:
        css = {"all": ("core/one_line_rows.css",)}
    fieldsets = (
        (None, {"fields": ("member_details", "plan", "kind", "hospital", "admitted_on", "discharged_on",
                           "invoice_list", "payee_bank", "payee_account_masked")}),
        (_("Amounts"), {"fields": ("total_cost", "insurance_paid", "self_paid")}),
        (_("Decision"), {"fields": ("status", "reason", "payout", "breakdown_readable", "decided_at", "decided_by",
                                    "payment", "timeline")}),
    )
    readonly_fields = ("member_details", "plan", "kind", "hospital", "admitted_on", "discharged_on", "invoice_list",
                       "payee_bank", "payee_account_masked", "total_cost", "insurance_paid", "self_paid", "status",
                       "reason", "payout", "breakdown_readable", "decided_at", "decided_by", "payment", "timeline")

    def get_queryset(self, request):
        # Counted per listed claim: a Count() over the join grouped every claim in the tree
        # before a page was taken (a second per page at a city's 60,000 claims a year).
        documents = (
            AidClaimDocument.objects.filter(claim=OuterRef("pk")).order_by().values("claim")
            .annotate(total=Count("pk")).values("total")
        )
        return super().get_queryset(request).annotate(document_total=Coalesce(Subquery(documents), 0))

    @admin.display(description=_("member"))
    def member_name(self, claim):
        return mask_name(claim.member.name)

    @admin.display(description=_("documents"), ordering="document_total")
    def document_count(self, claim):
        return claim.document_total

    @admin.display(description=_("member"))
    def member_details(self, claim):
        member = claim.member
        return format_html("{} · {} · {} · {}", member.name, member.card_number, member.masked_id_number,
                           member.organization)

    @admin.display(description=_("invoice numbers"))
    def invoice_list(self, claim):
        return ", ".join(claim.invoices.values_list("invoice_number", flat=True))

    @admin.display(description=_("bank account number"))
    def payee_account_masked(self, claim):
        return claim.masked_payee_account

    @admin.display(description=_("breakdown"))
    def breakdown_readable(self, claim):
        lines = aid_selectors.aid_breakdown_lines(claim.breakdown)
        if not lines:
            return "—"
        return format_html("<ol>{}</ol>", format_html_join("", "<li>{}</li>", ((line,) for line in lines)))

    @admin.display(description=_("timeline"))
    def timeline(self, claim):
        events = claim.events.all()
        return format_html("<ul>{}</ul>", format_html_join("", "<li>{} · {} {}</li>", (
            (timezone.localtime(e.created_at).strftime("%Y-%m-%d %H:%M"), e.get_status_display(), e.note)
            for e in events)))

    def has_delete_permission(self, request, obj=None):
        return False

    def get_actions(self, request):
        actions = super().get_actions(request)
        if not role_allows(request.user, "change"):
            for name in ("start_review", "approve_selected", "return_selected", "reject_selected"):
                actions.pop(name, None)
        if not role_allows(request.user, "add"):
            actions.pop("pay_selected", None)
        return actions

    def _each(self, request, queryset, service, done_message, **kwargs):
        done, errors = 0, {}
        for claim in queryset.order_by("submitted_at", "pk"):
            try:
                service(claim_id=claim.pk, actor=request.user, **kwargs)
                done += 1
            except DomainError as error:
                errors.setdefault(str(error.message), []).append(str(claim.pk))
        self.message_user(request, done_message % {"count": done}, messages.SUCCESS)
        for message, ids in errors.items():
            self.message_user(request, gettext("Claims %(ids)s: %(message)s") % {"ids": ", ".join(ids),
                                                                                 "message": message},
                              messages.WARNING)

    @admin.action(description=_("Start reviewing the selected claims"))
    def start_review(self, request, queryset):
        self._each(request, queryset, aid_services.aid_claim_review_start, gettext("%(count)d claims under review."))

    @admin.action(description=_("Approve the selected claims (computes and fixes the payout)"))
    def approve_selected(self, request, queryset):
        self._each(request, queryset, aid_services.aid_claim_approve, gettext("%(count)d claims approved."))

    def _with_reason(self, request, queryset, service, action, title, done_message):
        form = ReasonForm(request.POST if "apply" in request.POST else None)
        if form.is_bound and form.is_valid():
            self._each(request, queryset, service, done_message, reason=form.cleaned_data["reason"])
            return None
        rows = [f"{c.pk} · {mask_name(c.member.name)} · {c.hospital} · {c.get_status_display()}" for c in queryset[:200]]
        return _intermediate(self, request, queryset, form, action, title, rows)

    @admin.action(description=_("Return the selected claims for more documents…"))
    def return_selected(self, request, queryset):
        return self._with_reason(request, queryset, aid_services.aid_claim_return, "return_selected",
                                 _("Return claims for more documents"), gettext("%(count)d claims returned."))

    @admin.action(description=_("Reject the selected claims…"))
    def reject_selected(self, request, queryset):
        return self._with_reason(request, queryset, aid_services.aid_claim_reject, "reject_selected",
                                 _("Reject claims"), gettext("%(count)d claims rejected."))

    @admin.action(description=_("Put the selected approved claims into a payment batch"))
    def pay_selected(self, request, queryset):
        by_plan = {}
        for claim in queryset.filter(status=AidClaim.Status.APPROVED, payment__isnull=True).select_related("plan"):
            by_plan.setdefault(claim.plan, []).append(claim)
        if not by_plan:
            self.message_user(request, gettext("None of these claims is approved and waiting for payment."),
                              messages.WARNING)
            return None
        for plan, claims in by_plan.items():
            payment = aid_services.aid_payment_create(plan=plan, claims=claims, actor=request.user)
            self.message_user(request, gettext("Payment batch %(id)s: %(count)d claims, %(total)s CNY.") % {
                "id": payment.pk, "count": payment.claim_count, "total": payment.total}, messages.SUCCESS)
        return None


# --- Payment batches --------------------------------------------------------------------------------

@admin.register(AidPayment)
class AidPaymentAdmin(ScopedAdmin):
    list_display = ("__str__", "plan", "claim_count", "total", "status", "created_at", "paid_at", "export_link")
    list_filter = ("status", "plan")
    list_select_related = ("plan",)
    show_full_result_count = False
    readonly_fields = ("plan", "claim_count", "total", "status", "bank_reference", "created_by", "created_at",
                       "paid_at", "export_link")
    actions = ["mark_paid"]
    staff_may_add = False

    def get_queryset(self, request):
        # A batch is the city's; district staff see the batches holding claims of their tree.
        queryset = AidPayment.objects.select_related("plan")
        if request.user.is_superuser:
            return queryset
        claims = scope_queryset(AidClaim.objects.filter(payment__isnull=False), request.user)
        return queryset.filter(pk__in=claims.values("payment_id"))

    def _in_scope(self, request, obj) -> bool:
        return obj is None or self.get_queryset(request).filter(pk=obj.pk).exists()

    @admin.display(description=_("bank-transfer file"))
    def export_link(self, payment):
        url = reverse("admin:benefits_aidpayment_export", args=[payment.pk])
        return format_html('<a href="{}">{}</a>', url, gettext("Download .xlsx"))

    def has_delete_permission(self, request, obj=None):
        return False

    def get_actions(self, request):
        actions = super().get_actions(request)
        if not role_allows(request.user, "add"):
            actions.pop("mark_paid", None)
        return actions

    def get_urls(self):
        return [path("<int:pk>/export/", self.admin_site.admin_view(self.export_view),
                     name="benefits_aidpayment_export")] + super().get_urls()

    def export_view(self, request, pk):
        payment = self.get_queryset(request).filter(pk=pk).first()
        if payment is None or not role_allows(request.user, "add"):
            raise Http404
        return aid_exports.aid_payment_response(payment)

    @admin.action(description=_("Mark the selected batches as paid (notifies every member)…"))
    def mark_paid(self, request, queryset):
        form = BankReferenceForm(request.POST if "apply" in request.POST else None)
        if form.is_bound and form.is_valid():
            done = 0
            for payment in queryset.filter(status=AidPayment.Status.OPEN):
                aid_services.aid_payment_mark_paid(payment_id=payment.pk, actor=request.user,
                                                   bank_reference=form.cleaned_data["bank_reference"])
                done += 1
            self.message_user(request, gettext("%(count)d batches marked as paid.") % {"count": done},
                              messages.SUCCESS)
            return None
        rows = [f"{p} · {p.claim_count} · {p.total}" for p in queryset[:200]]
        return _intermediate(self, request, queryset, form, "mark_paid", _("Mark batches as paid"), rows)


@admin.register(MemberAidYear)
class MemberAidYearAdmin(ExactSearchMixin, RecordAdmin):
    """The year counters of the payout rule, for checking a member's position; never edited by hand."""

    list_display = ("member_name", "plan", "deductible_used", "base_used", "aid_paid", "major_illness_relief")
    list_filter = ("plan", UnionTreeFilter)
    list_select_related = ("member", "plan")
    search_fields = ("member__card_number",)
    show_full_result_count = False
    readonly_fields = ("member", "plan", "deductible_used", "base_used", "aid_paid", "major_illness_spending",
                       "major_illness_relief")

    @admin.display(description=_("member"))
    def member_name(self, year):
        return mask_name(year.member.name)
