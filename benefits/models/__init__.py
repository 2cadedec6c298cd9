"""Benefits: welfare coupons (coupons.py, merchants.py) and medical mutual aid (aid.py)."""

from .aid import (
    AidClaim, AidClaimDocument, AidClaimEvent, AidClaimInvoice, AidClaimKind, AidEnrolment, AidPayment, AidPlan,
    MemberAidYear,
)
from .coupons import Campaign, Coupon, CouponBatch, CouponClaimCount, LotteryApplication, LotteryDraw, Redemption
from .merchants import CouponKind, Merchant

__all__ = [
    "AidClaim", "AidClaimDocument", "AidClaimEvent", "AidClaimInvoice", "AidClaimKind", "AidEnrolment", "AidPayment",
    "AidPlan", "MemberAidYear",
    "Campaign", "Coupon", "CouponBatch", "CouponClaimCount", "LotteryApplication", "LotteryDraw", "Redemption",
    "CouponKind", "Merchant",
]
