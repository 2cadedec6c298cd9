"""Bookings, reminders, service orders: real PostgreSQL, real threads for the races."""

import threading
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.utils import timezone

from stations import services
from stations.models import ServiceOffering, ServiceOrder, ServiceSession, SessionBooking, Station
from unionportal.core.errors import DomainError
from unionportal.core.models import AuditLog, Notification
from tests.factories import make_member, make_staff, make_tree

from .builders import make_station

SHANGHAI = ZoneInfo("Asia/Shanghai")


def make_session(station, capacity=2, starts_in=timedelta(days=2)):
    start = timezone.now() + starts_in
    return ServiceSession.objects.create(
        station=station, kind=ServiceSession.Kind.CONSULTATION, title="全科医生坐诊", starts_at=start,
        ends_at=start + timedelta(hours=2), capacity=capacity,
    )


def _race(worker, arguments):
    results, barrier = [], threading.Barrier(len(arguments))

    def run(argument):
        try:
            barrier.wait()
            results.append(worker(argument))
        except DomainError as error:
            results.append(error.code)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(a,)) for a in arguments]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


@pytest.mark.django_db(transaction=True)
def test_twelve_members_race_for_three_places_and_nobody_overbooks():
    tree = make_tree()
    station = make_station(tree["street_a"], kind=Station.Kind.HEALTH_SERVICE_POINT)
    session = make_session(station, capacity=3)
    members = [make_member(tree["enterprise_a"]) for _ in range(12)]
    results = _race(lambda m: services.session_book(session_id=session.pk, member=m).pk, members)
    assert sorted(r for r in results if isinstance(r, str)) == ["full"] * 9
    session.refresh_from_db()
    assert session.booked == 3 == SessionBooking.objects.filter(session=session, status="booked").count()


@pytest.mark.django_db(transaction=True)
def test_one_member_pressing_book_eight_times_at_once_gets_one_place():
    tree = make_tree()
    session = make_session(make_station(tree["street_a"]), capacity=10)
    member = make_member(tree["enterprise_a"])
    results = _race(lambda _n: services.session_book(session_id=session.pk, member=member).pk, list(range(8)))
    assert sorted(r for r in results if isinstance(r, str)) == ["already_booked"] * 7
    session.refresh_from_db()
    assert session.booked == 1


@pytest.mark.django_db
def test_cancel_frees_the_place_and_rebooking_works():
    tree = make_tree()
    session = make_session(make_station(tree["street_a"]), capacity=1)
    first, second = make_member(tree["enterprise_a"]), make_member(tree["enterprise_a"])
    booking = services.session_book(session_id=session.pk, member=first)
    with pytest.raises(DomainError) as full:
        services.session_book(session_id=session.pk, member=second)
    assert full.value.code == "full"
    services.session_booking_cancel(booking_id=booking.pk, member=first)
    services.session_booking_cancel(booking_id=booking.pk, member=first)  # twice changes nothing
    session.refresh_from_db()
    assert session.booked == 0
    services.session_book(session_id=session.pk, member=first)
    with pytest.raises(DomainError) as other:
        services.session_booking_cancel(booking_id=booking.pk, member=second)
    assert other.value.status == 404


@pytest.mark.django_db
def test_a_started_session_cannot_be_booked():
    tree = make_tree()
    session = make_session(make_station(tree["street_a"]), starts_in=timedelta(minutes=-5))
    with pytest.raises(DomainError) as error:
        services.session_book(session_id=session.pk, member=make_member(tree["enterprise_a"]))
    assert error.value.code == "not_open"


@pytest.mark.django_db
def test_reminders_go_once_to_booked_members_only():
    tree = make_tree()
    session = make_session(make_station(tree["street_a"]), capacity=5, starts_in=timedelta(hours=20))
    later = make_session(make_station(tree["street_a"]), capacity=5, starts_in=timedelta(days=3))
    booked, cancelled = make_member(tree["enterprise_a"]), make_member(tree["enterprise_a"])
    services.session_book(session_id=session.pk, member=booked)
    services.session_book(session_id=later.pk, member=booked)
    gone = services.session_book(session_id=session.pk, member=cancelled)
    services.session_booking_cancel(booking_id=gone.pk, member=cancelled)
    assert services.session_reminders_send() == 1
    assert services.session_reminders_send() == 0
    assert Notification.objects.filter(event="session_reminder").get().user == booked.user


@pytest.mark.django_db
def test_service_order_is_confirmed_or_declined_with_a_reason_once():
    tree = make_tree()
    station = make_station(tree["street_b"])
    offering = ServiceOffering.objects.create(station=station, kind="counselling", title="心理疏导讲座")
    orderer = make_staff(tree["enterprise_a"])
    decider = make_staff(tree["street_b"])
    order = ServiceOrder.objects.create(offering=offering, organization=tree["enterprise_a"],
                                        date=timezone.localdate() + timedelta(days=10), head_count=30, ordered_by=orderer)
    with pytest.raises(DomainError) as no_reason:
        services.service_order_decide(order=order, staff=decider, confirm=False, reason=" ")
    assert no_reason.value.field == "decline_reason"
    services.service_order_decide(order=order, staff=decider, confirm=False, reason="当天专家已有安排")
    order.refresh_from_db()
    assert order.status == "declined" and order.decided_by == decider
    with pytest.raises(DomainError) as twice:
        services.service_order_decide(order=order, staff=decider, confirm=True)
    assert twice.value.code == "already_decided"
    assert AuditLog.objects.filter(action="service_order_decided").count() == 1
    assert Notification.objects.filter(user=orderer, event="service_order_decided").exists()


@pytest.mark.django_db
def test_visits_are_counted_on_the_local_date_around_midnight():
    tree = make_tree()
    station = make_station(tree["street_a"])
    before = datetime(2026, 11, 23, 23, 59, tzinfo=SHANGHAI)
    after = datetime(2026, 11, 24, 0, 1, tzinfo=SHANGHAI)
    first = services.visit_record(station=station, source="qr", visitor_category="courier", at=before)
    second = services.visit_record(station=station, source="qr", visitor_category="courier", at=after)
    assert (first.visited_on.day, second.visited_on.day) == (23, 24)


@pytest.mark.django_db
def test_the_reminder_task_is_safe_to_run_twice():
    from stations.tasks import session_reminders_send

    tree = make_tree()
    session = make_session(make_station(tree["street_a"]), starts_in=timedelta(hours=3))
    services.session_book(session_id=session.pk, member=make_member(tree["enterprise_a"]))
    assert session_reminders_send.apply().get() == 1
    assert session_reminders_send.apply().get() == 0


@pytest.mark.django_db
def test_the_database_refuses_unknown_codes_and_bad_counters():
    from django.db import IntegrityError, transaction

    tree = make_tree()
    station = make_station(tree["street_a"])
    for field, value in [("amenities", ["drinking_water", "swimming_pool"]), ("kind", "spa")]:
        with pytest.raises(IntegrityError), transaction.atomic():
            Station.objects.filter(pk=station.pk).update(**{field: value})
    session = make_session(station, capacity=1)
    with pytest.raises(IntegrityError), transaction.atomic():
        ServiceSession.objects.filter(pk=session.pk).update(booked=2)


def test_photos_are_checked_by_content():
    from django.core.exceptions import ValidationError
    from django.core.files.uploadedfile import SimpleUploadedFile

    from stations.models import validate_photo

    png = SimpleUploadedFile("a.png", bytes.fromhex("89504e470d0a1a0a0000000d49484452") + b"\0" * 64)
    validate_photo(png)
    with pytest.raises(ValidationError):
        validate_photo(SimpleUploadedFile("photo.jpg", b"<script>alert(1)</script>"))
