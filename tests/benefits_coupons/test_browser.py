"""A worker on a 360 px phone claims a coupon and finds it in "my coupons" (screenshots)."""

from decimal import Decimal

import pytest

from benefits.models import Coupon
from benefits import coupon_rules as rules
from tests.factories import make_member, make_tree, make_user

from ..support.browser import ARTIFACTS
from .builders import make_batch, make_merchant, make_open_campaign


@pytest.fixture
def phone(page):
    return page


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_worker_claims_a_coupon_on_a_phone(phone, live_server):
    tree = make_tree()
    campaign = make_open_campaign(tree["city"], per_member_limit=2)
    make_batch(campaign, kind="movie", title="观影券", face_value=Decimal("40.00"), quantity=40)
    machine = make_merchant(tree["city"], name="清凉饮料机", accepted_kinds=["cooling_drink"], is_vending_machine=True)
    make_batch(campaign, kind="cooling_drink", title="清凉饮品", face_value=Decimal("5.00"), quantity=100,
               merchants=[machine])
    make_batch(campaign, kind="convalescence", title="疗休养", face_value=Decimal("500.00"), quantity=3, mode="lottery")
    user = make_user(phone="13812345678", name="林志明")
    member = make_member(tree["enterprise_a"], user=user)

    phone.goto(live_server.url + "/coupons/")
    phone.fill("#id_username", "13812345678")
    phone.fill("#id_password", "a-good-password-1")
    phone.click("button.primary")
    phone.wait_for_url("**/coupons/")
    body = phone.inner_text("main")
    assert "月满中秋，好券相伴" in body and "剩余 40 / 40 张" in body and "报名抽签" in body
    phone.screenshot(path=str(ARTIFACTS / "coupons-open-360.png"), full_page=True)

    phone.click("li.batch:has-text('观影券') button:has-text('领取')")
    phone.wait_for_url("**/coupons/mine/**")
    coupon = Coupon.objects.get(member=member)
    wallet = phone.inner_text("main")
    assert "领取成功" in phone.inner_text("body") and rules.format_code(coupon.code) in wallet and "未使用" in wallet
    assert phone.locator(f"#coupon-{coupon.pk} .qr svg").is_visible()
    # Nothing sticks out sideways on a 360 px screen.
    assert phone.evaluate("document.documentElement.scrollWidth") <= 360
    phone.screenshot(path=str(ARTIFACTS / "coupons-mine-360.png"), full_page=True)

    phone.click("a:has-text('领更多福利券')")
    phone.click("li.batch:has-text('清凉饮品') button:has-text('领取')")
    phone.wait_for_url("**/coupons/mine/**")
    drink = Coupon.objects.get(member=member, batch__kind="cooling_drink")
    assert drink.pickup_code in phone.inner_text("main")
    phone.screenshot(path=str(ARTIFACTS / "coupons-pickup-360.png"), full_page=True)

    phone.goto(live_server.url + "/coupons/")
    assert "剩余 39 / 40 张" in phone.inner_text("main") and "已领取" in phone.inner_text("main")
    assert "已达活动限领数" in phone.inner_text("main")  # two coupons: the campaign's limit
    phone.screenshot(path=str(ARTIFACTS / "coupons-after-360.png"), full_page=True)
    assert phone.failed_requests == []


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_staff_follow_a_campaign_in_the_back_office(phone, live_server):
    from benefits import coupon_services as services
    from benefits.models import CouponBatch
    from tests.factories import make_staff

    tree = make_tree()
    campaign = make_open_campaign(tree["district_a"])
    make_batch(campaign, kind="movie", title="观影券", face_value=Decimal("40.00"), quantity=40)
    make_batch(campaign, kind="meal", title="餐饮券", face_value=Decimal("50.00"), quantity=20)
    cinema = make_merchant(tree["district_a"])
    movie = CouponBatch.objects.select_related("campaign__organization").get(kind="movie")
    for index in range(6):
        coupon = services.coupon_claim(member=make_member(tree["enterprise_a"]), batch=movie)
        if index % 2:
            services.coupon_redeem(merchant=cinema, code=coupon.code, idempotency_key=f"k{index}")
    staff = make_staff(tree["district_a"], phone="13812340000")

    phone.set_viewport_size({"width": 1024, "height": 900})
    phone.goto(live_server.url + "/admin/login/")
    phone.fill("#id_username", staff.phone)
    phone.fill("#id_password", "a-good-password-1")
    phone.click("input[type=submit], button[type=submit]")
    phone.goto(live_server.url + f"/admin/benefits/campaign/{campaign.pk}/change/")
    body = phone.inner_text("#content")
    assert "每日领取与核销" in body and "观影券" in body and "餐饮券" in body
    assert phone.locator("svg rect").count() == 2
    phone.screenshot(path=str(ARTIFACTS / "coupons-admin-campaign.png"), full_page=True)
    phone.goto(live_server.url + "/admin/benefits/couponbatch/")
    assert "240.00 / 120.00" in phone.inner_text("#content")  # 6 claimed, 3 used, at 40 CNY
    phone.screenshot(path=str(ARTIFACTS / "coupons-admin-batches.png"), full_page=True)
