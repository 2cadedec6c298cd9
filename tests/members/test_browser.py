"""A worker joins on a phone in Chinese, a street reviewer verifies in the admin, the card appears."""

import pytest

from members.models import Member, StaffAssignment, User

from ..factories import make_staff, make_tree
from ..support.browser import ARTIFACTS, admin_log_in, phone_page, reload_until, text_lines, wide_then_phone
from .builders import consent_published


def fits_the_screen(page):
    return page.evaluate("document.documentElement.scrollWidth") <= 360


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_worker_joins_reviewer_verifies_member_sees_the_card(browser, live_server):
    consent_published()
    tree = make_tree()
    reviewer = make_staff(tree["street_a"], role=StaffAssignment.Role.REVIEWER, name="街道审核员")
    from .builders import new_id_number

    id_number, phone, password = new_id_number(), "13655556666", "rider-pass-2026"

    # 1. The worker joins on a 360 px phone, in Chinese, finding the union by its district's name.
    worker = phone_page(browser)
    worker.goto(live_server.url + "/join/")
    assert worker.locator("html").get_attribute("lang") == "zh-hans"
    assert "申请入会" in worker.inner_text("main")
    worker.fill("#id_name", "林志明")
    worker.fill("#id_id_number", id_number)
    worker.fill("#id_phone", phone)
    worker.fill("#id_password", password)
    worker.fill("#id_union_query", "甲区")
    worker.wait_for_selector("#union-results li label:has-text('甲企业工会')")
    assert "乙企业工会" not in worker.inner_text("#union-results")
    worker.check("#union-results input[type=radio]")
    worker.select_option("#id_worker_category", "delivery_rider")
    worker.check("#id_is_frontline")
    worker.locator(".consent").scroll_into_view_if_needed()
    assert "敏感个人信息" in worker.inner_text(".consent")
    worker.screenshot(path=str(ARTIFACTS / "members-join-360.png"), full_page=True)
    assert fits_the_screen(worker)
    # forgetting the consent gives a clear Chinese message, and nothing is saved
    worker.click("button[value=join]")
    assert "入会须同意处理您的敏感个人信息" in worker.inner_text("main")
    assert not Member.objects.exists()
    worker.fill("#id_password", password)
    worker.check("#id_consent")
    worker.click("button[value=join]")
    worker.wait_for_url("**/card/")
    assert "待审核" in worker.inner_text("main")
    worker.screenshot(path=str(ARTIFACTS / "members-card-pending-360.png"), full_page=True)
    member = Member.objects.get()
    assert member.status == "pending" and member.organization == tree["enterprise_a"]

    # 2. The street reviewer verifies the application in the admin's verification queue.
    staff = phone_page(browser)
    admin_log_in(staff, live_server.url, reviewer.phone)
    staff.goto(live_server.url + "/admin/members/pendingmember/")
    body = staff.inner_text("body")
    assert "林志明" in body and member.masked_id_number in body and id_number not in body
    staff.screenshot(path=str(ARTIFACTS / "members-admin-queue.png"), full_page=True)
    staff.check(f"input[name=_selected_action][value='{member.pk}']")
    staff.select_option("select[name=action]", "verify_selected")
    with staff.expect_navigation():
        staff.click("button[name=index]")
    staff.wait_for_selector("ul.messagelist")
    assert "已审核通过 1 份申请" in staff.inner_text("ul.messagelist")
    member.refresh_from_db()
    assert member.status == "active" and member.verified_by == reviewer

    # 3. The member opens the card again: active, with the QR code.
    worker.reload()
    assert "正式会员" in worker.inner_text(".member-card") or "正常" in worker.inner_text(".member-card")
    assert worker.locator("#card-qr-image svg").count() == 1
    assert member.card_number in worker.inner_text(".member-card")
    worker.screenshot(path=str(ARTIFACTS / "members-card-active-360.png"), full_page=True)
    assert fits_the_screen(worker)
    assert worker.failed_requests == [] and staff.failed_requests == []
    assert User.objects.get_by_phone(phone).pk == member.user_id


@pytest.mark.browser
@pytest.mark.worker
def test_staff_member_exports_the_filtered_list_and_downloads_it(browser, live_server, worker_queue, settings, tmp_path):
    from openpyxl import load_workbook

    from ..factories import make_member
    from ..support.workers import start_worker, stop_worker

    settings.PRIVATE_MEDIA_ROOT = tmp_path / "private"
    worker = start_worker(worker_queue, extra_env={"PRIVATE_MEDIA_ROOT": str(settings.PRIVATE_MEDIA_ROOT)})
    try:
        tree = make_tree()
        staff = make_staff(tree["district_a"], name="甲区干部")
        active = [make_member(tree["enterprise_a"]) for _ in range(3)]
        make_member(tree["enterprise_a"], status="pending")
        page = browser.new_page(viewport={"width": 1280, "height": 800}, locale="zh-CN")
        admin_log_in(page, live_server.url, staff.phone)
        page.goto(live_server.url + "/admin/members/member/?status__exact=active")
        with page.expect_navigation():
            page.click("text=导出这些会员（脱敏 .xlsx）")
        assert "状态：正式会员" in page.inner_text("#content")
        wide_then_phone(page, "members-export-confirm")
        assert fits_the_screen(page)
        with page.expect_navigation():
            page.click("input[type=submit][value=导出]")
        assert "导出文件正在生成" in page.inner_text("ul.messagelist")
        reload_until(page, lambda: page.locator("text=下载（.xlsx）").count())  # the worker writes it
        page.screenshot(path=str(ARTIFACTS / "members-exports-list-360.png"), full_page=True)
        with page.expect_download() as download:
            page.click("text=下载（.xlsx）")
        saved = tmp_path / download.value.suggested_filename
        assert saved.name.startswith("members-") and saved.suffix == ".xlsx"
        download.value.save_as(saved)
        workbook = load_workbook(saved)
        cards = sorted(row[5] for row in workbook.active.iter_rows(min_row=2, values_only=True))
        assert cards == sorted(member.card_number for member in active)
    finally:
        stop_worker(worker)


@pytest.mark.browser
@pytest.mark.worker
def test_staff_member_transfers_a_whole_union_and_follows_it(browser, live_server, worker_queue):
    """More members than a page holds: "select all", the transfer confirmed, a real worker moves them."""
    from members.models import Organization

    from ..factories import make_member
    from ..support.browser import pick_by_name
    from ..support.workers import start_worker, stop_worker

    worker = start_worker(worker_queue)
    try:
        tree = make_tree()
        staff = make_staff(tree["district_a"], name="甲区干部")
        tree["street_a"].refresh_from_db()
        target = Organization.objects.add_child(tree["street_a"], dict(kind="joint", name="甲联合工会"))
        moving = [make_member(tree["enterprise_a"]).pk for _ in range(55)]  # the list shows 50 a page
        page = browser.new_page(viewport={"width": 1280, "height": 800}, locale="zh-CN")
        admin_log_in(page, live_server.url, staff.phone)
        page.goto(f"{live_server.url}/admin/members/member/?union={tree['enterprise_a'].pk}")
        page.click("#action-toggle")
        page.click(".actions .question a")  # "选中所有的 55 个 会员"
        page.select_option("select[name=action]", "transfer_selected")
        with page.expect_navigation():
            page.click("button[name=index]")
        content = page.inner_text("#content")
        assert "工会：甲企业工会" in content and "会员人数：55" in content
        pick_by_name(page, "id_organization", "甲联合", "甲联合工会")
        page.fill("#id_reason", "企业并入联合工会")
        wide_then_phone(page, "members-bulk-transfer-confirm")
        assert fits_the_screen(page)
        with page.expect_navigation():
            page.click("input[type=submit].default")
        assert "批量会员操作" in page.inner_text("ul.messagelist")
        reload_until(page, lambda: page.locator("td.field-status", has_text="已完成").count())
        assert "已处理 55 / 55 人" in page.inner_text("#result_list")
        page.screenshot(path=str(ARTIFACTS / "members-bulk-actions-360.png"), full_page=True)
        assert text_lines(page, "#result_list .field-kind, #result_list .field-progress") == [1, 1]
        assert Member.objects.filter(pk__in=moving, organization=target).count() == 55
    finally:
        stop_worker(worker)
