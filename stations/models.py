from django.conf import settings
from django.contrib.gis.db import models
from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.indexes import GinIndex, GistIndex
from django.db.models import F, Q
from django.db.models.functions import Cast
from django.utils.translation import gettext_lazy as _, pgettext_lazy

from members.models import Member, Organization, WorkerCategory
from unionportal.core.pii import EncryptedTextField


class Amenity(models.TextChoices):
    REST_SEATS = "rest_seats", _("Rest seats")
    DRINKING_WATER = "drinking_water", _("Drinking water")
    HOT_WATER = "hot_water", _("Hot water")
    MICROWAVE = "microwave", _("Microwave")
    FRIDGE = "fridge", _("Fridge")
    AIR_CONDITIONING = "air_conditioning", _("Air conditioning")
    PHONE_CHARGING = "phone_charging", _("Phone charging")
    EBIKE_CHARGING = "ebike_charging", _("E-bike charging")
    FIRST_AID = "first_aid", _("First-aid kit")
    TOILET = "toilet", _("Toilet")
    MASSAGE_CHAIR = "massage_chair", _("Massage chair")
    PARCEL_STORAGE = "parcel_storage", _("Parcel storage")
    BOOKS = "books", _("Books")
    LEGAL_CONSULTATION = "legal_consultation", _("Legal consultation")
    EMPLOYMENT_SERVICES = "employment_services", _("Employment services")
    HEALTH_CHECK = "health_check", _("Health check")
    HEALTH_KIOSK = "health_kiosk", _("Health kiosk")
    COUNSELLING = "counselling", _("Counselling")


class StationKind(models.TextChoices):
    OUTDOOR_WORKER_STATION = "outdoor_worker_station", _("Outdoor workers' station")
    HEALTH_STATION = "health_station", _("Health station")
    HEALTH_SERVICE_POINT = "health_service_point", _("Health service point")
    MOBILE_STATION = "mobile_station", _("Mobile station")
    MOTHERS_ROOM = "mothers_room", _("Mothers' room")
    DRIVERS_HOME = "drivers_home", _("Drivers' home")
    RIDERS_HOME = "riders_home", _("Riders' home")
    WORKERS_HOME = "workers_home", _("Workers' home")


class Station(models.Model):
    """A place where workers rest or get services: a rest stop, health point, mobile van, …"""

    Kind = StationKind

    name = models.CharField(_("name"), max_length=128)
    kind = models.CharField(_("kind"), max_length=32, choices=Kind.choices)
    address = models.CharField(_("address"), max_length=255)
    # For a mobile station: its depot; where it is now comes from its stops.
    location = models.PointField(_("location"), geography=True, srid=4326)
    organization = models.ForeignKey(
        Organization, on_delete=models.PROTECT, related_name="stations", verbose_name=_("run by"),
    )
    host = models.CharField(
        _("host"), max_length=128, blank=True, help_text=_("Who hosts the station, e.g. a sanitation depot or a bank branch."),
    )
    amenities = ArrayField(
        models.CharField(max_length=32, choices=Amenity.choices), verbose_name=_("amenities"), blank=True, default=list,
    )
    is_open_24h = models.BooleanField(_("open 24 hours"), default=False)
    contact_phone = models.CharField(_("contact phone"), max_length=20, blank=True)
    partner_clinic = models.CharField(
        _("partner clinic"), max_length=128, blank=True, help_text=_("Health service points: the partner community health centre."),
    )
    honours = ArrayField(
        models.CharField(max_length=128), verbose_name=_("honours"), blank=True, default=list,
        help_text=_("One honour per line, e.g. 最美工会户外劳动者服务站点."),
    )
    description = models.TextField(_("description"), blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    # Ratings are counted here, in the rating's transaction, so the map shows the average
    # without aggregating millions of rows.
    rating_count = models.PositiveIntegerField(_("ratings"), default=0, editable=False)
    rating_total = models.PositiveIntegerField(default=0, editable=False)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    SCOPE_PATH = "organization__path"

    class Meta:
        verbose_name = _("station")
        verbose_name_plural = _("stations")
        indexes = [
            GinIndex(fields=["amenities"], name="station_amenities_gin"),
            models.Index(fields=["kind"], name="station_kind_idx", condition=Q(is_active=True)),
            # q= matches with LIKE '%…%' (station names are Chinese: no case to fold).
            GinIndex(fields=["name"], opclasses=["gin_trgm_ops"], name="station_name_trgm"),
            GinIndex(fields=["address"], opclasses=["gin_trgm_ops"], name="station_address_trgm"),
            # A map viewport is a lat/lng rectangle: on the planar point its box test is exact
            # and needs none of the sphere's arithmetic (stations.selectors.plain_location).
            GistIndex(Cast("location", output_field=models.GeometryField(srid=4326)), name="station_plain_location_gist"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(rating_total__lte=F("rating_count") * 5), name="station_rating_total_bound"),
            # Codes are a promise to partner apps: the database refuses any other.
            models.CheckConstraint(condition=Q(kind__in=StationKind.values), name="station_kind_known"),
            models.CheckConstraint(condition=Q(amenities__contained_by=Amenity.values), name="station_amenities_known"),
        ]

    def __str__(self):
        return self.name

    @property
    def rating_average(self):
        from .rules import rating_average

        return rating_average(self.rating_total, self.rating_count)


class OpeningHours(models.Model):
    """One weekly opening interval. closes_at <= opens_at means it runs past midnight."""

    class Weekday(models.IntegerChoices):
        MONDAY = 0, _("Monday")
        TUESDAY = 1, _("Tuesday")
        WEDNESDAY = 2, _("Wednesday")
        THURSDAY = 3, _("Thursday")
        FRIDAY = 4, _("Friday")
        SATURDAY = 5, _("Saturday")
        SUNDAY = 6, _("Sunday")

    station = models.ForeignKey(Station, on_delete=models.CASCADE, related_name="opening_hours", verbose_name=_("station"))
    weekday = models.PositiveSmallIntegerField(_("weekday"), choices=Weekday.choices)
    opens_at = models.TimeField(_("opens at"))
    closes_at = models.TimeField(_("closes at"), help_text=_("Earlier than the opening time: open past midnight."))

    class Meta:
        verbose_name = _("opening hours")
        verbose_name_plural = _("opening hours")
        ordering = ["weekday", "opens_at"]
        indexes = [models.Index(fields=["weekday", "station"], name="opening_weekday_idx")]
        constraints = [
            models.CheckConstraint(condition=Q(weekday__gte=0, weekday__lte=6), name="opening_weekday_range"),
            models.CheckConstraint(condition=~Q(opens_at=F("closes_at")), name="opening_not_empty"),
        ]

    def __str__(self):
        return f"{self.get_weekday_display()} {self.opens_at:%H:%M}–{self.closes_at:%H:%M}"


class OpeningException(models.Model):
    """A day that differs from the week: closed (holiday, repairs) or other hours within the day."""

    station = models.ForeignKey(
        Station, on_delete=models.CASCADE, related_name="opening_exceptions", verbose_name=_("station"), db_index=False,
    )
    date = models.DateField(_("date"))
    is_closed = models.BooleanField(_("closed all day"), default=True)
    opens_at = models.TimeField(_("opens at"), null=True, blank=True)
    closes_at = models.TimeField(_("closes at"), null=True, blank=True)
    note = models.CharField(_("note"), max_length=128, blank=True)

    class Meta:
        verbose_name = _("opening exception")
        verbose_name_plural = _("opening exceptions")
        ordering = ["date"]
        constraints = [
            models.UniqueConstraint(fields=["station", "date"], name="opening_exception_one_per_day"),
            models.CheckConstraint(
                condition=Q(is_closed=True, opens_at__isnull=True, closes_at__isnull=True)
                | Q(is_closed=False, opens_at__isnull=False, closes_at__isnull=False, opens_at__lt=F("closes_at")),
                name="opening_exception_hours_consistent",
            ),
        ]
        indexes = [models.Index(fields=["date", "station"], name="opening_exception_date_idx")]

    def __str__(self):
        return f"{self.date}: {self.note or (_('closed') if self.is_closed else '')}"


class MobileStop(models.Model):
    """Where a mobile station stands on a day, from–to."""

    station = models.ForeignKey(Station, on_delete=models.CASCADE, related_name="stops", verbose_name=_("station"))
    date = models.DateField(_("date"))
    starts_at = models.TimeField(_("from"))
    ends_at = models.TimeField(_("to"))
    site_name = models.CharField(_("site"), max_length=128)
    location = models.PointField(_("location"), geography=True, srid=4326)

    class Meta:
        verbose_name = _("mobile station stop")
        verbose_name_plural = _("mobile station stops")
        ordering = ["date", "starts_at"]
        indexes = [models.Index(fields=["date", "station"], name="mobile_stop_date_idx")]
        constraints = [
            models.CheckConstraint(condition=Q(starts_at__lt=F("ends_at")), name="mobile_stop_time_order"),
        ]

    def __str__(self):
        return f"{self.date} {self.starts_at:%H:%M}–{self.ends_at:%H:%M} {self.site_name}"


def validate_photo(upload):
    """JPEG or PNG by content (not by name), at most 5 MB."""
    import filetype

    from django.core.exceptions import ValidationError

    if upload.size > 5 * 1024 * 1024:
        raise ValidationError(_("The photo is larger than 5 MB."))
    head = upload.read(261)
    upload.seek(0)
    kind = filetype.guess(head)
    if kind is None or kind.mime not in ("image/jpeg", "image/png"):
        raise ValidationError(_("Upload a JPEG or PNG photo."))


class StationPhoto(models.Model):
    station = models.ForeignKey(Station, on_delete=models.CASCADE, related_name="photos", verbose_name=_("station"))
    image = models.FileField(_("photo"), upload_to="stations/photos/%Y/%m/", validators=[validate_photo])
    caption = models.CharField(_("caption"), max_length=128, blank=True)

    class Meta:
        verbose_name = _("photo")
        verbose_name_plural = _("photos")

    def __str__(self):
        return self.caption or self.image.name


class ServiceSession(models.Model):
    """A scheduled consultation, patrol clinic or lecture at a health service point."""

    class Kind(models.TextChoices):
        CONSULTATION = "consultation", _("Consultation")
        PATROL_CLINIC = "patrol_clinic", _("Patrol clinic")
        LECTURE = "lecture", _("Health lecture")

    station = models.ForeignKey(
        Station, on_delete=models.CASCADE, related_name="sessions", verbose_name=_("station"), db_index=False,
    )
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    title = models.CharField(_("title"), max_length=128)
    starts_at = models.DateTimeField(_("starts at"))
    ends_at = models.DateTimeField(_("ends at"))
    capacity = models.PositiveIntegerField(_("places"))
    booked = models.PositiveIntegerField(_("booked"), default=0, editable=False)
    reminders_sent_at = models.DateTimeField(null=True, blank=True, editable=False)

    SCOPE_PATH = "station__organization__path"

    class Meta:
        verbose_name = _("service session")
        verbose_name_plural = _("service sessions")
        ordering = ["starts_at"]
        indexes = [models.Index(fields=["station", "starts_at"], name="session_station_start_idx")]
        constraints = [
            # The truth behind "no overbooking": the counter can never pass the capacity.
            models.CheckConstraint(condition=Q(booked__lte=F("capacity")), name="session_not_overbooked"),
            models.CheckConstraint(condition=Q(starts_at__lt=F("ends_at")), name="session_time_order"),
        ]

    def __str__(self):
        return f"{self.title} ({self.starts_at:%Y-%m-%d %H:%M})"

    @property
    def places_left(self) -> int:
        return max(self.capacity - self.booked, 0)


class SessionBooking(models.Model):
    class Status(models.TextChoices):
        BOOKED = "booked", _("Booked")
        CANCELLED = "cancelled", _("Cancelled")

    session = models.ForeignKey(ServiceSession, on_delete=models.CASCADE, related_name="bookings",
                                verbose_name=pgettext_lazy("service booking", "session"))
    member = models.ForeignKey(
        Member, on_delete=models.CASCADE, related_name="session_bookings", verbose_name=_("member"), db_index=False,
    )
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.BOOKED)
    created_at = models.DateTimeField(_("booked at"), auto_now_add=True)
    cancelled_at = models.DateTimeField(_("cancelled at"), null=True, blank=True)

    SCOPE_PATH = "session__station__organization__path"

    class Meta:
        verbose_name = _("session booking")
        verbose_name_plural = _("session bookings")
        constraints = [
            models.UniqueConstraint(
                fields=["session", "member"], condition=Q(status="booked"), name="booking_one_per_member_session",
            ),
        ]
        indexes = [models.Index(fields=["member", "-created_at"], name="booking_member_idx")]

    def __str__(self):
        return f"{self.session} · {self.member}"


class ServiceOffering(models.Model):
    """An entry of the order-style service menu a station offers to grassroots unions."""

    class Kind(models.TextChoices):
        COUNSELLING = "counselling", _("Psychological counselling")
        HEALTH_LECTURE = "health_lecture", _("Health lecture")
        FIRST_AID_TRAINING = "first_aid_training", _("First-aid training")
        LEGAL_TALK = "legal_talk", _("Legal talk")
        SKILLS_TRAINING = "skills_training", _("Skills training")
        UNION_KNOWLEDGE = "union_knowledge", _("Union knowledge training")

    station = models.ForeignKey(Station, on_delete=models.CASCADE, related_name="offerings", verbose_name=_("station"))
    kind = models.CharField(_("kind"), max_length=32, choices=Kind.choices)
    title = models.CharField(_("title"), max_length=128)
    description = models.TextField(_("description"), blank=True)
    max_head_count = models.PositiveIntegerField(_("largest group"), default=50)
    is_active = models.BooleanField(_("active"), default=True)

    SCOPE_PATH = "station__organization__path"

    class Meta:
        verbose_name = _("service on the menu")
        verbose_name_plural = _("service menu")

    def __str__(self):
        return f"{self.title} · {self.station}"


class ServiceOrder(models.Model):
    """A grassroots union orders a service for a date and head-count; the station decides."""

    class Status(models.TextChoices):
        REQUESTED = "requested", _("Requested")
        CONFIRMED = "confirmed", _("Confirmed")
        DECLINED = "declined", _("Declined")

    offering = models.ForeignKey(ServiceOffering, on_delete=models.PROTECT, related_name="orders", verbose_name=_("service"))
    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="service_orders", verbose_name=_("ordered by"))
    date = models.DateField(_("date"))
    head_count = models.PositiveIntegerField(_("head-count"))
    note = models.CharField(_("note"), max_length=255, blank=True)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.REQUESTED)
    decline_reason = models.CharField(_("reason"), max_length=255, blank=True)
    ordered_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("ordered by"))
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("decided by"),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    # Visible to the ordering union's tree; the station's staff see it through the offering.
    SCOPE_PATH = "organization__path"

    class Meta:
        verbose_name = _("service order")
        verbose_name_plural = _("service orders")
        constraints = [
            models.CheckConstraint(condition=Q(head_count__gte=1), name="service_order_head_count_positive"),
            models.CheckConstraint(
                condition=~Q(status="declined") | ~Q(decline_reason=""), name="service_order_decline_has_reason",
            ),
        ]

    def __str__(self):
        return f"{self.offering.title} · {self.organization} · {self.date}"


class HealthReading(models.Model):
    """One kiosk measurement set. Values, flags and advice are health data: encrypted at rest.

    Only `is_abnormal` is stored in clear, so staff can list readings to follow up.
    """

    station = models.ForeignKey(Station, on_delete=models.PROTECT, related_name="health_readings", verbose_name=_("station"))
    member = models.ForeignKey(
        Member, on_delete=models.PROTECT, related_name="health_readings", verbose_name=_("member"), db_index=False,
    )
    measured_at = models.DateTimeField(_("measured at"))
    data = EncryptedTextField(_("readings"))  # JSON: {"values": {...}, "flags": {...}, "advice": ..., "level": ...}
    is_abnormal = models.BooleanField(_("outside the normal range"), default=False)
    followed_up_at = models.DateTimeField(_("followed up at"), null=True, blank=True)
    followed_up_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("followed up by"),
    )
    created_at = models.DateTimeField(_("received at"), auto_now_add=True)

    SCOPE_PATH = "station__organization__path"

    class Meta:
        verbose_name = _("health reading")
        verbose_name_plural = _("health readings")
        indexes = [
            models.Index(fields=["member", "-measured_at"], name="reading_member_idx"),
            models.Index(
                fields=["station", "-measured_at"], condition=Q(is_abnormal=True, followed_up_at__isnull=True),
                name="reading_follow_up_idx",
            ),
        ]

    def __str__(self):
        return f"{self.station} · {self.measured_at:%Y-%m-%d %H:%M}"


class Visit(models.Model):
    """A visit counted for a station: a QR check-in, a kiosk reading or a staff entry."""

    class Source(models.TextChoices):
        QR_CHECK_IN = "qr", _("QR check-in")
        KIOSK = "kiosk", _("Health kiosk")
        STAFF = "staff", _("Entered by staff")

    station = models.ForeignKey(
        Station, on_delete=models.CASCADE, related_name="visits", verbose_name=_("station"), db_index=False,
    )
    member = models.ForeignKey(
        Member, on_delete=models.SET_NULL, null=True, blank=True, related_name="station_visits", verbose_name=_("member"),
    )
    visitor_category = models.CharField(_("visitor"), max_length=32, choices=WorkerCategory.choices, blank=True)
    source = models.CharField(_("source"), max_length=8, choices=Source.choices)
    visited_at = models.DateTimeField(_("time"))
    visited_on = models.DateField(_("date"))  # local date, for per-day counts

    SCOPE_PATH = "station__organization__path"

    class Meta:
        verbose_name = _("visit")
        verbose_name_plural = _("visits")
        indexes = [
            models.Index(fields=["station", "visited_on"], name="visit_station_day_idx"),
            # With the station: the usage report counts a month's visits per day and per station
            # from the index alone, without reading the visits themselves.
            models.Index(fields=["visited_on"], include=["station"], name="visit_day_station_idx"),
        ]

    def __str__(self):
        return f"{self.station} · {self.visited_at:%Y-%m-%d %H:%M}"


class Rating(models.Model):
    station = models.ForeignKey(
        Station, on_delete=models.CASCADE, related_name="ratings", verbose_name=_("station"), db_index=False,
    )
    member = models.ForeignKey(Member, on_delete=models.CASCADE, related_name="station_ratings", verbose_name=_("member"))
    score = models.PositiveSmallIntegerField(_("stars"))
    comment = models.CharField(_("comment"), max_length=500, blank=True)
    rated_on = models.DateField(_("date"))
    created_at = models.DateTimeField(_("time"), auto_now_add=True)

    SCOPE_PATH = "station__organization__path"

    class Meta:
        verbose_name = _("rating")
        verbose_name_plural = _("ratings")
        constraints = [
            models.UniqueConstraint(fields=["station", "member", "rated_on"], name="rating_once_per_day"),
            models.CheckConstraint(condition=Q(score__gte=1, score__lte=5), name="rating_score_range"),
        ]
        indexes = [models.Index(fields=["station", "-created_at"], name="rating_station_idx")]

    def __str__(self):
        return f"{self.station} · {self.score}"
