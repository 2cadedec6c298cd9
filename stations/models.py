from django.contrib.gis.db import models
from django.utils.translation import gettext_lazy as _

from members.models import Organization


class Station(models.Model):
    """A place where workers rest or get services: a rest stop, health point, mobile van, …"""

    class Kind(models.TextChoices):
        OUTDOOR_WORKER_STATION = "outdoor_worker_station", _("Outdoor workers' station")
        HEALTH_STATION = "health_station", _("Health station")
        HEALTH_SERVICE_POINT = "health_service_point", _("Health service point")
        MOBILE_STATION = "mobile_station", _("Mobile station")
        MOTHERS_ROOM = "mothers_room", _("Mothers' room")
        DRIVERS_HOME = "drivers_home", _("Drivers' home")
        RIDERS_HOME = "riders_home", _("Riders' home")
        WORKERS_HOME = "workers_home", _("Workers' home")

    name = models.CharField(_("name"), max_length=128)
    kind = models.CharField(_("kind"), max_length=32, choices=Kind.choices)
    address = models.CharField(_("address"), max_length=255)
    location = models.PointField(_("location"), geography=True, srid=4326)
    organization = models.ForeignKey(
        Organization, on_delete=models.PROTECT, related_name="stations", verbose_name=_("run by"),
    )
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    SCOPE_PATH = "organization__path"

    class Meta:
        verbose_name = _("station")
        verbose_name_plural = _("stations")

    def __str__(self):
        return self.name
