"""Demo data of the benefits app: each part seeds its own (see seed_demo for the order)."""

from .aid_demo import seed_aid
from .coupon_demo import seed_coupons


def seed(stdout):
    seed_coupons(stdout)
    seed_aid(stdout)
