import re

import pytest

from members import services
from members.models import Member, Organization
from unionportal.core.services import api_key_issue

from ..factories import make_member
from .builders import application, new_id_number
from .conftest import client_for

pytestmark = pytest.mark.django_db

REGISTER = "/api/v1/members/register/"
FULL_ID = re.compile(r"\d{17}[\dX]")
FULL_PHONE = re.compile(r"(?<!\d)1[3-9]\d{9}(?!\d)")


def assert_masked(body):
    text = str(body)
    assert not FULL_ID.search(text), text
    assert not FULL_PHONE.search(text), text


def test_register_201_pending_and_masked_me(world, api_client):
    union = world["tree"]["enterprise_a"]
    data = application(union)
    response = api_client.post(REGISTER, data, format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["status"] == "pending" and Member.objects.get(pk=body["id"]).organization == union
    assert_masked(body)
    token = api_client.post("/api/v1/auth/token/", {"phone": data["phone"], "password": data["password"]}).json()
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {token['token']}")
    me = api_client.get("/api/v1/me/").json()
    assert me["id_number"] == data["id_number"][:6] + "********" + data["id_number"][-4:]
    assert me["phone"] == data["phone"][:3] + "****" + data["phone"][-4:]
    assert me["status"] == "pending" and me["organization"]["path"] == ["测试市总工会", "甲区总工会", "甲街道总工会"]
    assert_masked(me)



@pytest.mark.parametrize("verified", [False, True])
def test_me_says_exactly_what_the_documented_serializer_says(world, verified):
    """/me is written directly; the schema documents MeSerializer: both must agree."""
    import json

    from django.utils import timezone

    from members.api import MeSerializer

    extra = {"verified_at": timezone.now(), "model_worker_level": "city", "is_frontline": True} if verified else {}
    member = make_member(world["tree"]["enterprise_a"], **extra)
    me = client_for(member.user).get("/api/v1/me/").json()
    expected = json.loads(json.dumps(MeSerializer(Member.objects.get(pk=member.pk)).data))
    assert me == expected and list(me) == list(expected)
    assert (me["verified_at"] is not None) == verified

def _bad_check_digit():
    good = new_id_number()
    return good[:17] + ("0" if good[17] != "0" else "1")


@pytest.mark.parametrize("field, value, code, message", [
    ("id_number", "bad-check-digit", "check_digit", "校验码"),
    ("id_number", "province", "invalid_id_number", "省份"),
    ("id_number", "future", "invalid_id_number", "出生日期"),
    ("phone", "2345678901", "invalid_phone", "手机号"),
    ("organization", "street", "not_grassroots", "基层工会"),
    ("organization", 999999, "unknown_union", "不存在"),
    ("consent", False, "consent_required", "同意"),
    ("worker_category", "astronaut", "invalid_choice", ""),
])
def test_register_field_errors_are_translated_and_save_nothing(world, api_client, field, value, code, message):
    tree = world["tree"]
    from members.rules import id_number_check_character

    value = {
        "bad-check-digit": _bad_check_digit(),
        "province": "99050319920308123" + id_number_check_character("99050319920308123"),
        "future": "35050320991231123" + id_number_check_character("35050320991231123"),
        "street": tree["street_a"].pk,
    }.get(value, value)
    before = (Member.objects.count(),)
    response = api_client.post(REGISTER, application(tree["enterprise_a"], **{field: value}), format="json",
                               HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert response.status_code == 400, response.json()
    body = response.json()
    assert field in body["fields"] and message in body["fields"][field][0]
    assert (Member.objects.count(),) == before
    english = api_client.post(REGISTER, application(tree["enterprise_a"], **{field: value}), format="json",
                              HTTP_ACCEPT_LANGUAGE="en").json()
    assert english["fields"][field][0].isascii()


def test_register_same_id_twice_is_409_already_registered(world, api_client):
    data = application(world["tree"]["enterprise_a"])
    assert api_client.post(REGISTER, data, format="json").status_code == 201
    again = application(world["tree"]["enterprise_b"], id_number=data["id_number"])
    response = api_client.post(REGISTER, again, format="json")
    assert response.status_code == 409 and response.json()["code"] == "already_registered"


def test_organizations_public_grassroots_only_with_ancestor_search(world, api_client):
    tree = world["tree"]
    Organization.objects.add_child(tree["street_a"], dict(kind="joint", name="快递小哥联合工会"))
    body = api_client.get("/api/v1/organizations/").json()
    names = {row["name"] for row in body["results"]}
    assert names == {"甲企业工会", "乙企业工会", "快递小哥联合工会"}
    found = api_client.get("/api/v1/organizations/", {"q": "甲区"}).json()["results"]
    assert {row["name"] for row in found} == {"甲企业工会", "快递小哥联合工会"}
    assert found[0]["path"] == ["测试市总工会", "甲区总工会", "甲街道总工会"]
    assert {row["name"] for row in api_client.get("/api/v1/organizations/", {"q": "小哥"}).json()["results"]} == {
        "快递小哥联合工会"}
    assert api_client.get("/api/v1/organizations/", {"q": "乙 甲"}).json()["results"] == []
    assert api_client.get("/api/v1/organizations/", {"q": "企区"}).json()["count"] == 0


def test_organization_rename_updates_the_search_of_everything_below(world, api_client):
    district = world["tree"]["district_a"]
    district.name = "丰泽区总工会"
    district.save()
    found = api_client.get("/api/v1/organizations/", {"q": "丰泽"}).json()["results"]
    assert [row["name"] for row in found] == ["甲企业工会"]
    assert found[0]["path"][1] == "丰泽区总工会"


def test_staff_list_filters_search_and_masks(world):
    tree = world["tree"]
    pending = make_member(tree["enterprise_a"], status="pending")
    active = make_member(tree["enterprise_a"])
    make_member(tree["enterprise_b"])
    client = client_for(world["people"]["district_a_staff"])
    body = client.get("/api/v1/members/").json()
    assert body["count"] == 3  # the 'member' person and the two above, all in district A
    assert_masked(body)
    assert [row["id"] for row in client.get("/api/v1/members/", {"status": "pending"}).json()["results"]] == [pending.pk]
    assert client.get("/api/v1/members/", {"q": active.id_number}).json()["results"][0]["id"] == active.pk
    assert client.get("/api/v1/members/", {"q": active.user.phone}).json()["results"][0]["id"] == active.pk
    assert client.get("/api/v1/members/", {"q": active.card_number}).json()["results"][0]["id"] == active.pk
    assert client.get("/api/v1/members/", {"q": active.id_number[:10]}).json()["count"] == 0  # full numbers only
    assert client.get("/api/v1/members/", {"organization": tree["enterprise_b"].pk}).json()["count"] == 0
    assert client.get("/api/v1/members/", {"status": "sleeping"}).status_code == 400
    assert client.get("/api/v1/members/", {"organization": "x"}).status_code == 400
    # "²" passes str.isdigit() but is no number: once a server error.
    assert client.get("/api/v1/members/", {"organization": "²"}).status_code == 400


def test_verify_and_reject_through_the_api(world):
    tree = world["tree"]
    first = make_member(tree["enterprise_a"], status="pending")
    second = make_member(tree["enterprise_a"], status="pending")
    client = client_for(world["people"]["street_staff"])
    response = client.post(f"/api/v1/members/{first.pk}/verify/")
    assert response.status_code == 200 and response.json()["status"] == "active"
    assert response.json()["verified_by"] == "街道审核员"
    assert client.post(f"/api/v1/members/{first.pk}/verify/").json()["code"] == "not_pending"
    missing_reason = client.post(f"/api/v1/members/{second.pk}/reject/", {}, format="json")
    assert missing_reason.status_code == 400 and "reason" in missing_reason.json()["fields"]
    rejected = client.post(f"/api/v1/members/{second.pk}/reject/", {"reason": "不在本单位"}, format="json")
    assert rejected.status_code == 200 and rejected.json()["rejection_reason"] == "不在本单位"


def test_verify_card_for_partners_only(world, partner_key):
    member = make_member(world["tree"]["enterprise_a"])
    token = services.card_token_issue(member)
    body = client_for(key=partner_key).post("/api/v1/members/verify-card/", {"token": token}, format="json").json()
    assert body["valid"] is True and body["status"] == "active" and body["name"].endswith("*")
    assert body["name"][0] == member.name[0] and body["name"] != member.name
    assert_masked(body)
    bad = client_for(key=partner_key).post("/api/v1/members/verify-card/", {"token": "x:y"}, format="json").json()
    assert bad == {"valid": False, "reason": "invalid", "status": None, "name": None, "card_number": None,
                   "organization": None}
    raw, _ = api_key_issue(name="售货机", scopes=["coupons:redeem"])
    assert client_for(key=raw).post("/api/v1/members/verify-card/", {"token": token}, format="json").status_code == 403
    assert client_for(member.user).post("/api/v1/members/verify-card/", {"token": token}, format="json").status_code == 403
    assert client_for().post("/api/v1/members/verify-card/", {"token": token}, format="json").status_code == 401


def test_consent_text_is_public(api_client, db):
    body = api_client.get("/api/v1/members/consent/").json()
    assert body["version"] == "2026-01" and "敏感个人信息" in body["text"]
