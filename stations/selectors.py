"""Reads of the stations app: the public station search, schedules, staff views (scoped)."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.contrib.gis.geos import Point, Polygon
from django.contrib.gis.measure import D
from django.db.models import Count, Exists, F, FloatField, OuterRef, Prefetch, Q
from django.db.models.expressions import RawSQL
from django.db.models.functions import TruncDay, TruncMonth
from django.utils import timezone

from members.scoping import scope_queryset

from . import rules
from .models import (
    HealthReading, MobileStop, OpeningException, OpeningHours, ServiceOffering, ServiceSession, Station, Visit,
)

GEOJSON_MAX_FEATURES = 2000


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
        qs = qs.filter(location__intersects=Polygon.from_bbox(search.bbox))
    if search.open_now:
        qs = qs.filter(open_now_condition(local_now(now)))
    if search.near:
        lat, lng = search.near
        point = _point(lat, lng)
        if search.radius_m:
            qs = qs.filter(location__dwithin=(point, D(m=search.radius_m)))
        ewkt = f"SRID=4326;POINT({lng:.8f} {lat:.8f})"
        knn = RawSQL('"stations_station"."location" <-> %s::geography', (ewkt,), output_field=FloatField())
        # On geography `<->` gives the distance in metres on the sphere (PostGIS >= 2.2).
        qs = qs.annotate(distance_m=knn).order_by("distance_m")  # a second sort key would defeat the index
    else:
        qs = qs.order_by("pk")
    return qs


def station_list_rows(queryset, *, now: datetime | None = None):
    """Attach what the list rows need without N+1: today's hours, exceptions, stops."""
    moment = local_now(now)
    today = moment.date()
    days = [today - timedelta(days=1), today]
    # Into plain lists (to_attr): a related manager and queryset per station cost more than
    # the rows themselves on a map viewport of hundreds of stations.
    return queryset.prefetch_related(
        Prefetch("opening_hours", queryset=OpeningHours.objects.filter(weekday__in=[d.weekday() for d in days]),
                 to_attr="hours_rows"),
        Prefetch("opening_exceptions", queryset=OpeningException.objects.filter(date__in=days), to_attr="exception_rows"),
        Prefetch("stops", queryset=MobileStop.objects.filter(date__gte=today, date__lte=today + timedelta(days=7)),
                 to_attr="stop_rows"),
    )


def station_schedule(station: Station) -> rules.Schedule:
    """The pure schedule of a station from its (prefetched) rows."""
    hours = getattr(station, "hours_rows", None)
    exceptions = getattr(station, "exception_rows", None)
    stops = getattr(station, "stop_rows", None)
    return rules.Schedule(
        is_open_24h=station.is_open_24h,
        weekly=tuple(rules.WeeklyInterval(h.weekday, h.opens_at, h.closes_at)
                     for h in (station.opening_hours.all() if hours is None else hours)),
        exceptions=tuple(
            rules.ExceptionDay(e.date, e.is_closed, e.opens_at, e.closes_at)
            for e in (station.opening_exceptions.all() if exceptions is None else exceptions)
        ),
        stops=tuple(
            rules.Stop(s.date, s.starts_at, s.ends_at, s.site_name, s.location.y, s.location.x)
            for s in (station.stops.all() if stops is None else stops)
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


def district_centres():
    """The district federations that run stations, each with the mean position of its stations.

    The map page offers them when the phone gives no position. One grouped query.
    """
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
    return list(qs.annotate(period=trunc).values("period").annotate(visits=Count("id")).order_by("period"))


def stations_by_use(user, *, since, limit: int = 10):
    """(most used, least used) stations of the user's tree since a date; unused ones count 0."""
    qs = stations_visible_to(user).filter(is_active=True).annotate(
        visit_count=Count("visits", filter=Q(visits__visited_on__gte=since))
    )
    most = list(qs.order_by("-visit_count", "pk")[:limit])
    least = list(qs.order_by("visit_count", "pk")[:limit])
    return most, least


def health_readings_to_follow_up(user):
    return (
        scope_queryset(HealthReading.objects.all(), user)
        .filter(is_abnormal=True, followed_up_at__isnull=True)
        .select_related("station", "member")
        .order_by("-measured_at")
    )
