"""Benefits: welfare coupons (coupons.py, merchants.py) and medical mutual aid (aid.py)."""

from .coupons import Campaign, Coupon, CouponBatch, CouponClaimCount, LotteryApplication, LotteryDraw, Redemption
from .merchants import CouponKind, Merchant

__all__ = [
    "Campaign", "Coupon", "CouponBatch", "CouponClaimCount", "LotteryApplication", "LotteryDraw", "Redemption",
    "CouponKind", "Merchant",
]
