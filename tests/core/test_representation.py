"""Values written directly into JSON answers agree with DRF's fields."""

from datetime import datetime, timedelta, timezone as dt_timezone
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone
from rest_framework import serializers

from unionportal.core.representation import iso_datetime

MOMENTS = [
    datetime(2026, 11, 23, 9, 30, tzinfo=dt_timezone.utc),
    datetime(2026, 11, 23, 23, 59, 59, 123456, tzinfo=ZoneInfo("Asia/Shanghai")),
    datetime(2026, 1, 1, 0, 0, tzinfo=dt_timezone(timedelta(hours=-5))),
    datetime(2026, 11, 23, 9, 30),  # naive: left to DRF
]


@pytest.mark.parametrize("zone", ["Asia/Shanghai", "UTC"])
@pytest.mark.parametrize("moment", MOMENTS)
def test_datetimes_as_drf_writes_them(zone, moment):
    with timezone.override(ZoneInfo(zone)):
        assert iso_datetime(moment) == serializers.DateTimeField().to_representation(moment)
        assert iso_datetime(moment, timezone.get_current_timezone()) == iso_datetime(moment)


def test_in_the_portals_zone_and_utc_as_z():
    assert iso_datetime(MOMENTS[0]) == "2026-11-23T17:30:00+08:00"
    with timezone.override(dt_timezone.utc):
        assert iso_datetime(MOMENTS[0]) == "2026-11-23T09:30:00Z"
