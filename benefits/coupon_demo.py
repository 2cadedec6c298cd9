"""Demo coupons: Ningbo's Mid-Autumn campaign and Guangdong's summer "智送清凉", run by the demo city.

Idempotent: a campaign that exists already (same title, same organisation) is left alone.
Windows start at the first seeding, so the demo always has campaigns to claim from.
"""

from datetime import timedelta
from decimal import Decimal

from django.utils import timezone

from members.models import Member, Organization, User, WorkerCategory, phone_hash
from unionportal.core.errors import DomainError

from . import coupon_services as services
from .models import Campaign, CouponBatch, CouponClaimCount, Merchant

MID_AUTUMN = "月满中秋，好券相伴"
SUMMER = "智送清凉"

# kind → (merchant, face value, quantity, mode); Ningbo's five batches, > 350,000 CNY in all.
MID_AUTUMN_BATCHES = [
    ("movie", "观影券", Decimal("40.00"), 5000, "first_come"),
    ("swimming", "游泳券", Decimal("30.00"), 2000, "first_come"),
    ("convalescence", "疗休养券", Decimal("500.00"), 300, "lottery"),
    ("meal", "餐饮券", Decimal("50.00"), 1000, "first_come"),
    ("health_check", "体检券", Decimal("200.00"), 120, "first_come"),
]
MERCHANTS = [
    ("泉州中骏万达影城", ["movie"], False),
    ("泉州市体育中心游泳馆", ["swimming"], False),
    ("清源山职工疗休养基地", ["convalescence"], False),
    ("闽南古早味餐厅（中山路店）", ["meal"], False),
    ("泉州市职工体检中心", ["health_check"], False),
    ("清凉驿站自助饮料机（丰泽东海站）", ["cooling_drink"], True),
]
OUTDOOR_WORKERS = [
    WorkerCategory.DELIVERY_RIDER, WorkerCategory.COURIER, WorkerCategory.RIDE_HAILING_DRIVER,
    WorkerCategory.TRUCK_DRIVER, WorkerCategory.SANITATION_WORKER, WorkerCategory.CONSTRUCTION_WORKER,
]


def _merchants(city) -> dict[str, Merchant]:
    found = {}
    for name, kinds, vending in MERCHANTS:
        merchant = Merchant.objects.filter(name=name, organization=city).first()
        if merchant is None:
            merchant = services.merchant_create(
                actor=None, organization=city, name=name, accepted_kinds=kinds, is_vending_machine=vending,
            )
        for kind in kinds:
            found[kind] = merchant
    return found


def seed_coupons(stdout):
    city = Organization.objects.filter(name="泉州市总工会", depth=1).first()
    if city is None:
        return
    merchants = _merchants(city)
    now = timezone.now().replace(microsecond=0)
    admin = User.objects.filter(is_superuser=True).order_by("pk").first()

    mid_autumn = Campaign.objects.filter(title=MID_AUTUMN, organization=city).first()
    if mid_autumn is None:
        mid_autumn = services.campaign_create(
            actor=admin, organization=city, title=MID_AUTUMN, budget=Decimal("500000.00"),
            description="中秋国庆双节福利：观影、游泳、疗休养、餐饮、体检五类福利券，在本平台完成实名认证的会员均可领取，每人限领一张。",
            claim_starts_at=now - timedelta(hours=1), claim_ends_at=now + timedelta(days=14),
            use_ends_at=now + timedelta(days=75), per_member_limit=1,
        )
        for kind, title, face_value, quantity, mode in MID_AUTUMN_BATCHES:
            services.batch_create(
                actor=admin, campaign=mid_autumn, kind=kind, title=title, face_value=face_value, quantity=quantity,
                mode=mode, merchants=[merchants[kind]],
            )

    summer = Campaign.objects.filter(title=SUMMER, organization=city).first()
    if summer is None:
        summer = services.campaign_create(
            actor=admin, organization=city, title=SUMMER, budget=Decimal("75000.00"),
            description="夏季送清凉：户外劳动者凭取货码在驿站自助饮料机免费领取清凉饮品，每人每季两瓶。",
            claim_starts_at=now - timedelta(hours=1), claim_ends_at=now + timedelta(days=30),
            use_ends_at=now + timedelta(days=45), per_member_limit=2, worker_categories=OUTDOOR_WORKERS,
            frontline_only=True,
        )
        services.batch_create(
            actor=admin, campaign=summer, kind="cooling_drink", title="清凉饮品", face_value=Decimal("5.00"),
            quantity=15000, per_member_limit=2, merchants=[merchants["cooling_drink"]],
        )

    # The first demo member already holds a movie coupon, so "my coupons" has something to show.
    member = Member.objects.select_related("organization").filter(user__phone_hash=phone_hash("13900000011")).first()
    movie = CouponBatch.objects.filter(campaign=mid_autumn, kind="movie").select_related("campaign__organization").first()
    if member and movie and not CouponClaimCount.objects.filter(member=member, campaign=mid_autumn).exists():
        try:
            services.coupon_claim(member=member, batch=movie, now=now)
        except DomainError:
            pass  # the campaign has closed since the first seeding: nothing to hand out
    stdout.write(f"coupons: {Campaign.objects.count()} campaigns, {CouponBatch.objects.count()} batches, "
                 f"{Merchant.objects.count()} merchants")

