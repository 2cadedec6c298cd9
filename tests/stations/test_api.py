"""The stations API: behaviour and the permission table."""

from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from members.models import Member
from stations import rules
from stations.models import HealthReading, Rating, Station, Visit
from unionportal.core.models import AuditLog, Notification
from unionportal.core.services import api_key_issue, api_token_issue
from tests.factories import make_member, make_staff, make_tree, make_user

from .builders import make_exception, make_station, make_stop

pytestmark = pytest.mark.django_db
QUANZHOU = (24.874, 118.676)


@pytest.fixture
def tree():
    return make_tree()


def bearer(user):
    raw, _token = api_token_issue(user=user, lifetime=timedelta(hours=1))
    return {"HTTP_AUTHORIZATION": f"Bearer {raw}"}


def today():
    return timezone.localdate()


def test_list_is_public_nearest_first_with_distance(api_client, tree):
    """(The plain nearest search's first page is read by a compiled query: see the next test.)"""
    far = make_station(tree["street_a"], lat=24.95, lng=118.70, name="远")
    near = make_station(tree["street_a"], lat=24.875, lng=118.676, name="近")
    response = api_client.get("/api/v1/stations/", {"near": "24.874,118.676"})
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 2 and [r["id"] for r in body["results"]] == [near.pk, far.pk]
    row = body["results"][0]
    assert {"id", "name", "kind", "address", "location", "amenities", "open_now", "distance_m"} <= set(row)
    assert row["location"] == {"lat": 24.875, "lng": 118.676}
    assert abs(row["distance_m"] - rules.distance_m(*QUANZHOU, 24.875, 118.676)) <= 1
    assert "distance_m" not in api_client.get("/api/v1/stations/").json()["results"][0]


def test_nearest_pages_agree_with_the_filtered_search(api_client, tree):
    """Page 1 of a plain `near=` search comes from a compiled query, page 2 and any search with
    another filter from the queryset: the same stations in the same order either way."""
    from django.core.cache import cache

    cache.clear()  # the count is cached for a minute under a fixed name
    stations = [make_station(tree["street_a"], lat=24.874 + step / 1000, lng=118.676, name=f"站{step}")
                for step in range(5)]
    make_station(tree["street_a"], lat=24.874, lng=118.677, name="停用", is_active=False)
    near = {"near": "24.874,118.676", "page_size": 2}
    first = api_client.get("/api/v1/stations/", near).json()
    second = api_client.get("/api/v1/stations/", {**near, "page": 2}).json()
    third = api_client.get("/api/v1/stations/", {**near, "page": 3}).json()
    assert first["count"] == second["count"] == 5
    ids = [row["id"] for page in (first, second, third) for row in page["results"]]
    assert ids == [station.pk for station in stations]
    filtered = api_client.get("/api/v1/stations/", {**near, "kind": stations[0].kind}).json()
    assert filtered["results"] == first["results"] and filtered["count"] == 5
    assert [row["distance_m"] for row in first["results"]] == sorted(row["distance_m"] for row in first["results"])


def test_plain_nearest_first_page_is_two_queries_once_counted(api_client, tree, django_assert_num_queries):
    """The rows and their schedules; the count is held by name (no queryset is even built)."""
    for step in range(25):
        make_station(tree["street_a"], lat=24.874 + step / 1000, lng=118.676, name=f"站{step}")
    near = {"near": "24.874,118.676"}
    assert api_client.get("/api/v1/stations/", near).json()["count"] == 25
    with django_assert_num_queries(2):
        body = api_client.get("/api/v1/stations/", {"near": "24.9,118.7"}).json()
    assert body["count"] == 25 and len(body["results"]) == 20 and body["next"]


def test_an_open_now_search_is_counted_once_a_minute(api_client, tree, monkeypatch, django_assert_num_queries):
    """Which stations are open is asked as of the minute: every search of that minute has the
    same SQL, so the paginator keeps its count (counting them all was 110 ms at city scale)."""
    from stations import selectors

    for step in range(25):
        make_station(tree["street_a"], lat=24.874 + step / 1000, lng=118.676, name=f"站{step}", hours=[],
                     is_open_24h=True)
    make_station(tree["street_a"], lat=24.875, lng=118.677, name="关门站", hours=[])
    minute = timezone.localtime().replace(hour=10, minute=30, second=0, microsecond=0)
    query = {"near": "24.874,118.676", "open_now": "true"}
    monkeypatch.setattr(selectors, "local_now", lambda now=None: now or minute.replace(second=5))
    assert api_client.get("/api/v1/stations/", query).json()["count"] == 25
    monkeypatch.setattr(selectors, "local_now", lambda now=None: now or minute.replace(second=55))
    # The nearest stations, the open ones among them and their schedules; the count is the minute's.
    with django_assert_num_queries(3):
        body = api_client.get("/api/v1/stations/", {**query, "near": "24.9,118.7"}).json()
    assert body["count"] == 25 and len(body["results"]) == 20 and all(row["open_now"] for row in body["results"])


@pytest.mark.parametrize("query", [
    "", "near=24.874,118.676", "near=24.874,118.676&page_size=5&page=2", "near=%2024.874,118.676%20&crs=gcj02",
    "bbox=118.6,24.8,118.7,24.9", "bbox=118.6,24.8,118.7,24.9&crs=wgs84", "crs=gcj02",
])
def test_plain_queries_read_as_the_serializer_reads_them(query):
    from django.http import QueryDict

    from stations.api import StationSearchSerializer

    params = QueryDict(query)
    assert StationSearchSerializer.plain_query(params) == StationSearchSerializer.validated_query(params)


@pytest.mark.parametrize("query", [
    "near=95,118", "near=abc,118", "near=", "crs=bd09", "near=24.8,118.6&near=24.9,118.7", "kind=rest_station",
    "near=24.8,118.6&q=水", "near=24.8,118.6&radius_m=500", "bbox=118.7,24.8,118.6,24.9", "bbox=1,2,3",
])
def test_other_queries_are_left_to_the_serializer(query):
    from django.http import QueryDict

    from stations.api import StationSearchSerializer

    assert StationSearchSerializer.plain_query(QueryDict(query)) is None


def test_amenity_filter_needs_all_and_open_now_uses_the_hours(api_client, tree):
    both = make_station(tree["street_a"], amenities=["drinking_water", "toilet"], hours=[], is_open_24h=True)
    closed = make_station(tree["street_a"], amenities=["drinking_water", "toilet"], hours=[])
    make_station(tree["street_a"], amenities=["drinking_water"], hours=[])
    url = "/api/v1/stations/?amenity=drinking_water&amenity=toilet"
    assert [r["id"] for r in api_client.get(url).json()["results"]] == [both.pk, closed.pk]
    rows = api_client.get(url + "&open_now=true").json()["results"]
    assert [r["id"] for r in rows] == [both.pk] and rows[0]["open_now"] is True
    make_exception(both, today())
    assert api_client.get(url + "&open_now=true").json()["count"] == 0


@pytest.mark.parametrize("query, field", [
    ({"near": "24.8"}, "near"), ({"near": "abc,118"}, "near"), ({"near": "95,118"}, "near"),
    ({"radius_m": "500"}, "radius_m"), ({"kind": "spa"}, "kind"), ({"amenity": "pool"}, "amenity"),
    ({"crs": "bd09"}, "crs"), ({"open_now": "maybe"}, "open_now"),
])
def test_bad_filters_are_400_naming_the_field(api_client, query, field):
    response = api_client.get("/api/v1/stations/", query)
    assert response.status_code == 400
    assert field in response.json()["fields"]


def test_gcj02_converts_coordinates_in_and_out(api_client, tree):
    station = make_station(tree["street_a"], lat=24.874, lng=118.676)
    g_lat, g_lng = rules.wgs84_to_gcj02(24.874, 118.676)
    response = api_client.get("/api/v1/stations/", {"near": f"{g_lat},{g_lng}", "crs": "gcj02"})
    row = response.json()["results"][0]
    assert row["id"] == station.pk and row["distance_m"] == 0
    assert row["location"] == {"lat": round(g_lat, 6), "lng": round(g_lng, 6)}


def test_detail_shows_hours_and_a_mobile_station_where_it_is_now_and_next(api_client, tree):
    van = make_station(tree["street_a"], kind=Station.Kind.MOBILE_STATION, name="流动驿站一号", hours=[])
    make_stop(van, today(), "00:00", "23:59:59.999999", lat=24.91, lng=118.61, site="丰泽工地")
    make_stop(van, today() + timedelta(days=1), "08:00", "11:00", lat=24.8, lng=118.58, site="晋江工地")
    body = api_client.get(f"/api/v1/stations/{van.pk}/").json()
    assert body["open_now"] is True
    assert body["current_stop"]["site_name"] == "丰泽工地" and body["location"] == {"lat": 24.91, "lng": 118.61}
    assert body["next_stop"]["site_name"] == "晋江工地"
    fixed = make_station(tree["street_a"])
    body = api_client.get(f"/api/v1/stations/{fixed.pk}/").json()
    assert len(body["opening_hours"]) == 7 and body["opening_hours"][0]["opens_at"] == "08:00"
    assert api_client.get("/api/v1/stations/999999/").status_code == 404


def test_geojson_is_a_feature_collection_bounded_by_the_box(api_client, tree):
    inside = make_station(tree["street_a"], lat=24.88, lng=118.68)
    make_station(tree["street_a"], lat=25.5, lng=119.5)
    body = api_client.get("/api/v1/stations/geojson/", {"bbox": "118.6,24.8,118.7,24.9"}).json()
    assert body["type"] == "FeatureCollection" and body["truncated"] is False
    assert [f["id"] for f in body["features"]] == [inside.pk]
    assert body["features"][0]["geometry"] == {"type": "Point", "coordinates": [118.68, 24.88]}
    assert api_client.get("/api/v1/stations/geojson/", {"bbox": "119,24,118,25"}).status_code == 400


def test_list_rows_and_features_are_written_as_documented(api_client, tree):
    van = make_station(tree["street_a"], kind=Station.Kind.MOBILE_STATION, name="流动驿站二号", hours=[])
    make_stop(van, today(), "00:00", "23:59:59.999999", lat=24.88, lng=118.67, site="鲤城工地")
    rated = make_station(tree["street_a"], lat=24.8765432, lng=118.6754321, name="评分驿站")
    Station.objects.filter(pk=rated.pk).update(rating_total=14, rating_count=3)
    on_the_edge = make_station(tree["street_a"], lat=24.9, lng=118.7, name="边上的驿站")
    rows = {r["id"]: r for r in api_client.get("/api/v1/stations/", {"near": "24.874,118.676"}).json()["results"]}
    assert rows[van.pk]["current_stop"] == {
        "date": today().isoformat(), "starts_at": "00:00", "ends_at": "23:59", "site_name": "鲤城工地",
        "location": {"lat": 24.88, "lng": 118.67},
    }
    assert rows[van.pk]["address"] == "鲤城工地" and rows[van.pk]["location"] == {"lat": 24.88, "lng": 118.67}
    assert rows[rated.pk]["rating_average"] == "4.7" and rows[rated.pk]["rating_count"] == 3
    assert rows[rated.pk]["location"] == {"lat": 24.876543, "lng": 118.675432}
    assert rows[rated.pk]["kind_label"] and isinstance(rows[rated.pk]["distance_m"], int)
    features = api_client.get("/api/v1/stations/geojson/", {"bbox": "118.6,24.8,118.7,24.9"}).json()["features"]
    by_id = {f["id"]: f for f in features}
    assert set(by_id) == {van.pk, rated.pk, on_the_edge.pk}  # the box's edges belong to it
    assert by_id[rated.pk]["properties"] == {key: value for key, value in rows[rated.pk].items() if key != "distance_m"}


# --- Health readings ---------------------------------------------------------------------------
READING = {"systolic_bp": 150, "diastolic_bp": 95, "heart_rate": 72, "blood_glucose": "5.2", "spo2": 98}


@pytest.fixture
def kiosk(tree):
    station = make_station(tree["street_a"], kind=Station.Kind.HEALTH_STATION, amenities=["health_kiosk"])
    raw, _key = api_key_issue(name="健康小屋一体机", scopes=["health:write"], station=station)
    return station, {"HTTP_AUTHORIZATION": f"Api-Key {raw}"}


def test_permission_table_for_health_readings(api_client, tree, kiosk):
    station, kiosk_auth = kiosk
    member = make_member(tree["enterprise_a"])
    staff = make_staff(tree["city"])
    wrong_scope, _k = api_key_issue(name="影院", scopes=["coupons:redeem"], station=station)
    no_station, _k = api_key_issue(name="无站点", scopes=["health:write"])
    cases = [
        ({}, 401), (bearer(member.user), 403), (bearer(staff), 403),
        ({"HTTP_AUTHORIZATION": f"Api-Key {wrong_scope}"}, 403),
        ({"HTTP_AUTHORIZATION": f"Api-Key {no_station}"}, 403),
    ]
    for headers, expected in cases:
        response = api_client.post("/api/v1/health-readings/", {"card_number": member.card_number, **READING},
                                   format="json", **headers)
        assert response.status_code == expected, headers
    assert HealthReading.objects.count() == 0 and Visit.objects.count() == 0  # nothing changed on deny
    ok = api_client.post("/api/v1/health-readings/", {"card_number": member.card_number, **READING}, format="json",
                         **kiosk_auth)
    assert ok.status_code == 201


def test_a_flagged_reading_is_stored_encrypted_counted_and_notified(api_client, tree, kiosk):
    station, auth = kiosk
    member = make_member(tree["enterprise_a"])
    response = api_client.post("/api/v1/health-readings/", {"card_number": member.card_number, **READING},
                               format="json", **auth)
    body = response.json()
    assert body["flags"] == {"systolic_bp": "high", "diastolic_bp": "high", "heart_rate": "normal",
                             "blood_glucose": "normal", "spo2": "normal"}
    assert body["level"] == "see_doctor" and "建议就医" in body["advice"]
    reading = HealthReading.objects.get()
    assert reading.is_abnormal and reading.station == station
    with connection.cursor() as cursor:
        cursor.execute("SELECT data FROM stations_healthreading WHERE id = %s", [reading.pk])
        stored = cursor.fetchone()[0]
    assert "150" not in stored and "systolic" not in stored  # ciphertext only
    assert Visit.objects.get().source == Visit.Source.KIOSK
    note = Notification.objects.get(user=member.user, event="health_reading_flagged")
    assert "建议就医" in note.body


def test_normal_reading_no_notification_and_bad_input_names_fields(api_client, tree, kiosk):
    _station, auth = kiosk
    member = make_member(tree["enterprise_a"])
    fine = api_client.post("/api/v1/health-readings/", {"card_number": member.card_number, "heart_rate": 70},
                           format="json", **auth)
    assert fine.status_code == 201 and fine.json()["level"] == "normal"
    assert not Notification.objects.filter(event="health_reading_flagged").exists()
    cases = [
        ({"card_number": member.card_number, "systolic_bp": 150}, "diastolic_bp"),
        ({"card_number": member.card_number, "heart_rate": 900}, "heart_rate"),
        ({"card_number": member.card_number}, "non_field_errors"),
        ({"card_number": "35059999999999", "heart_rate": 70}, "card_number"),
    ]
    for payload, field in cases:
        response = api_client.post("/api/v1/health-readings/", payload, format="json", **auth)
        assert response.status_code == 400 and field in response.json()["fields"], payload
    assert HealthReading.objects.count() == 1


def test_members_see_only_their_own_readings_and_each_look_is_logged(api_client, tree, kiosk):
    _station, auth = kiosk
    mine, other = make_member(tree["enterprise_a"]), make_member(tree["enterprise_a"])
    for member in (mine, other):
        api_client.post("/api/v1/health-readings/", {"card_number": member.card_number, "heart_rate": 70},
                        format="json", **auth)
    response = api_client.get("/api/v1/me/health-readings/", **bearer(mine.user))
    assert response.status_code == 200 and response.json()["count"] == 1
    assert AuditLog.objects.filter(action="health_readings_viewed", object_id=str(mine.pk)).count() == 1
    assert api_client.get("/api/v1/me/health-readings/", **bearer(make_user())).status_code == 403


# --- Ratings and check-ins ------------------------------------------------------------------------
def test_rating_once_per_day_and_average_on_the_map(api_client, tree):
    station = make_station(tree["street_a"])
    first, second = make_member(tree["enterprise_a"]), make_member(tree["enterprise_a"])
    url = f"/api/v1/stations/{station.pk}/ratings/"
    assert api_client.post(url, {"score": 5, "comment": "水很凉"}, format="json", **bearer(first.user)).status_code == 201
    again = api_client.post(url, {"score": 1}, format="json", **bearer(first.user))
    assert again.status_code == 409 and again.json()["code"] == "already_rated"
    assert api_client.post(url, {"score": 6}, format="json", **bearer(second.user)).status_code == 400
    assert api_client.post(url, {"score": 4}, format="json", **bearer(second.user)).status_code == 201
    row = api_client.get("/api/v1/stations/").json()["results"][0]
    assert row["rating_average"] == "4.5" and row["rating_count"] == 2
    assert Rating.objects.count() == 2
    assert api_client.post(url, {"score": 4}, format="json").status_code == 401


def test_check_in_counts_a_visit_with_the_members_category(api_client, tree):
    station = make_station(tree["street_a"])
    member = make_member(tree["enterprise_a"])
    Member.objects.filter(pk=member.pk).update(worker_category="delivery_rider")
    member.refresh_from_db()
    response = api_client.post(f"/api/v1/stations/{station.pk}/check-in/", {}, format="json", **bearer(member.user))
    assert response.status_code == 201
    visit = Visit.objects.get()
    assert visit.member == member and visit.visitor_category == "delivery_rider" and visit.visited_on == today()


# --- The permission table: role × endpoint → status, and nothing changed on deny -----------------
def test_station_permission_table(api_client, tree):
    station = make_station(tree["street_a"], kind=Station.Kind.HEALTH_SERVICE_POINT)
    start = timezone.now() + timedelta(days=1)
    from stations.models import ServiceSession, SessionBooking

    session = ServiceSession.objects.create(station=station, kind="consultation", title="坐诊", starts_at=start,
                                            ends_at=start + timedelta(hours=1), capacity=50)
    member = make_member(tree["enterprise_a"])
    pending = make_member(tree["enterprise_a"], status=Member.Status.PENDING)
    staff = make_staff(tree["city"])
    kiosk_raw, _k = api_key_issue(name="一体机", scopes=["health:write"], station=station)
    reader_raw, _k = api_key_issue(name="闽政通", scopes=["stations:read"])
    roles = {
        "anonymous": {}, "member": bearer(member.user), "pending member": bearer(pending.user),
        "staff": bearer(staff), "kiosk": {"HTTP_AUTHORIZATION": f"Api-Key {kiosk_raw}"},
        "city app": {"HTTP_AUTHORIZATION": f"Api-Key {reader_raw}"},
    }
    reading = {"card_number": member.card_number, "heart_rate": 70}
    endpoints = {  # name: (method, url, body)
        "list": ("get", "/api/v1/stations/", None),
        "detail": ("get", f"/api/v1/stations/{station.pk}/", None),
        "geojson": ("get", "/api/v1/stations/geojson/", None),
        "sessions": ("get", "/api/v1/health-sessions/", None),
        "reading": ("post", "/api/v1/health-readings/", reading),
        "my readings": ("get", "/api/v1/me/health-readings/", None),
        "rate": ("post", f"/api/v1/stations/{station.pk}/ratings/", {"score": 5}),
        "check in": ("post", f"/api/v1/stations/{station.pk}/check-in/", {}),
        "book": ("post", f"/api/v1/health-sessions/{session.pk}/book/", None),
    }
    expected = {
        #                 list detail geojson sessions reading my    rate check book
        "anonymous":      (200, 200, 200, 200, 401, 401, 401, 401, 401),
        "pending member": (200, 200, 200, 200, 403, 200, 403, 201, 403),
        "staff":          (200, 200, 200, 200, 403, 403, 403, 403, 403),
        "city app":       (200, 200, 200, 200, 403, 403, 403, 403, 403),
        "kiosk":          (200, 200, 200, 200, 201, 403, 403, 403, 403),
        "member":         (200, 200, 200, 200, 403, 200, 201, 201, 201),
    }
    for role, statuses in expected.items():
        for (name, (method, url, body)), status in zip(endpoints.items(), statuses):
            counts = (HealthReading.objects.count(), Rating.objects.count(), SessionBooking.objects.count())
            response = getattr(api_client, method)(url, body, format="json", **roles[role])
            assert response.status_code == status, (role, name, response.content)
            if status >= 400:
                assert counts == (HealthReading.objects.count(), Rating.objects.count(),
                                  SessionBooking.objects.count()), (role, name)
                assert set(response.json()) >= {"detail", "code"}


def test_a_kiosk_cannot_date_a_reading_in_the_future(api_client, tree, kiosk):
    _station, auth = kiosk
    member = make_member(tree["enterprise_a"])
    future = (timezone.now() + timedelta(hours=2)).isoformat()
    response = api_client.post("/api/v1/health-readings/", {"card_number": member.card_number, "heart_rate": 70,
                                                            "measured_at": future}, format="json", **auth)
    assert response.status_code == 400 and "measured_at" in response.json()["fields"]


def test_a_station_filter_that_only_looks_like_a_number_is_400(api_client, tree):
    # "²" passes str.isdigit() but int() refuses it: once a server error.
    response = api_client.get("/api/v1/health-sessions/", {"station": "²"})
    assert response.status_code == 400 and response.json()["fields"]["station"]
    assert api_client.get("/api/v1/health-sessions/", {"station": "12"}).json()["count"] == 0
