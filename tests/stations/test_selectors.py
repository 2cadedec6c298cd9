"""The station search on the real PostGIS database."""

import random
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

import pytest
from django.contrib.gis.geos import Point
from django.db import connection

from stations import rules, selectors
from stations.models import OpeningHours, Station
from tests.factories import make_tree

from .builders import make_exception, make_station, make_stop

SHANGHAI = ZoneInfo("Asia/Shanghai")
QUANZHOU = (24.874, 118.676)


@pytest.fixture
def tree(db):
    return make_tree()


def test_nearest_first_matches_the_true_distance(tree):
    rng = random.Random(7)
    for index in range(60):
        make_station(tree["street_a"], lat=QUANZHOU[0] + rng.uniform(-0.3, 0.3),
                     lng=QUANZHOU[1] + rng.uniform(-0.3, 0.3), name=f"驿站{index}", hours=[])
    origin = (24.90, 118.60)
    rows = list(selectors.station_search(selectors.StationSearch(near=origin)))
    true = sorted(rows, key=lambda s: rules.distance_m(*origin, s.location.y, s.location.x))
    assert [s.pk for s in rows] == [s.pk for s in true]
    for station in rows:
        assert abs(station.distance_m - rules.distance_m(*origin, station.location.y, station.location.x)) < 0.01 * station.distance_m + 1


def test_radius_kind_amenity_and_q_filters(tree):
    near = make_station(tree["street_a"], lat=24.875, lng=118.676, name="开元环卫驿站", amenities=["drinking_water", "toilet"])
    make_station(tree["street_a"], lat=24.875, lng=118.677, name="鲤中母婴室", kind=Station.Kind.MOTHERS_ROOM,
                 amenities=["drinking_water"])
    far = make_station(tree["street_a"], lat=25.2, lng=118.9, name="远处驿站", amenities=["drinking_water", "toilet"])
    make_station(tree["street_a"], lat=24.875, lng=118.676, name="停用驿站", is_active=False)

    def ids(**kwargs):
        return [s.pk for s in selectors.station_search(selectors.StationSearch(**kwargs))]

    assert ids(near=QUANZHOU, radius_m=2000, kinds=("outdoor_worker_station",)) == [near.pk]
    assert ids(amenities=("drinking_water", "toilet")) == [near.pk, far.pk]
    assert ids(q="环卫") == [near.pk]
    assert ids(q="停用") == []


def test_knn_order_uses_the_gist_index_at_100000_stations(tree):
    with connection.cursor() as cursor:
        cursor.execute(
            """INSERT INTO stations_station (name, kind, address, location, organization_id, host, amenities,
                   is_open_24h, contact_phone, partner_clinic, honours, description, is_active, rating_count,
                   rating_total, created_at)
               SELECT 'S' || n, 'outdoor_worker_station', '', ST_SetSRID(ST_MakePoint(118 + random(), 24.5 + random()),
                      4326)::geography, %s, '', ARRAY['drinking_water'], false, '', '', '{}', '', true, 0, 0, now()
               FROM generate_series(1, 100000) AS n""",
            [tree["street_a"].pk],
        )
        cursor.execute("ANALYZE stations_station")
    qs = selectors.station_search(selectors.StationSearch(near=QUANZHOU))[:20]
    sql, params = qs.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN " + sql, params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "Index Scan using stations_station_location_" in plan, plan
    assert "<->" in plan.split("Index Scan")[1] and "Sort" not in plan, plan  # ordered by the index itself
    # and the amenity filter uses the GIN index
    qs = selectors.station_search(selectors.StationSearch(amenities=("toilet",)))
    sql, params = qs.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN " + sql, params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "station_amenities_gin" in plan, plan
    # and q= uses the trigram indexes on name and address
    qs = selectors.station_search(selectors.StationSearch(q="S4242"))
    sql, params = qs.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN " + sql, params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "station_name_trgm" in plan and "station_address_trgm" in plan, plan


def _random_schedule_station(tree, rng, index, days, lat=24.9, lng=118.6):
    station = Station.objects.create(
        name=f"随机{index}", kind="outdoor_worker_station", address="x", organization=tree["street_a"],
        location=Point(lng, lat, srid=4326), is_open_24h=rng.random() < 0.15,
    )
    for weekday in range(7):
        for _n in range(rng.choice([0, 1, 1, 2])):
            opens = time(rng.randrange(24), rng.choice([0, 30]))
            closes = time(rng.randrange(24), rng.choice([0, 30]))
            if opens != closes:
                OpeningHours.objects.create(station=station, weekday=weekday, opens_at=opens, closes_at=closes)
    for day in days:
        roll = rng.random()
        if roll < 0.2:
            make_exception(station, day)
        elif roll < 0.35:
            make_exception(station, day, "09:00", "15:30")
    if rng.random() < 0.2:
        make_stop(station, days[1], "10:00", "13:00")
    return station


def test_the_sql_open_now_filter_agrees_with_the_rule(tree):
    """One rule, two forms: the SQL filter must say what rules.is_open_at says, across midnight too."""
    rng = random.Random(2026)
    days = [date(2026, 11, 22), date(2026, 11, 23)]
    for index in range(40):
        _random_schedule_station(tree, rng, index, days)
    moments = [datetime.combine(days[1], time(h, m), tzinfo=SHANGHAI) for h, m in
               [(0, 0), (0, 15), (5, 59), (9, 0), (10, 30), (13, 0), (15, 30), (21, 45), (23, 59)]]
    for moment in moments:
        sql_open = set(selectors.station_search(selectors.StationSearch(open_now=True), now=moment).values_list("pk", flat=True))
        rule_open = {
            s.pk for s in selectors.listed_stations(selectors.station_list_values(Station.objects.all()), now=moment)
            if rules.is_open_at(selectors.station_schedule(s), moment.replace(tzinfo=None))
        }
        assert sql_open == rule_open, moment


def test_the_nearest_open_stations_are_found_among_the_nearest_first(tree, monkeypatch):
    """Asked of the nearest few stations alone when enough of them are open, and of all of them
    when not: either way the answer is the whole search's first rows."""
    rng = random.Random(7)
    days = [date(2026, 11, 22), date(2026, 11, 23)]
    for index in range(40):  # each a little farther north than the one before
        _random_schedule_station(tree, rng, index, days, lat=24.874 + index / 1000, lng=118.676)
    monkeypatch.setattr(selectors, "NEAREST_POOL", 12)
    for hour in (0, 9, 13, 21):
        moment = datetime.combine(days[1], time(hour, 10), tzinfo=SHANGHAI)
        search = selectors.StationSearch(near=(24.874, 118.676), open_now=True)
        every = list(selectors.station_list_values(selectors.station_search(search, now=moment)))
        assert every, hour
        for limit in (1, 5, 12, 40):
            assert selectors.nearest_open_rows(search, limit, now=moment) == every[:limit], (hour, limit)


def test_open_now_across_midnight_and_on_a_holiday(tree):
    night = make_station(tree["street_a"], name="夜间驿站", hours=[(0, "22:00", "06:00")])  # Monday night
    monday, tuesday = date(2026, 11, 23), date(2026, 11, 24)

    def open_at(day, hhmm):
        moment = datetime.combine(day, time.fromisoformat(hhmm), tzinfo=SHANGHAI)
        return night.pk in set(selectors.station_search(selectors.StationSearch(open_now=True), now=moment)
                               .values_list("pk", flat=True))

    assert open_at(monday, "23:30") and open_at(tuesday, "00:30") and not open_at(tuesday, "06:00")
    make_exception(night, tuesday)
    assert open_at(monday, "23:30") and not open_at(tuesday, "00:30")


def test_district_centres_offer_each_district_with_stations(tree):
    make_station(tree["street_a"], lat=24.8, lng=118.6)
    make_station(tree["enterprise_a"], lat=24.9, lng=118.7)
    rows = selectors.district_centres()
    assert [r["name"] for r in rows] == ["甲区总工会"]
    assert abs(rows[0]["lat"] - 24.85) < 1e-6 and abs(rows[0]["lng"] - 118.65) < 1e-6 and rows[0]["stations"] == 2


def test_district_centres_are_read_once_and_held_for_ten_minutes(tree, django_assert_num_queries):
    from unionportal.core import held

    make_station(tree["street_a"], lat=24.8, lng=118.6)
    assert [r["name"] for r in selectors.district_centres()] == ["甲区总工会"]
    make_station(tree["street_b"], lat=24.9, lng=118.7)
    with django_assert_num_queries(0):  # every opening of the map, in this process
        assert [r["name"] for r in selectors.district_centres()] == ["甲区总工会"]
    held.forget_held()  # as ten minutes do
    assert [r["name"] for r in selectors.district_centres()] == ["乙区总工会", "甲区总工会"]
