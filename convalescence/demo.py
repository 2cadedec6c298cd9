"""Demo data: Quanzhou's convalescence bases, programs, rates, sessions and history.

Bases: 6 provincial, 12 city and 12 county-level, themed on 海丝文化, 世遗 and 康养.
History: settled sessions per year, with the figures Quanzhou reported for 2023 (438
sessions, 17,364 workers) and comparable years around it, made in bulk as aggregates
(sessions with their attendance counts and settlements, no individual rosters).
The demo members (13900000011–19) get nominations in every state through the services.
Idempotent: a second run finds everything in place and changes nothing.
"""

import random
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.contrib.gis.geos import Point
from django.utils import timezone

from members.demo import DEMO_ENTERPRISE
from members.models import Member, Organization, User, phone_hash

from . import rules, services
from .models import Base, Nomination, Program, Session, Settlement, SettlementLine, SubsidyRate

CITY = "泉州市总工会"
# (name, level, district federation, lng, lat, themes, beds, address)
BASES = [
    ("清源山职工疗休养基地", "provincial", "丰泽区总工会", 118.6020, 24.9480, ["wellness", "world_heritage"], 260, "丰泽区清源山风景区"),
    ("泉州古城海丝文化疗休养基地", "provincial", "鲤城区总工会", 118.5850, 24.9120, ["maritime_silk_road", "world_heritage"], 220, "鲤城区中山中路"),
    ("德化九仙山职工疗休养基地", "provincial", "德化县总工会", 118.1120, 25.7080, ["wellness"], 180, "德化县赤水镇九仙山"),
    ("安溪茶文化职工疗休养基地", "provincial", "安溪县总工会", 117.9730, 25.0550, ["tea_culture", "wellness"], 200, "安溪县西坪镇"),
    ("永春牛姆林职工疗休养基地", "provincial", "永春县总工会", 118.0460, 25.4690, ["wellness"], 160, "永春县下洋镇牛姆林"),
    ("崇武古城滨海疗休养基地", "provincial", "惠安县总工会", 118.9250, 24.8870, ["coastal", "maritime_silk_road"], 240, "惠安县崇武镇古城"),
    ("开元寺西街文化疗休养基地", "city", "鲤城区总工会", 118.5810, 24.9160, ["world_heritage", "maritime_silk_road"], 90, "鲤城区西街"),
    ("洛阳桥世遗疗休养基地", "city", "台商投资区总工会", 118.6770, 24.9590, ["world_heritage"], 80, "台商投资区洛阳镇"),
    ("九日山祈风石刻疗休养基地", "city", "南安市总工会", 118.4970, 24.9630, ["maritime_silk_road", "world_heritage"], 70, "南安市丰州镇九日山"),
    ("五店市传统街区疗休养基地", "city", "晋江市总工会", 118.5560, 24.8050, ["maritime_silk_road"], 100, "晋江市青阳街道"),
    ("深沪湾滨海疗休养基地", "city", "晋江市总工会", 118.6560, 24.6480, ["coastal"], 120, "晋江市深沪镇"),
    ("石狮黄金海岸疗休养基地", "city", "石狮市总工会", 118.7650, 24.6870, ["coastal", "wellness"], 150, "石狮市祥芝镇"),
    ("安平桥世遗疗休养基地", "city", "晋江市总工会", 118.4330, 24.6150, ["world_heritage"], 80, "晋江市安海镇"),
    ("蔡氏古民居疗休养基地", "city", "南安市总工会", 118.3870, 24.9040, ["maritime_silk_road"], 60, "南安市官桥镇漳里村"),
    ("德化陶瓷文化疗休养基地", "city", "德化县总工会", 118.2420, 25.4920, ["world_heritage"], 90, "德化县浔中镇"),
    ("惠女风情疗休养基地", "city", "惠安县总工会", 118.8030, 25.0310, ["coastal"], 70, "惠安县螺城镇"),
    ("泉港土坑古村疗休养基地", "city", "泉港区总工会", 118.9080, 25.1300, ["maritime_silk_road"], 60, "泉港区后龙镇土坑村"),
    ("双阳华侨农场康养基地", "city", "洛江区总工会", 118.6510, 25.0050, ["wellness"], 110, "洛江区双阳街道"),
    ("安溪清水岩疗休养基地", "county", "安溪县总工会", 117.9460, 25.0880, ["tea_culture"], 80, "安溪县蓬莱镇"),
    ("安溪龙门康养基地", "county", "安溪县总工会", 118.0830, 24.9480, ["wellness", "tea_culture"], 60, "安溪县龙门镇"),
    ("永春北溪文化疗休养基地", "county", "永春县总工会", 118.2940, 25.3220, ["wellness"], 50, "永春县桃城镇"),
    ("永春外山云河谷康养基地", "county", "永春县总工会", 118.1880, 25.3950, ["wellness"], 60, "永春县外山乡"),
    ("德化石牛山康养基地", "county", "德化县总工会", 118.1850, 25.5830, ["wellness"], 70, "德化县水口镇"),
    ("南安英都康养基地", "county", "南安市总工会", 118.2550, 25.0640, ["wellness"], 50, "南安市英都镇"),
    ("惠安净峰疗休养基地", "county", "惠安县总工会", 118.9360, 25.0010, ["coastal"], 40, "惠安县净峰镇"),
    ("晋江围头湾红色文化基地", "county", "晋江市总工会", 118.5590, 24.5180, ["red_heritage", "coastal"], 60, "晋江市金井镇围头村"),
    ("石狮永宁古卫城疗休养基地", "county", "石狮市总工会", 118.7400, 24.6600, ["maritime_silk_road"], 40, "石狮市永宁镇"),
    ("泉港峰尾古镇疗休养基地", "county", "泉港区总工会", 118.9740, 25.1660, ["coastal"], 40, "泉港区峰尾镇"),
    ("洛江罗溪康养基地", "county", "洛江区总工会", 118.6080, 25.1180, ["wellness"], 50, "洛江区罗溪镇"),
    ("台商投资区百崎湖康养基地", "county", "台商投资区总工会", 118.7260, 24.9880, ["wellness", "coastal"], 60, "台商投资区百崎回族乡"),
]

ITINERARY = {
    "one_day": "08:00 集合出发\n09:30 参观讲解\n12:00 午餐\n14:00 健康讲座\n16:30 返程",
    "multi_day": "第一天：报到、健康体检、开班仪式\n第二天：文化参观与讲解\n第三天：康养理疗、健康讲座\n第四天：自由休养、茶艺体验\n第五天：座谈交流、返程",
    "team_building": "上午：团队拓展训练\n中午：集体午餐\n下午：协作游戏与分享",
    "model_workers_harbour": "第一天：报到、劳模座谈\n第二天：专题学习\n第三天：健康体检与理疗\n第四天：文化参观\n第五天：交流分享、返程",
}

# (kind, paying level, amount, from, until): the federation's 450 → 500 CNY change on 2024-01-01;
# city and county unions subsidise one-day trips and team building separately.
RATES = [
    ("multi_day", "city", "450.00", date(2020, 1, 1), date(2023, 12, 31)),
    ("multi_day", "city", "500.00", date(2024, 1, 1), None),
    ("model_workers_harbour", "city", "450.00", date(2020, 1, 1), date(2023, 12, 31)),
    ("model_workers_harbour", "city", "500.00", date(2024, 1, 1), None),
    ("one_day", "city", "150.00", date(2020, 1, 1), None),
    ("one_day", "county", "100.00", date(2020, 1, 1), None),
    ("team_building", "city", "120.00", date(2020, 1, 1), None),
    ("team_building", "county", "80.00", date(2020, 1, 1), None),
]

# Settled history per year: (sessions, workers). 2023 is Quanzhou's reported figure.
HISTORY = {2023: (438, 17_364), 2024: (452, 18_020), 2025: (466, 18_705)}


def _aware(day: date, hour=9):
    return timezone.make_aware(datetime.combine(day, time(hour)))


def _programs_for(base: Base, index: int):
    specs = [("multi_day", 5, "五日疗休养"), ("one_day", 1, "一日游")]
    if index % 3 == 0:
        specs.append(("team_building", 1, "团队拓展"))
    if base.level == "provincial" and index % 2 == 0:
        specs.append(("model_workers_harbour", 7, "劳模港"))
    elif base.level == "provincial":
        specs.append(("multi_day", 3, "三日康养"))
    programs = []
    for kind, days, suffix in specs:
        name = f"{base.name.removesuffix('基地').removesuffix('疗休养').removesuffix('职工')}{suffix}"
        program, _created = Program.objects.get_or_create(
            base=base, name=name,
            defaults={"kind": kind, "days": days, "itinerary": ITINERARY[kind],
                      "description": f"{base.address}，{base.get_level_display()}疗休养基地。"},
        )
        programs.append(program)
    return programs


def seed_catalogue(city):
    districts = {o.name: o for o in Organization.objects.get_children(city)}
    bases = []
    for index, (name, level, district, lng, lat, themes, beds, address) in enumerate(BASES):
        base, _created = Base.objects.get_or_create(name=name, defaults=dict(
            organization=city if level != "county" else districts[district], level=level,
            location=Point(lng, lat, srid=4326), address=f"福建省泉州市{address}", beds=beds, themes=themes,
            contact_name="基地联络员", contact_phone=f"0595-2{index:03d}8{index:03d}"[:13],
            accredited_from=date(2023, 1, 1), accredited_until=date(2027, 12, 31),
        ))
        base.district = districts[district]
        bases.append(base)
    programs = [program for index, base in enumerate(bases) for program in _programs_for(base, index)]
    for kind, level, amount, valid_from, valid_until in RATES:
        SubsidyRate.objects.get_or_create(program_kind=kind, paying_level=level, valid_from=valid_from, defaults=dict(
            amount_per_person_day=Decimal(amount), valid_until=valid_until))
    return bases, programs, districts


def _split(total: int, parts: int, rng) -> list[int]:
    """`parts` whole numbers around the mean that add up to exactly `total`."""
    mean, extra = divmod(total, parts)
    values = [mean + (1 if i < extra else 0) for i in range(parts)]
    for _ in range(parts):
        a, b, shift = rng.randrange(parts), rng.randrange(parts), rng.randint(0, 8)
        if values[b] - shift >= 10:
            values[a] += shift
            values[b] -= shift
    rng.shuffle(values)
    return values


def _organiser(program, city, districts, rng):
    base = program.base
    if base.level == "county":
        return base.organization
    return city if rng.random() < 0.35 else rng.choice(list(districts.values()))


def seed_history(city, programs, districts, years: dict, rng, *, before: date | None = None):
    """Settled, aggregate-only sessions: the yearly report's figures, made in bulk."""
    rates = {kind: services.rates_for(kind) for kind in {p.kind for p in programs}}
    for year, (session_total, worker_total) in years.items():
        if Session.objects.filter(starts_on__year=year, settlement__isnull=False).exists():
            continue
        last = date(year, 12, 31) if before is None else min(before, date(year, 12, 31))
        span = (last - date(year, 1, 5)).days
        sessions = []
        for attendees in _split(worker_total, session_total, rng):
            program = rng.choice(programs)
            starts_on = date(year, 1, 5) + timedelta(days=rng.randrange(max(1, span - program.days)))
            opens = _aware(starts_on - timedelta(days=40))
            sessions.append(Session(
                program=program, organising_union=_organiser(program, city, districts, rng), starts_on=starts_on,
                ends_on=starts_on + timedelta(days=program.days - 1), seats=attendees + rng.randint(0, 3),
                confirmed_count=attendees, attended_count=attendees, nomination_opens_at=opens,
                nomination_closes_at=opens + timedelta(days=14), confirmation_deadline=opens + timedelta(days=25),
                roster_closed_at=_aware(starts_on, 18),
            ))
        Session.objects.bulk_create(sessions)
        settlements, lines = [], []
        for session in sessions:
            in_force = rules.rates_in_force(rates[session.program.kind], session.starts_on)
            subsidy = rules.session_subsidy(session.attended_count, session.days, in_force)
            settlements.append(Settlement(
                session=session, attendees=session.attended_count, days=session.days,
                total=rules.money(sum((line.amount for line in subsidy), start=Decimal(0))),
                settled_at=_aware(session.ends_on + timedelta(days=10)),
            ))
            lines.append(subsidy)
        Settlement.objects.bulk_create(settlements)
        SettlementLine.objects.bulk_create([
            SettlementLine(settlement=settlement, paying_level=line.paying_level, rate=line.rate, amount=line.amount)
            for settlement, subsidy in zip(settlements, lines) for line in subsidy
        ])


def seed_upcoming(city, programs, districts, today, rng, staff):
    """Open sessions for the rest of this year and next year (through the service)."""
    if Session.objects.filter(starts_on__gt=today, settlement__isnull=True).count() >= 40:
        return
    for week in range(2, 56, 1):
        program = programs[(week * 7) % len(programs)]
        starts_on = today + timedelta(weeks=week, days=rng.randrange(7))
        opens = min(timezone.now() - timedelta(days=1), _aware(starts_on - timedelta(days=45)))
        services.session_create(
            actor=staff, program=program, organising_union=_organiser(program, city, districts, rng),
            starts_on=starts_on, seats=rng.choice([30, 40, 45, 50]), nomination_opens_at=opens,
            nomination_closes_at=_aware(starts_on - timedelta(days=12), 18),
            confirmation_deadline=_aware(starts_on - timedelta(days=5), 18),
        )


def _demo_user(phone):
    return User.objects.filter(phone_hash=phone_hash(phone)).select_related("member").first()


def seed_demo_nominations(city, programs, today):
    """The demo members' trips, one in each state, made through the services."""
    members = [getattr(_demo_user(f"139000000{n}"), "member", None) for n in range(11, 20)]
    members = [m for m in members if m is not None and m.status == Member.Status.ACTIVE]
    city_staff, enterprise_staff = _demo_user("13900000001"), _demo_user("13900000005")
    if len(members) < 9 or city_staff is None or enterprise_staff is None:
        return
    if Nomination.objects.filter(member__in=members).exists():
        return
    enterprise = Organization.objects.get(name=DEMO_ENTERPRISE)
    now = timezone.now()
    multi_day = [p for p in programs if p.kind == "multi_day" and p.days == 5]

    def session(program, starts_on, seats, opens):
        return services.session_create(
            actor=city_staff, program=program, organising_union=city, starts_on=starts_on, seats=seats,
            nomination_opens_at=opens, nomination_closes_at=opens + timedelta(days=14),
            confirmation_deadline=min(opens + timedelta(days=25), _aware(starts_on, 0)),
        )

    # An upcoming session with a quota for the demo enterprise: approved, confirmed, waiting.
    big = session(multi_day[0], today + timedelta(days=21), 40, now - timedelta(days=3))
    services.session_quotas_set(actor=city_staff, session=big, quotas={enterprise: 5})
    small = session(multi_day[1], today + timedelta(days=28), 2, now - timedelta(days=3))
    for member in members[:3]:
        services.nomination_create(actor=enterprise_staff, session=big, member=member, now=now)
    for member in members[3:6]:
        services.nomination_create(actor=enterprise_staff, session=small, member=member, now=now)
    services.session_nominations_approve(actor=city_staff, session=big, now=now)
    services.session_nominations_approve(actor=city_staff, session=small, now=now)
    for nomination in Nomination.objects.filter(member__in=[members[1], members[3]]).select_related("member__user"):
        services.nomination_confirm(user=nomination.member.user, nomination=nomination, now=now)

    # A session held earlier this year: checked in, one no-show, settled.
    starts_on = today - timedelta(days=120)
    opens = _aware(starts_on - timedelta(days=40))
    held = session(multi_day[2], starts_on, 30, opens)
    for member in members[6:9]:
        services.nomination_create(actor=enterprise_staff, session=held, member=member, now=opens + timedelta(days=1))
    services.session_nominations_approve(actor=city_staff, session=held, now=opens + timedelta(days=15))
    for nomination in held.nominations.select_related("member__user"):
        services.nomination_confirm(user=nomination.member.user, nomination=nomination, now=opens + timedelta(days=16))
    for member in members[6:8]:
        services.nomination_check_in(actor=city_staff, session=held, card_number=member.card_number,
                                     now=_aware(starts_on, 8))
    services.session_roster_close(actor=city_staff, session=held, now=_aware(starts_on, 18))
    services.session_settle(actor=city_staff, session=held, now=_aware(starts_on + timedelta(days=10)))


def seed(stdout):
    city = Organization.objects.get_root_nodes().filter(name=CITY).first()
    staff = _demo_user("13900000001")
    if city is None or staff is None:
        return
    rng = random.Random(438)
    today = timezone.localdate()
    bases, programs, districts = seed_catalogue(city)
    seed_history(city, programs, districts, HISTORY, rng)
    # This year so far, at the pace of 2023.
    elapsed = max(1, (today - date(today.year, 1, 1)).days - 14)
    share = elapsed / 365
    seed_history(city, programs, districts, {today.year: (max(1, round(438 * share)), max(40, round(17_364 * share)))},
                 rng, before=today - timedelta(days=14))
    seed_upcoming(city, programs, districts, today, rng, staff)
    seed_demo_nominations(city, programs, today)
    stdout.write(
        f"convalescence: {Base.objects.count()} bases, {Program.objects.count()} programs, "
        f"{Session.objects.count()} sessions, {Settlement.objects.count()} settled"
    )
