"""Demo stations: Quanzhou's 679 stations across its districts, mobile stations, health points.

Only `manage.py seed_demo` calls this. Idempotent: stations are found by name; stops and
sessions are added for the days that do not have them yet.
"""

import random
from datetime import date, datetime, time, timedelta

from django.contrib.gis.geos import Point
from django.utils import timezone

from members.models import Member, Organization

from . import map_tiles
from .models import MobileStop, OpeningException, OpeningHours, ServiceOffering, ServiceSession, Station, Visit

TOTAL = 679
HONOUR = "最美工会户外劳动者服务站点（全国总工会）"
# district → (centre lat, lng, share of the stations)
CENTRES = {
    "鲤城区总工会": (24.907, 118.587, 90), "丰泽区总工会": (24.896, 118.632, 100), "洛江区总工会": (24.941, 118.671, 45),
    "泉港区总工会": (25.126, 118.916, 35), "石狮市总工会": (24.732, 118.648, 60), "晋江市总工会": (24.781, 118.552, 110),
    "南安市总工会": (24.960, 118.386, 70), "惠安县总工会": (25.030, 118.797, 50), "安溪县总工会": (25.056, 118.186, 35),
    "永春县总工会": (25.321, 118.294, 25), "德化县总工会": (25.492, 118.241, 20), "台商投资区总工会": (24.936, 118.760, 29),
}
HOSTS = [
    ("环卫所", "{street}环卫所户外劳动者服务站"), ("工商银行网点", "工商银行{place}支行劳动者港湾"),
    ("邮政网点", "中国邮政{place}营业所爱心驿站"), ("建设银行网点", "建设银行{place}网点劳动者港湾"),
    ("农业银行网点", "农业银行{place}分理处暖心驿站"), ("中国移动营业厅", "中国移动{place}营业厅爱心驿站"),
    ("中国电信营业厅", "中国电信{place}营业厅职工驿站"), ("加油站", "中石化{place}加油站司机之家"),
    ("社区服务中心", "{place}社区户外劳动者服务站点"),
]
ROADS = ["温陵路", "刺桐路", "丰泽街", "泉秀路", "田安路", "津淮街", "宝洲路", "东海大街", "湖心街", "中山路",
         "九一路", "新华路", "泉安路", "世纪大道", "晋光路", "五一路", "城东路", "安吉路", "清濛路", "崇武路"]
PLACES = ["温陵", "刺桐", "东湖", "西街", "浦西", "城东", "北峰", "清源", "宝洲", "江滨", "侨乡", "古城", "海丝",
          "桥南", "霞洲", "滨海", "金山", "紫帽", "梅岭", "凤山"]
BASIC = ["rest_seats", "drinking_water", "phone_charging"]
EXTRA = ["hot_water", "microwave", "fridge", "air_conditioning", "ebike_charging", "first_aid", "toilet",
         "massage_chair", "parcel_storage", "books", "legal_consultation", "employment_services"]
OTHER_KINDS = [  # (kind, how many, name template, amenities)
    (Station.Kind.HEALTH_STATION, 20, "{place}新就业形态劳动者职工健康驿站", ["health_check", "health_kiosk", "first_aid", "counselling"]),
    (Station.Kind.HEALTH_SERVICE_POINT, 8, "{place}职工健康服务点", ["health_check", "first_aid", "counselling"]),
    (Station.Kind.MOBILE_STATION, 3, "“会走路的”流动驿站{number}号", ["drinking_water", "first_aid", "health_check"]),
    (Station.Kind.MOTHERS_ROOM, 15, "{place}妈妈小屋", ["rest_seats", "fridge", "hot_water"]),
    (Station.Kind.DRIVERS_HOME, 10, "{place}共享司机之家", ["rest_seats", "hot_water", "toilet", "microwave"]),
    (Station.Kind.RIDERS_HOME, 10, "{place}骑士之家", ["ebike_charging", "parcel_storage", "microwave", "toilet"]),
    (Station.Kind.WORKERS_HOME, 13, "{place}职工之家", ["books", "legal_consultation", "employment_services"]),
]
SITES = [("丰泽区城东片区安置房工地", 24.925, 118.655), ("晋江市滨江商务区工地", 24.812, 118.590),
         ("鲤城区古城改造工地", 24.912, 118.583), ("洛江区万安物流园", 24.955, 118.672),
         ("石狮市海岸带整治工地", 24.748, 118.690), ("台商投资区高铁站片区工地", 24.932, 118.742)]
SPRING_FESTIVAL_EVES = [date(2026, 2, 16), date(2027, 2, 5), date(2028, 1, 25), date(2029, 2, 12), date(2030, 2, 2)]
CLINICS = ["丰泽区东海街道社区卫生服务中心", "鲤城区开元街道社区卫生服务中心", "晋江市青阳街道社区卫生服务中心",
           "石狮市湖滨街道社区卫生服务中心"]


def _streets():
    city = Organization.objects.get_root_nodes().get(name="泉州市总工会")
    streets = {}
    for district in Organization.objects.get_children(city):
        streets[district.name] = list(Organization.objects.get_children(district).filter(kind="street"))
    return streets


def _hours_for(rng, kind):
    """(is_open_24h, [(weekday, opens, closes)])"""
    roll = rng.random()
    if kind in (Station.Kind.DRIVERS_HOME,) or roll < 0.08:
        return True, []
    if kind == Station.Kind.MOBILE_STATION:
        return False, []
    if roll < 0.35:  # sanitation shifts start before dawn
        return False, [(d, time(5), time(22)) for d in range(7)]
    if roll < 0.55:  # bank and post branches: weekdays, shorter weekends
        return False, [(d, time(8, 30), time(17, 30)) for d in range(5)] + [(d, time(9), time(17)) for d in (5, 6)]
    if roll < 0.62:  # night stop for drivers and riders
        return False, [(d, time(18), time(6)) for d in range(7)]
    return False, [(d, time(8), time(20)) for d in range(7)]


def _plan(rng, streets):
    """Deterministic list of station dicts (same every run)."""
    plan, number = [], 0
    districts = list(CENTRES)
    outdoor_total = TOTAL - sum(n for _k, n, _t, _a in OTHER_KINDS)
    shares = sum(c[2] for c in CENTRES.values())
    for district in districts:
        lat0, lng0, share = CENTRES[district]
        count = round(outdoor_total * share / shares)
        for index in range(count):
            street = streets[district][index % len(streets[district])]
            host, template = HOSTS[index % len(HOSTS)]
            place = PLACES[(index * 7 + len(district)) % len(PLACES)] + ROADS[index % len(ROADS)][:2]
            name = template.format(street=street.name.removesuffix("总工会"), place=place)
            number += 1
            plan.append(dict(
                name=f"{name}（{number:03d}）", kind=Station.Kind.OUTDOOR_WORKER_STATION, district=district, street=street,
                host=host, lat=lat0 + rng.gauss(0, 0.018), lng=lng0 + rng.gauss(0, 0.02),
                amenities=BASIC + rng.sample(EXTRA, rng.randint(2, 7)),
                address=f"泉州市{district.removesuffix('总工会')}{ROADS[(index * 3) % len(ROADS)]}{rng.randint(1, 399)}号",
            ))
    plan = plan[: outdoor_total]
    while len(plan) < outdoor_total:  # rounding: top up in the city centre
        number += 1
        street = streets["丰泽区总工会"][number % 4]
        plan.append(dict(name=f"丰泽{PLACES[number % 20]}户外劳动者服务站点（{number:03d}）",
                         kind=Station.Kind.OUTDOOR_WORKER_STATION, district="丰泽区总工会", street=street,
                         host="社区服务中心", lat=24.896 + rng.gauss(0, 0.015), lng=118.632 + rng.gauss(0, 0.015),
                         amenities=BASIC + ["toilet"], address=f"泉州市丰泽区{ROADS[number % 20]}{number}号"))
    for kind, how_many, template, amenities in OTHER_KINDS:
        for index in range(how_many):
            district = districts[index % len(districts)]
            lat0, lng0, _share = CENTRES[district]
            street = streets[district][index % len(streets[district])]
            plan.append(dict(
                name=template.format(place=f"{PLACES[(index * 3) % len(PLACES)]}{index + 1}", number=index + 1),
                kind=kind, district=district, street=street, host="", lat=lat0 + rng.gauss(0, 0.012),
                lng=lng0 + rng.gauss(0, 0.012), amenities=list(amenities),
                address=f"泉州市{district.removesuffix('总工会')}{ROADS[index % len(ROADS)]}{rng.randint(1, 399)}号",
            ))
    return plan


def seed_stations(rng):
    streets = _streets()
    plan = _plan(rng, streets)
    existing = set(Station.objects.filter(name__in=[p["name"] for p in plan]).values_list("name", flat=True))
    honoured = {p["name"] for p in plan if p["kind"] == Station.Kind.OUTDOOR_WORKER_STATION}
    honoured = set(sorted(honoured)[::30][:17])
    new, hours = [], []
    for item in plan:
        is_24h, weekly = _hours_for(rng, item["kind"])
        if item["name"] in existing:
            continue
        station = Station(
            name=item["name"], kind=item["kind"], address=item["address"], location=Point(item["lng"], item["lat"], srid=4326),
            organization=item["street"], host=item["host"], amenities=item["amenities"], is_open_24h=is_24h,
            contact_phone=f"0595-{rng.randint(22000000, 28999999)}",
            honours=[HONOUR] if item["name"] in honoured else [],
            partner_clinic=rng.choice(CLINICS) if item["kind"] == Station.Kind.HEALTH_SERVICE_POINT else "",
        )
        new.append(station)
        hours.append(weekly)
    Station.objects.bulk_create(new)
    OpeningHours.objects.bulk_create(
        OpeningHours(station=station, weekday=d, opens_at=o, closes_at=c)
        for station, weekly in zip(new, hours) for d, o, c in weekly
    )
    map_tiles.tiles_changed()  # bulk_create sends no post_save
    return len(new)


def seed_schedules(rng, today):
    """A week of stops for each mobile station, sessions at health service points, a holiday."""
    for index, van in enumerate(Station.objects.filter(kind=Station.Kind.MOBILE_STATION).order_by("pk")):
        for offset in range(7):
            day = today + timedelta(days=offset)
            for slot, (start, end) in enumerate([(time(8), time(11, 30)), (time(14), time(17, 30))]):
                site, lat, lng = SITES[(index + offset * 2 + slot) % len(SITES)]
                MobileStop.objects.get_or_create(
                    station=van, date=day, starts_at=start,
                    defaults={"ends_at": end, "site_name": site, "location": Point(lng, lat, srid=4326)},
                )
    kinds = [(ServiceSession.Kind.CONSULTATION, "全科医生坐诊", 12), (ServiceSession.Kind.PATROL_CLINIC, "工地巡诊", 30),
             (ServiceSession.Kind.LECTURE, "职业病防治健康讲座", 60)]
    for index, point in enumerate(Station.objects.filter(kind=Station.Kind.HEALTH_SERVICE_POINT).order_by("pk")):
        for offset in range(1, 15, 3):
            kind, title, capacity = kinds[(index + offset) % len(kinds)]
            start = timezone.make_aware(datetime.combine(today + timedelta(days=offset), time(9 if offset % 2 else 14)))
            ServiceSession.objects.get_or_create(
                station=point, starts_at=start, title=title,
                defaults={"kind": kind, "ends_at": start + timedelta(hours=2), "capacity": capacity},
            )
        ServiceOffering.objects.get_or_create(station=point, kind="counselling", defaults={"title": "心理疏导团体辅导", "max_head_count": 40})
        ServiceOffering.objects.get_or_create(station=point, kind="first_aid_training", defaults={"title": "应急救护培训", "max_head_count": 60})
    # The Spring Festival eve: bank-hosted stations close.
    new_year = next((d for d in SPRING_FESTIVAL_EVES if d >= today), None)
    if new_year is None:
        return
    for station in Station.objects.filter(host="工商银行网点", is_open_24h=False).order_by("pk")[:20]:
        OpeningException.objects.get_or_create(station=station, date=new_year, defaults={"is_closed": True, "note": "春节闭站"})


def seed_visits(rng, today):
    if Visit.objects.exists():
        return
    stations = list(Station.objects.order_by("pk").values_list("pk", flat=True)[:120])
    categories = ["sanitation_worker", "delivery_rider", "courier", "ride_hailing_driver", "truck_driver", "construction_worker"]
    members = list(Member.objects.filter(status="active")[:9])
    visits = []
    for station_id in stations:
        busy = rng.randint(0, 12)
        for offset in range(30):
            day = today - timedelta(days=offset)
            for _n in range(rng.randint(0, busy)):
                moment = timezone.make_aware(datetime.combine(day, time(rng.randint(6, 21), rng.randint(0, 59))))
                member = rng.choice(members) if members and rng.random() < 0.1 else None
                visits.append(Visit(station_id=station_id, member=member, source=Visit.Source.QR_CHECK_IN,
                                    visitor_category=member.worker_category if member else rng.choice(categories),
                                    visited_at=moment, visited_on=day))
    Visit.objects.bulk_create(visits, batch_size=2000)


def seed(stdout):
    rng = random.Random(679)
    today = timezone.localdate()
    created = seed_stations(rng)
    seed_schedules(rng, today)
    seed_visits(random.Random(30), today)
    stdout.write(f"stations: {Station.objects.count()} stations ({created} new), "
                 f"{Station.objects.exclude(honours=[]).count()} with the national honour")
