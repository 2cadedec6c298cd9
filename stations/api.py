"""The stations API: public search (list, detail, GeoJSON), kiosk readings, members' own actions."""

from datetime import timedelta
from decimal import Decimal

from django.http import HttpResponse
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import serializers, status
from rest_framework.generics import get_object_or_404
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from unionportal.core.api import ErrorSerializer
from unionportal.core.errors import DomainError
from unionportal.core.labels import choice_labels
from unionportal.core.pagination import PublicListPagination, StandardPagination
from unionportal.core.permissions import IsMember, api_key_scope
from unionportal.core.prepared import PreparedStatementsMixin
from unionportal.core.routers import read_from_replica

from . import map_tiles, rules, selectors, services
from .models import Amenity, HealthReading, ServiceSession, SessionBooking, Station, Visit

CRS_CHOICES = ["wgs84", "gcj02"]


# --- Coordinates in and out ----------------------------------------------------------------
def _to_wgs84(lat: float, lng: float, crs: str) -> tuple[float, float]:
    return rules.gcj02_to_wgs84(lat, lng) if crs == "gcj02" else (lat, lng)


def _out(lat: float, lng: float, crs: str) -> dict:
    if crs == "gcj02":
        lat, lng = rules.wgs84_to_gcj02(lat, lng)
    return {"lat": round(lat, 6), "lng": round(lng, 6)}


def _parse_pair(value: str) -> tuple[float, float]:
    parts = value.split(",")
    try:
        lat, lng = (float(p) for p in parts)
    except ValueError:
        raise serializers.ValidationError(_("Give latitude and longitude as two numbers: lat,lng.")) from None
    if not (-90 <= lat <= 90 and -180 <= lng <= 180):
        raise serializers.ValidationError(_("Latitude must be within ±90 and longitude within ±180."))
    return lat, lng


def _parse_box(value: str) -> tuple[float, float, float, float]:
    try:
        numbers = [float(p) for p in value.split(",")]
    except ValueError:
        numbers = []
    if len(numbers) != 4:
        raise serializers.ValidationError(_("Give the box as min_lng,min_lat,max_lng,max_lat."))
    min_lng, min_lat, max_lng, max_lat = numbers
    if not (-180 <= min_lng < max_lng <= 180 and -90 <= min_lat < max_lat <= 90):
        raise serializers.ValidationError(_("The box's corners are not in order or out of range."))
    return tuple(numbers)


# --- Search parameters ----------------------------------------------------------------------
class StationSearchSerializer(serializers.Serializer):
    near = serializers.CharField(required=False, label=_("near"))
    radius_m = serializers.IntegerField(required=False, min_value=1, max_value=200_000, label=_("radius"))
    kind = serializers.ListField(child=serializers.ChoiceField(choices=Station.Kind.choices), required=False)
    amenity = serializers.ListField(child=serializers.ChoiceField(choices=Amenity.choices), required=False)
    open_now = serializers.BooleanField(required=False, default=False)
    q = serializers.CharField(required=False, max_length=64, allow_blank=True)
    crs = serializers.ChoiceField(choices=CRS_CHOICES, required=False, default="wgs84")
    bbox = serializers.CharField(required=False)

    def validate_near(self, value):
        return _parse_pair(value)

    def validate_bbox(self, value):
        return _parse_box(value)

    def validate(self, data):
        if data.get("radius_m") and not data.get("near"):
            raise serializers.ValidationError({"radius_m": [_("A radius needs a position: give near=lat,lng.")]})
        return data

    @classmethod
    def from_query(cls, query_params):
        return cls.plain_query(query_params) or cls.validated_query(query_params)

    @classmethod
    def plain_query(cls, query_params):
        """The commonest searches (a phone's position or its map's viewport, nothing else) as
        validated_query would answer them, or None for anything else and for any doubt. Building
        and validating the serializer's nine fields was a fifth of "stations near me"."""
        if not query_params.keys() <= _PLAIN_PARAMETERS or any(len(query_params.getlist(k)) != 1 for k in query_params):
            return None
        crs = query_params.get("crs", "wgs84")
        if crs not in CRS_CHOICES:
            return None
        data = {"kind": [], "amenity": [], "open_now": False, "crs": crs}
        try:
            if "near" in query_params:
                data["near"] = _parse_pair(query_params["near"])
            if "bbox" in query_params:
                data["bbox"] = _parse_box(query_params["bbox"])
        except serializers.ValidationError:
            return None  # validated_query words the error
        return data

    @classmethod
    def validated_query(cls, query_params):
        def listed(name):
            return [part for value in query_params.getlist(name) for part in value.split(",") if part]

        data = {k: query_params[k] for k in ("near", "radius_m", "open_now", "q", "crs", "bbox") if k in query_params}
        data["kind"], data["amenity"] = listed("kind"), listed("amenity")
        serializer = cls(data=data)
        serializer.is_valid(raise_exception=True)
        return serializer.validated_data

    @staticmethod
    def search(data) -> selectors.StationSearch:
        crs = data["crs"]
        near = _to_wgs84(*data["near"], crs) if data.get("near") else None
        bbox = data.get("bbox")
        if bbox and crs == "gcj02":
            min_lat, min_lng = rules.gcj02_to_wgs84(bbox[1], bbox[0])
            max_lat, max_lng = rules.gcj02_to_wgs84(bbox[3], bbox[2])
            bbox = (min_lng, min_lat, max_lng, max_lat)
        return selectors.StationSearch(
            near=near, radius_m=data.get("radius_m"), kinds=tuple(data.get("kind") or ()),
            amenities=tuple(data.get("amenity") or ()), open_now=data["open_now"], q=(data.get("q") or "").strip(),
            bbox=bbox,
        )


# The parameters of a plain search; the pages' are read by the pagination.
_PLAIN_PARAMETERS = {"near", "bbox", "crs", "page", "page_size"}

# The coordinate formats the search parameters accept, as the schema documents them.
LATITUDE = r"-?(?:90(?:\.0+)?|[1-8]?\d(?:\.\d+)?)"
LONGITUDE = r"-?(?:180(?:\.0+)?|(?:1[0-7]\d|[1-9]?\d)(?:\.\d+)?)"

SEARCH_PARAMETERS = [
    OpenApiParameter("near", str, pattern=f"^{LATITUDE},{LONGITUDE}$",
                     description=_("lat,lng: order nearest first and add distance_m")),
    OpenApiParameter("radius_m", {"type": "integer", "minimum": 1, "maximum": 200_000},
                     description=_("with near (400 without it): only stations within this many metres")),
    OpenApiParameter("kind", str, many=True, enum=Station.Kind.values, description=_("repeatable or comma-separated")),
    OpenApiParameter("amenity", str, many=True, enum=Amenity.values, description=_("repeatable: all must be present")),
    OpenApiParameter("open_now", bool, description=_("only stations open now (Asia/Shanghai)")),
    OpenApiParameter("q", {"type": "string", "maxLength": 64}, description=_("part of the name or address")),
    OpenApiParameter("crs", str, enum=CRS_CHOICES, description=_("coordinates in and out: wgs84 (default) or gcj02")),
]


# --- Output -----------------------------------------------------------------------------------
@extend_schema_field({"type": "string", "pattern": r"^([01]\d|2[0-3]):[0-5]\d$", "example": "08:00"})
class HourMinuteField(serializers.TimeField):
    """A time of day written HH:MM (the schema's `time` format would promise seconds and an offset)."""

    def __init__(self, **kwargs):
        super().__init__(format="%H:%M", **kwargs)


class LatLngSerializer(serializers.Serializer):
    lat = serializers.FloatField()
    lng = serializers.FloatField()


class StopSerializer(serializers.Serializer):
    date = serializers.DateField()
    starts_at = HourMinuteField()
    ends_at = HourMinuteField()
    site_name = serializers.CharField()
    location = LatLngSerializer()


def _stop_row(stop: rules.Stop | None, crs: str):
    if stop is None:
        return None
    return {"date": stop.date.isoformat(), "starts_at": stop.starts_at.strftime("%H:%M"),
            "ends_at": stop.ends_at.strftime("%H:%M"), "site_name": stop.site_name,
            "location": _out(stop.lat, stop.lng, crs)}


class StationRowSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    kind = serializers.ChoiceField(choices=Station.Kind.choices)
    kind_label = serializers.CharField()
    address = serializers.CharField()
    location = LatLngSerializer()
    amenities = serializers.ListField(child=serializers.ChoiceField(choices=Amenity.choices))
    open_now = serializers.BooleanField()
    is_open_24h = serializers.BooleanField()
    distance_m = serializers.IntegerField(required=False, help_text=_("only with near"))
    rating_average = serializers.DecimalField(max_digits=2, decimal_places=1, allow_null=True)
    rating_count = serializers.IntegerField()
    current_stop = StopSerializer(allow_null=True, help_text=_("mobile stations: where it stands now"))


def kind_labels() -> dict:
    return choice_labels(Station.Kind)


def station_row(station: Station, *, crs: str, moment, near=None, labels: dict | None = None) -> dict:
    """A station as StationRowSerializer documents it, written out directly: a city viewport
    has hundreds of rows, and a serializer's fields per row cost more than the rows' data."""
    schedule = selectors.station_schedule(station)
    stop = rules.current_stop(schedule, moment)
    # A mobile station on a stop is where the stop is.
    if stop:
        lat, lng = stop.lat, stop.lng
    elif isinstance(station, selectors.ListedStation):
        lat, lng = station.lat, station.lng
    else:
        lat, lng = station.location.y, station.location.x
    row = {
        "id": station.pk, "name": station.name, "kind": station.kind, "kind_label": (labels or kind_labels())[station.kind],
        "address": stop.site_name if stop else station.address, "location": _out(lat, lng, crs),
        "amenities": station.amenities, "open_now": rules.is_open_at(schedule, moment),
        "is_open_24h": station.is_open_24h, "rating_average": _decimal_out(station.rating_average),
        "rating_count": station.rating_count, "current_stop": _stop_row(stop, crs),
    }
    if near is not None:
        distance = rules.distance_m(near[0], near[1], lat, lng) if stop else station.distance_m
        row["distance_m"] = round(distance)
    return row


def _decimal_out(value):
    return None if value is None else f"{value:f}"  # as DRF writes decimals (COERCE_DECIMAL_TO_STRING)


class OpeningHoursSerializer(serializers.Serializer):
    weekday = serializers.IntegerField(help_text=_("Monday 0 … Sunday 6"))
    weekday_label = serializers.CharField()
    opens_at = HourMinuteField()
    closes_at = HourMinuteField(help_text=_("not after opens_at: open past midnight"))


class OpeningExceptionSerializer(serializers.Serializer):
    date = serializers.DateField()
    is_closed = serializers.BooleanField()
    opens_at = HourMinuteField(allow_null=True)
    closes_at = HourMinuteField(allow_null=True)
    note = serializers.CharField()


class SessionSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    kind = serializers.ChoiceField(choices=ServiceSession.Kind.choices)
    title = serializers.CharField()
    starts_at = serializers.DateTimeField()
    ends_at = serializers.DateTimeField()
    capacity = serializers.IntegerField()
    places_left = serializers.IntegerField()


class OfferingSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    kind = serializers.CharField()
    title = serializers.CharField()
    description = serializers.CharField()
    max_head_count = serializers.IntegerField()


class StationDetailSerializer(StationRowSerializer):
    host = serializers.CharField()
    contact_phone = serializers.CharField()
    partner_clinic = serializers.CharField()
    honours = serializers.ListField(child=serializers.CharField())
    description = serializers.CharField()
    organization = serializers.CharField(help_text=_("the union that runs it"))
    opening_hours = OpeningHoursSerializer(many=True)
    opening_exceptions = OpeningExceptionSerializer(many=True, help_text=_("the next 60 days"))
    next_stop = StopSerializer(allow_null=True)
    stops = StopSerializer(many=True, help_text=_("mobile stations: the next 14 days"))
    sessions = SessionSerializer(many=True, help_text=_("health service points: the next 60 days"))
    services = OfferingSerializer(many=True, help_text=_("the order-style service menu"))
    photos = serializers.ListField(child=serializers.CharField())


def station_detail_row(station: Station, *, crs: str, moment) -> dict:
    row = station_row(station, crs=crs, moment=moment)
    schedule = selectors.station_schedule(station)
    today = moment.date()
    row.update({
        "host": station.host, "contact_phone": station.contact_phone, "partner_clinic": station.partner_clinic,
        "honours": station.honours, "description": station.description, "organization": station.organization.name,
        "opening_hours": [
            {"weekday": h.weekday, "weekday_label": h.get_weekday_display(), "opens_at": h.opens_at,
             "closes_at": h.closes_at} for h in station.opening_hours.all()
        ],
        "opening_exceptions": [e for e in station.opening_exceptions.all() if e.date >= today],
        "next_stop": _stop_row(rules.next_stop(schedule, moment), crs),
        "stops": [_stop_row(s, crs) for s in schedule.stops if (s.date, s.ends_at) > (today, moment.time())],
        "sessions": list(station.sessions.all()),
        "services": list(station.offerings.all()),
        "photos": [p.image.url for p in station.photos.all()],
    })
    return row


# --- Views ----------------------------------------------------------------------------------
class PublicView(PreparedStatementsMixin, APIView):
    authentication_classes = []
    permission_classes = [AllowAny]

    def dispatch(self, request, *args, **kwargs):
        # Public search only reads: a read replica may answer it, or the primary if it is away.
        dispatch = super().dispatch
        return read_from_replica(lambda: dispatch(request, *args, **kwargs))


class StationListView(PublicView):
    pagination_class = PublicListPagination  # documents the pages the answer comes in

    @extend_schema(
        summary=_("Stations for the map: filters, nearest first with `near`. Public."),
        parameters=SEARCH_PARAMETERS, responses={200: StationRowSerializer(many=True), 400: ErrorSerializer},
        auth=[], tags=["stations"],
    )
    def get(self, request):
        data = StationSearchSerializer.from_query(request.query_params)
        # "Open now" as of this minute: opening hours are kept to the minute, and one moment a
        # minute gives the search one SQL text a minute, whose count the paginator then keeps.
        moment = selectors.local_now().replace(second=0, microsecond=0)
        search = StationSearchSerializer.search(data)

        def queryset():
            return selectors.station_list_values(selectors.station_search(search, now=moment))

        paginator = PublicListPagination()
        if search.near is not None and search == selectors.StationSearch(near=search.near):  # plain nearest
            rows = paginator.paginate_queryset(
                queryset, request, view=self,
                first_rows=lambda limit: selectors.nearest_station_rows(*search.near, limit),
                # Where the phone stands changes the order, not how many stations there are.
                count_key="stations:nearest",
            )
        elif search.near is not None and search.open_now:
            rows = paginator.paginate_queryset(
                queryset, request, view=self,
                first_rows=lambda limit: selectors.nearest_open_rows(search, limit, now=moment),
            )
        else:
            rows = paginator.paginate_queryset(queryset(), request, view=self)
        page = selectors.listed_stations(rows, now=moment)
        labels = kind_labels()
        rows = [station_row(s, crs=data["crs"], moment=moment, near=search.near, labels=labels) for s in page]
        return paginator.get_paginated_response(rows)


class StationDetailView(PublicView):
    @extend_schema(
        summary=_("One station: hours, amenities, services, a mobile station's current and next stops. Public."),
        parameters=[OpenApiParameter("crs", str, enum=CRS_CHOICES)],
        responses={200: StationDetailSerializer, 400: ErrorSerializer, 404: ErrorSerializer}, auth=[], tags=["stations"],
    )
    def get(self, request, pk):
        crs = request.query_params.get("crs", "wgs84")
        if crs not in CRS_CHOICES:
            raise DomainError("invalid_choice", _("crs must be wgs84 or gcj02."), field="crs")
        moment = selectors.local_now()
        try:
            station = selectors.station_detail(pk, now=moment)
        except Station.DoesNotExist:
            raise DomainError("not_found", _("Not found."), status=404) from None
        return Response(StationDetailSerializer(station_detail_row(station, crs=crs, moment=moment)).data)


class PointSerializer(serializers.Serializer):
    type = serializers.ChoiceField(choices=["Point"])
    coordinates = serializers.ListField(child=serializers.FloatField(), min_length=2, max_length=2,
                                        help_text=_("lng, lat (GeoJSON order)"))


class StationFeatureSerializer(serializers.Serializer):
    type = serializers.ChoiceField(choices=["Feature"])
    id = serializers.IntegerField()
    geometry = PointSerializer()
    properties = StationRowSerializer()


class StationFeatureCollectionSerializer(serializers.Serializer):
    """The GeoJSON answer's shape (documentation only: the view writes the dicts itself)."""

    type = serializers.ChoiceField(choices=["FeatureCollection"])
    features = StationFeatureSerializer(many=True)
    truncated = serializers.BooleanField(help_text=_("more stations matched than the features hold"))


class StationGeoJsonView(PublicView):
    @extend_schema(
        summary=_("The same search as a GeoJSON FeatureCollection, at most 2000 features (use bbox= for the viewport)."),
        parameters=SEARCH_PARAMETERS + [
            OpenApiParameter("bbox", str, pattern=f"^{LONGITUDE},{LATITUDE},{LONGITUDE},{LATITUDE}$",
                             description=_("min_lng,min_lat,max_lng,max_lat: the map's viewport (each minimum "
                                           "below its maximum, else 400)")),
        ],
        responses={200: StationFeatureCollectionSerializer, 400: ErrorSerializer}, auth=[], tags=["stations"],
    )
    def get(self, request):
        data = StationSearchSerializer.from_query(request.query_params)
        moment = selectors.local_now()
        search = StationSearchSerializer.search(data)
        if search.bbox and search == selectors.StationSearch(bbox=search.bbox):  # a plain map viewport
            body = map_tiles.viewport_body(
                search.bbox, crs=data["crs"], language=translation.get_language(), moment=moment,
                compute=lambda box: _tile_features(box, crs=data["crs"], moment=moment),
                max_features=selectors.GEOJSON_MAX_FEATURES,
            )
            if body is not None:
                return HttpResponse(body, content_type="application/json")
        queryset = selectors.station_search(search, now=moment)
        stations = selectors.listed_stations(
            selectors.station_list_values(queryset)[: selectors.GEOJSON_MAX_FEATURES + 1], now=moment,
        )
        truncated = len(stations) > selectors.GEOJSON_MAX_FEATURES
        labels = kind_labels()
        # One serializer for all rows: a serializer per feature costs a deep copy of its fields
        # each, which was most of a city viewport's time.
        features = [_feature(station_row(s, crs=data["crs"], moment=moment, near=search.near, labels=labels))
                    for s in stations[: selectors.GEOJSON_MAX_FEATURES]]
        return Response({"type": "FeatureCollection", "features": features, "truncated": truncated})


def _feature(properties: dict) -> dict:
    location = properties["location"]
    return {"type": "Feature", "id": properties["id"],
            "geometry": {"type": "Point", "coordinates": [location["lng"], location["lat"]]}, "properties": properties}


def _tile_features(box, *, crs: str, moment) -> list[map_tiles.TileFeature]:
    """Every active station in `box` as map tiles keep it."""
    queryset = selectors.station_search(selectors.StationSearch(bbox=box), now=moment)
    labels = kind_labels()
    return [
        map_tiles.TileFeature(
            s.pk, s.lng, s.lat, map_tiles.feature_bytes(_feature(station_row(s, crs=crs, moment=moment, labels=labels))),
            rules.status_holds_until(s.schedule, moment).timestamp(),
        )
        for s in selectors.listed_stations(selectors.station_list_values(queryset), now=moment)
    ]


# --- Health readings (kiosks) ----------------------------------------------------------------
class HealthReadingInSerializer(serializers.Serializer):
    card_number = serializers.CharField(max_length=16, label=_("card number"))
    measured_at = serializers.DateTimeField(required=False, label=_("measured at"))
    systolic_bp = serializers.IntegerField(required=False, label=_("Systolic blood pressure"))
    diastolic_bp = serializers.IntegerField(required=False, label=_("Diastolic blood pressure"))
    heart_rate = serializers.IntegerField(required=False, label=_("Heart rate"))
    blood_glucose = serializers.DecimalField(max_digits=4, decimal_places=1, required=False, label=_("Blood glucose (fasting)"))
    total_cholesterol = serializers.DecimalField(max_digits=5, decimal_places=2, required=False, label=_("Total cholesterol"))
    triglycerides = serializers.DecimalField(max_digits=5, decimal_places=2, required=False, label=_("Triglycerides"))
    uric_acid = serializers.IntegerField(required=False, label=_("Uric acid"))
    bmi = serializers.DecimalField(max_digits=4, decimal_places=1, required=False, label=_("Body mass index"))
    spo2 = serializers.IntegerField(required=False, label=_("Blood oxygen saturation"))

    def validate_measured_at(self, value):
        now = timezone.now()
        if value > now + timedelta(minutes=5):
            raise serializers.ValidationError(_("The measuring time is in the future."))
        if value < now - timedelta(days=30):
            raise serializers.ValidationError(_("Readings older than 30 days are not accepted."))
        return value

    def validate(self, data):
        values = {name: Decimal(data[name]) for name in rules.REFERENCE_RANGES if data.get(name) is not None}
        errors = {}
        for name, value in values.items():
            rng = rules.REFERENCE_RANGES[name]
            if not rng.minimum <= value <= rng.maximum:
                errors[name] = [_("Out of the measurable range %(low)s–%(high)s %(unit)s.") % {
                    "low": rng.minimum, "high": rng.maximum, "unit": rng.unit}]
        if ("systolic_bp" in values) != ("diastolic_bp" in values):
            errors["diastolic_bp" if "systolic_bp" in values else "systolic_bp"] = [
                _("Blood pressure needs both the systolic and the diastolic value.")]
        elif "systolic_bp" in values and values["systolic_bp"] <= values["diastolic_bp"]:
            errors["systolic_bp"] = [_("The systolic value must be above the diastolic value.")]
        if not values:
            errors["non_field_errors"] = [_("Send at least one measurement.")]
        if errors:
            raise serializers.ValidationError(errors)
        data["values"] = values
        return data


class HealthReadingOutSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    station = serializers.IntegerField()
    measured_at = serializers.DateTimeField()
    values = serializers.DictField(child=serializers.CharField())
    flags = serializers.DictField(child=serializers.ChoiceField(
        choices=[("normal", _("within the normal range")), ("low", _("below the normal range")),
                 ("high", _("above the normal range"))]))
    level = serializers.ChoiceField(choices=[
        ("normal", _("all readings normal")), ("lifestyle", _("lifestyle advice")), ("see_doctor", _("see a doctor")),
        ("see_doctor_soon", _("see a doctor soon")),
    ])
    advice = serializers.CharField()


def _reading_out(reading: HealthReading) -> dict:
    data = services.health_reading_data(reading)
    return {"id": reading.pk, "station": reading.station_id, "measured_at": reading.measured_at, **data}


class HealthReadingCreateView(APIView):
    permission_classes = [api_key_scope("health:write")]

    @extend_schema(
        summary=_("A health kiosk reports one measurement set for a member (by card number) at its station."),
        request=HealthReadingInSerializer,
        responses={201: HealthReadingOutSerializer, 400: ErrorSerializer, 401: ErrorSerializer, 403: ErrorSerializer},
        tags=["health"],
    )
    def post(self, request):
        key = request.auth
        if key.station_id is None or not key.station.is_active:
            raise DomainError("no_station", _("This API key is not tied to an active station."), status=403)
        data = HealthReadingInSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        reading, _assessment = services.health_reading_submit(
            station=key.station, card_number=data.validated_data["card_number"], values=data.validated_data["values"],
            measured_at=data.validated_data.get("measured_at"),
        )
        return Response(HealthReadingOutSerializer(_reading_out(reading)).data, status=status.HTTP_201_CREATED)


class MyHealthReadingsView(APIView):
    permission_classes = [IsMember]
    pagination_class = StandardPagination

    @extend_schema(
        summary=_("The member's own readings, newest first. Every look is access-logged."),
        responses={200: HealthReadingOutSerializer(many=True), 401: ErrorSerializer, 403: ErrorSerializer},
        tags=["health"])
    def get(self, request):
        readings = HealthReading.objects.filter(member=request.user.member).select_related(
            "station__organization").order_by("-measured_at")
        paginator = StandardPagination()
        page = paginator.paginate_queryset(readings, request, view=self)
        services.health_readings_viewed(viewer=request.user, readings=page, context="member_own_history")
        return paginator.get_paginated_response(HealthReadingOutSerializer([_reading_out(r) for r in page], many=True).data)


# --- Members: ratings, check-ins, bookings ------------------------------------------------------
def _active_station(pk) -> Station:
    return get_object_or_404(Station.objects.filter(is_active=True), pk=pk)


class RatingInSerializer(serializers.Serializer):
    score = serializers.IntegerField(min_value=1, max_value=5, label=_("stars"))
    comment = serializers.CharField(max_length=500, required=False, allow_blank=True, label=_("comment"))


class RatingOutSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    score = serializers.IntegerField()
    comment = serializers.CharField()
    rated_on = serializers.DateField()


class StationRatingView(APIView):
    permission_classes = [IsMember]

    @extend_schema(
        summary=_("A member rates a station 1–5 with a comment, once per station per day."),
        request=RatingInSerializer,
        responses={201: RatingOutSerializer, 400: ErrorSerializer, 401: ErrorSerializer, 403: ErrorSerializer,
                   404: ErrorSerializer, 409: ErrorSerializer},
        tags=["stations"])
    def post(self, request, pk):
        station = _active_station(pk)
        data = RatingInSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        rating = services.rating_submit(station=station, member=request.user.member, **data.validated_data)
        return Response(RatingOutSerializer(rating).data, status=status.HTTP_201_CREATED)


class VisitOutSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    station = serializers.IntegerField(source="station_id")
    visited_at = serializers.DateTimeField()


class StationCheckInView(APIView):
    permission_classes = [IsMember]

    @extend_schema(
        summary=_("A member checks in at a station (the QR poster's link): a visit, counted under the member's category."),
        request=None,
        responses={201: VisitOutSerializer, 401: ErrorSerializer, 403: ErrorSerializer, 404: ErrorSerializer},
        tags=["stations"])
    def post(self, request, pk):
        station = _active_station(pk)
        visit = services.visit_record(station=station, source=Visit.Source.QR_CHECK_IN, member=request.user.member)
        return Response(VisitOutSerializer(visit).data, status=status.HTTP_201_CREATED)


class SessionListView(PublicView):
    pagination_class = StandardPagination

    @extend_schema(
        summary=_("Upcoming health service point sessions with places left. Public."),
        parameters=[OpenApiParameter("station", {"type": "integer", "minimum": 1})],
        responses={200: SessionSerializer(many=True), 400: ErrorSerializer}, auth=[],
        tags=["health"])
    def get(self, request):
        queryset = ServiceSession.objects.filter(
            starts_at__gt=selectors.local_now(), station__is_active=True).order_by("starts_at", "pk")
        station = request.query_params.get("station")
        if station:
            if not station.isdecimal():  # isdigit() also passes "²", which int() refuses
                raise DomainError("invalid", _("station must be a number."), field="station")
            queryset = queryset.filter(station_id=int(station))
        paginator = StandardPagination()
        page = paginator.paginate_queryset(queryset, request, view=self)
        return paginator.get_paginated_response(SessionSerializer(page, many=True).data)


class BookingSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    session = SessionSerializer()
    status = serializers.ChoiceField(choices=SessionBooking.Status.choices)
    created_at = serializers.DateTimeField()


class SessionBookView(APIView):
    permission_classes = [IsMember]

    @extend_schema(
        summary=_("Book a place in a session: one per member, never more than the places."),
        request=None,
        responses={201: BookingSerializer, 400: ErrorSerializer, 401: ErrorSerializer, 403: ErrorSerializer,
                   404: ErrorSerializer, 409: ErrorSerializer},
        tags=["health"])
    def post(self, request, pk):
        get_object_or_404(ServiceSession.objects.filter(station__is_active=True), pk=pk)
        booking = services.session_book(session_id=pk, member=request.user.member)
        booking.session.refresh_from_db()
        return Response(BookingSerializer(booking).data, status=status.HTTP_201_CREATED)


class BookingCancelView(APIView):
    permission_classes = [IsMember]

    @extend_schema(
        summary=_("Cancel one's own booking before the session starts."),
        request=None,
        responses={200: BookingSerializer, 400: ErrorSerializer, 401: ErrorSerializer, 403: ErrorSerializer,
                   404: ErrorSerializer},
        tags=["health"])
    def post(self, request, pk):
        booking = services.session_booking_cancel(booking_id=pk, member=request.user.member)
        booking.session.refresh_from_db()
        return Response(BookingSerializer(booking).data)


class MyBookingsView(APIView):
    permission_classes = [IsMember]
    pagination_class = StandardPagination

    @extend_schema(summary=_("The member's own health service bookings, newest first."),
                   responses={200: BookingSerializer(many=True), 401: ErrorSerializer, 403: ErrorSerializer},
                   tags=["health"])
    def get(self, request):
        queryset = SessionBooking.objects.filter(member=request.user.member).select_related("session").order_by("-created_at")
        paginator = StandardPagination()
        page = paginator.paginate_queryset(queryset, request, view=self)
        return paginator.get_paginated_response(BookingSerializer(page, many=True).data)
