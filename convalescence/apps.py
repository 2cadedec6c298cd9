from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ConvalescenceConfig(AppConfig):
    name = "convalescence"
    verbose_name = _("Convalescence")
