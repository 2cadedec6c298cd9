"""Convalescence bases, programs, sessions (班期), subsidy rates, seat quotas and nominations.

What must always hold is guarded here by the database, whatever the code above does:
no session holds more confirmed members than seats, one nomination per member and
session, no member in two overlapping sessions, no two subsidy rates in force for the
same program kind and paying level on the same day.
"""

from django.contrib.gis.db import models as gis_models
from django.contrib.postgres.constraints import ExclusionConstraint
from django.contrib.postgres.fields import ArrayField, DateRangeField, RangeOperators
from django.db import models
from django.db.models import F, Func, Q, Value
from django.utils.translation import gettext_lazy as _, pgettext_lazy

from members.models import Member, Organization, User, members_union_field


class DateRange(Func):
    """daterange(lower, upper, '[]'): both ends inclusive; a NULL upper end is open."""

    function = "daterange"
    output_field = DateRangeField()


def inclusive_range(lower: str, upper: str) -> DateRange:
    return DateRange(F(lower), F(upper), Value("[]"))


class BaseLevel(models.TextChoices):
    PROVINCIAL = "provincial", _("Provincial")
    CITY = "city", _("City")
    COUNTY = "county", _("County")


class Theme(models.TextChoices):
    MARITIME_SILK_ROAD = "maritime_silk_road", _("Maritime Silk Road culture")
    WORLD_HERITAGE = "world_heritage", _("World heritage")
    WELLNESS = "wellness", _("Health and wellness")
    TEA_CULTURE = "tea_culture", _("Tea culture")
    RED_HERITAGE = "red_heritage", _("Revolutionary heritage")
    COASTAL = "coastal", _("Coast and islands")


class ProgramKind(models.TextChoices):
    ONE_DAY = "one_day", _("One-day trip")
    MULTI_DAY = "multi_day", _("Multi-day stay (2–7 days)")
    TEAM_BUILDING = "team_building", _("Team building")
    MODEL_WORKERS_HARBOUR = "model_workers_harbour", _("Model workers' harbour")


class PayingLevel(models.TextChoices):
    CITY = "city", _("City federation")
    COUNTY = "county", _("District/county federation")


class Base(models.Model):
    """A convalescence base (疗休养基地), accredited by a union for a period."""

    organization = models.ForeignKey(
        Organization, on_delete=models.PROTECT, related_name="convalescence_bases", verbose_name=_("accrediting union"),
    )
    name = models.CharField(_("name"), max_length=128)
    level = models.CharField(_("level"), max_length=16, choices=BaseLevel.choices)
    location = gis_models.PointField(_("location"), srid=4326, geography=True)
    address = models.CharField(_("address"), max_length=255)
    beds = models.PositiveIntegerField(_("beds"))
    themes = ArrayField(
        models.CharField(max_length=32, choices=Theme.choices), verbose_name=_("themes"), default=list, blank=True,
    )
    is_out_of_province = models.BooleanField(
        _("outside the province"), default=False,
        help_text=_("Multi-day trips to bases outside the province are limited to one every three years."),
    )
    contact_name = models.CharField(_("contact person"), max_length=64)
    contact_phone = models.CharField(_("contact telephone"), max_length=32)
    accredited_from = models.DateField(_("accredited from"))
    accredited_until = models.DateField(_("accredited until"))
    is_active = models.BooleanField(_("active"), default=True)

    SCOPE_PATH = "organization__path"

    class Meta:
        verbose_name = _("convalescence base")
        verbose_name_plural = _("convalescence bases")
        ordering = ["level", "name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(accredited_until__gte=F("accredited_from")), name="conv_base_accreditation_order",
            ),
            models.UniqueConstraint(fields=["name"], name="conv_base_unique_name"),
        ]
        indexes = [models.Index(fields=["level", "is_active"], name="conv_base_level_idx")]

    def __str__(self):
        return self.name


class Program(models.Model):
    """What a base offers: a kind of trip with a number of days and an itinerary."""

    base = models.ForeignKey(Base, on_delete=models.PROTECT, related_name="programs", verbose_name=_("base"))
    name = models.CharField(_("name"), max_length=128)
    kind = models.CharField(_("kind"), max_length=32, choices=ProgramKind.choices)
    days = models.PositiveSmallIntegerField(_("days"))
    itinerary = models.TextField(_("itinerary"), blank=True)
    description = models.TextField(_("description"), blank=True)
    is_active = models.BooleanField(_("active"), default=True)

    SCOPE_PATH = "base__organization__path"

    class Meta:
        verbose_name = _("program")
        verbose_name_plural = _("programs")
        ordering = ["base", "kind", "name"]
        constraints = [
            # The kind fixes the length: the same bounds as rules.PROGRAM_DAYS.
            models.CheckConstraint(
                condition=(
                    Q(kind=ProgramKind.ONE_DAY, days=1)
                    | Q(kind=ProgramKind.MULTI_DAY, days__gte=2, days__lte=7)
                    | Q(kind=ProgramKind.TEAM_BUILDING, days__gte=1, days__lte=3)
                    | Q(kind=ProgramKind.MODEL_WORKERS_HARBOUR, days__gte=1, days__lte=7)
                ),
                name="conv_program_days_fit_kind",
            ),
        ]

    def __str__(self):
        return f"{self.base} · {self.name}"


class Session(models.Model):
    """A session (班期) of a program: fixed dates, seats and windows, run by an organising union.

    `confirmed_count` is kept in step with the confirmed (and attended) nominations by the
    services, always under a row lock on the session; the check constraint makes
    overbooking impossible even if some code forgot the lock.
    """

    program = models.ForeignKey(Program, on_delete=models.PROTECT, related_name="sessions", verbose_name=_("program"))
    organising_union = models.ForeignKey(
        Organization, on_delete=models.PROTECT, related_name="convalescence_sessions",
        verbose_name=_("organising union"), db_index=False,
    )
    starts_on = models.DateField(_("first day"))
    ends_on = models.DateField(_("last day"))
    seats = models.PositiveIntegerField(_("seats"))
    confirmed_count = models.PositiveIntegerField(_("confirmed"), default=0, editable=False)
    attended_count = models.PositiveIntegerField(_("attended"), default=0, editable=False)
    nomination_opens_at = models.DateTimeField(_("nominations open"))
    nomination_closes_at = models.DateTimeField(_("nominations close"))
    confirmation_deadline = models.DateTimeField(
        _("confirmation deadline"), help_text=_("Members confirm or decline by this time; later seats go to the waiting list."),
    )
    roster_closed_at = models.DateTimeField(_("roster closed at"), null=True, blank=True, editable=False)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    SCOPE_PATH = "organising_union__path"

    class Meta:
        verbose_name = _("convalescence session")
        verbose_name_plural = _("convalescence sessions")
        ordering = ["-starts_on", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(confirmed_count__lte=F("seats")), name="conv_session_confirmed_lte_seats"),
            models.CheckConstraint(
                condition=Q(attended_count__lte=F("confirmed_count")), name="conv_session_attended_lte_confirmed",
            ),
            models.CheckConstraint(condition=Q(ends_on__gte=F("starts_on")), name="conv_session_dates_order"),
            models.CheckConstraint(
                condition=Q(nomination_closes_at__gt=F("nomination_opens_at")), name="conv_session_window_order",
            ),
        ]
        indexes = [
            models.Index(fields=["starts_on"], name="conv_session_starts_idx"),
            models.Index(fields=["organising_union", "starts_on"], name="conv_session_org_starts_idx"),
        ]

    def __str__(self):
        return f"{self.program.name} {self.starts_on:%Y-%m-%d}"

    @property
    def days(self) -> int:
        return (self.ends_on - self.starts_on).days + 1

    @property
    def seats_left(self) -> int:
        return max(0, self.seats - self.confirmed_count)


class SubsidyRate(models.Model):
    """Subsidy per person per day, by program kind and paying level, in force over dates.

    A session uses the rate in force on its first day. Periods of the same kind and level
    never overlap (exclusion constraint); an open end means "until further notice".
    """

    program_kind = models.CharField(_("program kind"), max_length=32, choices=ProgramKind.choices)
    paying_level = models.CharField(_("paying level"), max_length=16, choices=PayingLevel.choices)
    amount_per_person_day = models.DecimalField(_("per person per day (CNY)"), max_digits=12, decimal_places=2)
    valid_from = models.DateField(_("valid from"))
    valid_until = models.DateField(_("valid until"), null=True, blank=True, help_text=_("Empty: until further notice."))
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("subsidy rate")
        verbose_name_plural = _("subsidy rates")
        ordering = ["program_kind", "paying_level", "valid_from"]
        constraints = [
            models.CheckConstraint(condition=Q(amount_per_person_day__gte=0), name="conv_rate_amount_not_negative"),
            models.CheckConstraint(
                condition=Q(valid_until__isnull=True) | Q(valid_until__gte=F("valid_from")), name="conv_rate_period_order",
            ),
            ExclusionConstraint(
                name="conv_rate_no_overlap",
                expressions=[
                    ("program_kind", RangeOperators.EQUAL),
                    ("paying_level", RangeOperators.EQUAL),
                    (inclusive_range("valid_from", "valid_until"), RangeOperators.OVERLAPS),
                ],
                violation_error_message=_("Another rate for this kind and paying level is in force in this period."),
            ),
        ]

    def __str__(self):
        return f"{self.get_program_kind_display()} · {self.get_paying_level_display()} · {self.amount_per_person_day}"


class SeatQuota(models.Model):
    """Seats of a session set aside for one union (and everything under it)."""

    session = models.ForeignKey(
        Session, on_delete=models.CASCADE,
        related_name="quotas", verbose_name=_("convalescence session"), db_index=False,
    )
    organization = models.ForeignKey(
        Organization, on_delete=models.PROTECT, related_name="convalescence_quotas", verbose_name=_("union"),
    )
    seats = models.PositiveIntegerField(_("seats"))

    SCOPE_PATH = "organization__path"

    class Meta:
        verbose_name = _("seat quota")
        verbose_name_plural = _("seat quotas")
        constraints = [
            models.UniqueConstraint(fields=["session", "organization"], name="conv_quota_unique_union"),
            models.CheckConstraint(condition=Q(seats__gt=0), name="conv_quota_seats_positive"),
        ]

    def __str__(self):
        return f"{self.organization} · {self.seats}"


class NominationStatus(models.TextChoices):
    NOMINATED = "nominated", _("Nominated")
    APPROVED = "approved", _("Approved, awaiting confirmation")
    WAITING = "waiting", _("On the waiting list")
    CONFIRMED = "confirmed", _("Confirmed")
    DECLINED = "declined", pgettext_lazy("nomination", "Declined")
    LAPSED = "lapsed", _("Lapsed (not confirmed in time)")
    REJECTED = "rejected", _("Not approved")
    ATTENDED = "attended", _("Attended")
    NO_SHOW = "no_show", _("Did not attend")


# Nominations that still hold (or may still get) a place: they count for the "one trip a
# year" and "no overlapping sessions" rules.
ACTIVE_STATUSES = (
    NominationStatus.NOMINATED, NominationStatus.APPROVED, NominationStatus.WAITING,
    NominationStatus.CONFIRMED, NominationStatus.ATTENDED,
)
# Nominations that hold a seat.
SEAT_STATUSES = (NominationStatus.APPROVED, NominationStatus.CONFIRMED, NominationStatus.ATTENDED)


class Nomination(models.Model):
    """A member put forward for a session, and everything that happened to it."""

    session = models.ForeignKey(
        Session, on_delete=models.PROTECT,
        related_name="nominations", verbose_name=_("convalescence session"), db_index=False,
    )
    member = models.ForeignKey(
        Member, on_delete=models.PROTECT,
        related_name="convalescence_nominations", verbose_name=_("member"), db_index=False,
    )
    status = models.CharField(_("status"), max_length=16, choices=NominationStatus.choices, default=NominationStatus.NOMINATED)
    priority_score = models.PositiveSmallIntegerField(_("priority score"), default=0)
    priority_reasons = models.JSONField(_("priority reasons"), default=list, blank=True)
    # The session's dates, copied so the database can refuse overlapping trips.
    trip_starts_on = models.DateField(_("first day"))
    trip_ends_on = models.DateField(_("last day"))
    nominated_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+", verbose_name=_("nominated by"))
    nominated_at = models.DateTimeField(_("nominated at"))
    decided_by = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("decided by"),
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    respond_by = models.DateTimeField(_("confirm by"), null=True, blank=True)
    responded_at = models.DateTimeField(_("answered at"), null=True, blank=True)
    checked_in_at = models.DateTimeField(_("checked in at"), null=True, blank=True)
    checked_in_by = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("checked in by"),
    )
    note = models.CharField(_("note"), max_length=255, blank=True)

    organization = members_union_field()

    SCOPE_PATH = "organization__path"

    class Meta:
        verbose_name = _("nomination")
        verbose_name_plural = _("nominations")
        ordering = ["session", "-priority_score", "nominated_at"]
        constraints = [
            models.UniqueConstraint(fields=["member", "session"], name="conv_nomination_unique_member_session"),
            models.CheckConstraint(condition=Q(trip_ends_on__gte=F("trip_starts_on")), name="conv_nomination_dates_order"),
            ExclusionConstraint(
                name="conv_nomination_no_overlap",
                expressions=[
                    ("member", RangeOperators.EQUAL),
                    (inclusive_range("trip_starts_on", "trip_ends_on"), RangeOperators.OVERLAPS),
                ],
                condition=Q(status__in=ACTIVE_STATUSES),
                violation_error_message=_("The member already has a trip on these dates."),
            ),
        ]
        indexes = [
            models.Index(fields=["session", "status", "priority_score"], name="conv_nom_session_status_idx"),
            models.Index(fields=["member", "trip_starts_on"], name="conv_nom_member_trip_idx"),
            models.Index(fields=["status", "respond_by"], name="conv_nom_status_respond_idx"),
            # The API's list order (latest trips first): staff read its first page without
            # sorting every nomination of their tree.
            models.Index(fields=["-trip_starts_on", "-priority_score", "id"], name="conv_nom_list_order_idx"),
        ]

    def __str__(self):
        return f"{self.member} · {self.session}"


class Settlement(models.Model):
    """The subsidy of one held session, fixed when the roster is settled."""

    session = models.OneToOneField(Session, on_delete=models.PROTECT, related_name="settlement", verbose_name=_("convalescence session"))
    attendees = models.PositiveIntegerField(_("attendees"))
    days = models.PositiveSmallIntegerField(_("days"))
    total = models.DecimalField(_("total subsidy (CNY)"), max_digits=12, decimal_places=2)
    settled_at = models.DateTimeField(_("settled at"))
    settled_by = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("settled by"),
    )

    SCOPE_PATH = "session__organising_union__path"

    class Meta:
        verbose_name = _("settlement")
        verbose_name_plural = _("settlements")
        constraints = [models.CheckConstraint(condition=Q(total__gte=0), name="conv_settlement_total_not_negative")]

    def __str__(self):
        return f"{self.session} · {self.total}"


class SettlementLine(models.Model):
    """One paying level's share: attendees × days × the rate in force on the first day."""

    settlement = models.ForeignKey(
        Settlement, on_delete=models.CASCADE, related_name="lines", verbose_name=_("settlement"), db_index=False,
    )
    paying_level = models.CharField(_("paying level"), max_length=16, choices=PayingLevel.choices)
    rate = models.DecimalField(_("per person per day (CNY)"), max_digits=12, decimal_places=2)
    amount = models.DecimalField(_("amount (CNY)"), max_digits=12, decimal_places=2)

    SCOPE_PATH = "settlement__session__organising_union__path"

    class Meta:
        verbose_name = _("settlement line")
        verbose_name_plural = _("settlement lines")
        constraints = [
            models.UniqueConstraint(fields=["settlement", "paying_level"], name="conv_settlement_line_unique_level"),
        ]

    def __str__(self):
        return f"{self.get_paying_level_display()} · {self.amount}"
