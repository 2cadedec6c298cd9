"""Money: the one rounding helper. Amounts are Decimal CNY; round once, when storing or showing."""

from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")


def money_round(value: Decimal) -> Decimal:
    """Round to 0.01 CNY, half up (0.005 → 0.01), the way a bank statement does."""
    if not isinstance(value, Decimal):
        raise TypeError("money must be a Decimal, not %s" % type(value).__name__)
    return value.quantize(CENT, rounding=ROUND_HALF_UP)
