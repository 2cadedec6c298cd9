"""Celery finds an app's tasks in <app>.tasks: each part of benefits lists its own here."""

from .coupon_tasks import coupon_lotteries_draw_due, coupon_lottery_draw, coupons_expire_due

__all__ = ["coupon_lotteries_draw_due", "coupon_lottery_draw", "coupons_expire_due"]
