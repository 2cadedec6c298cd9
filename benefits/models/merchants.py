from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.utils.translation import gettext_lazy as _, pgettext_lazy

from members.models import Organization


class CouponKind(models.TextChoices):
    MOVIE = "movie", _("Movie")
    SWIMMING = "swimming", _("Swimming")
    CONVALESCENCE = "convalescence", _("Convalescence")
    MEAL = "meal", _("Meal")
    HEALTH_CHECK = "health_check", pgettext_lazy("coupon kind", "Health check")
    COOLING_DRINK = "cooling_drink", _("Cooling drink")
    OTHER = "other", _("Other")


class Merchant(models.Model):
    """A business or vending-machine operator that redeems welfare coupons."""

    name = models.CharField(_("name"), max_length=128)
    organization = models.ForeignKey(
        Organization, on_delete=models.PROTECT, related_name="merchants", verbose_name=_("contracted by"),
    )
    accepted_kinds = ArrayField(
        models.CharField(max_length=16, choices=CouponKind.choices), verbose_name=_("accepted coupon kinds"), default=list,
    )
    is_vending_machine = models.BooleanField(_("vending machine"), default=False)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    SCOPE_PATH = "organization__path"

    class Meta:
        verbose_name = _("merchant")
        verbose_name_plural = _("merchants")

    def __str__(self):
        return self.name
