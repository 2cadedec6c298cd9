"""Reads of the stations app: the public station search, schedules, staff views (scoped)."""

from collections import defaultdict
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from django.contrib.gis.db.models import GeometryField
from django.contrib.gis.geos import Point, Polygon
from django.contrib.gis.measure import D
from django.db import connections, router
from django.db.models import Count, Exists, F, FloatField, OuterRef, Prefetch, Q
from django.db.models.expressions import RawSQL
from django.db.models.functions import Cast, TruncDay, TruncMonth
from django.utils import timezone

from members.scoping import scope_queryset
from unionportal.core.compiled import CompiledRows
from unionportal.core.held import held_or_fetched

from . import rules
from .models import (
    HealthReading, MobileStop, OpeningException, OpeningHours, ServiceOffering, ServiceSession, Station, Visit,
)

GEOJSON_MAX_FEATURES = 2000
# What a list row, a map marker or a GeoJSON feature shows (stations.api.station_row); the
# position comes as two plain numbers (ListedStation).
LIST_ROW_FIELDS = ("id", "name", "kind", "address", "amenities", "is_open_24h", "rating_total", "rating_count")


@dataclass(frozen=True)
class StationSearch:
    """Validated search parameters, coordinates already in WGS-84."""

    near: tuple[float, float] | None = None  # (lat, lng)
    radius_m: int | None = None
    kinds: tuple[str, ...] = ()
    amenities: tuple[str, ...] = ()
    open_now: bool = False
    q: str = ""
    bbox: tuple[float, float, float, float] | None = None  # (min_lng, min_lat, max_lng, max_lat)


def local_now(now: datetime | None = None) -> datetime:
    return timezone.localtime(now or timezone.now())


def _point(lat: float, lng: float) -> Point:
    return Point(lng, lat, srid=4326)


def open_now_condition(moment: datetime) -> Q:
    """SQL form of rules.is_open_at for the local `moment` (the same rule, case by case)."""
    today, now = moment.date(), moment.time()
    yesterday = today - timedelta(days=1)
    station = OuterRef("pk")
    exception_today = OpeningException.objects.filter(station=station, date=today)
    closed_today = Exists(exception_today.filter(is_closed=True))
    in_exception_hours = Exists(exception_today.filter(is_closed=False, opens_at__lte=now, closes_at__gt=now))
    weekly_today = Exists(
        OpeningHours.objects.filter(station=station, weekday=today.weekday()).filter(
            Q(opens_at__lt=F("closes_at"), opens_at__lte=now, closes_at__gt=now)
            | Q(opens_at__gte=F("closes_at"), opens_at__lte=now)
        )
    )
    spill_from_yesterday = Exists(
        OpeningHours.objects.filter(
            station=station, weekday=yesterday.weekday(), opens_at__gte=F("closes_at"), closes_at__gt=now,
        )
    )
    exception_yesterday = Exists(OpeningException.objects.filter(station=station, date=yesterday))
    no_exception_today = ~Exists(exception_today)
    on_stop = Exists(MobileStop.objects.filter(station=station, date=today, starts_at__lte=now, ends_at__gt=now))
    return on_stop | (
        ~closed_today
        & (
            in_exception_hours
            | (no_exception_today & Q(is_open_24h=True))
            | (no_exception_today & weekly_today)
            | (~exception_yesterday & Q(is_open_24h=False) & spill_from_yesterday)
        )
    )


def plain_location():
    """The location as a planar WGS-84 point, as the station_plain_location_gist index has it."""
    return Cast("location", output_field=GeometryField(srid=4326))


def _ewkt(lat: float, lng: float) -> str:
    return f"SRID=4326;POINT({lng:.8f} {lat:.8f})"


def station_search(search: StationSearch, *, now: datetime | None = None):
    """Active stations matching `search`; with `near`, nearest first with `distance_m`.

    Nearest-first orders by the PostGIS KNN operator `<->` on the geography column, which the
    GiST index answers directly (ORDER BY ST_Distance would compute every row's distance).
    """
    qs = Station.objects.filter(is_active=True)
    if search.kinds:
        qs = qs.filter(kind__in=search.kinds)
    if search.amenities:
        qs = qs.filter(amenities__contains=list(search.amenities))
    if search.q:
        qs = qs.filter(Q(name__contains=search.q) | Q(address__contains=search.q))
    if search.bbox:
        viewport = Polygon.from_bbox(search.bbox)
        viewport.srid = 4326
        # A box test on points is exact: a point overlaps the box exactly when it lies in it.
        qs = qs.alias(plain_location=plain_location()).filter(plain_location__bboverlaps=viewport)
    if search.open_now:
        qs = qs.filter(open_now_condition(local_now(now)))
    if search.near:
        lat, lng = search.near
        point = _point(lat, lng)
        if search.radius_m:
            qs = qs.filter(location__dwithin=(point, D(m=search.radius_m)))
        knn = RawSQL('"stations_station"."location" <-> %s::geography', (_ewkt(lat, lng),), output_field=FloatField())
        # On geography `<->` gives the distance in metres on the sphere (PostGIS >= 2.2).
        qs = qs.annotate(distance_m=knn).order_by("distance_m")  # a second sort key would defeat the index
    else:
        qs = qs.order_by("pk")
    return qs


@dataclass
class ListedStation:
    """A station as list rows, map markers and GeoJSON features show it, with its schedule.

    Built from plain column values: a city viewport holds hundreds of stations and a thousand
    opening-hours rows, and building a model instance for each cost most of the answer's time.
    """

    pk: int
    name: str
    kind: str
    address: str
    amenities: list
    is_open_24h: bool
    rating_total: int
    rating_count: int
    lat: float
    lng: float
    schedule: rules.Schedule
    distance_m: float | None = None

    @property
    def rating_average(self):
        return rules.rating_average(self.rating_total, self.rating_count)


def _lat_lng(table: str) -> dict:
    """A row's position as two plain numbers (no GEOS point to build)."""
    return {"lat": RawSQL(f'ST_Y("{table}"."location"::geometry)', ()),
            "lng": RawSQL(f'ST_X("{table}"."location"::geometry)', ())}


def station_list_values(queryset):
    """The columns of `queryset`'s stations that a list row needs (slice it as a page)."""
    extra = ["distance_m"] if "distance_m" in queryset.query.annotations else []
    return queryset.annotate(**_lat_lng(Station._meta.db_table)).values(*LIST_ROW_FIELDS, "lat", "lng", *extra)


# The plain nearest-first search ("stations near me", no other filter), the commonest of all:
# compiled once (core.compiled), the position its one parameter.
_NEAREST_MARK = (31.23456789, 121.98765432)
_NEAREST = CompiledRows(
    lambda point: station_list_values(station_search(StationSearch(near=_NEAREST_MARK))), point=_ewkt(*_NEAREST_MARK),
)


def nearest_station_rows(lat: float, lng: float, limit: int) -> list[dict]:
    """The first `limit` rows of `station_list_values(station_search(StationSearch(near=(lat, lng))))`."""
    return _NEAREST.rows(router.db_for_read(Station), limit, point=_ewkt(lat, lng))


# A nearest-first search for stations open now: PostgreSQL, expecting to test every station,
# first hashes every station's hours for the day (45–80 ms at 100,000 stations), where probing
# the hours of the few dozen it reads takes a millisecond or two. Asked of the NEAREST_POOL
# nearest stations alone, it probes them; when `limit` of them are open, they are the answer.
NEAREST_POOL = 200


def nearest_open_rows(search: StationSearch, limit: int, *, now: datetime) -> list[dict]:
    """The first `limit` rows of `station_list_values(station_search(search, now=now))`, for a
    search with `near` and `open_now`."""
    pool = list(station_search(replace(search, open_now=False), now=now).values_list("pk", flat=True)[:NEAREST_POOL])
    rows = list(station_list_values(station_search(search, now=now).filter(pk__in=pool))[:limit])
    if len(rows) == limit or len(pool) < NEAREST_POOL:
        return rows
    return list(station_list_values(station_search(search, now=now))[:limit])


# The three schedule tables read for all of an answer's stations in one fixed statement (so it
# runs as a prepared statement in the public views, core.prepared), each row tagged with its
# table: `station_id = ANY(%(ids)s)` sends the stations once, as one array parameter, where
# `station_id__in` would compile and send a placeholder per station, and three statements cost
# three round trips and three conversions of the same list.
_WEEKLY, _EXCEPTION, _STOP = 0, 1, 2
_SCHEDULES_SQL = """
    SELECT 0, station_id, weekday, NULL::date, NULL::boolean, opens_at, closes_at, NULL::varchar, NULL::float8,
           NULL::float8
    FROM stations_openinghours WHERE station_id = ANY(%(ids)s) AND weekday = ANY(%(weekdays)s)
    UNION ALL
    SELECT 1, station_id, NULL, date, is_closed, opens_at, closes_at, NULL, NULL, NULL
    FROM stations_openingexception WHERE station_id = ANY(%(ids)s) AND date = ANY(%(days)s)
    UNION ALL
    SELECT 2, station_id, NULL, date, NULL, starts_at, ends_at, site_name, ST_Y(location::geometry),
           ST_X(location::geometry)
    FROM stations_mobilestop WHERE station_id = ANY(%(ids)s) AND date BETWEEN %(first_stop_day)s AND %(last_stop_day)s
    ORDER BY 1, 2, 3, 4, 6"""


def listed_stations(rows, *, now: datetime | None = None) -> list[ListedStation]:
    """`station_list_values` rows as ListedStations: one more query for all their schedules."""
    rows = list(rows)
    ids = [row["id"] for row in rows]
    if not ids:
        return []
    today = local_now(now).date()
    days = [today - timedelta(days=1), today]
    weekly, exceptions, stops = defaultdict(list), defaultdict(list), defaultdict(list)
    with connections[router.db_for_read(OpeningHours)].cursor() as cursor:
        cursor.execute(_SCHEDULES_SQL, {
            "ids": ids, "weekdays": [d.weekday() for d in days], "days": days,
            "first_stop_day": today, "last_stop_day": today + timedelta(days=7),
        })
        for table, station_id, weekday, day, is_closed, starts, ends, site_name, lat, lng in cursor.fetchall():
            if table == _WEEKLY:
                weekly[station_id].append(rules.WeeklyInterval(weekday, starts, ends))
            elif table == _EXCEPTION:
                exceptions[station_id].append(rules.ExceptionDay(day, is_closed, starts, ends))
            else:
                stops[station_id].append(rules.Stop(day, starts, ends, site_name, lat, lng))
    listed = []
    for row in rows:
        station_id = row.pop("id")
        schedule = rules.Schedule(
            is_open_24h=row["is_open_24h"], weekly=tuple(weekly[station_id]),
            exceptions=tuple(exceptions[station_id]), stops=tuple(stops[station_id]),
        )
        listed.append(ListedStation(pk=station_id, schedule=schedule, **row))
    return listed


def station_schedule(station) -> rules.Schedule:
    """The pure schedule of a listed station, or of a station from its (prefetched) rows."""
    if isinstance(station, ListedStation):
        return station.schedule
    return rules.Schedule(
        is_open_24h=station.is_open_24h,
        weekly=tuple(rules.WeeklyInterval(h.weekday, h.opens_at, h.closes_at) for h in station.opening_hours.all()),
        exceptions=tuple(
            rules.ExceptionDay(e.date, e.is_closed, e.opens_at, e.closes_at) for e in station.opening_exceptions.all()
        ),
        stops=tuple(
            rules.Stop(s.date, s.starts_at, s.ends_at, s.site_name, s.location.y, s.location.x)
            for s in station.stops.all()
        ),
    )


def station_detail(station_id: int, *, now: datetime | None = None) -> Station:
    """One active station with everything the detail answer shows (raises DoesNotExist)."""
    moment = local_now(now)
    today = moment.date()
    return (
        Station.objects.filter(is_active=True)
        .select_related("organization")
        .prefetch_related(
            "opening_hours", "photos",
            Prefetch("opening_exceptions", queryset=OpeningException.objects.filter(
                date__gte=today - timedelta(days=1), date__lte=today + timedelta(days=60))),
            Prefetch("stops", queryset=MobileStop.objects.filter(date__gte=today, date__lte=today + timedelta(days=14))),
            Prefetch("sessions", queryset=ServiceSession.objects.filter(
                ends_at__gte=moment, starts_at__lte=moment + timedelta(days=60))),
            Prefetch("offerings", queryset=ServiceOffering.objects.filter(is_active=True)),
        )
        .get(pk=station_id)
    )


DISTRICT_CENTRES_HELD_SECONDS = 600


def district_centres():
    """The district federations that run stations, each with the mean position of its stations.

    The map page offers them when the phone gives no position. Each web process reads them once
    in ten minutes (held, not shared): the grouped query averages every active station, 57 ms at
    a city's 100,000, on every opening of the map; a new district's stations show within ten.
    """
    return held_or_fetched("stations:district_centres", _district_centres_read, DISTRICT_CENTRES_HELD_SECONDS)


def _district_centres_read():
    from django.db.models import Avg
    from django.db.models.functions import Substr

    from members.models import Organization

    districts = {
        d.path: d for d in Organization.objects.filter(kind=Organization.Kind.DISTRICT, is_active=True)
    }
    if not districts:
        return []
    depth = len(next(iter(districts)))
    rows = (
        Station.objects.filter(is_active=True)
        .annotate(district_path=Substr("organization__path", 1, depth))
        .values("district_path")
        .annotate(lat=Avg(RawSQL("ST_Y(location::geometry)", ())), lng=Avg(RawSQL("ST_X(location::geometry)", ())),
                  stations=Count("id"))
    )
    result = [
        {"id": districts[r["district_path"]].pk, "name": districts[r["district_path"]].name,
         "lat": r["lat"], "lng": r["lng"], "stations": r["stations"]}
        for r in rows if r["district_path"] in districts
    ]
    return sorted(result, key=lambda r: r["name"])


# --- Staff reads (scoped) -------------------------------------------------------------------
def stations_visible_to(user):
    return scope_queryset(Station.objects.all(), user)


def visits_per_period(user, *, station_id: int | None = None, by: str = "day", since=None):
    """Visit counts per day or month for the stations in the user's tree."""
    qs = scope_queryset(Visit.objects.all(), user)
    if station_id:
        qs = qs.filter(station_id=station_id)
    if since:
        qs = qs.filter(visited_on__gte=since)
    trunc = TruncMonth("visited_on") if by == "month" else TruncDay("visited_on")
    return list(qs.annotate(period=trunc).values("period").annotate(visits=Count("*")).order_by("period"))


def stations_by_use(user, *, since, limit: int = 10):
    """(most used, least used) active stations of the user's tree since a date; unused ones count 0.

    Counted from the period's visits alone, through the index on their day: counting every
    station's visits of every day and filtering them in the count read the whole year twice.
    """
    stations = stations_visible_to(user).filter(is_active=True)
    recent = Visit.objects.filter(station__in=stations, visited_on__gte=since)
    per_station = recent.values("station_id").annotate(visits=Count("*"))
    busiest = list(per_station.order_by("-visits", "station_id")[:limit])
    unused = list(stations.exclude(Exists(Visit.objects.filter(station=OuterRef("pk"), visited_on__gte=since)))
                  .order_by("pk")[:limit])
    quietest = list(per_station.order_by("visits", "station_id")[: limit - len(unused)]) if len(unused) < limit else []
    by_pk = Station.objects.in_bulk([row["station_id"] for row in busiest + quietest])

    def counted(rows):
        listed = [by_pk[row["station_id"]] for row in rows]
        for station, row in zip(listed, rows):
            station.visit_count = row["visits"]
        return listed

    for station in unused:
        station.visit_count = 0
    most = counted(busiest)
    return most + unused[: limit - len(most)], unused + counted(quietest)


def health_readings_to_follow_up(user):
    return (
        scope_queryset(HealthReading.objects.all(), user)
        .filter(is_abnormal=True, followed_up_at__isnull=True)
        .select_related("station", "member")
        .order_by("-measured_at")
    )
