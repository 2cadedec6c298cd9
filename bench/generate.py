"""Generate a city-sized data set with PostgreSQL COPY: the union tree, members, stations, …

    python -m bench.generate --members 2000000 --stations 100000

Runs against DATABASE_URL after `manage.py migrate` and `seed_demo`. Writes the values the
load scenarios need (tokens, ids, codes) to bench/out/fixtures.json. Idempotent: a data set
that is already there is reused.
"""

import argparse
import json
import os
import random
import secrets
import sys
import time
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import django

OUT = Path(__file__).resolve().parent / "out"
GRASSROOTS_PER_STREET = 200
BENCH_PASSWORD = "bench-password-2026"  # every bench member's; the login scenario uses it
BENCH_CARD_PREFIX = "3598"  # bench members' card numbers; the real sequence uses 3505
USER_COLUMNS = ["id", "password", "phone", "phone_hash", "phone_masked", "name", "is_staff", "is_active",
                "date_joined", "preferred_language", "is_superuser"]
MEMBER_COLUMNS = ["user_id", "organization_id", "name", "id_number", "id_number_hash", "id_number_masked",
                  "birth_date", "sex", "card_number", "status", "worker_category", "is_frontline", "is_technical",
                  "joined_at", "verified_at"]


def log(message: str) -> None:
    print(f"[generate {time.strftime('%H:%M:%S')}] {message}", flush=True)


def setup_django() -> None:
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "unionportal.settings")
    django.setup()


def grassroots_unions(rng: random.Random) -> list:
    """Enterprise, industry and joint unions under every demo street: ~{GRASSROOTS_PER_STREET} each."""
    from bench.copy import copy_rows
    from members import rules
    from members.models import Organization

    streets = list(Organization.objects.filter(kind=Organization.Kind.STREET).order_by("path"))
    existing = Organization.objects.filter(name__startswith="压测").count()
    if existing:
        log(f"organisations: {existing} bench unions already there")
        return list(Organization.objects.filter(name__startswith="压测").values_list("pk", "path"))
    kinds = ["enterprise"] * 8 + ["industry", "joint"]
    rows = []
    for street in streets:
        ancestors = [*street.ancestor_names, street.name]
        start = street.numchild
        for index in range(GRASSROOTS_PER_STREET):
            step = Organization._int2str(start + index + 1).rjust(Organization.steplen, "0")
            name = f"压测{street.name.removesuffix('总工会')}第{index + 1}家企业工会"
            rows.append((street.path + step, street.depth + 1, 0, rng.choice(kinds), name, street.division_code,
                         "", True, ancestors, rules.search_tokens([*ancestors, name])))
        street.numchild = start + GRASSROOTS_PER_STREET
    copy_rows(Organization, rows, ["path", "depth", "numchild", "kind", "name", "division_code", "credit_code",
                                   "is_active", "ancestor_names", "search_tokens"])
    Organization.objects.bulk_update(streets, ["numchild"])
    log(f"organisations: {len(rows)} bench unions")
    return list(Organization.objects.filter(name__startswith="压测").values_list("pk", "path"))


def members(count: int, unions: list, rng: random.Random) -> None:
    from django.contrib.auth.hashers import make_password
    from django.db import transaction

    from bench.copy import copy_rows, next_ids
    from members import rules
    from members.models import Member, User, id_number_hash, phone_hash
    from unionportal.core.pii import encrypt, mask_id_number, mask_phone

    have = Member.objects.filter(card_number__startswith=BENCH_CARD_PREFIX).count()
    if have >= count:
        log(f"members: {have} already there")
        return
    password = make_password(BENCH_PASSWORD)  # one hash: PBKDF2 per row would take days
    categories = ["employee"] * 5 + ["delivery_rider", "courier", "ride_hailing_driver", "truck_driver",
                                     "sanitation_worker", "construction_worker", "domestic_worker", "other"]
    family, given = "陈林黄王吴李张蔡郑许洪庄苏杨施", ["建华", "秀英", "志明", "丽娟", "国强", "美玲", "文斌", "雅婷"]
    now = datetime.now().astimezone()
    batch = 100_000
    for start in range(have, count, batch):
        size = min(batch, count - start)
        user_ids = next_ids(User, size)
        users, people = [], []
        for offset, user_id in enumerate(user_ids):
            serial = start + offset
            phone = f"17{serial:09d}"
            name = family[serial % len(family)] + given[serial % len(given)]
            # (birth date, sequence) is unique for the first 13.8 M serials
            birth = date(1965, 1, 1) + timedelta(days=(serial // 1000) % (365 * 38))
            body = f"350599{birth:%Y%m%d}{serial % 1000:03d}"  # a code the demo data never uses
            id_number = body + rules.id_number_check_character(body)
            card_body = f"{BENCH_CARD_PREFIX}{serial:010d}"
            organization_id = unions[serial % len(unions)][0]
            users.append((user_id, password, encrypt(phone), phone_hash(phone), mask_phone(phone), name, False, True,
                          now, "zh-hans", False))
            # ~2 % pending: the verification queue of a real federation.
            status = "pending" if serial % 50 == 0 else "active"
            people.append((
                user_id, organization_id, name,
                encrypt(id_number), id_number_hash(id_number), mask_id_number(id_number),
                birth, "male" if int(id_number[16]) % 2 else "female",
                card_body + rules.card_number_check_character(card_body), status,
                categories[serial % len(categories)], serial % 3 != 0, serial % 7 == 0,
                now - timedelta(minutes=serial % 100_000), now if status == "active" else None,
            ))
        with transaction.atomic():  # a batch lands whole, so a rerun resumes where it stopped
            copy_rows(User, users, USER_COLUMNS)
            copy_rows(Member, people, MEMBER_COLUMNS)
        log(f"members: {start + size:,} of {count:,}")


QUANZHOU = (24.874, 118.676)  # city centre; stations spread about ±0.35° (~40 km) around it


def stations(count: int, rng: random.Random) -> None:
    """Stations around Quanzhou with amenities and weekly opening hours."""
    from datetime import time as clock

    from django.db import transaction

    from bench.copy import copy_rows, next_ids
    from members.models import Organization
    from stations.models import Amenity, OpeningHours, Station

    have = Station.objects.filter(name__startswith="压测驿站").count()
    if have >= count:
        log(f"stations: {have} already there")
        return
    streets = list(Organization.objects.filter(kind=Organization.Kind.STREET).values_list("pk", flat=True))
    kinds = [Station.Kind.OUTDOOR_WORKER_STATION] * 6 + [
        Station.Kind.HEALTH_STATION, Station.Kind.MOTHERS_ROOM, Station.Kind.DRIVERS_HOME,
        Station.Kind.RIDERS_HOME, Station.Kind.WORKERS_HOME,
    ]
    amenities = list(Amenity.values)
    hosts = ["环卫所", "工商银行网点", "邮政网点", "中国移动营业厅", "社区服务中心", "加油站"]
    batch = 50_000
    for start in range(have, count, batch):
        size = min(batch, count - start)
        ids = next_ids(Station, size)
        rows, hours = [], []
        for offset, station_id in enumerate(ids):
            serial = start + offset
            lat = QUANZHOU[0] + rng.uniform(-0.35, 0.35)
            lng = QUANZHOU[1] + rng.uniform(-0.35, 0.35)
            open_24h = serial % 4 == 0
            rows.append((
                station_id, f"压测驿站{serial + 1}号", rng.choice(kinds), f"泉州市测试路{serial % 997 + 1}号",
                f"SRID=4326;POINT({lng:.6f} {lat:.6f})", rng.choice(streets), rng.choice(hosts),
                rng.sample(amenities, rng.randint(3, 9)), open_24h, True,
            ))
            if not open_24h:
                hours.extend((station_id, weekday, clock(8), clock(20)) for weekday in range(7))
        with transaction.atomic():
            copy_rows(Station, rows, ["id", "name", "kind", "address", "location", "organization_id", "host",
                                      "amenities", "is_open_24h", "is_active"])
            copy_rows(OpeningHours, hours, ["station_id", "weekday", "opens_at", "closes_at"])
        log(f"stations: {start + size:,} of {count:,}")


def member_tokens(count: int, skip: int = 0) -> tuple[list[str], list[int]]:
    """Bearer tokens for `count` bench members after the first `skip` (their password hash
    makes logging in slow)."""
    from django.utils import timezone

    from bench.copy import copy_rows
    from members.models import Member
    from unionportal.core.models import ApiToken
    from unionportal.core.services import hash_secret

    user_ids = list(
        Member.objects.filter(card_number__startswith=BENCH_CARD_PREFIX, status="active")
        .order_by("pk").values_list("user_id", flat=True)[skip:skip + count]
    )
    ApiToken.objects.filter(user_id__in=user_ids).delete()  # each run hands out fresh ones
    raw = [secrets.token_urlsafe(32) for _ in user_ids]
    expires = timezone.now() + timedelta(days=2)
    copy_rows(ApiToken, ((uid, hash_secret(token), expires) for uid, token in zip(user_ids, raw)),
              ["user_id", "token_hash", "expires_at"])
    log(f"tokens: {len(raw)} member tokens")
    return raw, user_ids


def coupon_fixtures(tokens_user_ids: list[int], rng: random.Random) -> dict:
    """Campaigns for the coupon scenarios: big first-come batches to claim from (one per run),
    a sold-out batch, and 3 × 5,000 issued coupons for a merchant with a partner key to redeem."""
    from django.db import transaction
    from django.utils import timezone

    from bench.copy import copy_rows
    from benefits import coupon_rules
    from benefits.coupon_services import batch_create, campaign_create, coupon_claim, merchant_create
    from benefits.models import CouponClaimCount
    from members.models import Member, Organization
    from unionportal.core.services import api_key_issue

    city = Organization.objects.get_root_nodes().first()
    now = timezone.now()
    window = dict(claim_starts_at=now - timedelta(hours=1), claim_ends_at=now + timedelta(days=2),
                  use_ends_at=now + timedelta(days=30))

    def campaign(title, budget):
        return campaign_create(actor=None, organization=city, title=f"{title} {now:%m%d%H%M}", budget=Decimal(budget), **window)

    claim_batches = [
        batch_create(actor=None, campaign=campaign(f"压测领券{run}", 10_000_000), kind="movie",
                     face_value=Decimal("5.00"), quantity=1_000_000).pk
        for run in range(3)
    ]
    sold_out = batch_create(actor=None, campaign=campaign("压测已抢光", 100), kind="movie",
                            face_value=Decimal("5.00"), quantity=1)
    first_member = Member.objects.get(user_id=tokens_user_ids[0])
    coupon_claim(member=first_member, batch=sold_out)

    merchant = merchant_create(actor=None, organization=city, name=f"压测餐厅 {now:%m%d%H%M}",
                               accepted_kinds=["meal"], is_vending_machine=False)
    raw_key, _ = api_key_issue(name="压测商户", scopes=["coupons:redeem"], merchant=merchant)
    member_ids = dict(Member.objects.filter(user_id__in=tokens_user_ids[:15_000]).values_list("user_id", "pk"))
    codes = []
    for run in range(3):
        redeem_campaign = campaign(f"压测核销{run}", 1_000_000)
        batch = batch_create(actor=None, campaign=redeem_campaign, kind="meal", face_value=Decimal("20.00"),
                             quantity=5_000, merchants=[merchant])
        owners = [member_ids[uid] for uid in tokens_user_ids[run * 5_000:(run + 1) * 5_000] if uid in member_ids]
        batch_codes = [coupon_rules.new_coupon_code() for _ in owners]
        with transaction.atomic():
            issue_coupons(batch, owners, batch_codes, now)
            copy_rows(CouponClaimCount, ((redeem_campaign.pk, None, owner, 1, 1) for owner in owners),
                      ["campaign_id", "batch_id", "member_id", "claimed", "claim_limit"])
        codes.append(batch_codes)
    log(f"coupons: 3 claim batches, a sold-out batch, {sum(map(len, codes)):,} coupons to redeem")
    return {"claim_batches": claim_batches, "sold_out_batch": sold_out.pk, "partner_key": raw_key,
            "redeem_codes": codes}


def issue_coupons(batch, owners: list[int], codes: list[str], now) -> None:
    """One issued coupon of `batch` per owner (member id), with its code, the batch's claim
    counters and its claimed count, as claims would have left them."""
    from bench.copy import copy_rows
    from benefits.models import Coupon, CouponBatch, CouponClaimCount

    copy_rows(Coupon, ((batch.pk, owner, code, "issued", now, batch.effective_use_ends_at)
                       for owner, code in zip(owners, codes)),
              ["batch_id", "member_id", "code", "status", "issued_at", "expires_at"])
    copy_rows(CouponClaimCount, ((batch.campaign_id, batch.pk, owner, 1, 1) for owner in owners),
              ["campaign_id", "batch_id", "member_id", "claimed", "claim_limit"])
    CouponBatch.objects.filter(pk=batch.pk).update(claimed=len(owners))


HELD_COUPONS = 6  # each coupon holder's coupons: a page that no run makes longer


def coupon_holders(count: int, skip: int) -> list[str]:
    """Tokens for `count` members whom no other scenario touches, each holding HELD_COUPONS
    coupons made once: "my coupons" lists theirs, so every run lists the same pages (the
    claimers' own lists grow with each run)."""
    from django.db import transaction
    from django.utils import timezone

    from bench.copy import copy_rows
    from benefits import coupon_rules
    from benefits.coupon_services import batch_create, campaign_create
    from benefits.models import Campaign, CouponClaimCount
    from members.models import Member, Organization

    tokens, user_ids = member_tokens(count, skip)
    title = "压测持券"
    if not Campaign.objects.filter(title=title).exists():
        now = timezone.now()
        campaign = campaign_create(
            actor=None, organization=Organization.objects.get_root_nodes().first(), title=title,
            budget=Decimal(1_000_000_000), claim_starts_at=now - timedelta(days=1), claim_ends_at=now,
            use_ends_at=now + timedelta(days=3650), per_member_limit=HELD_COUPONS,
        )
        kinds = ["movie", "meal"]
        batches = [batch_create(actor=None, campaign=campaign, kind=kinds[n % 2], face_value=Decimal(10 + n),
                                quantity=count) for n in range(HELD_COUPONS)]
        holders = list(Member.objects.filter(user_id__in=user_ids).values_list("pk", flat=True))
        with transaction.atomic():
            for batch in batches:
                issue_coupons(batch, holders, [coupon_rules.new_coupon_code() for _ in holders], now)
            copy_rows(CouponClaimCount,
                      ((campaign.pk, None, holder, HELD_COUPONS, HELD_COUPONS) for holder in holders),
                      ["campaign_id", "batch_id", "member_id", "claimed", "claim_limit"])
        log(f"coupons: {HELD_COUPONS} for each of {len(holders):,} coupon holders")
    return tokens


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--members", type=int, default=2_000_000)
    parser.add_argument("--stations", type=int, default=100_000)
    parser.add_argument("--tokens", type=int, default=40_000, help="member bearer tokens for the scenarios")
    parser.add_argument("--holders", type=int, default=15_000, help='members whose coupons "my coupons" lists')
    args = parser.parse_args(argv)
    setup_django()
    from django.db import connection

    rng = random.Random(2026)
    OUT.mkdir(exist_ok=True)
    unions = grassroots_unions(rng)
    members(args.members, unions, rng)
    stations(args.stations, rng)
    tokens, token_user_ids = member_tokens(args.tokens)
    fixtures = {
        "member_tokens": tokens, **coupon_fixtures(token_user_ids, rng),
        "holder_tokens": coupon_holders(args.holders, skip=args.tokens),
        "password": BENCH_PASSWORD, "registration_union": unions[0][0],
    }
    (OUT / "fixtures.json").write_text(json.dumps(fixtures))
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    log("done")


if __name__ == "__main__":
    main()
