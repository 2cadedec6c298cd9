"""Coupon reads. Staff reads start from their part of the tree; member reads from the member."""

from django.db import DEFAULT_DB_ALIAS
from django.db.models import CharField, Count, F, Prefetch, Q, Value

from members.models import Member
from members.scoping import scope_queryset
from unionportal.core.compiled import CompiledQuery, CompiledRows
from unionportal.core.money import money_round

from .models import Campaign, Coupon, CouponBatch, CouponClaimCount, LotteryApplication, Merchant

STEP = 4  # treebeard's default materialized-path step length


def ancestor_paths(path: str) -> list[str]:
    """The paths of an organisation and all its ancestors (prefixes of its path)."""
    return [path[:end] for end in range(STEP, len(path) + 1, STEP)]


# A batch as a claim needs it, when its campaign belongs to the member's union or one above it
# (a prefix of the member's union's path). Every claim runs it: compiled once (core.compiled).
_BATCH_FOR_MEMBER = CompiledQuery(
    lambda batch_id, member_path: CouponBatch.objects.select_related(
        "campaign__organization", "campaign__eligible_organization",
    ).alias(member_path=Value(member_path, output_field=CharField())).filter(
        pk=batch_id, member_path__startswith=F("campaign__organization__path"),
    ),
    binary_rows=True, batch_id=-20261123, member_path="member-path-placeholder",
)


def batch_for_member(batch_id: int, member: Member) -> CouponBatch | None:
    """The batch, with its campaign and unions, if the member's part of the tree may see it."""
    if not 0 < batch_id < 2**63:  # no such id (and beyond bigint PostgreSQL would refuse it)
        return None
    return _BATCH_FOR_MEMBER.first(DEFAULT_DB_ALIAS, batch_id=batch_id, member_path=member.organization.path)


def campaigns_open_for_member(member: Member, now):
    """Campaigns of the member's own union or any union above it whose claiming has not closed."""
    batches = CouponBatch.objects.order_by("pk")
    return (
        Campaign.objects.filter(organization__path__in=ancestor_paths(member.organization.path), claim_ends_at__gt=now)
        .select_related("organization", "eligible_organization")
        .prefetch_related(Prefetch("batches", queryset=batches))
        .order_by("claim_starts_at", "pk")
    )


def member_claim_counts(member: Member, campaign_ids) -> dict:
    """{(campaign_id, batch_id or None): claimed} for the member."""
    rows = CouponClaimCount.objects.filter(member=member, campaign_id__in=list(campaign_ids))
    return {(row.campaign_id, row.batch_id): row.claimed for row in rows}


def member_lottery_applications(member: Member, batch_ids) -> dict:
    rows = LotteryApplication.objects.filter(member=member, batch_id__in=list(batch_ids))
    return {row.batch_id: row for row in rows}


def coupons_of_member(member: Member):
    return (
        Coupon.objects.filter(member=member)
        .select_related("batch__campaign", "redeemed_by")
        .order_by("-issued_at", "-pk")
    )


# What a member's coupon list shows, as plain values (no model instances).
MY_COUPON_COLUMNS = (
    "id", "code", "pickup_code", "batch__kind", "batch__face_value", "status", "issued_at", "expires_at",
    "batch__campaign__title", "redeemed_at", "redeemed_by__name",
)
# The first page of "my coupons", all or of one status: compiled once (core.compiled).
_MY_COUPONS = CompiledRows(
    lambda member_id: coupons_of_member(member_id).values(*MY_COUPON_COLUMNS), binary_rows=True, member_id=-20261123,
)
_MY_COUPONS_OF_STATUS = CompiledRows(
    lambda member_id, status: coupons_of_member(member_id).filter(status=status).values(*MY_COUPON_COLUMNS),
    binary_rows=True, member_id=-20261123, status="status-placeholder",
)


def my_coupon_rows(member: Member, status: str | None, limit: int) -> list[dict]:
    """The member's newest `limit` coupons (of `status`, if given) as MY_COUPON_COLUMNS values."""
    if status is None:
        return _MY_COUPONS.rows(DEFAULT_DB_ALIAS, limit, member_id=member.pk)
    return _MY_COUPONS_OF_STATUS.rows(DEFAULT_DB_ALIAS, limit, member_id=member.pk, status=status)


def campaigns_visible_to(user):
    return scope_queryset(Campaign.objects.select_related("organization"), user)


def batches_visible_to(user):
    return scope_queryset(CouponBatch.objects.select_related("campaign__organization"), user)


def merchants_visible_to(user):
    return scope_queryset(Merchant.objects.select_related("organization"), user)


def merchants_usable_for(user, campaign: Campaign):
    """Merchants a batch of `campaign` may list: those in the user's tree, or contracted above the campaign."""
    visible = merchants_visible_to(user).values("pk")
    return Merchant.objects.filter(is_active=True).filter(
        Q(pk__in=visible) | Q(organization__path__in=ancestor_paths(campaign.organization.path)),
    )


def batch_stats(batch: CouponBatch) -> dict:
    """Counts and values of a batch's coupons by status."""
    totals = Coupon.objects.filter(batch=batch).aggregate(
        redeemed=Count("pk", filter=Q(status=Coupon.Status.REDEEMED)),
        expired=Count("pk", filter=Q(status=Coupon.Status.EXPIRED)),
        void=Count("pk", filter=Q(status=Coupon.Status.VOID)),
    )
    face = batch.face_value
    return {
        "quantity": batch.quantity,
        "claimed": batch.claimed,
        "redeemed": totals["redeemed"],
        "expired": totals["expired"],
        "void": totals["void"],
        "remaining": batch.remaining,
        "quantity_value": money_round(face * batch.quantity),
        "claimed_value": money_round(face * batch.claimed),
        "redeemed_value": money_round(face * totals["redeemed"]),
        "expired_value": money_round(face * totals["expired"]),
        "remaining_value": money_round(face * batch.remaining),
    }


def campaign_daily_activity(campaign) -> list[tuple]:
    """[(local date, coupons claimed, coupons redeemed)] for each day with any activity."""
    from zoneinfo import ZoneInfo

    from django.conf import settings
    from django.db.models.functions import TruncDate

    local = ZoneInfo(settings.TIME_ZONE)
    coupons = Coupon.objects.filter(batch__campaign=campaign)
    claimed = dict(
        coupons.annotate(day=TruncDate("issued_at", tzinfo=local)).values("day").annotate(n=Count("pk"))
        .values_list("day", "n")
    )
    redeemed = dict(
        coupons.filter(redeemed_at__isnull=False).annotate(day=TruncDate("redeemed_at", tzinfo=local))
        .values("day").annotate(n=Count("pk")).values_list("day", "n")
    )
    return [(day, claimed.get(day, 0), redeemed.get(day, 0)) for day in sorted(set(claimed) | set(redeemed))]


def lottery_applications_of_member(member: Member):
    return (
        LotteryApplication.objects.filter(member=member)
        .select_related("batch__campaign")
        .order_by("-applied_at", "-pk")
    )
