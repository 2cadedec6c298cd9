import time
from datetime import date

import pytest
from django.core import signing
from django.contrib.contenttypes.models import ContentType

from members import services
from members.models import Consent, Member, MemberTransfer, Organization, PersonalDataAccess, StaffAssignment, User
from unionportal.core.errors import DomainError
from unionportal.core.models import AuditLog, Notification

from ..factories import make_member, make_staff, make_tree
from .builders import application, new_id_number

pytestmark = pytest.mark.django_db


@pytest.fixture
def tree():
    return make_tree()


def register(union, **overrides):
    data = application(union, **overrides)
    return services.member_register(services.Application(
        name=data["name"], id_number=data["id_number"], phone=data["phone"], password=data["password"],
        organization_id=data["organization"], worker_category=data["worker_category"],
        is_frontline=data["is_frontline"], consent=data["consent"],
    ), today=date(2026, 11, 23))


def audit_actions(member):
    return list(AuditLog.objects.filter(
        content_type=ContentType.objects.get_for_model(Member), object_id=str(member.pk)).values_list("action", flat=True))


def test_register_makes_a_pending_member_with_consent_audit_and_notification(tree):
    member = register(tree["enterprise_a"], id_number=new_id_number(birth=date(1988, 12, 31)))
    assert member.status == "pending" and member.birth_date == date(1988, 12, 31)
    assert member.card_number.startswith("3505") and len(member.card_number) == 15
    consent = Consent.objects.get(user=member.user)
    assert consent.version.version == "2026-01" and consent.withdrawn_at is None
    assert audit_actions(member) == ["member_registered"]
    note = Notification.objects.get(user=member.user)
    assert note.event == "member_registered" and "甲企业工会" in note.body
    assert User.objects.get_by_phone(member.user.phone).check_password("rider-pass-2026")


@pytest.mark.parametrize("overrides, code, field", [
    ({"organization": "street_a"}, "not_grassroots", "organization"),
    ({"consent": False}, "consent_required", "consent"),
    ({"phone": "1234"}, "invalid_phone", "phone"),
    ({"worker_category": "astronaut"}, "invalid_worker_category", "worker_category"),
    ({"password": "123"}, "invalid_password", "password"),
    ({"name": " "}, "invalid_name", "name"),
])
def test_register_refuses_bad_input_and_saves_nothing(tree, overrides, code, field):
    overrides = dict(overrides)
    if overrides.get("organization"):
        overrides["organization"] = tree[overrides["organization"]].pk
    before = (User.objects.count(), Member.objects.count(), Consent.objects.count())
    with pytest.raises(DomainError) as caught:
        register(tree["enterprise_a"], **overrides)
    assert (caught.value.code, caught.value.field) == (code, field)
    assert (User.objects.count(), Member.objects.count(), Consent.objects.count()) == before


def test_same_id_number_twice_is_already_registered(tree):
    first = register(tree["enterprise_a"])
    with pytest.raises(DomainError) as caught:
        register(tree["enterprise_b"], id_number=first.id_number.lower())
    assert caught.value.code == "already_registered" and caught.value.status == 409
    assert Member.objects.count() == 1


def test_verify_records_verifier_and_time_and_refuses_out_of_tree(tree):
    member = register(tree["enterprise_a"])
    outsider = make_staff(tree["district_b"])
    with pytest.raises(DomainError) as caught:
        services.member_verify(actor=outsider, member=member)
    assert caught.value.status == 404
    viewer = make_staff(tree["street_a"], role=StaffAssignment.Role.VIEWER)
    with pytest.raises(DomainError) as caught:
        services.member_verify(actor=viewer, member=member)
    assert caught.value.status == 403
    member.refresh_from_db()
    assert member.status == "pending"
    reviewer = make_staff(tree["street_a"], role=StaffAssignment.Role.REVIEWER)
    member = services.member_verify(actor=reviewer, member=member)
    assert member.status == "active" and member.verified_by == reviewer and member.verified_at is not None
    assert Notification.objects.filter(user=member.user, event="member_verified").exists()
    with pytest.raises(DomainError) as caught:
        services.member_verify(actor=reviewer, member=member)
    assert caught.value.code == "not_pending"


def test_reject_needs_a_reason_that_the_applicant_sees(tree):
    member = register(tree["enterprise_a"])
    staff = make_staff(tree["enterprise_a"])
    with pytest.raises(DomainError):
        services.member_reject(actor=staff, member=member, reason="  ")
    member = services.member_reject(actor=staff, member=member, reason="身份信息与单位花名册不符")
    assert member.status == "rejected"
    assert "花名册不符" in Notification.objects.get(user=member.user, event="member_rejected").body


def test_transfer_keeps_history_and_goes_pending_outside_the_actors_tree(tree):
    member = make_member(tree["enterprise_a"])
    inside = Organization.objects.add_child(tree["street_a"], dict(kind="joint", name="甲联合工会"))
    street = make_staff(tree["street_a"])
    services.member_transfer(actor=street, member=member, to_organization=inside, reason="换工作")
    member.refresh_from_db()
    assert member.organization == inside and member.status == "active"
    services.member_transfer(actor=street, member=member, to_organization=tree["enterprise_b"])
    member.refresh_from_db()
    assert member.organization == tree["enterprise_b"] and member.status == "pending"
    history = list(MemberTransfer.objects.filter(member=member).order_by("transferred_at").values_list(
        "from_organization__name", "to_organization__name"))
    assert history == [("甲企业工会", "甲联合工会"), ("甲联合工会", "乙企业工会")]
    with pytest.raises(DomainError) as caught:
        services.member_transfer(actor=street, member=member, to_organization=tree["enterprise_a"])
    assert caught.value.status == 404  # the member is now outside the street's tree
    with pytest.raises(DomainError) as caught:
        services.member_transfer(actor=make_staff(tree["city"]), member=member, to_organization=tree["street_b"])
    assert caught.value.code == "not_grassroots"


def test_staff_set_attributes_are_audited_with_old_and_new_values(tree):
    member = make_member(tree["enterprise_a"])
    staff = make_staff(tree["district_a"])
    services.member_set_attributes(actor=staff, member=member, model_worker_level="city", has_hardship_file=True)
    row = AuditLog.objects.get(action="member_attributes_set", object_id=str(member.pk))
    assert row.changes == {"model_worker_level": ["", "city"], "has_hardship_file": [False, True]}
    assert Notification.objects.filter(user=member.user, event="member_attributes_set").exists()
    with pytest.raises(DomainError):
        services.member_set_attributes(actor=staff, member=member, status="active")
    with pytest.raises(DomainError):
        services.member_set_attributes(actor=staff, member=member, model_worker_level="galactic")


def test_leave_by_staff_and_by_the_member(tree):
    member = make_member(tree["enterprise_a"])
    services.member_leave(actor=member.user, member=member)
    member.refresh_from_db()
    assert member.status == "left" and member.left_at is not None
    assert "member_left" in audit_actions(member)


def test_phone_change_needs_the_password_and_a_free_number(tree):
    member = make_member(tree["enterprise_a"])
    other = make_member(tree["enterprise_a"])
    with pytest.raises(DomainError) as caught:
        services.member_phone_change(user=member.user, password="wrong", new_phone="13912345678")
    assert caught.value.code == "wrong_password"
    with pytest.raises(DomainError) as caught:
        services.member_phone_change(user=member.user, password="a-good-password-1", new_phone=other.user.phone)
    assert caught.value.code == "phone_taken"
    services.member_phone_change(user=member.user, password="a-good-password-1", new_phone="139 1234 5678")
    assert User.objects.get_by_phone("13912345678").pk == member.user_id


def test_reveal_needs_the_permission_and_writes_the_access_log(tree):
    member = make_member(tree["enterprise_a"])
    staff = make_staff(tree["street_a"])
    with pytest.raises(DomainError) as caught:
        services.member_personal_data_reveal(actor=staff, member=member, field="id_number")
    assert caught.value.status == 403
    StaffAssignment.objects.filter(user=staff).update(can_reveal_personal_data=True)
    assert services.member_personal_data_reveal(actor=staff, member=member, field="phone") == member.user.phone
    log = PersonalDataAccess.objects.get()
    assert (log.staff, log.member, log.field) == (staff, member, "phone")
    outsider = make_staff(tree["district_b"])
    StaffAssignment.objects.filter(user=outsider).update(can_reveal_personal_data=True)
    with pytest.raises(DomainError) as caught:
        services.member_personal_data_reveal(actor=outsider, member=member, field="phone")
    assert caught.value.status == 404 and PersonalDataAccess.objects.count() == 1


def test_erasure_anonymises_the_person_and_keeps_only_a_bare_audit_row(tree):
    member = register(tree["enterprise_a"], name="蔡美玲")
    staff = make_staff(tree["enterprise_a"])
    from django.contrib.admin.models import CHANGE, LogEntry

    LogEntry.objects.log_actions(user_id=staff.pk, queryset=[member], action_flag=CHANGE, change_message="x")
    services.member_reject(actor=staff, member=member, reason="蔡美玲 资料不全")
    id_number, phone = member.id_number, member.user.phone
    with pytest.raises(DomainError):
        services.member_erase(user=member.user, password="nope")
    services.member_erase(user=member.user, password="rider-pass-2026")
    member = Member.objects.select_related("user").get(pk=member.pk)
    assert member.name != "蔡美玲" and member.id_number == "" and member.user.phone == ""
    assert member.status == "left" and member.erased_at and not member.user.is_active
    assert member.birth_date.month == 1 and member.birth_date.day == 1
    assert not Notification.objects.filter(user=member.user).exists()
    assert Consent.objects.get(user=member.user).withdrawn_at is not None
    rows = AuditLog.objects.filter(object_id=str(member.pk), content_type=ContentType.objects.get_for_model(Member))
    assert "member_erased" in [row.action for row in rows]
    text = str([row.changes for row in rows])
    assert "蔡美玲" not in text and id_number not in text and phone not in text
    assert "蔡美玲" not in LogEntry.objects.get(object_id=str(member.pk)).object_repr
    # the ID number and the phone are free again
    again = register(tree["enterprise_a"], id_number=id_number, phone=phone)
    assert again.pk != member.pk


def test_card_token_round_trip_and_expiry(tree, settings):
    member = make_member(tree["enterprise_a"])
    token = services.card_token_issue(member)
    check = services.card_token_check(token)
    assert check.valid and check.member == member
    assert services.card_token_check(token + "x").reason == "invalid"
    assert services.card_token_check("").reason == "invalid"
    class TenMinutesAgo(signing.TimestampSigner):
        def timestamp(self):
            return signing.b62_encode(int(time.time()) - 600)

    old = TenMinutesAgo(salt=services.CARD_TOKEN_SALT).sign(f"{member.pk}:{member.card_number}")
    assert services.card_token_check(old).reason == "expired"
    forged = signing.TimestampSigner(salt="another").sign(f"{member.pk}:{member.card_number}")
    assert services.card_token_check(forged).reason == "invalid"
