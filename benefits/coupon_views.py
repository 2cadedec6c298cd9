"""Mobile pages: open campaigns with a claim button, the member's coupon wallet, the merchant's counter."""

import hmac
import uuid

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from members.models import Member
from unionportal.core.errors import DomainError
from unionportal.core.models import ApiKey
from unionportal.core.services import hash_secret

from . import coupon_rules as rules
from . import coupon_selectors as selectors
from . import coupon_services as services
from .coupon_throttling import RedeemGuessThrottle
from .models import CouponBatch, LotteryApplication


def _member_of(user) -> Member | None:
    return Member.objects.select_related("organization").filter(user=user).first()


def _not_a_member(request):
    messages.info(request, _("Only union members can claim coupons. Apply to join first."))
    try:
        return redirect("members:join")
    except NoReverseMatch:
        return redirect("home")


def _batch_state(batch, now, verdict, held: int, applied: bool) -> str:
    """What the claim button says: one of the keys of BUTTONS in the template."""
    window = rules.claim_window_state(now, batch.effective_claim_starts_at, batch.effective_claim_ends_at)
    if not verdict.eligible:
        return "not_eligible"
    if window == "upcoming":
        return "upcoming"
    if batch.mode == CouponBatch.Mode.LOTTERY:
        return "applied" if applied else ("closed" if window == "closed" else "apply")
    if held >= batch.per_member_limit:
        return "claimed"
    if batch.remaining <= 0:
        return "sold_out"
    return "closed" if window == "closed" else "claim"


@never_cache
@login_required
def coupons(request):
    member = _member_of(request.user)
    if member is None:
        return _not_a_member(request)
    now = timezone.now()
    campaigns = list(selectors.campaigns_open_for_member(member, now))
    counts = selectors.member_claim_counts(member, [c.pk for c in campaigns])
    applications = selectors.member_lottery_applications(member, [b.pk for c in campaigns for b in c.batches.all()])
    facts = services.member_facts(member)
    for campaign in campaigns:
        verdict = rules.coupon_eligibility(facts, services.campaign_eligibility_terms(campaign))
        campaign.verdict = verdict
        held_in_campaign = counts.get((campaign.pk, None), 0)
        campaign.rows = []
        for batch in campaign.batches.all():
            batch.campaign = campaign
            held = counts.get((campaign.pk, batch.pk), 0)
            state = _batch_state(batch, now, verdict, held, batch.pk in applications)
            if state in ("claim", "apply") and held_in_campaign >= campaign.per_member_limit:
                state = "limit_reached"
            campaign.rows.append({"batch": batch, "state": state})
    return render(request, "benefits/coupons.html", {"campaigns": campaigns, "member": member})


@require_POST
@login_required
def coupon_claim(request, pk):
    member = _member_of(request.user)
    if member is None:
        return _not_a_member(request)
    batch = selectors.batch_for_member(pk, member)
    if batch is None:
        raise Http404
    try:
        result = services.coupon_claim(member=member, batch=batch)
    except DomainError as error:
        messages.error(request, str(error.message))
        return redirect("benefits:coupons")
    if isinstance(result, LotteryApplication):
        messages.success(request, _("You have applied. The winners are drawn when applications close."))
        return redirect("benefits:coupons")
    messages.success(request, _("Claimed! Your coupon is below."))
    return redirect(reverse("benefits:my-coupons") + f"#coupon-{result.pk}")


def _qr_svg(text: str) -> str:
    import qrcode
    import qrcode.image.svg

    image = qrcode.make(text, image_factory=qrcode.image.svg.SvgPathImage, box_size=8, border=2)
    return image.to_string(encoding="unicode")


@never_cache
@login_required
def my_coupons(request):
    member = _member_of(request.user)
    if member is None:
        return _not_a_member(request)
    wallet = list(selectors.coupons_of_member(member)[:100])
    for coupon in wallet:
        coupon.code_display = rules.format_code(coupon.code)
        if coupon.status == coupon.Status.ISSUED:
            coupon.qr_svg = _qr_svg(coupon.code)
    applications = list(selectors.lottery_applications_of_member(member)[:20])
    return render(request, "benefits/my_coupons.html", {"coupons": wallet, "applications": applications})


# --- The merchant's counter ---------------------------------------------------------------------

COUNTER_SESSION_KEY = "coupon_counter_api_key"


def _paired_key(request) -> ApiKey | None:
    key_id = request.session.get(COUNTER_SESSION_KEY)
    if not key_id:
        return None
    key = ApiKey.objects.select_related("merchant").filter(pk=key_id, is_active=True).first()
    if key is None or not key.has_scope("coupons:redeem") or key.merchant is None or not key.merchant.is_active:
        request.session.pop(COUNTER_SESSION_KEY, None)
        return None
    return key


def _key_from_secret(raw: str) -> ApiKey | None:
    prefix, _dot, secret = raw.strip().partition(".")
    key = ApiKey.objects.select_related("merchant").filter(prefix=prefix, is_active=True).first()
    if key is None or not secret or not hmac.compare_digest(hash_secret(secret), key.key_hash):
        return None
    return key if key.has_scope("coupons:redeem") and key.merchant and key.merchant.is_active else None


@never_cache
def coupon_counter(request):
    """A phone-sized page for counter staff: pair once with the merchant's key, then type or scan codes.

    Each form carries a fresh Idempotency-Key, so pressing twice or resending redeems once.
    """
    key = _paired_key(request)
    result = None
    if request.method == "POST" and request.POST.get("action") == "pair":
        paired = _key_from_secret(request.POST.get("api_key", ""))
        if paired is None:
            messages.error(request, _("This key is not a merchant key that may redeem coupons."))
        else:
            request.session.cycle_key()
            request.session[COUNTER_SESSION_KEY] = paired.pk
            messages.success(request, _("This device now redeems for %(merchant)s.") % {"merchant": paired.merchant.name})
        return redirect("benefits:coupon-counter")
    if request.method == "POST" and request.POST.get("action") == "unpair":
        request.session.pop(COUNTER_SESSION_KEY, None)
        return redirect("benefits:coupon-counter")
    if request.method == "POST" and key is not None:
        result = _counter_redeem(request, key)
    return render(request, "benefits/counter.html", {
        "key": key, "result": result, "idempotency_key": uuid.uuid4().hex,
    })


def _counter_redeem(request, key: ApiKey) -> dict:
    throttle = RedeemGuessThrottle()
    if throttle.is_blocked(key.pk):
        return {"ok": False, "message": _("Too many wrong codes. Please wait a minute and try again.")}
    code = request.POST.get("code", "").strip()[:64]
    idempotency_key = request.POST.get("idempotency_key", "").strip()[:128]
    if not code or not idempotency_key:
        return {"ok": False, "message": _("Please type or scan a coupon code.")}
    try:
        redemption, replayed = services.coupon_redeem(merchant=key.merchant, code=code, idempotency_key=idempotency_key)
    except DomainError as error:
        return {"ok": False, "message": str(error.message)}
    if not replayed and redemption.response_status in (400, 404):
        throttle.record_failure(key.pk)
    if redemption.response_status != 200:
        return {"ok": False, "message": redemption.response_body.get("detail", "")}
    coupon = redemption.coupon
    return {
        "ok": True, "kind": coupon.batch.get_kind_display(), "face_value": coupon.batch.face_value,
        "code": rules.format_code(coupon.code), "replayed": replayed,
    }
