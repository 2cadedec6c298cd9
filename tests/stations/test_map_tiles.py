"""Map viewports from cached tiles: the same answer as the database search, changes shown at once
(in the process that made them; in the others within the times map_tiles holds tiles and version)."""

import time

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from stations import map_tiles, rules, selectors, services
from stations.map_tiles import forget_held_tiles
from stations.models import OpeningHours, Station
from tests.factories import make_member, make_tree
from tests.support.faults import redis_unreachable

from .builders import make_station, make_stop

pytestmark = pytest.mark.django_db
VIEWPORT = "118.60,24.80,118.70,24.85"  # 10 × 5 tiles
ALL_KINDS = ",".join(Station.Kind.values)  # matches every station, but is no plain viewport


@pytest.fixture
def city():
    tree = make_tree()
    street = tree["street_a"]
    stations = {
        "plain": make_station(street, lat=24.8123, lng=118.6234, name="平原驿站"),
        "neighbour": make_station(street, lat=24.8124, lng=118.6235, name="同格驿站"),
        "far_tile": make_station(street, lat=24.8432, lng=118.6911, name="东北角驿站", is_open_24h=True, hours=[]),
        "closed": make_station(street, lat=24.8301, lng=118.6502, name="夜间驿站", hours=[(d, "02:00", "02:01") for d in range(7)]),
        "outside": make_station(street, lat=24.86, lng=118.65, name="框外驿站"),
        "edge": make_station(street, lat=24.84, lng=118.70, name="边上的驿站"),
        "van": make_station(street, lat=24.8201, lng=118.6601, name="流动驿站", kind=Station.Kind.MOBILE_STATION, hours=[]),
    }
    make_stop(stations["van"], timezone.localdate(), "00:00", "23:59:59.999999", lat=24.95, lng=118.9, site="远处工地")
    Station.objects.filter(pk=stations["plain"].pk).update(rating_total=9, rating_count=2)
    return stations


def viewport(client, bbox=VIEWPORT, **params):
    response = client.get("/api/v1/stations/geojson/", {"bbox": bbox, **params})
    assert response.status_code == 200, response.content
    assert response["Content-Type"] == "application/json"
    return response


@pytest.mark.parametrize("params", [{}, {"crs": "gcj02"}], ids=["wgs84", "gcj02"])
@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_a_tiled_viewport_is_the_database_answer_byte_for_byte(api_client, city, params, language):
    api_client.defaults["HTTP_ACCEPT_LANGUAGE"] = language
    tiled = viewport(api_client, **params).content
    searched = viewport(api_client, kind=ALL_KINDS, **params).content
    assert tiled == searched
    if not params:  # (a GCJ-02 box lies some hundred metres off: other stations are at its edges)
        ids = [feature["id"] for feature in viewport(api_client).json()["features"]]
        # Ordered by id; the van is placed by its station, drawn at its stop; the box's edge is in.
        assert ids == sorted(station.pk for name, station in city.items() if name != "outside")


def test_a_second_look_at_the_same_place_asks_the_database_nothing(api_client, city):
    first = viewport(api_client).content
    with CaptureQueriesContext(connection) as queries:
        again = viewport(api_client, bbox="118.61,24.805,118.69,24.845").json()
    assert not queries.captured_queries
    assert first.count(b'"type":"Feature"') == 6
    assert [f["id"] for f in again["features"]] == sorted(
        city[name].pk for name in ("plain", "neighbour", "closed", "van"))  # far_tile and edge lie east of 118.69


def test_staff_changes_show_at_once(api_client, city):
    viewport(api_client)
    station = city["plain"]
    station.name = "改名后的驿站"
    station.save()
    OpeningHours.objects.filter(station=city["closed"]).delete()  # each row's delete is signalled
    hours = OpeningHours.objects.filter(station=city["neighbour"]).first()
    hours.delete()
    features = {f["id"]: f["properties"] for f in viewport(api_client).json()["features"]}
    assert features[station.pk]["name"] == "改名后的驿站"
    city["far_tile"].is_active = False
    city["far_tile"].save()
    assert city["far_tile"].pk not in {f["id"] for f in viewport(api_client).json()["features"]}


def test_a_tile_is_kept_until_its_first_station_opens_or_closes(api_client, city):
    viewport(api_client)
    x, y = map_tiles.tile_of(118.6234, 24.8123)
    key = f"stations:tile:{map_tiles.cache.get(map_tiles.VERSION_KEY) or 0}:zh-hans:wgs84:{x}:{y}"
    holds_until, items = map_tiles.cache.get(key)
    # Both stations of that square kilometre, as pk, position and written feature.
    assert [item[0] for item in items] == [city["plain"].pk, city["neighbour"].pk]
    now = timezone.localtime()
    expected = rules.status_holds_until(selectors.station_schedule(city["plain"]), now)
    assert abs(holds_until - min(expected.timestamp(), now.timestamp() + map_tiles.TILE_MAX_SECONDS)) < 5
    assert 0 < map_tiles.cache.ttl(key) <= map_tiles.TILE_MAX_SECONDS


def test_a_rating_shows_on_the_map_at_once(api_client, city, django_capture_on_commit_callbacks):
    member = make_member(city["plain"].organization)
    before = {f["id"]: f["properties"] for f in viewport(api_client).json()["features"]}
    assert before[city["neighbour"].pk]["rating_count"] == 0
    with django_capture_on_commit_callbacks(execute=True):
        services.rating_submit(station=city["neighbour"], member=member, score=5)
    after = {f["id"]: f["properties"] for f in viewport(api_client).json()["features"]}
    assert after[city["neighbour"].pk]["rating_count"] == 1 and after[city["neighbour"].pk]["rating_average"] == "5.0"


def test_wide_viewports_and_other_filters_are_searched_directly(api_client, city):
    wide = viewport(api_client, bbox="118.0,24.0,119.5,25.5").json()  # 150 × 150 tiles
    assert {f["id"] for f in wide["features"]} == {s.pk for s in city.values()}
    assert len(map_tiles.tiles_covering((118.0, 24.0, 119.5, 25.5))) > map_tiles.MAX_TILES
    open_now = viewport(api_client, open_now="true").json()
    assert city["closed"].pk not in {f["id"] for f in open_now["features"]}


def test_without_redis_the_viewport_is_searched(api_client, city, settings):
    expected = viewport(api_client, kind=ALL_KINDS).content
    with redis_unreachable(settings):
        assert viewport(api_client).content == expected


def test_tiles_hold_every_station_their_grid_square_gets():
    # Float division may put a station a hair outside a tile's edges into it: the box asked
    # of the database is padded, so such a station is never missing from its tile.
    for lng, lat in [(118.68, 24.88), (118.7, 24.9), (118.69999999999, 24.89999999999), (-0.005, -0.005)]:
        tile = map_tiles.tile_of(lng, lat)
        min_lng, min_lat, max_lng, max_lat = map_tiles.tile_box([tile])
        assert min_lng <= lng <= max_lng and min_lat <= lat <= max_lat
    assert map_tiles.tiles_covering((118.605, 24.805, 118.625, 24.815)) == [
        (x, y) for x in range(11860, 11863) for y in range(2480, 2482)]


def test_tiles_read_once_are_held_in_the_process(api_client, city):
    first = viewport(api_client).content
    cache.delete_pattern("*stations:tile:*")  # as if Redis had dropped them
    with CaptureQueriesContext(connection) as queries:
        again = viewport(api_client).content
    assert again == first and not queries.captured_queries
    assert not cache.keys("*stations:tile:*")  # answered from the process, nothing fetched or refilled
    forget_held_tiles()
    assert viewport(api_client).content == first
    assert cache.keys("*stations:tile:*")  # refilled from the database


def test_a_change_made_by_another_process_shows_within_a_second(api_client, city):
    viewport(api_client)
    Station.objects.filter(pk=city["plain"].pk).update(name="别处改名的驿站")  # no signal here
    # Another process's tiles_changed(): the version in Redis moves, this process is not told.
    cache.set(map_tiles.VERSION_KEY, (cache.get(map_tiles.VERSION_KEY) or 0) + 1, None)
    names = {f["properties"]["name"] for f in viewport(api_client).json()["features"]}
    assert "别处改名的驿站" not in names  # this process still holds the version it read
    time.sleep(map_tiles.VERSION_HELD_SECONDS + 0.1)
    names = {f["properties"]["name"] for f in viewport(api_client).json()["features"]}
    assert "别处改名的驿站" in names


def test_an_empty_viewport_is_the_database_answer(api_client, city):
    sea = "120.00,20.00,120.07,20.04"
    assert viewport(api_client, bbox=sea).content == viewport(api_client, bbox=sea, kind=ALL_KINDS).content
    assert viewport(api_client, bbox=sea).json() == {"type": "FeatureCollection", "features": [], "truncated": False}


def test_past_its_bound_the_process_holds_fewer_tiles_and_answers_the_same(api_client, city, monkeypatch):
    searched = viewport(api_client, kind=ALL_KINDS).content
    small = map_tiles.TTLCache(maxsize=3, ttl=map_tiles.HELD_SECONDS, getsizeof=lambda tile: len(tile[1]) + 1)
    monkeypatch.setattr(map_tiles, "_held", small)
    assert viewport(api_client).content == searched
    assert small.currsize <= 3
    assert viewport(api_client).content == searched
