"""Coupon test data, made through the services wherever they can make it."""

from datetime import datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from benefits import coupon_services as services

SHANGHAI = ZoneInfo("Asia/Shanghai")
# Claiming opens at 10:00 on the Mid-Autumn morning; tests move "now" around it.
OPENS = datetime(2026, 9, 20, 10, 0, tzinfo=SHANGHAI)
DURING = OPENS + timedelta(hours=1)
CLOSES = OPENS + timedelta(days=7)
VALID_UNTIL = OPENS + timedelta(days=60)


def make_campaign(organization, actor=None, **fields):
    values = dict(
        title="月满中秋，好券相伴", budget=Decimal("400000.00"), claim_starts_at=OPENS, claim_ends_at=CLOSES,
        use_ends_at=VALID_UNTIL, per_member_limit=1,
    )
    values.update(fields)
    return services.campaign_create(actor=actor, organization=organization, **values)


def make_batch(campaign, actor=None, **fields):
    values = dict(kind="movie", face_value=Decimal("50.00"), quantity=10, per_member_limit=1, mode="first_come")
    values.update(fields)
    return services.batch_create(actor=actor, campaign=campaign, **values)


def make_merchant(organization, actor=None, **fields):
    values = dict(name="万达影城", accepted_kinds=["movie"], is_vending_machine=False)
    values.update(fields)
    return services.merchant_create(actor=actor, organization=organization, **values)


def make_open_campaign(organization, actor=None, **fields):
    """A campaign whose claiming window is open right now (for API and page tests)."""
    from django.utils import timezone

    now = timezone.now()
    values = dict(claim_starts_at=now - timedelta(hours=1), claim_ends_at=now + timedelta(days=7),
                  use_ends_at=now + timedelta(days=60))
    values.update(fields)
    return make_campaign(organization, actor=actor, **values)
