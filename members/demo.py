"""Demo data: the Quanzhou federation's tree, its staff logins and a few members.

Only `manage.py seed_demo` calls this; the fixed logins exist nowhere else.
"""

import random
import secrets
from datetime import date, timedelta

from django.contrib.auth.hashers import UNUSABLE_PASSWORD_PREFIX, make_password
from django.db import connection
from django.utils import timezone

from .models import (
    Consent, ConsentVersion, Member, Organization, StaffAssignment, User, WorkerCategory, id_number_hash, phone_hash,
)
from .rules import card_number_check_character, credit_code_check_character, id_number_check_character

DEMO_PASSWORD = "union-demo-2026"

# district → (division code, streets)
DISTRICTS = {
    "鲤城区总工会": ("350502", ["开元街道总工会", "鲤中街道总工会", "海滨街道总工会", "临江街道总工会"]),
    "丰泽区总工会": ("350503", ["东海街道总工会", "城东街道总工会", "丰泽街道总工会", "泉秀街道总工会"]),
    "洛江区总工会": ("350504", ["万安街道总工会", "双阳街道总工会"]),
    "泉港区总工会": ("350505", ["山腰街道总工会", "前黄镇总工会"]),
    "石狮市总工会": ("350581", ["湖滨街道总工会", "凤里街道总工会"]),
    "晋江市总工会": ("350582", ["青阳街道总工会", "陈埭镇总工会", "安海镇总工会"]),
    "南安市总工会": ("350583", ["溪美街道总工会", "水头镇总工会"]),
    "惠安县总工会": ("350521", ["螺城镇总工会", "崇武镇总工会"]),
    "安溪县总工会": ("350524", ["凤城镇总工会", "城厢镇总工会"]),
    "永春县总工会": ("350525", ["桃城镇总工会"]),
    "德化县总工会": ("350526", ["浔中镇总工会"]),
    "台商投资区总工会": ("350500", ["洛阳镇总工会", "东园镇总工会"]),
}
# Grassroots unions under each street: (kind, name template)
GRASSROOTS = [
    (Organization.Kind.ENTERPRISE, "{street}辖区制造企业工会"),
    (Organization.Kind.INDUSTRY, "{district}物流快递行业工会"),
    (Organization.Kind.JOINT, "{street}小微企业联合工会"),
]
DEMO_ENTERPRISE = "泉州鲤中纺织有限公司工会"

DEMO_LOGINS = [
    ("13900000001", "泉州市总工会 管理员 (city federation admin)"),
    ("13900000002", "鲤城区总工会 管理员"),
    ("13900000003", "丰泽区总工会 管理员"),
    ("13900000004", "鲤中街道总工会 审核员 (reviewer)"),
    ("13900000005", f"{DEMO_ENTERPRISE} 管理员"),
    ("13900000011–13900000019", f"{DEMO_ENTERPRISE} 会员 (active members)"),
]

FAMILY_NAMES = "陈林黄王吴李张蔡郑许洪庄苏杨施"
GIVEN_NAMES = ["建华", "秀英", "志明", "丽娟", "国强", "美玲", "文斌", "雅婷", "永福", "惠珍", "海峰", "淑芬", "伟", "静", "俊杰"]


def demo_credit_code(seed: int) -> str:
    body = f"91350500{seed:09d}"
    return body + credit_code_check_character(body)


def demo_id_number(division: str, birth: date, serial: int) -> str:
    body = f"{division}{birth:%Y%m%d}{serial:03d}"
    return body + id_number_check_character(body)


def demo_card_number(serial: int) -> str:
    body = f"3505{serial:010d}"
    return body + card_number_check_character(body)


def _child(parent, **fields):
    existing = Organization.objects.get_children(parent).filter(name=fields["name"]).first()
    return existing or Organization.objects.add_child(parent, dict(**fields))


def seed_tree():
    city = Organization.objects.get_root_nodes().filter(name="泉州市总工会").first()
    if city is None:
        city = Organization.objects.add_root(dict(kind=Organization.Kind.CITY, name="泉州市总工会", division_code="350500"))
    counter = 0
    for district_name, (code, streets) in DISTRICTS.items():
        district = _child(city, kind=Organization.Kind.DISTRICT, name=district_name, division_code=code)
        for street_name in streets:
            street = _child(district, kind=Organization.Kind.STREET, name=street_name, division_code=code)
            for kind, template in GRASSROOTS:
                counter += 1
                name = template.format(street=street_name.removesuffix("总工会"), district=district_name.removesuffix("总工会"))
                credit = demo_credit_code(counter) if kind == Organization.Kind.ENTERPRISE else ""
                _child(street, kind=kind, name=name, division_code=code, credit_code=credit)
    licheng = Organization.objects.get_children(city).get(name="鲤城区总工会")
    lizhong = Organization.objects.get_children(licheng).get(name="鲤中街道总工会")
    enterprise = _child(
        lizhong, kind=Organization.Kind.ENTERPRISE, name=DEMO_ENTERPRISE, division_code="350502",
        credit_code=demo_credit_code(999),
    )
    return city, licheng, Organization.objects.get_children(city).get(name="丰泽区总工会"), lizhong, enterprise


def demo_user(phone: str, name: str, *, is_staff=False, is_superuser=False, password_hash=None) -> User:
    # Every fixed login shares the demo password, so seed() hashes it once and passes it in:
    # the slow password hash would otherwise dominate seeding (and every test using it).
    user = User.objects.filter(phone_hash=phone_hash(phone)).first()
    if user is None:
        password = password_hash or make_password(DEMO_PASSWORD)
        user = User(name=name, is_staff=is_staff, is_superuser=is_superuser, password=password)
        user.set_phone(phone)
        user.save()
    return user


def demo_staff(phone, name, organization, role, *, is_superuser=False, can_reveal=False, password_hash=None):
    user = demo_user(phone, name, is_staff=True, is_superuser=is_superuser, password_hash=password_hash)
    StaffAssignment.objects.get_or_create(
        user=user, defaults={"organization": organization, "role": role, "can_reveal_personal_data": can_reveal},
    )
    return user


def demo_member(user, organization, serial, *, status=Member.Status.ACTIVE, verifier=None, rng=random):
    if hasattr(user, "member"):
        return user.member
    birth = date(1970, 1, 1) + timedelta(days=rng.randrange(0, 365 * 35))
    id_number = demo_id_number(organization.division_code or "350502", birth, serial % 1000)
    if Member.objects.filter(id_number_hash=id_number_hash(id_number)).exists():
        return None
    member = Member(
        user=user, organization=organization, name=user.name, birth_date=birth,
        sex=Member.Sex.MALE if int(id_number[16]) % 2 else Member.Sex.FEMALE,
        card_number=demo_card_number(serial), status=status,
        worker_category=rng.choice(WorkerCategory.values), is_frontline=rng.random() < 0.6,
        is_technical=rng.random() < 0.3,
        verified_at=timezone.now() if status == Member.Status.ACTIVE else None, verified_by=verifier,
    )
    member.set_id_number(id_number)
    member.save()
    return member


def seed(stdout):
    city, licheng, fengze, lizhong, enterprise = seed_tree()
    Role = StaffAssignment.Role
    password = make_password(DEMO_PASSWORD)  # hashed with the hasher configured right now
    demo_staff("13900000001", "泉州市总工会管理员", city, Role.ADMIN, is_superuser=True, can_reveal=True,
               password_hash=password)
    demo_staff("13900000002", "鲤城区总工会管理员", licheng, Role.ADMIN, password_hash=password)
    demo_staff("13900000003", "丰泽区总工会管理员", fengze, Role.ADMIN, password_hash=password)
    reviewer = demo_staff("13900000004", "鲤中街道审核员", lizhong, Role.REVIEWER, password_hash=password)
    demo_staff("13900000005", "纺织公司工会管理员", enterprise, Role.ADMIN, password_hash=password)
    rng = random.Random(2026)
    for index in range(1, 10):
        name = FAMILY_NAMES[index % len(FAMILY_NAMES)] + GIVEN_NAMES[index % len(GIVEN_NAMES)]
        user = demo_user(f"139000000{10 + index}", name, password_hash=password)
        demo_member(user, enterprise, serial=index, verifier=reviewer, rng=rng)
    seed_members_bulk(lizhong_reviewer=reviewer)
    stdout.write(f"members: {Organization.objects.count()} organisations, {Member.objects.count()} members")


# The crowd: a few thousand members across every grassroots union, built in Python and
# written with bulk_create so seeding stays quick. Ranges are chosen apart from the ones
# tests generate (card serials from 50,000,000; phones 158…; births 1962–1986).
BULK_MEMBERS = 3000
BULK_CARD_SERIAL = 50_000_000
BULK_PHONE_PREFIX = "158"
CATEGORY_WEIGHTS = [
    (WorkerCategory.EMPLOYEE, 40), (WorkerCategory.DELIVERY_RIDER, 14), (WorkerCategory.COURIER, 10),
    (WorkerCategory.RIDE_HAILING_DRIVER, 8), (WorkerCategory.TRUCK_DRIVER, 7), (WorkerCategory.SANITATION_WORKER, 6),
    (WorkerCategory.CONSTRUCTION_WORKER, 8), (WorkerCategory.DOMESTIC_WORKER, 4), (WorkerCategory.OTHER, 3),
]
MORE_GIVEN_NAMES = GIVEN_NAMES + ["少华", "丽华", "明辉", "晓燕", "荣华", "碧霞", "振宇", "佳怡", "金水", "秋月"]


def bulk_phone(index: int) -> str:
    return f"{BULK_PHONE_PREFIX}{index:08d}"


def seed_members_bulk(*, lizhong_reviewer, count=BULK_MEMBERS):
    """Idempotent: does nothing once the first crowd member exists."""
    if User.objects.filter(phone_hash=phone_hash(bulk_phone(1))).exists():
        return
    rng = random.Random(3505)
    # The demo enterprise keeps exactly its nine fixed members.
    unions = list(Organization.objects.filter(kind__in=Organization.GRASSROOTS_KINDS).exclude(
        name=DEMO_ENTERPRISE).order_by("path"))
    lizhong = Organization.objects.get(pk=StaffAssignment.objects.get(user=lizhong_reviewer).organization_id)
    now = timezone.now()
    categories = [code for code, weight in CATEGORY_WEIGHTS for _ in range(weight)]
    users, members = [], []
    for index in range(1, count + 1):
        # A few pending applications wait in the demo reviewer's street, the rest spread out.
        union = (rng.choice([u for u in unions if u.path.startswith(lizhong.path)]) if index % 150 == 0
                 else rng.choice(unions))
        name = rng.choice(FAMILY_NAMES) + rng.choice(MORE_GIVEN_NAMES)
        phone = bulk_phone(index)
        user = User(name=name, date_joined=now)
        user.set_phone(phone)  # with its hash and masked copy: bulk_create calls no save()
        user.password = UNUSABLE_PASSWORD_PREFIX + secrets.token_urlsafe(30)  # the crowd does not log in
        users.append(user)
        birth = date(1962, 1, 1) + timedelta(days=index * 3 + rng.randrange(3))
        id_number = demo_id_number(union.division_code or "350500", birth, index % 1000)
        status = (Member.Status.PENDING if index % 150 == 0 or index % 97 == 0
                  else Member.Status.REJECTED if index % 211 == 0
                  else Member.Status.LEFT if index % 173 == 0 else Member.Status.ACTIVE)
        applied = now - timedelta(days=rng.randrange(1, 900) if status != Member.Status.PENDING else rng.randrange(0, 9),
                                  hours=rng.randrange(24))
        member = Member(
            organization=union, name=name, birth_date=birth,
            sex=Member.Sex.MALE if int(id_number[16]) % 2 else Member.Sex.FEMALE,
            card_number=demo_card_number(BULK_CARD_SERIAL + index), status=status,
            worker_category=rng.choice(categories), is_frontline=rng.random() < 0.6, is_technical=rng.random() < 0.25,
            model_worker_level=rng.choice(["national"] + ["provincial"] * 3 + ["city"] * 8 + ["county"] * 12)
            if rng.random() < 0.02 else "",
            has_hardship_file=rng.random() < 0.04, joined_at=applied,
            verified_at=applied + timedelta(days=rng.randrange(1, 5)) if status in (
                Member.Status.ACTIVE, Member.Status.LEFT) else None,
            verified_by=lizhong_reviewer if status == Member.Status.ACTIVE and union.path.startswith(lizhong.path) else None,
            rejection_reason="所填单位与本人身份信息不符" if status == Member.Status.REJECTED else "",
            left_at=applied + timedelta(days=300) if status == Member.Status.LEFT else None,
        )
        member.set_id_number(id_number)
        members.append(member)
    User.objects.bulk_create(users, batch_size=1000)
    for user, member in zip(users, members):
        member.user = user
    Member.objects.bulk_create(members, batch_size=1000)
    version = ConsentVersion.objects.order_by("-published_at").first()
    if version is not None:
        Consent.objects.bulk_create(
            [Consent(user=user, version=version, given_at=member.joined_at) for user, member in zip(users, members)],
            batch_size=1000,
        )
    # Fresh planner statistics after a bulk load, so the apps seeded next (and their
    # queries joining members) are planned for thousands of rows, not for an empty table.
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE members_user, members_member, members_organization, members_consent")
