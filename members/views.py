"""Mobile pages: join, the membership card, and "my data" (see, download, change, erase)."""

import json

from django.contrib import messages
from django.contrib.auth import login, logout, update_session_auth_hash
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from unionportal.core.errors import DomainError

from . import selectors, services
from .forms import EraseForm, JoinForm, PhoneChangeForm
from .models import Member

PICKER_LIMIT = 20


def _member_of(user) -> Member | None:
    if not user.is_authenticated:
        return None
    return Member.objects.select_related("organization", "user").filter(user=user).first()


@never_cache
@require_http_methods(["GET", "POST"])
def join(request):
    """The join form. The union picker works with JavaScript (live search through the
    organisations API) and without it (the search button re-renders the page with matches)."""
    if _member_of(request.user):
        return redirect("members:card")
    try:
        consent = services.consent_current()
    except DomainError:
        consent = None
    form = JoinForm(request.POST or None, initial={"consent_version": consent.version if consent else ""})
    unions = []
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        if request.POST.get("action") == "search":
            unions = list(selectors.organizations_for_joining(data["union_query"])[:PICKER_LIMIT])
        else:
            try:
                member = services.member_register(services.Application(
                    name=data["name"], id_number=data["id_number"], phone=data["phone"], password=data["password"],
                    organization_id=data["organization"] or 0, worker_category=data["worker_category"],
                    is_frontline=data["is_frontline"], is_technical=data["is_technical"], consent=data["consent"],
                    consent_version=data["consent_version"] or None,
                ))
            except DomainError as error:
                form.add_error(error.field if error.field in form.fields else None, str(error.message))
            else:
                login(request, member.user, backend="members.auth.PhoneBackend")
                messages.success(request, _("Your application was sent. The union will verify it soon."))
                return redirect("members:card")
    selected = None
    chosen = form.data.get("organization") if form.is_bound else None
    if chosen and str(chosen).isdecimal():
        selected = selectors.organizations_for_joining().filter(pk=chosen).first()
    return render(request, "members/join.html", {
        "form": form, "identity_fields": [form[name] for name in ("name", "id_number", "phone", "password")],
        "consent": consent, "unions": unions, "selected_union": selected,
        "searched": request.POST.get("action") == "search",
    })


def _qr_svg(member: Member) -> str:
    import qrcode
    import qrcode.image.svg

    token = services.card_token_issue(member)
    image = qrcode.make(token, image_factory=qrcode.image.svg.SvgPathImage, box_size=10, border=2)
    return image.to_string(encoding="unicode")


@never_cache
@login_required
def card(request):
    member = _member_of(request.user)
    if member is None:
        messages.info(request, _("You are not a member yet. Apply to join first."))
        return redirect("members:join")
    context = {"member": member, "refresh_seconds": services.CARD_TOKEN_MAX_AGE // 2}
    if member.status == Member.Status.ACTIVE:
        context["qr_svg"] = _qr_svg(member)
    return render(request, "members/card.html", context)


@never_cache
@login_required
def card_qr(request):
    """A fresh QR code for the card page to swap in before the old one expires."""
    member = _member_of(request.user)
    if member is None or member.status != Member.Status.ACTIVE:
        return JsonResponse({"detail": _("Only an active member has a card code."), "code": "not_active"}, status=404)
    return JsonResponse({"svg": _qr_svg(member), "valid_seconds": services.CARD_TOKEN_MAX_AGE,
                         "issued_at": timezone.now().isoformat()})


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def my_data(request):
    member = _member_of(request.user)
    phone_form = PhoneChangeForm(request.POST if request.POST.get("action") == "phone" else None, prefix="phone")
    erase_form = EraseForm(request.POST if request.POST.get("action") == "erase" else None, prefix="erase")
    if phone_form.is_bound and phone_form.is_valid():
        try:
            user = services.member_phone_change(user=request.user, password=phone_form.cleaned_data["password"],
                                                new_phone=phone_form.cleaned_data["new_phone"])
        except DomainError as error:
            field = {"phone": "new_phone"}.get(error.field, error.field)
            phone_form.add_error(field if field in phone_form.fields else None, str(error.message))
        else:
            update_session_auth_hash(request, user)
            messages.success(request, _("Your mobile number was changed. Log in with the new number from now on."))
            return redirect("members:my-data")
    if erase_form.is_bound and erase_form.is_valid() and member is not None:
        try:
            services.member_erase(user=request.user, password=erase_form.cleaned_data["password"],
                                  reason="member request")
        except DomainError as error:
            erase_form.add_error(error.field if error.field in erase_form.fields else None, str(error.message))
        else:
            logout(request)
            messages.success(request, _("You have left the union and your personal data was erased."))
            return redirect("home")
    return render(request, "members/my_data.html", {
        "member": member, "phone_form": phone_form, "erase_form": erase_form,
        "transfers": member.transfers.select_related("from_organization", "to_organization") if member else [],
        "consents": request.user.consents.select_related("version"),
    })


@never_cache
@login_required
def my_data_download(request):
    member = _member_of(request.user)
    if member is None:
        return redirect("members:join")
    body = json.dumps(services.member_export_own(member), ensure_ascii=False, indent=2)
    response = HttpResponse(body, content_type="application/json; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="my-data-{timezone.localdate():%Y%m%d}.json"'
    return response
