"""Writes of the stations app: readings, visits, ratings, bookings, service orders."""

import json
from datetime import datetime, timedelta
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from members.models import Member
from unionportal.core.errors import DomainError
from unionportal.core.services import audit_log, notification_send

from . import map_tiles, rules
from .models import HealthReading, Rating, ServiceOrder, ServiceSession, SessionBooking, Station, Visit


def _local(moment: datetime) -> datetime:
    return timezone.localtime(moment)


# --- Visits ------------------------------------------------------------------------------
def visit_record(*, station: Station, source: str, member: Member | None = None, visitor_category: str = "",
                 at: datetime | None = None) -> Visit:
    moment = at or timezone.now()
    category = visitor_category or (member.worker_category if member else "")
    return Visit.objects.create(
        station=station, member=member, visitor_category=category, source=source,
        visited_at=moment, visited_on=_local(moment).date(),
    )


# --- Health readings ---------------------------------------------------------------------
def health_reading_submit(*, station: Station, card_number: str, values: dict[str, Decimal],
                          measured_at: datetime | None = None) -> tuple[HealthReading, rules.ReadingAssessment]:
    """Store one kiosk measurement set (encrypted), count a visit, notify the member if flagged."""
    member = Member.objects.select_related("user").filter(card_number=card_number.strip().upper()).first()
    if member is None or member.status != Member.Status.ACTIVE:
        raise DomainError(
            "unknown_card", _("No active member has this card number."), status=400, field="card_number",
        )
    assessment = rules.reading_assess(values)
    moment = measured_at or timezone.now()
    payload = {
        "values": {name: str(value) for name, value in values.items()},
        "flags": assessment.flags, "level": assessment.level, "advice": assessment.advice,
    }
    with transaction.atomic():
        reading = HealthReading.objects.create(
            station=station, member=member, measured_at=moment, data=json.dumps(payload, ensure_ascii=False),
            is_abnormal=assessment.is_abnormal,
        )
        visit_record(station=station, source=Visit.Source.KIOSK, member=member, at=moment)
        if assessment.is_abnormal:
            notification_send(
                user=member.user, event="health_reading_flagged",
                message=_("Your health check at %(station)s on %(time)s: %(advice)s") % {
                    "station": station.name, "time": f"{_local(moment):%m-%d %H:%M}", "advice": assessment.advice,
                },
            )
    return reading, assessment


def health_reading_data(reading: HealthReading) -> dict:
    return json.loads(reading.data)


def health_readings_viewed(*, viewer, readings, context: str) -> None:
    """Access log: every look at someone's health readings leaves an audit row per reading owner."""
    seen = {}
    for reading in readings:
        seen.setdefault(reading.member_id, reading)
    for reading in seen.values():
        audit_log(
            actor=viewer, action="health_readings_viewed", obj=reading.member,
            changes={"context": context}, organization_path=reading.station.organization.path,
        )


def health_reading_follow_up(*, reading: HealthReading, staff) -> HealthReading:
    with transaction.atomic():
        reading = HealthReading.objects.select_for_update().get(pk=reading.pk)
        if reading.followed_up_at is None:
            reading.followed_up_at, reading.followed_up_by = timezone.now(), staff
            reading.save(update_fields=["followed_up_at", "followed_up_by"])
            audit_log(actor=staff, action="health_reading_followed_up", obj=reading,
                      organization_path=reading.station.organization.path)
    return reading


# --- Ratings -----------------------------------------------------------------------------
def rating_submit(*, station: Station, member: Member, score: int, comment: str = "",
                  now: datetime | None = None) -> Rating:
    """A member rates a station 1–5, once per station per local day."""
    if member.status != Member.Status.ACTIVE:
        raise DomainError("not_active", _("Only active members can rate stations."), status=403)
    if not 1 <= int(score) <= 5:
        raise DomainError("invalid", _("Give 1 to 5 stars."), field="score")
    today = _local(now or timezone.now()).date()
    try:
        with transaction.atomic():
            rating = Rating.objects.create(station=station, member=member, score=score, comment=comment, rated_on=today)
            Station.objects.filter(pk=station.pk).update(
                rating_count=F("rating_count") + 1, rating_total=F("rating_total") + score,
            )
            map_tiles.station_tile_changed(station.location.x, station.location.y)  # the map shows the average
    except IntegrityError:
        raise DomainError(
            "already_rated", _("You have already rated this station today."), status=409,
        ) from None
    return rating


# --- Health service point sessions ----------------------------------------------------------
def session_book(*, session_id: int, member: Member, now: datetime | None = None) -> SessionBooking:
    """Book a place. The session row is locked; the check constraint and the partial unique
    index are the truth behind "no overbooking" and "one booking per member"."""
    now = now or timezone.now()
    if member.status != Member.Status.ACTIVE:
        raise DomainError("not_active", _("Only active members can book."), status=403)
    try:
        with transaction.atomic():
            session = ServiceSession.objects.select_for_update().get(pk=session_id)
            if session.starts_at <= now:
                raise DomainError("not_open", _("This session has already started."))
            if SessionBooking.objects.filter(session=session, member=member, status=SessionBooking.Status.BOOKED).exists():
                raise DomainError("already_booked", _("You have already booked this session."), status=409)
            if session.booked >= session.capacity:
                raise DomainError("full", _("This session is fully booked."), status=409)
            booking = SessionBooking.objects.create(session=session, member=member)
            ServiceSession.objects.filter(pk=session.pk).update(booked=F("booked") + 1)
            notification_send(
                user=member.user, event="session_booked",
                message=_("You booked %(title)s on %(time)s.") % {
                    "title": session.title, "time": f"{_local(session.starts_at):%m-%d %H:%M}"},
            )
    except IntegrityError as error:
        # Reached only if a race slipped past the checks above: the database said no.
        if "booking_one_per_member_session" in str(error):
            raise DomainError("already_booked", _("You have already booked this session."), status=409) from None
        raise DomainError("full", _("This session is fully booked."), status=409) from None
    return booking


def session_booking_cancel(*, booking_id: int, member: Member, now: datetime | None = None) -> SessionBooking:
    now = now or timezone.now()
    with transaction.atomic():
        booking = SessionBooking.objects.select_related("session").filter(pk=booking_id, member=member).first()
        if booking is None:
            raise DomainError("not_found", _("Not found."), status=404)
        session = ServiceSession.objects.select_for_update().get(pk=booking.session_id)
        booking = SessionBooking.objects.select_for_update().get(pk=booking.pk)
        if booking.status == SessionBooking.Status.CANCELLED:
            return booking
        if session.starts_at <= now:
            raise DomainError("not_open", _("The session has started; it can no longer be cancelled."))
        booking.status, booking.cancelled_at = SessionBooking.Status.CANCELLED, now
        booking.save(update_fields=["status", "cancelled_at"])
        ServiceSession.objects.filter(pk=session.pk).update(booked=F("booked") - 1)
    return booking


def session_reminders_send(*, now: datetime | None = None, ahead: timedelta = timedelta(hours=24)) -> int:
    """Remind booked members of sessions starting within `ahead`; each session once."""
    now = now or timezone.now()
    sent = 0
    due = ServiceSession.objects.filter(starts_at__gt=now, starts_at__lte=now + ahead, reminders_sent_at__isnull=True)
    for session_id in due.values_list("pk", flat=True):
        with transaction.atomic():
            session = ServiceSession.objects.select_for_update(skip_locked=True).filter(
                pk=session_id, reminders_sent_at__isnull=True).select_related("station").first()
            if session is None:
                continue
            bookings = session.bookings.filter(status=SessionBooking.Status.BOOKED).select_related("member__user")
            for booking in bookings:
                notification_send(
                    user=booking.member.user, event="session_reminder",
                    message=_("Reminder: %(title)s at %(station)s, %(time)s.") % {
                        "title": session.title, "station": session.station.name,
                        "time": f"{_local(session.starts_at):%m-%d %H:%M}"},
                )
                sent += 1
            session.reminders_sent_at = now
            session.save(update_fields=["reminders_sent_at"])
    return sent


# --- Service menu orders ----------------------------------------------------------------------
def service_order_decide(*, order: ServiceOrder, staff, confirm: bool, reason: str = "") -> ServiceOrder:
    """The providing station's staff confirm or decline (with a reason) a requested order."""
    if not confirm and not reason.strip():
        raise DomainError("reason_required", _("Say why the order is declined."), field="decline_reason")
    with transaction.atomic():
        order = ServiceOrder.objects.select_for_update().select_related("offering__station__organization").get(pk=order.pk)
        if order.status != ServiceOrder.Status.REQUESTED:
            raise DomainError("already_decided", _("This order has already been decided."), status=409)
        old = order.status
        order.status = ServiceOrder.Status.CONFIRMED if confirm else ServiceOrder.Status.DECLINED
        order.decline_reason = "" if confirm else reason.strip()
        order.decided_by = staff
        order.save(update_fields=["status", "decline_reason", "decided_by"])
        audit_log(actor=staff, action="service_order_decided", obj=order,
                  changes={"status": [old, order.status], "reason": order.decline_reason},
                  organization_path=order.organization.path)
        notification_send(
            user=order.ordered_by, event="service_order_decided",
            message=_("Your order of %(service)s for %(date)s: %(status)s.") % {
                "service": order.offering.title, "date": order.date, "status": order.get_status_display()},
        )
    return order
