"""Benefits: welfare coupons (coupons.py, merchants.py) and medical mutual aid (aid.py)."""

from .merchants import CouponKind, Merchant

__all__ = ["CouponKind", "Merchant"]
