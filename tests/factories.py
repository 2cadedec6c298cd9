"""Small builders for test data that services do not make themselves."""

import itertools
from datetime import date

from members.models import Member, Organization, StaffAssignment, User
from members.rules import card_number_check_character, id_number_check_character

_serial = itertools.count(1)


def make_id_number(division="350502", birth=date(1990, 5, 17)) -> str:
    body = f"{division}{birth:%Y%m%d}{next(_serial) % 1000:03d}"
    return body + id_number_check_character(body)


def make_phone() -> str:
    return f"137{next(_serial):08d}"


def make_user(phone=None, password="a-good-password-1", **fields) -> User:
    return User.objects.create_user(phone or make_phone(), password, **fields)


def make_staff(organization: Organization, role=StaffAssignment.Role.ADMIN, **fields) -> User:
    user = make_user(is_staff=True, **fields)
    StaffAssignment.objects.create(user=user, organization=organization, role=role)
    return user


def make_member(organization: Organization, status=Member.Status.ACTIVE, user=None, **fields) -> Member:
    user = user or make_user(name="测试会员")
    serial = next(_serial)
    body = f"3505{serial:010d}"
    member = Member(
        user=user, organization=organization, name=user.name or "测试会员", birth_date=date(1990, 5, 17),
        sex=Member.Sex.MALE, card_number=body + card_number_check_character(body), status=status,
        worker_category="employee", **fields,
    )
    member.set_id_number(make_id_number())
    member.save()
    return member


def make_tree():
    """city → district A/B → street → enterprise, as a dict of organisations."""
    city = Organization.objects.add_root(dict(kind="city", name="测试市总工会"))
    district_a = Organization.objects.add_child(city, dict(kind="district", name="甲区总工会"))
    district_b = Organization.objects.add_child(city, dict(kind="district", name="乙区总工会"))
    street_a = Organization.objects.add_child(district_a, dict(kind="street", name="甲街道总工会"))
    enterprise_a = Organization.objects.add_child(street_a, dict(kind="enterprise", name="甲企业工会"))
    street_b = Organization.objects.add_child(district_b, dict(kind="street", name="乙街道总工会"))
    enterprise_b = Organization.objects.add_child(street_b, dict(kind="enterprise", name="乙企业工会"))
    return {
        "city": city, "district_a": district_a, "district_b": district_b, "street_a": street_a,
        "enterprise_a": enterprise_a, "street_b": street_b, "enterprise_b": enterprise_b,
    }
