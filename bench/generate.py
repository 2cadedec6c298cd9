"""Generate a city-sized data set with PostgreSQL COPY: the union tree, members, stations, …

Also a year of mutual-aid claims (last year's bench plan), of convalescence trips, and of the
station visits, audit rows and text messages the back office lists.

    python -m bench.generate --members 2000000 --stations 100000

Runs against DATABASE_URL after `manage.py migrate` and `seed_demo`. Writes the values the
load scenarios need (tokens, ids, codes) to bench/out/fixtures.json. Idempotent: a data set
that is already there is reused.
"""

import argparse
import json
import math
import random
import secrets
import time
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

from bench.django_process import setup_django

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


def _local(day: date, hour: int = 9, minute: int = 0) -> datetime:
    """An aware instant on a local calendar day (TIME_ZONE)."""
    from datetime import time as clock

    from django.utils import timezone

    return timezone.make_aware(datetime.combine(day, clock(hour, minute)))


def _staff_user_id(phone: str):
    """The pk of a demo staff user (seed_demo makes them), or None."""
    from members.models import User, phone_hash

    return User.objects.filter(phone_hash=phone_hash(phone)).values_list("pk", flat=True).first()


def _cents(cents: int) -> Decimal:
    return Decimal(cents).scaleb(-2)


# --- Medical mutual aid: last year's plan, its enrolments and a year of claims ---------------------

AID_TITLE = "压测{year}年度职工医疗互助保障计划"
AID_ENROL_EVERY = 4  # bench members whose serial is a multiple of it are enrolled: 480,000 of 2 M (pending ones not)
AID_CLAIMS_PER_MEMBER = 0.03  # 60,000 claims for 2 M members
AID_OPEN_SHARE = 0.07  # the latest-filed claims are still in the review queue
AID_UNPAID_SHARE = 0.10  # the latest approvals wait for a payment batch (half of them in an open one)
AID_HOSPITALS = [
    ("QZ", "泉州市第一医院"), ("FY", "福建医科大学附属第二医院"), ("ZY", "泉州市中医院"), ("JJ", "晋江市医院"),
    ("ZG", "泉州市正骨医院"), ("SS", "石狮市医院"), ("NA", "南安市医院"), ("HA", "惠安县医院"),
    ("AX", "安溪县医院"), ("YC", "永春县医院"), ("DH", "德化县医院"), ("FB", "泉州市妇幼保健院"),
]
AID_BANKS = [("中国工商银行泉州分行", "62220214"), ("中国建设银行泉州分行", "62170014"),
             ("中国农业银行泉州分行", "62284802"), ("中国银行泉州分行", "62166100"),
             ("泉州农村商业银行", "62309900"), ("中国邮政储蓄银行泉州分行", "62210888")]
AID_RETURN_REASONS = ["请补充出院小结和费用明细清单的照片。", "发票照片不清晰，请重新上传。", "请补充医保结算单。"]
AID_REJECT_REASONS = ["门诊费用不属于住院医疗互助的补助范围。", "该发票已由其他互助计划报销。",
                      "未提供医保结算单，无法核定自付金额。"]


def aid_year(count: int, rng: random.Random) -> None:
    """Last year's city mutual-aid plan (made through the service), every AID_ENROL_EVERY-th
    bench member enrolled, and a year of claims (see aid_claims)."""
    from django.utils import timezone

    from benefits import aid_demo, aid_services
    from benefits.models import AidClaim, AidEnrolment, AidPlan
    from members.models import Organization, User

    enrolment_rng, claim_rng = random.Random(rng.getrandbits(64)), random.Random(rng.getrandbits(64))
    city = Organization.objects.get_root_nodes().first()
    plan = AidPlan.objects.filter(organization=city, title__startswith="压测").order_by("-year").first()
    if plan is None:
        year = timezone.localdate().year - 1
        terms = {**aid_demo.TERMS, "year": year, "title": AID_TITLE.format(year=year),
                 "coverage_starts_on": date(year, 1, 1), "coverage_ends_on": date(year, 12, 31),
                 "is_open_for_enrolment": False}
        actor = User.objects.filter(pk=_staff_user_id("13900000001")).first()
        plan = aid_services.aid_plan_create(actor=actor, organization=city, **terms)
        log(f"aid: plan {plan.title}")
    enrolled = AidEnrolment.objects.filter(plan=plan).count()
    if enrolled:
        log(f"aid: {enrolled:,} enrolments already there")
    else:
        aid_enrolments(plan, count, enrolment_rng)
    claims = AidClaim.objects.filter(plan=plan).count()
    if claims:
        log(f"aid: {claims:,} claims already there")
        return
    aid_claims(plan, round(count * AID_CLAIMS_PER_MEMBER), claim_rng)


def aid_enrolments(plan, count: int, rng: random.Random) -> None:
    """Active bench members with serial % AID_ENROL_EVERY == 0: three in four enrolled by their
    union (统缴), the rest paid themselves, in the six weeks before cover starts."""
    from django.db import connection, transaction

    from bench.copy import copy_rows
    from benefits.models import AidEnrolment

    serial = f"substr(card_number, {len(BENCH_CARD_PREFIX) + 1}, 10)::bigint"
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT id, user_id, organization_id FROM members_member WHERE card_number LIKE %s"
            f" AND status = 'active' AND {serial} %% %s = 0 AND {serial} < %s ORDER BY id",
            [BENCH_CARD_PREFIX + "%", AID_ENROL_EVERY, count],
        )
        members = cursor.fetchall()
    union_staff = _staff_user_id("13900000001")
    first = date(plan.year - 1, 11, 20)
    instants = [_local(first + timedelta(days=day), hour, minute)
                for day in range(42) for hour in range(8, 22) for minute in (0, 17, 34, 51)]
    rows = []
    for member_id, user_id, organization_id in members:
        if rng.random() < 0.75:
            rows.append((member_id, plan.pk, "employer", f"压测工会统缴{plan.year}-{organization_id}", union_staff,
                         rng.choice(instants)))
        else:
            rows.append((member_id, plan.pk, "member", f"WX{plan.year}{member_id:010d}", user_id, rng.choice(instants)))
    with transaction.atomic():
        copy_rows(AidEnrolment, rows, ["member_id", "plan_id", "paid_by", "payment_reference", "enrolled_by_id",
                                       "enrolled_at"])
    log(f"aid: {len(rows):,} enrolments in {plan.title}")


def _aid_claim_draft(rng: random.Random, member_id: int, kind: str, first: date, span: int, today: date, now) -> dict:
    """One claim's own figures: a stay, its costs (what insurance paid, what the member paid
    themselves) and when it was filed, within the 90-day deadline."""
    admitted = first + timedelta(days=rng.randrange(span))
    if kind == "hospitalisation":
        stay = min(60, 1 + int(rng.expovariate(1 / 7)))
        total = min(800_000, max(800, rng.lognormvariate(math.log(12_000), 0.9)))
        insurance_share, own_share = rng.uniform(0.5, 0.8), rng.uniform(0.75, 1.0)
    elif kind == "accident":
        stay = rng.randrange(8)
        total = min(200_000, max(300, rng.lognormvariate(math.log(5_000), 0.8)))
        insurance_share, own_share = rng.uniform(0, 0.6), 1.0
    else:  # major illness: the year's own spending after insurance, documented with the last stay
        stay = rng.randint(10, 60)
        total = min(1_500_000, max(120_000, rng.lognormvariate(math.log(250_000), 0.4)))
        insurance_share, own_share = rng.uniform(0.55, 0.7), 1.0
    total_cents = int(total * 100)
    insurance_cents = int(total_cents * insurance_share)
    discharged = min(admitted + timedelta(days=stay), today - timedelta(days=1))
    filed = discharged + timedelta(days=min(85, 2 + int(rng.expovariate(1 / 14))))
    bank, account_prefix = rng.choice(AID_BANKS)
    code, hospital = rng.choice(AID_HOSPITALS)
    return {
        "member_id": member_id, "kind": kind, "hospital": hospital, "code": code, "admitted_on": admitted,
        "discharged_on": discharged, "total_cost": _cents(total_cents), "insurance_paid": _cents(insurance_cents),
        "self_paid": _cents(int((total_cents - insurance_cents) * own_share)), "payee_bank": bank,
        "payee_account": f"{account_prefix}{member_id:011d}",
        "submitted_at": min(_local(filed, rng.randint(8, 21), rng.randrange(60)), now - timedelta(hours=1)),
    }


def _aid_claim_steps(rng: random.Random, outcome: str, submitted_at, now) -> list[tuple]:
    """(status, time, note) of each step a claim with this outcome went through, as the services
    write them: submitted, review, sometimes returned for documents and resubmitted, decided.
    Steps that would lie in the future are left off (the claim is still at the last one)."""
    from benefits.models import AidClaim

    Status = AidClaim.Status
    loop = outcome in (Status.RETURNED, Status.RESUBMITTED) or (
        outcome in (Status.APPROVED, Status.REJECTED) and rng.random() < 0.06)
    path = [Status.UNDER_REVIEW]
    if loop:
        path += [Status.RETURNED, Status.RESUBMITTED, Status.UNDER_REVIEW]
    if outcome in (Status.APPROVED, Status.REJECTED):
        path.append(outcome)
    elif outcome == Status.SUBMITTED:
        path = []
    else:
        path = path[:path.index(outcome) + 1]
    gaps = {Status.UNDER_REVIEW: (0.3, 4), Status.RETURNED: (0.2, 2), Status.RESUBMITTED: (1, 10),
            Status.APPROVED: (0.2, 6), Status.REJECTED: (0.2, 6)}
    steps, at = [(Status.SUBMITTED, submitted_at, "")], submitted_at
    for status in path:
        at += timedelta(days=rng.uniform(*gaps[status]))
        if at > now:
            break
        note = (rng.choice(AID_RETURN_REASONS) if status == Status.RETURNED
                else rng.choice(AID_REJECT_REASONS) if status == Status.REJECTED else "")
        steps.append((status, at, note))
    return steps


def aid_claims(plan, count: int, rng: random.Random) -> None:
    """A year of claims under `plan`: ~9 in 10 members claim once, the rest twice; the latest
    AID_OPEN_SHARE are still open (submitted, under review, returned, resubmitted), 7.5 % of
    the rest rejected, the others approved with the payout of benefits.aid_rules (in the order
    they were decided, each member's year counters moving as the service moves them) and paid
    in monthly batches, but for the latest approvals. Each claim has 1–2 invoices and the steps
    of its history; MemberAidYear holds each member's approved totals."""
    from django.db import transaction
    from django.utils import timezone

    from bench.copy import copy_rows, next_ids
    from benefits import aid_rules
    from benefits.models import AidClaim, AidClaimEvent, AidClaimInvoice, AidEnrolment, AidPayment, MemberAidYear
    from unionportal.core.pii import encrypt

    Status = AidClaim.Status
    now, today = timezone.now(), timezone.localdate()
    reviewer = _staff_user_id("13900000004") or _staff_user_id("13900000001")
    finance = _staff_user_id("13900000001")
    enrolled = list(AidEnrolment.objects.filter(plan=plan).order_by("member_id").values_list("member_id", flat=True))
    count = min(count, 2 * len(enrolled))
    if not count:
        return
    claimants = rng.sample(enrolled, min(len(enrolled), round(count / 1.1)))
    claimants += rng.sample(claimants, count - len(claimants))  # their second stay
    first = plan.coverage_starts_on
    span = (min(plan.coverage_ends_on, today - timedelta(days=3)) - first).days + 1
    drafts, major = [], set()
    for member_id in claimants:
        roll = rng.random()
        kind = "accident" if roll < 0.07 else "hospitalisation"
        if 0.07 <= roll < 0.10 and member_id not in major:
            kind = "major_illness"
            major.add(member_id)
        drafts.append(_aid_claim_draft(rng, member_id, kind, first, span, today, now))
    drafts.sort(key=lambda claim: claim["submitted_at"])
    open_from = len(drafts) - round(len(drafts) * AID_OPEN_SHARE)
    open_outcomes = [Status.SUBMITTED, Status.UNDER_REVIEW, Status.RETURNED, Status.RESUBMITTED]
    for index, (claim, claim_id) in enumerate(zip(drafts, next_ids(AidClaim, len(drafts)))):
        if index >= open_from:
            outcome = rng.choices(open_outcomes, weights=[35, 40, 15, 10])[0]
        else:
            outcome = Status.REJECTED if rng.random() < 0.075 else Status.APPROVED
        steps = _aid_claim_steps(rng, outcome, claim["submitted_at"], now)
        reason = ""  # the reason given with the last return or rejection; approval clears it
        for status, _at, note in steps:
            if status in (Status.RETURNED, Status.REJECTED):
                reason = note
            elif status == Status.APPROVED:
                reason = ""
        status, at, _note = steps[-1]
        decided = status in (Status.APPROVED, Status.REJECTED)
        claim.update(id=claim_id, index=index, steps=steps, status=status, reason=reason,
                     decided_at=at if decided else None, decided_by=reviewer if decided else None,
                     payout=None, breakdown=None, payment=None)

    # Payouts in the order the claims were approved, each member's year as the service keeps it.
    approved = sorted((c for c in drafts if c["status"] == Status.APPROVED), key=lambda c: (c["decided_at"], c["id"]))
    terms, years = plan.terms(), {}
    zero = Decimal("0")
    for claim in approved:
        year = years.setdefault(claim["member_id"], [zero] * 5)
        payout = aid_rules.aid_payout(aid_rules.AidClaimFacts(
            kind=claim["kind"], self_paid=claim["self_paid"],
            days=aid_rules.stay_days(claim["admitted_on"], claim["discharged_on"]),
            deductible_used=year[0], base_used=year[1], paid_this_year=year[2],
            major_illness_spending_used=year[3], major_illness_paid=year[4],
        ), terms)
        for position, delta in enumerate((payout.deductible_used, payout.base, payout.amount,
                                          payout.major_illness_spending, payout.major_illness_relief)):
            year[position] += delta
        claim.update(payout=payout.amount, breakdown=payout.breakdown())

    # Payment batches: one a month, paid on the 10th of the next; the latest approvals wait.
    unpaid_from = len(approved) - round(len(approved) * AID_UNPAID_SHARE)
    months, waiting = {}, approved[unpaid_from:]
    for claim in approved[:unpaid_from]:
        decided = timezone.localtime(claim["decided_at"])
        months.setdefault((decided.year, decided.month), []).append(claim)
    batches = []  # (claims, status, created_at, paid_at)
    for (year, month), claims in sorted(months.items()):
        next_month = date(year + month // 12, month % 12 + 1, 1)
        created_at, paid_at = _local(next_month + timedelta(days=4), 9), _local(next_month + timedelta(days=9), 10)
        if paid_at > now - timedelta(hours=1):
            waiting = claims + waiting
        else:
            batches.append((claims, "paid", created_at, paid_at))
    if waiting[:len(waiting) // 2]:
        in_open = waiting[:len(waiting) // 2]
        batches.append((in_open, "open", min(in_open[-1]["decided_at"] + timedelta(days=1), now), None))
    payments = []
    for (claims, status, created_at, paid_at), payment_id in zip(batches, next_ids(AidPayment, len(batches))):
        for claim in claims:
            claim["payment"] = payment_id
            if status == "paid":
                claim["status"] = Status.PAID
                claim["steps"].append((Status.PAID, paid_at, ""))
        reference = f"ICBC{paid_at:%Y%m%d}{len(payments) + 1:03d}" if paid_at else ""
        payments.append((payment_id, plan.pk, status, sum((c["payout"] for c in claims), zero), len(claims), reference,
                         finance, created_at, paid_at))

    with transaction.atomic():
        copy_rows(AidPayment, payments, ["id", "plan_id", "status", "total", "claim_count", "bank_reference",
                                         "created_by_id", "created_at", "paid_at"])
        copy_rows(AidClaim, ((
            c["id"], c["member_id"], plan.pk, c["kind"], c["hospital"], c["admitted_on"], c["discharged_on"],
            c["total_cost"], c["insurance_paid"], c["self_paid"], c["payee_bank"], encrypt(c["payee_account"]),
            c["status"], c["payout"], c["breakdown"], c["reason"], c["submitted_at"], c["decided_at"],
            c["decided_by"], c["payment"],
        ) for c in drafts), ["id", "member_id", "plan_id", "kind", "hospital", "admitted_on", "discharged_on",
                             "total_cost", "insurance_paid", "self_paid", "payee_bank", "payee_account", "status",
                             "payout", "breakdown", "reason", "submitted_at", "decided_at", "decided_by_id",
                             "payment_id"])
        invoices = copy_rows(AidClaimInvoice, (
            (c["id"], plan.pk, f"{c['code']}{c['admitted_on']:%Y%m%d}{c['index']:06d}{n}")
            for c in drafts for n in range(1, 2 + (c["index"] % 4 == 3))
        ), ["claim_id", "plan_id", "invoice_number"])
        steps = copy_rows(AidClaimEvent,
                          ((c["id"], status, note, at) for c in drafts for status, at, note in c["steps"]),
                          ["claim_id", "status", "note", "created_at"])
        copy_rows(MemberAidYear, ((member_id, plan.pk, *year) for member_id, year in years.items()),
                  ["member_id", "plan_id", "deductible_used", "base_used", "aid_paid", "major_illness_spending",
                   "major_illness_relief"])
    mix = {}
    for claim in drafts:
        mix[claim["status"]] = mix.get(claim["status"], 0) + 1
    log(f"aid: {len(drafts):,} claims ({', '.join(f'{k} {v:,}' for k, v in sorted(mix.items()))}), "
        f"{invoices:,} invoices, {steps:,} steps, {len(payments)} payment batches, {len(years):,} member years")

# --- Convalescence: a year of bench sessions with their nominations --------------------------------

TRIP_SESSIONS_PER_MEMBER = 1 / 5_000  # 400 sessions for 2 M members
TRIP_SEATS = [20, 25, 30, 35]
TRIP_REJECT_REASONS = ["本年度已安排过疗休养。", "岗位生产任务紧，单位暂不同意。", "请优先安排一线职工。"]


def _trip_programs(bases) -> list:
    """Bench programs (压测…) at the demo bases: a multi-day stay and a day trip each, team
    building at every third base (no model workers' harbour: bench members are not model workers)."""
    from convalescence.demo import ITINERARY
    from convalescence.models import Program

    programs = []
    for index, base in enumerate(bases):
        short = base.name.removesuffix("基地").removesuffix("疗休养").removesuffix("职工")
        specs = [("multi_day", 3, "三日康养") if base.level == "county" else ("multi_day", 5, "五日疗休养"),
                 ("one_day", 1, "一日游")]
        if index % 3 == 0:
            specs.append(("team_building", 1, "团队拓展"))
        for kind, days, suffix in specs:
            program, _created = Program.objects.get_or_create(base=base, name=f"压测{short}{suffix}", defaults={
                "kind": kind, "days": days, "itinerary": ITINERARY[kind], "description": f"{base.address}（压测）"})
            programs.append(program)
    return programs


def _trip_candidates(count: int, district_length: int, rng: random.Random) -> dict[str, list]:
    """Active bench members without any nomination, by district path, shuffled: ~50,000 of them
    (every n-th serial), with what their priority score is made of."""
    from django.db import connection

    every = max(1, count // 50_000)
    serial = f"substr(m.card_number, {len(BENCH_CARD_PREFIX) + 1}, 10)::bigint"
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT m.id, substr(o.path, 1, %s), m.is_frontline, m.is_technical, m.model_worker_level,"
            f" m.has_hardship_file, COALESCE(m.verified_at, m.joined_at)"
            f" FROM members_member m JOIN members_organization o ON o.id = m.organization_id"
            f" WHERE m.card_number LIKE %s AND m.status = 'active' AND {serial} %% %s = %s AND {serial} < %s"
            f" AND NOT EXISTS (SELECT 1 FROM convalescence_nomination n WHERE n.member_id = m.id) ORDER BY m.id",
            [district_length, BENCH_CARD_PREFIX + "%", every, 1 % every, count],
        )
        rows = cursor.fetchall()
    candidates = {}
    for row in rows:
        candidates.setdefault(row[1], []).append(row)
    for members in candidates.values():
        rng.shuffle(members)
    return candidates


def convalescence_year(count: int, rng: random.Random) -> None:
    """~400 sessions of bench programs over the last ten months and the next six weeks, with
    seat quotas for some, ~10,000 nominations of distinct bench members in every state the
    services leave them in at this point of each session's life, the sessions' counters and
    the settlements of the held ones."""
    from django.db import transaction
    from django.utils import timezone

    from bench.copy import copy_rows, next_ids
    from convalescence import rules, services
    from convalescence.models import Base, Nomination, NominationStatus, SeatQuota, Session, Settlement, SettlementLine
    from members.models import Organization

    SEAT_KEPT = (NominationStatus.CONFIRMED, NominationStatus.ATTENDED, NominationStatus.NO_SHOW)  # confirmed_count
    rng = random.Random(rng.getrandbits(64))
    have = Session.objects.filter(program__name__startswith="压测").count()
    if have:
        log(f"convalescence: {have:,} sessions already there")
        return
    staff = _staff_user_id("13900000001")
    bases = list(Base.objects.filter(is_active=True).select_related("organization").order_by("pk"))
    if staff is None or not bases:
        log("convalescence: no demo bases or staff user (run seed_demo first)")
        return
    programs = _trip_programs(bases)
    city = Organization.objects.get_root_nodes().first()
    candidates = _trip_candidates(count, len(city.path) + Organization.steplen, rng)
    district_ids = dict(Organization.objects.filter(path__in=list(candidates)).values_list("path", "pk"))
    districts = sorted(district_ids)

    def pick(paths):
        sizes = [len(candidates[path]) for path in paths]
        return candidates[rng.choices(paths, weights=sizes)[0]].pop() if any(sizes) else None

    now, today = timezone.now(), timezone.localdate()
    rates = {}
    sessions, quotas, nominations, settlements = [], [], [], []
    for session_id in next_ids(Session, max(12, min(400, round(count * TRIP_SESSIONS_PER_MEMBER)))):
        program = rng.choice(programs)
        starts_on = today + timedelta(days=rng.randint(-320, 45))
        ends_on = starts_on + timedelta(days=program.days - 1)
        opens = _local(starts_on - timedelta(days=40))
        closes, deadline = opens + timedelta(days=14), opens + timedelta(days=25)
        decided_at = _local(starts_on - timedelta(days=25), 10)  # the organiser approves the day after closing
        respond_by = min(max(deadline, decided_at + services.WAITING_LIST_RESPONSE_WINDOW), _local(starts_on, 0))
        if program.base.level == "county" and program.base.organization.path in district_ids:
            organiser = program.base.organization.path
        else:
            organiser = city.path if rng.random() < 0.35 or not districts else rng.choice(districts)
        seats = rng.choice(TRIP_SEATS)
        pools = []  # (districts its members come from, seats, a union's quota?)
        if organiser == city.path and len(districts) > 2 and rng.random() < 0.3:
            held_back = rng.sample(districts, 2)
            for path in held_back:
                quotas.append((session_id, district_ids[path], seats // 4))
                pools.append(([path], seats // 4, True))
            pools.append(([path for path in districts if path not in held_back], seats - 2 * (seats // 4), False))
        else:
            pools.append(([path for path in districts if path.startswith(organiser)], seats, False))
        if now < opens:
            phase = None  # nominations not open yet
        elif now < decided_at:
            phase = "open"
        elif now < deadline:
            phase = "approved"
        elif now < _local(starts_on, 18):
            phase = "confirmed"
        else:
            phase = "held"  # roster closed on the first evening
        wanted = round(seats * rng.uniform(0.7, 1.35)) if phase else 0
        if phase == "open":
            wanted = round(wanted * min(1, (now - opens) / (closes - opens)))
        held = {"confirmed": 0, "attended": 0}
        for paths, pool_seats, is_quota in pools:
            share = round(wanted * pool_seats / seats)
            entries = []
            for _ in range(min(share, pool_seats) if is_quota else share):
                member = pick(paths)
                if member is None:
                    break
                member_id, _district, frontline, technical, model_worker, hardship, since = member
                nominated_at = opens + (min(closes, now) - opens) * rng.random()
                priority = rules.nomination_priority(
                    rules.MemberFacts(frontline, technical, model_worker, hardship, timezone.localdate(since)),
                    program.kind, timezone.localdate(nominated_at))
                entries.append({
                    "member_id": member_id, "nominated_at": nominated_at, "priority": priority,
                    "status": NominationStatus.NOMINATED, "decided_by": None, "decided_at": None, "respond_by": None,
                    "responded_at": None, "checked_in_at": None, "checked_in_by": None, "note": "",
                })
            _trip_outcomes(entries, phase, pool_seats, rng, staff=staff, now=now, decided_at=decided_at,
                           deadline=deadline, respond_by=respond_by, starts_on=starts_on)
            for entry in entries:
                held["confirmed"] += entry["status"] in SEAT_KEPT
                held["attended"] += entry["status"] == NominationStatus.ATTENDED
                nominations.append((
                    session_id, entry["member_id"], entry["status"], entry["priority"].score,
                    json.dumps([list(reason) for reason in entry["priority"].reasons]), starts_on, ends_on, staff,
                    entry["nominated_at"], entry["decided_by"], entry["decided_at"], entry["respond_by"],
                    entry["responded_at"], entry["checked_in_at"], entry["checked_in_by"], entry["note"],
                ))
        sessions.append((session_id, program.pk, district_ids.get(organiser, city.pk), starts_on, ends_on, seats,
                         held["confirmed"], held["attended"], opens, closes, deadline,
                         _local(starts_on, 18) if phase == "held" else None, opens - timedelta(days=7)))
        settled_at = _local(ends_on + timedelta(days=10))
        if phase == "held" and settled_at <= now:
            if program.kind not in rates:
                rates[program.kind] = services.rates_for(program.kind)
            in_force = rules.rates_in_force(rates[program.kind], starts_on)
            if in_force:
                lines = rules.session_subsidy(held["attended"], program.days, in_force)
                settlements.append((session_id, held["attended"], program.days, lines, settled_at))

    with transaction.atomic():
        copy_rows(Session, sessions, ["id", "program_id", "organising_union_id", "starts_on", "ends_on", "seats",
                                      "confirmed_count", "attended_count", "nomination_opens_at",
                                      "nomination_closes_at", "confirmation_deadline", "roster_closed_at",
                                      "created_at"])
        copy_rows(SeatQuota, quotas, ["session_id", "organization_id", "seats"])
        copy_rows(Nomination, nominations, [
            "session_id", "member_id", "status", "priority_score", "priority_reasons", "trip_starts_on",
            "trip_ends_on", "nominated_by_id", "nominated_at", "decided_by_id", "decided_at", "respond_by",
            "responded_at", "checked_in_at", "checked_in_by_id", "note"])
        settlement_ids = next_ids(Settlement, len(settlements))
        copy_rows(Settlement, (
            (settlement_id, session_id, attendees, days,
             rules.money(sum((line.amount for line in lines), start=Decimal(0))), settled_at, staff)
            for settlement_id, (session_id, attendees, days, lines, settled_at) in zip(settlement_ids, settlements)
        ), ["id", "session_id", "attendees", "days", "total", "settled_at", "settled_by_id"])
        copy_rows(SettlementLine, (
            (settlement_id, line.paying_level, line.rate, line.amount)
            for settlement_id, (*_session, lines, _at) in zip(settlement_ids, settlements) for line in lines
        ), ["settlement_id", "paying_level", "rate", "amount"])
    mix = {}
    for row in nominations:
        mix[row[2]] = mix.get(row[2], 0) + 1
    log(f"convalescence: {len(sessions)} sessions ({len(quotas)} quotas, {len(settlements)} settled), "
        f"{len(nominations):,} nominations ({', '.join(f'{k} {v:,}' for k, v in sorted(mix.items()))})")


def _trip_outcomes(entries: list[dict], phase, seats: int, rng: random.Random, *, staff, now, decided_at, deadline,
                   respond_by, starts_on) -> None:
    """Set each nomination of one seat pool to where the services would have left it by `now`:
    while nominations are open, a few declined; once approved (in priority order), a few
    rejected or declined, the first `seats` holding a place (approved or confirmed; after the
    deadline those who did not answer lapsed; after the first day attended or absent) and the
    rest waiting (lapsed when the roster closed)."""
    from convalescence.models import NominationStatus as Status

    if phase == "open":
        for entry in entries:
            if rng.random() < 0.03:
                entry.update(status=Status.DECLINED, responded_at=entry["nominated_at"]
                             + (now - entry["nominated_at"]) * rng.random())
        return
    first_day = _local(starts_on, 0)
    candidates = []
    for entry in entries:
        entry.update(decided_by=staff, decided_at=decided_at)
        roll = rng.random()
        if roll < 0.03:
            entry.update(status=Status.REJECTED, decided_at=min(now, decided_at + timedelta(hours=rng.uniform(0, 6))),
                         note=rng.choice(TRIP_REJECT_REASONS))
        elif roll < 0.08:
            entry.update(status=Status.DECLINED, respond_by=respond_by,
                         responded_at=decided_at + (min(first_day, now) - decided_at) * rng.random())
        elif roll < 0.13 and phase in ("confirmed", "held"):
            entry.update(status=Status.LAPSED, respond_by=respond_by)
        else:
            candidates.append(entry)
    candidates.sort(key=lambda entry: (-entry["priority"].score, entry["nominated_at"]))
    for position, entry in enumerate(candidates):
        if position >= seats:
            entry["status"] = Status.LAPSED if phase == "held" else Status.WAITING
            continue
        entry.update(respond_by=respond_by, responded_at=decided_at + (min(deadline, now) - decided_at) * rng.random())
        if phase == "approved" and rng.random() < 0.4:
            entry.update(status=Status.APPROVED, responded_at=None)
        elif phase != "held":
            entry["status"] = Status.CONFIRMED
        elif rng.random() < 0.07:
            entry["status"] = Status.NO_SHOW
        else:
            entry.update(status=Status.ATTENDED, checked_in_by=staff,
                         checked_in_at=_local(starts_on, 8) + timedelta(minutes=rng.randrange(150)))


VISITS_PER_STATION = 30  # a year's check-ins: 3 M at 100,000 stations
AUDIT_EVERY = 2  # one audit row for every second bench member: 1 M
AUDIT_ACTIONS = ["member_registered", "member_verified", "member_verified", "aid_enrolment.created", "member_transferred",
                 "member_attributes_set", "phone_changed", "member_left"]
NOTIFICATION_EVENTS = ["member_verified", "aid_enrolled", "session_reminder", "convalescence.nominated",
                       "member_registered", "session_booked"]


def activity_year() -> None:
    """A year of what the back office lists grow with: 3 M station visits, 1 M audit rows and
    2 M text messages (one per bench member), each with its union's path where it has one.

    Made inside PostgreSQL (INSERT … SELECT from the bench members and stations already there),
    since every row is derived from them. Idempotent: each part is skipped when there."""
    from django.contrib.contenttypes.models import ContentType
    from django.db import connection, transaction

    from members.models import Member
    from stations.models import Station, Visit
    from unionportal.core.models import AuditLog, Notification

    bench = Member.objects.filter(card_number__startswith=BENCH_CARD_PREFIX)
    first_station = Station.objects.filter(name__startswith="压测驿站").order_by("pk").values_list("pk", flat=True).first()
    last_member = bench.order_by("-pk").values("pk", "user_id").first()
    if first_station is None or last_member is None:
        log("activity: no bench members or stations")
        return
    member_type = ContentType.objects.get_for_model(Member)
    since = "now() - random() * interval '365 days'"
    with connection.cursor() as cursor, transaction.atomic():
        if Visit.objects.filter(station_id=first_station).exists():
            log("activity: visits already there")
        else:
            # The three sources in turn; no visit names a member (the list shows the station).
            cursor.execute(f"""
                INSERT INTO stations_visit (station_id, member_id, visitor_category, source, visited_at, visited_on)
                SELECT station_id, NULL, '', (ARRAY['qr', 'kiosk', 'staff'])[1 + n %% 3], at,
                       (at AT TIME ZONE 'Asia/Shanghai')::date
                FROM (SELECT s.id AS station_id, n, {since} AS at
                      FROM stations_station s CROSS JOIN generate_series(1, %s) AS n
                      WHERE s.name LIKE '压测驿站%%') AS year""", [VISITS_PER_STATION])
            log(f"activity: {cursor.rowcount:,} station visits")
        if AuditLog.objects.filter(content_type=member_type, object_id=str(last_member["pk"])).exists():
            log("activity: audit rows already there")
        else:
            cursor.execute(f"""
                INSERT INTO core_auditlog (actor_id, action, content_type_id, object_id, organization_path, changes,
                                           created_at)
                SELECT NULL, (%s::text[])[1 + m.id %% %s], %s, m.id::text, o.path, '{{}}'::jsonb, {since}
                FROM members_member m JOIN members_organization o ON o.id = m.organization_id
                WHERE m.card_number LIKE %s AND (m.id = %s OR m.id %% %s = 0)""",
                           [AUDIT_ACTIONS, len(AUDIT_ACTIONS), member_type.pk, f"{BENCH_CARD_PREFIX}%",
                            last_member["pk"], AUDIT_EVERY])
            log(f"activity: {cursor.rowcount:,} audit rows")
        if Notification.objects.filter(user_id=last_member["user_id"], status="sent").exists():
            log("activity: text messages already there")
        else:
            cursor.execute(f"""
                INSERT INTO core_notification (user_id, channel, event, body, status, attempts, last_error,
                                               created_at, sent_at)
                SELECT user_id, 'sms', event, '【泉州市总工会】您的申请已处理，详情请登录工会服务平台查看。', 'sent', 1, '',
                       at, at + interval '3 seconds'
                FROM (SELECT m.user_id, (%s::text[])[1 + m.id %% %s] AS event, {since} AS at
                      FROM members_member m WHERE m.card_number LIKE %s) AS sent""",
                           [NOTIFICATION_EVENTS, len(NOTIFICATION_EVENTS), f"{BENCH_CARD_PREFIX}%"])
            log(f"activity: {cursor.rowcount:,} text messages")


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
    aid_year(args.members, rng)
    convalescence_year(args.members, rng)
    activity_year()
    (OUT / "fixtures.json").write_text(json.dumps(fixtures))
    with connection.cursor() as cursor:
        # As autovacuum leaves a live database: statistics, and the visibility map that lets
        # index-only scans (e.g. a member's union, members.Member's cover index) skip the rows.
        cursor.execute("VACUUM (ANALYZE)")
    log("done")


if __name__ == "__main__":
    main()
