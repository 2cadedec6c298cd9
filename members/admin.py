"""Back office for unions, staff and members: everything scoped to the staff member's tree."""

from datetime import timedelta

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.contrib.admin.options import IncorrectLookupParameters
from django.contrib.admin.widgets import AutocompleteSelect
from django.db import transaction
from django.http import FileResponse, Http404, HttpResponseNotAllowed
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe
from django.utils.translation import gettext, gettext_lazy as _

from unionportal.core.errors import DomainError
from unionportal.core.services import audit_log

from . import bulk_actions, exports, rules, selectors, services
from .admin_scoping import CappedCountPaginator, ListAtScaleAdmin, RecordAdmin, ScopedAdmin, role_allows
from .models import (
    ConsentVersion, Member, MemberBulkAction, MemberExport, MemberTransfer, Organization, PendingMember,
    PersonalDataAccess, RosterImport, StaffAssignment, User, phone_hash,
)
from .member_list import describe, filters_only, member_changelist
from .scoping import cached_staff_assignment, is_in_scope, scope_queryset, staff_assignment

# --- Shared pieces ---------------------------------------------------------------------


class UnionTreeFilter(admin.SimpleListFilter):
    """Drill down the union tree one level at a time (never lists all organisations)."""

    title = _("union")
    parameter_name = "union"
    LIMIT = 60

    def _selected(self, request):
        value = self.value()
        if not value or not value.isdecimal():
            return None
        return scope_queryset(Organization.objects.all(), request.user).filter(pk=value).first()

    def lookups(self, request, model_admin):
        selected = self._selected(request)
        if selected is None:
            assignment = cached_staff_assignment(request.user)
            roots = ([assignment.organization] if assignment else list(Organization.objects.get_root_nodes()[:5]))
            options = []
            for root in roots:
                options.append((str(root.pk), root.name))
                options += self._children(root)
            return options
        options = []
        if selected.depth > 1 and is_in_scope(request.user, parent := Organization.objects.get_parent(selected)):
            options.append((str(parent.pk), "↑ " + parent.name))
        options.append((str(selected.pk), selected.name))
        options += self._children(selected)
        return options

    def _children(self, organization) -> list[tuple[str, str]]:
        children = Organization.objects.get_children(organization).values_list("pk", "name")[: self.LIMIT]
        return [(str(pk), "— " + name) for pk, name in children]

    def queryset(self, request, queryset):
        selected = self._selected(request)
        if self.value() and selected is None:
            return queryset.none()
        if selected is None:
            return queryset
        return queryset.filter(**{f"{queryset.model.SCOPE_PATH}__startswith": selected.path})


def organization_autocomplete():
    """Autocomplete over the organisation admin (scoped there), reused by plain form fields."""
    return AutocompleteSelect(StaffAssignment._meta.get_field("organization"), admin.site)


# --- Organisations ---------------------------------------------------------------------


class OrganizationForm(forms.ModelForm):
    parent = forms.ModelChoiceField(
        label=_("parent organisation"), queryset=Organization.objects.none(), required=False,
        widget=organization_autocomplete(),
        help_text=_("The new union is created below this one, inside your part of the tree."),
    )

    class Meta:
        model = Organization
        fields = ["parent", "kind", "name", "division_code", "credit_code", "is_active"]

    def __init__(self, *args, request=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.request = request
        if "parent" in self.fields:
            self.fields["parent"].queryset = scope_queryset(Organization.objects.all(), request.user)
            self.fields["parent"].required = not request.user.is_superuser

    def clean_credit_code(self):
        code = (self.cleaned_data.get("credit_code") or "").strip().upper()
        if code and not rules.is_valid_credit_code(code):
            raise forms.ValidationError(
                _("This is not a valid unified social credit code (18 characters, the last one a check character)."),
                code="invalid_credit_code",
            )
        return code

    def clean(self):
        data = super().clean()
        kind = data.get("kind") or (self.instance.kind if self.instance.pk else None)
        if kind == Organization.Kind.ENTERPRISE and not data.get("credit_code") and "credit_code" in self.fields:
            self.add_error("credit_code", _("An enterprise union needs the employer's unified social credit code."))
        if not self.instance.pk:
            parent = data.get("parent")
            if parent is None and kind and kind != Organization.Kind.CITY:
                self.add_error("parent", _("Choose the organisation above the new one."))
            if parent is not None and kind and not rules.may_be_child(parent.kind, kind):
                self.add_error("kind", _("A %(child)s cannot sit directly below a %(parent)s.") % {
                    "child": Organization.Kind(kind).label, "parent": parent.get_kind_display()})
        return data


@admin.register(Organization)
class OrganizationAdmin(ScopedAdmin):
    form = OrganizationForm
    list_display = ("name", "kind", "ancestors", "division_code", "is_active")
    list_filter = ("kind", "is_active")
    search_fields = ("name",)
    ordering = ("path",)
    show_full_result_count = False

    @admin.display(description=_("part of"))
    def ancestors(self, organization):
        return " / ".join(organization.ancestor_names)

    def get_search_results(self, request, queryset, search_term):
        # Own or ancestor names, through the token index (no scan over 100,000 names).
        return selectors.organizations_matching(queryset, search_term), False

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)

        class RequestForm(form):
            def __init__(self, *args, **inner):
                super().__init__(*args, request=request, **inner)

        return RequestForm

    def get_fields(self, request, obj=None):
        fields = ["kind", "name", "division_code", "credit_code", "is_active"]
        return fields if obj else ["parent", *fields]

    def get_readonly_fields(self, request, obj=None):
        return ("kind",) if obj else ()

    def save_model(self, request, obj, form, change):
        if change:
            super().save_model(request, obj, form, change)
            audit_log(actor=request.user, action="organization_changed", obj=obj, organization_path=obj.path,
                      changes={name: form.cleaned_data.get(name) for name in form.changed_data})
            return
        parent = form.cleaned_data.get("parent")
        values = {name: form.cleaned_data[name] for name in ("kind", "name", "division_code", "credit_code", "is_active")}
        with transaction.atomic():
            node = (Organization.objects.add_child(parent, values) if parent else Organization.objects.add_root(values))
            audit_log(actor=request.user, action="organization_created", obj=node, organization_path=node.path,
                      changes={"parent": parent.pk if parent else None, "kind": node.kind})
        obj.pk, obj.path, obj.depth = node.pk, node.path, node.depth

    def has_change_permission(self, request, obj=None):
        # Reviewers verify members; only a union's administrators edit the tree itself.
        return super().has_change_permission(request, obj) and role_allows(request.user, "add")

    def has_delete_permission(self, request, obj=None):
        # Deleting a node deletes its subtree: only the federation's superusers; others deactivate.
        return request.user.is_active and request.user.is_superuser


# --- Staff assignments ---------------------------------------------------------------


class StaffAssignmentForm(forms.ModelForm):
    phone = forms.CharField(
        label=_("mobile number of the person"), max_length=20, required=False,
        help_text=_("The full mobile number they log in with; they must have an account already."),
    )

    class Meta:
        model = StaffAssignment
        fields = ["organization", "role", "can_reveal_personal_data"]
        widgets = {"organization": organization_autocomplete()}

    def __init__(self, *args, request=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.request = request
        if "organization" in self.fields:
            self.fields["organization"].queryset = scope_queryset(Organization.objects.all(), request.user)
        if self.instance.pk:
            self.fields.pop("phone", None)
        else:
            self.fields["phone"].required = True

    def clean_phone(self):
        phone = rules.normalize_phone(self.cleaned_data.get("phone", ""))
        if not rules.is_mainland_mobile(phone):
            raise forms.ValidationError(_("Enter an 11-digit mainland mobile number starting with 1."))
        user = User.objects.filter(phone_hash=phone_hash(phone)).first()
        if user is None:
            raise forms.ValidationError(_("No account has this mobile number. The person must register first."))
        if StaffAssignment.objects.filter(user=user).exists():
            raise forms.ValidationError(_("This person already has a staff assignment."))
        self.person = user
        return phone

    def clean(self):
        data = super().clean()
        user = self.request.user
        if user.is_superuser:
            return data
        own = staff_assignment(user)
        if own is None:
            raise forms.ValidationError(_("You have no staff assignment."))
        if data.get("role") and not rules.role_at_most(data["role"], own.role):
            self.add_error("role", _("You cannot grant a role above your own."))
        if data.get("can_reveal_personal_data") and not own.can_reveal_personal_data:
            self.add_error("can_reveal_personal_data", _("You cannot grant a permission you do not hold."))
        return data


@admin.register(StaffAssignment)
class StaffAssignmentAdmin(ScopedAdmin):
    form = StaffAssignmentForm
    list_display = ("user", "organization", "role", "can_reveal_personal_data", "created_at")
    list_filter = ("role", "can_reveal_personal_data")
    list_select_related = ("user", "organization")
    show_full_result_count = False

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)

        class RequestForm(form):
            def __init__(self, *args, **inner):
                super().__init__(*args, request=request, **inner)

        return RequestForm

    def get_fields(self, request, obj=None):
        fields = ["organization", "role", "can_reveal_personal_data"]
        return fields if obj else ["phone", *fields]

    def _own(self, request, obj):
        return obj is not None and obj.user_id == request.user.pk and not request.user.is_superuser

    def has_change_permission(self, request, obj=None):
        # Only administrators manage staff, and nobody raises their own role or scope.
        return (super().has_change_permission(request, obj) and role_allows(request.user, "add")
                and not self._own(request, obj))

    def has_delete_permission(self, request, obj=None):
        return super().has_delete_permission(request, obj) and not self._own(request, obj)

    def save_model(self, request, obj, form, change):
        with transaction.atomic():
            if not change:
                obj.user = form.person
            before = StaffAssignment.objects.filter(pk=obj.pk).values("organization", "role", "can_reveal_personal_data").first()
            super().save_model(request, obj, form, change)
            if not obj.user.is_staff:
                obj.user.is_staff = True
                obj.user.save(update_fields=["is_staff"])
            after = {"organization": obj.organization_id, "role": obj.role, "can_reveal_personal_data": obj.can_reveal_personal_data}
            audit_log(actor=request.user, action="staff_assignment_saved", obj=obj, organization_path=obj.organization.path,
                      changes={key: [before[key] if before else None, value] for key, value in after.items()})

    def delete_model(self, request, obj):
        with transaction.atomic():
            audit_log(actor=request.user, action="staff_assignment_deleted", obj=obj, organization_path=obj.organization.path,
                      changes={"role": [obj.role, None]})
            user = obj.user
            super().delete_model(request, obj)
            if not user.is_superuser:
                user.is_staff = False
                user.save(update_fields=["is_staff"])

    def delete_queryset(self, request, queryset):
        for assignment in queryset.select_related("user", "organization"):
            self.delete_model(request, assignment)


# --- Members ---------------------------------------------------------------------------


class TransferInline(admin.TabularInline):
    model = MemberTransfer
    extra = 0
    fields = ("transferred_at", "from_organization", "to_organization", "reason", "transferred_by")
    readonly_fields = fields
    can_delete = False

    def has_view_permission(self, request, obj=None):
        # Shown with the member, whose admin already checked the staff member's scope.
        return role_allows(request.user, "view")

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class RejectForm(forms.Form):
    reason = forms.CharField(label=_("reason"), max_length=255, widget=forms.Textarea(attrs={"rows": 3}))


class TransferForm(forms.Form):
    organization = forms.ModelChoiceField(
        label=_("to union"), queryset=Organization.objects.none(), widget=organization_autocomplete(),
    )
    reason = forms.CharField(label=_("reason"), max_length=255, required=False)


def _all_selected(request) -> bool:
    """"Select all" of a list that may hold a district's members, not the ticked rows of a page."""
    return request.POST.get("select_across") == "1"


class MemberAdmin(ScopedAdmin):
    list_display = ("name", "card_number", "id_number_masked", "phone_masked", "organization", "status",
                    "worker_category", "joined_at")
    list_filter = ("status", "worker_category", UnionTreeFilter, "is_frontline", "model_worker_level", "has_hardship_file")
    search_fields = ("name",)
    search_help_text = _("Name (from its start), card number, or a full ID or mobile number.")
    list_select_related = ("organization", "user")
    show_full_result_count = False
    ordering = ("-pk",)
    inlines = [TransferInline]
    actions = ["verify_selected", "reject_selected", "transfer_selected", "export_selected"]
    change_form_template = "admin/members/member/change_form.html"
    change_list_template = "admin/members/member/change_list.html"
    staff_may_add = False
    readonly_fields = ("name", "id_number_masked", "phone_masked", "sex", "birth_year", "organization", "card_number",
                       "status", "joined_at", "verified_at", "verified_by", "rejection_reason", "left_at", "erased_at")
    fieldsets = (
        (None, {"fields": ("name", "id_number_masked", "phone_masked", "sex", "birth_year", "organization", "card_number")}),
        (_("Membership"), {"fields": ("status", "joined_at", "verified_at", "verified_by", "rejection_reason",
                                      "left_at", "erased_at")}),
        (_("Set by the union"), {"fields": ("worker_category", "is_frontline", "is_technical", "model_worker_level",
                                            "has_hardship_file")}),
    )

    @admin.display(description=_("resident ID number"))
    def id_number_masked(self, member):
        return member.masked_id_number

    @admin.display(description=_("mobile number"))
    def phone_masked(self, member):
        return member.user.masked_phone

    @admin.display(description=_("birth year"))
    def birth_year(self, member):
        return member.birth_date.year

    def get_search_results(self, request, queryset, search_term):
        # Exact matches through the keyed hashes; names from their start (indexed).
        return selectors.members_search(queryset, search_term), False

    def has_delete_permission(self, request, obj=None):
        return False  # memberships end (leave) or are erased at the member's request, never deleted

    def get_actions(self, request):
        actions = super().get_actions(request)
        if not role_allows(request.user, "change"):
            for name in ("verify_selected", "reject_selected", "transfer_selected"):
                actions.pop(name, None)
        return actions

    def save_model(self, request, obj, form, change):
        values = {name: form.cleaned_data[name] for name in form.changed_data if name in services.STAFF_ATTRIBUTES}
        if values:
            services.member_set_attributes(actor=request.user, member=obj, **values)

    # -- actions --
    @admin.action(description=_("Verify the selected applications"))
    def verify_selected(self, request, queryset):
        if _all_selected(request):
            return self._bulk(request, MemberBulkAction.Kind.VERIFY, None, _("Verify applications"))
        done, refused = 0, 0
        for member in queryset.filter(status=Member.Status.PENDING).order_by("joined_at"):
            try:
                services.member_verify(actor=request.user, member=member)
                done += 1
            except DomainError:
                refused += 1
        self.message_user(request, gettext("%(count)d applications verified.") % {"count": done}, messages.SUCCESS)
        skipped = queryset.exclude(status=Member.Status.PENDING).count() + refused
        if skipped:
            self.message_user(request, gettext("%(count)d selected rows were not pending and were left alone.")
                              % {"count": skipped}, messages.WARNING)

    @admin.action(description=_("Reject the selected applications…"))
    def reject_selected(self, request, queryset):
        form = RejectForm(request.POST if "apply" in request.POST else None)
        if _all_selected(request):
            return self._bulk(request, MemberBulkAction.Kind.REJECT, form, _("Reject applications"))
        if form.is_bound and form.is_valid():
            done = 0
            for member in queryset.filter(status=Member.Status.PENDING):
                try:
                    services.member_reject(actor=request.user, member=member, reason=form.cleaned_data["reason"])
                    done += 1
                except DomainError:
                    continue
            self.message_user(request, gettext("%(count)d applications rejected.") % {"count": done}, messages.SUCCESS)
            return None
        return self._intermediate(request, queryset, form, "reject_selected", _("Reject applications"))

    @admin.action(description=_("Transfer the selected members to another union…"))
    def transfer_selected(self, request, queryset):
        form = TransferForm(request.POST if "apply" in request.POST else None)
        form.fields["organization"].queryset = scope_queryset(
            Organization.objects.filter(kind__in=Organization.GRASSROOTS_KINDS), request.user)
        if _all_selected(request):
            return self._bulk(request, MemberBulkAction.Kind.TRANSFER, form, _("Transfer members"))
        if form.is_bound and form.is_valid():
            done, errors = 0, set()
            for member in queryset:
                try:
                    services.member_transfer(actor=request.user, member=member, to_organization=form.cleaned_data[
                        "organization"], reason=form.cleaned_data["reason"])
                    done += 1
                except DomainError as error:
                    errors.add(str(error.message))
            self.message_user(request, gettext("%(count)d members transferred.") % {"count": done}, messages.SUCCESS)
            for message in errors:
                self.message_user(request, message, messages.WARNING)
            return None
        return self._intermediate(request, queryset, form, "transfer_selected", _("Transfer members"))

    def _bulk(self, request, kind, form, title):
        """"Select all": confirm what the list holds, then hand the action to a worker."""
        filters = filters_only(request.GET.urlencode())
        changelist = member_changelist(request.user, filters, self.model)
        description = describe(changelist)
        if "apply" in request.POST and (form is None or form.is_valid()):
            chosen = form.cleaned_data if form is not None else {}
            try:
                bulk_actions.member_bulk_request(
                    actor=request.user, kind=kind, model=self.model, query_string=filters, description=description,
                    to_organization=chosen.get("organization"), reason=chosen.get("reason", ""),
                )
            except DomainError as error:
                self.message_user(request, str(error.message), messages.ERROR)
                return None
            self.message_user(request, gettext(
                "The action runs in the background, one member at a time: follow it under Bulk member actions."),
                messages.SUCCESS)
            return redirect("admin:members_memberbulkaction_changelist")
        context = {
            **self.admin_site.each_context(request), "title": title, "form": form, "kind": kind,
            "action": request.POST.get("action"), "opts": self.model._meta,
            "media": self.media + (form.media if form is not None else forms.Media()),
            "description": description, "count": changelist.result_count,
            "pending_only": kind != MemberBulkAction.Kind.TRANSFER,
            "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
            "selected": request.POST.getlist(admin.helpers.ACTION_CHECKBOX_NAME),
            "list_url": reverse(f"admin:members_{self.opts.model_name}_changelist") + ("?" + filters if filters else ""),
        }
        return TemplateResponse(request, "admin/members/member/bulk_confirm.html", context)

    def _intermediate(self, request, queryset, form, action, title):
        context = {
            **self.admin_site.each_context(request), "title": title, "form": form, "action": action,
            "queryset": queryset[:200], "opts": self.model._meta,
            "media": self.media + form.media,
            "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
            "selected": request.POST.getlist(admin.helpers.ACTION_CHECKBOX_NAME),
            "select_across": request.POST.get("select_across", "0"),
        }
        return TemplateResponse(request, "admin/members/member/action_form.html", context)

    @admin.action(description=_("Export the selected members to Excel (masked)"))
    def export_selected(self, request, queryset):
        if _all_selected(request):
            # "Select all" of a list that may hold millions: written in the background.
            return redirect(reverse("admin:members_member_export") + "?" + filters_only(request.GET.urlencode()))
        from .roster import roster_export_response

        return roster_export_response(queryset)  # the ticked rows of one page

    # -- extra views: reveal, export of the whole scope, roster import --
    def get_urls(self):
        info = self.opts.app_label, self.opts.model_name
        return [
            path("<int:pk>/reveal/<str:field>/", self.admin_site.admin_view(self.reveal_view),
                 name="%s_%s_reveal" % info),
            path("export/", self.admin_site.admin_view(self.export_view), name="%s_%s_export" % info),
            path("import/", self.admin_site.admin_view(self.import_view), name="%s_%s_import" % info),
        ] + super().get_urls()

    def may_reveal(self, request) -> bool:
        assignment = cached_staff_assignment(request.user)
        return bool(assignment and assignment.can_reveal_personal_data)

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        context["may_reveal"] = self.may_reveal(request)
        context["revealed"] = getattr(request, "revealed", None)
        return super().render_change_form(request, context, add, change, form_url, obj)

    def reveal_view(self, request, pk, field):
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        member = self.get_queryset(request).filter(pk=pk).first()
        if member is None or field not in PersonalDataAccess.Field.values:
            raise Http404
        try:
            value = services.member_personal_data_reveal(actor=request.user, member=member, field=field)
        except DomainError as error:
            if error.status == 404:
                raise Http404 from None
            self.message_user(request, str(error.message), messages.ERROR)
            return redirect(reverse("admin:members_member_change", args=[member.pk]))
        context = {
            **self.admin_site.each_context(request), "title": _("Full personal data"), "opts": self.model._meta,
            "member": member, "field_label": PersonalDataAccess.Field(field).label, "value": value,
        }
        response = TemplateResponse(request, "admin/members/member/reveal.html", context)
        response["Cache-Control"] = "no-store"
        return response

    def export_view(self, request):
        """Confirm, then queue an export of the list with the filters it was opened with."""
        if not self.has_view_permission(request):
            raise Http404
        filters = filters_only(request.GET.urlencode())
        try:
            changelist = member_changelist(request.user, filters)
        except IncorrectLookupParameters:
            self.message_user(request, gettext("The list's filters could not be read."), messages.ERROR)
            return redirect("admin:members_member_changelist")
        description = describe(changelist)
        if request.method == "POST":
            try:
                exports.member_export_request(actor=request.user, query_string=filters, description=description)
            except DomainError as error:
                self.message_user(request, str(error.message), messages.ERROR)
                return redirect(reverse("admin:members_member_changelist") + "?" + filters)
            self.message_user(request, gettext(
                "The export is being written. It will be ready here in a few minutes; the file is deleted after "
                "%(hours)d hours.") % {"hours": settings.MEMBER_EXPORT_LIFETIME / timedelta(hours=1)}, messages.SUCCESS)
            return redirect("admin:members_memberexport_changelist")
        context = {
            **self.admin_site.each_context(request), "title": gettext("Export members"), "opts": self.model._meta,
            "description": description, "count": changelist.result_count,
            "list_url": reverse("admin:members_member_changelist") + ("?" + filters if filters else ""),
        }
        return TemplateResponse(request, "admin/members/member/export_confirm.html", context)

    def import_view(self, request):
        from .roster import roster_import_view

        return roster_import_view(self, request)


admin.site.register(Member, MemberAdmin)


@admin.register(PendingMember)
class PendingMemberAdmin(MemberAdmin):
    """The verification queue: pending applications, the longest waiting first."""

    list_display = ("name", "waiting", "card_number", "id_number_masked", "phone_masked", "organization",
                    "worker_category", "joined_at")
    list_filter = ("worker_category", UnionTreeFilter, "is_frontline")
    ordering = ("joined_at", "pk")
    actions = ["verify_selected", "reject_selected"]

    def get_queryset(self, request):
        return super().get_queryset(request).filter(status=Member.Status.PENDING)

    @admin.display(description=_("waiting"), ordering="joined_at")
    def waiting(self, member):
        hours = int((timezone.now() - member.joined_at).total_seconds() // 3600)
        days, hours = divmod(hours, 24)
        text = gettext("%(days)d d %(hours)d h") % {"days": days, "hours": hours}
        return format_html('<strong style="color:#b00020">{}</strong>', text) if days >= 3 else text

    def get_urls(self):
        return admin.ModelAdmin.get_urls(self)


@admin.register(PersonalDataAccess)
class PersonalDataAccessAdmin(RecordAdmin):
    list_display = ("accessed_at", "staff", "member", "field")
    list_filter = ("field",)
    list_select_related = ("staff", "member")
    show_full_result_count = False
    readonly_fields = ("accessed_at", "staff", "member", "field")


@admin.register(RosterImport)
class RosterImportAdmin(ScopedAdmin):
    list_display = ("uploaded_at", "file_name", "organization", "uploaded_by", "status", "created_count", "skipped_count")
    list_select_related = ("organization", "uploaded_by")
    fields = ("uploaded_at", "file_name", "organization", "uploaded_by", "status", "created_count", "skipped_count",
              "committed_at")
    readonly_fields = fields
    show_full_result_count = False

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(MemberExport)
class MemberExportAdmin(RecordAdmin):
    """Each staff member's own exports: the files hold their tree's members."""

    # The download link second, within reach on a phone's screen.
    list_display = ("requested_at", "download", "status", "row_count", "description", "expires_at")
    fields = ("requested_at", "description", "status", "row_count", "failure", "finished_at", "expires_at", "download")
    readonly_fields = fields

    def get_queryset(self, request):
        return super().get_queryset(request).filter(requested_by=request.user)

    @admin.display(description=_("file"))
    def download(self, export):
        if export.status != MemberExport.Status.READY:
            return "—"
        return format_html('<a href="{}">{}</a>', reverse("admin:members_memberexport_download", args=[export.pk]),
                           gettext("Download (.xlsx)"))

    def get_urls(self):
        return [
            path("<int:pk>/download/", self.admin_site.admin_view(self.download_view),
                 name="members_memberexport_download"),
        ] + super().get_urls()

    def download_view(self, request, pk):
        export = self.get_queryset(request).filter(pk=pk).first()
        if export is None or not self.has_view_permission(request):
            raise Http404
        try:
            handle = exports.member_export_open(actor=request.user, export=export)
        except DomainError as error:
            self.message_user(request, str(error.message), messages.WARNING)
            return redirect("admin:members_memberexport_changelist")
        local = timezone.localtime(export.requested_at)
        response = FileResponse(handle, as_attachment=True, filename=f"members-{local:%Y%m%d-%H%M}.xlsx")
        response["Cache-Control"] = "no-store"
        return response


@admin.register(MemberBulkAction)
class MemberBulkActionAdmin(RecordAdmin):
    """Verifications, rejections and transfers of whole lists, as their workers get through them."""

    # What and how far first, within a phone's screen; when and by whom after.
    list_display = ("kind", "status", "progress", "requested_at", "description", "requester", "finished_at")
    list_filter = ("kind", "status")
    list_select_related = ("requested_by",)
    fields = ("requested_at", "kind", "description", "to_organization", "reason", "requester", "status",
              "member_count", "done_count", "skipped_count", "left_alone_because", "failure", "finished_at")
    readonly_fields = fields
    actions = ["stop_selected"]

    class Media:
        css = {"all": ("members/bulk_actions.css",)}

    @admin.display(description=_("progress"))
    def progress(self, action):
        handled = f"{action.done_count + action.skipped_count:,}"
        if action.member_count is None:  # not started yet
            text = gettext("%(handled)s handled") % {"handled": handled}
        else:
            text = gettext("%(handled)s of %(total)s handled") % {"handled": handled,
                                                                  "total": f"{action.member_count:,}"}
        if action.skipped_count:
            text += gettext(", %(skipped)s of them left as they were") % {"skipped": f"{action.skipped_count:,}"}
        return text

    @admin.display(description=_("requested by"))
    def requester(self, action):
        return action.requested_by.name or action.requested_by.masked_phone

    @admin.display(description=_("left alone because"))
    def left_alone_because(self, action):
        reasons = sorted(action.skipped_reasons.items(), key=lambda item: -item[1])
        if not reasons:
            return "—"
        return format_html_join(mark_safe("<br>"), "{} ({})", ((reason, f"{count:,}") for reason, count in reasons))

    def get_actions(self, request):
        actions = super().get_actions(request)
        if not role_allows(request.user, "change"):
            actions.pop("stop_selected", None)
        return actions

    @admin.action(description=_("Stop the selected actions where they are"))
    def stop_selected(self, request, queryset):
        stopped = 0
        for action in queryset.filter(status__in=bulk_actions.UNFINISHED):
            try:
                stopped += bulk_actions.member_bulk_stop(actor=request.user, action=action)
            except DomainError as error:
                self.message_user(request, str(error.message), messages.ERROR)
                return
        self.message_user(request, gettext("%(count)d actions stopped; the members already handled stay so.")
                          % {"count": stopped}, messages.SUCCESS)


# --- Superuser-only records ---------------------------------------------------------------


class SuperuserOnly:
    def has_module_permission(self, request):
        return request.user.is_active and request.user.is_superuser

    def has_view_permission(self, request, obj=None):
        return self.has_module_permission(request)

    def has_add_permission(self, request):
        return self.has_module_permission(request)

    def has_change_permission(self, request, obj=None):
        return self.has_module_permission(request)

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(ConsentVersion)
class ConsentVersionAdmin(SuperuserOnly, ListAtScaleAdmin):
    list_display = ("version", "title", "published_at")

    def get_readonly_fields(self, request, obj=None):
        # A text someone agreed to never changes: publish a new version instead.
        return ("version", "title", "text", "published_at") if obj else ()


class UserCreationForm(forms.ModelForm):
    phone = forms.CharField(label=_("mobile number"), max_length=20)
    password = forms.CharField(label=_("password"), widget=forms.PasswordInput, min_length=8)

    class Meta:
        model = User
        fields = ["name", "is_staff", "is_superuser"]

    def clean_phone(self):
        phone = rules.normalize_phone(self.cleaned_data["phone"])
        if not rules.is_mainland_mobile(phone):
            raise forms.ValidationError(_("Enter an 11-digit mainland mobile number starting with 1."))
        if User.objects.filter(phone_hash=phone_hash(phone)).exists():
            raise forms.ValidationError(_("This mobile number already has an account; log in instead."))
        return phone

    def save(self, commit=True):
        user = super().save(commit=False)
        user.set_phone(self.cleaned_data["phone"])
        user.set_password(self.cleaned_data["password"])
        if commit:
            user.save()
        return user


@admin.register(User)
class UserAdmin(SuperuserOnly, ListAtScaleAdmin):
    list_display = ("name", "masked_phone", "is_staff", "is_superuser", "is_active", "date_joined")
    list_filter = ("is_staff", "is_superuser", "is_active")
    search_fields = ("name",)
    search_help_text = _("Name (from its start) or a full mobile number.")
    show_full_result_count = False
    paginator = CappedCountPaginator
    ordering = ("-pk",)
    fields = ("name", "masked_phone", "is_active", "is_staff", "is_superuser", "preferred_language", "date_joined",
              "last_login")
    readonly_fields = ("masked_phone", "date_joined", "last_login")

    def get_form(self, request, obj=None, **kwargs):
        if obj is None:
            kwargs["form"] = UserCreationForm
        return super().get_form(request, obj, **kwargs)

    def get_fields(self, request, obj=None):
        return ("phone", "password", "name", "is_staff", "is_superuser") if obj is None else self.fields

    def get_readonly_fields(self, request, obj=None):
        return () if obj is None else self.readonly_fields

    def get_search_results(self, request, queryset, search_term):
        term = (search_term or "").strip()
        if not term:
            return queryset, False
        phone = rules.normalize_phone(term)
        if rules.is_mainland_mobile(phone):
            return queryset.filter(phone_hash=phone_hash(phone)), False
        return queryset.filter(name__startswith=term), False
