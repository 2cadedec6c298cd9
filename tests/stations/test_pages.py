"""The mobile pages, through Django's test client."""

import re
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from stations.models import Rating, ServiceSession, SessionBooking, Station, Visit
from tests.factories import make_member, make_tree

from .builders import make_station, make_stop

pytestmark = pytest.mark.django_db


@pytest.fixture
def tree():
    return make_tree()


def test_map_lists_nearest_first_with_distance_badge_and_navigation(client, tree):
    far = make_station(tree["street_a"], lat=24.95, lng=118.70, name="远处驿站")
    near = make_station(tree["street_a"], lat=24.875, lng=118.676, name="近处驿站", is_open_24h=True)
    page = client.get("/stations/", {"lat": "24.874", "lng": "118.676"}).content.decode()
    assert page.index("近处驿站") < page.index("远处驿站")
    assert "离您的位置最近" in page
    first = page[page.index(f'data-id="{near.pk}"'):page.index(f'data-id="{far.pk}"')]
    assert "营业中" in first and "111 m" in first
    assert "https://uri.amap.com/marker?position=" in first and "geo:24.875000,118.676000" in first


def test_without_a_position_the_district_list_is_offered_and_used(client, tree):
    make_station(tree["street_a"], lat=24.80, lng=118.60, name="甲区驿站")
    make_station(tree["street_b"], lat=25.20, lng=118.90, name="乙区驿站")
    page = client.get("/stations/").content.decode()
    assert "甲区总工会" in page and "乙区总工会" in page
    by_district = client.get("/stations/", {"district": tree["district_b"].pk}).content.decode()
    assert by_district.index("乙区驿站") < by_district.index("甲区驿站")


def test_kind_and_amenity_filters(client, tree):
    make_station(tree["street_a"], name="有热水", amenities=["hot_water"])
    make_station(tree["street_a"], name="妈妈小屋", kind=Station.Kind.MOTHERS_ROOM, amenities=["hot_water"])
    make_station(tree["street_a"], name="只有座椅", amenities=["rest_seats"])
    page = client.get("/stations/", {"amenity": "hot_water", "kind": "outdoor_worker_station"}).content.decode()
    listing = page[page.index('id="station-list"'):]
    assert "有热水" in listing and "妈妈小屋" not in listing and "只有座椅" not in listing


def test_detail_page_shows_the_mobile_station_now_and_next(client, tree):
    van = make_station(tree["street_a"], name="流动驿站", kind=Station.Kind.MOBILE_STATION, hours=[])
    today = timezone.localdate()
    make_stop(van, today, "00:00", "23:59:59.999999", site="城东工地")
    make_stop(van, today + timedelta(days=1), "08:00", "11:00", site="滨江工地")
    page = client.get(f"/stations/{van.pk}/").content.decode()
    assert re.search(r'id="current-stop".*城东工地', page, re.S) and re.search(r'id="next-stop".*滨江工地', page, re.S)
    assert client.get("/stations/999999/").status_code == 404


def test_qr_check_in_counts_anonymous_and_member_visits_once_a_day(client, tree):
    station = make_station(tree["street_a"])
    poster = client.get(f"/stations/{station.pk}/poster/").content.decode()
    assert "<svg" in poster and f"/stations/{station.pk}/check-in/" in poster
    assert client.post(f"/stations/{station.pk}/check-in/", {"visitor_category": "nonsense"}).status_code == 200
    assert Visit.objects.count() == 0
    client.post(f"/stations/{station.pk}/check-in/", {"visitor_category": "courier"})
    client.post(f"/stations/{station.pk}/check-in/", {"visitor_category": "courier"})  # same phone, same day
    assert list(Visit.objects.values_list("visitor_category", "member")) == [("courier", None)]
    member = make_member(tree["enterprise_a"])
    other_phone = Client()
    other_phone.force_login(member.user)
    other_phone.post(f"/stations/{station.pk}/check-in/")
    assert Visit.objects.filter(member=member).count() == 1


def test_member_books_and_rates_on_the_page(client, tree):
    station = make_station(tree["street_a"], kind=Station.Kind.HEALTH_SERVICE_POINT)
    start = timezone.now() + timedelta(days=1)
    session = ServiceSession.objects.create(station=station, kind="consultation", title="坐诊", starts_at=start,
                                            ends_at=start + timedelta(hours=1), capacity=1)
    member = make_member(tree["enterprise_a"])
    client.force_login(member.user)
    assert client.post(f"/stations/sessions/{session.pk}/book/").status_code == 302
    page = client.get(f"/stations/{station.pk}/").content.decode()
    assert "已预约" in page
    booking = SessionBooking.objects.get()
    client.post(f"/stations/bookings/{booking.pk}/cancel/")
    booking.refresh_from_db()
    assert booking.status == "cancelled"
    client.post(f"/stations/{station.pk}/rate/", {"score": "4", "comment": "很好"})
    client.post(f"/stations/{station.pk}/rate/", {"score": "1"})
    assert client.post(f"/stations/{station.pk}/rate/", {"score": "²"}).status_code == 302  # refused, not a 500
    assert list(Rating.objects.values_list("score", flat=True)) == [4]


def test_anonymous_visitors_are_sent_to_log_in_to_book(client, tree):
    station = make_station(tree["street_a"])
    start = timezone.now() + timedelta(days=1)
    session = ServiceSession.objects.create(station=station, kind="lecture", title="讲座", starts_at=start,
                                            ends_at=start + timedelta(hours=1), capacity=5)
    response = client.post(f"/stations/sessions/{session.pk}/book/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    assert SessionBooking.objects.count() == 0


def test_home_page_shows_the_station_tile(client):
    assert "/stations/" in client.get("/").content.decode()


def test_members_see_their_own_health_results_and_the_look_is_logged(client, tree):
    from stations import services
    from unionportal.core.models import AuditLog

    station = make_station(tree["street_a"], kind=Station.Kind.HEALTH_STATION, name="健康驿站")
    member, other = make_member(tree["enterprise_a"]), make_member(tree["enterprise_a"])
    services.health_reading_submit(station=station, card_number=member.card_number,
                                   values={"systolic_bp": 165, "diastolic_bp": 95})
    services.health_reading_submit(station=station, card_number=other.card_number, values={"heart_rate": 88})
    client.force_login(member.user)
    page = client.get("/stations/my-health/").content.decode()
    assert "收缩压" in page and "165 mmHg" in page and "建议就医" in page and "88 /min" not in page
    assert AuditLog.objects.filter(action="health_readings_viewed", object_id=str(member.pk)).count() == 1
    client.logout()
    assert client.get("/stations/my-health/").status_code == 302


def test_markers_follow_the_tiles_datum(client, tree, settings):
    import json

    from stations import rules

    make_station(tree["street_a"], lat=24.874, lng=118.676)
    settings.MAP_TILES_CRS = "gcj02"
    response = client.get("/stations/", {"lat": "24.874", "lng": "118.676"})
    data = json.loads(re.search(r'id="map-data" type="application/json">(.*?)</script>', response.content.decode()).group(1))
    g_lat, g_lng = rules.wgs84_to_gcj02(24.874, 118.676)
    assert data["stations"][0]["lat"] == round(g_lat, 6) and data["stations"][0]["lng"] == round(g_lng, 6)
