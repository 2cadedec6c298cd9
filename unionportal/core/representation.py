"""Values written into JSON answers exactly as DRF's fields would write them, for the rows that
the hottest list answers write directly (a field's per-call settings and time-zone lookups
cost more than the row's other values together)."""

from django.utils import timezone
from rest_framework import serializers

_DATETIME = serializers.DateTimeField()  # read only: threads may share it


def iso_datetime(value, zone=None):
    """As DateTimeField writes it with DATETIME_FORMAT "iso-8601": in the current time zone,
    UTC as "Z". A list passes `zone` (the current time zone, looked up once for its rows)."""
    if value is None or value.tzinfo is None:
        return _DATETIME.to_representation(value)  # the rare case, left to DRF
    text = value.astimezone(zone or timezone.get_current_timezone()).isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text
