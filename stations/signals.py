"""Staff changes to what the map shows drop the cached map tiles (stations.map_tiles)."""

from django.db.models.signals import post_delete, post_save

from . import map_tiles
from .models import MobileStop, OpeningException, OpeningHours, Station

MAP_MODELS = (Station, OpeningHours, OpeningException, MobileStop)


def _map_changed(sender, **kwargs):
    map_tiles.tiles_changed()


def connect() -> None:
    for model in MAP_MODELS:
        post_save.connect(_map_changed, sender=model, dispatch_uid=f"map-tiles-save-{model.__name__}")
        post_delete.connect(_map_changed, sender=model, dispatch_uid=f"map-tiles-delete-{model.__name__}")
