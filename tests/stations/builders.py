"""Builders for station test data."""

from datetime import time

from django.contrib.gis.geos import Point

from stations.models import MobileStop, OpeningException, OpeningHours, Station


def make_station(organization, *, lat=24.874, lng=118.676, name="测试驿站", kind=Station.Kind.OUTDOOR_WORKER_STATION,
                 amenities=("drinking_water", "rest_seats"), is_open_24h=False, hours=None, **fields) -> Station:
    """A station; `hours` is a list of (weekday, "HH:MM", "HH:MM"), default every day 08:00–20:00."""
    station = Station.objects.create(
        name=name, kind=kind, address=fields.pop("address", "泉州市鲤城区测试路1号"), organization=organization,
        location=Point(lng, lat, srid=4326), amenities=list(amenities), is_open_24h=is_open_24h, **fields,
    )
    if hours is None:
        hours = [(day, "08:00", "20:00") for day in range(7)]
    OpeningHours.objects.bulk_create(
        OpeningHours(station=station, weekday=day, opens_at=time.fromisoformat(o), closes_at=time.fromisoformat(c))
        for day, o, c in hours
    )
    return station


def make_exception(station, date, opens=None, closes=None, note="节假日"):
    return OpeningException.objects.create(
        station=station, date=date, is_closed=opens is None, note=note,
        opens_at=time.fromisoformat(opens) if opens else None, closes_at=time.fromisoformat(closes) if closes else None,
    )


def make_stop(station, date, starts, ends, lat=24.9, lng=118.6, site="工地"):
    return MobileStop.objects.create(
        station=station, date=date, starts_at=time.fromisoformat(starts), ends_at=time.fromisoformat(ends),
        site_name=site, location=Point(lng, lat, srid=4326),
    )
