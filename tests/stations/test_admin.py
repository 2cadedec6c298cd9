"""The stations back office: scoping, import, usage, health follow-up with access log."""

import json
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from members.models import StaffAssignment
from stations import services
from stations.models import HealthReading, OpeningHours, ServiceOffering, ServiceOrder, Station
from unionportal.core.models import AuditLog
from tests.factories import make_member, make_staff, make_tree

from .builders import make_station

pytestmark = pytest.mark.django_db


@pytest.fixture
def tree():
    return make_tree()


def test_station_admin_is_scoped_to_the_staff_members_tree(client, tree):
    mine = make_station(tree["street_a"], name="甲区驿站")
    theirs = make_station(tree["street_b"], name="乙区驿站")
    client.force_login(make_staff(tree["district_a"]))
    listing = client.get("/admin/stations/station/").content.decode()
    assert "甲区驿站" in listing and "乙区驿站" not in listing
    assert client.get(f"/admin/stations/station/{mine.pk}/change/").status_code == 200
    response = client.get(f"/admin/stations/station/{theirs.pk}/change/", follow=True)
    assert "乙区驿站" not in response.content.decode().split("<h1")[-1][:500] and response.redirect_chain


def test_station_admin_form_has_the_map_widget_with_the_csp_nonce(client, tree):
    station = make_station(tree["street_a"])
    client.force_login(make_staff(tree["city"]))
    response = client.get(f"/admin/stations/station/{station.pk}/change/")
    page = response.content.decode()
    assert "leaflet/leaflet.js" in page and 'id="id_location-map"' in page
    nonce = response.context["request"].csp_nonce
    assert f'nonce="{nonce}"' in page


def _csv(text):
    return SimpleUploadedFile("stations.csv", text.encode("utf-8"), content_type="text/csv")


def test_csv_import_with_a_bad_row_saves_nothing_and_lists_each_error(client, tree):
    client.force_login(make_staff(tree["district_a"]))
    text = (
        "名称,类型,地址,纬度,经度,所属工会,服务设施,开放时间\n"
        "开元环卫驿站,户外劳动者服务站点,温陵路1号,24.9,118.58,,饮用水;toilet,08:00-20:00\n"
        ",spa,温陵路2号,95,118.58,,swimming_pool,8-20\n"
        "越界驿站,outdoor_worker_station,温陵路3号,24.9,118.58,乙街道总工会,,\n"
    )
    response = client.post("/admin/stations/station/import/", {"file": _csv(text), "organization": tree["street_a"].pk})
    page = response.content.decode()
    assert response.status_code == 200 and Station.objects.count() == 0
    errors = page[page.index('id="import-errors"'):]
    assert "<td>2</td>" in errors and "<td>3</td>" in errors and "<td>1</td>" not in errors
    assert "swimming_pool" in errors and "乙街道总工会" in errors


def test_csv_import_of_good_rows_saves_stations_with_hours(client, tree):
    client.force_login(make_staff(tree["district_a"]))
    text = (
        "name,kind,address,lat,lng,organization,amenities,hours,is_open_24h\n"
        "开元环卫驿站,outdoor_worker_station,温陵路1号,24.9,118.58,,drinking_water;toilet,1-5 08:00-18:00; 6-7 09:00-17:00,\n"
        "夜间司机之家,drivers_home,刺桐路8号,24.91,118.59,甲企业工会,hot_water,,是\n"
    )
    response = client.post("/admin/stations/station/import/", {"file": _csv(text), "organization": tree["street_a"].pk})
    assert response.status_code == 302
    first = Station.objects.get(name="开元环卫驿站")
    assert first.organization == tree["street_a"] and first.amenities == ["drinking_water", "toilet"]
    assert OpeningHours.objects.filter(station=first).count() == 7
    assert Station.objects.get(name="夜间司机之家").is_open_24h
    assert AuditLog.objects.filter(action="station_imported").count() == 2


def test_geojson_import(client, tree):
    client.force_login(make_staff(tree["district_a"]))
    collection = {"type": "FeatureCollection", "features": [
        {"type": "Feature", "geometry": {"type": "Point", "coordinates": [118.6, 24.9]},
         "properties": {"name": "骑士之家", "kind": "riders_home", "address": "田安路1号", "amenities": ["ebike_charging"]}},
    ]}
    upload = SimpleUploadedFile("stations.geojson", json.dumps(collection).encode(), content_type="application/geo+json")
    response = client.post("/admin/stations/station/import/", {"file": upload, "organization": tree["street_a"].pk})
    assert response.status_code == 302
    station = Station.objects.get()
    assert (station.location.x, station.location.y) == (118.6, 24.9) and station.amenities == ["ebike_charging"]


def test_a_viewer_may_not_import(client, tree):
    client.force_login(make_staff(tree["district_a"], role=StaffAssignment.Role.VIEWER))
    assert client.get("/admin/stations/station/import/").status_code == 403


def test_usage_page_counts_visits_in_the_tree_only(client, tree):
    busy = make_station(tree["street_a"], name="忙碌驿站")
    quiet = make_station(tree["street_a"], name="冷清驿站")
    other = make_station(tree["street_b"], name="乙区驿站")
    for _n in range(3):
        services.visit_record(station=busy, source="qr", visitor_category="courier")
    services.visit_record(station=other, source="qr", visitor_category="courier")
    client.force_login(make_staff(tree["district_a"]))
    page = client.get("/admin/stations/station/usage/").content.decode()
    most = page[page.index('id="most-used"'):page.index('id="least-used"')]
    least = page[page.index('id="least-used"'):]
    assert most.index("忙碌驿站") < most.index("冷清驿站") and "乙区驿站" not in page
    assert least.index("冷清驿站") < least.index("忙碌驿站")
    chart = page[page.index('id="usage-chart"'):page.index('id="most-used"')]
    assert '<td class="n">3</td>' in chart
    assert quiet.pk


def test_usage_page_ranks_stations_by_their_visits_of_the_last_thirty_days(client, tree):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    busy = make_station(tree["street_a"], name="忙碌驿站")
    quiet = make_station(tree["street_a"], name="冷清驿站")
    make_station(tree["street_a"], name="停用驿站", is_active=False)
    for station, count in ((busy, 3), (quiet, 1)):
        for _n in range(count):
            services.visit_record(station=station, source="qr", visitor_category="courier")
    services.visit_record(station=quiet, source="qr", visitor_category="courier",  # before the thirty days
                          at=timezone.now() - timedelta(days=40))
    client.force_login(make_staff(tree["district_a"]))
    with CaptureQueriesContext(connection) as queries:
        page = client.get("/admin/stations/station/usage/").content.decode()
    most = page[page.index('id="most-used"'):page.index('id="least-used"')]
    least = page[page.index('id="least-used"'):]
    # Every active station was visited: the least used is the one with the fewest visits.
    assert "忙碌驿站</a> — 3" in most and "冷清驿站</a> — 1" in least and "停用驿站" not in page
    assert most.index("忙碌驿站") < most.index("冷清驿站") and least.index("冷清驿站") < least.index("忙碌驿站")
    # Counted from the period's visits, never by joining every station to every visit it had.
    assert not [q["sql"] for q in queries.captured_queries if 'LEFT OUTER JOIN "stations_visit"' in q["sql"]]


def test_follow_up_list_is_scoped_and_every_look_is_logged(client, tree):
    station = make_station(tree["street_a"], kind=Station.Kind.HEALTH_STATION, name="甲区健康驿站")
    other = make_station(tree["street_b"], kind=Station.Kind.HEALTH_STATION, name="乙区健康驿站")
    member = make_member(tree["enterprise_a"])
    mine, _a = services.health_reading_submit(station=station, card_number=member.card_number, values={"heart_rate": 120})
    services.health_reading_submit(station=other, card_number=member.card_number, values={"heart_rate": 125})
    staff = make_staff(tree["street_a"])
    client.force_login(staff)
    listing = client.get("/admin/stations/healthreading/?is_abnormal__exact=1").content.decode()
    assert station.name in listing and other.name not in listing and member.name not in listing  # masked
    detail = client.get(f"/admin/stations/healthreading/{mine.pk}/change/").content.decode()
    assert "120" in detail
    assert AuditLog.objects.filter(action="health_readings_viewed", actor=staff).count() == 2
    client.post("/admin/stations/healthreading/", {"action": "mark_followed_up", "_selected_action": [mine.pk]})
    mine.refresh_from_db()
    assert mine.followed_up_by == staff
    assert HealthReading.objects.filter(followed_up_at__isnull=True).count() == 1


def test_station_staff_decline_an_order_with_a_reason_in_the_admin(client, tree):
    station = make_station(tree["street_b"])
    offering = ServiceOffering.objects.create(station=station, kind="legal_talk", title="劳动法讲座")
    order = ServiceOrder.objects.create(offering=offering, organization=tree["enterprise_a"], head_count=40,
                                        date=timezone.localdate() + timedelta(days=7), ordered_by=make_staff(tree["enterprise_a"]))
    client.force_login(make_staff(tree["street_b"]))
    assert "劳动法讲座" in client.get("/admin/stations/serviceorder/").content.decode()
    asked = client.post("/admin/stations/serviceorder/", {"action": "decline_orders", "_selected_action": [order.pk]})
    assert asked.status_code == 200 and 'name="reason"' in asked.content.decode()
    client.post("/admin/stations/serviceorder/", {"action": "decline_orders", "_selected_action": [order.pk],
                                                  "reason": "讲师当天不在"})
    order.refresh_from_db()
    assert order.status == "declined" and order.decline_reason == "讲师当天不在"
    client.force_login(make_staff(tree["district_a"], role=StaffAssignment.Role.ADMIN))
    # the ordering side sees its order but cannot decide on it
    client.post("/admin/stations/serviceorder/", {"action": "confirm_orders", "_selected_action": [order.pk]})
    order.refresh_from_db()
    assert order.status == "declined"


def test_a_grassroots_union_orders_a_service_from_the_menu(client, tree):
    station = make_station(tree["street_b"])
    offering = ServiceOffering.objects.create(station=station, kind="first_aid_training", title="应急救护培训")
    staff = make_staff(tree["enterprise_a"])
    client.force_login(staff)
    date = (timezone.localdate() + timedelta(days=14)).isoformat()
    response = client.post("/admin/stations/serviceorder/add/", {
        "offering": offering.pk, "organization": tree["enterprise_a"].pk, "date": date, "head_count": 35, "note": "",
    })
    assert response.status_code == 302, response.content.decode()[:2000]
    order = ServiceOrder.objects.get()
    assert order.ordered_by == staff and order.status == "requested"
    # another union's staff cannot order in someone else's name
    response = client.post("/admin/stations/serviceorder/add/", {
        "offering": offering.pk, "organization": tree["enterprise_b"].pk, "date": date, "head_count": 5,
    })
    assert response.status_code == 200 and ServiceOrder.objects.count() == 1


def test_staff_edit_opening_hours_inline_and_viewers_only_see_them(client, tree):
    station = make_station(tree["street_a"], hours=[(0, "08:00", "12:00")])
    client.force_login(make_staff(tree["district_a"]))
    page = client.get(f"/admin/stations/station/{station.pk}/change/").content.decode()
    assert 'name="opening_hours-TOTAL_FORMS"' in page and 'name="stops-TOTAL_FORMS"' in page
    viewer = make_staff(tree["district_a"], role=StaffAssignment.Role.VIEWER)
    client.force_login(viewer)
    page = client.get(f"/admin/stations/station/{station.pk}/change/").content.decode()
    assert "08:00" in page and 'name="opening_hours-0-opens_at"' not in page
