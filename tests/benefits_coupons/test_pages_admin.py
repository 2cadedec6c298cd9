"""Mobile pages, the back office and the demo data."""

from decimal import Decimal
from io import BytesIO, StringIO

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from benefits.models import Campaign, Coupon, CouponBatch, Merchant
from members.models import Member, StaffAssignment
from tests.factories import make_member, make_staff, make_tree, make_user
from unionportal.core.models import AuditLog

from .builders import make_batch, make_merchant, make_open_campaign

pytestmark = pytest.mark.django_db


@pytest.fixture
def tree():
    return make_tree()


@pytest.fixture
def campaign(tree):
    campaign = make_open_campaign(tree["district_a"])
    make_batch(campaign, kind="movie", quantity=10)
    make_batch(campaign, kind="convalescence", face_value=Decimal("500.00"), quantity=2, mode="lottery")
    return campaign


# --- pages --------------------------------------------------------------------------------------

def test_coupon_page_claims_and_shows_the_wallet(client, tree, campaign):
    member = make_member(tree["enterprise_a"])
    client.force_login(member.user)
    page = client.get(reverse("benefits:coupons"))
    assert page.status_code == 200
    body = page.content.decode()
    assert "月满中秋，好券相伴" in body and "剩余 10 / 10 张" in body and "领取" in body
    movie = campaign.batches.get(kind="movie")
    claimed = client.post(reverse("benefits:coupon-claim", args=[movie.pk]), follow=True)
    coupon = Coupon.objects.get(member=member)
    wallet = claimed.content.decode()
    assert "<svg" in wallet and coupon.code[:4] in wallet and "未使用" in wallet
    again = client.get(reverse("benefits:coupons")).content.decode()
    assert "剩余 9 / 10 张" in again and "已领取" in again


def test_page_claim_errors_become_messages(client, tree, campaign):
    member = make_member(tree["enterprise_a"], status=Member.Status.PENDING)
    client.force_login(member.user)
    movie = campaign.batches.get(kind="movie")
    page = client.get(reverse("benefits:coupons")).content.decode()
    assert "会员身份尚未审核" in page and "不符合条件" in page
    response = client.post(reverse("benefits:coupon-claim", args=[movie.pk]), follow=True)
    assert response.status_code == 200 and "会员身份尚未审核" in response.content.decode()
    assert not Coupon.objects.exists()


def test_pages_need_login_and_membership(client, tree, campaign):
    assert client.get(reverse("benefits:coupons")).status_code == 302
    client.force_login(make_user())
    response = client.get(reverse("benefits:coupons"))
    assert response.status_code == 302
    # Another district's batch is not there for this member.
    outsider = make_member(tree["enterprise_b"])
    client.force_login(outsider.user)
    movie = campaign.batches.get(kind="movie")
    assert client.post(reverse("benefits:coupon-claim", args=[movie.pk])).status_code == 404
    assert "月满中秋" not in client.get(reverse("benefits:coupons")).content.decode()


# --- back office --------------------------------------------------------------------------------

def test_admin_lists_are_scoped(client, tree, campaign):
    other = make_open_campaign(tree["district_b"], title="乙区活动")
    client.force_login(make_staff(tree["district_a"]))
    listing = client.get(reverse("admin:benefits_campaign_changelist")).content.decode()
    assert "月满中秋" in listing and "乙区活动" not in listing
    assert client.get(reverse("admin:benefits_campaign_change", args=[other.pk])).status_code == 302  # "does not exist"
    page = client.get(reverse("admin:benefits_campaign_change", args=[campaign.pk]))
    assert page.status_code == 200
    for url in ("admin:benefits_couponbatch_changelist", "admin:benefits_coupon_changelist",
                "admin:benefits_merchant_changelist", "admin:benefits_redemption_changelist",
                "admin:benefits_lotterydraw_changelist", "admin:benefits_couponbatch_add",
                "admin:benefits_campaign_add", "admin:benefits_merchant_add"):
        assert client.get(reverse(url)).status_code == 200, url


def test_admin_batch_add_respects_the_budget(client, tree, campaign):
    client.force_login(make_staff(tree["district_a"]))
    data = {"campaign": campaign.pk, "kind": "meal", "title": "", "face_value": "500.00", "quantity": "1000",
            "per_member_limit": "1", "mode": "first_come"}
    response = client.post(reverse("admin:benefits_couponbatch_add"), data)
    assert response.status_code == 200 and "预算" in response.content.decode()
    assert campaign.batches.count() == 2
    data["quantity"] = "10"
    response = client.post(reverse("admin:benefits_couponbatch_add"), data)
    assert response.status_code == 302
    assert campaign.batches.count() == 3
    assert AuditLog.objects.filter(action="coupon_batch_created").count() == 3


def test_admin_void_action_and_export(client, tree, campaign):
    from benefits import coupon_services as services

    movie = CouponBatch.objects.select_related("campaign__organization").get(campaign=campaign, kind="movie")
    coupon = services.coupon_claim(member=make_member(tree["enterprise_a"]), batch=movie)
    client.force_login(make_staff(tree["district_a"]))
    changelist = reverse("admin:benefits_coupon_changelist")
    client.post(changelist, {"action": "void_coupons", "_selected_action": [coupon.pk], "reason": ""})
    coupon.refresh_from_db()
    assert coupon.status == "issued"
    client.post(changelist, {"action": "void_coupons", "_selected_action": [coupon.pk], "reason": "工会核查：非本人领取"})
    coupon.refresh_from_db()
    assert (coupon.status, coupon.void_reason) == ("void", "工会核查：非本人领取")
    export = client.post(reverse("admin:benefits_couponbatch_changelist"),
                         {"action": "export_stats", "_selected_action": [movie.pk]})
    from openpyxl import load_workbook

    sheet = load_workbook(BytesIO(export.content)).active
    rows = list(sheet.values)
    assert rows[1][0] == campaign.title and rows[1][3] == 10 and rows[1][4] == 1  # quantity, claimed


def test_select_all_voids_every_unused_coupon_of_the_filtered_list(client, tree, campaign):
    from benefits import coupon_services as services

    movie = CouponBatch.objects.select_related("campaign__organization").get(campaign=campaign, kind="movie")
    coupons = [services.coupon_claim(member=make_member(tree["enterprise_a"]), batch=movie) for _ in range(3)]
    client.force_login(make_staff(tree["district_a"]))
    changelist = reverse("admin:benefits_coupon_changelist")
    answer = client.post(changelist + "?status__exact=issued", {
        "action": "void_coupons", "_selected_action": [coupons[0].pk], "select_across": "1", "reason": "商家退出"},
        follow=True)
    assert "已作废 3 张福利券" in answer.content.decode()
    assert set(Coupon.objects.filter(batch=movie).values_list("status", flat=True)) == {"void"}


def test_viewer_cannot_void(client, tree, campaign):
    from benefits import coupon_services as services

    movie = CouponBatch.objects.select_related("campaign__organization").get(campaign=campaign, kind="movie")
    coupon = services.coupon_claim(member=make_member(tree["enterprise_a"]), batch=movie)
    client.force_login(make_staff(tree["district_a"], role=StaffAssignment.Role.VIEWER))
    client.post(reverse("admin:benefits_coupon_changelist"),
                {"action": "void_coupons", "_selected_action": [coupon.pk], "reason": "x"})
    coupon.refresh_from_db()
    assert coupon.status == "issued"


# --- demo ---------------------------------------------------------------------------------------

def test_demo_has_both_campaigns_and_is_idempotent(demo):
    mid_autumn = Campaign.objects.get(title="月满中秋，好券相伴")
    quantities = dict(mid_autumn.batches.values_list("kind", "quantity"))
    assert quantities == {"movie": 5000, "swimming": 2000, "convalescence": 300, "meal": 1000, "health_check": 120}
    total = sum(b.face_value * b.quantity for b in mid_autumn.batches.all())
    assert total > Decimal("350000") and total <= mid_autumn.budget
    summer = Campaign.objects.get(title="智送清凉")
    assert summer.frontline_only and summer.batches.get().issues_pickup_codes
    assert Merchant.objects.filter(is_vending_machine=True).exists()
    assert Coupon.objects.count() == 1
    counts = (Campaign.objects.count(), CouponBatch.objects.count(), Merchant.objects.count(), Coupon.objects.count())
    call_command("seed_demo", stdout=StringIO())
    assert (Campaign.objects.count(), CouponBatch.objects.count(), Merchant.objects.count(),
            Coupon.objects.count()) == counts


# --- the merchant's counter -------------------------------------------------------------------

def test_counter_pairs_with_a_merchant_key_and_redeems_once(client, tree, campaign):
    from benefits import coupon_services as services
    from unionportal.core.services import api_key_issue

    cinema = make_merchant(tree["district_a"])
    raw, _key = api_key_issue(name="影城柜台", scopes=["coupons:redeem"], merchant=cinema)
    wrong_scope, _ = api_key_issue(name="驿站", scopes=["stations:read"], merchant=cinema)
    movie = CouponBatch.objects.select_related("campaign__organization").get(campaign=campaign, kind="movie")
    coupon = services.coupon_claim(member=make_member(tree["enterprise_a"]), batch=movie)
    url = reverse("benefits:coupon-counter")

    page = client.post(url, {"action": "pair", "api_key": wrong_scope}, follow=True).content.decode()
    assert "商户密钥" in page and "核销" in page and 'name="code"' not in page
    page = client.post(url, {"action": "pair", "api_key": raw}, follow=True).content.decode()
    assert "万达影城" in page and 'name="code"' in page

    form = {"code": coupon.code.lower(), "idempotency_key": "form-1"}
    first = client.post(url, form).content.decode()
    assert "核销成功" in first and "¥50.00" in first
    repeat = client.post(url, form).content.decode()  # the same form sent twice
    assert "核销成功" in repeat
    assert coupon.redemptions.count() == 1
    again = client.post(url, {"code": coupon.code, "idempotency_key": "form-2"}).content.decode()
    assert "未核销" in again and "已被使用" in again

    for attempt in range(5):
        client.post(url, {"code": "00000000", "idempotency_key": f"guess-{attempt}"})
    blocked = client.post(url, {"code": coupon.code, "idempotency_key": "guess-6"}).content.decode()
    assert "错误" in blocked


def test_counter_without_pairing_shows_the_pairing_form(client):
    page = client.get(reverse("benefits:coupon-counter"))
    assert page.status_code == 200 and 'name="api_key"' in page.content.decode()


def test_campaign_page_charts_activity_and_exports_all_batches(client, tree, campaign):
    from benefits import coupon_services as services

    movie = CouponBatch.objects.select_related("campaign__organization").get(campaign=campaign, kind="movie")
    coupon = services.coupon_claim(member=make_member(tree["enterprise_a"]), batch=movie)
    cinema = make_merchant(tree["district_a"])
    services.coupon_redeem(merchant=cinema, code=coupon.code, idempotency_key="chart")
    client.force_login(make_staff(tree["district_a"]))
    page = client.get(reverse("admin:benefits_campaign_change", args=[campaign.pk])).content.decode()
    assert page.count("<rect") == 2 and "已领取 1" in page and "已使用 1" in page
    listing = client.get(reverse("admin:benefits_campaign_changelist")).content.decode()
    assert "1 (50.00)" in listing
    export = client.post(reverse("admin:benefits_campaign_changelist"),
                         {"action": "export_stats", "_selected_action": [campaign.pk]})
    from openpyxl import load_workbook

    rows = list(load_workbook(BytesIO(export.content)).active.values)
    assert len(rows) == 3 and {row[1] for row in rows[1:]} == {"观影", "疗休养"}


def test_admin_campaign_add_goes_through_the_service(client, tree):
    client.force_login(make_staff(tree["district_a"]))
    data = {
        "organization": tree["district_a"].pk, "title": "智送清凉", "description": "", "budget": "75000.00",
        "claim_starts_at_0": "2026-07-01", "claim_starts_at_1": "10:00:00",
        "claim_ends_at_0": "2026-06-30", "claim_ends_at_1": "10:00:00",
        "use_ends_at_0": "2026-10-31", "use_ends_at_1": "23:59:59", "per_member_limit": "2",
        "worker_categories": ["delivery_rider", "courier"], "frontline_only": "on",
        "batches-TOTAL_FORMS": "0", "batches-INITIAL_FORMS": "0",
    }
    refused = client.post(reverse("admin:benefits_campaign_add"), data)
    assert refused.status_code == 200 and "领取截止时间必须晚于开始时间" in refused.content.decode()
    data.update({"claim_ends_at_0": "2026-07-31"})
    data["organization"] = tree["district_b"].pk  # another district: not a choice
    assert client.post(reverse("admin:benefits_campaign_add"), data).status_code == 200
    data["organization"] = tree["district_a"].pk
    assert client.post(reverse("admin:benefits_campaign_add"), data).status_code == 302
    campaign = Campaign.objects.get(title="智送清凉")
    assert campaign.worker_categories == ["delivery_rider", "courier"] and campaign.frontline_only
    assert AuditLog.objects.filter(action="coupon_campaign_created", object_id=str(campaign.pk)).exists()


def test_admin_finds_a_coupon_by_its_printed_code(client, tree, campaign):
    from benefits import coupon_rules as rules
    from benefits import coupon_services as services

    movie = CouponBatch.objects.select_related("campaign__organization").get(campaign=campaign, kind="movie")
    coupon = services.coupon_claim(member=make_member(tree["enterprise_a"]), batch=movie)
    other = services.coupon_claim(member=make_member(tree["enterprise_a"]), batch=movie)
    client.force_login(make_staff(tree["district_a"]))
    with CaptureQueriesContext(connection) as queries:
        page = client.get(reverse("admin:benefits_coupon_changelist"), {"q": rules.format_code(coupon.code).lower()})
    assert not [q["sql"] for q in queries if "UPPER(" in q["sql"]]  # an equality the code's index answers
    body = page.content.decode()
    link = reverse("admin:benefits_coupon_change", args=[coupon.pk])
    assert link in body and reverse("admin:benefits_coupon_change", args=[other.pk]) not in body
    client.force_login(make_staff(tree["district_b"]))
    assert link not in client.get(reverse("admin:benefits_coupon_changelist"), {"q": coupon.code}).content.decode()


def test_wallet_shows_lottery_applications_and_their_outcome(client, tree, campaign):
    from benefits import coupon_services as services

    member = make_member(tree["enterprise_a"])
    client.force_login(member.user)
    lottery = campaign.batches.get(kind="convalescence")
    client.post(reverse("benefits:coupon-claim", args=[lottery.pk]))
    page = client.get(reverse("benefits:my-coupons")).content.decode()
    assert "抽签报名" in page and "等待抽签" in page
    services.lottery_draw(batch_id=lottery.pk, now=campaign.claim_ends_at)
    page = client.get(reverse("benefits:my-coupons")).content.decode()
    assert "已中签" in page and "疗休养" in page and "<svg" in page
