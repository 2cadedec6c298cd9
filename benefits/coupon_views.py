"""Mobile pages: open campaigns with a claim button, and the member's coupon wallet."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from members.models import Member
from unionportal.core.errors import DomainError

from . import coupon_rules as rules
from . import coupon_selectors as selectors
from . import coupon_services as services
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
    batch = get_object_or_404(
        CouponBatch.objects.select_related("campaign__organization", "campaign__eligible_organization").filter(
            campaign__organization__path__in=selectors.ancestor_paths(member.organization.path),
        ),
        pk=pk,
    )
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
    return render(request, "benefits/my_coupons.html", {"coupons": wallet})
