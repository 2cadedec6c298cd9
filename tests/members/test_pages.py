import json

import pytest
from django.test import Client

from members import services
from members.models import Member, User

from ..factories import make_member
from .builders import application

pytestmark = pytest.mark.django_db


def join_data(union, **overrides):
    data = application(union, **overrides)
    data["consent"] = "on" if data.pop("consent") else ""
    data["is_frontline"] = "on"
    data["action"] = "join"
    return data


def test_join_page_in_chinese_searches_unions_without_javascript(world):
    client = Client()
    page = client.get("/join/").content.decode()
    assert "申请入会" in page and "敏感个人信息处理授权书" in page and 'name="consent"' in page
    data = join_data(world["tree"]["enterprise_a"]) | {"action": "search", "union_query": "甲区"}
    found = client.post("/join/", data).content.decode()
    assert "甲企业工会" in found and "乙企业工会" not in found
    assert "测试市总工会 / 甲区总工会 / 甲街道总工会" in found
    assert Member.objects.count() == 1  # only the world's member: searching saves nothing


def test_join_shows_field_errors_in_chinese_and_keeps_the_chosen_union(world):
    client = Client()
    union = world["tree"]["enterprise_a"]
    data = join_data(union, phone="12345")
    data["consent"] = ""
    page = client.post("/join/", data).content.decode()
    assert "请输入以1开头的11位手机号码" in page
    data = join_data(union)
    data["consent"] = ""
    page = client.post("/join/", data).content.decode()
    assert "入会须同意处理您的敏感个人信息" in page
    assert f'value="{union.pk}" checked' in page
    data = join_data(world["tree"]["street_a"])
    page = client.post("/join/", data).content.decode()
    assert "请选择基层工会" in page
    data["organization"] = "²"  # looks like a digit, is not a number
    assert client.post("/join/", data).status_code == 200  # the form again, not a server error
    assert Member.objects.count() == 1


def test_join_logs_in_and_shows_the_pending_card(world):
    client = Client()
    data = join_data(world["tree"]["enterprise_a"])
    response = client.post("/join/", data)
    assert response.status_code == 302 and response["Location"] == "/card/"
    card = client.get("/card/").content.decode()
    member = Member.objects.get(user=User.objects.get_by_phone(data["phone"]))
    assert member.status == "pending" and member.is_frontline
    assert "待审核" in card and member.card_number in card and "<svg" not in card
    assert client.get("/card/qr/").status_code == 404
    assert client.get("/join/").status_code == 302  # a member does not join twice


def test_active_card_carries_a_signed_token_that_partners_can_check(world):
    member = make_member(world["tree"]["enterprise_a"])
    client = Client()
    client.force_login(member.user)
    page = client.get("/card/").content.decode()
    assert "<svg" in page and member.name in page and "甲企业工会" in page
    fresh = client.get("/card/qr/").json()
    assert fresh["svg"].startswith("<svg") and fresh["valid_seconds"] == services.CARD_TOKEN_MAX_AGE


def test_card_requires_login(db):
    response = Client().get("/card/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


def test_my_data_download_phone_change_and_erasure(world):
    member = make_member(world["tree"]["enterprise_a"])
    client = Client()
    client.force_login(member.user)
    page = client.get("/my-data/").content.decode()
    assert member.masked_id_number in page and member.id_number not in page and member.user.phone not in page
    download = client.get("/my-data/download/")
    data = json.loads(download.content)
    assert download["Content-Disposition"].startswith("attachment")
    assert data["id_number"] == member.id_number and data["card_number"] == member.card_number
    wrong = client.post("/my-data/", {"action": "phone", "phone-new_phone": "13911112222", "phone-password": "x"})
    assert "密码不正确" in wrong.content.decode()
    client.post("/my-data/", {"action": "phone", "phone-new_phone": "13911112222", "phone-password": "a-good-password-1"})
    assert User.objects.get_by_phone("13911112222").pk == member.user_id
    assert client.get("/my-data/").status_code == 200  # still logged in after the change
    refused = client.post("/my-data/", {"action": "erase", "erase-password": "a-good-password-1"})
    assert refused.status_code == 200 and Member.objects.get(pk=member.pk).erased_at is None
    done = client.post("/my-data/", {"action": "erase", "erase-password": "a-good-password-1", "erase-confirm": "on"})
    assert done.status_code == 302
    member.refresh_from_db()
    assert member.erased_at is not None and member.status == "left"
    assert client.get("/card/").status_code == 302  # logged out
