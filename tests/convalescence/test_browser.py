"""A worker confirms a nomination on a phone-sized page (headless Chromium, 360 px, Chinese)."""

from datetime import timedelta

import pytest
from django.utils import timezone

from convalescence import services
from convalescence.models import Nomination, NominationStatus
from tests.support.browser import ARTIFACTS, text_lines
from tests.factories import make_member, make_staff, make_tree, make_user

from .builders import make_base, make_program


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_member_confirms_a_nomination_on_the_phone(page, live_server):
    tree = make_tree()
    city_staff = make_staff(tree["city"])
    now = timezone.now()
    base = make_base(tree["city"], name="泉州海丝文化疗休养基地")
    session = services.session_create(
        actor=city_staff, program=make_program(base, name="海丝文化五日游"), organising_union=tree["city"],
        starts_on=timezone.localdate() + timedelta(days=20), seats=30,
        nomination_opens_at=now - timedelta(days=1), nomination_closes_at=now + timedelta(days=3),
        confirmation_deadline=now + timedelta(days=7),
    )
    user = make_user(phone="13712345678", password="a-good-password-1", name="陈建华")
    member = make_member(tree["enterprise_a"], user=user, is_frontline=True)
    nomination = services.nomination_create(actor=make_staff(tree["enterprise_a"]), session=session, member=member)
    services.nomination_approve(actor=city_staff, nomination=nomination)

    page.goto(live_server.url + "/convalescence/")
    page.fill("#id_username", "13712345678")
    page.fill("#id_password", "a-good-password-1")
    page.click("button.primary")
    page.wait_for_url("**/convalescence/")
    body = page.inner_text("main")
    assert "我的疗休养" in body and "泉州海丝文化疗休养基地" in body and "已审批，待确认" in body
    assert "剩余" in body
    page.screenshot(path=str(ARTIFACTS / "convalescence-trips-360.png"), full_page=True)
    # nothing is wider than the phone
    assert page.evaluate("document.documentElement.scrollWidth") <= 360

    button = page.locator(f"#trip-{nomination.pk} button.primary")
    assert button.inner_text() == "确认参加"
    assert button.bounding_box()["height"] >= 44  # a thumb-sized tap target
    button.click()
    page.wait_for_load_state()
    assert "已确认，期待与您相见！" in page.inner_text("body")
    assert "已确认" in page.inner_text(f"#trip-{nomination.pk}")
    page.screenshot(path=str(ARTIFACTS / "convalescence-confirmed-360.png"), full_page=True)

    page.click(f"#trip-{nomination.pk} a.title")
    page.wait_for_load_state()
    assert "行程安排" in page.inner_text("main")
    page.screenshot(path=str(ARTIFACTS / "convalescence-session-360.png"), full_page=True)
    assert page.failed_requests == []

    nomination.refresh_from_db()
    assert nomination.status == NominationStatus.CONFIRMED
    assert Nomination.objects.get(pk=nomination.pk).session.confirmed_count == 1


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_staff_read_the_yearly_report_with_its_chart(page, live_server):
    from io import StringIO

    from convalescence import demo as convalescence_demo
    from members import demo as members_demo

    members_demo.seed(StringIO())
    convalescence_demo.seed(StringIO())
    # The demo keeps an existing account's password; make sure this one logs in with the demo's.
    from members.models import User

    superuser = User.objects.get_by_phone("13900000001")
    superuser.set_password(members_demo.DEMO_PASSWORD)
    superuser.save(update_fields=["password"])
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(live_server.url + "/admin/login/?next=/admin/convalescence/settlement/report/%3Fyear%3D2023")
    page.fill("#id_username", "13900000001")
    page.fill("#id_password", members_demo.DEMO_PASSWORD)
    page.click("input[type=submit], button[type=submit]")
    page.wait_for_url("**/report/**")
    body = page.inner_text("#content")
    assert "2023 年疗休养统计" in page.title() or "2023" in body
    assert "438" in body and "17364" in body.replace(",", "")
    bars = page.locator(".report-chart .bar")
    assert bars.count() >= 10
    widths = [bars.nth(i).bounding_box()["width"] for i in range(bars.count())]
    assert max(widths) > 3 * min(widths) > 0  # the bars show the differences between districts
    page.screenshot(path=str(ARTIFACTS / "convalescence-report-2023.png"), full_page=True)
    # On a phone the bars keep their differences and the union table scrolls in its own box.
    page.set_viewport_size({"width": 360, "height": 740})
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    widths = [bars.nth(i).bounding_box()["width"] for i in range(bars.count())]
    assert max(widths) > 3 * min(widths) > 0
    assert max(text_lines(page, ".report-chart .row span, .report-table td")) == 1
    page.screenshot(path=str(ARTIFACTS / "convalescence-report-2023-360.png"), full_page=True)


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_district_staff_narrow_nominations_to_one_union_on_a_phone(page, live_server):
    from io import StringIO

    from django.core.management import call_command

    call_command("seed_demo", stdout=StringIO())
    page.set_viewport_size({"width": 360, "height": 740})
    page.goto(live_server.url + "/admin/login/")
    page.fill("#id_username", "13900000002")  # 鲤城区总工会
    page.fill("#id_password", "union-demo-2026")
    page.click("input[type=submit]")
    page.goto(live_server.url + "/admin/convalescence/nomination/")
    unions = page.eval_on_selector_all("#result_list td.field-union", "cells => cells.map(c => c.innerText)")
    assert unions, "the district's nominations are listed with their unions"
    union = Nomination.objects.filter(organization__name=unions[0]).values_list("organization", flat=True)[0]
    # The union filter narrows the list to that union's nominations, each named with it.
    page.goto(live_server.url + f"/admin/convalescence/nomination/?union={union}")
    narrowed = page.eval_on_selector_all("#result_list td.field-union", "cells => cells.map(c => c.innerText)")
    assert narrowed and set(narrowed) == {unions[0]}
    assert len(narrowed) == Nomination.objects.filter(organization=union).count()
    # A name or a union reads on one line; the table scrolls sideways on the phone.
    lines = text_lines(page, "#result_list th.field-member_name, #result_list td.field-union")
    assert lines and max(lines) == 1
    page.screenshot(path=str(ARTIFACTS / "convalescence-admin-nominations-360.png"), full_page=True)
    assert page.failed_requests == []
