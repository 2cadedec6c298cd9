"""The map page and the admin map widget in headless Chromium, at 360 px, in Chinese."""

import base64
from datetime import timedelta

import pytest
from django.conf import settings
from django.utils import timezone

from stations import rules
from stations.models import Station
from tests.factories import make_staff, make_tree

from ..support.browser import ARTIFACTS, phone_page, pick_by_name
from .builders import make_exception, make_station, make_stop

# A 1×1 light-grey PNG, served for tile requests the admin widget makes (its tile URL is read at start-up).
BLANK_TILE = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAIAAACQd1PeAAAADElEQVR4nGN49uodAAV4Ar/vFFy8AAAAAElFTkSuQmCC"
)
POSITION = {"latitude": 24.874, "longitude": 118.676}

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def no_tiles(settings):
    settings.LEAFLET_CONFIG = {**settings.LEAFLET_CONFIG, "TILES": []}


@pytest.fixture
def stations():
    tree = make_tree()
    closed = make_station(tree["street_a"], name="最近但已闭站", lat=24.8745, lng=118.6762, amenities=["drinking_water"])
    make_exception(closed, timezone.localdate())
    no_water = make_station(tree["street_a"], name="开着但没水", lat=24.8750, lng=118.6765, amenities=["rest_seats"],
                            is_open_24h=True)
    target = make_station(tree["street_a"], name="开元环卫驿站", lat=24.8790, lng=118.6790,
                          amenities=["drinking_water", "toilet"], is_open_24h=True)
    make_station(tree["street_b"], name="远处有水驿站", lat=24.95, lng=118.75, amenities=["drinking_water"],
                 is_open_24h=True)
    return tree, target, closed, no_water


def test_map_finds_the_nearest_open_station_with_water(browser, live_server, no_tiles, stations):
    _tree, target, closed, _no_water = stations
    page = phone_page(browser, geolocation=POSITION, permissions=["geolocation"])
    page.goto(live_server.url + "/stations/")
    assert page.locator("html").get_attribute("lang") == "zh-hans"
    page.click("#locate")
    page.wait_for_url("**/stations/?*lat=24.874*")
    first = page.locator(".station").first
    assert first.locator(".station-name").inner_text() == "最近但已闭站"
    assert "休息中" in first.locator(".badge").inner_text()
    page.click("summary")
    page.check("input[name=open_now]")
    page.check("input[name=amenity][value=drinking_water]")
    page.click("#filters button[type=submit]")
    page.wait_for_load_state()
    first = page.locator(".station").first
    assert first.locator(".station-name").inner_text() == "开元环卫驿站"
    assert "营业中" in first.locator(".badge").inner_text()
    expected = round(rules.distance_m(POSITION["latitude"], POSITION["longitude"], 24.8790, 118.6790))
    assert first.locator(".distance").inner_text() == f"{expected} m"
    navigate = first.locator("a.nav")
    assert navigate.inner_text() == "导航" and navigate.get_attribute("href").startswith("https://uri.amap.com/marker?")
    assert page.locator(".leaflet-interactive").count() >= 2  # markers drawn without any tiles
    assert page.evaluate("document.documentElement.scrollWidth") <= 360  # nothing sticks out at 360 px
    page.screenshot(path=str(ARTIFACTS / "stations-map-360.png"), full_page=True)
    assert page.failed_requests == [] and page.console_errors == []


def test_without_location_permission_the_district_list_takes_over(browser, live_server, no_tiles, stations):
    tree, _target, _closed, _no_water = stations
    page = phone_page(browser)  # no geolocation permission
    page.goto(live_server.url + "/stations/")
    page.click("#locate")
    page.wait_for_function("document.getElementById('locate-status').textContent.includes('选择')")
    page.select_option("#district", str(tree["district_b"].pk))
    page.click("#filters button[type=submit]")
    page.wait_for_load_state()
    assert page.locator(".station-name").first.inner_text() == "远处有水驿站"
    page.screenshot(path=str(ARTIFACTS / "stations-map-district-360.png"), full_page=True)
    assert page.failed_requests == []


def test_station_page_at_360(browser, live_server, no_tiles, stations):
    _tree, target, _closed, _no_water = stations
    page = phone_page(browser)
    page.goto(live_server.url + f"/stations/{target.pk}/")
    assert "开元环卫驿站" in page.inner_text("h1") and "24小时开放" in page.inner_text("main")
    page.screenshot(path=str(ARTIFACTS / "stations-detail-360.png"), full_page=True)
    assert page.failed_requests == [] and page.console_errors == []


def test_admin_places_a_station_by_clicking_on_the_map(browser, live_server, stations):
    tree = stations[0]
    make_staff(tree["district_a"], phone="13700009999", password="a-good-password-1")
    page = phone_page(browser)
    page.set_viewport_size({"width": 1280, "height": 900})
    page.route("**/tile.openstreetmap.org/**", lambda route: route.fulfill(status=200, content_type="image/png",
                                                                           body=BLANK_TILE))
    page.goto(live_server.url + "/admin/login/?next=/admin/stations/station/add/")
    page.fill("input[name=username]", "13700009999")
    page.fill("input[name=password]", "a-good-password-1")
    page.click("input[type=submit]")
    page.wait_for_selector("#id_location-map")
    page.fill("#id_name", "鼠标放置的驿站")
    page.select_option("#id_kind", "outdoor_worker_station")
    page.fill("#id_address", "泉州市鲤城区中山路1号")
    # The union is found by typing its name: a city's thousands of unions are never one list.
    pick_by_name(page, "id_organization", tree["street_a"].name, tree["street_a"].name)
    page.locator(".field-organization").screenshot(path=str(ARTIFACTS / "stations-admin-union-picked.png"))
    page.check("input[name=amenities][value=drinking_water]")
    page.click(".leaflet-draw-draw-marker")
    box = page.locator("#id_location-map").bounding_box()
    page.mouse.click(box["x"] + box["width"] / 2 + 40, box["y"] + box["height"] / 2 - 30)
    assert '"Point"' in page.locator("#id_location").input_value()
    page.screenshot(path=str(ARTIFACTS / "stations-admin-map.png"), full_page=False)
    page.click("input[name=_save]")
    page.wait_for_url("**/admin/stations/station/")
    station = Station.objects.get(name="鼠标放置的驿站")
    centre_lat, centre_lng = settings.LEAFLET_CONFIG["DEFAULT_CENTER"]
    assert abs(station.location.y - centre_lat) < 0.05 and abs(station.location.x - centre_lng) < 0.05
    assert (station.location.y, station.location.x) != (centre_lat, centre_lng)  # where the click was, not the default
    assert page.failed_requests == []
    assert not [error for error in page.console_errors if "Content Security Policy" in error]


def test_admin_edits_a_mobile_station_with_its_stops_on_maps(browser, live_server, stations):
    tree = stations[0]
    van = make_station(tree["street_a"], name="流动驿站一号", kind=Station.Kind.MOBILE_STATION, hours=[])
    make_stop(van, timezone.localdate() + timedelta(days=1), "08:00", "11:00", site="城东工地")
    make_staff(tree["district_a"], phone="13700009998", password="a-good-password-1")
    page = phone_page(browser)
    page.set_viewport_size({"width": 1280, "height": 900})
    page.route("**/tile.openstreetmap.org/**", lambda route: route.fulfill(status=200, content_type="image/png",
                                                                           body=BLANK_TILE))
    page.goto(live_server.url + f"/admin/login/?next=/admin/stations/station/{van.pk}/change/")
    page.fill("input[name=username]", "13700009998")
    page.fill("input[name=password]", "a-good-password-1")
    page.click("input[type=submit]")
    page.wait_for_selector("#id_location-map .leaflet-marker-icon")
    page.screenshot(path=str(ARTIFACTS / "stations-admin-mobile.png"), full_page=True)
    page.wait_for_selector("#id_stops-0-location-map .leaflet-marker-icon")
    page.wait_for_load_state("networkidle")
    assert page.failed_requests == [] and page.console_errors == []
    page.screenshot(path=str(ARTIFACTS / "stations-admin-mobile-stops.png"), full_page=True)
    page.fill("#id_stops-0-site_name", "城东工地二期")
    page.click("input[name=_save]")
    page.wait_for_url("**/admin/stations/station/")
    assert van.stops.get().site_name == "城东工地二期"
