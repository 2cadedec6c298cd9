"""Back office of the benefits app: each part registers its models in its own module."""

from . import aid_admin  # noqa: F401  (mutual aid)
from . import coupon_admin  # noqa: F401  (welfare coupons)
