"""Template helpers for the mutual-aid pages."""

from decimal import Decimal, InvalidOperation

from django import template

from unionportal.core.money import money_round

register = template.Library()


@register.filter
def money(value) -> str:
    """1000000 → "1,000,000.00" (rounded half up, the one way money is shown)."""
    if value is None or value == "":
        return ""
    try:
        return f"{money_round(Decimal(str(value))):,}"
    except (InvalidOperation, TypeError, ValueError):
        return ""
